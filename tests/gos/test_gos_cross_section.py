"""Cross-sections from the bundled tables: against hydrogenic and exspy."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from eels_autoid.gos import (
    OCCUPANCY_RATIO,
    cross_section,
    cross_section_settings,
    effective_angle,
    gosh_file,
    table_cross_section,
)
from eels_autoid.gos._gosh import read_table


def _exspy_edge(element_subshell, **kw):
    components = pytest.importorskip("exspy.components")
    logging.disable(logging.WARNING)
    try:
        return components.EELSCLEdge(element_subshell, **kw)
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.parametrize("element, onset", [("C", 284.0), ("O", 532.0)])
def test_k_edges_within_five_percent_of_hydrogenic(element, onset):
    E = np.arange(onset, onset + 100.0, 0.5)
    ours = cross_section(element, "K", E, 200.0, 20.0)
    h = _exspy_edge(f"{element}_K", GOS="hydrogenic")
    h.set_microscope_parameters(E0=200.0, alpha=0.0, beta=20.0, energy_scale=0.5)
    ref = h.function(E)
    ratio = np.trapezoid(ours, E) / np.trapezoid(ref, E)
    assert abs(ratio - 1) < 0.05, ratio


@pytest.mark.parametrize(
    "element_subshell", ["C_K", "Fe_L3", "Fe_L2", "Ba_M5", "Ce_N4", "Au_M4", "Na_L2,3", "Cr_M3"]
)
@pytest.mark.parametrize("alpha, beta, E0", [(0.0, 20.0, 200.0), (25.0, 15.0, 300.0)])
def test_same_as_exspy_with_the_bundled_file(element_subshell, alpha, beta, E0):
    element, sub = element_subshell.split("_")
    edge = _exspy_edge(element_subshell, GOS="dft", gos_file_path=str(gosh_file()))
    edge.set_microscope_parameters(E0=E0, alpha=alpha, beta=beta, energy_scale=0.5)
    E = np.arange(20.0, 3200.0, 0.5)
    ref = edge.function(E)
    ours = cross_section(element, sub, E, E0, beta, alpha)
    assert ours.max() > 0
    np.testing.assert_allclose(ours, ref, rtol=2e-3, atol=2e-3 * ref.max())


def test_zero_below_onset_and_positive_above():
    E = np.linspace(600.0, 1200.0, 601)
    y = cross_section("Fe", "L3", E, 200.0, 30.0)
    assert np.all(y[E < 708.0] == 0)
    assert np.all(y[E >= 708.0] > 0)


def test_combined_name_sums_partners_at_their_onsets():
    E = np.linspace(600.0, 1200.0, 601)
    both = cross_section("Fe", "L2,3", E, 200.0, 30.0)
    np.testing.assert_allclose(
        both, cross_section("Fe", "L3", E, 200.0, 30.0) + cross_section("Fe", "L2", E, 200.0, 30.0)
    )
    # L3 carries two thirds of the 2p table, L2 one third
    l3 = cross_section("Fe", "L3", np.array([900.0]), 200.0, 30.0, onset=708.0)
    l2 = cross_section("Fe", "L2", np.array([900.0]), 200.0, 30.0, onset=708.0)
    assert l3[0] / l2[0] == pytest.approx(2.0, rel=1e-6)


def test_shapes_and_onset_override():
    E = np.linspace(250.0, 500.0, 60).reshape(3, 20)
    y = cross_section("C", "K", E, 200.0, 20.0)
    assert y.shape == E.shape
    # a shifted onset (chemical shift) is handled as exspy shifts a GOSH table
    edge = _exspy_edge("C_K", GOS="dft", gos_file_path=str(gosh_file()))
    edge.set_microscope_parameters(E0=200.0, alpha=0.0, beta=20.0, energy_scale=0.5)
    edge.onset_energy.value = 289.0
    shifted = cross_section("C", "K", E.ravel(), 200.0, 20.0, onset=289.0)
    assert np.all(shifted[E.ravel() < 289.0] == 0)
    np.testing.assert_allclose(shifted, edge.function(E.ravel()), rtol=2e-3)


def test_larger_angle_more_signal_and_convergence_angle_matches_exspy_rule():
    E = np.linspace(284.0, 384.0, 101)
    small = np.trapezoid(cross_section("C", "K", E, 200.0, 10.0), E)
    large = np.trapezoid(cross_section("C", "K", E, 200.0, 50.0), E)
    assert large > small
    beta_eff = effective_angle(200.0, 284.0, 30.0, 10.0)
    np.testing.assert_allclose(
        cross_section("C", "K", E, 200.0, 10.0, 30.0), cross_section("C", "K", E, 200.0, beta_eff)
    )


def test_unknown_subshell_raises():
    with pytest.raises(ValueError):
        cross_section("C", "M4", np.arange(10.0), 200.0, 20.0)


def test_repeated_calls_are_cheap():
    E = np.arange(100.0, 2100.0, 1.0)
    cross_section("Ba", "M5", E, 200.0, 20.0)
    t = time.perf_counter()
    for _ in range(200):
        cross_section("Ba", "M5", E, 200.0, 20.0)
    assert (time.perf_counter() - t) / 200 < 0.01


@pytest.mark.parametrize(
    "element, subshell, onset", [("C", "K", None), ("Fe", "L2,3", None), ("Au", "M5", 2210.0)]
)
def test_settings_at_once_are_the_cross_sections_one_by_one(element, subshell, onset):
    E = np.arange(200.0, 3500.0, 0.5).reshape(2, -1)
    e0 = np.array([[60.0], [120.0], [300.0]])
    beta = np.array([1.0, 20.0, 150.0])
    alpha = np.array([[0.0], [5.0], [30.0]])
    many = cross_section_settings(element, subshell, E, e0, beta, alpha, onset=onset)
    assert many.shape == (3, 3) + E.shape
    for i in range(3):
        for j in range(3):
            one = cross_section(element, subshell, E, e0[i, 0], beta[j], alpha[i, 0], onset=onset)
            assert one.max() > 0
            np.testing.assert_allclose(many[i, j], one, rtol=1e-12, atol=1e-14 * one.max())


def test_settings_at_once_take_scalars_and_refuse_an_onset_for_a_pair():
    E = np.linspace(250.0, 500.0, 60)
    np.testing.assert_array_equal(
        cross_section_settings("C", "K", E, 200.0, 20.0), cross_section("C", "K", E, 200.0, 20.0)
    )
    with pytest.raises(ValueError, match="onset"):
        cross_section_settings("Fe", "L2,3", E, [200.0], [20.0], onset=700.0)


@pytest.mark.parametrize(
    "element, subshell, table, onset", [("Fe", "L3", "L23", 708.0), ("Ba", "M4", "M45", 796.0)]
)
@pytest.mark.parametrize("alpha, beta, E0", [(0.0, 20.0, 200.0), (25.0, 15.0, 300.0)])
def test_table_in_memory_gives_the_same_cross_section_as_the_file(
    element, subshell, table, onset, alpha, beta, E0
):
    t = read_table(gosh_file(), element, table)
    E = np.arange(onset - 50.0, onset + 1500.0, 0.5)
    from_file = cross_section(element, subshell, E, E0, beta, alpha, onset=onset)
    in_memory = table_cross_section(
        np.array(t.gos, dtype=float),
        t.q_au,
        t.free_energies,
        E,
        onset,
        E0,
        beta,
        alpha,
        occupancy_ratio=OCCUPANCY_RATIO[subshell],
    )
    assert from_file.max() > 0
    np.testing.assert_allclose(in_memory, from_file, rtol=1e-10, atol=1e-12 * from_file.max())
    # the whole (n, l) table is the sum of its spin-orbit partners
    whole = table_cross_section(t.gos, t.q_au, t.free_energies, E, onset, E0, beta, alpha)
    np.testing.assert_allclose(whole, from_file / OCCUPANCY_RATIO[subshell], rtol=1e-10)


def test_table_in_memory_checks_its_shape():
    t = read_table(gosh_file(), "C", "K1")
    with pytest.raises(ValueError, match="shape"):
        table_cross_section(
            t.gos[:, 1:], t.q_au, t.free_energies, np.arange(300.0, 400.0), 284, 200, 20
        )
