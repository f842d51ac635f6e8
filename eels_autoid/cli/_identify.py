"""``eels-autoid identify FILE``: the elements in a spectrum or spectrum image, quantified."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from .._results_folder import ResultsFolder
from ._common import CommandError, check_out_folder, held_log_records

__all__ = ["add_parser", "run", "read_spectrum"]


def add_parser(sub):
    p = sub.add_parser(
        "identify",
        help="identify and quantify the elements in a spectrum or spectrum image file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Identify the elements whose core-loss edges are in FILE (any format HyperSpy
reads: dm3, dm4, msa, hspy ...), then quantify them with exspy's model.

Writes to --out:
  summary.csv        one row per element with an edge in the energy range:
                     element, detected (true/false), max_probability,
                     mean_probability, area_fraction, edges_in_range, and
                     from the check against the spectrum model evidence,
                     fraction, checked_probability, rival, found_by
  elements.txt       the detected elements
  probabilities.hspy one probability per pixel and element
  probability_El.png probability map of each detected element (maps, line scans)
  quantification/    El.hspy and El.png: atomic fractions (or areal densities
                     in atoms/nm^2 with --low-loss), El_uncertainty.hspy,
                     quantification.csv and quantification.png
  report.png         one page: spectrum with the detected edges, probabilities, maps
  .eels_autoid_manifest.json
                     the files above as written: the next run into the same folder
                     removes them first, and nothing else

Example:
  eels-autoid identify map.dm4 --low-loss map_ll.dm4 --out results/""",
    )
    p.add_argument("file", type=Path, help="the spectrum or spectrum image")
    p.add_argument(
        "--low-loss",
        type=Path,
        help="the low loss of the same pixels (dual EELS): aligns the energy axis on its "
        "zero-loss peak, and makes the quantification absolute",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eels_autoid_results"),
        help="output folder (default: %(default)s)",
    )
    p.add_argument("--threshold", type=float, help="decision threshold (default: the model's)")
    p.add_argument(
        "--model",
        help="a bundled model name, a .keras file or a model card .json (default: bundled)",
    )
    p.add_argument(
        "--min-area-fraction",
        type=float,
        help="fraction of pixels of a map an element must be found in (default: 0.05)",
    )
    p.add_argument(
        "--no-quantify",
        action="store_true",
        help="identify only: no quantified maps",
    )
    p.add_argument(
        "--no-check",
        action="store_true",
        help="the network alone, without the check against the spectrum model",
    )
    p.add_argument(
        "--search",
        action="store_true",
        help="search the residual for elements the network did not propose (suggestions)",
    )
    p.add_argument("--lazy", action="store_true", help="load the file lazily (large maps)")
    p.set_defaults(func=run)


def run(args) -> int:
    # Arguments first: a bad --out or an unreadable file must not wait for the network.
    check_out_folder(args.out)
    s = read_spectrum(args.file, lazy=args.lazy)
    ll = read_spectrum(args.low_loss, lazy=args.lazy) if args.low_loss else None
    from ..identification import identify_edges

    print(f"Identifying the elements in {args.file} ...", file=sys.stderr)
    area = {} if args.min_area_fraction is None else {"min_area_fraction": args.min_area_fraction}
    # Progress bars on stderr, the results on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            result = identify_edges(
                s,
                model=args.model,
                threshold=args.threshold,
                low_loss=ll,
                show_progressbar=True,
                check=not args.no_check,
                search=args.search,
                **area,
            )
        except ValueError as err:  # what in the file (or its low loss) cannot be identified
            raise CommandError(f"{args.file}: {err}") from None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with ResultsFolder(args.out) as out:
        result.probabilities.save(out.file("probabilities.hspy"), overwrite=True)
        result.summary().to_csv(out.file("summary.csv"))
        out.file("elements.txt").write_text(" ".join(result.elements) + "\n")
        if s.axes_manager.navigation_dimension:
            for element in result.elements:
                m = result.get_map(element)
                m.plot(cmap="viridis", vmin=0, vmax=1)
                plt.savefig(out.file(f"probability_{element}.png"), dpi=100)
                plt.close("all")
        print(result.summary())
        print(f"detected: {' '.join(result.elements) or '(none)'}")

        quantification = None
        if not args.no_quantify and result.elements:
            ll_q = ll
            if (
                ll is not None
                and ll.axes_manager.navigation_shape != s.axes_manager.navigation_shape
            ):
                print(
                    "The low loss is not a spectrum per pixel: the quantification is relative.",
                    file=sys.stderr,
                )
                ll_q = None
            quantification = out.save_quantification(s, result, low_loss=ll_q)
            if quantification is not None:
                print(quantification)
        out.save_report(result, quantification)
    return 0


def read_spectrum(path, *, lazy=False):
    """``hs.load(path)``, any reader failure turned into a one-line :class:`CommandError`."""
    import hyperspy.api as hs

    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path} is a folder, not a spectrum file")
    with held_log_records(("hyperspy", "rsciio")) as held:
        try:
            return hs.load(path, lazy=lazy)
        # Readers fail with anything from struct.error to OSError on a truncated,
        # empty or foreign file; the user needs the file and the reason, not the stack.
        except Exception as err:
            # HyperSpy logs "please report this error" before raising: not the user's fix.
            held.clear()
            reason = " ".join(str(err).split()) or type(err).__name__
            raise CommandError(
                f"cannot read {path} ({reason}): is it a complete spectrum file "
                "in a format HyperSpy reads?"
            ) from None
