"""One minimum of measured channels for identification, specialists and their training data."""

import numpy as np
import pytest
from autoid_testing import make_spectrum

from eels_autoid import ELEMENTS, identify_edges
from eels_autoid.energy_grid import DEFAULT_GRID, MIN_MEASURED_CHANNELS
from eels_autoid.models import Specialist
from eels_autoid.simulate import focused_batches

FAMILY = ("Ba",) + ELEMENTS[ELEMENTS.index("La") : ELEMENTS.index("Lu") + 1]


def _signal(offset, size=200):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(make_spectrum(offset=offset, size=size))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = offset, 1.0, "eV"
    s.set_signal_type("EELS_autoid")
    return s


def test_identify_edges_needs_the_minimum_overlap_with_the_model_range(tiny_model):
    # The windows run past the top of the model's range: only the overlap counts.
    top = tiny_model.grid.valid_range[1]
    enough = top - MIN_MEASURED_CHANNELS * tiny_model.grid.step
    with pytest.warns(UserWarning, match="beyond the model's range"):
        r = identify_edges(_signal(enough), model=tiny_model)
    assert r.energy_range == (enough, top)
    with pytest.raises(ValueError, match=f"by less than {MIN_MEASURED_CHANNELS} eV"):
        identify_edges(_signal(enough + 1.0), model=tiny_model)


def test_a_specialist_takes_over_from_the_minimum_measured_channels():
    # A card entry without min_channels takes the package minimum.
    entry = dict(name="lanthanides", members=[], elements=list(FAMILY), regions=[[75.0, 250.0]])
    sp = Specialist.from_entry(entry, [], DEFAULT_GRID)
    assert sp.min_channels == MIN_MEASURED_CHANNELS
    x = np.zeros((2, DEFAULT_GRID.size, 2), dtype=np.float32)
    x[0, 200 : 200 + MIN_MEASURED_CHANNELS, 1] = 1.0
    x[1, 200 : 200 + MIN_MEASURED_CHANNELS - 1, 1] = 1.0
    p = np.ones((2, len(ELEMENTS)), dtype=np.float32)  # the gate is open
    assert sp.takes_over(x, p).tolist() == [True, False]


def test_specialist_training_spectra_measure_the_minimum_in_their_regions():
    # A region twice the minimum wide (at C K, so that it has a confuser):
    # many windows that reach it overlap it by fewer channels and are redrawn.
    lo, hi = 280.0, 280.0 + 2 * MIN_MEASURED_CHANNELS
    x, _ = focused_batches(32, focus=FAMILY, regions=((lo, hi),), seed=2, keras=False)[0]
    g = DEFAULT_GRID.energies
    measured = (x[:, (g >= lo) & (g <= hi), 1] > 0).sum(axis=1)
    assert measured.min() >= MIN_MEASURED_CHANNELS
