"""Fixtures of the quantification tests: a simulated superlattice and synthetic spectra."""

import logging

import numpy as np
import pytest
from quant_synthetic import AMOUNTS, ENERGY, LL_ENERGY, core_loss, eels_signal, low_loss_spectrum


@pytest.fixture(autouse=True)
def _quiet_hyperspy():
    # exspy and HyperSpy log optional-dependency notices at WARNING.
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture(scope="session")
def superlattice_map():
    """LaMnO3 / BaTiO3 / SrTiO3 layers with known atomic fractions.

    Thin (no plural-scattering confusion), no calibration error or chemical
    shift, one microscope setting on the simulator's cross-section grid,
    weak generic fine structure (the simulator's extends 50..100 eV above
    each onset, beyond what any fine-structure window excludes) and no
    fixed-pattern gain noise; Poisson noise, readout noise and spikes stay.
    """
    from eels_autoid.simulate import superlattice
    from eels_autoid.simulate._edges import BANK_ANGLES

    return superlattice(
        (8, 24),
        seed=3,
        beam_energy=200.0,
        collection_angle=BANK_ANGLES[5],
        convergence_angle=1.0,
        thickness=(0.05, 0.05),
        chemical_shift=(0.0, 0.0),
        instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0),
        background_level=(1e5, 1e5),
        fs_amplitude=(0.0, 0.0),
        white_line=(1.0, 1.0),
        resonance_peak=(1.0, 1.0),
        gain_noise=(0.0, 0.0),
    )


@pytest.fixture(scope="session")
def dual_eels():
    """(core loss, low loss): 2x3 pixels of O (300 atoms/nm^2) and Ti (100 atoms/nm^2)."""
    ll = low_loss_spectrum(LL_ENERGY, total=1e10)
    data = core_loss(
        ENERGY, AMOUNTS, ll_energy=LL_ENERGY, ll=ll, nav_shape=(2, 3), background=(4e4, 3.0)
    )
    core = eels_signal(data, ENERGY[0], 1.0)
    low = eels_signal(np.broadcast_to(ll, (2, 3, len(ll))).copy(), LL_ENERGY[0], 1.0)
    return core, low


@pytest.fixture
def oxide():
    """A fresh 2x3 O + Ti spectrum image (edges of 1e10 electrons), microscope set."""
    data = core_loss(ENERGY, AMOUNTS, nav_shape=(2, 3), background=(4e4, 3.0), seed=1)
    return eels_signal(data, ENERGY[0], 1.0)
