"""``eels-autoid evaluate PATH``: a model's figures on labelled spectra or a test set."""

from __future__ import annotations

import sys
from pathlib import Path

from .._results_folder import ResultsFolder, out_folder_problem

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser(
        "evaluate",
        help="evaluate a model on labelled spectra",
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
        "--calibrate",
        action="store_true",
        help="let each spectrum calibrate its energy axis from its edges first (folders only)",
    )
    p.add_argument(
        "--no-check",
        action="store_true",
        help="score the network alone, without the check against the spectrum model (folders only)",
    )
    p.add_argument(
        "--search",
        action="store_true",
        help="list what the residual search suggests in each file (folders only)",
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "validation", "test"),
        help="split of a simulated dataset file written by write_dataset (default: test)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    path = Path(args.path)
    if args.out:
        # Found before the evaluation, not after it.
        problem = out_folder_problem(args.out)
        if problem:
            print(f"eels-autoid evaluate: --out {args.out}: {problem}", file=sys.stderr)
            return 1
    if args.quantify:
        return _report(args, path, *_quantification(args, path))
    return _report(args, path, *_identification(args, path))


def _report(args, path, evaluate, describe, write) -> int:
    """Evaluate, print the report and write it into ``--out``; one line for a failure."""
    try:
        report = evaluate()
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"eels-autoid evaluate: {err}", file=sys.stderr)
        return 1
    # h5py, NumPy and the spectrum readers raise OSError on a file they cannot read,
    # mostly without its name.
    except OSError as err:
        print(f"eels-autoid evaluate: cannot read {path}: {err}", file=sys.stderr)
        return 1
    print(describe(report))
    if args.out:
        with ResultsFolder(args.out) as folder:
            write(report, folder)
        print(f"Written to {folder.root}")
    return 0


def _identification(args, path):
    """How ``eels-autoid evaluate PATH`` evaluates identification, describes and writes it."""
    from ..evaluation import evaluate_folder, evaluate_test_set, format_report, write_report

    def evaluate():
        if path.is_dir():
            return evaluate_folder(
                path,
                model=args.model,
                threshold=args.threshold,
                exclude=() if args.include_carbon else ("C",),
                per_pixel=not args.no_pixels,
                labels=args.labels,
                energy_shift=args.energy_shift,
                half=args.half,
                calibrate=args.calibrate,
                check=not args.no_check,
                search=args.search,
            )
        if path.is_file():
            if args.energy_shift:
                raise ValueError("--energy-shift applies to folders of spectra, not test sets.")
            if args.half:
                raise ValueError("--half applies to folders of spectra, not test sets.")
            return evaluate_test_set(
                path, model=args.model, threshold=args.threshold, split=args.split
            )
        raise FileNotFoundError(f"{path} does not exist.")

    return evaluate, format_report, write_report


def _quantification(args, path):
    """How ``eels-autoid evaluate DIR --quantify`` evaluates quantification."""
    from ..evaluation import (
        evaluate_quantification,
        format_quantification_report,
        write_quantification_report,
    )

    def evaluate():
        if args.energy_shift:
            raise ValueError("--energy-shift does not apply to --quantify.")
        if not path.is_dir():
            raise FileNotFoundError(
                f"{path} is not a folder: --quantify needs a folder with a labels file."
            )
        return evaluate_quantification(
            path,
            elements=("labelled", "identified"),
            half=args.half,
            model=args.model,
            threshold=args.threshold,
            labels=args.labels,
            exclude=() if args.include_carbon else ("C",),
        )

    return evaluate, format_quantification_report, write_quantification_report
