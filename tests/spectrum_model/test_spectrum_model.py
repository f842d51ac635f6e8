"""The spectrum model against spectra built straight from the GOS tables."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "quantification"))
from quant_synthetic import SETTINGS, core_loss  # noqa: E402

from eels_autoid.spectrum_model import (  # noqa: E402
    NoiseModel,
    SpectrumModel,
    estimate_noise,
    near_edge_columns,
    power_law_columns,
)

OXIDE = {"O": (300.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])}


def _spectrum(energy, amounts=OXIDE, seed=0, **kw):
    return core_loss(energy, amounts, incident=1e10, background=(2e5, 3.0), seed=seed, **kw)


@pytest.mark.parametrize("window", [(300.0, 700.0), (380.0, 1400.0), (150.0, 2500.0)])
@pytest.mark.parametrize("near_edge", ["basis", "exclude"])
def test_fractions_of_a_known_composition_over_any_window(window, near_edge):
    energy = np.arange(*window, 0.5 if window[1] < 1000 else 1.0)
    fit = SpectrumModel(energy, ["O", "Ti"], SETTINGS, near_edge=near_edge).fit(_spectrum(energy))
    assert fit.fractions["O"] == pytest.approx(0.75, rel=0.05)
    assert fit.fractions["Ti"] == pytest.approx(0.25, rel=0.05)
    # The stated uncertainty covers the error.
    assert abs(fit.fractions["Ti"] - 0.25) < 4 * fit.fraction_std["Ti"] + 0.01


def test_evidence_separates_present_from_absent_elements():
    energy = np.arange(300.0, 900.0, 0.5)
    fit = SpectrumModel(energy, ["O", "Ti", "Cr"], SETTINGS).fit(_spectrum(energy))
    assert fit.evidence["O"] > 1e3 and fit.evidence["Ti"] > 1e3
    # Cr L2,3 (575 eV) is not in the spectrum: the fit does not need it.
    assert fit.evidence["Cr"] < 30
    assert fit.fractions["Cr"] < 0.02


def test_background_combination_is_convex_and_decreasing():
    energy = np.arange(200.0, 3000.0, 2.0)
    cols = power_law_columns(energy)
    rng = np.random.default_rng(1)
    bg = cols @ rng.uniform(0, 1, cols.shape[1])
    assert np.all(np.diff(bg) < 0) and np.all(np.diff(bg, 2) > 0)


def test_near_edge_basis_integrates_to_zero_over_its_extent():
    energy = np.arange(400.0, 600.0, 0.3)
    cols = near_edge_columns(energy, (452.0, 495.0))
    assert cols.shape[1] >= 10
    np.testing.assert_allclose(cols.sum(axis=0), 0.0, atol=1e-9)
    outside = (energy < 452.0) | (energy > 495.0)
    assert np.all(cols[outside] == 0.0)


def test_near_edge_peaks_do_not_change_the_amounts():
    """A white line added as a zero-integral redistribution leaves the amounts."""
    energy = np.arange(380.0, 800.0, 0.5)
    clean = _spectrum(energy, noise=False)
    peak = (
        np.exp(-0.5 * ((energy - 460.0) / 1.0) ** 2)
        - np.exp(-0.5 * ((energy - 475.0) / 6.0) ** 2) / 6.0
    )
    data = np.random.default_rng(2).poisson(clean + 0.3 * clean.max() * peak / peak.max())
    fit = SpectrumModel(energy, ["O", "Ti"], SETTINGS).fit(data.astype(float))
    assert fit.fractions["Ti"] == pytest.approx(0.25, rel=0.05)


def test_noise_model_recovers_the_gain_of_scaled_counts():
    energy = np.arange(300.0, 900.0, 0.5)
    clean = _spectrum(energy, noise=False)
    data = 7.0 * np.random.default_rng(3).poisson(clean)
    noise = estimate_noise(data, 7.0 * clean, 5)
    assert noise.gain == pytest.approx(7.0, rel=0.1)
    assert noise.epsilon < 3e-3  # chi-squared fluctuation only
    var = NoiseModel(7.0, 0.01).variance(np.array([1e4]))
    assert var[0] == pytest.approx(7e4 + 1e4)


def test_misfit_beyond_counting_noise_is_found_and_inflates_uncertainties():
    energy = np.arange(300.0, 900.0, 0.5)
    clean = _spectrum(energy, noise=False)
    ripple = 1.0 + 0.03 * np.sin(energy / 7.0)
    model = SpectrumModel(energy, ["O", "Ti"], SETTINGS)
    plain = model.fit(np.random.default_rng(4).poisson(clean).astype(float))
    rippled = model.fit(np.random.default_rng(4).poisson(clean * ripple).astype(float))
    assert rippled.noise.epsilon > 0.01 > 0.003 > plain.noise.epsilon
    assert rippled.fraction_std["Ti"] > 3 * plain.fraction_std["Ti"]


def test_background_subtracted_input_is_recognised():
    energy = np.arange(380.0, 800.0, 0.5)
    edges = _spectrum(energy, noise=False) - 2e5 * (energy / energy[0]) ** -3.0
    data = edges + np.random.default_rng(5).normal(0, 30.0, len(energy))
    fit = SpectrumModel(energy, ["O", "Ti"], SETTINGS).fit(data)
    assert fit.background_subtracted
    assert fit.fractions["Ti"] == pytest.approx(0.25, rel=0.05)


def test_missing_settings_widen_the_uncertainty():
    energy = np.arange(380.0, 1400.0, 1.0)
    data = _spectrum(energy)
    model = SpectrumModel(energy, ["O", "Ti"], SETTINGS)
    known = model.fit(data)
    unknown = model.fit(data, defaulted=("beam_energy", "collection_angle"))
    assert known.fractions == unknown.fractions
    assert unknown.fraction_std["Ti"] > 2 * known.fraction_std["Ti"]


def test_lanthanide_from_m45_where_it_is_in_the_window_else_n45_with_a_wide_uncertainty():
    wide = SpectrumModel(np.arange(80.0, 1400.0, 1.0), ["O", "Dy"], SETTINGS)
    fitted = {d.subshell for d in wide.decisions if d.element == "Dy" and d.fitted}
    assert "M5" in fitted and not any(s.startswith("N") for s in fitted)
    assert not wide.n45_only("Dy")
    narrow = SpectrumModel(np.arange(80.0, 900.0, 1.0), ["O", "Dy"], SETTINGS)
    assert narrow.n45_only("Dy")
    data = _spectrum(narrow.axis, {"O": (300.0, ["K"]), "Dy": (100.0, ["N5", "N4"])})
    fit = narrow.fit(data)
    assert fit.fraction_std["Dy"] >= 0.5 * fit.fractions["Dy"]


def test_a_lanthanide_whose_m45_the_window_end_cuts_keeps_its_n45():
    # Dy M5 (1295 eV) passes the margins of a window ending at 1340 eV, but
    # its near-edge region runs past the end: M4,5 is dropped, and N4,5
    # (154 eV) is what the model holds of Dy.
    model = SpectrumModel(np.arange(80.0, 1340.0, 1.0), ["O", "Dy"], SETTINGS)
    dropped = {d.subshell: d.reason for d in model.decisions if d.element == "Dy" and not d.fitted}
    assert "near-edge region" in dropped["M5"]
    assert model.n45_only("Dy") and "Dy" in model.modelled


def test_bad_input():
    energy = np.arange(300.0, 900.0, 0.5)
    model = SpectrumModel(energy, ["O", "Ti"], SETTINGS)
    data = _spectrum(energy)
    data[100] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(data)
    with pytest.raises(ValueError, match="background"):
        SpectrumModel(energy, ["O"], SETTINGS, background="linear")
    with pytest.raises(ValueError, match="No element"):
        SpectrumModel(energy, ["Be"], SETTINGS).fit(_spectrum(energy))


def test_background_segment_breaks():
    from eels_autoid.spectrum_model import segment_breaks

    # O K and Al K 1 keV apart: Al K's own pre-edge range would start at
    # 780 eV; the midpoint between the two, 1046 eV, is later.
    assert segment_breaks([532.0, 1560.0]) == [pytest.approx(1046.0)]
    # Far above: a fit of Ir M4,5 alone would start at 1020 eV.
    assert segment_breaks([532.0, 2040.0]) == [pytest.approx(1286.0)]
    # B K and N K: N K's pre-edge range reaches into B K's near-edge region.
    assert segment_breaks([188.0, 401.0]) == []
    # Families close together (Ti L2,3, O K) and a single family: one background.
    assert segment_breaks([456.0, 532.0]) == []
    assert segment_breaks([1560.0]) == []
    # Unordered input and repeated onsets give the same breaks.
    assert segment_breaks([1560.0, 532.0, 532.0]) == segment_breaks([532.0, 1560.0])


def test_segmented_background_is_convex_per_segment_and_fits_each_part():
    """Each segment's background is a non-negative power-law combination, zero elsewhere."""
    from eels_autoid.spectrum_model import DEFAULT_MICROSCOPE, SpectrumModel

    energy = 300.0 + np.arange(2200.0)
    model = SpectrumModel(energy, ["O", "Al"], DEFAULT_MICROSCOPE)
    one = SpectrumModel(energy, ["O", "Al"], DEFAULT_MICROSCOPE, segments=False)
    assert len(model.background_breaks) == 1 and one.background_breaks == ()
    # A background that flattens where Al K's segment starts: each segment
    # fits its own part, one combination of power laws cannot.
    (start,) = model.background_breaks
    kink = 1e5 * (start / 300.0) ** -3
    y = np.where(energy < start, 1e5 * (energy / 300.0) ** -3, kink * (energy / start) ** -1.0)
    fit = model.fit(y)
    single = one.fit(y)
    assert len(fit.background_segments) == 2 and fit.background_terms == {}
    assert all(c > 0 for _, _, t in fit.background_segments for c in t.values())
    np.testing.assert_allclose(fit.background_function(fit.energy), fit.background, rtol=1e-9)
    assert fit.chi2 < 0.01 * single.chi2
    # No edge is made of the change of slope; one background takes Al K for it.
    assert fit.amounts["Al"] < 0.01 * single.amounts["Al"]


def test_an_edge_rising_too_close_to_the_end_ends_the_fitted_range_below_it():
    # Mn L3 (640 eV) rises 30 eV before the window's end: too close to
    # model (its white lines run past the end), too strong to leave to the
    # background. The fitted range ends below it, and O and Ti come out right.
    energy = np.arange(300.0, 670.0, 0.5)
    amounts = {**OXIDE, "Mn": (400.0, ["L3", "L2"])}
    model = SpectrumModel(energy, ["O", "Ti", "Mn"], SETTINGS)
    assert model.fit_range[1] < 640.0
    assert "Mn" not in model.modelled
    reasons = [d.reason for d in model.decisions if d.element == "Mn"]
    assert reasons and all("below its onset" in r for r in reasons)
    fit = model.fit(_spectrum(energy, amounts))
    assert fit.fractions["O"] == pytest.approx(0.75, rel=0.05)
    assert fit.fractions["Ti"] == pytest.approx(0.25, rel=0.05)


def test_the_range_is_not_shortened_where_that_would_lose_a_modelled_edge():
    # Pr M5 (931 eV) rises 19 eV before the end; ending below it would cut
    # the Ce M4,5 edge (883, 901 eV) the window holds: the range stays.
    model = SpectrumModel(np.arange(700.0, 950.0, 0.5), ["Ce", "Pr"], SETTINGS)
    assert "Ce" in model.modelled and "Pr" not in model.modelled
    assert model.fit_range[1] == pytest.approx(949.5)


def test_edge_order_does_not_depend_on_the_run():
    # exspy lists an element's subshells in a set; N4 and N5 share an onset,
    # and reports (the per-element edges column) must not change between runs.
    import os
    import subprocess

    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "import numpy as np\n"
        "from eels_autoid.spectrum_model import SpectrumModel\n"
        "m = SpectrumModel(np.arange(100, 950, 0.5), ['Er', 'O', 'Dy'], "
        "{'beam_energy': 200.0, 'collection_angle': 20.0})\n"
        "print([(d.element, d.subshell) for d in m.decisions])\n"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        for seed in ("1", "3")
    }
    assert len(orders) == 1


@pytest.mark.parametrize(("low", "candidates"), [(15.0, ["V"]), (-10.0, ["V", "Br"])])
def test_wrong_candidates_do_not_tilt_a_wide_windows_calibration(low, candidates):
    # O K and Al K recorded off by ``low`` eV over a 1.4 keV window. V L2,3
    # (513 eV) and Br L2,3 (1550 eV), which a reading of the uncalibrated
    # axis proposes, match O K's and Al K's rises elsewhere: where one
    # calibration puts O and Al in place, those matches must not pass for a
    # dispersion error that takes the offset away.
    energy = np.arange(420.0, 1800.0, 1.0)
    data = _spectrum(energy + low, {"O": (300.0, ["K"]), "Al": (200.0, ["K"])})
    right = SpectrumModel(energy, ["O", "Al"], SETTINGS).calibrate(data)
    assert right.offset == pytest.approx(low, abs=1.0)
    cal = SpectrumModel(energy, ["O", "Al", *candidates], SETTINGS).calibrate(data)
    assert cal.offset == pytest.approx(low, abs=1.0)
    assert abs(cal.dispersion_error) < 0.001


def test_overlapping_near_edge_extents_leave_each_elements_part_on_the_datas_scale(
    real_spectra_dir,
):
    # Real Yb2O3 M4,5 with Lu among the candidates: Lu's near-edge extent
    # (from 1585 eV) starts inside Yb's (to 1606 eV) with Gaussian centres
    # that coincide, and the fit's own coefficients reach +-1e11 counts
    # there, cancelling. The parts shown stay on the data's scale and, with
    # what the overlap shares, still add up to the model.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "Atlas_Yb2O3_1350-2360eV.hspy")
    energy = s.axes_manager.signal_axes[0].axis
    model = SpectrumModel(energy, ["Yb", "Lu"], SETTINGS, fit_range=(1358.0, 2048.0))
    fit = model.fit(s.data.astype(float))
    for part in fit.parts.values():
        assert np.abs(part).max() < 2 * fit.data.max()
    total = fit.background + sum(fit.parts.values()) + fit.shared_near_edge
    np.testing.assert_allclose(total, fit.model, rtol=0, atol=1e-6 * fit.data.max())
    # Without an overlap next to nothing is shared (the ridge's bias).
    alone = SpectrumModel(energy, ["Yb"], SETTINGS, fit_range=(1358.0, 2048.0)).fit(
        s.data.astype(float)
    )
    assert np.abs(alone.shared_near_edge).max() < 1e-4 * alone.data.max()
