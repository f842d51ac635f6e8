"""Sums over a spectrum image and its regions: integer data, unmeasured channels, eager and lazy."""

import numpy as np
import pytest

from eels_autoid._bad_values import filled_spectrum
from eels_autoid.identification._regions import region_sums


def _masks(n_pixels, *sizes):
    out = np.zeros((n_pixels, len(sizes)), dtype=bool)
    for k, size in enumerate(sizes):
        out[:size, k] = True
    return out


@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.int32])
def test_integer_maps_sum_without_wrapping_around(dtype):
    # 400 pixels of 1,000 counts a channel: a region of 300 holds 300,000,
    # beyond any 16-bit integer.
    import dask.array as da

    flat = np.full((400, 64), 1000, dtype=dtype)
    for data in (flat, da.from_array(flat, chunks=(128, 64))):
        summed, sums = region_sums(data, _masks(400, 300, 0))
        np.testing.assert_allclose(summed, 400_000.0)
        np.testing.assert_allclose(sums[0], 300_000.0)
        np.testing.assert_array_equal(sums[1], 0.0)  # an empty region stays zeros


def test_unmeasured_channels_are_scaled_from_the_pixels_that_measured_them():
    import dask.array as da

    rng = np.random.default_rng(1)
    flat = rng.poisson(100.0, (200, 64)).astype(np.float32)
    full = flat.astype(np.float64).sum(axis=0)
    holed = flat.copy()
    holed[0, 10:30] = np.nan  # a long run: not bridged
    holed[:, 50:60] = np.inf  # measured by no pixel
    holed[1, 40] = np.nan  # a single channel: bridged from its neighbours
    before = holed.copy()
    masks = _masks(200, 120)
    eager = region_sums(holed, masks)
    lazy = region_sums(da.from_array(holed, chunks=(64, 64)), masks)
    for summed, sums in (eager, lazy):
        # The other 199 pixels stand in for the one that did not measure.
        np.testing.assert_allclose(
            summed[10:30], flat[1:, 10:30].astype(np.float64).sum(axis=0) * 200 / 199
        )
        np.testing.assert_allclose(
            sums[0][10:30], flat[1:120, 10:30].astype(np.float64).sum(axis=0) * 120 / 119
        )
        assert np.isnan(summed[50:60]).all() and np.isnan(sums[0][50:60]).all()
        np.testing.assert_allclose(summed[:10], full[:10])
        np.testing.assert_allclose(
            summed[40], full[40] - flat[1, 40] + 0.5 * (flat[1, 39] + flat[1, 41])
        )
    np.testing.assert_allclose(eager[0], lazy[0], equal_nan=True)
    np.testing.assert_allclose(eager[1][0], lazy[1][0], equal_nan=True)
    np.testing.assert_array_equal(holed, before)  # the data are not modified


def test_a_filled_spectrum_interpolates_unmeasured_channels_and_holds_the_ends():
    y = np.array([np.nan, 2.0, 4.0, np.inf, np.nan, 10.0, np.nan])
    before = y.copy()
    np.testing.assert_allclose(filled_spectrum(y), [2.0, 2.0, 4.0, 6.0, 8.0, 10.0, 10.0])
    np.testing.assert_array_equal(y, before)
    np.testing.assert_array_equal(filled_spectrum(np.full(4, np.nan)), np.zeros(4))


def test_an_inf_channel_leaves_the_check_running(real_spectra_dir, bundled_default):
    import hyperspy.api as hs

    from eels_autoid import identify_edges

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa")
    clear = identify_edges(s, model=bundled_default)
    spiked = s.deepcopy()
    spiked.data = spiked.data.astype(float)
    spiked.data[len(spiked.data) // 3] = np.inf  # a hot channel read as inf
    with pytest.warns(UserWarning, match="interpolated from their neighbours"):
        r = identify_edges(spiked, model=bundled_default)
    assert not r.check.fallback
    assert set(r.elements) == set(clear.elements) >= {"O", "Ti"}
    for el in ("O", "Ti"):
        assert np.isfinite(r.check.checks[el].evidence)
        np.testing.assert_allclose(
            r.check.checks[el].evidence, clear.check.checks[el].evidence, rtol=0.05
        )
