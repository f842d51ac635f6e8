"""Evaluating identification models: metrics and ``eels-autoid evaluate``.

The metric functions work on (labels, probabilities or decisions) arrays and
need only numpy; :func:`evaluate_folder` runs a model through
:func:`eels_autoid.identify_edges` on a labelled folder of real spectra, and
:func:`evaluate_test_set` on a stored simulated test set.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from ._evaluate import evaluate_arrays, evaluate_folder, evaluate_test_set, format_report
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

__all__ = [
    "best_threshold",
    "confused_pairs",
    "counted_mask",
    "decide",
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
    "format_report",
    "write_report",
    "main",
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


def _write_csv(path, rows, fields=None):
    rows = list(rows)
    if not rows:
        return
    fields = fields or list(rows[0])
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(
                {k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()}
            )


def write_report(report, out_dir) -> Path:
    """Write a report as ``results.json``, ``summary.txt`` and CSV tables in ``out_dir``.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.json", "w") as f:
        json.dump(_jsonable(report), f, indent=1)
        f.write("\n")
    (out / "summary.txt").write_text(format_report(report) + "\n")
    _write_csv(out / "per_element.csv", report["per_element"])
    _write_csv(out / "threshold_sweep.csv", report["threshold_sweep"])
    rel = report["reliability"]
    _write_csv(
        out / "reliability.csv",
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
            out / "per_file.csv",
            report["files"],
            ["file", "group", "labels", "detected", "missed", "false_alarms", "exact"],
        )
    return out


def _parser():
    p = argparse.ArgumentParser(
        prog="eels-autoid evaluate",
        description="Evaluate an identification model on a folder of labelled spectra "
        "(with a labels.json) or on a simulated test set (.npz/.h5 with x, y).",
    )
    p.add_argument("path", help="folder with labels.json, or a test-set file")
    p.add_argument(
        "--model", help="bundled model name, .keras file or model card (default: bundled)"
    )
    p.add_argument("--threshold", type=float, help="override the model's thresholds")
    p.add_argument("--out", help="write results.json, summary.txt and CSV tables here")
    p.add_argument(
        "--include-carbon",
        action="store_true",
        help="count carbon on real data (left out by default: contamination)",
    )
    p.add_argument("--no-pixels", action="store_true", help="skip per-pixel scoring of maps")
    p.add_argument("--labels", default="labels.json", help="labels file name in the folder")
    p.add_argument(
        "--energy-shift",
        type=float,
        default=0.0,
        metavar="EV",
        help="add EV to every file's energy-axis offset first (a calibration error; folders only)",
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "validation", "test"),
        help="split of a simulated dataset file written by write_dataset (default: test)",
    )
    return p


def main(argv=None) -> int:
    """Command line entry point of ``eels-autoid evaluate``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after ``evaluate`` (a leading ``"evaluate"`` is accepted too).

    Returns
    -------
    int
        Exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["evaluate"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    path = Path(args.path)
    try:
        if path.is_dir():
            report = evaluate_folder(
                path,
                model=args.model,
                threshold=args.threshold,
                exclude=() if args.include_carbon else ("C",),
                per_pixel=not args.no_pixels,
                labels=args.labels,
                energy_shift=args.energy_shift,
            )
        elif path.is_file():
            if args.energy_shift:
                raise ValueError("--energy-shift applies to folders of spectra, not test sets.")
            report = evaluate_test_set(
                path, model=args.model, threshold=args.threshold, split=args.split
            )
        else:
            raise FileNotFoundError(f"{path} does not exist.")
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"eels-autoid evaluate: {err}", file=sys.stderr)
        return 1
    print(format_report(report))
    if args.out:
        print(f"Written to {write_report(report, args.out)}")
    return 0
