"""identify_edges(calibrate=True): a spectrum places its own energy axis from its edges' rises."""

import numpy as np
import pytest

from eels_autoid import identify_edges


@pytest.mark.parametrize("shift", [-20.0, -15.0, -10.0, 10.0, 15.0, 20.0])
def test_a_shifted_axis_is_placed_back_and_its_elements_found(superlattice_sum, shift, shifted):
    plain = identify_edges(superlattice_sum)
    result = identify_edges(shifted(superlattice_sum, shift), calibrate=True)
    assert result.energy_shift == pytest.approx(-shift, abs=1.5)
    assert result.elements == plain.elements


def test_a_calibrated_axis_is_left_alone(superlattice_sum):
    result = identify_edges(superlattice_sum, calibrate=True)
    assert abs(result.energy_shift) <= 1.0
    assert identify_edges(superlattice_sum).energy_shift == 0.0


def test_the_signal_is_not_modified(superlattice_sum, shifted):
    s = shifted(superlattice_sum, 10.0)
    before = (s.axes_manager.signal_axes[0].offset, s.data.copy())
    identify_edges(s, calibrate=True)
    assert s.axes_manager.signal_axes[0].offset == before[0]
    np.testing.assert_array_equal(s.data, before[1])


def test_a_spectrum_without_edges_is_not_moved():
    import exspy

    energy = 380.0 + 0.5 * np.arange(1000)
    data = np.random.default_rng(1).poisson(2e5 * (energy / energy[0]) ** -3.0).astype(float)
    s = exspy.signals.EELSSpectrum(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = energy[0], 0.5, "eV"
    assert identify_edges(s, calibrate=True).energy_shift == 0.0


def test_quantify_places_the_edges_where_the_identification_calibrated_them(
    superlattice_sum, shifted
):
    from eels_autoid import quantify

    shifted = shifted(superlattice_sum, 12.0)
    result = identify_edges(shifted, calibrate=True)
    q = quantify(shifted, result)
    assert q.energy_offset == result.energy_shift
    assert q.energy_offset == pytest.approx(-12.0, abs=1.5)
