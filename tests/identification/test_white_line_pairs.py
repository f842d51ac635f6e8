"""The check's white-line pair test: an L2,3 or M4,5 element needs its lower line to rise too."""

import warnings

import numpy as np
import pytest
from autoid_testing import CALIBRATED_INSTRUMENT as FIXED
from autoid_testing import CHECK_SETTINGS as SETTINGS

from eels_autoid import identify_edges, vocabulary
from eels_autoid.identification._check import check_spectrum
from eels_autoid.simulate import spectra
from eels_autoid.spectrum_model._pairs import MIN_LINE_SHARE, MIN_LOWER_SHARE, pair_rises


def _spectrum(elements, axis, seed=5):
    s = spectra(1, elements=elements, seed=seed, axis=axis, background_level=(1e5, 1e5), **FIXED)
    return s.axes_manager.signal_axes[0].axis, s.data[0].astype(float)


def _l23(element):
    onsets = vocabulary.subshell_onsets(element)
    return {sub: onsets[sub] for sub in ("L3", "L2")}


def _pair(energy, data, element, axis_shift=0.0):
    (pair,) = pair_rises(energy, data, element, _l23(element), SETTINGS, [axis_shift], 3.0)
    return pair


@pytest.mark.parametrize("element", ["Ti", "V", "Mn", "Fe"])
def test_a_present_l23_pair_rises_at_both_lines(element):
    energy, data = _spectrum({element: 1, "O": 1}, (400.0, 0.25, 2000))
    pair = _pair(energy, data, element)
    assert pair.holds
    assert pair.lower > MIN_LOWER_SHARE * pair.upper > 0
    assert abs(pair.shift) <= 1.5


def test_an_o_k_edge_read_10_ev_low_is_not_a_v_l23_pair():
    # O K at 532 eV on an axis 10 eV low sits where V L2 (521 eV) would be;
    # nothing rises at V L3 (513 eV).
    energy, data = _spectrum({"Mg": 1, "O": 1}, (400.0, 0.25, 1600))
    low = energy - 10.0
    assert not _pair(low, data, "V").holds
    # What V L2 stands on there is the O K rise: on the right axis, what the
    # lines find is noise, too small to show a pair.
    right, wrong = _pair(low, data, "V", axis_shift=10.0), _pair(low, data, "V")
    assert right.lower + right.upper < MIN_LINE_SHARE * (wrong.lower + wrong.upper)


def test_the_check_drops_v_on_an_o_k_edge_read_low():
    energy, data = _spectrum({"Mg": 1, "O": 1}, (400.0, 0.25, 1600))
    result = check_spectrum(
        energy - 10.0, data, {"V": 0.99, "O": 0.3}, {"V": 0.5, "O": 0.5}, SETTINGS, offset=0.0
    )
    assert "V" not in result.elements
    assert result.checks["V"].reason == "its L3 line does not rise with its L2 line"


def test_a_confident_reading_whose_lines_do_not_rise_is_dropped():
    # Cu L2,3 (931 and 951 eV) proposed with 0.99 in an iron oxide that has
    # none: without the pair test the network's word would keep it.
    energy, data = _spectrum({"Fe": 2, "O": 3}, (400.0, 0.5, 1300))
    proposed = {"Fe": 0.99, "O": 0.99, "Cu": 0.99}
    result = check_spectrum(energy, data, proposed, dict.fromkeys(proposed, 0.5), SETTINGS)
    assert result.elements == ["Fe", "O"]
    assert result.checks["Cu"].reason == "its L3 line does not rise with its L2 line"


def test_a_present_pair_on_an_axis_left_10_ev_off_is_kept():
    # Mn L2,3 and O K with the axis held 10 eV high (offset 0 given, as where
    # a calibration does not move it): Mn stays.
    energy, data = _spectrum({"Mn": 1, "O": 1}, (450.0, 0.25, 1600))
    proposed = {"Mn": 0.99, "O": 0.99}
    result = check_spectrum(
        energy + 10.0, data, proposed, dict.fromkeys(proposed, 0.5), SETTINGS, offset=0.0
    )
    assert result.elements == ["Mn", "O"]


def test_real_ne_k_is_not_read_as_nickel(real_spectra_dir, bundled_default):
    # Gas Ne K (867 eV) lies 5 eV below Ni L2 (872 eV) in the tables, and
    # 2 eV lower still on this axis; the network proposes Ni, whose L3 line
    # (855 eV) does not rise.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "Atlas_Ne_0580-0870eV.hspy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, model=bundled_default)
    assert result.elements == ["Ne"]
    ni = result.check.checks["Ni"]
    assert ni.network_probability > 0.5 and not ni.confirmed
    assert ni.reason == "its L3 line does not rise with its L2 line"


@pytest.mark.parametrize(
    ("name", "shift", "element"),
    [("MnO_coreloss.msa", 10.0, "Mn"), ("Atlas_La2O3_0700-1710eV.hspy", -5.0, "La")],
)
def test_a_real_pair_on_an_axis_the_check_leaves_off_is_kept(
    real_spectra_dir, bundled_default, name, shift, element
):
    # Axes the check does not move (another element's clear rise, or no
    # clear gain, holds them): the element's own rise, the clearest in the
    # spectrum or agreeing with a partner's, says where its lines are.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / name)
    s.axes_manager.signal_axes[0].offset += shift
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, model=bundled_default)
    assert element in result.elements


def test_the_pair_fit_never_lets_a_line_fall():
    # Against a bounded least-squares solver: the lines' amounts are the
    # optimum with both >= 0 (the constant free), on problems whose
    # unconstrained optimum has one amount negative.
    from scipy.optimize import lsq_linear

    from eels_autoid.spectrum_model._pairs import _rising_lines

    rng = np.random.default_rng(0)
    x = np.linspace(-1.0, 1.0, 80)
    lines = np.column_stack([np.exp(-((x + 0.3) ** 2) / 0.02), np.exp(-((x - 0.3) ** 2) / 0.02)])
    columns = np.column_stack([lines, np.ones_like(x)])
    for amounts in ([1.0, -0.6], [-0.5, 1.0], [-1.0, -1.0], [0.8, 0.4]):
        g = lines @ amounts + 0.2 + 0.02 * rng.standard_normal(len(x))
        coef, misfit = _rising_lines(columns, g)
        bounded = lsq_linear(columns, g, bounds=([0, 0, -np.inf], [np.inf, np.inf, np.inf]))
        assert coef == pytest.approx(bounded.x, abs=1e-6)
        assert misfit == pytest.approx(float(np.sum((g - columns @ bounded.x) ** 2)), rel=1e-9)


def test_an_l23_pair_whose_upper_line_does_not_rise_does_not_hold():
    from eels_autoid.spectrum_model._pairs import PairRise

    # Where L2 should rise, nothing does: the fit put L3 on another edge.
    assert not PairRise("V", ("L3", "L2"), 8.0, 0.0, 1.0, 0.0).holds
    assert PairRise("V", ("L3", "L2"), 8.0, 0.0, 1.0, 0.5).holds
    # Yb's M4 line is all but absent (one 4f hole, of j = 7/2): M5 alone holds.
    assert PairRise("Yb", ("M5", "M4"), 38.0, 0.0, 1.0, 0.0).holds


def test_a_pair_that_holds_only_by_the_noise_where_nothing_rises_is_not_kept():
    # O K read 10 eV low sits on V L2. Tried also where O K places the axis,
    # V's lines land before any edge: that they "hold" there is noise, and
    # the fit with lines of V's size, where the L3 line does not rise,
    # judges the pair.
    energy, data = _spectrum({"Mg": 1, "O": 1}, (400.0, 0.25, 1600))
    low = energy - 10.0
    (pair,) = pair_rises(low, data, "V", _l23("V"), SETTINGS, [10.0, 0.0], 3.0)
    assert not pair.holds
    (noise,) = pair_rises(low, data, "V", _l23("V"), SETTINGS, [10.0], 3.0)
    assert noise.holds
    assert noise.lower + noise.upper < MIN_LINE_SHARE * (pair.lower + pair.upper)


@pytest.mark.parametrize("name", ["Atlas_CdO_0-0910eV.hspy", "Atlas_Y2O3_0-0950eV.hspy"])
def test_real_o_k_read_10_ev_low_is_not_reported_as_vanadium(
    real_spectra_dir, bundled_default, name
):
    # The network reads the O K edge 10 eV low as V L2,3: V's L3 line does
    # not rise, wherever the pair is tried.
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / name)
    s.axes_manager.signal_axes[0].offset -= 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, model=bundled_default)
    assert "V" not in result.elements
    v = result.check.checks["V"]
    assert v.network_probability > 0.5 and not v.confirmed
