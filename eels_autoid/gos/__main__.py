"""Command line: ``python -m eels_autoid.gos build [--workdir DIR] [--elements ...]``.

Builds the GOS tables with a checkpoint per table in ``--workdir`` (default
``build/gos``, resumable) and writes the bundled GOSH file when every element
is done (or ``--output`` for a subset).
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eels_autoid.gos", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compute the GOS tables and write the GOSH file")
    b.add_argument(
        "--workdir", default="build/gos", help="checkpoint directory (default build/gos)"
    )
    b.add_argument("--elements", nargs="+", help="only these elements (default Li..Bi)")
    b.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    b.add_argument("--output", help="GOSH file to write (default: the bundled file)")
    sub.add_parser("list", help="print the tables the build makes")
    args = parser.parse_args(argv)

    from ._tables import required_tables

    if args.command == "list":
        req = required_tables()
        for el, tabs in req.items():
            print(el, " ".join(tabs))
        print(f"{sum(len(t) for t in req.values())} tables, {len(req)} elements")
        return 0
    from ._build import build

    t0 = time.perf_counter()
    out = build(args.workdir, elements=args.elements, workers=args.workers, output=args.output)
    dt = time.perf_counter() - t0
    if out is None:
        print(f"checkpoints in {args.workdir} ({dt:.0f} s); give --output to write a file")
    else:
        print(f"wrote {out} in {dt:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
