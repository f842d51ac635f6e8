"""The network reads a spectrum whose first channels rise with and without them.

A spectrometer roll-off (the first channels climbing, where a background
can only fall) and an edge right at the window's start look alike in one
spectrum: the network reads both ways and keeps each element's higher
probability.
"""

import numpy as np
import pytest
from hyperspy.api import load

from eels_autoid import identify_edges
from eels_autoid.spectrum_model import rolloff_end


@pytest.fixture(scope="module")
def boron(real_spectra_dir):
    return load(real_spectra_dir / "Atlas_B_0-0440eV.hspy")


def test_boron_behind_a_rolloff_is_found(boron, bundled_default):
    energy = boron.axes_manager.signal_axes[0].axis
    # The recorded range opens with a fivefold climb over 13 eV, 70 eV below B K.
    assert rolloff_end(energy, boron.data) == pytest.approx(116.0)
    original = boron.data.copy()
    result = identify_edges(boron, model=bundled_default)
    assert "B" in result.elements
    np.testing.assert_array_equal(boron.data, original)


def test_the_reading_is_at_least_that_of_the_spectrum_past_its_rolloff(boron, bundled_default):
    energy = boron.axes_manager.signal_axes[0].axis
    end = rolloff_end(energy, boron.data)

    def probabilities(s):
        rows = identify_edges(s, model=bundled_default, check=False).summary()
        return {r.element: r.max_probability for r in rows}

    whole, cropped = probabilities(boron), probabilities(boron.isig[end:])
    assert all(whole[el] >= cropped[el] - 1e-6 for el in cropped)
    # Read with its roll-off alone, B stayed under its threshold: now B is
    # read as in the spectrum past the roll-off.
    assert whole["B"] == pytest.approx(cropped["B"], abs=1e-6)
