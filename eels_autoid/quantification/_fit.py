"""The linear least-squares kernel, one block of spectra at a time.

It solves the problem HyperSpy's ``multifit(optimizer="lstsq")`` solves for a
model whose non-linear parameters are fixed (power-law exponents, edge
onsets, microscope settings), but block by block with bounded memory, with
per-pixel standard errors and an optional low-loss convolution per pixel.
Dask workers import this module, so it needs numpy and scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._computing import block_chunks
from ..preprocessing import bridge_gaps
from ..spectrum_model._solve import atomic_fractions

__all__ = [
    "LinearProblem",
    "fit_block",
    "evaluate_block",
    "output_layout",
    "separability",
    "lazy_blocks",
    "map_pixels",
]

# Spectra per block: a block of 2048 channels and its float64 work arrays
# take ~40 MB, and a threaded scheduler holds one block per thread.
SPECTRA_PER_BLOCK = 512
# Spectra per batch of per-pixel designs (low-loss convolution, outlier refits):
# bounds the (batch, channels, columns) arrays to a few tens of MB.
_PIXEL_BATCH = 128
# Channels whose residual stands out from its neighbours' by more than this
# many robust standard deviations are spikes (cosmic rays, hot or dead channels).
_SPIKE_SIGMA = 8.0
_MIN_SPIKE_CHANNELS = 9
# Unmeasured (NaN or inf) channels are left out of a spectrum's fit while at
# least this share of its fitted channels, and of each element's part the
# background cannot mimic, stays measured (see _measured_enough).
MIN_MEASURED_SHARE = 0.5


@dataclass(frozen=True)
class LinearProblem:
    """The fixed part of the fit, shared by every block (plain arrays: cheap to pickle).

    Attributes
    ----------
    design : numpy.ndarray, shape (N, K)
        Counts per channel of each basis function at unit coefficient: the
        background power laws first, then one column per element (its edges
        summed). With a low loss the element columns come from ``convolution``.
    weights : numpy.ndarray, shape (N,)
        1 / standard deviation of each channel.
    fitted : numpy.ndarray of bool, shape (N,)
        The channels in the fit.
    n_background : int
    convolution : numpy.ndarray, shape (N + L - 1, E), optional
        The element columns on the convolution axis, for a low loss of L channels.
    reject_spikes : bool
    """

    design: np.ndarray
    weights: np.ndarray
    fitted: np.ndarray
    n_background: int
    convolution: np.ndarray | None = None
    reject_spikes: bool = True

    @property
    def n_columns(self) -> int:
        return self.design.shape[1]

    @property
    def n_elements(self) -> int:
        return self.n_columns - self.n_background


def output_layout(n_columns, n_elements) -> dict:
    """Slices of the per-pixel output vector of :func:`fit_block`."""
    k, e = n_columns, n_elements
    return {
        "coefficients": slice(0, k),
        "std": slice(k, 2 * k),
        "fractions": slice(2 * k, 2 * k + e),
        "fraction_std": slice(2 * k + e, 2 * k + 2 * e),
        "chi2": 2 * k + 2 * e,
        "rejected": 2 * k + 2 * e + 1,
        "size": 2 * k + 2 * e + 2,
    }


def separability(problem):
    """How well the fitted channels tell each element apart from everything else.

    Each column of the design is weighted like the fit and scaled to unit
    norm over the fitted channels; an element's separability is the norm of
    the part of its column that the background and the other elements
    cannot reproduce: 1 for a column orthogonal to all of them, 0 for one
    that a combination of them equals. ``1 / separability**2`` is the factor
    by which that combination inflates the variance of the element's
    intensity. The low-loss convolution, where there is one, is not applied
    (it smooths the columns a little and hardly changes their overlap).

    Parameters
    ----------
    problem : LinearProblem

    Returns
    -------
    separability : numpy.ndarray, shape (E,)
    partner : numpy.ndarray of int, shape (E,)
        For each element, the index (among the elements) of the other element
        with the largest weight in that combination; -1 for a single element.
    """
    a = problem.design[problem.fitted] * problem.weights[problem.fitted, None]
    a = a / _column_scale(a)
    nb, e = problem.n_background, problem.n_elements
    sep, partner = np.ones(e), np.full(e, -1)
    for i in range(e):
        j = nb + i
        others = np.delete(a, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, a[:, j], rcond=None)
        sep[i] = np.linalg.norm(a[:, j] - others @ coef)
        if e > 1:
            w = np.abs(coef[nb:])  # element columns among the others (j removed)
            k = int(np.argmax(w))
            partner[i] = k + (k >= i)
    return sep, partner


def _column_scale(a):
    # Power laws and cross-sections differ by tens of orders of magnitude:
    # unit columns keep the SVD accurate.
    s = np.sqrt((a * a).sum(axis=-2))
    return np.where(s > 0, s, 1.0)


def _svd_solve(a, y):
    """Least squares for one design ``a`` (n, K) and many targets ``y`` (P, n).

    Returns the coefficients (P, K) and the unscaled covariance (K, K), such
    that the covariance of a pixel is its residual variance times it.
    """
    s = _column_scale(a)
    u, sv, vt = np.linalg.svd(a / s, full_matrices=False)
    keep = sv > sv[0] * max(a.shape) * np.finfo(float).eps
    inv = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
    x = ((y @ u) * inv) @ vt / s
    v = vt.T * inv
    return x, (v @ v.T) / np.outer(s, s)


def _svd_solve_stacked(a, y):
    """Least squares with one design per pixel: ``a`` (P, n, K), ``y`` (P, n)."""
    s = _column_scale(a)
    u, sv, vt = np.linalg.svd(a / s[:, None, :], full_matrices=False)
    keep = sv > sv[:, :1] * max(a.shape[1:]) * np.finfo(float).eps
    inv = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
    # Batched matrix products (BLAS) rather than einsum: the refits' cost.
    uy = (np.swapaxes(u, 1, 2) @ y[:, :, None])[:, :, 0] * inv
    x = (uy[:, None, :] @ vt)[:, 0, :] / s
    v = np.swapaxes(vt, 1, 2) * inv[:, None, :]
    cov = (v @ np.swapaxes(v, 1, 2)) / (s[:, :, None] * s[:, None, :])
    return x, cov


def _convolved_design(problem, lowloss):
    """Per-pixel designs (P, N, K): element columns convolved with each pixel's low loss."""
    from scipy.fft import irfft, next_fast_len, rfft

    n, k = problem.design.shape
    length = lowloss.shape[1]
    g = problem.convolution
    nfft = next_fast_len(length + g.shape[0] - 1, real=True)
    full = irfft(
        rfft(lowloss, nfft, axis=1)[:, :, None] * rfft(g, nfft, axis=0)[None], nfft, axis=1
    )
    a = np.empty((len(lowloss), n, k))
    a[:, :, : problem.n_background] = problem.design[None, :, : problem.n_background]
    # 'valid' part of the convolution, as numpy.convolve(lowloss, column, "valid").
    a[:, :, problem.n_background :] = full[:, length - 1 : length - 1 + n]
    return a


def _spikes(residual):
    """Channels of isolated outliers in weighted residuals (P, n).

    A channel is a spike when it departs from the mean of its four nearest
    neighbours by many robust standard deviations: smooth misfits (fine
    structure, background curvature) do not, one- or two-channel spikes do.
    """
    padded = np.pad(residual, ((0, 0), (2, 2)), mode="edge")
    neighbours = (padded[:, :-4] + padded[:, 1:-3] + padded[:, 3:-1] + padded[:, 4:]) / 4
    deviation = np.abs(residual - neighbours)
    sigma = 1.4826 * np.median(deviation, axis=1, keepdims=True)
    return deviation > _SPIKE_SIGMA * np.maximum(sigma, np.finfo(float).tiny)


def _measured_enough(measured, problem):
    """Which spectra can be fitted on their measured channels alone.

    ``measured`` (P, fitted channels): which are finite. A spectrum is
    fitted when at least :data:`MIN_MEASURED_SHARE` of its fitted channels
    are measured, and of each element's column the part the background
    columns cannot mimic (its residual after a least-squares projection on
    them, squared: what sets the element's amount apart) keeps that share
    on measured channels. Losing half of it doubles the amount's variance,
    which the fit's uncertainty states; an edge whose onset is not measured
    would leave its amount to the background.
    """
    fit = problem.fitted
    a = problem.design[fit] * problem.weights[fit][:, None]
    nb = problem.n_background
    background, elements = a[:, :nb], a[:, nb:]
    if nb:
        coef = np.linalg.lstsq(background, elements, rcond=None)[0]
        elements = elements - background @ coef
    own = elements**2
    kept = measured.astype(float) @ own / np.maximum(own.sum(axis=0), np.finfo(float).tiny)
    return (measured.mean(axis=1) >= MIN_MEASURED_SHARE) & (kept >= MIN_MEASURED_SHARE).all(axis=1)


def fit_block(spectra, lowloss=None, *, problem):
    """Fit every spectrum of a block.

    Parameters
    ----------
    spectra : numpy.ndarray, shape (..., N)
    lowloss : numpy.ndarray, shape (..., L), optional
        Each pixel's low loss, for the convolved problem.
    problem : LinearProblem

    Returns
    -------
    numpy.ndarray, shape (..., size)
        Per pixel, the vector described by :func:`output_layout`. NaN or
        inf channels are left out of a spectrum's fit (counted with the
        rejected channels); NaN for spectra that keep too few measured
        channels (:func:`_measured_enough`).
    """
    nav_shape = spectra.shape[:-1]
    n_channels = spectra.shape[-1]
    k, n_el, nb = problem.n_columns, problem.n_elements, problem.n_background
    lay = output_layout(k, n_el)
    fit = problem.fitted
    w = problem.weights[fit]
    # Only the fitted channels, weighted, in float64 (no full-size copy).
    yw = np.multiply(np.asarray(spectra).reshape(-1, n_channels)[:, fit], w, dtype=float)
    out = np.full((len(yw), lay["size"]), np.nan)
    measured = np.isfinite(yw)
    usable = measured.all(axis=1)
    holed = np.flatnonzero(~usable)
    if len(holed):
        # NaN or inf channels (a dead channel, a detector gap, a masked
        # spike) are left out of that spectrum's fit, as spikes are, where
        # enough of what the fit needs stays measured.
        usable[holed] = _measured_enough(measured[holed], problem)
        yw[~measured] = 0.0
    good = np.flatnonzero(usable)
    if lowloss is not None:
        # A dead channel of the low loss is bridged as the spectrum's would be.
        lowloss = bridge_gaps(np.asarray(lowloss, dtype=float).reshape(len(yw), -1))
        # A pixel whose low loss holds no intensity has no absolute scale.
        ll_good = lowloss[good]
        good = good[np.isfinite(ll_good).all(axis=1) & (ll_good.sum(axis=1) > 0)]
    if not len(good):
        return out.reshape(*nav_shape, lay["size"])
    n_fit = int(fit.sum())

    if lowloss is None:
        a = problem.design[fit] * w[:, None]
        x, unit_cov = _svd_solve(a, yw[good])
        residual = yw[good] - x @ a.T
        cov = None
    else:
        x = np.empty((len(good), k))
        cov = np.empty((len(good), k, k))
        residual = np.empty((len(good), n_fit))
        for start in range(0, len(good), _PIXEL_BATCH):
            rows = good[start : start + _PIXEL_BATCH]
            part = slice(start, start + len(rows))
            a = _convolved_design(problem, lowloss[rows])[:, fit] * w[None, :, None]
            x[part], cov[part] = _svd_solve_stacked(a, yw[rows])
            residual[part] = yw[rows] - (a @ x[part][:, :, None])[:, :, 0]

    def refit(idx, keep):
        """Fit the spectra ``good[idx]`` again on their channels ``keep`` alone."""
        nonlocal cov
        if cov is None:
            cov = np.broadcast_to(unit_cov, (len(good), k, k)).copy()
        for start in range(0, len(idx), _PIXEL_BATCH):
            part = idx[start : start + _PIXEL_BATCH]
            kept = keep[start : start + _PIXEL_BATCH]
            if lowloss is None:
                a = np.broadcast_to(problem.design[fit] * w[:, None], (len(part), n_fit, k))
            else:
                a = _convolved_design(problem, lowloss[good[part]])[:, fit] * w[None, :, None]
            a = a * kept[:, :, None]
            target = yw[good[part]] * kept
            x[part], cov[part] = _svd_solve_stacked(a, target)
            residual[part] = target - (a @ x[part][:, :, None])[:, :, 0]

    rejected = ~measured[good]
    holed = np.flatnonzero(rejected.any(axis=1))
    if len(holed):
        refit(holed, ~rejected[holed])
    if problem.reject_spikes and n_fit > _MIN_SPIKE_CHANNELS:
        # An unmeasured channel's residual is 0: never a spike.
        spikes = _spikes(residual)
        rejected |= spikes
        # Refit only the spectra with spikes, without those channels.
        redo = np.flatnonzero(spikes.any(axis=1))
        if len(redo):
            refit(redo, ~rejected[redo])

    dof = np.maximum(n_fit - rejected.sum(axis=1) - k, 1)
    chi2 = (residual**2).sum(axis=1) / dof
    cov = chi2[:, None, None] * (unit_cov[None] if cov is None else cov)
    std = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2), 0.0))
    fractions, fraction_std = atomic_fractions(x[:, nb:], cov[:, nb:, nb:])

    res = out[good]
    res[:, lay["coefficients"]] = x
    res[:, lay["std"]] = std
    res[:, lay["fractions"]] = fractions
    res[:, lay["fraction_std"]] = fraction_std
    res[:, lay["chi2"]] = chi2
    res[:, lay["rejected"]] = rejected.sum(axis=1)
    out[good] = res
    return out.reshape(*nav_shape, lay["size"])


def evaluate_block(coefficients, lowloss=None, *, problem, columns=None):
    """The model spectra (..., N) of fitted coefficients (..., K), on every channel.

    ``columns`` (a boolean mask over the K columns) restricts the sum, e.g. to
    the background.
    """
    nav_shape = coefficients.shape[:-1]
    x = np.asarray(coefficients, dtype=float).reshape(-1, problem.n_columns)
    if columns is not None:
        x = np.where(columns, x, 0.0)
    x = np.nan_to_num(x)
    if lowloss is None:
        y = x @ problem.design.T
    else:
        lowloss = bridge_gaps(np.asarray(lowloss, dtype=float).reshape(len(x), -1))
        y = np.empty((len(x), problem.design.shape[0]))
        for start in range(0, len(x), _PIXEL_BATCH):
            rows = slice(start, start + _PIXEL_BATCH)
            a = _convolved_design(problem, np.nan_to_num(lowloss[rows]))
            y[rows] = (a @ x[rows][:, :, None])[:, :, 0]
    return y.reshape(*nav_shape, problem.design.shape[0])


def lazy_blocks(data, ll_data):
    """Dask arrays of the spectra (and low loss) with aligned navigation chunks."""
    import dask.array as da

    darr = da.asarray(data)
    if darr.ndim == 1:
        darr = darr[None]
    chunks = (*block_chunks(darr.shape[:-1], SPECTRA_PER_BLOCK), -1)
    darr = darr.rechunk(chunks)
    llarr = None
    if ll_data is not None:
        llarr = da.asarray(ll_data)
        if llarr.ndim == 1:
            llarr = llarr[None]
        llarr = llarr.rechunk((*darr.chunks[:-1], -1))
    return darr, llarr


def map_pixels(func, darr, llarr, size, **kwargs):
    """Apply ``func(spectra[, lowloss], **kwargs)`` block by block: (..., N) -> (..., size)."""
    import dask.array as da

    nd = darr.ndim
    nav = tuple(range(nd - 1))
    args = [darr, (*nav, nd - 1)]
    if llarr is not None:
        args += [llarr, (*nav, nd)]
    return da.blockwise(
        func,
        (*nav, nd + 1),
        *args,
        new_axes={nd + 1: size},
        concatenate=True,
        dtype=float,
        meta=np.empty((0,) * nd),
        **kwargs,
    )
