"""How the edges' measured shifts are combined into one energy offset."""

from dataclasses import replace

import numpy as np
import pytest

from eels_autoid.spectrum_model._onsets import SAME_RISE, EdgeShift, combine_shifts

GRID = np.arange(-25.0, 25.0 + 1e-9, 0.5)


def _edge(element, onset, best, correlation, width=1.0, partners=()):
    """An edge family whose rise correlates best at ``best`` eV, as a clear rise does."""
    curve = -0.2 + (correlation + 0.2) * np.exp(-0.5 * ((GRID - best) / width) ** 2)
    return EdgeShift(element, "M4,5", onset, best, correlation, tuple(GRID), tuple(curve), partners)


def test_two_wrong_explanations_of_one_rise_do_not_outvote_the_right_one():
    # Kr M4,5 rises at 89 eV, where the axis has it. Rb M4,5 (110 eV) and Be K
    # (111 eV) also match that rise, if the axis were 20 eV off: both land on
    # the same rise, which counts once.
    shifts = [
        _edge("Kr", 89.0, 0.0, 0.95),
        _edge("Rb", 110.0, 20.0, 0.98),
        _edge("Be", 111.0, 21.0, 0.97),
    ]
    offset, _ = combine_shifts(shifts, 3.0)
    assert offset == pytest.approx(0.0, abs=1.0)
    # Were their onsets further apart than a rise is wide, they would be two
    # rises agreeing on 20 eV.
    apart = [shifts[0], shifts[1], _edge("Be", 110.0 + 2 * SAME_RISE, 20.0, 0.97)]
    assert combine_shifts(apart, 3.0)[0] == pytest.approx(20.0, abs=1.0)


def test_edges_on_different_rises_all_count():
    # O K and Ti L2,3 both 4 eV off, against one clearer wrong match
    # elsewhere: two rises agreeing outweigh one.
    shifts = [
        _edge("O", 532.0, 4.0, 0.8),
        _edge("Ti", 456.0, 4.0, 0.8),
        _edge("V", 513.0, -15.0, 0.95),
    ]
    offset, _ = combine_shifts(shifts, 3.0)
    assert offset == pytest.approx(4.0, abs=1.0)


def test_one_element_on_two_rises_counts_both():
    # An element's two edge families are two rises of the data.
    shifts = [
        EdgeShift("Ba", "M4,5", 781.0, 6.0, 0.8, tuple(GRID), _edge("Ba", 781, 6.0, 0.8).curve),
        EdgeShift("Ba", "N4,5", 90.0, 6.0, 0.8, tuple(GRID), _edge("Ba", 90, 6.0, 0.8).curve),
        _edge("La", 832.0, -12.0, 0.95),
        _edge("Ce", 883.0, -12.0, 0.5),
    ]
    # By agreement alone (La's clear rise would otherwise hold the axis).
    offset, _ = combine_shifts(shifts, 3.0, every_rise=False)
    assert offset == pytest.approx(6.0, abs=1.0)


def test_a_move_that_leaves_a_clear_rise_without_an_edge_is_not_made():
    # B K and N K rise clearly, but 14 eV apart from where one offset would
    # put them: whichever is followed, the other's rise is left without an
    # edge, so the axis stays.
    shifts = [_edge("B", 188.0, -7.0, 0.85), _edge("N", 401.0, 7.0, 0.75)]
    assert combine_shifts(shifts, 3.0)[0] == 0.0
    # Candidates pooled from readings at several trial offsets are decided by
    # agreement alone: the clearer rise moves the axis.
    assert combine_shifts(shifts, 3.0, every_rise=False)[0] == pytest.approx(-7.0, abs=1.0)


def test_a_clear_rise_on_a_later_edge_of_a_placed_pair_is_explained():
    # CeO2 read 15 eV low: Ce M5 (883 eV) and O K agree on +15 eV; absent Ne
    # K (867 eV) finds its best match on Ce M4, 18 eV above M5, at 886 eV on
    # the axis. Ce M4 lands there once the axis moves: the move is made.
    ce, o, ne = (
        _edge("Ce", 883.0, 15.0, 0.9),
        _edge("O", 532.0, 15.0, 0.9),
        _edge("Ne", 867.0, -19.0, 0.7),
    )
    with_m4 = replace(ce, partners=(18.0,))
    assert combine_shifts([with_m4, o, ne], 3.0)[0] == pytest.approx(15.0, abs=1.0)
    # Without its second line, Ne's rise would be left without an edge.
    assert combine_shifts([ce, o, ne], 3.0)[0] == 0.0


def test_a_family_does_not_explain_its_own_rise_by_its_later_edge():
    # A heavy element's N4,5 family (N5, and N4 24 eV above) rises clearly 9.6
    # eV below its table onset; two other edges agree on +15.6 eV, where its
    # N4 line, not its N5, would land on that rise: the family would sit a
    # spin-orbit splitting off, so its rise stays unexplained and the axis
    # stays.
    bi = _edge("Bi", 440.0, -9.6, 0.85, partners=(24.0,))
    shifts = [bi, _edge("O", 532.0, 15.6, 0.8), _edge("Ti", 456.0, 15.6, 0.8)]
    assert combine_shifts(shifts, 3.0)[0] == 0.0
    # Placed by agreement alone, the axis would move there.
    assert combine_shifts(shifts, 3.0, every_rise=False)[0] == pytest.approx(15.6, abs=1.0)


def test_an_edge_whose_template_matches_poorly_still_explains_the_rise_it_lands_on():
    # LSMO read 10 eV low: La M4,5, Mn and Ti L2,3 agree on +10 eV. V L2,3
    # finds its best match on the O K rise (522 eV on the axis); O K, whose
    # pre-peak the tables' step does not hold, matches no better than chance
    # anywhere, but on +10 eV its edge lands on that rise: the move is made.
    shifts = [
        _edge("La", 832.0, 10.0, 0.88),
        _edge("Mn", 640.0, 10.0, 0.89),
        _edge("Ti", 456.0, 10.0, 0.78),
        _edge("V", 513.0, -9.5, 0.7),
        _edge("O", 532.0, 10.0, 0.25),
    ]
    assert combine_shifts(shifts, 3.0)[0] == pytest.approx(10.0, abs=1.0)
    # Without O among the candidates, V's rise would hold the axis.
    assert combine_shifts(shifts[:4], 3.0)[0] == 0.0


def test_a_best_match_at_the_end_of_the_shifts_tried_holds_no_axis():
    # Lu2O3 read 10 eV low: O K agrees on +10 eV with Lu; absent V L2,3
    # matches best at the very end of the 25 eV tried, on the flank of
    # whatever lies beyond. That is no maximum, so no clear rise: the move
    # is made.
    o, lu = _edge("O", 532.0, 10.0, 0.86), _edge("Lu", 1588.0, 10.0, 0.8)
    at_end = _edge("V", 513.0, 24.5, 0.68, width=3.0)
    assert not at_end.clear
    assert combine_shifts([o, lu, at_end], 3.0)[0] == pytest.approx(10.0, abs=1.0)
    # Matched as well inside the range, the same rise would hold the axis.
    inside = _edge("V", 513.0, 20.0, 0.68, width=3.0)
    assert inside.clear
    assert combine_shifts([o, lu, inside], 3.0)[0] == 0.0


def test_a_delayed_edge_matches_the_rise_under_its_steepest_part():
    # SrTiO3 read 10 eV high: Ti L2,3 and O K agree on -10.6 eV. Absent Sb
    # M4,5 (528 eV), a delayed edge whose cross-section rises most steeply
    # 20 eV above its onset, matches best at +5 eV: on the O K rise, 20 eV
    # above where its onset lands. O K lands there once the axis moves.
    ti, o = _edge("Ti", 456.0, -12.4, 0.76), _edge("O", 532.0, -8.8, 0.73)
    sb = replace(_edge("Sb", 528.0, 5.0, 0.78, partners=(9.0,)), lag=20.0)
    assert sb.rises == pytest.approx((523.0, 543.0))
    assert combine_shifts([ti, o, sb], 3.0)[0] == pytest.approx(-10.6, abs=1.0)
    # Were its rise at its onset, the move would leave it without an edge.
    assert combine_shifts([ti, o, replace(sb, lag=0.0)], 3.0)[0] == 0.0


def test_the_steepest_rise_of_each_table_edge_is_measured():
    # Sb M4,5 is delayed; V L2,3 opens with its white line.
    from autoid_testing import CALIBRATED_INSTRUMENT, CHECK_SETTINGS

    from eels_autoid.simulate import spectra
    from eels_autoid.spectrum_model import SpectrumModel

    s = spectra(
        1, elements={"Mg": 1, "O": 1}, seed=2, axis=(400.0, 0.25, 1600), **CALIBRATED_INSTRUMENT
    )
    energy, data = s.axes_manager.signal_axes[0].axis, s.data[0].astype(float)
    model = SpectrumModel(energy, ["V", "Sb", "O"], CHECK_SETTINGS)
    model.calibrate(data)
    lag = {s.element: s.lag for s in model.edge_shifts}
    assert lag["Sb"] > SAME_RISE
    assert abs(lag["V"]) < 2.0
    assert abs(lag["O"]) < SAME_RISE
