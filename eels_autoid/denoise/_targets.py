"""Self-supervised targets: per-spectrum normalisation and neighbourhood averages.

Everything here is plain NumPy/dask (no Keras), so that targets and splits can be
tested and reused without TensorFlow.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "default_block",
    "held_out_mask",
    "neighbour_mean",
    "spectrum_scale",
]

# RapidEELS averaged 10 x 40 pixels (one second at 400 fps) of a homogeneous
# time series. On maps with structure a smaller neighbourhood keeps other phases
# out of a pixel's target; 5 x 5 = 24 other spectra already cut the target noise
# five-fold, and target noise only slows training, it does not bias it.
_DEFAULT_BLOCK_2D = 5
_DEFAULT_BLOCK_1D = 25


def default_block(nav_shape):
    """Neighbourhood size that fits a map, in HyperSpy navigation order.

    Parameters
    ----------
    nav_shape : tuple of int
        Navigation shape in HyperSpy order (x, y, ...).

    Returns
    -------
    tuple of int
        Per navigation axis: 5 for maps (25 for line scans), but never more
        than a quarter of the axis and never less than 1.
    """
    per_axis = _DEFAULT_BLOCK_1D if len(nav_shape) == 1 else _DEFAULT_BLOCK_2D
    return tuple(int(max(1, min(per_axis, n // 4))) for n in nav_shape)


def spectrum_scale(spectra):
    """Mean count per channel of each spectrum, kept strictly positive.

    Parameters
    ----------
    spectra : array_like, shape (..., n_channels)

    Returns
    -------
    ndarray, shape (..., 1)
        The mean of each spectrum. Dark-subtracted spectra can have a mean at or
        below zero; those fall back to their mean absolute value (and to 1 for an
        all-zero spectrum) so that normalising never divides by zero.
    """
    spectra = np.asarray(spectra, dtype=np.float64)
    scale = spectra.mean(axis=-1, keepdims=True)
    fallback = np.abs(spectra).mean(axis=-1, keepdims=True)
    scale = np.where(scale > 1e-6 * np.maximum(fallback, 1e-30), scale, fallback)
    return np.where(scale > 0, scale, 1.0)


def _gated_box(stacked, size, ratio, exclude_self):
    """Sums of similar neighbours' spectra and their number, for every pixel of a block.

    ``stacked`` holds the normalised spectra with each pixel's mean count appended
    as a last channel (zero for padding beyond the map, which never matches).
    Returns the same shape: the sums, and the number of neighbours in the last
    channel.
    """
    nav = stacked.shape[:-1]
    data = np.asarray(stacked[..., :-1], dtype=np.float64)
    scale = np.asarray(stacked[..., -1], dtype=np.float64)
    lo = [s // 2 for s in size]
    pad = [(a, s - 1 - a) for a, s in zip(lo, size, strict=True)]
    data_p = np.pad(data, [*pad, (0, 0)])
    scale_p = np.pad(scale, pad)
    sums = np.zeros(data.shape, dtype=np.float64)
    counts = np.zeros(nav, dtype=np.float64)
    for offset in itertools.product(*(range(s) for s in size)):
        if exclude_self and list(offset) == lo:
            continue
        window = tuple(slice(o, o + n) for o, n in zip(offset, nav, strict=True))
        other = scale_p[window]
        ok = other > 0
        if ratio:
            ok &= (other * ratio >= scale) & (other <= ratio * scale)
        sums += np.where(ok[..., None], data_p[window], 0.0)
        counts += ok
    return np.concatenate([sums, counts[..., None]], axis=-1)


def neighbour_mean(normalised, scale, size_np, *, max_count_ratio=1.5, exclude_self=True):
    """Average of the normalised spectra of similar pixels in each pixel's neighbourhood.

    Parameters
    ----------
    normalised : ndarray or dask.array.Array, shape (*nav_np, n_channels)
        Per-spectrum normalised spectra, navigation in NumPy order.
    scale : ndarray or dask.array.Array, shape (*nav_np, 1)
        Mean count of each spectrum (see :func:`spectrum_scale`).
    size_np : tuple of int
        Neighbourhood size in NumPy order (centred box, truncated at the map edge).
    max_count_ratio : float or None, default 1.5
        Leave out neighbours whose mean count differs from the pixel's by more
        than this factor. Next to vacuum, holes or a thickness step the spectral
        shape changes with the counts; averaging across such a step gives
        bright pixels the shape of dim ones, which biases every count-weighted
        sum (on the FeOx test map, by several noise standard deviations).
        ``None`` averages all neighbours.
    exclude_self : bool, default True
        Leave the pixel's own spectrum out of its target. With it, the network
        would learn to pass ``1/N`` of each input's own noise through (the target
        would be correlated with the input noise); without it the target's noise
        is independent of the input, the Noise2Noise condition.

    Returns
    -------
    mean : ndarray or dask.array.Array
        Same shape as ``normalised``, float32; a pixel without similar
        neighbours gets its own spectrum.
    counts : ndarray
        Number of neighbours averaged for each pixel, shape ``nav_np`` (0 for
        those pixels, which should not be trained on).
    """
    nav_np = tuple(normalised.shape[:-1])
    size_np = tuple(int(min(s, n)) for s, n in zip(size_np, nav_np, strict=True))
    ratio = None if max_count_ratio is None else float(max_count_ratio)
    if hasattr(normalised, "dask"):
        import dask.array as da

        stacked = da.concatenate([normalised, scale.astype(np.float32)], axis=-1)
        stacked = stacked.rechunk({len(nav_np): -1})
        depth = {i: s // 2 for i, s in enumerate(size_np)}
        depth[len(nav_np)] = 0
        boundary = {i: 0.0 for i in range(len(nav_np))}
        boundary[len(nav_np)] = "none"
        out = da.map_overlap(
            _gated_box,
            stacked,
            depth=depth,
            boundary=boundary,
            dtype=np.float64,
            size=size_np,
            ratio=ratio,
            exclude_self=exclude_self,
        )
        counts = np.asarray(out[..., -1].compute())
        sums = out[..., :-1]
        c = da.from_array(counts[..., None], chunks=(*sums.chunks[:-1], 1))
        mean = da.where(c > 0, sums / da.maximum(c, 1.0), normalised)
        return mean.astype(np.float32), counts
    stacked = np.concatenate([np.asarray(normalised), np.asarray(scale)], axis=-1)
    out = _gated_box(stacked, size_np, ratio, exclude_self)
    counts = out[..., -1]
    c = counts[..., None]
    mean = np.where(c > 0, out[..., :-1] / np.maximum(c, 1.0), normalised)
    return mean.astype(np.float32), counts


def held_out_mask(nav_shape_np, size_np, fraction, rng):
    """Pixels held out from training, chosen as whole tiles of the neighbourhood size.

    Holding out tiles rather than single pixels keeps most of a held-out pixel's
    neighbours (whose spectra form its target) out of the training inputs.

    Parameters
    ----------
    nav_shape_np, size_np : tuple of int
        Navigation shape and tile size, NumPy order.
    fraction : float
        Fraction of tiles to hold out, in [0, 0.5]; at least one tile when > 0
        and the map has more than one tile.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of bool, shape ``nav_shape_np``
    """
    tiles = tuple(int(np.ceil(n / max(1, s))) for n, s in zip(nav_shape_np, size_np, strict=True))
    n_tiles = int(np.prod(tiles))
    mask = np.zeros(nav_shape_np, dtype=bool)
    if fraction <= 0 or n_tiles < 2:
        return mask
    n_out = int(np.clip(round(fraction * n_tiles), 1, n_tiles - 1))
    chosen = rng.choice(n_tiles, size=n_out, replace=False)
    for flat in chosen:
        idx = np.unravel_index(flat, tiles)
        sl = tuple(slice(i * s, (i + 1) * s) for i, s in zip(idx, size_np, strict=True))
        mask[sl] = True
    return mask
