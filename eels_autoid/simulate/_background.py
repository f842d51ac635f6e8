"""The core-loss background: A (E / E_start)^-r."""

from __future__ import annotations

import numpy as np


def power_law(energy, level, exponent, e_start, floor):
    """Background density (counts per eV) on the fine grids.

    Parameters
    ----------
    energy : numpy.ndarray, shape (n, L)
        True energy loss (eV).
    level : numpy.ndarray, shape (n,)
        Density at ``e_start`` (counts per eV).
    exponent : numpy.ndarray, shape (n,)
        r, 2..5.
    e_start : numpy.ndarray, shape (n,)
        Reference energy, at least ``floor`` (eV).
    floor : float
        Below ``floor / 2`` the power law is held constant and it fades to
        zero towards 0 eV: at low losses the plasmons and the zero-loss peak
        take over, and a power law would diverge.
    """
    held = np.maximum(energy, 0.5 * floor)
    y = level[:, None] * np.exp(-exponent[:, None] * np.log(held / e_start[:, None]))
    fade = 1.0 - np.exp(-((np.maximum(energy, 0.0) / (0.25 * floor)) ** 2))
    return y * fade
