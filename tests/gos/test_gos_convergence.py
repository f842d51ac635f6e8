"""Numerical convergence of integrated cross-sections (each change < 0.5 %).

C K and Fe L3, 200 kV, 100 eV windows, collection semi-angles of 20 and
100 mrad. Each numerical parameter of the production build is compared with
a more demanding value: grid step, box radius, largest final-state angular
momentum and the density of the (E, q) table grid.
"""

from __future__ import annotations

import functools

import pytest
from gos_helpers import integrated

from eels_autoid.gos import Atom, RadialGrid, free_energy_grid, lda_atom, q_grid, subshell_gos
from eels_autoid.gos._build import BUILD_SETTINGS, LMAX

# a light (E, q) grid for the parameter scans: E_free up to 160 eV covers the window
E_SCAN = free_energy_grid(40, 160.0)
Q_SCAN = q_grid(40)
CASES = [("C", 6, "K", 1, 0), ("Fe", 26, "L3", 2, 1)]


@functools.cache
def _fine_atom(Z):
    """The production SCF (on the grid refined BUILD_SETTINGS["scf_refinement"] times)."""
    return Atom(Z, grid=RadialGrid().refined(BUILD_SETTINGS["scf_refinement"]))


def _sigma(tmp_path, case, atom, lmax=LMAX, e=E_SCAN, q=Q_SCAN, betas=(20.0, 100.0)):
    element, _, sub, n, l = case
    g = subshell_gos(atom, n, l, e, q, lmax=lmax)
    return [integrated(g, q, e, element, sub, tmp_path, beta=b, n=n, l=l) for b in betas]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_grid_step_and_lmax(tmp_path, case):
    scf = _fine_atom(case[1])
    production = scf.on_grid(RadialGrid())
    ref = _sigma(tmp_path, case, production)
    # halving the step (the continuum and the integrals on dx = 0.01)
    fine = scf.on_grid(RadialGrid().refined(2))
    assert _sigma(tmp_path, case, fine) == pytest.approx(ref, rel=0.005)
    # ten more final-state partial waves
    assert _sigma(tmp_path, case, production, lmax=LMAX + 10) == pytest.approx(ref, rel=0.005)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_box_radius(tmp_path, case):
    ref = _sigma(tmp_path, case, _fine_atom(case[1]).on_grid(RadialGrid()))
    wide = lda_atom(case[1], grid=RadialGrid(r_max=60.0))
    assert _sigma(tmp_path, case, wide) == pytest.approx(ref, rel=0.005)


def test_table_grid(tmp_path):
    """The production (E, q) grid against one twice as dense in both (C K)."""
    case = CASES[0]
    atom = _fine_atom(case[1]).on_grid(RadialGrid())
    ne, nq = BUILD_SETTINGS["n_free_energies"], BUILD_SETTINGS["n_q"]
    emax = BUILD_SETTINGS["free_energy_max_eV"]
    e1, e2 = free_energy_grid(ne, emax), free_energy_grid(2 * ne - 1, emax)
    # the 100 eV window needs the energies up to ~200 eV only
    e1, e2 = e1[e1 < 250.0], e2[e2 < 250.0]
    ref = _sigma(tmp_path, case, atom, e=e1, q=q_grid(nq))
    dense = _sigma(tmp_path, case, atom, e=e2, q=q_grid(2 * nq - 1))
    assert dense == pytest.approx(ref, rel=0.005)
