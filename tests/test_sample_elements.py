"""Sample.elements holds the last identification's elements and those set by hand."""

import numpy as np
import pytest


@pytest.fixture
def srtio3(real_spectra_dir):
    import hyperspy.api as hs

    return hs.load(real_spectra_dir / "SrTiO3_hl.msa", signal_type="EELS_autoid")


def test_a_second_identification_replaces_the_first(srtio3, bundled_default):
    s = srtio3
    data = s.data.copy()
    low = s.identify_edges(model=bundled_default, threshold=0.001, check=False)
    assert len(low.elements) > 2
    high = s.identify_edges(model=bundled_default)
    assert sorted(s.metadata.Sample.elements) == high.elements
    assert sorted(s.elements) == high.elements
    assert not any(sub.split("_")[0] not in high.elements for sub in s.subshells)
    np.testing.assert_array_equal(s.data, data)
    q = s.quantify(beam_energy=200.0, convergence_angle=10.0, collection_angle=20.0)
    assert {r.element for r in q.summary()} == set(high.elements)


def test_elements_set_by_hand_stay(srtio3, bundled_default):
    s = srtio3
    s.add_elements(["Sr"])
    s.identify_edges(model=bundled_default, threshold=0.001)
    s.identify_edges(model=bundled_default)
    assert "Sr" in s.metadata.Sample.elements
    found = set(s.metadata.Sample.identified_elements)
    assert set(s.metadata.Sample.elements) == found | {"Sr"}


def test_an_identification_that_finds_nothing_clears_the_last_one(srtio3, bundled_default):
    s = srtio3
    s.identify_edges(model=bundled_default)
    assert s.metadata.Sample.elements
    s.identify_edges(model=bundled_default, threshold=0.999999)
    assert s.metadata.Sample.elements == []
