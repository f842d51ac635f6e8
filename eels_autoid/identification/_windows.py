"""The local windows over which identification fits the spectrum model.

One background over a window of several keV is decided by the counts near
its start (100 times those at its end); a local background per edge family
holds, and evidence is local anyway. The check of the network's candidates
and the residual search both fit over these windows.
"""

from __future__ import annotations

import warnings

import numpy as np

# Fewer counts than this over the fitted range, or over an edge family's
# window (in units of the estimated detector gain), and shapes cannot be
# judged there.
MIN_COUNTS = 2.0e3
# Evidence (chi-squared in local misfit units) at which the spectrum needs an
# element's edge: the likelihood-ratio statistic of an amount >= 0 is a
# half chi-squared(1) under the null, and 9 is its one-sided 3 sigma.
SIGNIFICANT = 9.0
# Edges this close (eV) can explain each other's signal: one's near-edge
# structure or delayed maximum over the other's onset.
RIVAL_DISTANCE = 60.0
# Each edge family is fitted over its own window: from max(50 eV, 20 %)
# below its first onset to max(150 eV, 30 %) above its last.
WINDOW_BEFORE = (50.0, 0.2)
WINDOW_AFTER = (150.0, 0.3)


def family_range(onsets):
    """(first, last) energy (eV) of the window of an edge family with these onsets."""
    first, last = min(onsets), max(onsets)
    return (
        first - max(WINDOW_BEFORE[0], WINDOW_BEFORE[1] * first),
        last + max(WINDOW_AFTER[0], WINDOW_AFTER[1] * last),
    )


def enough_counts(fit):
    """Whether a fit's channels hold enough counts to judge edge shapes."""
    return float(np.sum(np.abs(fit.data))) / max(fit.noise.gain, 1e-30) >= MIN_COUNTS


def fit_window(energy, y, elements, settings, onsets, element, offset):
    """The spectrum model of ``elements`` fitted over the window of one edge family.

    Returns
    -------
    (SpectrumModel, SpectrumFit) or None
        None where ``element`` has no fitted edge there, the fit fails, or
        the window holds too few counts to judge an edge's shape.
    """
    from ..spectrum_model import SpectrumModel, rolloff_end

    try:
        model = SpectrumModel(
            energy,
            elements,
            settings,
            fit_range=family_range(onsets),
            data_start=rolloff_end(energy, y),
            # The others' weaker edges stay theirs (La M2,3 beside Ga L2,3);
            # the element judged needs a main edge of its own here.
            minor_alone=[el for el in elements if el != element],
        )
        if element not in model.modelled:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(y, offset=offset)
    except ValueError:
        return None
    return (model, fit) if enough_counts(fit) else None


def near(onsets, others):
    """Whether any of ``onsets`` lies within :data:`RIVAL_DISTANCE` of any of ``others``."""
    return any(abs(a - b) <= RIVAL_DISTANCE for a in onsets for b in others)


def element_evidence(model, fit, element, giant_resonance=False, over=None):
    """Evidence for ``element`` in a window's fit: what its edge amount gains the fit.

    For a lanthanide seen through its N4,5 giant resonance alone the edge and
    its near-edge terms are judged together (the tables do not hold the
    resonance's shape), but only once the edge itself is needed:
    zero-integral terms redistribute an edge's intensity and add none, so on
    their own they cannot make an element (the B K sigma* peak is not Lu N4,5).
    ``over``: edge families (onsets) whose ranges the evidence is measured over.
    """
    own = model.evidence(fit, [element], over=over)
    if giant_resonance and own >= SIGNIFICANT:
        return model.evidence(fit, [element], True, over)
    return own
