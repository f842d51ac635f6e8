"""Write the real-spectra tables that docs/results.rst includes (docs/tables/*.csv).

Usage: python docs/scripts/results_tables.py [FOLDER]   (default ../shared/real_spectra)
           (real_accuracy, real_calibration and real_maps.csv: the network
           alone and checked against the spectrum model)
       python docs/scripts/results_tables.py --quantification [FOLDER]
           (only the quantification tables, real_quantification*.csv)
       python docs/scripts/results_tables.py --check-reliability [FOLDER]
           (only real_check_reliability.csv: the combined probability of the
           identification check against how often it comes true)
       python docs/scripts/results_tables.py --self-calibration [FOLDER]
           (only real_self_calibration.csv: identify_edges(calibrate=True)
           against shifted axes)

Each figure is given for the whole labelled folder and for its two halves
(eels_autoid.evaluation.folder_half): half 1 is where parameters may be
chosen, half 2 measures them on spectra they were not chosen on.
"""

import csv
import sys
import warnings
from pathlib import Path

from eels_autoid.evaluation import (
    evaluate_folder,
    evaluate_quantification,
    folder_half,
    format_quantification_report,
)

SHIFTS = (0.0, 2.0, -2.0, 5.0, -5.0, 10.0, -10.0, 20.0, -20.0)
TABLES = Path(__file__).resolve().parents[1] / "tables"


def _scores(records):
    """Micro precision, recall, F1 and exact match of file records (carbon already left out)."""
    fp = sum(len(r["false_alarms"]) for r in records)
    tp = sum(len(r["detected"]) for r in records) - fp
    fn = sum(len(r["missed"]) for r in records)
    f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    exact = sum(r["exact"] for r in records) / max(len(records), 1)
    return [
        len(records),
        f"{tp / max(tp + fp, 1):.3f}",
        f"{tp / max(tp + fn, 1):.3f}",
        f"{f1:.3f}",
        f"{exact:.3f}",
    ]


def _read_as_maps(records):
    """The records with each spectrum image scored by the elements of its map."""
    out = []
    for r in records:
        if "map_detected" not in r:
            out.append(r)
            continue
        truth = set(r["labels"]) - set(r["unobservable_labels"]) - {"C"}
        found = set(r["map_detected"])
        missed, false = sorted(truth - found), sorted(found - truth)
        out.append(
            {
                **r,
                "detected": sorted(found),
                "missed": missed,
                "false_alarms": false,
                "exact": not missed and not false,
            }
        )
    return out


def _halves(report):
    """(name, records) for the whole folder and each half."""
    records = report["files"]
    return [
        ("all", records),
        ("half 1", [r for r in records if folder_half(r["file"]) == 1]),
        ("half 2", [r for r in records if folder_half(r["file"]) == 2]),
    ]


CHECKS = ((False, "network"), (True, "checked"))


def main(folder):
    header = [
        "data",
        "identification",
        "spectra or pixels",
        "precision",
        "recall",
        "F1",
        "exact match",
    ]
    accuracy, calibration = [header], [["axis shift (eV)", *header]]
    maps = [["file", "labels", "network", "checked"]]
    map_sets = {}
    for shift in SHIFTS:
        for check, how in CHECKS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = evaluate_folder(folder, energy_shift=shift, per_pixel=not shift, check=check)
            for name, records in _halves(r):
                row = [name, how, *_scores(records)]
                calibration.append([f"{shift:+g}", *row])
                if not shift:
                    accuracy.append([f"{name}, summed spectra", *row[1:]])
                print(shift, calibration[-1][1:], flush=True)
            if not shift:
                for rec in r["files"]:
                    if "map_detected" in rec:
                        map_sets.setdefault(rec["file"], [" ".join(rec["labels"])]).append(
                            " ".join(rec["map_detected"])
                        )
                for name, records in _halves(r):
                    accuracy.append(
                        [f"{name}, maps read as maps", how, *_scores(_read_as_maps(records))]
                    )
                if "per_pixel" in r and not check:
                    p = r["per_pixel"]
                    accuracy.append(
                        [
                            "all, map pixels",
                            "network",
                            p["n_spectra"],
                            *(f"{p[k]:.3f}" for k in ("precision", "recall", "f1", "exact_match")),
                        ]
                    )
    maps += [[name, *sets] for name, sets in sorted(map_sets.items())]
    TABLES.mkdir(exist_ok=True)
    for table, rows in (
        ("real_accuracy", accuracy),
        ("real_calibration", calibration),
        ("real_maps", maps),
    ):
        with open(TABLES / f"{table}.csv", "w", newline="") as f:
            csv.writer(f).writerows(rows)


SELF_CALIBRATION_SHIFTS = (0.0, 5.0, -5.0, 10.0, -10.0, 20.0, -20.0)


def self_calibration_table(folder):
    """real_self_calibration.csv: F1 and exact match with every axis shifted, as
    identify_edges reads it (checked) and after the spectrum placed its own axis."""
    rows = [
        [
            "axis shift (eV)",
            "data",
            "F1",
            "exact match",
            "F1, self-calibrated",
            "exact match, self-calibrated",
        ]
    ]
    for shift in SELF_CALIBRATION_SHIFTS:
        scores = {}
        for calibrate in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = evaluate_folder(
                    folder, energy_shift=shift, per_pixel=False, calibrate=calibrate
                )
            for name, records in _halves(r):
                scores.setdefault(name, []).extend(_scores(records)[3:5])
        for name, values in scores.items():
            rows.append([f"{shift:+g}", name, *values])
            print(rows[-1], flush=True)
    TABLES.mkdir(exist_ok=True)
    with open(TABLES / "real_self_calibration.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)


RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def reliability_rows(pairs, data):
    """Rows (data, bin, candidates, share present) of (probability, present) pairs."""
    import numpy as np

    q, y = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
    rows = []
    for lo, hi in zip(RELIABILITY_BINS[:-1], RELIABILITY_BINS[1:], strict=True):
        inside = (q >= lo) & ((q < hi) if hi < 1 else (q <= hi))
        if inside.any():
            rows.append([data, f"{lo:.1f}..{hi:.1f}", int(inside.sum()), f"{y[inside].mean():.2f}"])
    return rows


def check_reliability_table(folder):
    """real_check_reliability.csv: how often a checked candidate with a given combined
    probability is there, on the summed real spectra, per half."""
    import json

    import hyperspy.api as hs

    from eels_autoid import identify_edges

    labels = json.loads((folder / "labels.json").read_text())
    pairs = {1: [], 2: []}
    for name, entry in labels.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = hs.load(folder / name)
            if s.axes_manager.navigation_dimension:
                s = s.sum(s.axes_manager.navigation_axes)
            result = identify_edges(s)
        for el, c in result.check.checks.items():
            if el != "C" and c.evidence == c.evidence:
                pairs[folder_half(name)].append((c.probability, el in entry["elements"]))
    rows = [["data", "combined probability", "candidates", "share present"]]
    for half in (1, 2):
        rows += reliability_rows(pairs[half], f"half {half}")
    TABLES.mkdir(exist_ok=True)
    with open(TABLES / "real_check_reliability.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    print(rows)


def _fmt(v, percent=False):
    if v is None or v != v:
        return ""
    if v == float("inf"):
        return "inf"
    return f"{100 * v:.0f} %" if percent else f"{v:.3f}"


def quantification_tables(folder):
    """Write real_quantification.csv (figures by element source, half and edge family)
    and real_quantification_files.csv (per compound) from one benchmark run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate_quantification(folder, elements=("labelled", "identified"))
    print(format_quantification_report(report), flush=True)
    summary = [
        [
            "elements",
            "half",
            "edge family",
            "elements scored",
            "median error",
            "within 10 %",
            "within 20 %",
            "within 2 stated uncertainties",
            "median ratio error",
            "ratios",
            "failed files",
        ]
    ]
    for r in report["summary"]:
        summary.append(
            [
                r["source"],
                r["half"],
                r["family"],
                r["n"],
                _fmt(r["median"]),
                _fmt(r["within10"], percent=True),
                _fmt(r["within20"], percent=True),
                _fmt(r["covered"], percent=True),
                _fmt(r["ratio_median"]),
                r["n_ratio"],
                r["failed"],
            ]
        )
    files = [
        [
            "file",
            "half",
            "scored",
            "labelled: median error",
            "labelled: ratio error",
            "identified: median error",
            "identified: ratio error",
            "identified: extra / missed",
            "note",
        ]
    ]
    by_file = {}
    for f in report["files"]:
        by_file.setdefault(f["file"], {})[f["source"]] = f
    for name, per_source in by_file.items():
        lab, ide = per_source["labelled"], per_source["identified"]
        files.append(
            [
                name,
                lab["half"],
                " ".join(lab["scored"]),
                "failed" if lab["status"] == "failed" else _fmt(lab["median_error"]),
                _fmt(lab.get("ratio_error")),
                "failed" if ide["status"] == "failed" else _fmt(ide["median_error"]),
                _fmt(ide.get("ratio_error")),
                " ".join([f"+{e}" for e in ide["extra"]] + [f"-{e}" for e in ide["missed"]]),
                "lanthanide N4,5 only: apart" if lab["apart"] else "",
            ]
        )
    TABLES.mkdir(exist_ok=True)
    for table, rows in (("real_quantification", summary), ("real_quantification_files", files)):
        with open(TABLES / f"{table}.csv", "w", newline="") as f:
            csv.writer(f).writerows(rows)


if __name__ == "__main__":
    args = sys.argv[1:]
    only_quantification = "--quantification" in args
    only_self_calibration = "--self-calibration" in args
    only_reliability = "--check-reliability" in args
    options = ("--quantification", "--self-calibration", "--check-reliability")
    args = [a for a in args if a not in options]
    folder = Path(args[0] if args else "../shared/real_spectra")
    if only_reliability:
        check_reliability_table(folder)
    elif only_quantification:
        quantification_tables(folder)
    elif only_self_calibration:
        self_calibration_table(folder)
    else:
        main(folder)
        quantification_tables(folder)
        self_calibration_table(folder)
        check_reliability_table(folder)
