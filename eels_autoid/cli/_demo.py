"""``eels-autoid demo``: a simulated superlattice, identified and quantified end to end."""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import check_out_folder

__all__ = ["add_parser", "run"]


def add_parser(sub):
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
    p.set_defaults(func=run)


def run(args) -> int:
    from ..models import bundled_models

    missing = []
    try:
        from ..simulate import superlattice  # noqa: F401
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
    check_out_folder(args.out)
    from ..demo import run_demo

    return run_demo(args.out, model=args.model, seed=args.seed)
