"""Resampling, masking and normalisation of the network input."""

import numpy as np
import pytest

from eels_autoid.energy_grid import DEFAULT_GRID, EnergyGrid
from eels_autoid.preprocessing import measured_mask, model_input, resampling_matrix


def test_fine_dispersion_is_binned_conserving_counts_per_ev():
    scale = 0.1
    x = np.full(5000, 7.0)  # 7 counts per 0.1 eV channel = 70 counts/eV
    w, inside = resampling_matrix(400.0, scale, x.size)
    density = x @ w
    assert np.allclose(density[inside], 70.0)
    # Total counts are preserved, but for the partly covered channel at each end.
    assert density.sum() * DEFAULT_GRID.step == pytest.approx(x.sum())
    assert x.sum() - density[inside].sum() <= 2 * 70.0


def test_coarse_dispersion_interpolates_linearly():
    scale = 8.0
    e = 700 + scale * np.arange(160)
    x = (3 + 0.01 * e) * scale  # counts per channel of a linear density
    w, inside = resampling_matrix(700.0, scale, e.size)
    g = DEFAULT_GRID.energies[inside]
    np.testing.assert_allclose((x @ w)[inside], 3 + 0.01 * g, rtol=1e-10)
    assert g[0] == pytest.approx(700) and g[-1] == pytest.approx(e[-1])


def test_mask_marks_measured_channels_above_valid_from():
    mask = measured_mask(-20.0, 0.5, 1000)  # -20 .. 479.5 eV
    g = DEFAULT_GRID.energies
    assert not mask[g < 75].any()
    assert mask[(g >= 75) & (g <= 479)].all()
    assert not mask[g > 479.5].any()


def test_normalisation_is_invariant_to_the_count_level():
    rng = np.random.default_rng(1)
    e = 300 + 0.5 * np.arange(2000)
    clean = 1e4 * (e / 300) ** -3 * (1 + 0.2 * (e >= 532))
    x = rng.poisson(clean).astype(float)
    a = model_input(x, 300, 0.5)
    b = model_input(37.5 * x, 300, 0.5)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_an_edge_is_a_step_of_log_one_plus_ratio():
    e = 300 + 0.5 * np.arange(2000)
    clean = 1e6 * (e / 300) ** -3 * (1 + 0.25 * (e >= 532))
    y = model_input(clean, 300, 0.5)[0, :, 0]
    step = y[540] - y[524]
    background_slope = -3 * np.log(540 / 524)
    assert step - background_slope == pytest.approx(np.log(1.25), rel=0.02)


def test_negative_nan_and_zero_values_give_finite_input():
    e = 300 + np.arange(1000.0)
    x = np.stack([50 * (e / 300) ** -3 - 2.0, np.zeros_like(e), 100 * (e / 300) ** -2])
    x[2, 100:110] = np.nan
    y = model_input(x, 300, 1.0)
    assert np.isfinite(y).all()
    assert (y[1, :, 0] == 0).all()  # all-zero spectrum: zero input
    # NaN channels are not measured in that spectrum only.
    assert not y[2, 400:410, 1].any() and y[0, 400:410, 1].all()
    assert (y[..., 0][y[..., 1] == 0] == 0).all()


def test_other_grids_from_a_model_card():
    grid = EnergyGrid(start=0, step=2, size=1000, valid_from=100)
    y = model_input(np.ones(500), 50, 1.0, grid)
    assert y.shape == (1, 1000, 2)
    g = grid.energies
    assert not y[0, g < 100, 1].any() and y[0, (g >= 100) & (g <= 547), 1].all()


def test_invalid_axes_raise():
    with pytest.raises(ValueError, match="Invalid energy axis"):
        resampling_matrix(0.0, 0.0, 100)
    with pytest.raises(ValueError, match="Invalid energy axis"):
        resampling_matrix(np.nan, 1.0, 100)
