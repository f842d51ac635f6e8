"""Energy-differential cross-sections from the GOS tables.

The GOS is integrated over ``ln q^2`` between the relativistic kinematic
limits at each tabulated energy, exactly as exspy's
``TabulatedGOS.integrateq`` does (same constants and limits), then put on the
requested energy axis with a cubic spline and extended beyond the table with
exspy's power law. A finite convergence angle is handled like exspy's
``EELSCLEdge``: the collection angle is replaced by Egerton's effective angle
evaluated at the edge onset. The integration is vectorised over microscope
settings, so that :func:`cross_section_settings` tabulates many at once with
the very same arithmetic as :func:`cross_section`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import constants
from scipy.interpolate import make_interp_spline

from ._gosh import read_table
from ._tables import subshell_table

__all__ = [
    "cross_section",
    "cross_section_settings",
    "table_cross_section",
    "effective_angle",
    "q_limits",
]

_R = constants.value("Rydberg constant times hc in eV")
_A0 = constants.value("Bohr radius")


def effective_angle(beam_energy, energy, convergence_angle, collection_angle):
    """Effective collection semi-angle (mrad) for a convergent beam.

    Egerton, *Electron Energy-Loss Spectroscopy in the Electron Microscope*,
    2nd ed., p. 420; the same expression as exspy's ``effective_angle``.

    Parameters
    ----------
    beam_energy : float or array_like
        kV.
    energy : float or array_like
        Energy loss (eV).
    convergence_angle, collection_angle : float or array_like
        Semi-angles (mrad). Arrays broadcast; scalars give a float.
    """
    e0 = np.asarray(beam_energy, dtype=float)
    alpha = np.asarray(convergence_angle, dtype=float)
    beta = np.asarray(collection_angle, dtype=float)
    energy = np.asarray(energy, dtype=float)
    tgt = e0 * (1.0 + e0 / 1022.0) / (1.0 + e0 / 511.0)
    theta_e = energy / tgt
    a2, b2, t2 = (alpha * 1e-3) ** 2, (beta * 1e-3) ** 2, (theta_e * 1e-3) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        eta1 = np.sqrt((a2 + b2 + t2) ** 2 - 4.0 * a2 * b2) - a2 - b2 - t2
        eta2 = (
            2.0
            * b2
            * np.log(0.5 / t2 * (np.sqrt((a2 + t2 - b2) ** 2 + 4.0 * b2 * t2) + a2 + t2 - b2))
        )
        eta3 = (
            2.0
            * a2
            * np.log(0.5 / t2 * (np.sqrt((b2 + t2 - a2) ** 2 + 4.0 * a2 * t2) + b2 + t2 - a2))
        )
        f1 = (eta1 + eta2 + eta3) / 2 / a2 / np.log(1.0 + b2 / t2)
        f2 = np.where(alpha / beta > 1, f1 * a2 / b2, f1)
        bstar = theta_e * np.sqrt(np.exp(f2 * np.log(1.0 + b2 / t2)) - 1.0)
    # A parallel beam (alpha = 0) needs no correction.
    out = np.where(alpha > 0, bstar, beta)
    return float(out) if out.ndim == 0 else out


def _kinematics(beam_energy):
    gamma = 1.0 + beam_energy / 511.06
    T = 511060.0 * (1.0 - 1.0 / gamma**2) / 2.0
    return gamma, T


def q_limits(energy, beam_energy, angle):
    """Relativistic limits ``(q_min a0)^2, (q_max a0)^2`` (exspy's expressions).

    Parameters
    ----------
    energy : array_like
        Energy loss (eV).
    beam_energy : float or array_like
        keV.
    angle : float or array_like
        Collection semi-angle (rad). ``energy``, ``beam_energy`` and ``angle``
        broadcast together.
    """
    E = np.asarray(energy, dtype=float)
    gamma, T = _kinematics(np.asarray(beam_energy, dtype=float))
    qmin2 = E**2 / (4.0 * _R * T) + E**3 / (8.0 * gamma**3 * _R * T**2)
    p02 = T / (_R * (1.0 - 2.0 * T / 511060.0))
    pp2 = p02 - E / _R * (gamma - E / 1022120.0)
    qmax2 = qmin2 + 4.0 * np.sqrt(p02 * pp2) * np.sin(np.asarray(angle, dtype=float) / 2.0) ** 2
    return qmin2, qmax2


def _integrate_ln_q2(table, x_lo, x_hi):
    """Integral of each GOS row over ``x = ln (q a0)^2`` from ``x_lo`` to ``x_hi``.

    The GOS is taken linear in ``x`` between nodes (exact for that model),
    constant below the first ``q`` and zero beyond the last. ``x_lo`` and
    ``x_hi`` have the table's energies on their last axis; leading axes are
    microscope settings.
    """
    x = 2.0 * np.log(table.q_au)
    cum = table.cumulative
    g = table.gos.astype(float)
    rows = np.arange(g.shape[0])

    def primitive(xv):
        xc = np.clip(xv, x[0], x[-1])
        j = np.clip(np.searchsorted(x, xc, side="right") - 1, 0, x.size - 2)
        h = x[j + 1] - x[j]
        t = xc - x[j]
        g0, g1 = g[rows, j], g[rows, j + 1]
        val = cum[rows, j] + g0 * t + (g1 - g0) * t * t / (2.0 * h)
        return val + g[:, 0] * np.minimum(xv - x[0], 0.0)

    return primitive(x_hi) - primitive(x_lo)


def _integrate_table(table, onset, beam_energy, angle_mrad, ratio):
    """A table's cross-section at its energies: (first E, last E, spline, A, r).

    ``beam_energy`` and ``angle_mrad`` are scalars or arrays that broadcast
    to the settings' shape ``S``; the spline then has values of shape ``S``
    at each energy, and ``A``, ``r`` (the power law) shape ``S``.
    """
    E = onset + table.rel_energies
    shape = np.broadcast_shapes(np.shape(beam_energy), np.shape(angle_mrad))
    # Settings along the leading axes, the table's energies along the last.
    e0 = np.reshape(beam_energy, np.shape(beam_energy) + (1,)).astype(float)
    angle = np.reshape(angle_mrad, np.shape(angle_mrad) + (1,)).astype(float) * 1e-3
    qmin2, qmax2 = q_limits(E, e0, angle)
    gos_int = _integrate_ln_q2(table, np.log(qmin2), np.log(qmax2))
    _, T = _kinematics(e0)
    sigma = 4.0 * np.pi * _A0**2 * _R**2 / E / T * ratio * 1e28 * gos_int  # barn/eV
    sigma = np.broadcast_to(sigma, shape + E.shape)
    spline = make_interp_spline(E, sigma, k=3, axis=-1)
    r = np.log(sigma[..., -1] / sigma[..., -2]) / math.log(E[-2] / E[-1])
    A = sigma[..., -2] / E[-2] ** -r
    return E[0], E[-1], spline, A, r


@functools.lru_cache(maxsize=4096)
def _tabulated(path, element, table_name, onset, beam_energy, angle_mrad, ratio):
    table = read_table(path, element, table_name)
    return _integrate_table(table, onset, beam_energy, angle_mrad, ratio)


def _evaluate(E, e_first, e_last, spline, A, r):
    """The integrated table on the energies ``E`` (0 below it, power law beyond it).

    Shape ``A.shape + E.shape``: one curve per setting of :func:`_integrate_table`.
    """
    A, r = np.asarray(A), np.asarray(r)
    out = np.zeros(A.shape + E.shape)
    inside = (E >= e_first) & (E < e_last)
    if inside.any():
        out[..., inside] = spline(E[inside])
    beyond = E >= e_last
    if beyond.any():
        out[..., beyond] = A[..., None] * E[beyond] ** -r[..., None]
    return out


def _members(element, subshell, onsets):
    if subshell in onsets:
        return [subshell]
    if "," in subshell:
        shell = subshell[0]
        parts = [f"{shell}{i}" for i in subshell[1:].split(",")]
        found = [p for p in parts if p in onsets]
        if found:
            return found
    raise ValueError(f"{element} has no tabulated subshell {subshell!r} (known: {sorted(onsets)})")


def cross_section(
    element,
    subshell,
    energy_axis,
    beam_energy,
    collection_angle,
    convergence_angle=0.0,
    onset=None,
    gos_file=None,
):
    """Energy-differential ionisation cross-section of one subshell (barn/eV).

    Parameters
    ----------
    element : str
        Element symbol, ``"Li"`` .. ``"Bi"``.
    subshell : str
        exspy subshell name (``"K"``, ``"L3"``, ``"M5"``, ``"L2,3"`` ...). A
        combined name such as ``"L2,3"`` or ``"M4,5"`` for an element whose
        partners are listed separately returns the sum of the partners, each
        at its own onset.
    energy_axis : array_like
        Energy losses (eV), any shape.
    beam_energy : float
        Incident energy (keV).
    collection_angle : float
        Collection semi-angle (mrad).
    convergence_angle : float
        Convergence semi-angle (mrad); handled with exspy's effective angle.
    onset : float, optional
        Edge onset (eV); default from :func:`eels_autoid.vocabulary.subshell_onsets`.
        Only for a single subshell.
    gos_file : path-like, optional
        GOSH file; default the bundled one (:func:`gosh_file`).

    Returns
    -------
    ndarray
        ``d sigma / dE`` per atom in barn/eV on ``energy_axis`` (0 below the
        onset). Repeated calls with the same parameters reuse the integrated
        table: only the spline evaluation is repeated.
    """
    path, E, parts = _parts(element, subshell, energy_axis, onset, gos_file)
    out = np.zeros(E.shape)
    for e_on, table_name, ratio in parts:
        angle = effective_angle(beam_energy, e_on, convergence_angle, collection_angle)
        args = (e_on, float(beam_energy), float(angle), ratio)
        out += _evaluate(E, *_tabulated(path, element, table_name, *args))
    return out


def cross_section_settings(
    element,
    subshell,
    energy_axis,
    beam_energies,
    collection_angles,
    convergence_angle=0.0,
    onset=None,
    gos_file=None,
):
    """Cross-sections of one subshell for many microscope settings at once (barn/eV).

    The same integration as :func:`cross_section`, vectorised over the
    settings: for tabulating a subshell on a grid of beam energies and
    angles, as a simulator does.

    Parameters
    ----------
    element, subshell, energy_axis, onset, gos_file
        As for :func:`cross_section`.
    beam_energies : array_like
        Incident energies (keV).
    collection_angles : array_like
        Collection semi-angles (mrad).
    convergence_angle : float or array_like
        Convergence semi-angles (mrad). ``beam_energies``,
        ``collection_angles`` and ``convergence_angle`` broadcast together to
        the settings' shape ``S``.

    Returns
    -------
    ndarray, shape ``S + energy_axis.shape``
        ``out[k]`` is ``cross_section(element, subshell, energy_axis,
        beam_energies[k], collection_angles[k], convergence_angle[k], ...)``
        to rounding. Nothing is cached: callers that repeat a call keep its
        result.

    Examples
    --------
    Fe L3 at 100 and 200 kV, each with 10 and 30 mrad:

    >>> import numpy as np
    >>> from eels_autoid import gos
    >>> e0, beta = np.meshgrid([100.0, 200.0], [10.0, 30.0], indexing="ij")
    >>> energy = np.arange(700.0, 900.0, 0.5)
    >>> gos.cross_section_settings("Fe", "L3", energy, e0, beta).shape
    (2, 2, 400)
    """
    path, E, parts = _parts(element, subshell, energy_axis, onset, gos_file)
    e0, beta, alpha = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (beam_energies, collection_angles, convergence_angle))
    )
    out = np.zeros(e0.shape + E.shape)
    for e_on, table_name, ratio in parts:
        angle = effective_angle(e0, e_on, alpha, beta)
        table = read_table(path, element, table_name)
        out += _evaluate(E, *_integrate_table(table, e_on, e0, angle, ratio))
    return out


def _parts(element, subshell, energy_axis, onset, gos_file):
    """GOSH path, energies, and ``(onset, table, occupancy ratio)`` of each member subshell."""
    from .. import vocabulary
    from ._files import gosh_file as _gosh_file

    path = str(_gosh_file() if gos_file is None else gos_file)
    onsets = vocabulary.subshell_onsets(element)
    members = _members(element, subshell, onsets)
    if onset is not None and len(members) > 1:
        raise ValueError("onset can only be given for a single subshell")
    parts = []
    for sub in members:
        table_name, ratio = subshell_table(sub)
        parts.append((float(onsets[sub] if onset is None else onset), table_name, float(ratio)))
    return path, np.asarray(energy_axis, dtype=float), parts


def table_cross_section(
    gos,
    q_au,
    free_energies,
    energy_axis,
    onset,
    beam_energy,
    collection_angle,
    convergence_angle=0.0,
    occupancy_ratio=1.0,
):
    """Energy-differential cross-section (barn/eV) of a GOS table held in memory.

    The same integration as :func:`cross_section`, for a table that is not in
    a GOSH file: for instance one just computed with :func:`subshell_gos` for
    an element or subshell the bundled file does not hold.

    Parameters
    ----------
    gos : array_like, shape (n_E, n_q)
        ``df/dE`` (1/eV) of the whole ``(n, l)`` subshell, as returned by
        :func:`subshell_gos`.
    q_au : array_like, shape (n_q,)
        Momentum transfers (1/bohr), increasing.
    free_energies : array_like, shape (n_E,)
        Ejected-electron energies (eV), increasing; the first is put at ``onset``.
    energy_axis : array_like
        Energy losses (eV), any shape.
    onset : float
        Edge onset (eV).
    beam_energy : float
        Incident energy (keV).
    collection_angle : float
        Collection semi-angle (mrad).
    convergence_angle : float
        Convergence semi-angle (mrad); handled with exspy's effective angle at
        the onset.
    occupancy_ratio : float
        Share of the table the edge carries: ``OCCUPANCY_RATIO[subshell]`` for
        one spin-orbit partner (0.6 for an ``M5``), 1 for the whole subshell.

    Returns
    -------
    ndarray
        ``d sigma / dE`` per atom in barn/eV on ``energy_axis`` (0 below the onset).

    Examples
    --------
    The U N5 edge (4d5/2, 736 eV), which the bundled file (Li..Bi) does not hold:

    >>> import numpy as np
    >>> from eels_autoid import gos
    >>> e_free, q = gos.free_energy_grid(64, 1500.0), gos.q_grid(64)
    >>> table = gos.subshell_gos(gos.lda_atom(92, refine=1), 4, 2, e_free, q)  # doctest: +SKIP
    >>> energy = np.arange(700.0, 1000.0, 0.5)
    >>> sigma = gos.table_cross_section(
    ...     table, q, e_free, energy, 736.2, 200.0, 20.0,
    ...     occupancy_ratio=gos.OCCUPANCY_RATIO["N5"],
    ... )  # doctest: +SKIP
    """
    from ._gosh import GOSTable

    gos = np.asarray(gos, dtype=float)
    q_au = np.asarray(q_au, dtype=float)
    free_energies = np.asarray(free_energies, dtype=float)
    if gos.shape != (free_energies.size, q_au.size):
        raise ValueError(
            f"gos has shape {gos.shape}; expected (len(free_energies), len(q_au)) = "
            f"({free_energies.size}, {q_au.size})."
        )
    table = GOSTable(gos, q_au, free_energies, attrs={})
    angle = effective_angle(beam_energy, onset, convergence_angle, collection_angle)
    E = np.asarray(energy_axis, dtype=float)
    return _evaluate(
        E,
        *_integrate_table(
            table, float(onset), float(beam_energy), float(angle), float(occupancy_ratio)
        ),
    )
