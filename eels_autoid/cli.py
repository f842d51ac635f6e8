"""The ``eels-autoid`` command line.

Subcommands:

- ``identify FILE``: which elements are in a spectrum or spectrum image; writes
  probability maps, a summary table, quantified maps and a one-page report.
- ``demo``: a simulated LaMnO3/BaTiO3/SrTiO3 superlattice, identified and
  quantified end to end.
- ``train CONFIG`` / ``evaluate DIR``: train a network, evaluate one on labelled spectra.

Heavy imports happen inside the subcommands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from ._results_folder import ResultsFolder, out_folder_problem

__all__ = ["main"]


class _CommandError(Exception):
    """A problem with the command's arguments or files, reported in one line."""


_DESCRIPTION = """\
Identify the elements in electron energy loss spectra (EELS) with a neural
network, pixel by pixel.

  eels-autoid identify si.dm4 --out results/     elements, maps, quantification, report
  eels-autoid demo                               try it on a simulated superlattice
  eels-autoid train config.toml                  train a network (resumable)
  eels-autoid evaluate labelled_spectra/         precision, recall, F1, exact match

Run 'eels-autoid COMMAND --help' for the options of each command."""


def _identify_parser(sub):
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
                     mean_probability, area_fraction, edges_in_range
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
    p.add_argument("--lazy", action="store_true", help="load the file lazily (large maps)")
    p.set_defaults(func=_identify)


def _identify(args) -> int:
    # Arguments first: a bad --out or an unreadable file must not wait for the network.
    _check_out_folder(args.out)
    s = _read_spectrum(args.file, lazy=args.lazy)
    ll = _read_spectrum(args.low_loss, lazy=args.lazy) if args.low_loss else None
    from .identification import identify_edges

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
                **area,
            )
        except ValueError as err:  # what in the file (or its low loss) cannot be identified
            raise _CommandError(f"{args.file}: {err}") from None
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


def _read_spectrum(path, *, lazy=False):
    """``hs.load(path)``, any reader failure turned into a one-line :class:`_CommandError`."""
    import hyperspy.api as hs

    path = Path(path)
    if not path.exists():
        raise _CommandError(f"{path}: no such file")
    if path.is_dir():
        raise _CommandError(f"{path} is a folder, not a spectrum file")
    with _held_log_records(("hyperspy", "rsciio")) as held:
        try:
            return hs.load(path, lazy=lazy)
        # Readers fail with anything from struct.error to OSError on a truncated,
        # empty or foreign file; the user needs the file and the reason, not the stack.
        except Exception as err:
            # HyperSpy logs "please report this error" before raising: not the user's fix.
            held.clear()
            reason = " ".join(str(err).split()) or type(err).__name__
            raise _CommandError(
                f"cannot read {path} ({reason}): is it a complete spectrum file "
                "in a format HyperSpy reads?"
            ) from None


@contextlib.contextmanager
def _held_log_records(names):
    """Hold back the records logged under ``names``; pass on those left in the list at the end."""
    held = []

    class _Hold(logging.Handler):
        def emit(self, record):
            held.append(record)

    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = (logger.handlers[:], logger.propagate)
        logger.handlers[:] = [_Hold()]
        logger.propagate = False
    try:
        yield held
    finally:
        for name, (handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate = propagate
        for record in held:
            for name in names:
                if record.name == name or record.name.startswith(name + "."):
                    logging.getLogger(name).callHandlers(record)
                    break


def _check_out_folder(out):
    problem = out_folder_problem(out)
    if problem:
        raise _CommandError(f"--out {out}: {problem}")


def _demo_parser(sub):
    p = sub.add_parser(
        "demo",
        help="identify and quantify the elements of a simulated superlattice",
        description="Simulate a LaMnO3/BaTiO3/SrTiO3 superlattice spectrum image "
        "(Annys et al. 2023, Fig. 7; 400..1000 eV), identify its elements, quantify them "
        "and write the maps and a report. Prints two lines: the detected and the true "
        "elements (Z order).",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eels_autoid_demo"),
        help="output folder (default: %(default)s)",
    )
    p.add_argument("--model", help="a bundled model name or a .keras file (default: bundled)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed (default: %(default)s)")
    p.set_defaults(func=_demo)


def _demo(args) -> int:
    from .models import bundled_models

    missing = []
    try:
        from .simulate import superlattice  # noqa: F401
    except ImportError:
        missing.append("the spectrum simulator (eels_autoid.simulate)")
    if args.model is None and not bundled_models():
        missing.append("a bundled trained model (eels_autoid/weights)")
    if missing:
        print(
            "The demo cannot run yet: this version of eels_autoid lacks "
            + " and ".join(missing)
            + ".",
            file=sys.stderr,
        )
        return 1
    _check_out_folder(args.out)
    from .demo import run_demo

    return run_demo(args.out, model=args.model, seed=args.seed)


def _delegate(name, module):
    def run(args) -> int:
        from importlib import import_module

        try:
            entry = import_module(module).main
        except (ImportError, AttributeError):
            print(f"'eels-autoid {name}' is not available in this version.", file=sys.stderr)
            return 1
        return int(entry(args.rest) or 0)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eels-autoid",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"eels_autoid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _identify_parser(sub)
    _demo_parser(sub)
    for name, module, text in (
        ("train", "eels_autoid.training", "train an identification network (resumable)"),
        ("evaluate", "eels_autoid.evaluation", "evaluate a model on labelled spectra"),
    ):
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=_delegate(name, module))
    return parser


@contextlib.contextmanager
def _log_records_on_stderr():
    """Send log records that would go to standard output to standard error instead.

    HyperSpy and RosettaSciIO give their loggers a handler on standard output
    when imported; a command's standard output holds its results only. The
    handlers are put back afterwards: the library's own behaviour is unchanged.
    """
    import hyperspy.api  # noqa: F401  (sets up HyperSpy's handler, and RosettaSciIO's)
    import rsciio  # noqa: F401

    stdouts = {id(sys.stdout), id(sys.__stdout__)}
    registered = logging.Logger.manager.loggerDict.values()
    loggers = [logging.getLogger(), *(v for v in registered if isinstance(v, logging.Logger))]
    moved = []
    for logger in loggers:
        for handler in logger.handlers:
            if (
                isinstance(handler, logging.StreamHandler)
                and not isinstance(handler, logging.FileHandler)
                and id(handler.stream) in stdouts
            ):
                moved.append((handler, handler.setStream(sys.stderr)))
    try:
        yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


def main(argv=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["train"], ["evaluate"]):
        # Their own parsers read everything after the command; argparse's
        # REMAINDER would refuse a first argument that is an option (--resume).
        args = argparse.Namespace(command=argv[0], rest=argv[1:])
        run = _delegate(
            argv[0], f"eels_autoid.{'training' if argv[0] == 'train' else 'evaluation'}"
        )
        with _log_records_on_stderr():
            return run(args)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    with _log_records_on_stderr():
        try:
            return args.func(args)
        # OSError: a full disk, a permission refused while writing the results.
        except (_CommandError, ValueError, OSError, TypeError) as err:
            message = " ".join(str(err).split())  # one line, whatever the message
            print(f"eels-autoid {args.command}: error: {message}", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
