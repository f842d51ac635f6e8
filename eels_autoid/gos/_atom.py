"""Non-relativistic LDA central-field atom.

The radial Kohn-Sham equations of a spherical atom are solved on the grid
``x = a ln r + r`` (uniform in ``x``: logarithmic near the nucleus, linear far
out), with Slater exchange and Vosko-Wilk-Nusair (VWN5) correlation. Bound
states come from a symmetric tridiagonal eigenproblem (second-order finite
differences of the Liouville-transformed equation ``P(r) = sqrt(r'(x)) y(x)``);
the self-consistent field is converged with Anderson (Pulay) mixing of the
potential.

Everything here is in Hartree atomic units.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.linalg import eigh_tridiagonal

from ._blas import single_threaded_blas

__all__ = [
    "HARTREE_EV",
    "lda_atom",
    "RadialGrid",
    "Atom",
    "ground_state_configuration",
    "lda_xc",
]

#: One Hartree in eV (CODATA 2018).
HARTREE_EV = 27.211386245988

_L_LETTERS = "spdfghi"

# Ground states whose occupations depart from the Madelung (n + l, n) filling
# order, as tabulated for the LDA reference atoms (NIST, Kotochigova et al.).
# Each entry overrides occupations of the Madelung configuration.
_EXCEPTIONS = {
    24: {(3, 2): 5, (4, 0): 1},  # Cr
    29: {(3, 2): 10, (4, 0): 1},  # Cu
    41: {(4, 2): 4, (5, 0): 1},  # Nb
    42: {(4, 2): 5, (5, 0): 1},  # Mo
    44: {(4, 2): 7, (5, 0): 1},  # Ru
    45: {(4, 2): 8, (5, 0): 1},  # Rh
    46: {(4, 2): 10, (5, 0): 0},  # Pd
    47: {(4, 2): 10, (5, 0): 1},  # Ag
    57: {(4, 3): 0, (5, 2): 1},  # La
    58: {(4, 3): 1, (5, 2): 1},  # Ce
    64: {(4, 3): 7, (5, 2): 1},  # Gd
    78: {(5, 2): 9, (6, 0): 1},  # Pt
    79: {(5, 2): 10, (6, 0): 1},  # Au
    89: {(5, 3): 0, (6, 2): 1},  # Ac
    90: {(5, 3): 0, (6, 2): 2},  # Th
    91: {(5, 3): 2, (6, 2): 1},  # Pa
    92: {(5, 3): 3, (6, 2): 1},  # U
}


def ground_state_configuration(Z: int) -> list[tuple[int, int, float]]:
    """Ground-state configuration of a neutral atom.

    Subshells are filled in the Madelung order (increasing ``n + l``, then
    increasing ``n``), then the known exceptions (Cr, Cu, Nb, Mo, Ru, Rh, Pd,
    Ag, La, Ce, Gd, Pt, Au, Ac, Th, Pa, U) are applied.

    Parameters
    ----------
    Z : int
        Atomic number, 1 .. 92.

    Returns
    -------
    list of (n, l, occupation)
        Occupied subshells sorted by ``(n, l)``.
    """
    if not 1 <= Z <= 92:
        raise ValueError(f"Z = {Z} is outside 1..92")
    order = sorted(
        ((n, l) for n in range(1, 8) for l in range(min(n, 4))), key=lambda s: (s[0] + s[1], s[0])
    )
    occ: dict[tuple[int, int], float] = {}
    left = Z
    for n, l in order:
        if left == 0:
            break
        f = min(left, 2 * (2 * l + 1))
        occ[(n, l)] = f
        left -= f
    for shell, f in _EXCEPTIONS.get(Z, {}).items():
        occ[shell] = f
    if sum(occ.values()) != Z:  # pragma: no cover - guards the table above
        raise RuntimeError(f"inconsistent configuration for Z = {Z}")
    return [(n, l, float(f)) for (n, l), f in sorted(occ.items()) if f > 0]


def configuration_label(config) -> str:
    """``"1s2 2s2 2p6"``-style label of a configuration."""
    return " ".join(f"{n}{_L_LETTERS[l]}{f:g}" for n, l, f in config)


class RadialGrid:
    """The radial grid ``x = a ln r + r``, uniform in ``x``.

    Parameters
    ----------
    r_min, r_max : float
        First and last radius (bohr).
    a : float
        Crossover radius between the logarithmic and the linear parts (bohr).
    dx : float
        Target step in ``x``; the actual step divides the range evenly.
    n : int, optional
        Number of points; overrides ``dx``.

    Attributes
    ----------
    x, r : ndarray
        Grid points in ``x`` and ``r``.
    dr_dx : ndarray
        ``r'(x)``.
    q_term : ndarray
        The term the Liouville transform ``P = sqrt(r') y`` adds to the
        equation for ``y``: ``3/4 (r''/r')^2 - 1/2 r'''/r'``.
    weights : ndarray
        Quadrature weights in ``r`` (``r' dx``).
    """

    def __init__(self, r_min=1e-8, r_max=40.0, a=4.0, dx=0.02, n=None):
        self.r_min, self.r_max, self.a = float(r_min), float(r_max), float(a)
        x0 = a * np.log(r_min) + r_min
        x1 = a * np.log(r_max) + r_max
        if n is None:
            n = int(np.ceil((x1 - x0) / dx)) + 1
        self.x = np.linspace(x0, x1, n)
        self.dx = float(self.x[1] - self.x[0])
        # invert x = a s + exp(s), s = ln r, by Newton (convex, monotone)
        s = np.where(self.x < a, self.x / a, np.log(np.maximum(self.x, 1e-300)))
        for _ in range(100):
            step = (a * s + np.exp(s) - self.x) / (a + np.exp(s))
            s -= step
            if np.max(np.abs(step)) < 1e-15:
                break
        r = np.exp(s)
        r[0], r[-1] = r_min, r_max
        self.r = r
        dxdr = a / r + 1.0
        d2xdr2 = -a / r**2
        d3xdr3 = 2.0 * a / r**3
        self.dr_dx = 1.0 / dxdr
        r2 = -d2xdr2 / dxdr**3
        r3 = -d3xdr3 / dxdr**4 + 3.0 * d2xdr2**2 / dxdr**5
        self.q_term = 0.75 * (r2 / self.dr_dx) ** 2 - 0.5 * r3 / self.dr_dx
        self.weights = self.dr_dx * self.dx

    def refined(self, factor: int) -> RadialGrid:
        """The grid with ``factor`` times smaller steps; it contains every point of this one."""
        return RadialGrid(self.r_min, self.r_max, self.a, n=factor * (self.size - 1) + 1)

    @property
    def size(self) -> int:
        """Number of grid points."""
        return self.r.size

    def integrate(self, f, axis=-1):
        """Integral over ``r`` of samples ``f`` on the grid."""
        return np.sum(f * self.weights, axis=axis)

    def key(self) -> tuple:
        """Hashable description of the grid (for caches)."""
        return (self.r_min, self.r_max, self.a, self.size)


def _vwn5(rs):
    """VWN5 paramagnetic correlation energy and potential per electron (Ha)."""
    A, x0, b, c = 0.0310907, -0.10498, 3.72744, 12.9352
    x = np.sqrt(rs)
    X = x * x + b * x + c
    X0 = x0 * x0 + b * x0 + c
    Q = np.sqrt(4.0 * c - b * b)
    atn = np.arctan(Q / (2.0 * x + b))
    ec = A * (
        np.log(x * x / X)
        + 2.0 * b / Q * atn
        - b * x0 / X0 * (np.log((x - x0) ** 2 / X) + 2.0 * (b + 2.0 * x0) / Q * atn)
    )
    t = 4.0 / (Q * Q + (2.0 * x + b) ** 2)
    dec_dx = A * (
        2.0 / x
        - (2.0 * x + b) / X
        - b * t
        - b * x0 / X0 * (2.0 / (x - x0) - (2.0 * x + b) / X - (b + 2.0 * x0) * t)
    )
    vc = ec - x / 6.0 * dec_dx
    return ec, vc


def lda_xc(density):
    """LDA exchange-correlation energy density per electron and potential.

    Slater exchange (``alpha = 2/3``) plus VWN5 correlation, spin-unpolarised.

    Parameters
    ----------
    density : ndarray
        Electron density (bohr^-3).

    Returns
    -------
    eps_xc, v_xc : ndarray
        Energy per electron and potential (Hartree).
    """
    n = np.maximum(density, 1e-30)
    vx = -(((3.0 / np.pi) * n) ** (1.0 / 3.0))
    rs = (3.0 / (4.0 * np.pi * n)) ** (1.0 / 3.0)
    ec, vc = _vwn5(rs)
    return 0.75 * vx + ec, vx + vc


def _thomas_fermi_potential(grid: RadialGrid, Z: float):
    """Latter's fit of the Thomas-Fermi potential: the SCF starting point."""
    r = grid.r
    xs = r * Z ** (1.0 / 3.0) / 0.8853
    t = np.sqrt(xs)
    phi = 1.0 / (
        1.0
        + 0.02747 * t
        + 1.243 * xs
        - 0.1486 * xs * t
        + 0.2302 * xs**2
        + 0.007298 * xs**2 * t
        + 0.006944 * xs**3
    )
    return -np.maximum(Z * phi / r, 1.0 / r)


@dataclass
class Atom:
    """A spherical atom in a central field: LDA self-consistent or pure Coulomb.

    Parameters
    ----------
    Z : int
        Atomic number (nuclear charge).
    config : list of (n, l, occupation), optional
        Defaults to :func:`ground_state_configuration`.
    grid : RadialGrid, optional
        Defaults to ``RadialGrid()`` (1e-8 .. 40 bohr, ``a = 4``, ``dx = 0.02``).
    coulomb_charge : float, optional
        If given, no SCF: the potential is ``-coulomb_charge / r`` (the
        hydrogenic limit used for validation).
    scf_tol : float
        Convergence threshold on ``max |r (V_out - V_in)|`` (Ha bohr).

    Attributes
    ----------
    potential : ndarray
        The converged central potential ``V(r)`` (Ha).
    orbitals : dict
        ``(n, l) -> P(r)``, normalised radial functions (``int P^2 dr = 1``).
    energies : dict
        ``(n, l) -> eigenvalue`` (Ha).
    scf_iterations : int
    """

    Z: int
    config: list | None = None
    grid: RadialGrid | None = None
    coulomb_charge: float | None = None
    scf_tol: float = 1e-8
    max_iterations: int = 400
    potential: np.ndarray = field(init=False, repr=False)
    orbitals: dict = field(init=False, repr=False)
    energies: dict = field(init=False, repr=False)
    scf_iterations: int = field(init=False, default=0)

    def __post_init__(self):
        if self.config is None:
            self.config = ground_state_configuration(self.Z)
        self.config = [(int(n), int(l), float(f)) for n, l, f in self.config]
        if self.grid is None:
            self.grid = RadialGrid()
        with single_threaded_blas():
            if self.coulomb_charge is not None:
                self.potential = -self.coulomb_charge / self.grid.r
                self._solve_bound(self.potential)
            else:
                self._scf()

    # ----------------------------------------------------------------- bound
    def _solve_bound(self, V):
        g = self.grid
        rp2 = g.dr_dx**2
        s = 2.0 * rp2
        sq = np.sqrt(s)
        off = -1.0 / (g.dx**2 * sq[:-1] * sq[1:])
        orbitals, energies = {}, {}
        for l in sorted({l for _, l, _ in self.config}):
            nmax = max(n for n, ll, _ in self.config if ll == l)
            count = nmax - l
            w = rp2 * (2.0 * V + l * (l + 1) / g.r**2) + g.q_term
            diag = (2.0 / g.dx**2 + w) / s
            vals, vecs = eigh_tridiagonal(
                diag,
                off,
                select="i",
                select_range=(0, count - 1),
                lapack_driver="stebz",
                tol=1e-14,
            )
            for i in range(count):
                P = np.sqrt(g.dr_dx) * vecs[:, i] / sq
                P /= np.sqrt(g.integrate(P * P))
                if P[np.argmax(np.abs(P))] < 0:
                    P = -P
                orbitals[(l + 1 + i, l)] = P
                energies[(l + 1 + i, l)] = float(vals[i])
        self.orbitals, self.energies = orbitals, energies

    def density(self):
        """Spherical electron density ``n(r)`` (bohr^-3)."""
        rho = np.zeros_like(self.grid.r)
        for n, l, f in self.config:
            rho += f * self.orbitals[(n, l)] ** 2
        return rho / (4.0 * np.pi * self.grid.r**2)

    def hartree_potential(self, density):
        """Electrostatic potential of a spherical ``density`` (Ha)."""
        g = self.grid
        dq = 4.0 * np.pi * g.r**2 * density * g.weights
        inside = np.cumsum(dq) - 0.5 * dq
        dv = 4.0 * np.pi * g.r * density * g.weights
        outside = np.cumsum(dv[::-1])[::-1] - 0.5 * dv
        return inside / g.r + outside

    def _output_potential(self, V):
        self._solve_bound(V)
        n = self.density()
        _, vxc = lda_xc(n)
        return -self.Z / self.grid.r + self.hartree_potential(n) + vxc

    def _scf(self):
        """Anderson-Pulay mixing of ``r V`` until self-consistent."""
        r = self.grid.r
        V = _thomas_fermi_potential(self.grid, self.Z)
        beta, depth = 0.3, 6
        xs, fs = [], []
        for it in range(1, self.max_iterations + 1):
            Vout = self._output_potential(V)
            res = (Vout - V) * r
            err = float(np.max(np.abs(res)))
            if err < self.scf_tol:
                break
            xs.append(V * r)
            fs.append(res)
            xs, fs = xs[-depth:], fs[-depth:]
            if len(fs) > 1 and it > 3:
                dF = np.array([fs[i + 1] - fs[i] for i in range(len(fs) - 1)])
                dX = np.array([xs[i + 1] - xs[i] for i in range(len(xs) - 1)])
                gamma, *_ = np.linalg.lstsq(dF.T, res, rcond=None)
                x_new = V * r - gamma @ dX + beta * (res - gamma @ dF)
            else:
                x_new = V * r + beta * res
            V = x_new / r
        self.scf_iterations = it
        self.scf_residual = err
        self.potential = V
        self._solve_bound(V)

    def on_grid(self, grid: RadialGrid) -> Atom:
        """This atom sampled on a coarser grid whose points are a subset of its own.

        Eigenvalues are kept (they are the more accurate ones of the finer
        grid); potential and orbitals are subsampled, orbitals renormalised.
        """
        step, rem = divmod(self.grid.size - 1, grid.size - 1)
        if rem or not np.allclose(self.grid.r[::step], grid.r, rtol=1e-12, atol=0):
            raise ValueError("grid is not a subset of the atom's grid")
        out = copy.copy(self)
        out.grid = grid
        out.potential = self.potential[::step].copy()
        out.orbitals = {}
        for key, P in self.orbitals.items():
            Pc = P[::step].copy()
            out.orbitals[key] = Pc / np.sqrt(grid.integrate(Pc * Pc))
        out.energies = dict(self.energies)
        return out

    @cached_property
    def occupations(self) -> dict:
        """``(n, l) -> occupation``."""
        return {(n, l): f for n, l, f in self.config}

    def binding_energy(self, n: int, l: int) -> float:
        """Binding energy of subshell ``(n, l)``, ``-eigenvalue`` (Ha)."""
        return -self.energies[(n, l)]


def lda_atom(Z: int, grid: RadialGrid | None = None, refine: int = 4, config=None) -> Atom:
    """Self-consistent LDA atom for GOS work on ``grid``.

    The finite-difference eigenvalues converge as ``dx^2``; the SCF is
    therefore run on a ``refine`` times finer grid (with the defaults,
    ``dx = 0.005``: eigenvalues within 3e-5 relative of converged LDA values
    for all Z = 3..83) and the result sampled back onto ``grid``.

    Parameters
    ----------
    Z : int
    grid : RadialGrid, optional
        Default ``RadialGrid()``.
    refine : int
        Refinement factor of the SCF grid (1: SCF on ``grid`` itself).
    config : list, optional
        Configuration; default the ground state.
    """
    grid = RadialGrid() if grid is None else grid
    if refine == 1:
        return Atom(Z, config=config, grid=grid)
    return Atom(Z, config=config, grid=grid.refined(refine)).on_grid(grid)
