import numpy as np
import pytest

from eels_autoid.simulate import CrossSectionBank, get_bank


@pytest.fixture(scope="session")
def bank() -> CrossSectionBank:
    """The process-wide bank (project GOS tables when present), shared by the tests."""
    return get_bank()


@pytest.fixture
def quiet():
    """Parameters that switch off every random instrument effect."""
    return {
        "gain_noise": (0.0, 0.0),
        "readout_noise": (0.0, 0.0),
        "dark_error": (0.0, 0.0),
        "spike_probability": 0.0,
        "dead_channel_probability": 0.0,
        "hot_channel_probability": 0.0,
    }


def window(start, scale, size):
    """Parameters pinning the recorded window (no calibration error)."""
    return {
        "start_core": (start, start),
        "window_start_mode": (0.0, 0.0, 1.0),
        "dispersion": (scale, scale),
        "channels": (size, size),
        "instrument_shift": (0.0, 0.0),
        "scale_error": (0.0, 0.0),
    }


def recorded_axis(sim, i):
    return sim["offset"][i] + sim["scale"][i] * np.arange(sim["size"][i])
