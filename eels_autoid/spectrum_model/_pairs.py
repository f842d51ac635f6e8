"""Whether both lines of a white-line pair rise: L3 with L2, M5 with M4.

A 3d metal's L2,3 edge and a lanthanide's M4,5 edge open with two lines a
spin-orbit splitting apart, the lower (L3, M5) never much weaker than its
table ratio to the upper allows. Another element's edge can stand where the
upper line would be (an oxide's O K edge 10 eV low lies on V L2; Ne K on Ni
L2), and the spectrum model, whose near-edge freedom reshapes an edge within
30 eV, then finds the element's amount; what it does not find is a rise at
the lower line. The data's rise (its detrended derivative, as the
calibration uses) is fitted with the two lines' rises as two columns whose
amounts cannot fall below 0, each line its onset's step from the tables with
a white line or without one, at the shifts tried; the pair holds where the
lower line rises by at least :data:`MIN_LOWER_SHARE` of what the table's
ratio to the upper line gives and, for an L2,3 pair, the L2 line rises at
all (a lanthanide's M4 line can vanish: Yb). Where the pair is tried at
several shifts, a fit whose lines are much smaller than the largest found
shows noise, not the pair, and does not speak for the element.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import vocabulary
from .._white_lines import WHITE_LINE_RATIO, has_white_lines
from ._edges import element_cross_section
from ._model import WHITE_LINE_FWHM, white_line, white_line_height
from ._onsets import _rise, without_spikes

__all__ = [
    "PairRise",
    "pair_rises",
    "MAX_DISPERSION",
    "MIN_SPLIT",
    "MIN_LOWER_SHARE",
    "MIN_LINE_SHARE",
]

# Pairs closer than this (eV) are not told apart: with the rise smoothed
# over 1 eV and white lines 2.5 eV wide, the two lines' rises merge.
MIN_SPLIT = 5.0
# Channels coarser than this (eV) sample a white line (2.5 eV wide) less
# than twice: its rise is not told from its partner's or a step's.
MAX_DISPERSION = 0.5 * WHITE_LINE_FWHM
# The lower line's rise, in units of what the table's ratio to the upper
# line's gives, below which the pair does not hold. Real ratios stray from
# the table's by valence and crystal field (real spectra: 0.5..1.9 of it);
# on 300 simulated spectra 0.1 lost no present element, 0.2 one.
MIN_LOWER_SHARE = 0.1
# The lines of a fit, in units of the largest fitted at any shift tried,
# below which the fit shows noise (or another edge's tail), not the pair.
# On a simulated MgO read 10 eV low, V's lines fitted to the noise before
# the O K edge came to 0.25 of those fitted on it.
MIN_LINE_SHARE = 0.3
# Channels compared (eV): from below the lower onset to above the upper one;
# the lines and their rises are drawn over a range this much wider on each
# side, three widths of the rise's detrending (8 eV), so that its ends lie
# outside.
_MARGIN = 8.0
_PAD = 24.0
# Step (eV) of the grid the lines and their rises are drawn on: a fifth of
# the rise's smoothing (1 eV), so that sampling it between the grid's points
# at any shift is exact to a per cent.
_FINE = 0.2
_PAIRS = {"L2": "L3", "M4": "M5"}


@dataclass(frozen=True)
class PairRise:
    """The rises of one white-line pair fitted to the data's at the best shift and shape tried.

    ``lower`` and ``upper`` are the fitted amplitudes (>= 0) in units of the
    table's lines (with its intensity ratio): about equal for a present
    element; ``shift`` (eV) is where on the axis they fit best.
    """

    element: str
    subshells: tuple
    split: float
    shift: float
    lower: float
    upper: float

    @property
    def holds(self) -> bool:
        """Whether the lower line rises as the pair needs (and an L2 line at all)."""
        if not (self.lower > 0 and self.lower >= MIN_LOWER_SHARE * max(self.upper, 0.0)):
            return False
        return self.subshells[1] != "L2" or self.upper > 0


def pair_rises(energy, data, element, onsets, settings, anchors, reach):
    """Each resolvable white-line pair of ``element`` fitted to the data's rise.

    Parameters
    ----------
    energy, data : numpy.ndarray
        The spectrum's channels (eV on the axis as recorded) and counts.
    element : str
    onsets : dict of str to float
        ``{subshell: onset}`` (true eV) of the element's edges in the window.
    settings : dict
        Microscope settings for the cross-sections.
    anchors : iterable of float
        Shifts (eV, added to the axis) near which the pair is tried.
    reach : float
        How far (eV) from each anchor the pair may move (a chemical shift).

    Returns
    -------
    list of PairRise
        One per pair whose both onsets are in ``onsets``, at least
        :data:`MIN_SPLIT` eV apart, and whose lower edge carries white lines
        (none on channels coarser than :data:`MAX_DISPERSION`): the best fit
        near each anchor, judged as :func:`_verdict` says.
    """
    energy = np.asarray(energy, dtype=float)
    scale = float(energy[1] - energy[0])
    if scale > MAX_DISPERSION:
        return []
    z = vocabulary.atomic_number(element)
    pairs = [
        (lower, upper)
        for upper, lower in _PAIRS.items()
        if upper in onsets
        and lower in onsets
        and has_white_lines(z, lower)
        and onsets[upper] - onsets[lower] >= MIN_SPLIT
    ]
    if not pairs:
        return []
    rise = _rise(without_spikes(np.nan_to_num(np.asarray(data, dtype=float)), scale), scale)
    near_anchor = np.arange(-reach, reach + scale / 4, max(scale / 2, 0.1))
    out = []
    for lower, upper in pairs:
        lo, hi = float(onsets[lower]), float(onsets[upper])
        # Each line once, on a grid fine enough to move by any shift: the
        # tables are slow to evaluate and every shift needs both lines. With
        # the calibration's white lines and without: a line may be a plain
        # step (Cu metal, a thick area's smeared lines).
        first, last = lo - _MARGIN - _PAD, hi + _MARGIN + _PAD
        fine = np.arange(first, last + _FINE, _FINE)
        steps = [element_cross_section(element, [sub], fine, settings) for sub in (lower, upper)]
        height = white_line_height(element, list(onsets), lo, settings)
        ratio = WHITE_LINE_RATIO.get(element, 1.0)
        shapes = [
            steps,
            [
                steps[0] + white_line(fine, lo, height),
                steps[1] + white_line(fine, hi, height / ratio),
            ],
        ]
        # Each line's rise once, on the fine grid, sampled at every shift.
        rises = [[_rise(line, scale, _FINE) for line in lines] for lines in shapes]
        found = []
        for anchor in anchors:
            best = [
                _best_fit(energy, rise, fine, lines, anchor + near_anchor, lo, hi)
                for lines in rises
            ]
            found += [PairRise(element, (lower, upper), hi - lo, *b[1:]) for b in best if b]
        if found:
            out.append(_verdict(found))
    return out


def _verdict(found):
    """The fit that judges a pair: one holding with lines of the element's size, else one failing.

    A fit shows the element's lines where they are at least
    :data:`MIN_LINE_SHARE` of the largest found at any shift tried: where
    they are smaller, they hold or fail by the noise (or by another edge's
    tail), and a fit that holds there speaks for the element no more than
    one that fails.
    """
    size = max(p.lower + p.upper for p in found)
    if size > 0:
        found = [p for p in found if p.lower + p.upper >= MIN_LINE_SHARE * size]
    return next((p for p in found if p.holds), found[0])


def _best_fit(energy, rise, fine, line_rises, shifts, lo, hi):
    """(share explained, shift, lower, upper) of the two lines' best fit, or None.

    ``line_rises``: each line's rise drawn on the ``fine`` grid (true eV).
    """
    best = None
    for s in shifts:
        true = energy + s
        near = (true >= lo - _MARGIN) & (true <= hi + _MARGIN)
        if near.sum() < 8:
            continue
        g = rise[near]
        columns = np.column_stack(
            [np.interp(true[near], fine, line) for line in line_rises] + [np.ones(int(near.sum()))]
        )
        coef, misfit = _rising_lines(columns, g)
        # Share of the data's rise the two lines explain: windows at
        # different shifts hold different channels.
        spread = float(np.sum((g - g.mean()) ** 2))
        explained = 1.0 - misfit / max(spread, 1e-300)
        if best is None or explained > best[0]:
            best = (explained, float(s), float(coef[0]), float(coef[1]))
    return best


def _rising_lines(columns, g):
    """Least squares of ``g`` on ``columns`` (two lines, a constant) with the lines >= 0.

    A line that falls is no line: unconstrained, a fit can place the lower
    line on another edge's rise and cancel the upper with a negative amount.
    With two bounded amounts the optimum is the best of the fits whose free
    amounts come out >= 0, over the four choices of which lines are free
    (the first, both free, is the optimum whenever it is allowed).
    """
    best = None
    for free in ((0, 1, 2), (0, 2), (1, 2), (2,)):
        c, *_ = np.linalg.lstsq(columns[:, free], g, rcond=None)
        if np.any(c[:-1] < 0):
            continue
        misfit = float(np.sum((g - columns[:, free] @ c) ** 2))
        if best is None or misfit < best[1]:
            coef = np.zeros(3)
            coef[list(free)] = c
            best = (coef, misfit)
        if len(free) == 3:
            break
    return best
