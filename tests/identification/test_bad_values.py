"""Dead channels, inverted spectra and coarse axes: defined answers, the same eager and lazy."""

import warnings

import numpy as np
import pytest
from autoid_testing import make_spectrum

from eels_autoid import identify_edges


def _signal(data, offset=300.0, scale=1.0):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = offset, scale, "eV"
    return s


def test_short_runs_of_dead_channels_are_interpolated_long_ones_kept():
    from eels_autoid.preprocessing import bridge_gaps

    x = np.arange(20, dtype=float)[None, :] * 2.0
    x[0, 3] = np.nan  # one channel
    x[0, 7:10] = np.inf  # three
    x[0, 13:17] = np.nan  # four: too long
    x[0, 0] = np.nan  # at the end: nothing to interpolate from
    out = bridge_gaps(x)
    np.testing.assert_allclose(out[0, [3, 7, 8, 9]], [6.0, 14.0, 16.0, 18.0])
    assert np.isnan(out[0, 13:17]).all() and np.isnan(out[0, 0])
    assert np.isnan(x[0, 3])  # the input is not modified
    clean = np.ones((2, 5))
    assert bridge_gaps(clean) is clean


def test_scattered_nan_channels_do_not_erase_edges(real_spectra_dir, bundled_default):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa")
    clear = identify_edges(s, model=bundled_default)
    holed = s.deepcopy()
    holed.data = holed.data.astype(float)
    holed.data[::8] = np.nan
    before = holed.data.copy()
    with pytest.warns(UserWarning, match=r"interpolated from their neighbours"):
        r = identify_edges(holed, model=bundled_default)
    assert {"O", "Ti"} <= set(r.elements)
    assert set(r.elements) == set(clear.elements)
    np.testing.assert_array_equal(holed.data, before)


def test_an_inverted_spectrum_gives_no_element(tiny_model, real_spectra_dir, bundled_default):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa")
    inverted = s.deepcopy()
    inverted.data = -inverted.data
    with pytest.warns(UserWarning, match="mostly negative"):
        r = identify_edges(inverted, model=bundled_default)
    assert r.elements == []
    assert (r.probabilities.data == 0).all()


def test_dark_over_subtraction_is_not_inversion(tiny_model):
    data = make_spectrum(nav_shape=(2,)) - 5000.0  # falls with energy: not inverted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The input checks alone: the spectrum-model check (a background that
        # looks subtracted) has its own warning.
        r = identify_edges(_signal(data), model=tiny_model, check=False)
    assert (r.probabilities.data > 0).any()


def _bad_image():
    data = make_spectrum(nav_shape=(3, 4)).astype(float)
    data[0, 0] = 0.0  # empty spectrum
    data[1, 1, 100:110] = np.nan  # a long dead run: not measured
    data[2, 2] = -data[2, 2]  # inverted
    return data


@pytest.mark.parametrize("lazy_output", [None, False])
def test_lazy_input_gets_the_warnings_of_eager_input(tiny_model, lazy_output):
    data = _bad_image()
    with pytest.warns(UserWarning) as eager_record:
        eager = identify_edges(_signal(data), model=tiny_model, check=False)
    lazy_signal = _signal(data).as_lazy()
    with pytest.warns(UserWarning) as lazy_record:
        lazy = identify_edges(lazy_signal, model=tiny_model, lazy_output=lazy_output, check=False)
        assert lazy.elements == eager.elements  # a lazy result checks when it first computes
    messages = sorted(str(w.message) for w in eager_record)
    assert sorted(str(w.message) for w in lazy_record) == messages
    assert len(messages) == 3
    assert any("1 of 12 spectra are all zero" in m for m in messages)
    assert any("1 of 12 spectra are mostly negative" in m for m in messages)
    assert any("10 NaN or inf" in m for m in messages)
    np.testing.assert_allclose(np.asarray(lazy.probabilities.data), eager.probabilities.data)


def test_dispersion_coarser_than_the_model_is_made_for_warns(tiny_model):
    data = make_spectrum(offset=200.0, scale=12.0, size=200)
    with pytest.warns(UserWarning, match="12 eV per channel, coarser than the 10 eV"):
        r = identify_edges(_signal(data, offset=200.0, scale=12.0), model=tiny_model, check=False)
    assert r.probabilities.data.shape == (80,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        identify_edges(_signal(data, offset=200.0, scale=10.0), model=tiny_model, check=False)
