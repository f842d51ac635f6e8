"""Identification metrics on (labels, probabilities) arrays. Pure numpy.

Conventions shared by every function:

* ``y_true``: (n, k) 0/1 labels; ``y_prob``: (n, k) probabilities or
  ``y_pred``: (n, k) 0/1 decisions, columns in :data:`eels_autoid.ELEMENTS`
  order unless ``elements`` says otherwise.
* ``observable``: optional (n, k) or (k,) boolean: only the (spectrum,
  element) pairs where it is True count. An element without an edge in the
  measured window is *not observable*, which is not the same as absent: it is
  neither a miss nor a correct rejection.
* ``exclude``: element symbols left out entirely (carbon on real data, which
  is ambiguous because of contamination, as Annys et al. did).

The headline figures are micro-averaged over all counted pairs (precision,
recall, F1) and the exact-match ratio (the fraction of spectra whose counted
decisions are all right). The support-weighted figures Annys et al. reported
and Kong et al.'s accuracies are there for comparison with those papers.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..vocabulary import ELEMENTS

__all__ = [
    "counted_mask",
    "decide",
    "micro_scores",
    "support_weighted_scores",
    "kong_accuracies",
    "per_element_table",
    "confused_pairs",
    "threshold_sweep",
    "best_threshold",
    "per_element_thresholds",
    "reliability_curve",
    "sensitivity_study",
]


def _as_2d(a, name, dtype=None):
    a = np.asarray(a, dtype=dtype)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (n_spectra, n_elements), got shape {a.shape}.")
    return a


def counted_mask(shape, observable=None, exclude=(), elements=ELEMENTS):
    """Boolean (n, k) mask of the (spectrum, element) pairs that count.

    Parameters
    ----------
    shape : tuple
        (n, k).
    observable : array_like of bool, shape (n, k) or (k,), optional
    exclude : iterable of str
        Elements left out.
    elements : sequence of str
        Column names.

    Returns
    -------
    numpy.ndarray of bool
    """
    n, k = shape
    if len(elements) != k:
        raise ValueError(f"{k} columns but {len(elements)} element names.")
    mask = np.ones((n, k), dtype=bool)
    if observable is not None:
        mask &= np.broadcast_to(np.asarray(observable, dtype=bool), (n, k))
    unknown = set(exclude) - set(elements)
    if unknown:
        raise ValueError(f"Unknown elements in exclude: {sorted(unknown)}.")
    for el in exclude:
        mask[:, list(elements).index(el)] = False
    return mask


def decide(y_prob, threshold=0.5):
    """0/1 decisions: ``y_prob > threshold`` (a float or an array of k thresholds).

    Strictly greater, as :class:`eels_autoid.EdgeIdentification` decides.
    """
    y_prob = _as_2d(y_prob, "y_prob", float)
    return y_prob > np.asarray(threshold, dtype=float)


def _prepare(y_true, y_pred, observable, exclude, elements):
    y_true = _as_2d(y_true, "y_true").astype(bool)
    y_pred = _as_2d(y_pred, "y_pred").astype(bool)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape.")
    mask = counted_mask(y_true.shape, observable, exclude, elements)
    return y_true, y_pred, mask


def _ratio(num, den):
    return float(num / den) if den else float("nan")


def micro_scores(y_true, y_pred, *, observable=None, exclude=(), elements=ELEMENTS):
    """Micro precision, recall and F1 over all counted pairs, and the exact-match ratio.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n, k)
        Labels and 0/1 decisions (see :func:`decide`).
    observable, exclude, elements
        See the module documentation.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (NaN when undefined: no positive
        decision, no positive label), ``exact_match`` (fraction of spectra with
        every counted pair right), ``tp``, ``fp``, ``fn``, ``tn`` and
        ``n_spectra``.
    """
    y_true, y_pred, mask = _prepare(y_true, y_pred, observable, exclude, elements)
    tp = int((y_true & y_pred & mask).sum())
    fp = int((~y_true & y_pred & mask).sum())
    fn = int((y_true & ~y_pred & mask).sum())
    tn = int((~y_true & ~y_pred & mask).sum())
    exact = ((y_true == y_pred) | ~mask).all(axis=1)
    return dict(
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        exact_match=float(exact.mean()) if len(exact) else float("nan"),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        n_spectra=int(len(exact)),
    )


def per_element_table(y_true, y_pred, *, observable=None, exclude=(), elements=ELEMENTS):
    """Per-element counts and scores.

    Returns
    -------
    list of dict
        One row per element that is counted at least once: ``element``,
        ``support`` (positive labels), ``counted`` (pairs), ``tp``, ``fp``,
        ``fn``, ``precision``, ``recall``, ``f1`` (NaN where undefined).
    """
    y_true, y_pred, mask = _prepare(y_true, y_pred, observable, exclude, elements)
    rows = []
    for j, el in enumerate(elements):
        m = mask[:, j]
        if not m.any():
            continue
        t, p = y_true[m, j], y_pred[m, j]
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        rows.append(
            dict(
                element=el,
                support=int(t.sum()),
                counted=int(m.sum()),
                tp=tp,
                fp=fp,
                fn=fn,
                precision=_ratio(tp, tp + fp),
                recall=_ratio(tp, tp + fn),
                f1=_ratio(2 * tp, 2 * tp + fp + fn),
            )
        )
    return rows


def support_weighted_scores(y_true, y_pred, *, observable=None, exclude=(), elements=ELEMENTS):
    """Per-element precision, recall and F1 averaged with weights = support (Annys et al.).

    Elements without positive labels carry no weight. An element that is
    never predicted has precision 0 (scikit-learn's ``zero_division=0``, as
    Annys et al.'s figures were computed with).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``support`` (total positive labels).
    """
    rows = per_element_table(
        y_true, y_pred, observable=observable, exclude=exclude, elements=elements
    )
    rows = [r for r in rows if r["support"] > 0]
    if not rows:
        return dict(precision=float("nan"), recall=float("nan"), f1=float("nan"), support=0)
    w = np.array([r["support"] for r in rows], dtype=float)

    def zero_nan(key):
        return np.array([0.0 if np.isnan(r[key]) else r[key] for r in rows])

    return dict(
        precision=float(np.average(zero_nan("precision"), weights=w)),
        recall=float(np.average(zero_nan("recall"), weights=w)),
        f1=float(np.average(zero_nan("f1"), weights=w)),
        support=int(w.sum()),
    )


def kong_accuracies(y_true, y_pred, *, observable=None, exclude=(), elements=ELEMENTS):
    """Kong et al.'s spectrum-level accuracies.

    Returns
    -------
    dict
        ``exact_accuracy``: fraction of spectra whose predicted element set
        equals the labelled set (the exact-match ratio);
        ``recognition_accuracy``: fraction of spectra in which every labelled
        element is found (extra elements allowed).
    """
    y_true, y_pred, mask = _prepare(y_true, y_pred, observable, exclude, elements)
    exact = ((y_true == y_pred) | ~mask).all(axis=1)
    found_all = (~(y_true & mask) | y_pred).all(axis=1)
    n = len(exact)
    return dict(
        exact_accuracy=float(exact.mean()) if n else float("nan"),
        recognition_accuracy=float(found_all.mean()) if n else float("nan"),
        n_spectra=n,
    )


def confused_pairs(y_true, y_pred, *, observable=None, exclude=(), elements=ELEMENTS, top=10):
    """The most frequent (missed element, wrongly reported element) pairs.

    Within each spectrum, every missed labelled element is paired with every
    element reported but not labelled: a spectrum of Ce read as La gives
    (Ce, La). Pairs are counted over spectra and sorted by count.

    Returns
    -------
    list of tuple
        ``(missed, reported_instead, count)``, at most ``top`` of them.
    """
    y_true, y_pred, mask = _prepare(y_true, y_pred, observable, exclude, elements)
    counts = Counter()
    for t, p, m in zip(y_true, y_pred, mask, strict=True):
        missed = np.nonzero(t & ~p & m)[0]
        extra = np.nonzero(~t & p & m)[0]
        for a in missed:
            for b in extra:
                counts[(elements[a], elements[b])] += 1
    return [(a, b, c) for (a, b), c in counts.most_common(top)]


def threshold_sweep(
    y_true, y_prob, thresholds=None, *, observable=None, exclude=(), elements=ELEMENTS
):
    """Micro scores and exact match over a range of global thresholds.

    Parameters
    ----------
    thresholds : array_like, optional
        Default 0.05, 0.10 .. 0.95.

    Returns
    -------
    list of dict
        One :func:`micro_scores` dict per threshold, with ``threshold`` added.
    """
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 0.951, 0.05), 2)
    out = []
    for t in thresholds:
        s = micro_scores(
            y_true, decide(y_prob, t), observable=observable, exclude=exclude, elements=elements
        )
        out.append(dict(threshold=float(t), **s))
    return out


def best_threshold(
    y_true=None,
    y_prob=None,
    thresholds=None,
    *,
    observable=None,
    exclude=(),
    elements=ELEMENTS,
    sweeps=None,
):
    """The global threshold with the highest micro F1: the package's threshold policy.

    On one data set, the threshold of :func:`threshold_sweep` with the
    highest micro F1. On several (``sweeps``), each weighs equally: the
    threshold with the highest mean of their micro F1s. The bundled model's
    threshold is chosen so, on its simulated validation set and the real
    validation spectra (carbon excluded), by
    :func:`eels_autoid.training.release_model`. Ties go to the threshold
    with the higher (mean) exact match, then the one closest to 0.5.
    Thresholds where a data set's F1 is undefined are skipped.

    Parameters
    ----------
    y_true, y_prob : array_like, shape (n, k), optional
        Labels and probabilities of one data set.
    thresholds : array_like, optional
        Thresholds swept over ``y_prob`` (see :func:`threshold_sweep`).
    observable, exclude, elements
        See the module documentation.
    sweeps : sequence of list of dict, optional
        Instead of ``y_true`` and ``y_prob``: the :func:`threshold_sweep`
        rows of one or more data sets, over the same thresholds.

    Returns
    -------
    float
        The threshold; 0.5 where every F1 is undefined.
    """
    if sweeps is None:
        if y_true is None or y_prob is None:
            raise TypeError("best_threshold needs y_true and y_prob, or sweeps.")
        sweeps = [
            threshold_sweep(
                y_true,
                y_prob,
                thresholds,
                observable=observable,
                exclude=exclude,
                elements=elements,
            )
        ]
    elif y_true is not None or y_prob is not None:
        raise TypeError("best_threshold takes y_true and y_prob, or sweeps, not both.")
    sweeps = [list(rows) for rows in sweeps]
    if not sweeps:
        raise ValueError("best_threshold needs at least one sweep.")
    grid = [r["threshold"] for r in sweeps[0]]
    if any([r["threshold"] for r in rows] != grid for rows in sweeps[1:]):
        raise ValueError("The sweeps must cover the same thresholds.")
    best, best_key = 0.5, None
    for i, t in enumerate(grid):
        f1 = [rows[i]["f1"] for rows in sweeps]
        if any(np.isnan(f) for f in f1):
            continue
        exact = np.mean([rows[i]["exact_match"] for rows in sweeps])
        key = (float(np.mean(f1)), float(exact), -abs(t - 0.5))
        if best_key is None or key > best_key:
            best, best_key = t, key
    return float(best)


def per_element_thresholds(
    y_true,
    y_prob,
    thresholds=None,
    *,
    observable=None,
    elements=ELEMENTS,
    min_support=20,
    default=0.5,
):
    """Per-element thresholds maximising each element's F1, where there is enough data.

    Elements with fewer than ``min_support`` positive labels keep ``default``
    (a threshold fitted to a handful of cases would only fit noise); among
    thresholds with equal F1 the one nearest ``default`` wins.

    Returns
    -------
    dict
        ``{element: threshold}`` for the elements that differ from ``default``.
    """
    y_true = _as_2d(y_true, "y_true").astype(bool)
    y_prob = _as_2d(y_prob, "y_prob", float)
    mask = counted_mask(y_true.shape, observable, (), elements)
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 0.951, 0.05), 2)
    out = {}
    for j, el in enumerate(elements):
        m = mask[:, j]
        t = y_true[m, j]
        if t.sum() < min_support:
            continue
        p = y_prob[m, j]
        f1 = []
        for th in thresholds:
            d = p > th
            tp, fp, fn = (t & d).sum(), (~t & d).sum(), (t & ~d).sum()
            f1.append(2 * tp / max(2 * tp + fp + fn, 1))
        f1 = np.array(f1)
        # Among equally good thresholds, the one nearest the default.
        ties = np.nonzero(f1 >= f1.max() - 1e-12)[0]
        best = float(thresholds[ties[np.argmin(np.abs(np.asarray(thresholds)[ties] - default))]])
        if best != default:
            out[el] = best
    return out


def reliability_curve(y_true, y_prob, *, n_bins=10, observable=None, exclude=(), elements=ELEMENTS):
    """Calibration: observed frequency of positives against predicted probability.

    Parameters
    ----------
    n_bins : int
        Equal-width probability bins over [0, 1].

    Returns
    -------
    dict
        ``bin_edges`` (n_bins + 1), ``mean_predicted``, ``observed_frequency``
        and ``count`` per bin (NaN for empty bins), ``ece`` (expected
        calibration error: count-weighted mean absolute gap) and ``brier``.
    """
    y_true = _as_2d(y_true, "y_true").astype(float)
    y_prob = _as_2d(y_prob, "y_prob", float)
    mask = counted_mask(y_true.shape, observable, exclude, elements)
    t, p = y_true[mask], y_prob[mask]
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(idx, weights=p, minlength=n_bins) / count
        freq = np.bincount(idx, weights=t, minlength=n_bins) / count
    gap = np.where(count > 0, np.abs(mean_p - freq), 0.0)
    n = count.sum()
    return dict(
        bin_edges=edges,
        mean_predicted=mean_p,
        observed_frequency=freq,
        count=count,
        ece=float((gap * count).sum() / n) if n else float("nan"),
        brier=float(np.mean((p - t) ** 2)) if n else float("nan"),
    )


def sensitivity_study(y_true, y_pred, strength, bins, *, level=0.9, elements=ELEMENTS):
    """Kong et al.'s sensitivity study: how weak an edge each element is still found at.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n, k)
        Labels and decisions.
    strength : array_like, shape (n, k)
        A measure of each labelled element's signal, e.g. its edge-to-background
        ratio (:func:`eels_autoid.vocabulary.edge_to_background_ratio`) or its
        peak signal-to-noise ratio; ignored where ``y_true`` is 0 (NaN there is fine).
    bins : array_like
        Increasing bin edges of ``strength``.
    level : float
        Detection rate that counts as "still found".

    Returns
    -------
    dict
        ``{element: row}`` for each element with labelled cases. ``row`` has
        ``n`` (labelled cases), ``rate`` (detection rate per bin, NaN if
        empty), ``count`` per bin, ``weakest_found`` (smallest strength at
        which it was found, NaN if never) and ``limit``: the lower edge of the
        lowest bin from which on every non-empty bin reaches ``level`` (NaN if
        even the strongest bin does not).
    """
    y_true = _as_2d(y_true, "y_true").astype(bool)
    y_pred = _as_2d(y_pred, "y_pred").astype(bool)
    strength = _as_2d(strength, "strength", float)
    bins = np.asarray(bins, dtype=float)
    out = {}
    for j, el in enumerate(elements):
        pos = y_true[:, j] & np.isfinite(strength[:, j])
        if not pos.any():
            continue
        s, found = strength[pos, j], y_pred[pos, j]
        idx = np.digitize(s, bins) - 1
        inside = (idx >= 0) & (idx < len(bins) - 1)
        count = np.bincount(idx[inside], minlength=len(bins) - 1)
        hits = np.bincount(idx[inside], weights=found[inside], minlength=len(bins) - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = hits / count
        limit = float("nan")
        for b in range(len(bins) - 2, -1, -1):
            if count[b] == 0:
                continue
            if rate[b] >= level:
                limit = float(bins[b])
            else:
                break
        out[el] = dict(
            n=int(pos.sum()),
            rate=rate,
            count=count,
            weakest_found=float(s[found].min()) if found.any() else float("nan"),
            limit=limit,
        )
    return out
