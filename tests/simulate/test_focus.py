"""Training data for a specialist: the family seen often, windows on its regions."""

import numpy as np
import pytest

from eels_autoid import ELEMENTS
from eels_autoid.energy_grid import MIN_MEASURED_CHANNELS
from eels_autoid.simulate import FocusedBatches, focused_batches

FAMILY = ("Ba",) + ELEMENTS[ELEMENTS.index("La") : ELEMENTS.index("Lu") + 1]
REGIONS = ((75.0, 250.0), (760.0, 1700.0))


def test_batches_hold_the_family_labels_and_windows_on_the_regions():
    src = focused_batches(48, focus=FAMILY, regions=REGIONS, seed=5, keras=False)
    x, y = src[0]
    assert x.shape == (48, 3072, 2) and y.shape == (48, len(FAMILY))
    g = np.arange(3072.0)
    inside = ((g >= 75) & (g <= 250)) | ((g >= 760) & (g <= 1700))
    assert np.all((x[:, inside, 1] > 0).sum(axis=1) >= MIN_MEASURED_CHANNELS)
    # A pure function of (seed, index).
    x2, y2 = focused_batches(48, focus=FAMILY, regions=REGIONS, seed=5, keras=False)[0]
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    # Present and detectable: labels only where the composition had the element.
    assert set(np.unique(y)) <= {0.0, 1.0}


def test_the_family_is_drawn_as_often_as_asked():
    rng = np.random.default_rng(0)
    for fraction in (0.0, 0.6):
        src = FocusedBatches(8, focus=FAMILY, regions=REGIONS, focus_fraction=fraction)
        comps = src.compositions(rng, 3000)
        has = np.mean([any(el in FAMILY for el in c) for c in comps])
        assert abs(has - fraction) < 0.03
        assert all(len(c) == len(set(c)) and c for c in comps)
    # No family in the compositions: no family label.
    src = focused_batches(
        32, focus=FAMILY, regions=REGIONS, focus_fraction=0.0, seed=1, keras=False
    )
    assert src[0][1].sum() == 0


def test_bad_focus_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        FocusedBatches(8, focus=("Xx",), regions=REGIONS)
    with pytest.raises(ValueError, match="focus_fraction"):
        FocusedBatches(8, focus=FAMILY, regions=REGIONS, focus_fraction=1.5)
