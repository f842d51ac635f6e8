"""Fixtures of the denoising tests: the simulated two-phase map and one trained
autoencoder shared by the tests (see denoise_synthetic.py)."""

import pytest
from denoise_synthetic import make_two_phase_map


@pytest.fixture(scope="session")
def two_phase():
    return make_two_phase_map()


@pytest.fixture(scope="session")
def denoised_two_phase(two_phase):
    """The autoencoder trained once on the two-phase map, with the PCA comparison."""
    from eels_autoid.denoise import autoencoder

    return autoencoder(two_phase.raw, seed=0, epochs=40, compare_pca=True, show_progressbar=False)
