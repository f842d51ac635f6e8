"""identify_edges reads a spectrum again where its edges place the axis far from where it says."""

import warnings

import numpy as np
import pytest

from eels_autoid import identify_edges, quantify


@pytest.mark.parametrize("shift", [-10.0, 10.0, 15.0, 20.0])
def test_an_axis_far_off_is_read_again_where_the_edges_place_it(superlattice_sum, shift, shifted):
    plain = identify_edges(superlattice_sum)
    s = shifted(superlattice_sum, shift)
    offset = s.axes_manager.signal_axes[0].offset
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = identify_edges(s)
    messages = [str(w.message) for w in caught]
    assert any("the spectra were read on the placed axis" in m for m in messages)
    # The first reading, on the axis as given, is replaced: its warning goes.
    assert not any("read on the axis as given" in m for m in messages)
    assert result.energy_shift == pytest.approx(-shift, abs=1.5)
    assert result.elements == plain.elements
    # The network alone reads the axis as it is; the user's axis is untouched.
    assert identify_edges(s, check=False).energy_shift == 0.0
    assert s.axes_manager.signal_axes[0].offset == offset


def test_an_axis_a_few_ev_off_is_read_as_it_is(superlattice_sum, shifted):
    """Within a chemical shift and a white line's width the check's windows place the edges."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = identify_edges(shifted(superlattice_sum, 2.0))
    assert result.energy_shift == 0.0


def test_a_lazy_result_reports_the_placement_without_reading_again(superlattice_sum, shifted):
    s = shifted(superlattice_sum, 10.0).as_lazy()
    result = identify_edges(s)
    assert result.energy_shift == 0.0
    with pytest.warns(UserWarning, match="read on the axis as given"):
        assert result.check.offset == pytest.approx(-10.0, abs=1.5)


def test_a_real_oxide_read_10_ev_low_is_read_and_quantified_on_the_placed_axis(
    real_spectra_dir,
):
    """SrTiO3 10 eV low: its O K edge reads as V L2,3 until the axis is placed."""
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_EELS_STO.dm3")
    s.axes_manager.signal_axes[0].offset -= 10.0
    assert "V" in identify_edges(s, check=False).elements
    with pytest.warns(UserWarning, match="The edges place the energy axis"):
        result = identify_edges(s)
    assert sorted(result.elements) == ["O", "Ti"]
    assert result.energy_shift == pytest.approx(10.0, abs=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = quantify(s, identification=result, show_progressbar=False)
    assert q.energy_offset == pytest.approx(result.energy_shift)
    assert np.isclose(sum(r.atomic_fraction for r in q.summary()), 1.0)


def test_a_real_oxide_whose_m4_line_matches_an_absent_edge_is_placed(real_spectra_dir):
    """CeO2 10 eV low: absent Ne K finds its best match on Ce M4, which the placed axis explains."""
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "Atlas_CeO2_0-0950eV.hspy")
    s.axes_manager.signal_axes[0].offset -= 10.0
    assert "Ce" not in identify_edges(s, check=False).elements
    with pytest.warns(UserWarning, match="The edges place the energy axis"):
        result = identify_edges(s)
    assert sorted(result.elements) == ["Ce", "O"]
    assert result.energy_shift > 5.0


def test_a_real_oxide_whose_o_k_rise_a_delayed_edge_matches_is_placed(real_spectra_dir):
    """SrTiO3 10 eV high: absent Sb M4,5, a delayed edge, matches O K 20 eV above its onset."""
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa")
    s.axes_manager.signal_axes[0].offset += 10.0
    assert "O" not in identify_edges(s, check=False).elements
    with pytest.warns(UserWarning, match="The edges place the energy axis"):
        result = identify_edges(s)
    assert sorted(result.elements) == ["O", "Ti"]
    assert result.energy_shift == pytest.approx(-10.0, abs=3.0)
