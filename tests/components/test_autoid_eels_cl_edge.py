"""AutoIDEELSCLEdge: edges exspy's database lacks, from the bundled tables."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("exspy")

from eels_autoid import vocabulary  # noqa: E402
from eels_autoid.components import AutoIDEELSCLEdge  # noqa: E402
from eels_autoid.gos import cross_section  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.parametrize("element_subshell", ["S_K", "Cl_K", "Ru_L3", "Ru_L2"])
def test_edges_missing_from_exspy(element_subshell):
    from exspy.components import EELSCLEdge

    element, sub = element_subshell.split("_")
    with pytest.raises(ValueError):
        EELSCLEdge(element_subshell, GOS="hydrogenic")  # exspy cannot
    edge = AutoIDEELSCLEdge(element_subshell)
    assert isinstance(edge, EELSCLEdge)
    onset = vocabulary.subshell_onsets(element)[sub]
    assert edge.onset_energy.value == onset
    edge.set_microscope_parameters(E0=200.0, alpha=0.0, beta=20.0, energy_scale=0.5)
    E = np.arange(onset - 50.0, onset + 300.0, 0.5)
    y = edge.function(E)
    assert np.all(y[E < onset] == 0) and y[E >= onset].min() > 0
    np.testing.assert_allclose(y, cross_section(element, sub, E, 200.0, 20.0), rtol=2e-3)


def test_ru_l23_ratio_and_fit_in_a_model():
    import exspy

    E = np.arange(2700.0, 3200.0, 1.0)
    s = exspy.signals.EELSSpectrum(np.zeros_like(E))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = E[0], 1.0, "eV"
    s.set_microscope_parameters(beam_energy=200, collection_angle=20, convergence_angle=0)
    m = s.create_model(auto_background=False, auto_add_edges=False)
    l3, l2 = AutoIDEELSCLEdge("Ru_L3"), AutoIDEELSCLEdge("Ru_L2")
    m.extend([l3, l2])
    assert l3.E0 == 200 and l3.collection_angle == 20
    far = np.array([3150.0])
    # same 2p table: L3 twice L2 at the same energy above each onset
    assert l3.GOS.subshell_factor == pytest.approx(2 * l2.GOS.subshell_factor)
    s.data = 2.0 * l3.function(E) + 5.0 * l2.function(E)
    l3.intensity.value = l2.intensity.value = 1.0
    m.fit()
    assert l3.intensity.value == pytest.approx(2.0, rel=1e-3)
    assert l2.intensity.value == pytest.approx(5.0, rel=1e-3)
    assert l3.function(far)[0] > 0


def test_reconstruct_from_dictionary():
    edge = AutoIDEELSCLEdge("Cl_K")
    d = edge.GOS.as_dictionary(True)
    again = AutoIDEELSCLEdge(d, GOS="dft")
    assert again.onset_energy.value == edge.onset_energy.value
    np.testing.assert_array_equal(again.GOS.gos_array, edge.GOS.gos_array)


def test_unknown_subshell_and_gos_rejected():
    with pytest.raises(ValueError):
        AutoIDEELSCLEdge("S_M4")
    with pytest.raises(ValueError):
        AutoIDEELSCLEdge("S_K", GOS="hydrogenic")
