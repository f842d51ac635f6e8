"""Continuum states of a central potential, normalised per unit energy.

The radial equation for ``P_{E,l}(r)`` is integrated outwards with Numerov's
method on the grid of :class:`~eels_autoid.gos._atom.RadialGrid`, all
``(E, l)`` pairs at once ("lanes"): one Python step per grid point, each a
handful of vector operations over all lanes. The amplitude is then fixed far
out:

* where the potential is short-ranged and has vanished (a neutral atom:
  ``|r V| < 1e-4`` at ``r_max`` and the residual potential is below 2 % of
  the kinetic energy across the matching window
  ``[0.7 r_max, r_max]``), by a least-squares fit of ``P`` to
  ``a z j_l(z) + b z y_l(z)``, ``z = kr`` (Riccati-Bessel functions), and
* otherwise (a Coulomb tail, as in the hydrogenic validation), by the
  WKB amplitude invariant ``kappa (P^2 + (P'/kappa)^2)`` with the local wave
  number ``kappa^2 = 2 (E - V) - (l + 1/2)^2 / r^2``,

so that ``P -> sqrt(2 / (pi k)) sin(k r + phase)``: normalised to a delta
function in energy (per Hartree).
"""

from __future__ import annotations

import numpy as np
from scipy.special import spherical_jn, spherical_yn

from ._atom import RadialGrid

__all__ = ["continuum_waves"]

_RESCALE_AT = 1e150


def _tail_indices(grid: RadialGrid, fraction=0.7, samples=96):
    """Indices of the matching window ``[fraction r_max, r_max]``."""
    lo = int(np.searchsorted(grid.r, fraction * grid.r_max))
    idx = np.unique(np.linspace(lo, grid.size - 2, samples).astype(int))
    return idx


def continuum_waves(grid: RadialGrid, V, energies, lmax, window):
    """Energy-normalised continuum radial functions on part of the grid.

    Parameters
    ----------
    grid : RadialGrid
    V : ndarray
        Central potential on the grid (Ha).
    energies : array_like
        Kinetic energies of the ejected electron (Ha), all > 0.
    lmax : int
        Largest orbital angular momentum; ``l = 0 .. lmax`` are computed.
    window : slice
        Grid points to return (the region where the bound orbital lives).

    Returns
    -------
    P : ndarray, shape (n_E, lmax + 1, n_window)
        ``P_{E,l}(r)`` normalised per Hartree. Lanes that cannot be
        normalised (``k r_max < 0.3``; with a Coulomb tail, waves still
        under the centrifugal barrier, ``k r < l + 3``) carry negligible
        weight inside the atom and are returned as zero.
    """
    E = np.atleast_1d(np.asarray(energies, dtype=float))
    L = np.arange(lmax + 1, dtype=float)
    nE, nL = E.size, L.size
    El = np.repeat(E, nL)
    Ll = np.tile(L, nE)
    LL = Ll * (Ll + 1.0)
    r, rp2 = grid.r, grid.dr_dx**2
    a_pt = 2.0 * rp2 * V + grid.q_term
    b_pt = 2.0 * rp2
    c_pt = rp2 / r**2
    h12 = grid.dx**2 / 12.0

    lo, hi = window.start or 0, window.stop if window.stop is not None else grid.size
    tail = _tail_indices(grid)
    store = np.zeros((El.size, hi - lo))
    tail_store = np.zeros((El.size, tail.size))
    tail_pos = {int(i): j for j, i in enumerate(tail)}
    # tail derivative (for the WKB invariant) needs the neighbours as well
    tail_next = np.zeros_like(tail_store)
    tail_prev = np.zeros_like(tail_store)
    next_pos = {int(i) + 1: j for j, i in enumerate(tail)}
    prev_pos = {int(i) - 1: j for j, i in enumerate(tail)}

    def gfun(i):
        return a_pt[i] - b_pt[i] * El + c_pt[i] * LL

    # start in the r^(l+1) regime near the nucleus, at a safe magnitude
    y1 = np.full(El.size, 1e-30)
    y0 = y1 * (r[0] / r[1]) ** (Ll + 1.0) * np.sqrt(grid.dr_dx[1] / grid.dr_dx[0])
    g0, g1 = gfun(0), gfun(1)
    u0 = (1.0 - h12 * g0) * y0
    u1 = (1.0 - h12 * g1) * y1
    for i, y in ((0, y0), (1, y1)):
        if lo <= i < hi:
            store[:, i - lo] = y
    n = grid.size
    # Numerov in the "u = (1 - h^2 g / 12) y" form: u_{i+1} = 2 u_i - u_{i-1} + h^2 g_i y_i
    y_cur, g_cur = y1, g1
    for i in range(1, n - 1):
        g_next = a_pt[i + 1] - b_pt[i + 1] * El + c_pt[i + 1] * LL
        u2 = 2.0 * u1 - u0 + 12.0 * h12 * g_cur * y_cur
        y_next = u2 / (1.0 - h12 * g_next)
        j = i + 1
        if lo <= j < hi:
            store[:, j - lo] = y_next
        if j in tail_pos:
            tail_store[:, tail_pos[j]] = y_next
        if j in next_pos:
            tail_next[:, next_pos[j]] = y_next
        if j in prev_pos:
            tail_prev[:, prev_pos[j]] = y_next
        u0, u1, y_cur, g_cur = u1, u2, y_next, g_next
        if (i & 15) == 0:
            big = np.abs(y_cur) > _RESCALE_AT
            if big.any():
                f = np.where(big, 1.0 / _RESCALE_AT, 1.0)
                u0, u1, y_cur = u0 * f, u1 * f, y_cur * f
                store[big] /= _RESCALE_AT
                tail_store[big] /= _RESCALE_AT
                tail_prev[big] /= _RESCALE_AT
                tail_next[big] /= _RESCALE_AT

    sq = np.sqrt(grid.dr_dx)
    P_tail = tail_store * sq[tail]
    k = np.sqrt(2.0 * El)
    rt = r[tail]
    # The free (Riccati-Bessel) fit is used wherever the residual potential
    # is below 2 % of the kinetic energy across the window (amplitude error
    # < 1 %, and far less except within ~1 eV of threshold in heavy atoms),
    # the WKB invariant elsewhere (Coulomb tails).
    short_range = abs(V[-1] * r[-1]) < 1e-4
    free = short_range & (np.max(np.abs(V[tail])) / El < 0.02)
    norm = np.zeros(El.size)
    if free.any():
        norm[free] = _riccati_bessel_norm(P_tail[free], k[free], Ll[free], rt)
    if (~free).any():
        dP = (tail_next * sq[tail + 1] - tail_prev * sq[tail - 1]) / (r[tail + 1] - r[tail - 1])
        half = 0.5 * (r[tail + 1] - r[tail - 1])
        c = ~free
        norm[c] = _wkb_norm(P_tail[c], dP[c], El[c], Ll[c], rt, V[tail], half)
    out = store * sq[lo:hi] * norm[:, None]
    return out.reshape(nE, nL, hi - lo)


def _riccati_bessel_norm(P, k, L, r):
    """Normalisation factor per lane from a fit to Riccati-Bessel functions.

    Where the potential vanishes, ``P = a z j_l(z) + b z y_l(z)`` exactly, so
    the fit holds at any ``z``; the columns are scaled to unit norm to keep
    the 2x2 normal equations well conditioned under the centrifugal barrier.
    """
    norm = np.zeros(k.size)
    for l in np.unique(L):
        lanes = np.nonzero((L == l) & (k * r[-1] > 0.3))[0]
        if lanes.size == 0:
            continue
        z = k[lanes, None] * r[None, :]
        fj = z * spherical_jn(int(l), z)
        fy = z * spherical_yn(int(l), z)
        sj = np.sqrt(np.sum(fj * fj, 1))
        sy = np.sqrt(np.sum(fy * fy, 1))
        fj, fy = fj / sj[:, None], fy / sy[:, None]
        p = P[lanes]
        c = np.sum(fj * fy, 1)
        bj = np.sum(fj * p, 1)
        by = np.sum(fy * p, 1)
        det = 1.0 - c * c
        with np.errstate(all="ignore"):
            a = (bj - by * c) / det / sj
            b = (by - bj * c) / det / sy
            amp = np.hypot(a, b)
            f = np.sqrt(2.0 / (np.pi * k[lanes])) / amp
        norm[lanes] = np.where(np.isfinite(f), f, 0.0)
    return norm


def _wkb_norm(P, dP, E, L, r, V, half):
    """Normalisation factor per lane from the WKB amplitude invariant.

    ``dP`` is a central difference over ``2 half``: for a wave of local wave
    number ``kappa`` it is low by ``sinc(kappa half)``, which is divided out.
    """
    kap2 = 2.0 * (E[:, None] - V[None, :]) - (L[:, None] + 0.5) ** 2 / r[None, :] ** 2
    ok = kap2 > 0
    kap = np.sqrt(np.where(ok, kap2, 1.0))
    dP = dP / np.sinc(kap * half[None, :] / np.pi)
    inv = kap * (P**2 + (dP / kap) ** 2)
    cnt = ok.sum(1)
    mean = np.where(cnt > 0, np.sum(np.where(ok, inv, 0.0), 1) / np.maximum(cnt, 1), np.inf)
    good = (cnt > 10) & (np.sqrt(2 * E) * r[0] > L + 3.0)
    return np.where(good, np.sqrt(2.0 / (np.pi * mean)), 0.0)
