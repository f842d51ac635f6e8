"""identify_edges(check=True): the network's answer checked against the spectrum model."""

import math
import warnings

import numpy as np
import pytest
from autoid_testing import CALIBRATED_INSTRUMENT as FIXED
from autoid_testing import CHECK_SETTINGS as SETTINGS

from eels_autoid import identify_edges
from eels_autoid.identification import SpectrumCheck
from eels_autoid.identification._check import SIGNIFICANT, UNSUPPORTED, check_map, check_spectrum
from eels_autoid.simulate import spectra, spectrum_image
from eels_autoid.vocabulary import observable_elements


def _spectrum(elements, axis, seed=4, level=1e5, **parameters):
    s = spectra(
        1,
        elements=elements,
        seed=seed,
        axis=axis,
        background_level=(level, level),
        **FIXED,
        **parameters,
    )
    return s.axes_manager.signal_axes[0].axis, s.data[0].astype(float)


def _signal(energy, data):
    import exspy

    s = exspy.signals.EELSSpectrum(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = energy[0], energy[1] - energy[0], "eV"
    return s


def _check(energy, data, probabilities):
    return check_spectrum(energy, data, probabilities, dict.fromkeys(probabilities, 0.5), SETTINGS)


@pytest.fixture(scope="module")
def boron_nitride():
    """B K and N K with strong near-edge peaks (pi* and sigma*, within 35 eV of each onset)."""
    return _spectrum(
        {"B": 1, "N": 1},
        (120.0, 0.5, 1000),
        fs_amplitude=(0.6, 0.6),
        resonance_peak=(8.0, 10.0),
        white_line=(60.0, 80.0),
        edge_ratio=(0.5, 0.5),
        fs_span=(30.0, 35.0),
    )


def test_near_edge_peaks_are_not_read_as_other_elements(boron_nitride):
    # As the network proposes on hBN: Sc L2,3 on the N K peaks, Cl L2,3 on
    # the B K ones, Ar L2,3 on the B K tail.
    proposed = {"B": 0.99, "N": 0.95, "Sc": 0.98, "Cl": 0.9, "Ar": 0.6}
    result = _check(*boron_nitride, proposed)
    assert result.elements == ["B", "N"]
    assert result.checks["Sc"].rival == "N" and result.checks["Cl"].rival == "B"
    assert result.checks["N"].rival == "Sc"
    assert result.checks["B"].evidence > 100 * SIGNIFICANT
    assert not result.checks["Ar"].confirmed and result.checks["Ar"].evidence < SIGNIFICANT


def test_a_lanthanide_confirmed_by_m45_explains_its_neighbours_n45():
    # Ce N4,5 (110 eV) and Pr N4,5 (114 eV): with Ce's M4,5 in the window and
    # Pr's cut off by its end, Pr is seen through N4,5 alone, which Ce's
    # resonance covers.
    energy, data = _spectrum({"Ce": 1, "O": 2}, (70.0, 0.5, 1770), level=1e6)
    result = _check(energy, data, {"Ce": 0.99, "O": 0.99, "Pr": 0.9})
    assert result.elements == ["Ce", "O"]
    assert result.checks["Pr"].rival == "Ce" and result.checks["Ce"].rival == "Pr"


def test_of_two_overlapping_n45_resonances_the_network_preferred_stays():
    energy, data = _spectrum({"Er": 2, "O": 3}, (60.0, 0.5, 800), level=1e6, seed=1)
    result = _check(energy, data, {"Er": 0.99, "Tm": 0.8})
    assert result.elements == ["Er"]
    assert result.checks["Tm"].rival == "Er"
    # Far enough apart to be told by their onsets, both are judged by the spectrum.
    assert abs(result.checks["Er"].evidence) >= SIGNIFICANT


def test_a_lanthanide_seen_through_n45_alone_names_its_likeliest_neighbour():
    # Er N4,5 (168 eV) alone in the window: Ho (161 eV) and Tm (180 eV) lie
    # within the resonance's width, Gd (141 eV) does not; none is a
    # candidate, and the one the network likes best is named.
    energy, data = _spectrum({"Er": 2, "O": 3}, (60.0, 0.5, 800), level=1e6, seed=1)
    probabilities = {"Er": 0.99, "Tm": 0.2, "Ho": 0.1, "Gd": 0.24}
    result = _check(energy, data, probabilities)
    assert result.elements == ["Er"]
    assert result.checks["Er"].rival == "Tm"
    assert "Tm" not in result.checks
    probabilities.update(Tm=0.05)
    assert _check(energy, data, probabilities).checks["Er"].rival == "Ho"
    # Seen through its M4,5 edges, a lanthanide is told from its neighbours.
    energy, data = _spectrum({"Ce": 1, "O": 2}, (70.0, 0.5, 1770), level=1e6)
    result = _check(energy, data, {"Ce": 0.99, "O": 0.99, "Pr": 0.2, "La": 0.1})
    assert result.elements == ["Ce", "O"] and result.checks["Ce"].rival == ""


@pytest.mark.parametrize(
    "elements, axis",
    [
        ({"La": 1, "Mn": 1, "O": 3}, (400.0, 0.5, 1200)),
        ({"Fe": 2, "O": 3}, (450.0, 0.5, 1000)),
        ({"Ti": 1, "O": 2}, (350.0, 0.5, 800)),
        ({"Ca": 1, "C": 1, "O": 3}, (200.0, 0.25, 2000)),
        ({"Sr": 1, "Ti": 1, "O": 3}, (1500.0, 1.0, 1000)),
    ],
)
def test_every_element_of_a_compound_is_confirmed(elements, axis):
    energy, data = _spectrum(elements, axis)
    end = axis[0] + axis[1] * axis[2]
    visible = [el for el in elements if el in observable_elements(axis[0], end)]
    result = _check(energy, data, dict.fromkeys(visible, 0.9))
    assert result.elements == sorted(visible)
    assert all(result.checks[el].evidence >= SIGNIFICANT for el in visible)
    fractions = [result.checks[el].fraction for el in visible]
    assert sum(fractions) == pytest.approx(1.0, abs=1e-6)


@pytest.fixture(scope="module")
def iron_oxide():
    """Fe L2,3 and O K, 400..1050 eV: Ne K (867 eV) and Cu L2,3 (931 eV) lie in it, absent."""
    return _spectrum({"Fe": 2, "O": 3}, (400.0, 0.5, 1300))


def test_a_confident_reading_the_fit_does_not_need_stays_and_says_so(iron_oxide):
    # No other element explains Ne's edge and the fit gives it nothing:
    # the spectrum does not overrule a confident network there (the model
    # may not hold the spectrum), but the reason says so, and a hesitant
    # reading is dropped.
    confident = _check(*iron_oxide, {"Fe": 0.99, "O": 0.99, "Ne": 0.99})
    ne = confident.checks["Ne"]
    assert ne.evidence < SIGNIFICANT and not ne.rival
    assert ne.confirmed and ne.reason == UNSUPPORTED and ne.probability >= 0.5
    assert confident.checks["Fe"].reason != UNSUPPORTED
    hesitant = _check(*iron_oxide, {"Fe": 0.99, "O": 0.99, "Ne": 0.7})
    assert hesitant.elements == ["Fe", "O"]
    assert hesitant.checks["Ne"].probability < 0.5
    # A spectrum image's sum: only the spectrum model confirms there.
    energy, data = iron_oxide
    readings = {"Fe": 0.99, "O": 0.99, "Ne": 0.99}
    limits = dict.fromkeys(readings, 0.5)

    def predict(spectrum):
        return dict(readings)

    for image, expected in ((True, ["Fe", "O"]), (False, ["Fe", "Ne", "O"])):
        checked = check_map(data, [], predict, energy, limits, SETTINGS, image=image)
        assert checked.elements == expected


def test_an_edge_on_another_elements_onset_is_a_rival():
    # Pr M5 and Cu L3 both at 931 eV: where the network prefers Pr, Cu is
    # reported as its rival, not as a second element.
    energy, data = _spectrum({"Pr": 2, "O": 3}, (800.0, 0.5, 1100))
    result = _check(energy, data, {"Pr": 0.99, "Cu": 0.7})
    assert "Pr" in result.elements and "Cu" not in result.elements
    assert result.checks["Cu"].rival == "Pr" and result.checks["Pr"].rival == "Cu"


def test_a_smooth_background_confirms_nothing():
    rng = np.random.default_rng(0)
    energy = 300.0 + 0.5 * np.arange(1500)
    data = rng.poisson(1e5 * (energy / energy[0]) ** -3.0).astype(float)
    result = _check(energy, data, {"O": 0.8, "Cr": 0.7, "Mn": 0.6, "Fe": 0.6})
    assert result.elements == []
    assert all(c.evidence < SIGNIFICANT for c in result.checks.values())
    assert result.unreported_signal == []


def test_edges_the_network_left_below_its_threshold_are_unreported_signal():
    # Pr M4,5 at 10^5 counts, the network unsure (0.4 against its 0.5): the
    # check confirms nothing, but it says the spectrum needs Pr's edges.
    energy, data = _spectrum({"Pr": 2, "O": 3}, (800.0, 0.5, 1100))
    result = _check(energy, data, {"Pr": 0.4, "Cu": 0.3})
    assert result.elements == []
    assert [c.element for c in result.unreported_signal] == ["Pr"]
    assert result.unreported_signal[0].evidence >= SIGNIFICANT


def test_a_pure_noise_spectrum_reports_nothing():
    rng = np.random.default_rng(1)
    energy = 300.0 + 0.5 * np.arange(1500)
    s = _signal(energy, rng.poisson(50.0, 1500).astype(float))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert identify_edges(s).elements == []
    # Nothing here, so no warning that an empty answer hides edges.
    assert not any("not empty" in str(w.message) for w in caught)


def test_a_map_whose_pixels_flip_the_network_keeps_its_elements():
    # At these counts the network reports Pm and Pr (N4,5 beside nothing) in
    # more than 5 % of a Cu-Zn map's pixels; the summed spectrum's check
    # confirms Cu and Zn only, and the neighbours of the flipped pixels do
    # not show them either.
    s = spectrum_image(
        [{"Cu": 1, "Zn": 1}],
        (12, 12),
        seed=1,
        axis=(850.0, 0.5, 600),
        **FIXED,
        background_level=(1e3, 1e3),
    )
    plain = identify_edges(s, check=False, show_progressbar=False)
    assert set(plain.elements) > {"Cu", "Zn"}
    checked = identify_edges(s, show_progressbar=False)
    assert checked.elements == ["Cu", "Zn"]
    # The per-pixel probabilities stay the network's.
    np.testing.assert_array_equal(checked.probabilities.data, plain.probabilities.data)


@pytest.fixture(scope="module")
def confined_layer():
    """Fe2O3 with La in one column of a 20 x 20 map (5 % of the pixels)."""
    layout = np.zeros((20, 20), dtype=int)
    layout[:, 9] = 1
    return spectrum_image(
        [{"Fe": 2, "O": 3}, {"Fe": 2, "O": 3, "La": 1}],
        (20, 20),
        layout=layout,
        seed=2,
        axis=(450.0, 0.5, 1000),
        background_level=(3e4, 3e4),
        edge_ratio=(0.5, 1.0),
        **FIXED,
    )


def test_an_element_in_a_few_pixels_is_found_in_its_region(confined_layer):
    result = identify_edges(confined_layer, show_progressbar=False)
    assert result.elements == ["Fe", "La", "O"]
    la = result.check.checks["La"]
    assert la.found_by == "region" and la.evidence >= SIGNIFICANT
    # The summed spectrum alone does not show it.
    summed = confined_layer.sum(confined_layer.axes_manager.navigation_axes)
    assert "La" not in identify_edges(summed).elements
    # Its map shows where: the column, not the rest.
    m = np.asarray(result.get_map("La").data)
    assert m[:, 9].mean() > 0.9 and np.delete(m, 9, axis=1).mean() < 0.05
    row = next(r for r in result.summary() if r.element == "La")
    assert row.detected and row.found_by == "region"


def test_a_lazy_map_is_checked_as_in_memory(confined_layer):
    eager = identify_edges(confined_layer, show_progressbar=False)
    lazy = identify_edges(confined_layer.as_lazy(), show_progressbar=False)
    assert lazy.elements == eager.elements
    # Sums in the data's precision (float32) on both paths, in another order.
    assert lazy.check.checks["La"].evidence == pytest.approx(
        eager.check.checks["La"].evidence, rel=1e-4
    )


def test_summary_and_csv_carry_the_evidence(boron_nitride, tmp_path):
    s = _signal(*boron_nitride)
    result = identify_edges(s)
    rows = {r.element: r for r in result.summary()}
    for el in result.elements:
        assert rows[el].evidence >= SIGNIFICANT and 0 < rows[el].fraction <= 1
        assert rows[el].checked_probability > 0.5
    unchecked = [r for r in rows.values() if r.element not in result.check.checks]
    assert all(math.isnan(r.evidence) and r.rival == "" for r in unchecked)
    result.summary().to_csv(tmp_path / "summary.csv")
    import csv

    with open(tmp_path / "summary.csv") as f:
        table = list(csv.DictReader(f))
    assert {"element", "detected", "evidence", "fraction", "rival", "found_by"} <= set(table[0])
    detected = [r["element"] for r in table if r["detected"] == "true"]
    assert sorted(detected) == result.elements


def test_check_false_is_the_network_alone(boron_nitride):
    s = _signal(*boron_nitride)
    result = identify_edges(s, check=False)
    assert result.check is None
    p = np.asarray(result.probabilities.data)
    names = result.probabilities.metadata.EELS_autoid.elements
    above = {el for el, q, t in zip(names, p, result.thresholds, strict=True) if q > t}
    expected = sorted(above & set(result.observable))
    assert result.elements == expected


def test_input_the_check_cannot_judge_falls_back_to_the_network_with_a_warning():
    energy = 300.0 + 8.0 * np.arange(200)
    rng = np.random.default_rng(2)
    data = rng.poisson(1e5 * (energy / 300.0) ** -3 * (1 + 0.3 * (energy > 532))).astype(float)
    result = _check(energy, data, {"O": 0.9, "Pr": 0.6})
    assert isinstance(result, SpectrumCheck) and "coarse" in result.fallback
    assert result.elements == ["O", "Pr"]
    assert all(math.isnan(c.evidence) for c in result.checks.values())


def test_a_background_subtracted_spectrum_falls_back_with_a_warning(boron_nitride):
    energy, data = boron_nitride
    pre = energy < 180
    slope, level = np.polyfit(np.log(energy[pre]), np.log(data[pre]), 1)
    s = _signal(energy, data - np.exp(level) * energy**slope)
    with pytest.warns(UserWarning, match="could not check"):
        result = identify_edges(s)
    assert "subtracted" in result.check.fallback
    assert result.elements == identify_edges(s, check=False).elements


def test_the_check_leaves_the_signal_alone(confined_layer):
    s = confined_layer.deepcopy()
    before = s.data.copy()
    identify_edges(s, show_progressbar=False)
    np.testing.assert_array_equal(s.data, before)


def test_boron_nitride_near_edge_peaks_are_not_a_lanthanide(real_spectra_dir, bundled_default):
    # Real hBN: the network proposes Lu (N4,5 at 195 eV) on the B K sigma*
    # peaks and Sc (L2,3 at 402 eV) on the N K ones. Lu's edge gets no amount;
    # its near-edge terms alone only reshape B K, which makes no element.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "hBN_highloss.dm3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, model=bundled_default)
    assert result.elements == ["B", "N"]
    assert result.check.checks["Lu"].network_probability > 0.5  # proposed: the check decided
    assert result.check.checks["Lu"].evidence < SIGNIFICANT


def test_a_real_map_keeps_the_elements_only_its_regions_invent_out(
    real_spectra_dir, bundled_default
):
    # The iron-oxide map's pixels propose Ba and La; a region summed over
    # them is read with Ba likely but gives Ba's edges no evidence. A
    # region's reading is the best of many, so its word alone adds nothing.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "FeOx_SI_19x17.dm3")
    s.set_signal_type("EELS_autoid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = s.identify_edges(model=bundled_default, show_progressbar=False)
    assert sorted(s.metadata.Sample.elements) == ["Fe", "O"]
    assert result.elements == ["Fe", "O"]


def test_an_element_kept_on_the_networks_word_is_named_in_a_warning(
    real_spectra_dir, bundled_default
):
    # Real Sm2O3 M4,5 with its axis 10 eV low: the network still reads Sm
    # (its white-line pair), while the spectrum model, on the axis as given,
    # finds no evidence for Sm's edges and no element that explains them.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "Atlas_Sm2O3_0820-1840eV.hspy")
    s.axes_manager.signal_axes[0].offset -= 10.0
    with pytest.warns(UserWarning, match="Kept on the network's word: Sm"):
        result = identify_edges(s, model=bundled_default)
    assert result.elements == ["Sm"]
    sm = result.check.checks["Sm"]
    assert sm.reason == UNSUPPORTED and sm.evidence < SIGNIFICANT


def test_an_empty_answer_on_strong_edges_warns(real_spectra_dir, bundled_default):
    # Real Pr6O11 from 0 eV: the network gives Pr 0.70 and Nd 0.75, both
    # under its threshold, to the strong N4,5 resonance. The answer is
    # empty, and the warning says the spectrum needs those edges.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "Atlas_Pr6O11_0-0380eV.hspy")
    with pytest.warns(UserWarning, match="uncertain, not empty"):
        result = identify_edges(s, model=bundled_default)
    assert result.elements == []
    (unreported,) = result.check.unreported_signal
    assert {unreported.element, unreported.rival} == {"Pr", "Nd"}
