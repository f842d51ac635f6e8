"""Where each edge's onset lies in a measured spectrum: the energy calibration.

An expert calibrates by asking whether one offset puts every edge where the
tables have it. Each edge family's shift is found by correlating the rise of
the measured spectrum (its smoothed derivative, with the smooth background
slope removed, after a running median that takes out spikes) with the rise
of the edge over +-25 eV: the tabulated edge, with a white-line pair where
the edge opens with one (the caller's ``edge_column``). Pi* peaks and
pre-peaks rise at the threshold too, so their detail cannot move the answer
the way a misfit of the whole near-edge shape moves a chi-squared. The
offset is the one on which the edges agree best (each free to move a few eV
more by its chemical shift), against a Gaussian prior at 0, so a window
whose edges rise faintly is not moved without reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "EdgeShift",
    "best_agreement",
    "best_offset",
    "edge_shifts",
    "combine_shifts",
    "without_spikes",
]

# Smoothing (eV) of the derivative, and the width (eV) of the slope removed.
_SMOOTH = 1.0
_DETREND = 8.0
# Width (eV) of the running median that takes spikes out of the data's rise.
SPIKE_WIDTH = 2.0
# Energy range (eV) around the onset whose rise is compared.
_BEFORE, _AFTER = 15.0, 20.0
# A family counts towards the offset by (correlation - this floor), so that a
# rise that correlates no better than chance does not count.
_FLOOR = 0.3
# Standard deviation (eV) of a clear edge's shift; the prior: a penalty of
# PRIOR_WEIGHT clear edges at PRIOR_STD eV from 0.
_CLEAR_EDGE_STD = 1.0
PRIOR_STD = 10.0
PRIOR_WEIGHT = 0.05
# An offset must explain the rises better than the axis as it is by this
# much (in clear edges) to be applied.
MIN_GAIN = 0.5
# Penalty of a chemical shift at its bound, in clear edges.
SHIFT_WEIGHT = 0.5
# Two edges whose rises land closer than this (eV) on the axis are matched
# to the same rise of the data: a rise is a few eV wide.
SAME_RISE = 5.0
# A rise this clear (weight of an edge's best match) must have an edge on it
# wherever the axis is moved to.
CLEAR_RISE = 0.5
# A best match closer than this (eV) to the end of the shifts tried is not
# taken for a maximum.
_INTERIOR = 3.0


@dataclass(frozen=True)
class EdgeShift:
    """The measured shift of one edge family (eV to add to the axis) and how clear its rise is.

    ``curve`` is the correlation of the rises at every shift of ``grid``;
    ``partners`` how far (eV) the family's later edges (L2 after L3, M4 after
    M5) lie above ``onset``; ``lag`` how far (eV) above ``onset`` the table's
    edge rises most steeply: a few eV for a white line or a sharp step, tens
    of eV for a delayed edge (Sb M4,5), whose match lies on whatever rises
    there.
    """

    element: str
    family: str
    onset: float
    shift: float
    correlation: float
    grid: tuple = ()
    curve: tuple = ()
    partners: tuple = ()
    lag: float = 0.0

    @property
    def rises(self) -> tuple:
        """Where on the axis (eV) the data's rise that the family matches best may lie.

        At its onset, and where its table rises most steeply: a delayed
        edge's best match is the rise under its steepest part.
        """
        at = self.onset - self.shift
        return (at, at + self.lag) if self.lag >= SAME_RISE else (at,)

    @property
    def weight(self) -> float:
        """0 (no clearer than chance) .. 1 (the data rise exactly as the table does)."""
        return max(self.correlation - _FLOOR, 0.0) / (1.0 - _FLOOR)

    @property
    def clear(self) -> bool:
        """Whether the best match is a clear rise: of weight >= CLEAR_RISE, inside the shifts tried.

        A best match at the end of the range tried is no maximum: the curve
        may go on rising beyond it, and the rise it matches is another
        edge's flank.
        """
        if self.weight < CLEAR_RISE:
            return False
        if not len(self.grid):
            return True
        return min(self.grid) + _INTERIOR <= self.shift <= max(self.grid) - _INTERIOR

    @property
    def precision(self) -> float:
        """1 / variance (eV^-2) of the shift: ~1 eV for a clear rise."""
        return (self.weight / _CLEAR_EDGE_STD) ** 2


class _Landing(NamedTuple):
    """Where one edge family lands on the axis at each offset tried.

    ``at``: the axis energy (eV) of its first edge; ``scores``: whether it
    scores there; ``partners``: its later edges' distances (eV) above the
    first; ``family``: (element, family); ``lag``: how far above the first
    edge the table rises most steeply (:attr:`EdgeShift.lag`).
    """

    at: np.ndarray
    scores: np.ndarray
    partners: tuple
    family: tuple
    lag: float = 0.0


def without_spikes(y, scale):
    """``y`` after a running median over :data:`SPIKE_WIDTH` eV (at least 3 channels).

    Spikes (X-ray hits, hot channels) are a channel or two wide; their
    derivative looks like a sharp line's rise, and a white line matched to
    one places an edge several eV off. A median keeps steps and the wider
    white lines.
    """
    from scipy.ndimage import median_filter

    size = 2 * int(np.ceil(0.5 * SPIKE_WIDTH / scale)) + 1
    return median_filter(np.asarray(y, dtype=float), size=max(size, 3), mode="nearest")


def _rise(y, scale, spacing=None):
    """The detrended derivative along the first axis, per channel of ``scale`` eV.

    ``spacing`` (eV; default ``scale``) is that of the samples of ``y``: on a
    finer grid the same rise is drawn between the channels, so that it can
    be moved by any shift and sampled, rather than recomputed per shift.
    """
    from scipy.ndimage import gaussian_filter1d

    per = scale / (scale if spacing is None else spacing)
    smooth = max(_SMOOTH / scale, 0.5) * per
    d = per * gaussian_filter1d(np.asarray(y, dtype=float), smooth, order=1, axis=0)
    return d - gaussian_filter1d(d, max(_DETREND / scale, 1.0) * per, axis=0)


def edge_shifts(energy, data, families, edge_column, max_shift, step=None):
    """Shift of each edge family that best matches its tabulated rise to the data's.

    Parameters
    ----------
    energy, data : numpy.ndarray
        The fitted channels.
    families : dict
        ``{(element, family): [onsets]}`` (tabulated, eV).
    edge_column : callable
        ``edge_column(element, true_energy)``: the element's edges on any energies.
    max_shift : float
    step : float, optional
        Shift grid step (eV); default half a channel, at least 0.1 eV.

    Returns
    -------
    list of EdgeShift
        Families whose comparison range lies in the window.
    """
    energy = np.asarray(energy, dtype=float)
    scale = float(energy[1] - energy[0])
    step = step or max(scale / 2, 0.1)
    shifts = np.arange(-max_shift, max_shift + 1e-9, step)
    rise = _rise(without_spikes(data, scale), scale)
    out = []
    for (element, family), onsets in families.items():
        onset = min(onsets)
        # Channels whose rise is compared, for every shift tried.
        near = (energy >= onset - max_shift - _BEFORE) & (energy <= onset + max_shift + _AFTER)
        if near.sum() < 10:
            continue
        e = energy[near]
        g = rise[near]
        # The table's rise at every shift at once: one column per shift.
        moved = e[:, None] + shifts[None, :]
        t = _rise(edge_column(element, moved), scale)
        window = (moved >= onset - _BEFORE) & (moved <= onset + _AFTER)
        n = window.sum(axis=0)
        ok = n >= 5
        m = window.astype(float)
        nn = np.maximum(n, 1)
        gw = (g[:, None] - (g @ m) / nn) * m
        tw = (t - (t * m).sum(axis=0) / nn) * m
        norm = np.sqrt((gw**2).sum(axis=0) * (tw**2).sum(axis=0))
        curve = np.full(len(shifts), -1.0)
        good = ok & (norm > 0)
        curve[good] = (gw * tw).sum(axis=0)[good] / norm[good]
        if np.any(curve > -1.0):
            i = int(np.argmax(curve))
            # Where the table's edge rises most steeply, unmoved.
            zero = int(np.argmin(np.abs(shifts)))
            inside = np.flatnonzero(window[:, zero])
            steepest = inside[np.argmax(t[inside, zero])] if len(inside) else None
            lag = 0.0 if steepest is None else float(moved[steepest, zero] - onset)
            out.append(
                EdgeShift(
                    element,
                    family,
                    float(onset),
                    float(shifts[i]),
                    float(curve[i]),
                    tuple(shifts.tolist()),
                    tuple(curve.tolist()),
                    tuple(sorted(float(o) - onset for o in onsets if o > onset)),
                    lag,
                )
            )
    return out


def combine_shifts(shifts, max_chemical_shift, *, every_rise=True):
    """(offset, per-element chemical shifts) on which the edges agree.

    For each offset tried, every edge family scores its clearest rise within
    ``max_chemical_shift`` of it (at the offset itself for a single element,
    whose shift an offset cannot be told from), above the chance floor; the
    offset maximises the sum minus the prior's penalty, a twentieth of a clear edge at
    10 eV. One edge's spurious match elsewhere (a later near-edge peak)
    cannot outvote the others. A rise of the data counts once: where the
    edges of several elements land on the same rise at an offset, only the
    clearest scores, so that two wrong explanations of one edge (Be K and Rb
    M4,5 both put on a Kr M4,5 rise 20 eV below them) do not outvote the
    right one. With ``every_rise``, the axis is not moved where the move
    leaves a clear rise (an edge's best match of weight >= 0.5) without an
    edge landing on it: one calibration must put every edge in place. Each
    element's chemical shift is where its families score best near the
    offset.
    """
    agreement = _agreement(shifts, max_chemical_shift)
    if agreement is None:
        return 0.0, {}
    grid, score, local, rises, usable = agreement
    i = int(np.argmax(score))
    zero = int(np.argmin(np.abs(grid)))
    if score[i] - score[zero] < MIN_GAIN or (every_rise and _unexplained(usable, rises, i)):
        # The axis as it is explains the rises about as well, or the move
        # leaves a clear rise of the data without an edge.
        i = zero
    offset = float(grid[i])
    chemical = {}
    step = float(grid[1] - grid[0]) if len(grid) > 1 else 1.0
    for el, (c, arg) in local.items():
        if len(local) > 1 and c[i + arg[i]] > 0:
            chemical[el] = float(arg[i] * step)
    return offset, chemical


def best_offset(shifts, max_chemical_shift):
    """The offset (eV) on which the edges agree best, prior included, whatever the gain; or 0."""
    agreement = _agreement(shifts, max_chemical_shift)
    return 0.0 if agreement is None else float(agreement[0][int(np.argmax(agreement[1]))])


def best_agreement(shifts, max_chemical_shift):
    """How well the edges agree at their best offset, prior included (in clear edges)."""
    agreement = _agreement(shifts, max_chemical_shift)
    return -np.inf if agreement is None else float(np.max(agreement[1]))


def _agreement(shifts, max_chemical_shift):
    """The edges' agreement at every offset: (grid, score, local, rises, usable), or None.

    ``score`` is the sum of the distinct rises' scores minus the prior;
    ``local[element]`` its summed curve and best chemical shift (in grid
    steps) at each offset; ``rises`` per element, where each of its
    families lands (:class:`_Landing`).
    """
    usable = [s for s in shifts if len(s.curve)]
    if not usable:
        return None
    lo = min(min(s.grid) for s in usable)
    hi = max(max(s.grid) for s in usable)
    first = np.asarray(usable[0].grid)
    step = float(first[1] - first[0]) if len(first) > 1 else 1.0
    grid = np.arange(lo, hi + step / 2, step)
    several = len({s.element for s in usable}) > 1
    reach = int(round(max_chemical_shift / step)) if several else 0
    by_element = {}
    for s in usable:
        # On the common grid (a dispersion correction moves each edge's own).
        curve = np.interp(grid, np.asarray(s.grid), np.asarray(s.curve), left=-1.0, right=-1.0)
        c = np.maximum(curve - _FLOOR, 0.0) / (1.0 - _FLOOR)
        by_element.setdefault(s.element, []).append((s.onset, c, s.partners, s.family, s.lag))
    # A chemical shift costs a little, so that a common offset is preferred
    # to the same move made by every element's chemical shift.
    cost = SHIFT_WEIGHT * (np.arange(-reach, reach + 1) * step / max(max_chemical_shift, 1e-9)) ** 2
    local, value, rises = {}, [], []
    for el, families in by_element.items():
        c = np.sum([f[1] for f in families], axis=0)
        padded = np.pad(c, reach, constant_values=-np.inf)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1) - cost
        arg = windows.argmax(axis=1) - reach
        local[el] = (c, arg)
        value.append(windows.max(axis=1))
        # Where on the axis each of its families lands, per offset.
        moved = grid + arg * step
        rises.append(
            [
                _Landing(
                    onset - moved,
                    np.pad(f, reach)[np.arange(len(grid)) + arg + reach] > 0,
                    partners,
                    (el, family),
                    lag,
                )
                for onset, f, partners, family, lag in families
            ]
        )
    total = _distinct_rises_total(np.array(value), rises)
    score = total - PRIOR_WEIGHT * (grid / PRIOR_STD) ** 2
    return grid, score, local, rises, usable


def _unexplained(shifts, rises, g):
    """Whether some clear rise of the data has no edge landing on it at offset index ``g``.

    A clear rise is where an edge family's best match lies, with weight
    >= :data:`CLEAR_RISE`. Every candidate's edges land where the offset
    puts them, whether or not its template matches well there (an oxide's O
    K pre-peak weakens the match of the tables' step, not the edge's
    place). A white-line pair's second line (Ce M4 18 eV above M5) is an
    edge too, and another element's template can find its best match
    there; but a family's own clear rise is where its first edge belongs,
    and its later edge landing there places the family a spin-orbit
    splitting off.
    """
    landed = [
        (float(f.at[g]) + d, f.family, d > 0)
        for families in rises
        for f in families
        for d in (0.0, *f.partners, *((f.lag,) if f.lag >= SAME_RISE else ()))
    ]
    for s in shifts:
        if s.clear:
            own = (s.element, s.family)
            if not any(
                abs(rise - a) < SAME_RISE
                for rise in s.rises
                for a, family, later in landed
                if not (later and family == own)
            ):
                return True
    return False


def _distinct_rises_total(value, rises):
    """Sum over elements of ``value`` (E, G), each data rise counted once per offset.

    ``rises[e]``: per family of element ``e``, where its rise lands and
    whether it scores at each of the G offsets (:class:`_Landing`). The
    clearest element keeps a rise; one with a scoring family within
    :data:`SAME_RISE` eV of a rise already kept adds nothing there.
    """
    total = np.zeros(value.shape[1])
    order = np.argsort(-value, axis=0)
    for g in range(value.shape[1]):
        kept = []
        for e in order[:, g]:
            v = value[e, g]
            if v <= 0:
                break
            at = [float(f.at[g]) for f in rises[e] if f.scores[g]]
            if any(abs(a - b) < SAME_RISE for a in at for b in kept):
                continue
            kept += at
            total[g] += v
    return total
