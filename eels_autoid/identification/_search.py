"""What the network missed: a search of the residual over the vocabulary's edges.

Once the check has confirmed the network's elements, every other element
with a main edge family (K, L2,3, M4,5) in the window is tried as its whole
set of edges: an L2,3 pair, an M4,5 pair, a K edge, each with its near-edge
freedom, all tied to one amount and fitted together with the confirmed
elements over each family's own window. An element is *suggested* when

1. its edges rise where the tables put them, at the spectrum's offset (the
   rise of the data, its detrended derivative, correlates with the
   table's within the chemical shift);
2. its evidence (the chi-squared its amount gains, as in the check) passes a
   significance corrected for the number of elements tried (look-elsewhere);
3. it explains those channels better than every other element with an edge
   within :data:`~._windows.RIVAL_DISTANCE` of its own fitted in its place,
   whatever their rises (an element whose delayed maximum the tables hold,
   a lanthanide's N4,5): otherwise the spectrum cannot say which element it
   is.

Only edge families clear of the confirmed elements' main edges (modelled or
not) count: within the rival distance of a confirmed edge, that edge's
shape misfit could pass for the element. A lanthanide's N4,5 giant
resonance is not where one-electron tables put it and is not searched.

Suggested, not added: on simulated spectra of drawn compositions, and on
the shared real ones, the elements this finds are more often absent than
present (docs/scripts/fit_search.py): the misfit of a one-electron model at
10^5..10^6 counts is larger than the look-elsewhere correction allows for.
What it finds is shown for the microscopist to judge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import vocabulary
from .._bad_values import filled_spectrum
from ._windows import element_evidence, fit_window, near

__all__ = ["Found", "search_spectrum", "search_statistics", "search_threshold"]

# Families searched: those whose onset the tables hold.
SEARCHED_FAMILIES = ("K", "L2,3", "M4,5")
# The smallest correlation of the data's rise with the table's at the onset
# (within the chemical shift of the spectrum's offset), chosen on simulated
# spectra by docs/scripts/fit_search.py.
MIN_RISE = 0.7
# False-alarm probability of one search over the whole vocabulary (one
# sided 3 sigma), shared among the elements tried.
FALSE_ALARM = 1.35e-3
# At most this many elements (the clearest rises) are fitted per spectrum.
MAX_FITTED = 6


@dataclass(frozen=True)
class Found:
    """An element the search suggests: its evidence, its significance and why."""

    element: str
    evidence: float
    probability: float
    reason: str
    rival: str = ""


def search_threshold(n_tried):
    """Evidence an element found by the search needs, with ``n_tried`` elements tried.

    The evidence of an absent element is, in noise alone, a half
    chi-squared(1) (its amount is >= 0); the threshold is where that
    distribution's tail holds :data:`FALSE_ALARM` / ``n_tried``.
    """
    from scipy.stats import chi2

    return float(chi2.isf(2.0 * FALSE_ALARM / max(int(n_tried), 1), 1))


def _look_elsewhere_probability(evidence, n_tried):
    """One minus the look-elsewhere corrected p-value of ``evidence``."""
    from scipy.stats import chi2

    p = 0.5 * float(chi2.sf(max(evidence, 0.0), 1)) * max(int(n_tried), 1)
    return 1.0 - min(p, 1.0)


def _rises(model, y, offset, families):
    """Per family: the best correlation of the data's rise with the table's at the onset.

    Within the chemical shift of the spectrum's offset.
    """
    from ..spectrum_model._edges import element_cross_section
    from ..spectrum_model._model import MAX_SHIFT
    from ..spectrum_model._onsets import edge_shifts

    shifts = edge_shifts(
        model.energy + offset,
        y[model.fitted],
        families,
        lambda el, e: element_cross_section(el, model._subshells(el), e, model.settings),
        MAX_SHIFT,
    )
    return {(s.element, s.family): s.correlation for s in shifts}


def _evidence(energy, y, element, confirmed, families, settings, offset, over=False):
    """Evidence of ``element`` summed over the windows of ``families``, ``confirmed`` fitted too.

    ``over``: measured over the ranges of ``families`` (another element's
    edges) rather than over the element's own.
    """

    total = 0.0
    for onsets in families:
        fitted = fit_window(energy, y, [*confirmed, element], settings, onsets, element, offset)
        if fitted is None:
            continue
        model, fit = fitted
        # A subtracted background leaves no pre-edge level to compare edges with.
        if not fit.background_subtracted:
            # A lanthanide seen through N4,5 alone is judged by its whole
            # contribution; in another element's place, by its edge as any.
            whole = model.n45_only(element) and not over
            total += element_evidence(model, fit, element, whole, [onsets] if over else None)
    return total


def search_statistics(
    energy, data, confirmed, settings, offset, min_rise=None, max_fitted=MAX_FITTED
):
    """What the search measures of every element it tries.

    Returns
    -------
    n_tried : int
        Elements with a searched family clear of the confirmed edges.
    families : dict
        Those families, ``{(element, family): onsets}``.
    statistics : dict of str to (float, float, float)
        Per element tried: the best rise correlation of its families at the
        onset, its evidence, and the largest evidence of another element
        with an edge within the rival distance fitted in its place, on the
        same channels (evidence NaN unless its rise reaches ``min_rise``,
        default :data:`MIN_RISE`, and it is among the ``max_fitted``
        clearest rises; the rivals' unless its evidence passes the
        threshold).
    """
    from ..spectrum_model import SpectrumModel, rolloff_end
    from ..spectrum_model._edges import MAJOR_SUBSHELLS

    min_rise = MIN_RISE if min_rise is None else min_rise
    y = filled_spectrum(data)
    tried = [
        el
        for el in vocabulary.observable_elements(float(energy[0]), float(energy[-1]))
        if el not in confirmed
    ]
    try:
        everything = (
            SpectrumModel(energy, [*confirmed, *tried], settings, data_start=rolloff_end(energy, y))
            if tried
            else None
        )
    except ValueError:
        everything = None
    if everything is None:
        return 0, {}, {}
    # Every main edge of a confirmed element, modelled or not (a
    # lanthanide's N4,5 beside its M4,5); its weak L1 or M2,3 edges do not
    # hide another element's.
    taken = [
        v
        for el in confirmed
        for sub, v in vocabulary.subshell_onsets(el).items()
        if sub in MAJOR_SUBSHELLS
    ]
    families = {
        key: onsets
        for key, onsets in everything.families.items()
        if key[0] in tried and key[1] in SEARCHED_FAMILIES and not near(onsets, taken)
    }
    if not families:
        return 0, {}, {}
    n_tried = len({el for el, _ in families})
    threshold = search_threshold(n_tried)
    best = {}
    for (el, _), r in _rises(everything, y, offset, families).items():
        best[el] = max(best.get(el, -1.0), r)
    statistics = {el: (r, math.nan, math.nan) for el, r in best.items()}
    rising = sorted((el for el, r in best.items() if r >= min_rise), key=lambda el: -best[el])
    for el in rising[:max_fitted]:
        own = [onsets for (e, _), onsets in families.items() if e == el]
        evidence = _evidence(energy, y, el, confirmed, own, settings, offset)
        rivals = math.nan
        if evidence >= threshold:
            # Every other element with an edge near this one's, rising or
            # not, fitted in its place: what it explains on the same channels.
            mine = [v for onsets in own for v in onsets]
            rivals = 0.0
            for other in tried:
                if other != el and any(
                    near(onsets, mine)
                    for (e, _), onsets in everything.families.items()
                    if e == other
                ):
                    rivals = max(
                        rivals,
                        _evidence(energy, y, other, confirmed, own, settings, offset, over=True),
                    )
        statistics[el] = (best[el], evidence, rivals)
    return n_tried, families, statistics


def search_spectrum(energy, data, confirmed, settings, offset):
    """Elements whose edges the spectrum holds and the confirmed ones do not explain.

    Parameters
    ----------
    energy, data : numpy.ndarray
        The spectrum and its axis (eV).
    confirmed : list of str
        The elements the check confirmed: fitted with every element tried.
    settings : dict
        Microscope settings.
    offset : float
        The spectrum's energy offset (eV).

    Returns
    -------
    dict of str to Found
        ``probability`` is one minus the look-elsewhere corrected p-value of
        the evidence.
    """
    n_tried, families, statistics = search_statistics(energy, data, confirmed, settings, offset)
    threshold = search_threshold(n_tried)
    found = {
        el: ev for el, (_, ev, rivals) in statistics.items() if ev >= threshold and ev > rivals
    }

    # Two found elements whose edges overlap explain the same structure:
    # the stronger stays and names the other.
    def onsets(el):
        return [v for (e, _), o in families.items() if e == el for v in o]

    kept, rival = [], {}
    for el in sorted(found, key=lambda e: -found[e]):
        clash = next((k for k in kept if near(onsets(el), onsets(k))), None)
        if clash is None:
            kept.append(el)
        else:
            rival.setdefault(clash, el)
    return {
        el: Found(
            el,
            float(found[el]),
            _look_elsewhere_probability(found[el], n_tried),
            f"suggested by the residual search: its edges rise where the tables put them "
            f"and the fit needs them (evidence {found[el]:.0f}, {threshold:.0f} needed with "
            f"{n_tried} elements tried); not confirmed",
            rival.get(el, ""),
        )
        for el in kept
    }
