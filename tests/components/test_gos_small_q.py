"""GOS integration when the kinematic q_min falls below the computed tables.

q_min shrinks with the energy loss (q_min a0 ~ E / 2000 at 100 kV), so an
onset a fit moves towards 0 eV asks exspy's ``integrateq`` for q below the
first computed q (5e-4/bohr). The bundled tables start at the optical limit
instead, and ``VocabularyGoshGOS`` extends any table flat below its first q.
"""

from __future__ import annotations

import logging

import h5py
import numpy as np
import pytest

from eels_autoid.components import AutoIDEELSCLEdge
from eels_autoid.gos import (
    RadialGrid,
    cross_section,
    gosh_file,
    lda_atom,
    q_grid,
    subshell_gos,
)
from eels_autoid.gos._build import BUILD_SETTINGS, LMAX
from eels_autoid.gos._gosh import BOHR_M, OPTICAL_LIMIT_Q_AU

FIRST_COMPUTED_Q = q_grid(BUILD_SETTINGS["n_q"], *BUILD_SETTINGS["q_range_per_bohr"])[0]


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _exspy_edge(element_subshell, E0=100.0, beta=10.0):
    from exspy.components import EELSCLEdge

    edge = EELSCLEdge(element_subshell, GOS="dft", gos_file_path=str(gosh_file()))
    edge.set_microscope_parameters(E0=E0, alpha=0.0, beta=beta, energy_scale=0.1)
    return edge


def test_bundled_tables_start_with_their_optical_limit():
    with h5py.File(gosh_file(), "r") as h:
        for el in h:
            if el == "metadata":
                continue
            for t in h[el]:
                q = h[el][t]["q"][:] * BOHR_M
                assert q[0] == pytest.approx(OPTICAL_LIMIT_Q_AU, rel=1e-12), (el, t)
                assert q[1] == pytest.approx(FIRST_COMPUTED_Q, rel=1e-12), (el, t)
                d = h[el][t]["data"][0, :2, :]
                np.testing.assert_array_equal(d[0], d[1], err_msg=f"{el} {t}")


def test_gos_at_the_optical_limit_equals_the_first_computed_q():
    # The extension copies the first column; the GOS computed at the tiny q
    # must agree: core 1s and the diffuse valence 2s of boron.
    atom = lda_atom(
        5, grid=RadialGrid(**BUILD_SETTINGS["grid"]), refine=BUILD_SETTINGS["scf_refinement"]
    )
    e_free = np.array([0.1, 5.0, 100.0])
    q = np.array([OPTICAL_LIMIT_Q_AU, FIRST_COMPUTED_Q])
    for n, rtol in ((1, 1e-6), (2, 1e-4)):
        g = subshell_gos(atom, n, 0, e_free, q, lmax=LMAX)
        assert g.min() > 0
        np.testing.assert_allclose(g[:, 0], g[:, 1], rtol=rtol)


@pytest.mark.parametrize("onset", [-0.02, 1e-3, 0.3, 1.0, 1.1, 3.0])
def test_exspy_edge_with_an_onset_near_zero(onset):
    # 1 eV at 100 kV is where q_min crosses the first computed q: the
    # cross-section must not jump there and must match eels_autoid's own
    # integration (which has always taken the GOS flat below the table).
    edge = _exspy_edge("B_K")
    edge.onset_energy.value = onset
    E = onset + np.linspace(0.05, 60.0, 300)
    y = edge.function(E)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, cross_section("B", "K", E, 100.0, 10.0, onset=onset), rtol=1e-3)


def test_first_energy_cross_section_is_smooth_across_the_table_start():
    # With the GOS flat in q below the table, its integral over ln q^2 at the
    # onset falls linearly in ln q_min, i.e. in ln(onset): a constant slope
    # through the ~1 eV where q_min crosses the first computed q.
    edge = _exspy_edge("B_K")
    onsets = np.geomspace(0.5, 2.0, 21)
    first = []
    for onset in onsets:
        edge.onset_energy.value = onset
        first.append(edge.GOS.qint[0] * onset)  # the cross-section times E
    slopes = np.diff(first) / np.diff(np.log(onsets))
    assert np.all(slopes < 0)
    assert np.std(slopes) < 0.01 * np.abs(np.mean(slopes))


@pytest.mark.parametrize("beta", [10.0, 0.001])  # 0.001 mrad: q_max below 5e-4/bohr too
def test_component_gos_is_safe_below_any_table(beta):
    edge = AutoIDEELSCLEdge("B_K")
    edge.set_microscope_parameters(E0=100.0, alpha=0.0, beta=beta, energy_scale=0.1)
    # below even the bundled optical-limit column: q_min a0 ~ 5e-13
    edge.onset_energy.value = 1e-9
    assert np.all(np.isfinite(edge.GOS.qint)) and edge.GOS.qint.min() > 0
    # a table that starts at the first computed q, as other GOSH files may
    edge.onset_energy.value = 0.3
    full = edge.GOS.qint.copy()
    edge.GOS.qaxis = edge.GOS.qaxis[1:]
    edge.GOS.gos_array = edge.GOS.gos_array[:, 1:]
    edge._integrate_GOS()
    np.testing.assert_allclose(edge.GOS.qint, full, rtol=1e-12)


def _step_spectrum():
    from eels_autoid.signals import EELSAutoIDSpectrum

    data = np.zeros(200)
    data[25:] = 100.0  # a step at 175 eV, 13 eV below the tabulated B K onset
    s = EELSAutoIDSpectrum(data)
    s.set_microscope_parameters(100, 10, 10)
    s.axes_manager[-1].offset = 150
    s.add_elements(("B",))
    return s


def test_smart_fit_with_a_freed_onset():
    # the optimiser tries onsets near 0 eV on its way down to the step
    s = _step_spectrum()
    m = s.create_model(auto_background=False)
    edge = m.components.B_K
    m.enable_fine_structure()
    before = ((s.data - m.as_signal().data) ** 2).sum()
    m.free_edges()
    m.smart_fit()
    assert 170.0 < edge.onset_energy.value < 180.0
    assert edge.intensity.value > 0
    assert ((s.data - m.as_signal().data) ** 2).sum() < 0.75 * before
