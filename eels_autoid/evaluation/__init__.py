"""Evaluating identification models: metrics and ``eels-autoid evaluate``.

The metric functions work on (labels, probabilities or decisions) arrays and
need only numpy; :func:`evaluate_folder` runs a model through
:func:`eels_autoid.identify_edges` on a labelled folder of real spectra, and
:func:`evaluate_test_set` on a stored simulated test set.
:func:`evaluate_quantification` (``eels-autoid evaluate DIR --quantify``)
benchmarks :func:`eels_autoid.quantify` on the folder's compounds of known
composition.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

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
    p.add_argument(
        "--out",
        help="write results.json, summary.txt and CSV tables here (with --quantify: the "
        "quantification_*.csv tables)",
    )
    p.add_argument(
        "--quantify",
        action="store_true",
        help="benchmark quantification instead: quantify each compound of known composition "
        "(labels.json 'composition') with its labelled and its identified elements (folders only)",
    )
    p.add_argument(
        "--include-carbon",
        action="store_true",
        help="count carbon on real data (left out by default: contamination)",
    )
    p.add_argument("--no-pixels", action="store_true", help="skip per-pixel scoring of maps")
    p.add_argument("--labels", default="labels.json", help="labels file name in the folder")
    p.add_argument(
        "--half",
        type=int,
        choices=(1, 2),
        help="score only this half of the folder (fixed by a hash of each file name): "
        "choose parameters on half 1, measure them on half 2",
    )
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
    if args.out:
        from .._results_folder import out_folder_problem

        # Found before the evaluation, not after it.
        problem = out_folder_problem(args.out)
        if problem:
            print(f"eels-autoid evaluate: --out {args.out}: {problem}", file=sys.stderr)
            return 1
    if args.quantify:
        return _quantify_main(args, path)
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
                half=args.half,
            )
        elif path.is_file():
            if args.energy_shift:
                raise ValueError("--energy-shift applies to folders of spectra, not test sets.")
            if args.half:
                raise ValueError("--half applies to folders of spectra, not test sets.")
            report = evaluate_test_set(
                path, model=args.model, threshold=args.threshold, split=args.split
            )
        else:
            raise FileNotFoundError(f"{path} does not exist.")
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"eels-autoid evaluate: {err}", file=sys.stderr)
        return 1
    # h5py, NumPy and the spectrum readers raise OSError on a file they cannot read,
    # mostly without its name.
    except OSError as err:
        print(f"eels-autoid evaluate: cannot read {path}: {err}", file=sys.stderr)
        return 1
    print(format_report(report))
    if args.out:
        print(f"Written to {write_report(report, args.out)}")
    return 0


def _quantify_main(args, path) -> int:
    """``eels-autoid evaluate DIR --quantify``."""
    try:
        if args.energy_shift:
            raise ValueError("--energy-shift does not apply to --quantify.")
        if not path.is_dir():
            raise FileNotFoundError(
                f"{path} is not a folder: --quantify needs a folder with a labels file."
            )
        report = evaluate_quantification(
            path,
            elements=("labelled", "identified"),
            half=args.half,
            model=args.model,
            threshold=args.threshold,
            labels=args.labels,
            exclude=() if args.include_carbon else ("C",),
        )
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"eels-autoid evaluate: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"eels-autoid evaluate: cannot read {path}: {err}", file=sys.stderr)
        return 1
    print(format_quantification_report(report))
    if args.out:
        print(f"Written to {write_quantification_report(report, args.out)}")
    return 0
