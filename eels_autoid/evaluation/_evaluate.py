"""Evaluating a model on a labelled folder of real spectra or on a simulated test set.

A folder holds spectra in any format HyperSpy reads (hspy, dm3, dm4, msa ...)
and a ``labels.json``: ``{file name: {"elements": [...], ...}}`` (other keys,
such as ``source_group``, are kept and used to split the results). Every file
goes through :func:`eels_autoid.identify_edges`, exactly as a user's would.
Only the elements observable in a file's window count (an element whose
edges lie outside it can be neither found nor missed); carbon is left out by
default (contamination makes it ambiguous in real spectra).

Spectrum images and line scans are scored twice: their summed spectrum is
one row of the headline figures (like a single spectrum), and every pixel is
scored against the file's labels in a separate per-pixel table (the labels
are the union over pixels, so the per-pixel recall of a map whose phases
differ, such as a line scan across an interface, is a lower bound).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..vocabulary import ELEMENTS, element_index
from . import _metrics as M

__all__ = [
    "evaluate_arrays",
    "evaluate_folder",
    "evaluate_test_set",
    "folder_half",
    "format_report",
]

SPECTRUM_SUFFIXES = {".hspy", ".hdf5", ".dm3", ".dm4", ".msa", ".emsa", ".zspy"}


def multi_hot(elements) -> np.ndarray:
    """(80,) float vector with 1 at the given element symbols."""
    y = np.zeros(len(ELEMENTS), dtype=np.float32)
    for el in elements:
        y[element_index(el)] = 1.0
    return y


def evaluate_arrays(
    y_true,
    y_prob,
    thresholds=0.5,
    *,
    observable=None,
    exclude=(),
    groups=None,
    sweep=None,
    n_bins=10,
    top_pairs=10,
    y_pred=None,
):
    """Every figure of the evaluation for (labels, probabilities) arrays.

    Parameters
    ----------
    y_true, y_prob : array_like, shape (n, 80)
    thresholds : float or array_like of shape (80,)
        Decision thresholds (the model's).
    observable : array_like of bool, shape (n, 80), optional
    exclude : iterable of str
        Elements left out (``("C",)`` on real data).
    groups : sequence of str, optional
        A group name per row (e.g. ``"recent"``/``"atlas"``): micro scores
        are also given per group.
    sweep : array_like, optional
        Thresholds of the sweep (default 0.05..0.95).
    n_bins : int
        Bins of the reliability curve.
    top_pairs : int
        How many confused pairs to list.
    y_pred : array_like of bool, shape (n, 80), optional
        The decisions, where they are not ``y_prob`` above ``thresholds``
        (identification checked against the spectrum model); the sweep and
        the reliability curve still read ``y_prob``.

    Returns
    -------
    dict
        ``micro``, ``support_weighted``, ``kong``, ``per_element``,
        ``confused_pairs``, ``threshold_sweep``, ``best_threshold``,
        ``reliability`` and (with ``groups``) ``by_group``.
    """
    y_true = np.asarray(y_true, dtype=float)
    y_prob = np.asarray(y_prob, dtype=float)
    y_pred = M.decide(y_prob, thresholds) if y_pred is None else np.asarray(y_pred, dtype=bool)
    kw = dict(observable=observable, exclude=exclude)
    report = dict(
        n_spectra=int(len(y_true)),
        excluded=list(exclude),
        micro=M.micro_scores(y_true, y_pred, **kw),
        support_weighted=M.support_weighted_scores(y_true, y_pred, **kw),
        kong=M.kong_accuracies(y_true, y_pred, **kw),
        per_element=M.per_element_table(y_true, y_pred, **kw),
        confused_pairs=M.confused_pairs(y_true, y_pred, top=top_pairs, **kw),
        threshold_sweep=M.threshold_sweep(y_true, y_prob, sweep, **kw),
        best_threshold=M.best_threshold(y_true, y_prob, sweep, **kw),
        reliability=M.reliability_curve(y_true, y_prob, n_bins=n_bins, **kw),
    )
    if groups is not None:
        groups = np.asarray(groups)
        obs = None if observable is None else np.asarray(observable, dtype=bool)
        report["by_group"] = {
            str(g): M.micro_scores(
                y_true[groups == g],
                y_pred[groups == g],
                observable=None if obs is None else obs[groups == g],
                exclude=exclude,
            )
            for g in sorted(set(groups.tolist()))
        }
    return report


def _load_spectrum(path):
    """The EELS signal in a file (the first 1-D signal of a multi-signal file)."""
    import hyperspy.api as hs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = hs.load(path)
    if isinstance(s, list):
        candidates = [x for x in s if x.axes_manager.signal_dimension == 1]
        if not candidates:
            raise ValueError(f"{path} holds no one-dimensional signal.")
        s = candidates[0]
    return s


def _shift_energy_axis(signal, shift):
    """Move the signal's energy axis by ``shift`` eV, in the axis's own units (eV, keV...)."""
    from .._energy_axis import energy_axis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no units": identify_edges says it again
        in_ev = energy_axis(signal)  # also refuses what identify_edges would refuse
    ax = signal.axes_manager.signal_axes[0]
    ax.offset += shift * ax.scale / in_ev.scale


def folder_half(name) -> int:
    """The half (1 or 2) of a labelled folder that a file belongs to.

    A hash of the file name decides, so a file stays in its half whatever
    else the folder holds. Parameters chosen on real spectra are chosen on
    half 1 only; half 2 then measures them on spectra they were not chosen on.
    """
    import hashlib

    return hashlib.sha256(str(name).encode()).digest()[0] % 2 + 1


def evaluate_folder(
    directory,
    *,
    model=None,
    threshold=None,
    exclude=("C",),
    per_pixel=True,
    batch_size=None,
    labels="labels.json",
    files=None,
    sweep=None,
    energy_shift=0.0,
    half=None,
    calibrate=False,
    check=True,
    search=False,
):
    """Evaluate a model on a folder of labelled spectra through ``identify_edges``.

    Parameters
    ----------
    directory : str or pathlib.Path
        The folder with the spectra and ``labels``.
    model : str, pathlib.Path or IdentificationModel, optional
        Passed to :func:`eels_autoid.identify_edges` (default: the bundled model).
    threshold : float or dict, optional
        Override the model's thresholds.
    exclude : iterable of str
        Elements left out of every figure (default carbon).
    per_pixel : bool
        Also score every pixel of spectrum images and line scans.
    batch_size : int, optional
        Passed to ``identify_edges``.
    labels : str
        Name of the labels file inside ``directory``.
    files : iterable of str, optional
        Evaluate only these entries of the labels file.
    sweep : array_like, optional
        Thresholds of the threshold sweep (default 0.05..0.95).
    energy_shift : float
        Added (eV) to the offset of every file's energy axis before it is
        identified: a calibration error of that size, to measure how the
        model's answers depend on the calibration. The files are not changed.
    half : {1, 2}, optional
        Evaluate only the files of this half of the folder (see
        :func:`folder_half`).
    calibrate : bool
        Passed to ``identify_edges``: each summed spectrum calibrates its
        own energy axis first.
    check : bool
        Passed to ``identify_edges``: the decisions are the elements the
        spectrum model confirms (the threshold sweep and the reliability
        curve still read the network's probabilities; per-pixel figures are
        the network's).
    search : bool
        Passed to ``identify_edges`` (with ``check``); its suggestions are
        not counted as detections, but listed per file (``suggested``).

    Returns
    -------
    dict
        :func:`evaluate_arrays` figures of the file-level rows, plus
        ``files`` (one record per file: labels, observable, detected,
        probabilities of the labelled and detected elements, misses and false
        alarms; for spectrum images with ``per_pixel``, ``map_detected``:
        the elements ``identify_edges`` gives the map, whose regions can
        find an element too diluted in the summed spectrum),
        ``unobservable_labels`` (labelled elements outside their file's
        window, not counted), ``per_pixel`` (micro scores over all pixels of
        the maps, if asked), ``as_read`` (micro scores of the files with each
        spectrum image scored by its ``map_detected``: what a user who reads
        every file with ``identify_edges`` gets; with ``per_pixel`` only),
        ``model`` and ``threshold``.
    """
    import eels_autoid
    from eels_autoid.models import load_model

    directory = Path(directory)
    energy_shift = float(energy_shift)
    if not np.isfinite(energy_shift):
        raise ValueError(f"energy_shift must be a finite number of eV, not {energy_shift}.")
    with open(directory / labels) as f:
        table = json.load(f)
    names = list(table) if files is None else list(files)
    if half is not None:
        if half not in (1, 2):
            raise ValueError(f"half must be 1 or 2, not {half!r}.")
        names = [n for n in names if folder_half(n) == half]
    net = load_model(model)
    rows_true, rows_prob, rows_pred, rows_obs, groups, records = [], [], [], [], [], []
    pix_true, pix_prob, pix_obs = [], [], []
    thresholds = None
    unobservable = []
    for name in names:
        entry = table[name]
        path = directory / name
        s = _load_spectrum(path)
        if energy_shift:  # s is this function's own copy, read from the file just above
            _shift_energy_axis(s, energy_shift)
        nav_dim = s.axes_manager.navigation_dimension
        summed = s.sum(s.axes_manager.navigation_axes) if nav_dim else s
        identify = dict(
            model=net, threshold=threshold, batch_size=batch_size, calibrate=calibrate, check=check
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cropping warnings: expected on wide windows
            result = eels_autoid.identify_edges(summed, search=search, **identify)
        thresholds = result.thresholds
        prob = np.asarray(result.probabilities.data, dtype=float).reshape(len(ELEMENTS))
        observable = np.isin(ELEMENTS, result.observable)
        truth = multi_hot(entry["elements"])
        lost = [el for el in entry["elements"] if not observable[element_index(el)]]
        unobservable.extend((name, el) for el in lost)
        decided = np.isin(ELEMENTS, result.elements) if check else prob > thresholds
        counted = M.counted_mask((1, len(ELEMENTS)), observable, exclude)[0]
        records.append(
            dict(
                file=name,
                group=entry.get("source_group", ""),
                nav_shape=list(s.axes_manager.navigation_shape[::-1]),
                energy_range=list(result.energy_range),
                labels=sorted(entry["elements"]),
                unobservable_labels=lost,
                detected=[
                    el for el, d, c in zip(ELEMENTS, decided, counted, strict=True) if d and c
                ],
                missed=[
                    el
                    for el, t, d, c in zip(ELEMENTS, truth, decided, counted, strict=True)
                    if t and not d and c
                ],
                false_alarms=[
                    el
                    for el, t, d, c in zip(ELEMENTS, truth, decided, counted, strict=True)
                    if d and not t and c
                ],
                suggested=[
                    el
                    for el in (result.check.suggested if check and result.check else [])
                    if el not in exclude
                ],
                probabilities={
                    el: round(float(prob[element_index(el)]), 4)
                    for el in sorted(
                        set(entry["elements"])
                        | {e for e, d in zip(ELEMENTS, decided, strict=True) if d}
                    )
                },
            )
        )
        records[-1]["exact"] = not records[-1]["missed"] and not records[-1]["false_alarms"]
        if calibrate:
            records[-1]["energy_shift"] = round(result.energy_shift, 2)
        rows_true.append(truth)
        rows_prob.append(prob)
        rows_pred.append(decided)
        rows_obs.append(observable)
        groups.append(entry.get("source_group", ""))
        if per_pixel and nav_dim:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # The search's suggestions change neither the pixels' probabilities
                # nor the map's elements: not searched again.
                res = eels_autoid.identify_edges(s, **identify)
            p = np.asarray(res.probabilities.data, dtype=float).reshape(-1, len(ELEMENTS))
            obs = np.isin(ELEMENTS, res.observable)
            pix_prob.append(p)
            pix_true.append(np.broadcast_to(truth, p.shape))
            pix_obs.append(np.broadcast_to(obs, p.shape))
            records[-1]["map_detected"] = [el for el in res.elements if el not in exclude]
            records[-1]["pixel_exact_match"] = M.micro_scores(
                pix_true[-1], M.decide(p, res.thresholds), observable=pix_obs[-1], exclude=exclude
            )["exact_match"]
    if not records:
        raise ValueError(f"No files to evaluate in {directory}.")
    report = evaluate_arrays(
        np.array(rows_true),
        np.array(rows_prob),
        thresholds,
        observable=np.array(rows_obs),
        exclude=tuple(exclude),
        groups=groups,
        sweep=sweep,
        y_pred=np.array(rows_pred),
    )
    report.update(
        model=net.card.name,
        threshold=thresholds.tolist() if np.ndim(thresholds) else float(thresholds),
        files=records,
        unobservable_labels=unobservable,
        energy_shift=energy_shift,
        calibrate=bool(calibrate),
        check=bool(check),
        search=bool(check and search),
        half=half,
    )
    if pix_true:
        yt, yp, yo = np.concatenate(pix_true), np.concatenate(pix_prob), np.concatenate(pix_obs)
        report["per_pixel"] = M.micro_scores(
            yt, M.decide(yp, thresholds), observable=yo, exclude=exclude
        )
        report["as_read"] = _as_read(records, rows_true, rows_pred, rows_obs, exclude)
    return report


def _as_read(records, rows_true, rows_pred, rows_obs, exclude):
    """Micro scores of the files, each spectrum image scored by the elements of its map."""
    pred = np.array(rows_pred, dtype=bool)
    for i, rec in enumerate(records):
        if "map_detected" in rec:
            pred[i] = np.isin(ELEMENTS, rec["map_detected"])
    return M.micro_scores(np.array(rows_true), pred, observable=np.array(rows_obs), exclude=exclude)


def evaluate_test_set(
    path, *, model=None, threshold=None, exclude=(), batch_size=256, split="test"
):
    """Evaluate a model on a simulated test set stored as model inputs.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.npz`` or HDF5 file with arrays ``x`` (n, 3072, 2) model inputs and
        ``y`` (n, 80) labels, optionally ``observable`` (n, 80) booleans; or
        a file written by :func:`eels_autoid.simulate.write_dataset`, whose
        ``split`` group is read.
    model, threshold
        As in :func:`evaluate_folder`.
    exclude : iterable of str
    batch_size : int
    split : {"test", "validation", "train"}
        The group of a :func:`~eels_autoid.simulate.write_dataset` file; ignored
        for files holding ``x`` and ``y`` at the top level.

    Returns
    -------
    dict
        :func:`evaluate_arrays` figures, with ``model`` and ``threshold``.
    """
    from eels_autoid.models import load_model

    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as f:
            data = {k: f[k] for k in f.files}
    else:
        import h5py

        with h5py.File(path, "r") as f:
            group = f
            if "x" not in f:
                if split not in f:
                    raise KeyError(
                        f"{path} holds neither arrays x and y nor a {split!r} group "
                        f"(it has: {', '.join(f) or 'nothing'})."
                    )
                group = f[split]
            data = {k: group[k][()] for k in group if k in ("x", "y", "observable")}
    net = load_model(model)
    thresholds = net.card.thresholds(threshold)
    x = data["x"]
    prob = np.concatenate(
        [net.predict(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    )
    report = evaluate_arrays(
        data["y"], prob, thresholds, observable=data.get("observable"), exclude=tuple(exclude)
    )
    report.update(model=net.card.name, threshold=thresholds.tolist())
    return report


def _fmt(v):
    return "  n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def format_report(report) -> str:
    """A plain-text summary of an evaluation report."""
    m, sw, k = report["micro"], report["support_weighted"], report["kong"]
    shift = report.get("energy_shift")
    lines = [
        f"Model: {report.get('model', '?')}   spectra: {report['n_spectra']}"
        + (f"   excluded: {', '.join(report['excluded'])}" if report["excluded"] else "")
        + (f"   energy axes shifted by {shift:+g} eV" if shift else "")
        + (f"   half {report['half']} of the folder" if report.get("half") else ""),
        f"Micro   precision {_fmt(m['precision'])}  recall {_fmt(m['recall'])}  "
        f"F1 {_fmt(m['f1'])}  exact match {_fmt(m['exact_match'])}  "
        f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})",
        f"Support-weighted (Annys)  precision {_fmt(sw['precision'])}  "
        f"recall {_fmt(sw['recall'])}  F1 {_fmt(sw['f1'])}",
        f"Kong    exact accuracy {_fmt(k['exact_accuracy'])}  "
        f"recognition accuracy {_fmt(k['recognition_accuracy'])}",
    ]
    for g, s in report.get("by_group", {}).items():
        if g:
            lines.append(
                f"  [{g}] n={s['n_spectra']}  P {_fmt(s['precision'])}  R {_fmt(s['recall'])}  "
                f"F1 {_fmt(s['f1'])}  exact {_fmt(s['exact_match'])}"
            )
    if "per_pixel" in report:
        p = report["per_pixel"]
        lines.append(
            f"Per pixel of maps ({p['n_spectra']} px)  P {_fmt(p['precision'])}  "
            f"R {_fmt(p['recall'])}  F1 {_fmt(p['f1'])}  exact {_fmt(p['exact_match'])}"
        )
    if "as_read" in report:
        a = report["as_read"]
        lines.append(
            f"Maps read as maps  P {_fmt(a['precision'])}  R {_fmt(a['recall'])}  "
            f"F1 {_fmt(a['f1'])}  exact {_fmt(a['exact_match'])}  "
            f"(tp {a['tp']}, fp {a['fp']}, fn {a['fn']})"
        )
    lines.append(f"Best global threshold (micro F1): {report['best_threshold']:.2f}")
    rel = report["reliability"]
    lines.append(f"Calibration: ECE {_fmt(rel['ece'])}, Brier {_fmt(rel['brier'])}")
    if report["confused_pairs"]:
        pairs = ", ".join(f"{a}->{b} ({c})" for a, b, c in report["confused_pairs"])
        lines.append(f"Most confused (missed -> reported): {pairs}")
    worst = sorted(
        (r for r in report["per_element"] if r["fp"] + r["fn"]),
        key=lambda r: -(r["fp"] + r["fn"]),
    )[:10]
    if worst:
        lines.append(
            "Elements with most errors: "
            + ", ".join(f"{r['element']} (fn {r['fn']}, fp {r['fp']})" for r in worst)
        )
    files = [r for r in report.get("files", []) if not r["exact"]]
    if files:
        lines.append("Files not exactly right:")
        for r in files:
            lines.append(
                f"  {r['file']}: labels {','.join(r['labels'])}; missed "
                f"{','.join(r['missed']) or '-'}; false {','.join(r['false_alarms']) or '-'}"
            )
    suggested = [r for r in report.get("files", []) if r.get("suggested")]
    if report.get("search"):
        lines.append(
            "Suggested by the residual search (not counted): "
            + (
                "; ".join(
                    f"{r['file']}: "
                    + ", ".join(
                        el + ("" if el in r["labels"] else " (not labelled)")
                        for el in r["suggested"]
                    )
                    for r in suggested
                )
                or "nothing"
            )
        )
    if report.get("unobservable_labels"):
        lost = ", ".join(f"{el} in {f}" for f, el in report["unobservable_labels"])
        lines.append(f"Labelled but not observable in the window (not counted): {lost}")
    return "\n".join(lines)
