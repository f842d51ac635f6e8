"""What the subcommands share: one-line errors, the --out check, log records on stderr."""

from __future__ import annotations

import contextlib
import logging
import sys

from .._results_folder import out_folder_problem

__all__ = ["CommandError", "check_out_folder", "held_log_records", "log_records_on_stderr"]


class CommandError(Exception):
    """A problem with the command's arguments or files, reported in one line."""


def check_out_folder(out, option="--out"):
    """Raise :class:`CommandError` if results cannot be written into ``out``.

    Checked before any work, so that a bad folder does not wait for the network,
    and nothing is made for a run that cannot start.
    """
    problem = out_folder_problem(out)
    if problem:
        raise CommandError(f"{option} {out}: {problem}")


@contextlib.contextmanager
def held_log_records(names):
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


@contextlib.contextmanager
def log_records_on_stderr():
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
