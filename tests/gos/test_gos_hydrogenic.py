"""Hydrogenic limit: pure Coulomb potential against exact results."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from eels_autoid.gos import HARTREE_EV, Atom, RadialGrid, subshell_gos


@pytest.fixture(scope="module")
def carbon_coulomb():
    # exspy's hydrogenic C K: Z_s = Z - 0.5 = 5.5, two electrons
    return Atom(6, [(1, 0, 2.0)], coulomb_charge=5.5)


def test_k_shell_matches_exspy_hydrogenic_gos(carbon_coulomb):
    hydrogenic_gos = pytest.importorskip("exspy._misc.eels.hydrogenic_gos")
    logging.disable(logging.WARNING)
    try:
        ref_gos = hydrogenic_gos.HydrogenicGOS("C_K")
    finally:
        logging.disable(logging.NOTSET)
    e_free = np.array([5.0, 10.0, 30.0, 100.0, 300.0, 1000.0])
    q = np.array([0.05, 0.1, 0.3, 1.0, 3.0, 6.0, 12.0])
    ours = subshell_gos(carbon_coulomb, 1, 0, e_free, q, lmax=20)
    eb = 5.5**2 * 13.606  # exspy's binding energy for Z_s = 5.5
    ref = np.array([[ref_gos.gosfuncK(eb + e, qq**2) for qq in q] for e in e_free])
    ratio = ours / ref
    assert np.all(np.abs(ratio - 1) < 0.005), ratio


@pytest.fixture(scope="module")
def hydrogen():
    # a wide box: the Coulomb continuum is normalised by its WKB amplitude far out
    return Atom(1, [(1, 0, 1.0)], grid=RadialGrid(r_max=200.0), coulomb_charge=1.0)


def _continuum_sum(atom, q):
    """Integral of df/dE over the continuum, with the analytic E^-7/2 tail."""
    e_free = np.concatenate([np.geomspace(1e-3, 2.0, 40)[:-1], np.geomspace(2.0, 3000.0, 160)])
    g = subshell_gos(atom, 1, 0, e_free, q, lmax=16)
    total = np.trapezoid(g, e_free, axis=0)
    e_loss = e_free[-1] + atom.binding_energy(1, 0) * HARTREE_EV
    return total + g[-1] * e_loss / 2.5


def test_bethe_sum_rule_small_q(hydrogen):
    # hydrogen 1s: the continuum holds 0.43501 of the dipole oscillator strength
    s = _continuum_sum(hydrogen, np.array([0.02]))
    assert s[0] == pytest.approx(0.43501, rel=0.01)


def test_continuum_sum_rises_towards_occupancy_at_large_q(hydrogen):
    q = np.array([0.02, 0.5, 1.0, 2.0, 4.0])
    s = _continuum_sum(hydrogen, q)
    assert np.all(np.diff(s) > 0), s
    assert s[-1] > 0.97 and s[-1] < 1.01, s
