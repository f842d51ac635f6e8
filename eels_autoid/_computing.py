"""Computing over spectra: dask blocks, laziness and HyperSpy's progress-bar preference.

One home for what identification, quantification and the denoiser share.
"""

from __future__ import annotations

__all__ = ["block_chunks", "compute", "is_lazy", "show_progressbar"]


def is_lazy(data) -> bool:
    """Whether ``data`` is a lazy (dask) array rather than one in memory."""
    import numpy as np

    return not isinstance(data, np.ndarray) and hasattr(data, "compute")


def block_chunks(nav_shape, limit):
    """Navigation chunks of at most ``limit`` spectra, fastest axes kept whole."""
    chunks, remaining = [], limit
    for n in reversed(nav_shape):
        c = max(1, min(n, remaining))
        chunks.append(c)
        remaining = max(1, remaining // c)
    return tuple(reversed(chunks))


def show_progressbar(show, n_spectra):
    """Whether to show a progress bar over ``n_spectra`` spectra.

    ``None`` follows HyperSpy's preference. Never for a single spectrum: it
    takes a fraction of a second, and a bar would only clutter the output.
    """
    if n_spectra <= 1:
        return False
    if show is None:
        from hyperspy.defaults_parser import preferences

        show = preferences.General.show_progressbar
    return bool(show)


def compute(arrays, show, n_spectra, desc=None):
    """Compute a dask array (or a tuple of them, in one pass) with HyperSpy's progress bar.

    Parameters
    ----------
    arrays : dask.array.Array or tuple of dask.array.Array
    show : bool or None
        See :func:`show_progressbar`.
    n_spectra : int
        How many spectra the computation covers.
    desc : str, optional
        The bar's label.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        Like ``arrays``.

    Notes
    -----
    The bar is HyperSpy's tqdm bar (``hyperspy.external.progressbar``) fed by
    dask's callbacks, as HyperSpy shows for ``map`` and ``compute``; the
    loops over blocks in memory show the same bar.
    """
    import contextlib

    import dask

    several = isinstance(arrays, tuple)
    todo = arrays if several else (arrays,)
    bar = contextlib.nullcontext()
    if show_progressbar(show, n_spectra):
        from hyperspy.external.progressbar import progressbar
        from tqdm.dask import TqdmCallback

        bar = TqdmCallback(tqdm_class=progressbar, desc=desc)
    with bar:
        done = dask.compute(*todo)
    return done if several else done[0]
