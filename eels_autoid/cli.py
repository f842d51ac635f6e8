"""The ``eels-autoid`` command line.

Subcommands:

- ``identify FILE``: which elements are in a spectrum or spectrum image; writes
  probability maps, a summary table and figures.
- ``demo``: a simulated LaMnO3/BaTiO3/SrTiO3 superlattice, identified end to end.
- ``train CONFIG`` / ``evaluate DIR``: train a network, evaluate one on labelled spectra.

Heavy imports happen inside the subcommands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]

_DESCRIPTION = """\
Identify the elements in electron energy loss spectra (EELS) with a neural
network, pixel by pixel.

  eels-autoid identify si.dm4 --out results/     elements, maps and a summary
  eels-autoid demo                               try it on a simulated superlattice
  eels-autoid train config.toml                  train a network (resumable)
  eels-autoid evaluate labelled_spectra/         precision, recall, F1, exact match

Run 'eels-autoid COMMAND --help' for the options of each command."""


def _identify_parser(sub):
    p = sub.add_parser(
        "identify",
        help="identify the elements in a spectrum or spectrum image file",
        description="Identify the elements whose core-loss edges are in FILE (any format "
        "HyperSpy reads: dm3, dm4, msa, hspy ...). Writes to --out: probabilities.hspy "
        "(one probability per pixel and element), summary.csv (one row per observable "
        "element), elements.txt (the detected elements), and a PNG probability map per "
        "detected element for spectrum images.",
    )
    p.add_argument("file", type=Path, help="the spectrum or spectrum image")
    p.add_argument(
        "--low-loss",
        type=Path,
        help="a low-loss file to align the energy axis on its zero-loss peak (dual EELS)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eels_autoid_results"),
        help="output folder (default: %(default)s)",
    )
    p.add_argument("--threshold", type=float, help="decision threshold (default: the model's)")
    p.add_argument("--model", help="a bundled model name or a .keras file (default: bundled)")
    p.add_argument(
        "--min-area-fraction",
        type=float,
        default=0.01,
        help="fraction of pixels an element must be found in (default: %(default)s)",
    )
    p.add_argument("--lazy", action="store_true", help="load the file lazily (large maps)")
    p.set_defaults(func=_identify)


def _identify(args) -> int:
    import hyperspy.api as hs

    from .identification import identify_edges

    s = hs.load(args.file, lazy=args.lazy)
    ll = hs.load(args.low_loss, lazy=args.lazy) if args.low_loss else None
    result = identify_edges(
        s,
        model=args.model,
        threshold=args.threshold,
        min_area_fraction=args.min_area_fraction,
        low_loss=ll,
        show_progressbar=True,
    )
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    result.probabilities.save(out / "probabilities.hspy", overwrite=True)
    result.summary().to_csv(out / "summary.csv")
    (out / "elements.txt").write_text(" ".join(result.elements) + "\n")
    if s.axes_manager.navigation_dimension:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        for element in result.elements:
            m = result.get_map(element)
            m.plot(cmap="viridis", vmin=0, vmax=1)
            plt.savefig(out / f"probability_{element}.png", dpi=100)
            plt.close("all")
    print(result.summary())
    print(f"detected: {' '.join(result.elements) or '(none)'}")
    print(f"results written to {out}")
    return 0


def _demo_parser(sub):
    p = sub.add_parser(
        "demo",
        help="identify the elements of a simulated superlattice",
        description="Simulate a LaMnO3/BaTiO3/SrTiO3 superlattice spectrum image "
        "(Annys et al. 2023, Fig. 7), identify its elements and write the maps.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eels_autoid_demo"),
        help="output folder (default: %(default)s)",
    )
    p.set_defaults(func=_demo)


def _demo(args) -> int:
    from .models import bundled_models

    missing = []
    try:
        from .simulate import spectrum_image  # noqa: F401
    except ImportError:
        missing.append("the spectrum simulator (eels_autoid.simulate)")
    if not bundled_models():
        missing.append("a bundled trained model (eels_autoid/weights)")
    if missing:
        print(
            "The demo cannot run yet: this version of eels_autoid lacks "
            + " and ".join(missing)
            + ".",
            file=sys.stderr,
        )
        return 1
    from .demo import run_demo

    return run_demo(args.out)


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


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, TypeError) as err:
        print(f"eels-autoid {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
