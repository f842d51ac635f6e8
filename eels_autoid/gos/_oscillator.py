"""Generalised oscillator strength of one subshell (Leapman-Rez-Mayers sum).

For a subshell ``(n, l)`` holding ``N`` electrons, the GOS per unit energy
loss ``E`` at momentum transfer ``q`` is, in atomic units,

.. math::

    \\frac{df}{dE}(q, E) = \\frac{2E}{q^2} N \\sum_{l'} \\sum_\\lambda
        (2l' + 1)(2\\lambda + 1)
        \\begin{pmatrix} l' & \\lambda & l \\\\ 0 & 0 & 0 \\end{pmatrix}^2
        \\left| \\int_0^\\infty P_{\\epsilon l'}(r)\\, j_\\lambda(qr)\\, P_{nl}(r)\\, dr \\right|^2

with ``epsilon = E - E_b`` the kinetic energy of the ejected electron and
``P_{epsilon l'}`` normalised per Hartree (Leapman, Rez and Mayers,
J. Chem. Phys. 72 (1980) 1232). The radial integrals are matrix products
over the part of the grid where the bound orbital lives; the spherical Bessel
functions ``j_lambda(q r)`` are computed once per (q grid, r grid) and cached.
"""

from __future__ import annotations

import functools
from math import lgamma

import numpy as np
from scipy.special import spherical_jn

from ._atom import HARTREE_EV, Atom, RadialGrid
from ._blas import single_threaded_blas
from ._continuum import continuum_waves

__all__ = ["three_j_zero", "subshell_gos", "bound_window"]


def three_j_zero(a: int, b: int, c: int) -> float:
    """Wigner 3j symbol ``(a b c; 0 0 0)``."""
    J = a + b + c
    if J % 2 or c > a + b or c < abs(a - b):
        return 0.0
    g = J // 2
    logv = 0.5 * (
        lgamma(J - 2 * a + 1) + lgamma(J - 2 * b + 1) + lgamma(J - 2 * c + 1) - lgamma(J + 2)
    )
    logv += lgamma(g + 1) - lgamma(g - a + 1) - lgamma(g - b + 1) - lgamma(g - c + 1)
    return (-1) ** g * float(np.exp(logv))


def bound_window(P, inner=1e-4, outer=1e-9) -> slice:
    """Grid range where the bound orbital ``P`` matters to the radial integrals.

    Near the nucleus ``P ~ r^(l+1)`` and the continuum also vanishes as a
    power of ``r``, so points where ``|P| < inner max|P|`` contribute far less
    than 1e-9 of the integrals; far out the orbital decays exponentially below
    ``outer max|P|``.
    """
    a = np.abs(P)
    big = np.nonzero(a > inner * a.max())[0]
    tail = np.nonzero(a > outer * a.max())[0]
    return slice(int(big[0]), int(tail[-1]) + 1)


def _j0_minus_one(x):
    """``j_0(x) - 1`` without cancellation at small ``x``."""
    x2 = x * x
    series = -x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = np.sin(x) / x - 1.0
    return np.where(x < 0.05, series, direct)


class _BesselCache:
    """``j_lambda(q r)`` on a (q grid, r grid) pair, computed lazily per lambda.

    For ``lambda = 0`` it holds ``j_0(qr) - 1``: the constant part of the
    monopole operator only measures the (numerical) non-orthogonality of
    the continuum and bound states, which would otherwise add a spurious
    ``1/q^2`` term at small ``q``.
    """

    def __init__(self, q, r):
        self.q, self.r = q, r
        self._j = {}

    def __call__(self, lam: int):
        if lam not in self._j:
            x = np.multiply.outer(self.q, self.r)
            self._j[lam] = _j0_minus_one(x) if lam == 0 else spherical_jn(lam, x)
        return self._j[lam]


@functools.lru_cache(maxsize=2)  # ~200 MB each for the production grids
def _bessel_cache(q_key: bytes, grid_key: tuple, r_key: bytes) -> _BesselCache:
    q = np.frombuffer(q_key)
    r = np.frombuffer(r_key)
    return _BesselCache(q, r)


def subshell_gos(atom: Atom, n: int, l: int, free_energies_ev, q_au, lmax=24, occupancy=None):
    """GOS per eV of subshell ``(n, l)`` of ``atom``.

    Parameters
    ----------
    atom : Atom
        A converged atom (its potential is used for the continuum: the
        ground-state, neutral-atom central field).
    n, l : int
        The subshell.
    free_energies_ev : array_like
        Kinetic energies of the ejected electron (eV); the energy loss is
        the binding energy (``-eigenvalue``) plus each.
    q_au : array_like
        Momentum transfers (1/bohr).
    lmax : int
        Largest final-state angular momentum ``l'``.
    occupancy : float, optional
        Electrons in the subshell; defaults to the atom's configuration.

    Returns
    -------
    ndarray, shape (n_E, n_q)
        ``df/dE`` in 1/eV.
    """
    with single_threaded_blas():
        return _subshell_gos(atom, n, l, free_energies_ev, q_au, lmax, occupancy)


def _subshell_gos(atom, n, l, free_energies_ev, q_au, lmax, occupancy):
    g: RadialGrid = atom.grid
    P0 = atom.orbitals[(n, l)]
    occ = atom.occupations[(n, l)] if occupancy is None else float(occupancy)
    e_free = np.asarray(free_energies_ev, dtype=float) / HARTREE_EV
    q = np.ascontiguousarray(q_au, dtype=float)
    win = bound_window(P0)
    Pc = continuum_waves(g, atom.potential, e_free, lmax, win)
    cache = _bessel_cache(q.tobytes(), g.key(), np.ascontiguousarray(g.r).tobytes())
    lo, hi = win.start, win.stop
    f0 = P0[lo:hi] * g.weights[lo:hi]
    S = np.zeros((e_free.size, q.size))
    for lp in range(lmax + 1):
        M = Pc[:, lp, :] * f0
        if not M.any():
            continue
        for lam in range(abs(lp - l), lp + l + 1, 2):
            c = three_j_zero(lp, lam, l)
            if c == 0.0:
                continue
            R = M @ cache(lam)[:, lo:hi].T
            S += (2 * lp + 1) * (2 * lam + 1) * c * c * R * R
    e_loss = atom.binding_energy(n, l) + e_free
    return 2.0 * e_loss[:, None] / q[None, :] ** 2 * occ * S / HARTREE_EV
