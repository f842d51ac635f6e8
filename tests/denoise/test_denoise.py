"""Validation of the RapidEELS-style autoencoder on a simulated two-phase
low-count map (eels_autoid.simulate, see denoise_synthetic.py) and on the real
FeOx spectrum image."""

import sys
from pathlib import Path

import numpy as np
import pytest
from denoise_synthetic import (
    PHASES,
    fe_l3_onset,
    l3_l2_ratio,
    o_k_jump,
    o_k_onset,
)

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real_spectra"


# --- checks ---


def test_shapes_axes_class_and_latent(two_phase, denoised_two_phase):
    s, r = two_phase.raw, denoised_two_phase
    assert type(r.denoised) is type(s)
    assert r.denoised.data.shape == s.data.shape
    for a, b in zip(r.denoised.axes_manager._axes, s.axes_manager._axes, strict=True):
        assert (a.name, a.size, a.offset, a.scale) == (b.name, b.size, b.offset, b.scale)
    assert r.latent.axes_manager.navigation_shape == (5,)
    assert r.latent.axes_manager.signal_shape == s.axes_manager.navigation_shape
    assert r.latent.axes_manager.signal_axes[0].scale == 0.5
    # The input is untouched and each pixel keeps its counts (intensity survives).
    np.testing.assert_allclose(r.denoised.data.sum(-1), s.data.sum(-1), rtol=1e-3)


def test_mse_vs_truth_beats_raw_and_matches_pca(two_phase, denoised_two_phase):
    r, clean = denoised_two_phase, two_phase.clean

    def mse(a):
        return float(np.mean((np.asarray(a, dtype=np.float64) - clean) ** 2))

    raw, ae = mse(two_phase.raw.data), mse(r.denoised.data)
    pca = {k: mse(m.data) for k, m in r.pca_models.items()}
    print(f"MSE vs truth: raw {raw:.4g}, autoencoder {ae:.4g}, PCA {pca}; "
          f"held out: {r.mse}", file=sys.stderr)  # fmt: skip
    assert set(pca) == {3, 5, 7}
    assert ae * 5 <= raw
    assert ae <= 1.5 * min(pca.values())
    # The held-out comparison (RapidEELS) is reported for every method.
    assert set(r.mse) == {"raw", "autoencoder", "pca_3", "pca_5", "pca_7"}
    assert r.mse["autoencoder"] < r.mse["raw"]
    assert "autoencoder" in r.mse_table()


def test_edge_onsets_and_l3_l2_ratio_keep_noise_free_values(two_phase, denoised_two_phase):
    clean, den, raw = two_phase.clean, denoised_two_phase.denoised.data, two_phase.raw.data
    phase = two_phase.phase
    a = phase == 0
    d_fe = np.abs(fe_l3_onset(den) - fe_l3_onset(clean))
    d_o = np.abs(o_k_onset(den[a]) - o_k_onset(clean[a]))
    d_fe_raw = np.abs(fe_l3_onset(raw) - fe_l3_onset(clean))
    d_o_raw = np.abs(o_k_onset(raw[a]) - o_k_onset(clean[a]))
    for name, d, d_raw in (("Fe L3", d_fe, d_fe_raw), ("O K", d_o, d_o_raw)):
        print(f"{name} onset |denoised - clean|: median {np.median(d):.3f} eV, "
              f"{np.mean(d < 0.5):.1%} < 0.5 eV (raw: {np.median(d_raw):.3f} eV, "
              f"{np.mean(d_raw < 0.5):.1%})", file=sys.stderr)  # fmt: skip

    def within(d):
        return np.mean(d < 0.5) >= 0.95 and np.median(d) < 0.25

    assert within(d_fe) and within(d_o)
    # The same checks on the raw data fail: the test can tell noise from signal.
    # (The Fe L3 white line is strong: raw pixels miss by 0.5 eV in 20..40 %.)
    assert not within(d_fe_raw)
    assert np.mean(d_o_raw < 0.5) < 0.8

    ratio_clean, ratio_den = l3_l2_ratio(clean), l3_l2_ratio(den)
    for p, name in enumerate("AB"):
        sel = phase == p
        truth = np.median(ratio_clean[sel])
        print(f"L3/L2 phase {name}: clean {truth:.3f}, denoised {np.median(ratio_den[sel]):.3f}, "
              f"raw {np.median(l3_l2_ratio(raw[sel])):.3f}", file=sys.stderr)  # fmt: skip
        assert abs(np.median(ratio_den[sel]) / truth - 1) < 0.05, name
    # Per pixel the ratio still tells the phases apart (nearer its own phase's value).
    ref = np.array([np.median(ratio_clean[phase == p]) for p in (0, 1)])
    nearest = np.argmin(np.abs(ratio_den[..., None] - ref), axis=-1)
    assert np.mean(nearest == phase) >= 0.9
    assert np.mean(np.argmin(np.abs(l3_l2_ratio(raw)[..., None] - ref), -1) == phase) < 0.8
    assert PHASES["A"]["l3_l2_rank"] > PHASES["B"]["l3_l2_rank"] and ref[0] > ref[1]


def test_denoising_invents_no_edge(two_phase, denoised_two_phase):
    """Phase B has no O K edge: the denoised phase-B pixels must not grow one."""
    phase = two_phase.phase
    jump_a = np.median(o_k_jump(two_phase.clean[phase == 0]))
    jump_b = o_k_jump(denoised_two_phase.denoised.data[phase == 1])
    raw_b = o_k_jump(two_phase.raw.data[phase == 1])
    assert jump_a > 3
    # No systematic edge, and at least ten times fewer pixels than in the raw
    # data whose noise passes for a quarter of the real O K edge (the measure
    # is unbiased, so the raw rate is the noise's alone).
    assert abs(np.median(jump_b)) < 0.05 * jump_a
    assert np.mean(jump_b > 0.25 * jump_a) <= 0.1 * np.mean(raw_b > 0.25 * jump_a)
    # Raw phase-B pixels cross the same line often: the check is not vacuous.
    assert np.mean(raw_b > 0.25 * jump_a) > 0.1
    assert "O" in two_phase.elements["A"] and "O" not in two_phase.elements["B"]


def test_identify_edges_accepts_denoised(two_phase, denoised_two_phase, tiny_model):
    """identify_edges takes the denoised signal like the raw one (same axes, no NaN).

    With the tiny test network: it checks the plumbing, and that the untrained
    network's outputs on the denoised map are closer to those on the clean map
    than on the raw (the bundled model is studied below).
    """
    import eels_autoid

    den = denoised_two_phase.denoised
    clean = two_phase.raw._deepcopy_with_new_data(two_phase.clean)
    p_den = eels_autoid.identify_edges(den, model=tiny_model).probabilities
    p_raw = eels_autoid.identify_edges(two_phase.raw, model=tiny_model).probabilities
    p_clean = eels_autoid.identify_edges(clean, model=tiny_model).probabilities
    assert p_den.axes_manager.navigation_shape == two_phase.raw.axes_manager.navigation_shape
    assert np.isfinite(p_den.data).all()
    err_den = np.abs(p_den.data - p_clean.data).mean()
    err_raw = np.abs(p_raw.data - p_clean.data).mean()
    assert err_den < err_raw


# --- identification at low dose with the bundled model ---

FREQUENT = 0.05  # an element counts as found in a map where >5 % of its pixels detect it
BLOCK_REACH = 2  # chessboard distance covered by the default 5 x 5 target block


@pytest.fixture(scope="module")
def low_dose_identification(two_phase, denoised_two_phase, bundled_default):
    """The bundled model on the raw, denoised and clean maps and on their summed spectra."""
    import eels_autoid

    signals = {
        "raw": two_phase.raw,
        "denoised": denoised_two_phase.denoised,
        "clean": two_phase.raw._deepcopy_with_new_data(two_phase.clean),
    }
    return {
        name: tuple(
            eels_autoid.identify_edges(x, model=bundled_default, show_progressbar=False)
            for x in (s, s.sum())
        )
        for name, s in signals.items()
    }


def _pixel_fractions(result, mask):
    """Fraction of the pixels in ``mask`` where each observable element is detected."""
    from eels_autoid import ELEMENTS

    above = np.asarray(result.probabilities.data) > result.thresholds
    frac = above[mask].mean(0)
    return {el: float(frac[i]) for i, el in enumerate(ELEMENTS) if el in result.observable}


def test_low_dose_identification_invents_no_element_per_pixel(two_phase, low_dose_identification):
    """Per pixel, every element found on more than 5 % of the denoised map is in
    the simulation truth or found as often on the clean map."""
    ids, phase = low_dose_identification, two_phase.phase
    truth = set().union(*two_phase.elements.values())
    whole = np.ones(phase.shape, bool)

    def found(name):
        return {el for el, f in _pixel_fractions(ids[name][0], whole).items() if f > FREQUENT}

    invented_map = found("denoised") - truth - found("clean")
    assert not invented_map, f"denoising made the model find {sorted(invented_map)} per pixel"


def test_low_dose_identification_invents_no_element(two_phase, low_dose_identification):
    """Denoising does not make the bundled model find elements that are not there.

    In the map's summed spectrum every element found on the denoised map is in
    the simulation truth or found on the clean map too (per pixel: the test
    above). Per phase the check is looser: the block targets mix the phases within their reach of
    the boundary, and further in the phase without oxygen fewer than a quarter
    of the pixels may show O (the same model finds it in none of the clean ones).
    Recall and false detections per pixel are printed for the docs.
    """
    from scipy.ndimage import distance_transform_cdt

    ids, phase = low_dose_identification, two_phase.phase
    truth = set().union(*two_phase.elements.values())

    invented_sum = set(ids["denoised"][1].elements) - truth - set(ids["clean"][1].elements)
    assert not invented_sum, f"denoising made the model find {sorted(invented_sum)} in the sum"
    assert truth <= set(ids["clean"][1].elements)  # the model sees the truth without noise

    lines = ["per-pixel detection (fraction of pixels), bundled model:"]
    spread = {}  # (phase, element of the other phase only): denoised, clean beyond the reach
    for p, name in enumerate(two_phase.elements):
        mask = phase == p
        own = set(two_phase.elements[name])
        for which in ("raw", "denoised", "clean"):
            frac = _pixel_fractions(ids[which][0], mask)
            recall = {el: round(frac[el], 3) for el in sorted(own)}
            false = {el: round(f, 3) for el, f in frac.items() if el not in own and f > 0.01}
            lines.append(f"  phase {name} {which:8s} recall {recall} false >1 %: {false}")
        # Elements of the other phase only (O in the metal): within the block's
        # reach of the boundary they are blurred in; further in they must stay rare.
        inside = distance_transform_cdt(mask, metric="chessboard") > BLOCK_REACH
        for el in truth - own:
            clean_inside = _pixel_fractions(ids["clean"][0], inside)[el]
            den_inside = _pixel_fractions(ids["denoised"][0], inside)[el]
            den_all = _pixel_fractions(ids["denoised"][0], mask)[el]
            lines.append(
                f"  phase {name}: {el} (absent) in {den_all:.3f} of its denoised pixels, "
                f"{den_inside:.3f} beyond {BLOCK_REACH} px of the boundary "
                f"(clean {clean_inside:.3f})"
            )
            spread[name, el] = den_inside, clean_inside
    for which in ("raw", "denoised", "clean"):
        lines.append(f"  summed spectrum {which}: {ids[which][1].elements}; "
                     f"map elements {ids[which][0].elements}")  # fmt: skip
    print("\n".join(lines), file=sys.stderr)
    for key, (den_inside, clean_inside) in spread.items():
        if clean_inside <= FREQUENT:
            assert den_inside < 0.25, key


def test_latent_classifier_separates_phases(two_phase, denoised_two_phase):
    phase = two_phase.phase
    mask_a = np.zeros(phase.shape, bool)
    mask_b = np.zeros(phase.shape, bool)
    mask_a[10:16, 2:8] = True
    mask_b[10:16, 30:36] = True
    assert (phase[mask_a] == 0).all() and (phase[mask_b] == 1).all()
    c = denoised_two_phase.classify({"A": mask_a, "B": mask_b}, seed=0)
    accuracy = float(np.mean(np.asarray(c.class_map.data) == phase))
    print(f"latent classifier pixel accuracy: {accuracy:.3f}", file=sys.stderr)
    assert accuracy >= 0.9
    assert c.classes == ["A", "B"]
    probs = np.asarray(c.probabilities.data)
    assert probs.shape == (2, *phase.shape)
    np.testing.assert_allclose(probs.sum(0), 1, atol=1e-5)


def test_classifier_accepts_rois_and_label_arrays(denoised_two_phase):
    import hyperspy.api as hs

    from eels_autoid.denoise import classify_latent

    lat = denoised_two_phase.latent
    rois = {"A": hs.roi.RectangularROI(1, 5, 4, 8), "B": hs.roi.RectangularROI(15, 5, 18, 8)}
    c = classify_latent(lat, rois, epochs=50, seed=0)
    assert c.class_map.data.shape == lat.data.shape[1:]
    labels = -np.ones(lat.data.shape[1:], int)
    labels[0, 0] = 3
    with pytest.raises(ValueError, match="two classes"):
        classify_latent(lat, labels)


def test_model_saves_and_reapplies_lazily(tmp_path, two_phase, denoised_two_phase):
    """The model saves as .keras, reloads in safe mode, and a lazy SI gives the same."""
    from eels_autoid.denoise import autoencoder, load_autoencoder

    path = tmp_path / "ae.keras"
    denoised_two_phase.model.save(path)
    model = load_autoencoder(path)
    lazy = autoencoder(two_phase.raw.as_lazy(), model=model)
    assert lazy.denoised._lazy
    np.testing.assert_allclose(
        lazy.denoised.data.compute(), denoised_two_phase.denoised.data, rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(lazy.latent.data, denoised_two_phase.latent.data, atol=1e-4)


def test_lazy_training_and_companion_targets(two_phase):
    """Lazy spectrum images train from dask targets; companion SIs replace them."""
    from eels_autoid.denoise import autoencoder

    s = two_phase.raw.inav[:16, :12]
    r = autoencoder(s.as_lazy(), epochs=2, seed=1, signal_range=(650.0, 780.0))
    assert r.denoised._lazy
    assert r.denoised.data.shape == (12, 16, 130)
    assert r.denoised.axes_manager.signal_axes[0].offset == 650.0
    long = s._deepcopy_with_new_data(s.data * 0 + 10 * two_phase.clean[:12, :16])
    r2 = autoencoder(s, targets=long, epochs=2, seed=1, latent_dimension=3)
    assert r2.latent.axes_manager.navigation_shape == (3,)
    with pytest.raises(ValueError, match="same navigation"):
        autoencoder(s, targets=long.inav[:-1], epochs=1)


def test_bad_input_messages(two_phase):
    from eels_autoid.denoise import autoencoder

    s = two_phase.raw
    with pytest.raises(ValueError, match="single spectrum"):
        autoencoder(s.inav[0, 0])
    with pytest.raises(ValueError, match="signal dimension"):
        autoencoder(s.T)
    bad = s.deepcopy()
    bad.data[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        autoencoder(bad)
    with pytest.raises(ValueError, match="block"):
        autoencoder(s, block=(3, 3, 3))
    assert s.data[0, 0, 0] == two_phase.raw.data[0, 0, 0]


def test_default_block_fits_the_map():
    from eels_autoid.denoise import default_block

    assert default_block((40, 30)) == (5, 5)
    assert default_block((19, 17)) == (4, 4)
    assert default_block((100,)) == (25,)
    assert default_block((6, 3)) == (1, 1)


def test_importing_does_not_import_tensorflow():
    import subprocess

    code = "import sys, eels_autoid, eels_autoid.denoise; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_real_feox_map_end_to_end():
    """FeOx_SI_19x17: the denoised summed spectrum stays within noise of the raw one."""
    path = REAL / "FeOx_SI_19x17.dm3"
    if not path.is_file():
        pytest.skip("../shared/real_spectra/FeOx_SI_19x17.dm3 is not available")
    import hyperspy.api as hs

    from eels_autoid.denoise import autoencoder

    s = hs.load(path, signal_type="EELS_autoid")
    r = autoencoder(s, seed=0, epochs=60)
    assert type(r.denoised) is type(s)
    assert r.denoised.data.shape == s.data.shape
    raw = s.data.astype(np.float64).sum((0, 1))
    den = np.asarray(r.denoised.data, dtype=np.float64).sum((0, 1))
    # Noise of the summed spectrum from its channel-to-channel differences (robust
    # MAD estimate): the data are gain-scaled counts, not plain Poisson counts.
    d = np.diff(raw)
    sigma = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2)
    z = (den - raw) / sigma
    print(f"FeOx summed spectrum: max |z| {np.abs(z).max():.2f}, "
          f"RMS z {np.sqrt(np.mean(z**2)):.2f}", file=sys.stderr)  # fmt: skip
    assert np.sqrt(np.mean(z**2)) < 1.5
    assert np.mean(np.abs(z) < 3) > 0.99
    # No shift: the Fe L3 white line peaks in the same channel.
    assert abs(int(np.argmax(den)) - int(np.argmax(raw))) <= 1
