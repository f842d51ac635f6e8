"""Sample compositions: 1..6 elements, biased towards oxides, nitrides and carbides.

The composition is drawn knowing the window, so that most spectra hold at
least one element with an edge in it (the *main* element, whose main edge gets
the drawn edge-to-background ratio); the other elements come from the whole
vocabulary and may or may not show. A stated fraction of spectra is drawn
with no observable element at all (negatives); more become negative when
their edges are too weak to detect.
"""

from __future__ import annotations

import functools

import numpy as np

from ..vocabulary import EDGES, ELEMENTS
from ._parameters import draw


@functools.cache
def _edge_arrays():
    onsets = np.array([e.onset for e in EDGES])
    margins = np.array([e.margin for e in EDGES])
    return onsets, margins


def observable_matrix(starts, ends):
    """(n, len(EDGES)) bool: the rule of :func:`eels_autoid.vocabulary.observable_edges`
    (onset in [start, end - margin]) for many windows at once."""
    onsets, margins = _edge_arrays()
    starts = np.asarray(starts, dtype=float)[:, None]
    ends = np.asarray(ends, dtype=float)[:, None]
    return (onsets >= starts) & (onsets <= ends - margins)


ANIONS = ("O", "N", "C")
ANION_WEIGHTS = (0.6, 0.25, 0.15)


def draw_compositions(rng, n, params, starts, ends, elements=None):
    """Draw one composition per spectrum.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    params : SimulationParameters
    starts, ends : numpy.ndarray, shape (n,)
        Recorded windows (eV).
    elements : sequence of str, dict, or a sequence of those, optional
        A fixed composition for every spectrum (or one per spectrum); a dict
        gives the atomic proportions (``{"La": 1, "Mn": 1, "O": 3}``),
        otherwise they are drawn.

    Returns
    -------
    list of dict
        ``elements`` (list of str), ``fractions`` (atomic, summing to 1),
        ``main`` (index into ``elements`` or -1), ``main_edge`` (an
        :class:`~eels_autoid.vocabulary.Edge` or None), ``negative`` (drawn
        as a negative).
    """
    out = []
    n_el = draw(rng, "n_elements", params, n, dtype=int)
    obs = observable_matrix(starts, ends)
    for i in range(n):
        edges = [EDGES[k] for k in np.nonzero(obs[i])[0]]
        observable = sorted({e.element for e in edges}, key=ELEMENTS.index)
        given = None
        if elements is not None:
            given = (
                elements
                if isinstance(elements, dict) or isinstance(elements[0], str)
                else elements[i]
            )
            chosen = list(given)
            negative = False
        else:
            negative = rng.random() < params.negative_fraction or not observable
            # A window that shows every element cannot hold a negative.
            negative = negative and len(observable) < len(ELEMENTS)
            chosen = _draw_elements(rng, int(n_el[i]), observable, negative, params)
        fractions = rng.dirichlet(np.full(len(chosen), 2.0))
        if isinstance(given, dict):
            # Stoichiometry given: {"La": 1, "Mn": 1, "O": 3}.
            fractions = np.array([given[el] for el in chosen], dtype=float)
            fractions = fractions / fractions.sum()
        main, main_edge = -1, None
        candidates = [e for e in edges if e.element in chosen]
        if candidates and elements is not None:
            # A given composition: the first listed element with an edge in
            # the window carries the ratio, so that maps stay consistent.
            first = next(el for el in chosen if any(e.element == el for e in candidates))
            main_edge = next(e for e in candidates if e.element == first)
            main = chosen.index(first)
        elif candidates:
            main_edge = candidates[rng.integers(len(candidates))]
            main = chosen.index(main_edge.element)
        out.append(
            {
                "elements": chosen,
                "fractions": fractions,
                "main": main,
                "main_edge": main_edge,
                "negative": bool(negative),
            }
        )
    return out


def _draw_elements(rng, k, observable, negative, params):
    pool = [el for el in ELEMENTS if el not in observable] if negative else list(ELEMENTS)
    chosen = []
    k = min(k, len(pool) + (0 if negative else 1))
    if not negative:
        chosen.append(observable[rng.integers(len(observable))])
    if rng.random() < params.material_bias:
        anion = ANIONS[rng.choice(3, p=ANION_WEIGHTS)]
        if anion in pool and anion not in chosen:
            chosen.append(anion)
    while len(chosen) < k:
        # Half the extra elements come from those with an edge in the window:
        # compositions then mix neighbouring edges, the hard cases.
        source = observable if (not negative and observable and rng.random() < 0.5) else pool
        el = source[rng.integers(len(source))]
        if el not in chosen:
            chosen.append(el)
    return chosen


# Their core levels lie under a localised 4f shell: small chemical shifts.
_LANTHANIDES = frozenset(ELEMENTS[ELEMENTS.index("La") : ELEMENTS.index("Lu") + 1])


def chemical_shifts(rng, params, elements):
    """Shift (eV) of all edges of each (spectrum, element) pair, one per symbol.

    Normal around the middle of ``params.chemical_shift`` with
    ``params.chemical_shift_sigma`` (``params.chemical_shift_sigma_4f`` for
    La..Lu), clipped to that range (uniform over it if the sigma is None). A
    narrow core matters: neighbouring lanthanide N4,5 onsets lie 4..7 eV
    apart, and a uniform +-5 eV made them interchangeable.
    """
    n = len(elements)
    lo, hi = (float(v) for v in params.chemical_shift)
    sigma = params.chemical_shift_sigma
    if sigma is None or lo == hi:
        return draw(rng, "chemical_shift", params, n)
    sigmas = np.where(
        [el in _LANTHANIDES for el in elements], params.chemical_shift_sigma_4f, float(sigma)
    )
    return np.clip(0.5 * (lo + hi) + rng.standard_normal(n) * sigmas, lo, hi)
