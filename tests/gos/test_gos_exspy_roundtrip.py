"""exspy reads the bundled file offline: create_model and fit."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from eels_autoid.gos import gosh_file

exspy = pytest.importorskip("exspy")

CASES = [
    ("C", (250.0, 450.0), ["C_K"]),
    ("Fe", (650.0, 900.0), ["Fe_L3", "Fe_L2"]),
    ("Ba", (740.0, 900.0), ["Ba_M5", "Ba_M4"]),
    ("Ce", (90.0, 200.0), ["Ce_N5", "Ce_N4"]),
    ("Au", (2150.0, 2450.0), ["Au_M5", "Au_M4"]),
]


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _spectrum(lo, hi):
    E = np.arange(lo, hi, 0.5)
    s = exspy.signals.EELSSpectrum(np.ones_like(E))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = lo, 0.5, "eV"
    s.set_microscope_parameters(beam_energy=200, collection_angle=30, convergence_angle=5)
    return s, E


@pytest.mark.parametrize("element, window, edges", CASES)
def test_create_model_with_bundled_file(element, window, edges):
    s, E = _spectrum(*window)
    s.add_elements([element])
    m = s.create_model(auto_background=False, GOS="dft", gos_file_path=str(gosh_file()))
    names = [c.name for c in m]
    for e in edges:
        assert e in names
    edge = m[edges[0]]
    y = edge.function(E)
    assert np.all(np.isfinite(y)) and y.max() > 0
    assert np.all(y[E < edge.onset_energy.value] == 0)
    # fit the intensities back from a spectrum the model makes with intensity 3
    for c in m:
        c.intensity.value = 3.0
    s.data = m.as_signal().data.copy()
    for c in m:
        c.intensity.value = 1.0
    m.fit()
    for e in edges:
        assert m[e].intensity.value == pytest.approx(3.0, rel=1e-3)
