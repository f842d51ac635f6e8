"""Aligning the energy axis on a low loss: only on a real zero-loss peak."""

import numpy as np
import pytest
from autoid_testing import make_spectrum

from eels_autoid import identify_edges


def _low_loss(data, offset=-20.0, scale=0.3):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(np.asarray(data, dtype=float))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = offset, scale, "eV"
    return s


def _core_loss(nav_shape=()):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(make_spectrum(nav_shape=nav_shape))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = 300.0, 1.0, "eV"
    return s


def _measured(zlp_at=0.0, zlp_height=1e5, plasmon_height=2e4, offset=-20.0, size=400, nav=()):
    """A low loss: a 0.8 eV wide zero-loss peak and a 10 eV wide plasmon 25 eV above it."""
    e = offset + 0.3 * np.arange(size)
    zlp = zlp_height * np.exp(-0.5 * ((e - zlp_at) / 0.34) ** 2)
    plasmon = plasmon_height * np.exp(-0.5 * ((e - zlp_at - 25.0) / 4.2) ** 2)
    rng = np.random.default_rng(1)
    return rng.poisson(np.broadcast_to(zlp + plasmon + 5.0, (*nav, size))).astype(float)


def test_a_zero_loss_peak_aligns_the_axis(tiny_model):
    r = identify_edges(_core_loss(), model=tiny_model, low_loss=_low_loss(_measured(zlp_at=3.0)))
    assert r.energy_shift == pytest.approx(-3.0, abs=0.1)


@pytest.mark.parametrize(
    ("data", "offset", "why"),
    [
        (np.full(400, 5.0), -20.0, "no peak stands out"),
        (np.zeros(400), -20.0, "no positive finite value"),
        (np.full(400, np.nan), -20.0, "no positive finite value"),
        # A thick area: the plasmon stands higher than the zero-loss peak.
        (_measured(zlp_height=2e4, plasmon_height=5e4), -20.0, "wide|strong feature"),
        # A window far from 0 eV: a decaying tail, no peak.
        (1e4 * np.linspace(100, 604, 400) ** -2.0, 100.0, "cut by the window's edge|from 0 eV"),
    ],
    ids=["flat", "zero", "nan", "plasmon-dominated", "100-604eV"],
)
def test_a_low_loss_without_zero_loss_peak_is_refused(tiny_model, data, offset, why):
    ll = _low_loss(data, offset=offset, scale=(604 - 100) / 399 if offset == 100.0 else 0.3)
    before = ll.data.copy()
    with pytest.raises(ValueError, match=f"no zero-loss peak.*({why})"):
        identify_edges(_core_loss(), model=tiny_model, low_loss=ll)
    np.testing.assert_array_equal(ll.data, before)


def test_a_zero_loss_peak_far_from_zero_is_refused(tiny_model):
    ll = _low_loss(_measured(zlp_at=60.0, offset=30.0), offset=30.0)
    with pytest.raises(ValueError, match="more than 25 eV from 0 eV"):
        identify_edges(_core_loss(), model=tiny_model, low_loss=ll)


def test_pixels_without_zero_loss_peak_are_left_out_with_a_warning(tiny_model):
    data = _measured(zlp_at=1.5, nav=(4,)).copy()
    data[0] = 0.0
    with pytest.warns(UserWarning, match="1 of 4 low-loss spectra hold no zero-loss peak"):
        r = identify_edges(_core_loss((4,)), model=tiny_model, low_loss=_low_loss(data))
    assert r.energy_shift == pytest.approx(-1.5, abs=0.1)
    data[:3] = 0.0
    with pytest.raises(ValueError, match="no zero-loss peak in 3 of 4 spectra"):
        identify_edges(_core_loss((4,)), model=tiny_model, low_loss=_low_loss(data))


def test_the_real_core_loss_keeps_its_elements_and_a_flat_low_loss_is_refused(
    real_spectra_dir, bundled_default
):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa")
    flat = _low_loss(np.full(400, 5.0))
    with pytest.raises(ValueError, match="no zero-loss peak"):
        identify_edges(s, model=bundled_default, low_loss=flat)
    good = _low_loss(_measured(zlp_at=0.0))
    r = identify_edges(s, model=bundled_default, low_loss=good)
    assert abs(r.energy_shift) < 0.1
    assert {"O", "Ti"} <= set(r.elements)
