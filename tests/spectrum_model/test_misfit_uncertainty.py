"""The misfit term of the uncertainties: a correlated residual counts, noise does not."""

import numpy as np
import pytest

from eels_autoid.spectrum_model._solve import covariance, misfit_covariance


def _problem(n=2000, seed=0):
    """A constant and a slope fitted to n channels of unit weight."""
    x = np.linspace(-1.0, 1.0, n)
    design = np.column_stack([np.ones(n), x])
    return design, np.ones(n), np.ones(2, dtype=bool), np.random.default_rng(seed)


def test_white_noise_gives_the_ordinary_covariance():
    design, weights, active, rng = _problem()
    ratios = []
    for _ in range(20):
        residual = rng.standard_normal(len(weights))
        cov = misfit_covariance(design, weights, residual, active, [0, 1], lag=30)
        ratios.append(np.diag(cov) / np.diag(covariance(design, weights, active)))
    # Unit-variance noise: the sandwich estimates the same variances (sampling error only).
    assert np.mean(ratios, axis=0) == pytest.approx([1.0, 1.0], abs=0.15)


def test_a_residual_correlated_over_many_channels_counts_many_times():
    design, weights, active, rng = _problem()
    from scipy.ndimage import gaussian_filter1d

    inflation = []
    for _ in range(20):
        # Unit-variance noise smoothed over ~10 channels: ~25 times fewer independent values.
        smooth = gaussian_filter1d(rng.standard_normal(len(weights)), 10.0)
        smooth /= smooth.std()
        cov = misfit_covariance(design, weights, smooth, active, [0], lag=60)
        inflation.append(cov[0, 0] / covariance(design, weights, active)[0, 0])
    # The variance of a mean of a Gaussian-smoothed (sigma 10) series: 2 sqrt(pi) 10 = 35
    # times that of white noise; Bartlett weights up to lag 60 recover most of it.
    assert 20.0 < np.mean(inflation) < 45.0


def test_only_the_rows_asked_for():
    design, weights, active, rng = _problem()
    residual = rng.standard_normal(len(weights))
    both = misfit_covariance(design, weights, residual, active, [0, 1], lag=5)
    one = misfit_covariance(design, weights, residual, active, [1], lag=5)
    assert one[0, 0] == pytest.approx(both[1, 1])
