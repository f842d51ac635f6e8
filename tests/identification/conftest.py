"""Fixtures of the identification tests: a simulated superlattice's summed spectrum."""

import pytest


@pytest.fixture(scope="session")
def superlattice_sum():
    """The summed simulated LaMnO3 / BaTiO3 / SrTiO3 superlattice, on a calibrated axis."""
    from eels_autoid.simulate import superlattice

    s = superlattice(
        (4, 24),
        seed=3,
        beam_energy=200.0,
        instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0),
        chemical_shift=(0.0, 0.0),
    )
    return s.sum(s.axes_manager.navigation_axes)


@pytest.fixture(scope="session")
def shifted():
    """``shifted(s, shift)``: a copy of ``s`` whose axis reads ``shift`` eV too high."""

    def copy(s, shift):
        out = s.deepcopy()
        out.axes_manager.signal_axes[0].offset += shift
        return out

    return copy
