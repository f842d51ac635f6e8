"""Noise of real spectra: variance = gain x model + (epsilon x model)**2.

Real files are rarely in electron counts (gain, binning, dark references),
and at 10**5..10**6 counts per channel the misfit of any model of the
spectrum (tabulated cross-sections, near-edge structure) exceeds Poisson
noise. The gain is estimated from channel-to-channel fluctuations, which the
smooth model cannot follow; epsilon, the relative model error, from what the
residual holds beyond that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NoiseModel", "estimate_noise"]

# Median of a chi-squared variable with one degree of freedom.
_CHI2_1_MEDIAN = 0.454936


@dataclass(frozen=True)
class NoiseModel:
    """Channel variance ``gain * model + (epsilon * model) ** 2``.

    Attributes
    ----------
    gain : float
        Detector units per electron (1 for counts).
    epsilon : float
        Relative model error (0 when the model explains the spectrum to within
        the counting noise).
    """

    gain: float = 1.0
    epsilon: float = 0.0

    def variance(self, model):
        """Per-channel variance of a spectrum whose expected value is ``model``."""
        m = np.asarray(model, dtype=float)
        positive = m[m > 0]
        floor = 1e-3 * float(np.median(positive)) if len(positive) else 1.0
        level = np.maximum(m, floor)
        return self.gain * level + (self.epsilon * level) ** 2

    def weights(self, model):
        """1 / standard deviation per channel."""
        return 1.0 / np.sqrt(self.variance(model))


def _gain(counts, model):
    """Gain from second differences, which remove any smooth signal.

    For independent channels of variance ``g m``, ``y[i] - (y[i-1] + y[i+1]) / 2``
    has variance ``1.5 g m``; the median of its square over that is robust
    to the sharp near-edge peaks and spikes that second differences keep.
    """
    y = np.asarray(counts, dtype=float)
    m = np.asarray(model, dtype=float)
    if len(y) < 5:
        return 1.0
    d = y[1:-1] - 0.5 * (y[:-2] + y[2:])
    level = m[1:-1]
    ok = np.isfinite(d) & (level > 0)
    if ok.sum() < 3:
        return 1.0
    g = float(np.median(d[ok] ** 2 / (1.5 * level[ok]))) / _CHI2_1_MEDIAN
    return g if np.isfinite(g) and g > 0 else 1.0


def estimate_noise(counts, model, n_parameters):
    """The :class:`NoiseModel` of ``counts`` around a fitted ``model``.

    Epsilon is the value at which the weighted residual sum of squares
    equals its degrees of freedom (0 if Poisson noise at the estimated gain
    already explains the residual).
    """
    from scipy.optimize import brentq

    y = np.asarray(counts, dtype=float)
    m = np.asarray(model, dtype=float)
    gain = _gain(y, m)
    base = NoiseModel(gain, 0.0)
    r2 = (y - m) ** 2
    ok = np.isfinite(r2)
    dof = max(int(ok.sum()) - int(n_parameters), 1)

    def excess(log_eps):
        return float((r2[ok] / NoiseModel(gain, np.exp(log_eps)).variance(m)[ok]).sum()) - dof

    if excess(np.log(1e-9)) <= 0:
        return base
    if excess(0.0) > 0:  # more than 100 % model error: the model does not hold
        return NoiseModel(gain, 1.0)
    return NoiseModel(gain, float(np.exp(brentq(excess, np.log(1e-9), 0.0, xtol=1e-3))))
