"""Acquisition windows, dispersions and the recorded energy axis.

A spectrum is simulated on a fine grid in *true* energy loss and binned into
the channels of its acquisition window; the recorded axis differs from the
true one by an instrumental shift and a scale error, as uncalibrated real
spectra do.
"""

from __future__ import annotations

import numpy as np

from ..vocabulary import EDGES
from ._parameters import draw


def draw_windows(rng, n, params):
    """Draw acquisition windows.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    params : SimulationParameters

    Returns
    -------
    dict of numpy.ndarray, shape (n,)
        ``offset`` (first channel centre, eV, recorded axis), ``scale``
        (eV/channel), ``size`` (channels), ``shift`` (eV) and
        ``scale_error`` (relative).
    """
    d = draw(rng, "dispersion", params, n)
    channels = draw(rng, "channels", params, n).astype(float)
    mode = rng.choice(
        3, n, p=np.asarray(params.window_start_mode) / np.sum(params.window_start_mode)
    )
    start = np.select(
        [mode == 0, mode == 1],
        [draw(rng, "start_below_zero", params, n), draw(rng, "start_low", params, n)],
        draw(rng, "start_core", params, n),
    )
    # Windows above 75 eV are placed around a random identification edge
    # (so that narrow windows are not almost all empty); its onset falls
    # anywhere in the part of the window where it is observable.
    core = mode == 2
    if core.any():
        onsets = np.array([e.onset for e in EDGES if e.onset <= params.max_energy - e.margin])
        margins = np.array([e.margin for e in EDGES if e.onset <= params.max_energy - e.margin])
        pick = rng.integers(len(onsets), size=n)
        # Enough channels (up to the channel maximum) to see the anchor edge.
        need = np.ceil((margins[pick] + 10.0) / d)
        channels = np.where(core, np.clip(need, channels, params.channels[-1]), channels)
        width = channels * d
        room = np.maximum(width - margins[pick], 0.0)
        anchored = onsets[pick] - rng.uniform(0, 1, n) * room
        lo, hi = params.start_core[0], params.start_core[-1]
        start = np.where(core, np.clip(anchored, lo, hi), start)
    # Windows that start low reach at least 200 eV: wide-range acquisitions
    # with the zero-loss peak in them use coarse dispersions.
    d = np.where(core, d, np.maximum(d, (200.0 - start) / channels))
    # Cut windows at the highest energy, but keep at least 32 channels.
    size = np.minimum(channels, np.floor((params.max_energy - start) / d))
    size = np.maximum(size, 32).astype(np.int64)
    return {
        "offset": start,
        "scale": d,
        "size": size,
        "shift": draw_shift(rng, params, n),
        "scale_error": draw(rng, "scale_error", params, n),
    }


def draw_shift(rng, params, n):
    """Instrument shifts (eV): calibrated spectrometers near 0, the rest uniform."""
    shift = draw(rng, "instrument_shift", params, n)
    lo, hi = np.min(params.instrument_shift), np.max(params.instrument_shift)
    calibrated = rng.random(n) < params.calibrated_fraction
    near_zero = np.clip(rng.normal(0.0, params.calibration_error, n), lo, hi)
    return np.where(calibrated, near_zero, shift)


def to_true(energy_recorded, shift, scale_error):
    """True energy loss of a recorded energy (eV)."""
    return (energy_recorded - shift) / (1.0 + scale_error)


def to_recorded(energy_true, shift, scale_error):
    """Recorded energy of a true energy loss (eV)."""
    return energy_true * (1.0 + scale_error) + shift


def fine_grids(win, params):
    """Fine simulation grids, one per spectrum, in true energy.

    Every grid has ``params.fine_points`` points ``(m + j) * step`` with an
    integer ``m``, so that the zero-loss peak falls on a grid point, and
    reaches ``params.extension`` eV below the window (plural scattering from
    below it then lands in the window).

    Returns
    -------
    m : numpy.ndarray of int, shape (n,)
    step : numpy.ndarray, shape (n,)
    """
    n_fine = int(params.fine_points)
    lo = to_true(win["offset"] - win["scale"] / 2, win["shift"], win["scale_error"])
    end = win["offset"] + win["scale"] * (win["size"] - 0.5)
    hi = to_true(end, win["shift"], win["scale_error"]) + 2.0
    lo = lo - params.extension
    step = (hi - lo) / (n_fine - 2)
    m = np.floor(lo / step).astype(np.int64)
    return m, step


def channel_positions(win, m, step, n_max):
    """Boundaries of the acquisition channels in fine-grid index units.

    Cell ``j`` of a fine grid spans ``[j - 0.5, j + 0.5)``. Returns an
    array (n, n_max + 1); boundaries of padding channels repeat the last one.
    """
    c = np.arange(n_max + 1)[None, :]
    c = np.minimum(c, win["size"][:, None])
    rec = win["offset"][:, None] + (c - 0.5) * win["scale"][:, None]
    true = to_true(rec, win["shift"][:, None], win["scale_error"][:, None])
    return true / step[:, None] - m[:, None]


def window_channels(offset, scale, size, lo, hi):
    """First and last+1 channel whose centre lies in [lo, hi] (recorded eV)."""
    c0 = np.clip(np.ceil((lo - offset) / scale - 1e-9), 0, size).astype(np.int64)
    c1 = np.clip(np.floor((hi - offset) / scale + 1e-9) + 1, 0, size).astype(np.int64)
    return c0, np.maximum(c1, c0)


def bin_to_channels(fine, step, positions):
    """Counts per acquisition channel from a density (per eV) on the fine grids.

    The density is taken constant in each fine cell; the counts of a channel
    are the integral over its boundaries, so binning conserves counts for
    any ratio of channel to fine-cell width.

    Parameters
    ----------
    fine : numpy.ndarray, shape (n, L)
    step : numpy.ndarray, shape (n,)
    positions : numpy.ndarray, shape (n, N + 1)
        From :func:`channel_positions`.
    """
    n, L = fine.shape
    cum = np.zeros((n, L + 1))
    np.cumsum(fine * step[:, None], axis=1, out=cum[:, 1:])
    u = np.clip(positions + 0.5, 0, L)
    k = np.minimum(u.astype(np.int64), L - 1)
    frac = u - k
    rows = np.arange(n)[:, None]
    c = cum[rows, k] + frac * (cum[rows, k + 1] - cum[rows, k])
    return np.diff(c, axis=1)
