"""Zero-loss peak, plasmons and plural scattering, and the detector blur, in Fourier space.

Every spectrum has one *response kernel* K on its fine grid (offsets
``-L..L-1`` in grid steps): the normalised low-loss spectrum, i.e. the
zero-loss peak convolved with ``sum_n P_n S^{*n}`` (``S`` the single-plasmon
loss function, ``P_n`` the Poisson probabilities of t/lambda, n <= 5),
convolved with the detector point-spread function. It sums to 1, so the
single-scattering spectrum convolved with it keeps its counts: convolutions
run on the extended grid of 2L points, and only then is the spectrum cropped.
The low loss in the window is ``I0 * K``, faded out between 100 and 200 eV
(its far tails would otherwise replace the core-loss background).
"""

from __future__ import annotations

import numpy as np


def drude(energy, plasmon_energy, width):
    """Drude energy-loss function Im(-1/eps) (unnormalised).

    E Gamma Ep^2 / ((E^2 - Ep^2)^2 + (E Gamma)^2), zero for E <= 0.
    """
    e = np.maximum(energy, 0.0)
    ep2 = plasmon_energy**2
    return e * width * ep2 / ((e**2 - ep2) ** 2 + (e * width) ** 2)


def poisson_weights(thickness, max_order):
    """P_n = exp(-t) t^n / n!, n = 0..max_order, renormalised to sum 1 (n, max_order + 1)."""
    t = np.asarray(thickness, dtype=float)[:, None]
    n = np.arange(max_order + 1)[None, :]
    logfact = np.cumsum(np.log(np.maximum(n, 1)), axis=1)
    w = np.exp(-t + n * np.log(np.maximum(t, 1e-300)) - logfact)
    w[:, 0] = np.exp(-t[:, 0])
    return w / w.sum(axis=1, keepdims=True)


def frequencies(step, L):
    """rfft frequencies (cycles per eV) of grids of 2L points, shape (n, L + 1)."""
    return np.arange(L + 1)[None, :] / (2 * L * step[:, None])


def gaussian_ft(f, fwhm):
    sigma = np.asarray(fwhm)[:, None] / 2.3548200450309493
    return np.exp(-2.0 * (np.pi * sigma * f) ** 2)


def lorentzian_ft(f, hwhm):
    return np.exp(-2.0 * np.pi * np.asarray(hwhm)[:, None] * f)


def plasmon_shapes(step, L, lowloss):
    """Single-scattering low-loss shape S on offsets 0..L-1, each summing to 1 (n, L)."""
    e = np.arange(L)[None, :] * step[:, None]
    s = drude(e, lowloss["plasmon_energy"][:, None], lowloss["plasmon_width"][:, None])
    s /= s.sum(axis=1, keepdims=True)
    w2 = lowloss["second_weight"][:, None]
    if np.any(w2 > 0):
        s2 = drude(e, lowloss["second_energy"][:, None], lowloss["second_width"][:, None])
        s2 /= np.maximum(s2.sum(axis=1, keepdims=True), 1e-300)
        s = (1 - w2) * s + w2 * s2
    return s


def response_ft(step, L, lowloss, detector, max_order, shapes=None):
    """Fourier transform (rfft of 2L points) of the response kernel K, shape (n, L + 1).

    The zero-loss peak is a pseudo-Voigt, the PSF a Gaussian convolved with a
    Lorentzian; their transforms are analytic. The Gaussian part is widened
    to at least one fine-grid step so that the sampled kernel does not ring.
    """
    f = frequencies(step, L)
    if shapes is None:
        shapes = plasmon_shapes(step, L, lowloss)
    s_hat = np.fft.rfft(shapes, n=2 * L, axis=1)
    p = poisson_weights(lowloss["thickness"], max_order)
    # Horner: sum_n P_n S^n, in place (the arrays are large and complex).
    plural = np.zeros_like(s_hat)
    for k in range(max_order, -1, -1):
        plural *= s_hat
        plural += p[:, k, None]
    eta = lowloss["zlp_lorentz_fraction"][:, None]
    fw = lowloss["zlp_fwhm"]
    zlp = (1 - eta) * gaussian_ft(f, fw) + eta * lorentzian_ft(f, fw / 2)
    psf_fwhm = np.maximum(detector["psf_gaussian_fwhm"], 2.3548 * step)
    psf = gaussian_ft(f, psf_fwhm) * lorentzian_ft(f, detector["psf_lorentzian_hwhm"])
    return zlp * psf * plural


def kernel_real(k_hat, L):
    """The response kernel on offsets -L..L-1 (index L is offset 0), shape (n, 2L)."""
    k = np.fft.irfft(k_hat, n=2 * L, axis=1)
    return np.concatenate([k[:, L:], k[:, :L]], axis=1)


def plural_scattering(ssd, k_hat):
    """Convolve single-scattering densities (n, L) with the kernel on the extended grid.

    Returns the full circular convolution of 2L points: its sum equals the
    input's (K sums to 1); the first L points are the spectrum on the fine grid.
    """
    L = ssd.shape[1]
    return np.fft.irfft(np.fft.rfft(ssd, n=2 * L, axis=1) * k_hat, n=2 * L, axis=1)


# The low loss seen in a window fades out between these losses (eV): beyond
# them the Lorentzian tails of the zero-loss peak and PSF, and the Drude tails,
# would otherwise stand in for the core-loss background with a 1/E^2 law.
LOWLOSS_FADE = (100.0, 200.0)


def lowloss_taper(step, L):
    """Weights (n, 2L) on kernel offsets -L..L-1: 1 below 100 eV, 0 above 200 eV."""
    e = np.abs(np.arange(-L, L)[None, :] * step[:, None])
    lo, hi = LOWLOSS_FADE
    return np.clip((hi - e) / (hi - lo), 0.0, 1.0) ** 2


def lowloss_on_grid(kernel, m, i0, step):
    """The low loss, ``I0 * K`` as a density (counts per eV) at the fine-grid
    points ``(m + j)`` steps from 0 eV, shape (n, L); ``I0`` is its total count."""
    n, two_l = kernel.shape
    L = two_l // 2
    offsets = m[:, None] + np.arange(L)[None, :]
    inside = (offsets >= -L) & (offsets < L)
    idx = np.clip(offsets + L, 0, two_l - 1)
    return np.where(inside, np.take_along_axis(kernel, idx, axis=1), 0.0) * (i0 / step)[:, None]


def cumulative_kernel(kernel):
    """Cumulative sum of K with a leading zero (n, 2L + 1)."""
    n = kernel.shape[0]
    return np.concatenate([np.zeros((n, 1)), np.cumsum(kernel, axis=1)], axis=1)


def kernel_window_weights(ck, kernel, rows, a, b, L):
    """Weights ``W_j`` such that counts in window [a, b) of (f conv K) = sum_j f_j step W_j.

    ``a``, ``b`` are boundary positions in fine-index units (cell ``i`` spans
    ``[i - 0.5, i + 0.5)``); the density is constant within cells, as in the
    binning. Shape (len(rows), L).
    """
    n = ck.shape[0]
    # Padded by L on both sides so that every slice is in range (0 below, the
    # total above), and reversed: W_j reads the kernel at ``x - j``, so each
    # row is then a forward contiguous slice, and the result is contiguous.
    ck_r = np.empty((n, 4 * L + 1))
    ck_r[:, :L] = ck[:, -1:]
    ck_r[:, L : 3 * L + 1] = ck[:, ::-1]
    ck_r[:, 3 * L + 1 :] = 0.0
    k_r = np.zeros((n, 4 * L + 1))
    k_r[:, L + 1 : 3 * L + 1] = kernel[:, ::-1]
    out = _ck_slices(ck_r, k_r, rows, b, L)
    out -= _ck_slices(ck_r, k_r, rows, a, L)
    return out


def _ck_slices(ck_r, k_r, rows, x, L):
    """Cumulative kernel at ``x - j`` for j = 0..L-1 (linear within cells), (len(rows), L).

    The fractional part of ``x - j`` is the same for every j, so each row is a
    contiguous slice of the reversed padded cumulative kernel: copied as a
    block (sliding-window view) rather than gathered element by element.
    """
    u = x + L + 0.5
    fl = np.floor(u)
    frac = (u - fl)[:, None]
    # Beyond the padding every value is 0 (below) or the total (above).
    k0 = np.clip(fl, -1, 3 * L).astype(np.int64)
    # Unpadded indices k0 - j, j < L, in the reversed padded arrays.
    start = 3 * L - k0
    out = np.lib.stride_tricks.sliding_window_view(k_r, L, axis=1)[rows, start]
    out *= frac
    out += np.lib.stride_tricks.sliding_window_view(ck_r, L, axis=1)[rows, start]
    return out


def _ck_at(ck, kernel, rows, x, L):
    """Cumulative kernel at positions ``x`` (offset units), linear within cells."""
    u = np.clip(x + L + 0.5, 0, 2 * L)
    k = np.minimum(u.astype(np.int64), 2 * L - 1)
    r = rows[:, None]
    return ck[r, k] + (u - k) * kernel[r, k]


def window_lowloss(ck, kernel, rows, a, b, m, i0, L):
    """Counts of ``I0 * K`` in the windows [a, b) (fine-index units)."""
    a2, b2 = (a + m[rows])[:, None], (b + m[rows])[:, None]
    return i0[rows] * (_ck_at(ck, kernel, rows, b2, L) - _ck_at(ck, kernel, rows, a2, L))[:, 0]
