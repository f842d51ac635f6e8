"""Regions of a spectrum image whose spectra differ: where a confined element can be seen.

An element in a thin layer or a few particles is diluted in the summed
spectrum and noisy in single pixels. Summing the pixels of each region where
the spectra differ gives it the counts of all its pixels. The regions are
clusters of the spectra's shapes (the leading principal components of the
spectra, binned and normalised), and, for each element the network sees
in enough pixels, the pixels beside those where it sees it. Not the pixels
themselves: picked because the network saw an element there, they would
carry the very noise that made it see it, and their sum would confirm it. A
pixel picked by its neighbours' spectra brings its own counts unbiased, and
a layer or particle shows in the neighbours of its pixels.
"""

from __future__ import annotations

import numpy as np

from .._computing import is_lazy
from ..preprocessing import bridge_gaps

__all__ = ["region_sums", "neighbour_masks", "MIN_REGION_PIXELS", "MAX_REGION_SHARE", "N_REGIONS"]

# At most this many regions; each needs this many pixels (and 2 % of the map)
# for its sum to average out the noise of single pixels.
N_REGIONS = 4
MIN_REGION_PIXELS = 20
MIN_REGION_SHARE = 0.02
# A region over more of the map than this is the map, which the summed
# spectrum judges.
MAX_REGION_SHARE = 0.5
# The spectra's shapes are compared binned to this many channels, and on
# this many principal components.
_BINS = 64
_COMPONENTS = 4
# A principal component of the binned shapes is structure, not noise, when
# its power is this many times the median component's (pure Poisson noise
# spreads them within a factor of about 1.6 for 64 bins and 400 pixels).
_ABOVE_NOISE = 4.0


def _measured(block):
    """(values, measured) of a block of spectra: short gaps bridged, the rest 0 and not measured.

    Runs of NaN or inf channels short enough are interpolated as for the
    network (:func:`eels_autoid.preprocessing.bridge_gaps`); longer ones are
    read as 0 and marked in ``measured`` (None where every value is finite),
    so that a sum can stand in for them from the pixels that measured them.
    """
    block = np.asarray(block)
    if np.issubdtype(block.dtype, np.integer) or np.isfinite(block).all():
        return block, None
    values = bridge_gaps(block.astype(np.float64, copy=False))
    measured = np.isfinite(values)
    return np.where(measured, values, 0.0), measured


def _measured_values(block):
    """:func:`_measured`'s values of a block, as float64."""
    return _measured(block)[0].astype(np.float64)


def _unmeasured(block):
    """1.0 where a block's channel is not measured (nor bridged), else 0.0."""
    measured = _measured(block)[1]
    return np.zeros(np.shape(block)) if measured is None else (~measured).astype(np.float64)


def _unmeasured_counts(block):
    """How many of a block's spectra do not measure each channel, shape (1, channels)."""
    measured = _measured(block)[1]
    if measured is None:
        return np.zeros((1, np.shape(block)[-1]))
    return (~measured).sum(axis=0, keepdims=True).astype(np.float64)


def _weighted_sums(weights, flat, rows=1024):
    """``weights @ flat`` in float64, a block of pixels at a time.

    Integer data would sum in their own type and wrap around (a uint16 map
    of 1,000 counts a channel overflows at 66 pixels), and a float64 copy of
    the whole map would double its memory.
    """
    out = np.zeros((len(weights), flat.shape[1]))
    for i in range(0, len(flat), rows):
        out += weights[:, i : i + rows] @ np.asarray(flat[i : i + rows], dtype=np.float64)
    return out


def _scaled(total, pixels, missing):
    """Sums of values read as 0 where not measured, scaled up per channel.

    ``pixels`` (rows, 1): the pixels each sum holds; ``missing`` (rows,
    channels): how many of them did not measure each channel, or None. A
    channel some pixels did not measure is scaled by the share that did;
    one that none measured is NaN.
    """
    if missing is None or not np.any(missing):
        return total
    have = pixels - missing
    with np.errstate(invalid="ignore", divide="ignore"):
        # An empty region stays a row of zeros.
        return np.where(have > 0, total * pixels / have, np.where(pixels > 0, np.nan, 0.0))


def _binned(block, bins):
    """Spectra summed into ``bins`` equal groups of channels (unmeasured channels read as 0)."""
    block = _measured(block)[0]
    n = block.shape[-1] // bins * bins
    return block[:, :n].reshape(len(block), bins, -1).sum(axis=-1, dtype=np.float64)


def _clusters(binned, seed=0):
    """Cluster labels of the binned spectra, or None where their shapes differ by noise alone."""
    from scipy.cluster.vq import kmeans2

    total = binned.sum(axis=1, keepdims=True)
    ok = total[:, 0] > 0
    if ok.sum() < 2 * MIN_REGION_PIXELS:
        return None
    shapes = binned[ok] / total[ok]
    centred = shapes - shapes.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    # Components standing well above the noise floor (the median component):
    # a map of one phase has none, and is not cut into regions of noise.
    power = sv**2
    real = int(np.sum(power > _ABOVE_NOISE * np.median(power)))
    k = min(real + 1, N_REGIONS, int(ok.sum()) // MIN_REGION_PIXELS)
    if real == 0 or k < 2:
        return None
    scores = centred @ vt[: min(real, _COMPONENTS)].T
    _, labels = kmeans2(scores, k, minit="++", seed=seed)
    out = np.full(len(binned), -1)
    out[ok] = labels
    return out


def neighbour_masks(above, nav_shape):
    """For each element's map of pixels above threshold, the pixels with such a neighbour.

    Parameters
    ----------
    above : numpy.ndarray of bool, shape (pixels, K)
        Pixels (flattened in ``nav_shape`` order) where the network sees each
        of K elements.
    nav_shape : tuple of int
        The navigation shape in array order.

    Returns
    -------
    numpy.ndarray of bool, shape (pixels, K)
        A pixel is picked when one of its neighbours (8 in a map, 2 in a line
        scan), not itself, is above threshold.
    """
    from scipy.ndimage import maximum_filter

    footprint = np.ones((3,) * len(nav_shape), dtype=bool)
    footprint[(1,) * len(nav_shape)] = False
    out = np.empty_like(above)
    for k in range(above.shape[1]):
        grid = above[:, k].reshape(nav_shape)
        out[:, k] = maximum_filter(grid, footprint=footprint, mode="constant", cval=False).ravel()
    return out


def region_sums(flat, masks=None):
    """The summed spectrum, and the sums over the regions where the spectra differ.

    Parameters
    ----------
    flat : numpy.ndarray or dask.array.Array, shape (pixels, channels)
    masks : numpy.ndarray of bool, shape (pixels, K), optional
        More regions to sum (:func:`neighbour_masks`).

    Returns
    -------
    summed : numpy.ndarray
    regions : list of numpy.ndarray
        One sum per column of ``masks``, then one per cluster of at least
        :data:`MIN_REGION_PIXELS` pixels and :data:`MIN_REGION_SHARE` of the
        map (none for a map too small to hold two).
    """
    n_pixels, n_channels = flat.shape
    bins = min(_BINS, n_channels)
    if is_lazy(flat):
        import dask.array as da

        flat = flat.rechunk({1: -1})
        values = flat.map_blocks(_measured_values, dtype=np.float64)
        counts = flat.map_blocks(
            _unmeasured_counts,
            dtype=np.float64,
            chunks=((1,) * flat.numblocks[0], (n_channels,)),
        )
        binned = values.map_blocks(
            _binned, bins, dtype=np.float64, chunks=(values.chunks[0], (bins,))
        )
        summed, missing, binned = da.compute(values.sum(axis=0), counts.sum(axis=0), binned)
        missing = missing[None]
    else:
        flat, measured = _measured(flat)
        summed = flat.sum(axis=0, dtype=np.float64)
        missing = None if measured is None else (~measured).sum(axis=0)[None]
        binned = _binned(flat, bins) if n_pixels > 1 else None
    summed = _scaled(summed[None], np.array([[n_pixels]]), missing)[0]
    groups = [] if masks is None else [m.astype(np.float64) for m in np.asarray(masks).T]
    labels = _clusters(binned) if binned is not None else None
    if labels is not None:
        least = max(MIN_REGION_PIXELS, MIN_REGION_SHARE * n_pixels)
        kept = [k for k in np.unique(labels[labels >= 0]) if (labels == k).sum() >= least]
        if len(kept) >= 2:
            groups += [(labels == k).astype(np.float64) for k in kept]
    if not groups:
        return np.asarray(summed), []
    weights = np.stack(groups)
    pixels = weights.sum(axis=1, keepdims=True)
    if is_lazy(flat):
        w = da.asarray(weights)
        sums = (w @ values).compute()
        if np.any(missing):
            missing = (w @ flat.map_blocks(_unmeasured, dtype=np.float64)).compute()
    else:
        sums = _weighted_sums(weights, flat)
        if missing is not None:
            missing = weights @ (~measured).astype(np.float64)
    sums = _scaled(sums, pixels, missing)
    # An empty mask sums to zeros: kept, so that the first rows stay the
    # masks' own, in order.
    return np.asarray(summed), list(sums)
