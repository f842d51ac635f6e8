"""Edge ratio, Poisson statistics, count conservation, fine-structure windows, seeds."""

import numpy as np
import pytest

from eels_autoid.simulate import simulate_batch
from eels_autoid.simulate._edges import FS_STEP, fine_structure_templates
from eels_autoid.simulate._lowloss import plural_scattering, response_ft
from eels_autoid.simulate._parameters import DEFAULT_PARAMETERS
from eels_autoid.vocabulary import atomic_number, edge_to_background_ratio

from .conftest import recorded_axis, window


def test_drawn_ratio_is_measured_on_noiseless_spectrum(bank):
    sim = simulate_batch(40, seed=21, bank=bank, noise=False, components=True)
    t = sim["truth"]
    checked = 0
    for i in range(40):
        if np.isnan(t["edge_ratio"][i]):
            continue
        e = recorded_axis(sim, i)
        n = len(e)
        measured = edge_to_background_ratio(
            e,
            sim["components"]["main_edge"][i, :n],
            sim["components"]["background"][i, :n],
            t["main_onset"][i],
            t["main_width"][i],
        )
        assert measured == pytest.approx(t["edge_ratio"][i], rel=1e-6)
        checked += 1
    assert checked >= 30


def test_poisson_variance_equals_mean_on_flat_region(bank, quiet):
    kw = dict(
        seed=4,
        elements=["B"],
        bank=bank,
        background_exponent=(0.0, 0.0),
        background_level=(400.0, 400.0),
        thickness=(0.0, 0.0),
        edge_ratio=(0.02, 0.02),
        start_core=(1000.0, 1000.0),
        window_start_mode=(0, 0, 1),
        dispersion=(1.0, 1.0),
        channels=(1024, 1024),
        **quiet,
    )
    noisy = simulate_batch(8, **kw)
    mean = simulate_batch(8, noise=False, **kw)["counts"]
    assert np.array_equal(noisy["offset"], simulate_batch(8, noise=False, **kw)["offset"])
    flat = mean[:, 100:900]
    assert flat.std() / flat.mean() < 0.01  # the region is flat
    resid = (noisy["counts"][:, 100:900] - flat).ravel()
    assert resid.var() == pytest.approx(flat.mean(), rel=0.05)
    assert abs(resid.mean()) < 3 * np.sqrt(flat.mean() / resid.size)


def test_poisson_counts_are_integers_without_detector_effects(bank, quiet):
    sim = simulate_batch(4, seed=9, bank=bank, background_level=(20.0, 20.0), **quiet)
    c = sim["counts"]
    assert np.array_equal(c, np.round(c)) and c.min() >= 0


def test_plural_scattering_conserves_counts():
    rng = np.random.default_rng(0)
    n, L = 16, 1024
    step = rng.uniform(0.05, 1.5, n)
    low = {
        "zlp_fwhm": rng.uniform(0.05, 2, n),
        "zlp_lorentz_fraction": rng.uniform(0, 0.5, n),
        "plasmon_energy": rng.uniform(5, 35, n),
        "plasmon_width": rng.uniform(2, 12, n),
        "second_energy": rng.uniform(5, 35, n),
        "second_width": rng.uniform(2, 12, n),
        "second_weight": rng.uniform(0, 0.4, n),
        "thickness": rng.uniform(0.1, 1.5, n),
    }
    det = {
        "psf_gaussian_fwhm": rng.uniform(0.1, 1.6, n),
        "psf_lorentzian_hwhm": rng.uniform(0.1, 0.6, n),
    }
    k_hat = response_ft(step, L, low, det, 5)
    ssd = rng.uniform(0, 1, (n, L)) * np.linspace(3, 1, L)
    ssd[:, -50:] += 50.0  # mass near the top end must not be lost
    out = plural_scattering(ssd, k_hat)
    assert out.shape == (n, 2 * L)
    np.testing.assert_allclose(out.sum(1), ssd.sum(1), rtol=1e-9)
    # ... and some of it is really moved beyond the cropped grid.
    assert np.all(out[:, L:].sum(1) > 1.0)


def test_fine_structure_stays_in_its_window():
    rng = np.random.default_rng(1)
    white = np.arange(64) % 2 == 0
    t, span = fine_structure_templates(rng, 64, DEFAULT_PARAMETERS, white)
    x = np.arange(t.shape[1]) * FS_STEP
    assert np.all(t[:, 0] == 0)
    for k in range(64):
        assert np.all(t[k, x >= span[k]] == 0)
        assert np.abs(t[k, x < span[k]]).max() > 0
    # White lines reach up to 80x the edge amplitude; never negative cross-sections.
    assert 10.0 < t[white].max() <= max(DEFAULT_PARAMETERS.white_line)
    assert t.min() >= -0.8


def test_fine_structure_in_simulator_only_near_onsets(bank, quiet):
    from eels_autoid.vocabulary import subshell_onsets

    kw = dict(
        seed=6, elements=["Ti"], bank=bank, noise=False, components=True,
        chemical_shift=(0.0, 0.0), start_core=(300.0, 300.0), window_start_mode=(0, 0, 1),
        dispersion=(0.5, 0.5), channels=(1600, 1600), instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0), **quiet,
    )  # fmt: skip
    with_fs = simulate_batch(1, **kw)["components"]
    without = simulate_batch(
        1, fs_amplitude=(0.0, 0.0), white_line=(0.0, 0.0), resonance_peak=(0.0, 0.0), **kw
    )["components"]
    e = with_fs["fine_energy"][0]
    # Unit-scale edges: the edge scale itself changes with the fine structure.
    diff = np.abs(with_fs["fine_edges_unit"][0] - without["fine_edges_unit"][0]) > 0
    onsets = [v for k, v in subshell_onsets("Ti").items() if k in ("L3", "L2")]
    allowed = np.any([(e >= o) & (e <= o + 100.0) for o in onsets], axis=0)
    assert diff.any()
    assert not np.any(diff & ~allowed)


def test_same_seed_same_spectra(bank):
    a = simulate_batch(16, seed=123, bank=bank)
    b = simulate_batch(16, seed=123, bank=bank)
    c = simulate_batch(16, seed=124, bank=bank)
    assert np.array_equal(a["counts"], b["counts"]) and np.array_equal(a["labels"], b["labels"])
    assert not np.array_equal(a["offset"], c["offset"])


def test_windows_span_the_documented_ranges(bank):
    sim = simulate_batch(400, seed=8, bank=bank)
    d = sim["scale"]
    assert d.min() < 0.03 and d.max() > 4
    assert np.any(sim["offset"] < 0) and np.any((sim["offset"] > 20) & (sim["offset"] < 75))
    assert np.all(sim["offset"] + d * (sim["size"] - 1) <= DEFAULT_PARAMETERS.max_energy + 1e-6)
    # Dark-subtracted data go negative somewhere.
    assert (sim["counts"] < 0).any()


def _first_peaks(bank, element, start, channels, seed, **extra):
    """One noiseless spectrum of ``element`` with and without its first peaks
    (white line, pi* or giant resonance; same draws otherwise, no other fine
    structure): fine energy grid, their difference and the edge without them,
    per unit scale."""
    kw = dict(
        elements=[element], bank=bank, noise=False, components=True, fs_amplitude=(0.0, 0.0),
        chemical_shift=(0.0, 0.0), start_core=(start, start), window_start_mode=(0, 0, 1),
        dispersion=(0.25, 0.25), channels=(channels, channels), instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0), seed=seed, **extra,
    )  # fmt: skip
    with_peaks = simulate_batch(1, **kw)["components"]
    no_peaks = {"white_line": (0.0, 0.0), "resonance_peak": (0.0, 0.0)}
    without = simulate_batch(1, **(kw | no_peaks))["components"]
    base = without["fine_edges_unit"][0]
    return with_peaks["fine_energy"][0], with_peaks["fine_edges_unit"][0] - base, base


@pytest.mark.parametrize(
    "element, lower, upper, low, high",
    [("Fe", "L3", "L2", 2.5, 6.5), ("Ti", "L3", "L2", 0.4, 1.3), ("Ba", "M5", "M4", 0.4, 1.3),
     ("Yb", "M5", "M4", 8.0, 30.0)],
)  # fmt: skip
def test_white_line_pairs_keep_the_branching_ratio(bank, element, lower, upper, low, high):
    # Area of the white lines alone (with minus without them, same draws) in
    # the first eV above each onset: Fe L3 >> L2, Ti about equal, Ba M4 the
    # larger, Yb M4 almost gone. This is what tells Co L3,2 from Ba M5,4.
    from eels_autoid.vocabulary import subshell_onsets

    on = subshell_onsets(element)
    a, b = on[lower], on[upper]
    ratios = []
    for seed in range(8):
        e, d, _ = _first_peaks(bank, element, a - 50, 1000, seed)
        split = min((a + b) / 2, a + 6)
        ratios.append(d[(e >= a) & (e < split)].sum() / d[(e >= b) & (e < b + 6)].sum())
    assert low < np.median(ratios) < high


def test_light_k_edges_sometimes_open_with_a_pi_star_peak(bank):
    # About half of the N K edges get a sharp peak of 1..10 edge jumps within
    # 3 eV of the onset (h-BN, N2, oxide pre-peaks); the other half does not.
    from eels_autoid.simulate._edges import PI_STAR_PROBABILITY
    from eels_autoid.vocabulary import subshell_onsets

    onset = subshell_onsets("N")["K"]
    sharp = []
    for seed in range(40):
        e, d, base = _first_peaks(bank, "N", onset - 50, 800, seed)
        jump = base[(e > onset + 10) & (e < onset + 20)].mean()
        sharp.append(d[(e >= onset) & (e < onset + 4)].max() > 0.5 * jump)
    assert abs(np.mean(sharp) - PI_STAR_PROBABILITY) < 0.25
    assert 0 < np.mean(sharp) < 1


def test_instrument_shift_mixture_of_calibrated_and_uncalibrated(bank):
    """80 % of spectra calibrated (sigma 1 eV), the rest uniform over +-15 eV."""
    f = DEFAULT_PARAMETERS.calibrated_fraction
    sigma = DEFAULT_PARAMETERS.calibration_error
    assert (f, sigma) == (0.8, 1.0)
    sim = simulate_batch(2000, seed=5, bank=bank)
    shift = np.asarray(sim["truth"]["instrument_shift"])
    assert np.abs(shift).max() <= 15.0
    # Within 3 sigma of zero: the calibrated ones plus 6 sigma / 30 eV of the others.
    near = np.mean(np.abs(shift) < 3 * sigma)
    expected = 0.997 * f + (1 - f) * 6 * sigma / 30
    assert expected - 0.03 < near < expected + 0.03
    # Far out only uncalibrated ones: 20/30 of them.
    assert abs(np.mean(np.abs(shift) > 5.0) - (1 - f) * 2 / 3) < 0.03
    # A fixed shift stays fixed; no calibrated fraction means uniform.
    fixed = simulate_batch(50, seed=5, bank=bank, instrument_shift=(3.0, 3.0))
    assert np.all(np.asarray(fixed["truth"]["instrument_shift"]) == 3.0)
    uniform = simulate_batch(2000, seed=5, bank=bank, calibrated_fraction=0.0)
    u = np.asarray(uniform["truth"]["instrument_shift"])
    assert abs(np.mean(np.abs(u) < 4.5) - 0.3) < 0.04


@pytest.mark.parametrize("element, low, high", [("La", 15.5, 20.5), ("Ho", 5.5, 10.5)])
def test_lanthanide_n45_opens_with_a_giant_resonance(bank, element, low, high):
    # The 4d -> 4f giant resonance: every La or Ho N4,5 edge gets one broad
    # maximum (FWHM 3..12 eV) of 1..10 edge jumps, ~18 eV above the onset for La
    # (117 eV in real La2O3) and ~8 eV for Ho (4f contraction), +-1.5 eV; Y M4,5
    # at a similar energy (no 4f) gets none.
    from eels_autoid.simulate._edges import has_giant_resonance
    from eels_autoid.vocabulary import subshell_onsets

    assert has_giant_resonance(57, "N5") and not has_giant_resonance(57, "N4")
    assert not has_giant_resonance(39, "M5") and not has_giant_resonance(26, "L3")
    onset = subshell_onsets(element)["N5"]
    peaks = []
    for seed in range(12):
        e, d, _ = _first_peaks(bank, element, onset - 40, 600, seed, background_level=(1e6, 1e6))
        assert d.min() >= -1e-6 * np.abs(d).max()
        peaks.append(e[np.argmax(d)] - onset)
        above = e[d > 0.5 * d.max()]
        # FWHM from the upper half: a peak drawn close to its template's start
        # loses part of its lower flank there.
        assert 2.0 <= 2 * (above[-1] - e[np.argmax(d)]) <= 14.0
    assert low <= min(peaks) and max(peaks) <= high
    assert np.ptp(peaks) > 2.0  # drawn, not fixed


@pytest.mark.parametrize("element", ["La", "Ho"])
def test_giant_resonance_rises_through_a_multiplet_below_its_maximum(bank, element):
    # Real lanthanide oxides rise 5..15 eV below the resonance's maximum through
    # weaker multiplet lines and a step (Atlas Ho2O3: a rise at ~157 eV and a
    # shoulder at ~162 eV under the 170 eV maximum). So the resonance carries
    # more intensity below its maximum than above it (a lone peak: as much),
    # and nothing below the maximum reaches its height.
    from eels_autoid.vocabulary import subshell_onsets

    onset = subshell_onsets(element)["N5"]
    ratios = []
    for seed in range(12):
        e, d, _ = _first_peaks(bank, element, onset - 40, 600, seed, background_level=(1e6, 1e6))
        top = e[np.argmax(d)]
        ratios.append(d[e < top].sum() / d[e > top].sum())
        assert d[e < top - 6.0].max() <= 0.95 * d.max()
    assert min(ratios) >= 1.0 and np.median(ratios) >= 1.15


def test_giant_resonance_peaks_climb_with_atomic_number():
    # Neighbouring lanthanides can only be told apart by where their N4,5
    # resonance peaks: each must sit above the previous element's, by more than
    # the drawn spread, and the oxides' peaks measured in the EELS Atlas
    # (La2O3 ~117 eV, Nd2O3 ~135 eV, Dy2O3 ~162 eV) stay where they are.
    from eels_autoid.simulate._edges import GIANT_RESONANCE_SPREAD, giant_resonance_offset
    from eels_autoid.vocabulary import subshell_onsets

    lanthanides = ["La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm"]
    lanthanides.append("Yb")
    peaks = np.array(
        [
            subshell_onsets(el)["N5"] + float(giant_resonance_offset(atomic_number(el)))
            for el in lanthanides
        ]
    )
    assert np.all(np.diff(peaks) >= GIANT_RESONANCE_SPREAD + 0.5)
    for el, real in (("La", 117.0), ("Nd", 135.0), ("Dy", 162.0)):
        assert abs(peaks[lanthanides.index(el)] - real) <= 2.0


def _template_region(params, white, lo, hi, seed, n=2000):
    """Fine-structure templates (all peaks but the white line), lo..hi eV above the onset."""
    from eels_autoid.simulate._edges import FS_LENGTH, FS_STEP, fine_structure_parts

    x = np.arange(FS_LENGTH) * FS_STEP
    parts = fine_structure_parts(np.random.default_rng(seed), n, params, np.full(n, white))
    return parts["rest"][:, (x >= lo) & (x <= hi)]


def test_edges_without_white_lines_get_a_main_near_edge_peak():
    # Real O K of oxides, Si K of SiO2, Al K of Al2O3 peak a few eV above the
    # onset at more than the edge jump. Templates without a white line get such
    # a main peak (3..15 eV up) in a good share of draws; those with white
    # lines do not (the white line is their main peak), and it scales with
    # fs_amplitude (zero leaves only the fixed 0.3 first peak near the onset).
    def strongest(params, white):
        return _template_region(params, white, 3, 15, seed=0).max(axis=1)

    plain = strongest(DEFAULT_PARAMETERS, False)
    assert 0.1 < np.mean(plain > 1.0) < 0.4
    assert np.mean(strongest(DEFAULT_PARAMETERS, True) > 1.0) < 0.06
    flat = strongest(DEFAULT_PARAMETERS.replace(fs_amplitude=(0.0, 0.0)), False)
    assert np.all(flat <= 0.3 + 1e-6)


def test_edges_without_white_lines_get_a_second_broad_resonance():
    # The multiple-scattering hump of oxides 15..35 eV above the O K onset
    # (~550-565 eV in Cr2O3 and Fe2O3), under where the Cr L3,2 white lines
    # sit: at half the edge jump or more in about half of the templates without
    # a white line, far less often with one; none without fine structure.
    plain = _template_region(DEFAULT_PARAMETERS, False, 15, 35, seed=1)
    top = plain.max(axis=1)
    assert np.mean(top > 0.5) > 0.4
    white = _template_region(DEFAULT_PARAMETERS, True, 15, 35, seed=1)
    assert np.mean(white.max(axis=1) > 0.5) < 0.3
    # Broad: 2 eV either side of the strongest of these humps it keeps most of
    # its height (a Gaussian of FWHM >= 6 eV keeps >= 73 %).
    big = np.nonzero(top > 1.0)[0]
    i = np.argmax(plain[big], axis=1)
    step = int(round(2.0 / FS_STEP))
    inner = (i >= step) & (i < plain.shape[1] - step)
    rows, i = big[inner], i[inner]
    shoulders = np.minimum(plain[rows, i - step], plain[rows, i + step]) / plain[rows, i]
    assert len(rows) > 20 and np.median(shoulders) > 0.6
    flat = _template_region(DEFAULT_PARAMETERS.replace(fs_amplitude=(0.0, 0.0)), False, 15, 35, 1)
    assert np.all(flat == 0.0)


def test_chemical_shifts_mostly_small(bank):
    """Per-element shifts: normal, sigma 2 eV (0.7 eV for La..Lu), clipped at +-5 eV;
    pinned or uniform on request."""
    sim = simulate_batch(600, seed=8, bank=bank)
    pairs = [c for comp in sim["truth"]["composition"] for c in comp]
    lanthanide = np.array([57 <= atomic_number(c["element"]) <= 71 for c in pairs])
    shifts = np.array([c["chemical_shift"] for c in pairs])
    other, four_f = shifts[~lanthanide], shifts[lanthanide]
    assert len(other) > 1000 and len(four_f) > 100
    assert np.abs(shifts).max() <= 5.0
    assert 1.7 < other.std() < 2.2
    assert 0.62 < np.mean(np.abs(other) < 2.0) < 0.74  # 0.68 for a normal
    # Neighbouring lanthanides' N4,5 onsets lie 4..7 eV apart.
    assert 0.55 < four_f.std() < 0.85
    assert np.mean(np.abs(four_f) < 2.0) > 0.99
    pinned = simulate_batch(20, seed=8, bank=bank, chemical_shift=(1.5, 1.5))
    assert {c["chemical_shift"] for comp in pinned["truth"]["composition"] for c in comp} == {1.5}
    uniform = simulate_batch(600, seed=8, bank=bank, chemical_shift_sigma=None)
    u = np.array([c["chemical_shift"] for comp in uniform["truth"]["composition"] for c in comp])
    assert 0.33 < np.mean(np.abs(u) < 2.0) < 0.47  # 0.4 for uniform +-5 eV


def test_rb_to_ag_m45_edges_rise_late_without_a_near_edge_peak():
    # Real 4d-metal oxides (EELS Atlas Y2O3, ZrO2, Nb2O5, Rh2O3, PdO) show their
    # M4,5 maximum 20..80 eV above the onset and nothing sharp at it; the
    # generic templates open with peaks in the first 15 eV.
    from eels_autoid.simulate._edges import FS_LENGTH, FS_STEP, fine_structure_parts
    from eels_autoid.simulate._fine_structure import _FS_DELAYED, _FS_PLAIN, _FS_WHITE, _fs_kind

    assert _fs_kind(atomic_number("Pd"), "M5") == _FS_DELAYED
    assert _fs_kind(atomic_number("Y"), "M4") == _FS_DELAYED
    assert _fs_kind(atomic_number("Pd"), "L3") == _FS_WHITE
    assert _fs_kind(atomic_number("Sn"), "M5") == _FS_PLAIN  # outside Rb..Ag
    assert _fs_kind(atomic_number("La"), "M5") == _FS_WHITE

    x = np.arange(FS_LENGTH) * FS_STEP
    n = 2000
    early, late = x <= 10, (x >= 30) & (x <= 70)
    for delayed in (False, True):
        rest = fine_structure_parts(
            np.random.default_rng(0),
            n,
            DEFAULT_PARAMETERS,
            np.zeros(n, bool),
            delayed=np.full(n, delayed),
        )["rest"]
        ratio = rest[:, late].mean() / rest[:, early].mean()
        sharp_start = np.percentile(rest[:, early].max(axis=1), 95)
        if delayed:
            assert ratio > 2.0 and sharp_start < 0.8
        else:
            assert ratio < 1.0 and sharp_start > 1.0


@pytest.mark.parametrize("element", ["Th", "U"])
def test_actinide_edges_are_added_unlabelled_with_a_delayed_4f_maximum(element):
    # The simulator puts an element outside the vocabulary into some spectra.
    # With it forced into every spectrum and everything else equal (same seed,
    # no noise, no detector defects), the difference of the two spectra is its
    # contribution alone: nothing below its 4f (N6,7) onset, then a delayed
    # maximum (centrifugal barrier of the f continuum), tens of eV above it;
    # and the labels do not change.
    import xraydb

    n6 = xraydb.xray_edges(element)["N6"].energy
    n7 = xraydb.xray_edges(element)["N7"].energy
    common = dict(
        seed=7,
        elements={"O": 1},
        noise=False,
        **window(250.0, 0.5, 800),
        spike_probability=0.0,
        dead_channel_probability=0.0,
        hot_channel_probability=0.0,
        foreign_amount=(0.5, 0.5),
        foreign_shift=0.0,
    )
    without = simulate_batch(16, foreign_fraction=0.0, **common)
    forced = simulate_batch(16, foreign_fraction=1.0, **common)
    names = forced["truth"]["foreign_element"]
    assert set(without["truth"]["foreign_element"]) == {""}
    assert all(names) and np.array_equal(forced["labels"], without["labels"])
    energy = 250.0 + 0.5 * np.arange(800)
    checked = 0
    for i, name in enumerate(names):
        if name != element:
            continue
        diff = forced["counts"][i] - without["counts"][i]
        assert diff.min() > -1e-3 * forced["counts"][i].max()
        # Below the 4f onset only the falling tail of the 5d (O4,5) edges at
        # 85..103 eV; above it the 4f edge rises over that tail (extrapolated
        # as a power law).
        below = energy < n7 - 10.0  # resolution and plural scattering spread it a little
        assert np.all(np.diff(diff[below]) < 1e-4 * diff[below].max())
        fit = np.polyfit(np.log(energy[below]), np.log(diff[below]), 1)
        tail = np.exp(np.polyval(fit, np.log(energy)))
        edge = (diff - tail)[energy < 640.0]  # before the 4d (N4,5) edges
        assert edge.max() > 0.2 * tail[energy < 640.0].min()
        assert energy[np.argmax(edge)] > n6 + 30.0
        checked += 1
    assert checked, f"no spectrum drew {element}"
