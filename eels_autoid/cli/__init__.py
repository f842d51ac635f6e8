"""The ``eels-autoid`` command line.

Subcommands, each in its own module with its parser:

- ``identify FILE``: which elements are in a spectrum or spectrum image; writes
  probability maps, a summary table, quantified maps and a one-page report.
- ``demo``: a simulated LaMnO3/BaTiO3/SrTiO3 superlattice, identified and
  quantified end to end.
- ``train CONFIG`` / ``evaluate PATH``: train a network, evaluate one on labelled spectra.
- ``release RUN``: a training run made a model (threshold, figures, card),
  or a specialist of one.

Commands that write a results folder (``--out``) write it through
:class:`eels_autoid._results_folder.ResultsFolder`. Heavy imports happen
inside the subcommands, so ``--help`` is instant. The package imports the
library; the library never imports it.
"""

from __future__ import annotations

import argparse
import sys

from . import _demo, _evaluate, _identify, _release, _train
from ._common import CommandError, log_records_on_stderr

__all__ = ["main", "build_parser"]

_DESCRIPTION = """\
Identify the elements in electron energy loss spectra (EELS) with a neural
network, pixel by pixel.

  eels-autoid identify si.dm4 --out results/     elements, maps, quantification, report
  eels-autoid demo                               try it on a simulated superlattice
  eels-autoid train config.toml                  train a network (resumable)
  eels-autoid evaluate labelled_spectra/         precision, recall, F1, exact match
  eels-autoid release runs/edgenet-0             a trained run made a model with its card

Run 'eels-autoid COMMAND --help' for the options of each command."""

# In the order 'eels-autoid --help' lists them.
COMMANDS = (_identify, _demo, _train, _evaluate, _release)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``eels-autoid`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="eels-autoid",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"eels_autoid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run ``eels-autoid`` with ``argv`` (default: the process's arguments).

    Returns
    -------
    int
        Exit status: 0 on success; 2 for a problem with the arguments or
        files, reported in one line on standard error.
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    with log_records_on_stderr():
        try:
            return args.func(args)
        # OSError: a full disk, a permission refused while writing the results.
        except (CommandError, ValueError, OSError, TypeError) as err:
            message = " ".join(str(err).split())  # one line, whatever the message
            print(f"eels-autoid {args.command}: error: {message}", file=sys.stderr)
            return 2
