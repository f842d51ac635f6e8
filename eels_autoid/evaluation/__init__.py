"""Evaluating identification models: metrics, reports and ``eels-autoid evaluate``.

The metric functions work on (labels, probabilities or decisions) arrays and
need only numpy; :func:`evaluate_folder` runs a model through
:func:`eels_autoid.identify_edges` on a labelled folder of real spectra, and
:func:`evaluate_test_set` on a stored simulated test set.
:func:`evaluate_quantification` (``eels-autoid evaluate DIR --quantify``)
benchmarks :func:`eels_autoid.quantify` on the folder's compounds of known
composition.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .._results_folder import ResultsFolder
from ._evaluate import (
    evaluate_arrays,
    evaluate_folder,
    evaluate_test_set,
    folder_half,
    format_report,
)
from ._metrics import (
    best_threshold,
    confused_pairs,
    counted_mask,
    decide,
    kong_accuracies,
    micro_scores,
    per_element_table,
    per_element_thresholds,
    reliability_curve,
    sensitivity_study,
    support_weighted_scores,
    threshold_sweep,
)
from ._quantification import (
    evaluate_quantification,
    format_quantification_report,
    write_quantification_report,
)

__all__ = [
    "best_threshold",
    "confused_pairs",
    "counted_mask",
    "decide",
    "folder_half",
    "kong_accuracies",
    "micro_scores",
    "per_element_table",
    "per_element_thresholds",
    "reliability_curve",
    "sensitivity_study",
    "support_weighted_scores",
    "threshold_sweep",
    "evaluate_arrays",
    "evaluate_folder",
    "evaluate_test_set",
    "evaluate_quantification",
    "format_report",
    "format_quantification_report",
    "write_quantification_report",
    "write_report",
]


def _jsonable(obj):
    """numpy and NaN-free copy of a report, for strict JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _write_csv(folder, name, rows, fields=None):
    rows = list(rows)
    if not rows:
        return
    fields = fields or list(rows[0])
    with open(folder.file(name), "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(
                {k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()}
            )


def write_report(report, out_dir) -> Path:
    """Write a report as ``results.json``, ``summary.txt`` and CSV tables in ``out_dir``.

    Parameters
    ----------
    report : dict
        From :func:`evaluate_folder`, :func:`evaluate_test_set` or
        :func:`evaluate_arrays`.
    out_dir : str, pathlib.Path or ResultsFolder
        The folder (created), as a results folder: the files an earlier
        report wrote there are replaced, and nothing else.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    if not isinstance(out_dir, ResultsFolder):
        with ResultsFolder(out_dir) as folder:
            return write_report(report, folder)
    out = out_dir
    with open(out.file("results.json"), "w") as f:
        json.dump(_jsonable(report), f, indent=1)
        f.write("\n")
    out.file("summary.txt").write_text(format_report(report) + "\n")
    _write_csv(out, "per_element.csv", report["per_element"])
    _write_csv(out, "threshold_sweep.csv", report["threshold_sweep"])
    rel = report["reliability"]
    _write_csv(
        out,
        "reliability.csv",
        (
            dict(bin_low=lo, bin_high=hi, mean_predicted=mp, observed_frequency=fr, count=c)
            for lo, hi, mp, fr, c in zip(
                rel["bin_edges"][:-1],
                rel["bin_edges"][1:],
                rel["mean_predicted"],
                rel["observed_frequency"],
                rel["count"],
                strict=True,
            )
        ),
    )
    if report.get("files"):
        _write_csv(
            out,
            "per_file.csv",
            report["files"],
            ["file", "group", "labels", "detected", "missed", "false_alarms", "exact"],
        )
    return out.root
