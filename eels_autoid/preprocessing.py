"""From spectra on any uniform energy axis to the network's input.

Pure numpy/scipy, so that the simulator shares it on machines without HyperSpy
or TensorFlow: what the network sees in training is exactly what
:func:`eels_autoid.identify_edges` gives it.

The input has two channels on the model's :class:`~eels_autoid.energy_grid.EnergyGrid`:

0. the spectrum as counts per eV, compressed with ``asinh(d / sigma)``
   (``sigma`` a robust estimate of the channel-to-channel noise) and centred
   over the measured channels. Far above the noise this is ``log(d)``, where
   an edge is a step of ``log(1 + ratio)`` whatever its position or the
   count level; near zero it is linear, so dark-subtracted negative values
   and noise stay finite and small.
1. the measured-range mask: 1 where the grid channel was measured (and lies
   at or above the model's ``valid_from``), 0 elsewhere. "Not measured" is
   thus distinct from "no signal" (Annys et al. zero-padded instead).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse

from .energy_grid import DEFAULT_GRID, EnergyGrid

__all__ = [
    "PREPROCESSING_VERSION",
    "resampling_matrix",
    "measured_mask",
    "model_input",
    "normalise",
    "bridge_gaps",
    "MAX_BRIDGED_GAP",
]

# Bump when the input representation changes: model cards record it.
PREPROCESSING_VERSION = 1
N_CHANNELS = 2
_STAT_SAMPLES = 256
# Longest run of NaN or inf channels that identify_edges interpolates over:
# dead pixels and masked spikes are 1..3 channels wide.
MAX_BRIDGED_GAP = 3


@functools.lru_cache(maxsize=32)
def _resampling_matrix(offset, scale, size, grid):
    """Cached core of :func:`resampling_matrix` (hashable arguments)."""
    centres = offset + scale * np.arange(size)
    g = grid.energies
    h = grid.step
    if scale <= h:
        # Finer than the grid: conservative binning. Weight = overlap of the
        # input channel with the grid channel, so counts/eV are preserved.
        lo_in, hi_in = centres - scale / 2, centres + scale / 2
        first = np.searchsorted(g + h / 2, lo_in, side="right")
        last = np.searchsorted(g - h / 2, hi_in, side="left") - 1
        rows, cols, vals = [], [], []
        for shift in range(int(np.ceil(scale / h)) + 2):
            j = first + shift
            ok = (j <= last) & (j >= 0) & (j < grid.size)
            jj = j[ok]
            overlap = np.minimum(hi_in[ok], g[jj] + h / 2) - np.maximum(lo_in[ok], g[jj] - h / 2)
            keep = overlap > 0
            rows.append(np.nonzero(ok)[0][keep])
            cols.append(jj[keep])
            vals.append(overlap[keep] / (scale * h))
        rows, cols, vals = map(np.concatenate, (rows, cols, vals))
        covered_lo, covered_hi = centres[0] - scale / 2, centres[-1] + scale / 2
        inside = (g - h / 2 >= covered_lo - 1e-9 * h) & (g + h / 2 <= covered_hi + 1e-9 * h)
    else:
        # Coarser than the grid: linear interpolation of counts/eV between
        # channel centres (binning would leave a staircase that looks like edges).
        inside = (g >= centres[0]) & (g <= centres[-1])
        j = np.nonzero(inside)[0]
        pos = (g[j] - offset) / scale
        i0 = np.clip(np.floor(pos).astype(int), 0, size - 2)
        t = pos - i0
        rows = np.concatenate([i0, i0 + 1])
        cols = np.concatenate([j, j])
        vals = np.concatenate([1 - t, t]) / scale
    w = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(size, grid.size))
    w.sum_duplicates()
    return w, inside


def resampling_matrix(offset: float, scale: float, size: int, grid: EnergyGrid = DEFAULT_GRID):
    """Sparse matrix taking counts per channel to counts per eV on ``grid``.

    Parameters
    ----------
    offset, scale : float
        Energy of the first channel centre and the dispersion (eV).
    size : int
        Number of channels.
    grid : EnergyGrid
        The model's grid.

    Returns
    -------
    w : scipy.sparse.csr_matrix, shape (size, grid.size)
        ``spectra @ w`` is the resampled spectrum (counts per eV).
    inside : numpy.ndarray of bool, shape (grid.size,)
        Grid channels entirely covered by the measured range.
    """
    if not (np.isfinite(offset) and np.isfinite(scale) and scale > 0 and size >= 2):
        raise ValueError(f"Invalid energy axis: offset={offset}, scale={scale}, size={size}.")
    return _resampling_matrix(float(offset), float(scale), int(size), grid)


def measured_mask(offset, scale, size, grid: EnergyGrid = DEFAULT_GRID, finite=None):
    """Mask of grid channels that were measured and lie in the model's valid range.

    Parameters
    ----------
    offset, scale, size
        The input energy axis (eV).
    grid : EnergyGrid
    finite : numpy.ndarray of bool, shape (n, size), optional
        Which input channels hold finite values, per spectrum. A grid channel
        fed by a non-finite input channel counts as not measured.

    Returns
    -------
    numpy.ndarray of bool, shape (grid.size,) or (n, grid.size)
    """
    w, inside = resampling_matrix(offset, scale, size, grid)
    valid = inside & (grid.energies >= grid.valid_from)
    if finite is None:
        return valid
    bad = (~np.asarray(finite, dtype=bool)).astype(np.float32)
    touched = (scipy.sparse.csr_matrix(bad) @ abs(w)).toarray() > 0
    return valid[None, :] & ~touched


def normalise(density, mask):
    """Channel 0 of the model input from counts/eV on the grid (see module doc).

    Parameters
    ----------
    density : numpy.ndarray, shape (n, C)
    mask : numpy.ndarray of bool, shape (C,) or (n, C)

    Returns
    -------
    numpy.ndarray, float32, shape (n, C)
        Zero where ``mask`` is False, and for spectra that are all zero.
    """
    density = np.asarray(density, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(density.shape, dtype=np.float32)
    if mask.ndim == 1:
        # One mask for the batch (the usual case): work on its columns only.
        out[:, mask] = _normalise_columns(density[:, mask])
        return out
    # Masks that differ between spectra (NaN or inf channels, or the simulator's
    # windows): exactly the statistics of the shared-mask path, row by row.
    mask = np.broadcast_to(mask, density.shape)
    values = density[mask]
    if not np.isfinite(values).all():
        # The sort-based medians below rank NaN last; np.median propagates it.
        for i in range(len(density)):
            out[i, mask[i]] = _normalise_columns(density[i, mask[i]][None, :])[0]
        return out
    y, valid = _normalise_rows(values, mask)
    out[mask] = y[valid]
    return out


def _normalise_rows(values, mask):
    """:func:`_normalise_columns` of each row's own measured columns, all rows at once.

    ``values`` are the measured entries, ``density[mask]`` (row-major order).

    Returns the values packed to the left, shape (n, max measured), and the
    mask of the packed entries that hold values (row-major order, as ``mask``).
    Same samples, order statistics and summation order as the per-row path,
    so the result is bit-identical to it.
    """
    n = len(mask)
    k = mask.sum(axis=1)
    width = int(k.max()) if n else 0
    # Each row's measured columns packed to the left, in their order (both
    # boolean selections run in row-major order).
    valid = np.arange(width)[None, :] < k[:, None]
    packed = np.zeros((n, width))
    packed[valid] = values
    # The per-row subsampling: `step` depends on that row's column count.
    step = np.maximum(1, k // _STAT_SAMPLES)
    n_level = -(-k // step)  # len(cols[::step])
    n_diff = np.maximum(-(-(k - 1) // step), 0)  # len(cols[1::step])
    j = np.arange(max(int(n_level.max()), 1) if n else 1)[None, :]
    at = np.minimum(j * step[:, None], max(width - 1, 0))
    nxt = np.minimum(at + 1, max(width - 1, 0))
    rows = np.arange(n)[:, None]
    if width:
        level_s = np.abs(packed[rows, at])
        diff_s = np.abs(packed[rows, nxt] - packed[rows, at])
    else:
        level_s = diff_s = np.zeros((n, j.shape[1]))
    level_s[j >= n_level[:, None]] = np.nan
    diff_s[j >= n_diff[:, None]] = np.nan
    enough = k >= 2
    sigma = np.where(enough, 1.4826 * _row_median(diff_s, n_diff) / np.sqrt(2), 0.0)
    level = np.where(enough, _row_median(level_s, n_level), 0.0)
    y = np.arcsinh(packed / _usable(sigma, level)[:, None])
    # Row sums one row at a time: numpy's pairwise summation depends on the
    # length summed, and padding would change the rounding of the mean.
    for i in np.nonzero(k)[0]:
        y[i, : k[i]] -= np.add.reduce(y[i, : k[i]]) / k[i]
    return y, valid


def _row_median(samples, count):
    """np.median of the first ``count[i]`` (finite) samples of each row; NaN pads."""
    s = np.sort(samples, axis=1)  # NaN last
    c = np.maximum(count, 1)
    rows = np.arange(len(s))
    lo = s[rows, (c - 1) // 2]
    hi = s[rows, c // 2]
    # As np.median: the middle sample, or the mean of the two middle ones.
    return np.where(c % 2 == 1, lo, (lo + hi) / 2)


def _normalise_columns(cols):
    """Normalised values of the measured columns (n, k) of one shared mask."""
    if cols.shape[1] >= 2:
        # Robust statistics need no more than a few hundred samples per spectrum.
        step = max(1, cols.shape[1] // _STAT_SAMPLES)
        diffs = cols[:, 1::step] - cols[:, :-1:step][:, : cols[:, 1::step].shape[1]]
        sigma = 1.4826 * np.median(np.abs(diffs), axis=-1) / np.sqrt(2)
        level = np.median(np.abs(cols[:, ::step]), axis=-1)
    else:
        sigma = level = np.zeros(len(cols))
    y = np.arcsinh(cols / _usable(sigma, level)[:, None])
    if y.shape[1]:
        y -= y.mean(axis=-1, keepdims=True)
    return y


def _usable(sigma, level):
    """Noise-free or locally flat data fall back on a small fraction of the level."""
    sigma = np.where(np.isfinite(sigma) & (sigma > 1e-6 * level), sigma, 1e-6 * level)
    return np.where(np.isfinite(sigma) & (sigma > 0), sigma, 1.0)


def model_input(spectra, offset: float, scale: float, grid: EnergyGrid = DEFAULT_GRID):
    """Model input for a batch of spectra sharing one uniform energy axis.

    Parameters
    ----------
    spectra : array_like, shape (n, size) or (size,)
        Counts per channel. NaN and inf are treated as not measured; negative
        values (dark-subtracted data) are kept.
    offset, scale : float
        First channel centre and dispersion of the input axis (eV).
    grid : EnergyGrid
        The model's grid (from its card).

    Returns
    -------
    numpy.ndarray, float32, shape (n, grid.size, 2)
        Channel 0 the normalised spectrum, channel 1 the measured mask.
    """
    x = np.asarray(spectra)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"Expected spectra of shape (n, channels), got {x.shape}.")
    finite = np.isfinite(x)
    all_finite = bool(finite.all())
    x = np.where(finite, x, 0.0) if not all_finite else x
    out = np.zeros((x.shape[0], grid.size, N_CHANNELS), dtype=np.float32)
    if all_finite:
        # Resample only the measured columns: the rest of the input is zero.
        valid = measured_mask(offset, scale, x.shape[1], grid)
        cols = np.asarray(x @ _measured_columns(offset, scale, x.shape[1], grid))
        out[:, valid, 0] = _normalise_columns(cols.astype(np.float64, copy=False))
        out[:, valid, 1] = 1.0
        return out
    w, _ = resampling_matrix(offset, scale, x.shape[1], grid)
    density = np.asarray(x.astype(np.float64, copy=False) @ w)
    mask = measured_mask(offset, scale, x.shape[1], grid, finite=finite)
    out[..., 0] = normalise(density, mask)
    out[..., 1] = mask
    return out


@functools.lru_cache(maxsize=32)
def _measured_columns(offset, scale, size, grid):
    w, _ = resampling_matrix(offset, scale, size, grid)
    return w[:, measured_mask(offset, scale, size, grid)].tocsr()


def bridge_gaps(spectra, max_gap: int = MAX_BRIDGED_GAP):
    """Spectra with short runs of NaN or inf channels filled by linear interpolation.

    A dead or spike-masked channel between measured ones would otherwise mask
    every grid channel it feeds, and scattered ones mask whole edges. Runs
    longer than ``max_gap`` channels, and runs at either end, stay non-finite
    (treated as not measured).

    Parameters
    ----------
    spectra : numpy.ndarray, shape (n, size)
    max_gap : int

    Returns
    -------
    numpy.ndarray
        ``spectra`` itself when nothing is bridged, else a float copy.
    """
    spectra = np.asarray(spectra)
    finite = np.isfinite(spectra)
    if finite.all():
        return spectra
    out = spectra.astype(np.float64, copy=True)
    channels = np.arange(spectra.shape[1])
    for k in np.nonzero(~finite.all(axis=1))[0]:
        good = finite[k]
        if good.sum() < 2:
            continue
        # Length of the run of non-finite channels each channel belongs to.
        bad = ~good
        edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
        starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        for a, b in zip(starts, stops, strict=True):
            if b - a <= max_gap and a > 0 and b < len(good):
                out[k, a:b] = np.interp(channels[a:b], [a - 1, b], [out[k, a - 1], out[k, b]])
    return out
