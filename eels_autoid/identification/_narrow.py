"""Windows too narrow to fit: two rivals told apart by where their edges rise.

Where no candidate's edge has the pre-edge and post-edge range that a fit
needs (a window of a few tens of eV around one edge), the spectrum model
cannot weigh the network's proposals. The data still show where they rise:
an edge rises at its onset, within the chemical shift, whatever the
background under it. Of two detected elements whose edges lie within
:data:`~._windows.RIVAL_DISTANCE` of each other, one whose edges rise
sharply when present (:func:`rises_sharply`) but do not rise where the
tables put them, while the other's clearly do, is the network reading the
other's edge (the sigma* peak of B K as Cl L2,3, or the rise of Cl L2,3 as
B K's continuum) and is dropped. Never dropped: an element whose edges rise
to a delayed maximum (Ga L2,3 beside Eu M4,5 barely correlates at its
onset), one whose rise cannot be measured (a lanthanide's N4,5 resonance,
which does not rise where one-electron tables put it), and a lone element.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import vocabulary
from .._white_lines import WHITE_LINE_M, has_white_lines
from ._windows import near

__all__ = ["Rise", "edge_rises", "rivals_without_rise", "without_rise", "NO_RISE", "CLEAR_RISE"]

# Correlation of the data's rise with the table's, within the chemical shift
# of the axis, at or below which an element's edges do not rise, and at or
# above which they clearly do. Chosen on simulated narrow windows
# (docs/scripts/fit_narrow.py): B K and Cl L2,3 of equal amounts beside each
# other rise 0.18 or more, an absent one of the two mostly under 0.15.
NO_RISE = 0.15
CLEAR_RISE = 0.5


@dataclass(frozen=True)
class Rise:
    """How an element's edges rise in a window.

    ``correlation``: the best of its families' (see :func:`edge_rises`);
    ``sharp``: whether every one of them rises within a few eV of its onset
    when present, so that a missing rise means a missing edge.
    """

    correlation: float
    sharp: bool


def rises_sharply(element, family):
    """Whether an edge family rises within a few eV of its onset when it is there.

    K edges do, and so do edges that open with white lines or, for Na..Ar,
    with a sharp L2,3 step. The L2,3 edges from Zn on (a full 3d shell) and
    the M4,5 edges without white lines (Rb..Xe, Lu..Bi: 4f states behind a
    centrifugal barrier) rise to a delayed maximum tens of eV above their
    onset: present, they may barely correlate with the table's rise there.
    """
    z = vocabulary.atomic_number(element)
    if family == "K":
        return True
    if family == "L2,3":
        return z < 30
    if family == "M4,5":
        return has_white_lines(z, "M5")
    return False


def edge_rises(energy, y, elements, settings, offset=0.0):
    """Per element: how well its edges' rise matches the data's near their onsets.

    The best correlation of the data's rise (its detrended derivative) with
    the table's, white lines included, within the chemical shift of
    ``offset``, over the element's K, L2,3 and M4,5 edge families (and an
    N4,5 that rises where the tables put it) whose onsets lie in the window.

    Returns
    -------
    dict of str to Rise
        Elements with no such family are left out.
    """
    from ..spectrum_model._edges import LANTHANIDES, family_of, tabulated_onsets
    from ..spectrum_model._model import MAX_SHIFT, rise_column
    from ..spectrum_model._onsets import edge_shifts

    energy = np.asarray(energy, dtype=float)
    true = energy + offset
    rising, families = {}, {}
    for el in elements:
        # Every tabulated edge in the window, however near its ends: nothing is fitted.
        rising[el] = tabulated_onsets(el, float(true[0]), float(true[-1]))
        resonant = el in LANTHANIDES or vocabulary.atomic_number(el) in WHITE_LINE_M
        for sub, onset in rising[el].items():
            family = family_of(sub)
            if family in vocabulary.EDGE_FAMILIES and not (resonant and family == "N4,5"):
                families.setdefault((el, family), []).append(onset)
    if not families:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shifts = edge_shifts(
            true,
            np.asarray(y, dtype=float),
            families,
            lambda el, e: rise_column(el, rising[el], e, settings),
            MAX_SHIFT,
        )
    rises = {}
    for s in shifts:
        before = rises.get(s.element, Rise(-1.0, True))
        rises[s.element] = Rise(
            max(before.correlation, s.correlation),
            before.sharp and rises_sharply(s.element, s.family),
        )
    return rises


def rivals_without_rise(energy, y, detected, settings, offset=0.0):
    """The detected elements whose sharp edges do not rise while a rival's do.

    Returns
    -------
    dict of str to (str, float)
        ``{element: (rival, its rise correlation)}`` for each element to drop.
    """
    if len(detected) < 2:
        return {}
    return without_rise(edge_rises(energy, y, detected, settings, offset))


def without_rise(rises, no_rise=NO_RISE, clear_rise=CLEAR_RISE):
    """The rule of :func:`rivals_without_rise` on measured ``rises`` (see :func:`edge_rises`)."""
    dropped = {}
    for el, rise in rises.items():
        if not rise.sharp or rise.correlation > no_rise:
            continue
        rivals = [
            other
            for other, r in rises.items()
            if other != el
            and r.correlation >= clear_rise
            and near(_main_onsets(el), _main_onsets(other))
        ]
        if rivals:
            dropped[el] = (max(rivals, key=lambda o: rises[o].correlation), rise.correlation)
    return dropped


def _main_onsets(element):
    """Onsets (eV) of the element's K, L2,3, M4,5 and N4,5 edges."""
    from ..spectrum_model._edges import MAJOR_SUBSHELLS

    return [v for sub, v in vocabulary.subshell_onsets(element).items() if sub in MAJOR_SUBSHELLS]
