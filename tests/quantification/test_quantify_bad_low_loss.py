"""Absolute quantification needs a low loss with a zero-loss peak; counts cannot be negative."""

import numpy as np
import pytest

from eels_autoid import quantify


@pytest.mark.parametrize("fill", [0.0, np.nan, 5.0], ids=["zero", "nan", "flat"])
def test_a_low_loss_without_zero_loss_peak_is_refused(dual_eels, fill):
    core, low = dual_eels
    bad = low.deepcopy()
    bad.data[:] = fill
    before = bad.data.copy()
    with pytest.raises(ValueError, match="no zero-loss peak"):
        quantify(core, elements=["O", "Ti"], low_loss=bad)
    np.testing.assert_array_equal(bad.data, before)


def test_a_pixel_whose_low_loss_is_empty_gets_nan_with_a_warning(dual_eels):
    core, low = dual_eels
    bad = low.deepcopy()
    bad.data[0, 1] = 0.0
    with pytest.warns(UserWarning, match="holds no intensity"):
        q = quantify(core, elements=["O", "Ti"], low_loss=bad)
    assert np.isnan(q.maps["O"].data[0, 1])
    assert np.isfinite(q.maps["O"].data[1, 1]) and q.maps["O"].data[1, 1] > 0


def test_a_dead_low_loss_channel_is_bridged_and_a_long_run_gives_nan(dual_eels):
    core, low = dual_eels
    clean = quantify(core, elements=["O", "Ti"], low_loss=low)
    holed = low.deepcopy()
    holed.data[:, :, 100] = np.nan  # a dead channel in every pixel's low loss
    holed.data[0, 0, 40:50] = np.nan  # ten in one: not measured
    before = holed.data.copy()
    with pytest.warns(UserWarning, match="low loss holds runs of more than 3"):
        q = quantify(core, elements=["O", "Ti"], low_loss=holed)
    np.testing.assert_array_equal(holed.data, before)
    ok = np.ones((2, 3), dtype=bool)
    ok[0, 0] = False
    for el in ("O", "Ti"):
        assert np.isnan(q.areal_densities[el].data[0, 0])
        np.testing.assert_allclose(
            q.areal_densities[el].data[ok], clean.areal_densities[el].data[ok], rtol=1e-3
        )


def test_a_negated_spectrum_is_refused(dual_eels):
    core, _ = dual_eels
    negated = core.deepcopy()
    negated.data *= -1
    with pytest.raises(ValueError, match="mostly negative"):
        quantify(negated, elements=["O", "Ti"])
