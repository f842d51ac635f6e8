"""Detector effects on acquisition channels: gain pattern, Poisson and readout noise,
dark subtraction, cosmic-ray spikes, dead and hot channels.

The point-spread function is applied with the low loss (``_lowloss``),
where it is a product in Fourier space.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter

from ._parameters import draw

# Above this mean the Poisson law is replaced by its normal limit (exact to
# well below the other noise sources, and several times faster).
_NORMAL_ABOVE = 1000.0


def poisson(rng, lam):
    """Poisson counts for means ``lam`` (float64 array), normal above 1000 counts."""
    lam = np.maximum(lam, 0.0)
    big = lam > _NORMAL_ABOVE
    out = np.empty_like(lam)
    out[~big] = rng.poisson(lam[~big])
    lb = lam[big]
    out[big] = np.rint(lb + np.sqrt(lb) * rng.standard_normal(lb.shape))
    return out


def draw_detector(rng, n, params):
    """Per-spectrum detector parameters."""
    return {
        "psf_gaussian_fwhm": draw(rng, "psf_gaussian_fwhm", params, n),
        "psf_lorentzian_hwhm": draw(rng, "psf_lorentzian_hwhm", params, n),
        "gain_noise": draw(rng, "gain_noise", params, n),
        "readout_noise": draw(rng, "readout_noise", params, n),
        "dark_error": draw(rng, "dark_error", params, n),
        "spikes": rng.random(n) < params.spike_probability,
        "dead": rng.random(n) < params.dead_channel_probability,
        "hot": rng.random(n) < params.hot_channel_probability,
    }


def acquire(rng, lam, size, det, noise=True):
    """From noiseless counts per channel to what the camera records.

    Parameters
    ----------
    rng : numpy.random.Generator
    lam : numpy.ndarray, shape (n, N)
        Expected counts; channels at and beyond ``size`` are padding.
    size : numpy.ndarray of int, shape (n,)
    det : dict
        From :func:`draw_detector`.
    noise : bool
        False returns ``lam`` (noiseless) unchanged.
    """
    if not noise:
        return lam.copy()
    n, N = lam.shape
    counts = poisson(rng, lam)
    # Fixed-pattern gain: smooth channel-to-channel sensitivity left after
    # the gain reference (Savitzky-Golay smoothed white noise).
    g = rng.standard_normal((n, N), dtype=np.float32)
    win = min(N - (1 - N % 2), 31)
    if win >= 5:
        g = savgol_filter(g, win, 3, axis=1)
        g /= np.maximum(g.std(axis=1, keepdims=True), 1e-12)
    counts *= 1.0 + det["gain_noise"][:, None] * g
    # Readout noise, and a dark reference that is not quite the dark current:
    # after subtraction, low-count channels go negative like real data.
    sigma = det["readout_noise"][:, None]
    counts += (
        sigma * rng.standard_normal((n, N), dtype=np.float32) + det["dark_error"][:, None] * sigma
    )
    valid = np.arange(N)[None, :] < size[:, None]
    # Typical count level of each spectrum (mean over its channels): spikes
    # and hot channels are drawn against it.
    level = (lam * valid).sum(axis=1) / np.maximum(size, 1)
    for i in np.nonzero(det["spikes"] | det["dead"] | det["hot"])[0]:
        s = int(size[i])
        if det["spikes"][i]:
            for _ in range(rng.integers(1, 4)):
                c = rng.integers(s)
                w = rng.integers(1, 3)
                counts[i, c : min(c + w, s)] += level[i] * 10 ** rng.uniform(1, 3) + 100
        if det["dead"][i]:
            counts[i, rng.integers(s, size=rng.integers(1, 4))] = 0.0
        if det["hot"][i]:
            counts[i, rng.integers(s, size=rng.integers(1, 4))] += level[i] * 10 ** rng.uniform(
                0.5, 2
            )
    counts[~valid] = 0.0
    return counts
