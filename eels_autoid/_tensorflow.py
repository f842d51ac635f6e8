"""Importing Keras (and TensorFlow) without TensorFlow's start-up noise.

TensorFlow's C++ libraries write log lines to the process's standard error
while they load, before they read ``TF_CPP_MIN_LOG_LEVEL`` (absl's
pre-initialisation notice, oneDNN, "Could not find cuda drivers", CPU feature
notes), and a failed ``cuInit`` when the devices are first listed. Python's
``sys.stderr`` never sees them, so they are caught at the file descriptor.
Every module of the package that needs Keras gets it from
:func:`import_keras`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading

__all__ = ["import_keras"]

_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"

# Lines TensorFlow writes at start-up that say nothing the user can act on.
_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    # glog records of severity INFO or WARNING: "I0000 00:00:17.. 1234 port.cc:153] ..."
    r"|[IW]\d{4} \S+\s+\d+ [^\]\s]+:\d+\] .*"
    # No GPU (or no driver): TensorFlow runs on the CPU, as it says elsewhere.
    r"|E\d{4} \S+\s+\d+ [^\]\s]+:\d+\] failed call to cuInit.*"
    # The second line of the CPU feature record.
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate "
    r"compiler flags\."
)

_lock = threading.Lock()
_keras = None


class _NoRetracingWarnings(logging.Filter):
    """Drops tf.function's "triggered tf.function retracing" warnings.

    Each network traces its prediction for the first batch shapes it sees,
    and TensorFlow counts the tracings of all networks together: an ensemble
    or a model with specialists crosses the warning's threshold by design,
    and the code changes the warning suggests do not apply.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def _write_stderr(text):
    # Through Python's stderr, so that it lands where the user reads
    # (a notebook, pytest's capture); the descriptor if there is none.
    stream = sys.stderr
    if stream is not None:
        try:
            stream.write(text)
            stream.flush()
            return
        except (OSError, ValueError):
            pass
    with contextlib.suppress(OSError):
        os.write(2, text.encode(errors="replace"))


def _flush_stderr():
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()


def _without_noise(text):
    return "".join(
        line for line in text.splitlines(keepends=True) if not _NOISE.fullmatch(line.rstrip("\n"))
    )


@contextlib.contextmanager
def _start_up_stderr_filtered():
    """Run the body with file descriptor 2 in a temporary file, then replay it.

    On success, everything but TensorFlow's start-up noise is replayed; if
    the body raises, everything is, since it may explain the error. Without
    a usable descriptor 2 (closed) or temporary file, the body runs as it is.
    """
    try:
        captured = tempfile.TemporaryFile()
    except OSError:
        yield
        return
    with captured:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            _flush_stderr()
            os.dup2(captured.fileno(), 2)
            failed = True
            try:
                yield
                failed = False
            finally:
                _flush_stderr()
                os.dup2(saved, 2)
                captured.seek(0)
                text = captured.read().decode(errors="replace")
                if not failed:
                    text = _without_noise(text)
                if text:
                    _write_stderr(text)
        finally:
            os.close(saved)


def _import():
    os.environ.setdefault(_LOG_LEVEL, "2")
    tf_logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NoRetracingWarnings) for f in tf_logger.filters):
        tf_logger.addFilter(_NoRetracingWarnings())
    # Whoever asks for TensorFlow's INFO logs gets the start-up lines too.
    quiet = os.environ[_LOG_LEVEL] != "0"
    with _start_up_stderr_filtered() if quiet else contextlib.nullcontext():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            # Finds the devices now (cuInit), not at the first prediction.
            tf.config.list_physical_devices()
    return keras


def import_keras():
    """The ``keras`` module, imported without TensorFlow's start-up messages.

    On the first call, sets ``TF_CPP_MIN_LOG_LEVEL`` to 2 (warnings and
    information off, errors on) unless it is set, imports Keras and lets
    TensorFlow find its devices while TensorFlow's start-up lines are held
    back, and filters the tf.function retracing warnings out of the
    ``tensorflow`` logger. Anything else written meanwhile is shown; so is
    everything if the import fails. ``TF_CPP_MIN_LOG_LEVEL=0`` shows the
    start-up lines too. Never touches ``TF_ENABLE_ONEDNN_OPTS``.

    Returns
    -------
    module
        ``keras``.

    Raises
    ------
    ImportError
        If Keras or its backend cannot be imported (as is, not wrapped).
    """
    global _keras
    if _keras is None:
        with _lock:
            if _keras is None:
                _keras = _import()
    return _keras
