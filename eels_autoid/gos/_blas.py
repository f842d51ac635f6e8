"""Run LAPACK/BLAS single-threaded inside the GOS numerics.

The tridiagonal eigensolver calls many level-1 BLAS routines on vectors of
~10^4 elements; a threaded OpenBLAS spends far more time synchronising its
threads than computing there (20 s instead of 2 s for a heavy atom on a
loaded 2-core machine), and single-threaded matrix products also make the
tables bit-for-bit independent of the thread count. This sets the OpenBLAS
thread count of the libraries loaded by numpy and scipy for the duration of
a ``with`` block (the same mechanism as ``threadpoolctl``), and does nothing
where those libraries cannot be found.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import re
import threading

_LOCK = threading.RLock()
_SETTERS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


@functools.cache
def _controls() -> tuple:
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return ()
    out = []
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SETTERS:
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                out.append((getattr(lib, set_name), getattr(lib, get_name)))
                break
    return tuple(out)


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager: OpenBLAS limited to one thread inside the block."""
    import numpy  # noqa: F401  (make sure the libraries are loaded)
    import scipy.linalg  # noqa: F401

    with _LOCK:
        controls = _controls()
        old = [get() for _, get in controls]
        try:
            for set_, _ in controls:
                set_(1)
            yield
        finally:
            for (set_, _), n in zip(controls, old, strict=True):
                set_(n)
