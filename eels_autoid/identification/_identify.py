"""identify_edges: batched network inference over spectra and spectrum images."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._docstrings import IDENTIFY_PARAMETERS
from ..preprocessing import model_input
from ..vocabulary import ELEMENTS, observable_elements
from ._axis import energy_axis, zero_loss_shift
from ._result import MIN_AREA_FRACTION, EdgeIdentification

__all__ = ["identify_edges"]

# Spectra per network call. Small enough for one call's activations to stay
# in the CPU caches: on 2 cores the bundled default runs 1.2x faster with 128
# than with 512 (benchmarks/bench_identify.py).
DEFAULT_BATCH_SIZE = 128
# Spectra per dask block: bounds memory (block + its model input) for lazy
# spectrum images larger than memory, while keeping network calls large.
_SPECTRA_PER_BLOCK = 4096
# At least this many model channels must lie in the measured window.
_MIN_CHANNELS = 16


@functools.lru_cache(maxsize=4)
def _cached_model(key):
    from ..models import load_model

    return load_model(key)


def _resolve_model(model):
    from ..models import IdentificationModel

    if isinstance(model, IdentificationModel):
        return model
    key = "default" if model is None else str(model)
    return _cached_model(key)


def _predict_block(block, *, net, axis, n_out, batch_size, member_spread):
    """Probabilities for one block of spectra, shape (*nav, n_out[, 2])."""
    nav_shape = block.shape[:-1]
    spectra = np.asarray(block).reshape(-1, block.shape[-1])
    out = np.zeros((len(spectra), 2, n_out), dtype=np.float32)
    finite = np.isfinite(spectra)
    usable = (finite & (spectra != 0)).any(axis=1)
    for start in range(0, len(spectra), batch_size):
        rows = slice(start, start + batch_size)
        ok = usable[rows]
        if not ok.any():
            continue
        x = model_input(spectra[rows][ok], axis.offset, axis.scale, net.grid)
        mean, spread = net.predict(x, member_spread=True)
        out[np.arange(len(spectra))[rows][ok], 0] = mean
        out[np.arange(len(spectra))[rows][ok], 1] = spread
    out = out.reshape(*nav_shape, 2, n_out)
    return out if member_spread else out[..., 0, :]


def _block_chunks(nav_shape, limit=_SPECTRA_PER_BLOCK):
    """Navigation chunks of at most ``limit`` spectra, fastest axes kept whole."""
    chunks, remaining = [], limit
    for n in reversed(nav_shape):
        c = max(1, min(n, remaining))
        chunks.append(c)
        remaining = max(1, remaining // c)
    return tuple(reversed(chunks))


def _as_dask(data):
    """The data as a dask array with the whole energy axis in every block."""
    import dask.array as da

    if data.ndim == 1:
        data = data[None, :]
    chunks = (*_block_chunks(data.shape[:-1]), -1)
    if isinstance(data, da.Array):
        return data.rechunk(chunks)
    return da.from_array(data, chunks=chunks)


def identify_edges(
    signal,
    *,
    model=None,
    threshold=None,
    min_area_fraction=MIN_AREA_FRACTION,
    low_loss=None,
    batch_size=None,
    show_progressbar=None,
    lazy_output=None,
):
    """Identify the elements whose core-loss edges are in an EELS signal.

    Works on any HyperSpy signal with one energy axis (eV or keV): single
    spectra, line scans, spectrum images, lazy or not. The signal is never
    modified (the ``EELS_autoid`` method additionally writes the detected
    elements into ``metadata.Sample.elements``).

    Parameters
    ----------
    signal : hyperspy.signal.BaseSignal
        The spectra, signal dimension 1.
    %s

    Returns
    -------
    EdgeIdentification
        Probabilities per pixel and element, the detected and observable
        elements, maps and a summary.

    Raises
    ------
    TypeError
        If ``signal`` is not a HyperSpy signal.
    ValueError
        For a signal dimension other than 1, non-energy units, a non-uniform
        axis, an empty signal, a window entirely outside the model's range, or
        a low-loss whose navigation shape does not match.
    FileNotFoundError
        If the model file does not exist (or no model is bundled yet).

    Warns
    -----
    UserWarning
        When the window lies partly outside the model's range (it is cropped),
        when the data hold NaN or inf (treated as not measured), and when
        spectra are all zero (their probabilities are 0).

    Examples
    --------
    >>> import eels_autoid
    >>> s = hs.load("si.dm4")  # doctest: +SKIP
    >>> result = eels_autoid.identify_edges(s)  # doctest: +SKIP
    >>> result.get_map("La").plot()  # doctest: +SKIP
    """
    axis = energy_axis(signal)
    if not 0 <= min_area_fraction <= 1:
        raise ValueError(f"min_area_fraction must lie in [0, 1], got {min_area_fraction}.")
    if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    batch_size = int(batch_size or DEFAULT_BATCH_SIZE)
    if low_loss is not None:
        axis = axis.shifted(zero_loss_shift(low_loss, signal))

    net = _resolve_model(model)
    grid = net.grid
    lo, hi = grid.valid_range
    start, end = max(axis.offset, lo), min(axis.end, hi)
    if end - start < _MIN_CHANNELS * grid.step:
        raise ValueError(
            f"The energy range {axis.offset:.1f}..{axis.end:.1f} eV lies outside the model's "
            f"range {lo:.0f}..{hi:.0f} eV (or overlaps it by less than "
            f"{_MIN_CHANNELS * grid.step:.0f} eV): no edge can be identified."
        )
    if axis.offset < lo - axis.scale or axis.end > hi + axis.scale:
        warnings.warn(
            f"The energy range {axis.offset:.1f}..{axis.end:.1f} eV extends beyond the model's "
            f"range {lo:.0f}..{hi:.0f} eV; only {start:.0f}..{end:.0f} eV is used.",
            UserWarning,
            stacklevel=2,
        )
    thresholds = net.card.thresholds(threshold)
    observable = observable_elements(start, end)

    data = signal.data
    lazy_input = not isinstance(data, np.ndarray)
    if lazy_output is None:
        lazy_output = lazy_input
    if not lazy_input:
        _warn_bad_values(data)

    import dask.array as da

    nav_ndim = data.ndim - 1
    darr = _as_dask(data)
    kwargs = dict(
        net=net, axis=axis, n_out=len(ELEMENTS), batch_size=batch_size, member_spread=True
    )
    probs = da.map_blocks(
        _predict_block,
        darr,
        dtype=np.float32,
        drop_axis=darr.ndim - 1,
        new_axis=[darr.ndim - 1, darr.ndim],
        chunks=(*darr.chunks[:-1], (2,), (len(ELEMENTS),)),
        **kwargs,
    )
    if nav_ndim == 0:
        probs = probs[0]
    if not lazy_output:
        probs = _compute(probs, show_progressbar)
    return EdgeIdentification(
        probabilities=probs[..., 0, :],
        spread=probs[..., 1, :] if len(net.networks) > 1 else None,
        signal=signal,
        thresholds=thresholds,
        observable=observable,
        min_area_fraction=min_area_fraction,
        model=net,
        energy_range=(start, end),
        energy_shift=axis.offset - energy_axis(signal).offset if low_loss is not None else 0.0,
    )


identify_edges.__doc__ %= IDENTIFY_PARAMETERS


def _compute(array, show_progressbar):
    from hyperspy.defaults_parser import preferences

    if show_progressbar is None:
        show_progressbar = preferences.General.show_progressbar
    if show_progressbar:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            return array.compute()
    return array.compute()


def _warn_bad_values(data):
    finite = np.isfinite(data)
    if not finite.all():
        warnings.warn(
            f"The signal holds {int((~finite).sum())} NaN or inf values; those channels are "
            "treated as not measured.",
            UserWarning,
            stacklevel=3,
        )
    spectra = data.reshape(-1, data.shape[-1])
    empty = ~(finite.reshape(spectra.shape) & (spectra != 0)).any(axis=1)
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} of {len(spectra)} spectra are all zero (or not finite); their "
            "probabilities are set to 0.",
            UserWarning,
            stacklevel=3,
        )
