"""The element and edge vocabulary against independent references (xraydb, exspy)."""

import numpy as np
import pytest

from eels_autoid import vocabulary as v


def test_elements_are_be_to_bi_in_z_order():
    xraydb = pytest.importorskip("xraydb")
    assert len(v.ELEMENTS) == 80
    assert [xraydb.atomic_number(el) for el in v.ELEMENTS] == list(range(4, 84))
    assert v.element_index("Be") == 0 and v.element_index("Bi") == 79
    with pytest.raises(ValueError, match="outside the vocabulary"):
        v.element_index("Li")


def test_unknown_element_is_an_error_not_a_neighbour():
    for symbol in ("U", "Th", "Xx"):
        with pytest.raises(ValueError, match="not an element"):
            v.atomic_number(symbol)


def _families(element):
    return {e.name for e in v.EDGES if e.element == element}


def test_edges_cover_the_107_of_annys_and_the_visible_extras():
    z = {el: v.atomic_number(el) for el in v.ELEMENTS}
    expected = set()
    expected |= {(el, "K") for el in v.ELEMENTS if 4 <= z[el] <= 17}
    expected |= {(el, "L2,3") for el in v.ELEMENTS if 14 <= z[el] <= 44}
    expected |= {(el, "M4,5") for el in v.ELEMENTS if 37 <= z[el] <= 83}
    expected |= {(el, "N4,5") for el in v.ELEMENTS if 57 <= z[el] <= 71}
    assert len(expected) == 107
    have = {(e.element, e.name) for e in v.EDGES}
    assert expected <= have
    assert {("Kr", "M4,5"), ("Cs", "N4,5"), ("Ba", "N4,5"), ("Rh", "L2,3")} <= have
    assert all(75 <= e.onset <= 3071 for e in v.EDGES)
    # Every vocabulary element has at least one identification edge.
    assert {e.element for e in v.EDGES} == set(v.ELEMENTS)


def test_onsets_follow_exspy_then_xraydb():
    xraydb = pytest.importorskip("xraydb")
    from exspy._misc.elements import elements as db

    for edge in v.EDGES:
        be = db[edge.element]["Atomic_properties"].get("Binding_energies", {})
        in_exspy = [be[s]["onset_energy (eV)"] for s in edge.subshells if s in be]
        if in_exspy:
            assert edge.onset == pytest.approx(min(in_exspy))
        else:
            xr = xraydb.xray_edges(edge.element)
            assert edge.onset == pytest.approx(min(xr[s].energy for s in edge.subshells), abs=0.1)
    # The edges exspy lacks come from xraydb.
    assert v.subshell_source("S", "K") == "xraydb"
    onsets = {(e.element, e.name): e.onset for e in v.EDGES}
    assert onsets["S", "K"] == pytest.approx(2472, abs=2)
    assert onsets["Cl", "K"] == pytest.approx(2822, abs=2)
    assert onsets["Ru", "L2,3"] == pytest.approx(2838, abs=2)


def test_bundled_edge_table_is_in_step_with_its_sources():
    pytest.importorskip("xraydb")
    assert v.build_edge_table() == v._table()


@pytest.mark.parametrize(
    ("start", "end", "element", "seen"),
    [
        (300, 560, "O", True),  # O K at 532 eV, 28 eV before the end
        (300, 545, "O", False),  # within the 20 eV margin
        (540, 900, "O", False),  # onset before the window
        (700, 890, "La", True),  # La M4,5 at 832 eV: delayed, 50 eV margin
        (700, 870, "La", False),
    ],
)
def test_observable_uses_onset_and_margin(start, end, element, seen):
    assert (element in v.observable_elements(start, end)) is seen


def test_observable_elements_are_in_z_order_and_match_edges():
    els = v.observable_elements(395, 906)
    assert els == sorted(els, key=v.atomic_number)
    assert {"O", "Ti", "Mn", "La"} <= set(els)
    assert "Sr" not in els  # Sr has no edge between 395 and 906 eV


def test_edge_to_background_ratio_definition():
    e = np.arange(400.0, 700.0)
    background = 1e5 * (e / 400) ** -3
    edge = 0.1 * background * (e >= 532)
    assert v.edge_to_background_ratio(e, edge, background, 532, 50) == pytest.approx(0.1)
    # Batched, and NaN for a window without channels.
    r = v.edge_to_background_ratio(e, np.stack([edge, 2 * edge]), background, 532, 50)
    np.testing.assert_allclose(r, [0.1, 0.2])
    assert np.isnan(v.edge_to_background_ratio(e, edge, background, 900, 50))
    delayed = next(x for x in v.EDGES if x.label == "La M4,5")
    assert v.ratio_width(delayed) == 100 and delayed.margin == 50


def test_edge_range_is_the_default_grid_range(monkeypatch):
    import importlib.util
    import sys

    from eels_autoid import energy_grid

    assert v.EDGE_RANGE == energy_grid.DEFAULT_GRID.valid_range
    # The same module read beside another default grid (100..2000 eV)
    # tabulates the edges of that grid's range.
    other_grid = energy_grid.EnergyGrid(start=100.0, size=1901, valid_from=0.0)
    monkeypatch.setattr(energy_grid, "DEFAULT_GRID", other_grid)
    name = "eels_autoid._vocabulary_on_another_grid"
    spec = importlib.util.spec_from_file_location(name, v.__file__)
    other = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, other)
    spec.loader.exec_module(other)
    assert other.EDGE_RANGE == (100.0, 2000.0)
    kept = {(e.element, e.name, e.onset) for e in other.EDGES}
    assert kept == {(e.element, e.name, e.onset) for e in v.EDGES if 100.0 <= e.onset <= 2000.0}
    assert len(kept) < len(v.EDGES)
