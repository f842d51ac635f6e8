"""A spectrum whose first channels rise (a spectrometer roll-off) is fitted past the rise.

Above the plasmons a background only falls with energy loss; channels that
climb at the start of the recorded range are not background, and a fit that
starts there misreads the edges after it.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from eels_autoid import quantify
from eels_autoid.spectrum_model import SpectrumModel, rolloff_end

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "quantification"))
from quant_synthetic import core_loss, eels_signal  # noqa: E402

SETTINGS = {"beam_energy": 200.0, "collection_angle": 20.0, "convergence_angle": 0.0}
AMOUNTS = {"O": (300.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])}


def _rolled(energy, data, depth=0.5, width=3.0):
    """``data`` with a roll-off: ``depth`` down at the first channel, ``width`` eV long."""
    return data * (1.0 - depth * np.exp(-(energy - energy[0]) / width))


@pytest.fixture(scope="module")
def o_ti():
    energy = 380.0 + np.arange(570.0)
    return energy, core_loss(energy, AMOUNTS, background=(1e5, 3.0), seed=1)


def test_rolloff_end_is_where_the_rise_of_the_first_channels_tops(o_ti):
    energy, data = o_ti
    end = rolloff_end(energy, _rolled(energy, data))
    assert energy[0] + 5.0 <= end <= energy[0] + 15.0
    # A falling background, a Poisson-noisy flat one and a window opening
    # 20 eV below the Ti L2,3 edge (it falls before it rises) have none.
    assert rolloff_end(energy, data) == energy[0]
    flat = np.random.default_rng(3).poisson(1e4, len(energy)).astype(float)
    assert rolloff_end(energy, flat) == energy[0]
    near_edge = energy >= 436.0
    assert rolloff_end(energy[near_edge], data[near_edge]) == 436.0


def test_the_model_starts_its_fit_past_the_data_start(o_ti):
    energy, data = o_ti
    plain = SpectrumModel(energy, ["O", "Ti"], SETTINGS)
    assert plain.fit_range[0] == energy[0]
    model = SpectrumModel(energy, ["O", "Ti"], SETTINGS, data_start=390.0)
    assert model.fit_range[0] == 390.0
    assert model.energy[0] >= 390.0
    # Also with a fitted range given.
    ranged = SpectrumModel(energy, ["O", "Ti"], SETTINGS, fit_range=(380, 900), data_start=388.0)
    assert ranged.fit_range == (388.0, 900.0)


def test_quantify_is_not_misled_by_a_rolloff(o_ti):
    """A 50 % roll-off over the first few eV moved Ti by 12 % when it was fitted as background."""
    energy, data = o_ti
    total = sum(n for n, _ in AMOUNTS.values())
    for y in (data, _rolled(energy, data)):
        signal = eels_signal(y, energy[0], 1.0)
        original = signal.data.copy()
        q = quantify(signal, elements=list(AMOUNTS))
        got = {r.element: r.atomic_fraction for r in q.summary()}
        for el, (n, _) in AMOUNTS.items():
            assert got[el] == pytest.approx(n / total, rel=0.02), (el, got)
        assert q.spectrum_fit.energy[0] >= energy[0] + (5.0 if y is not data else 0.0)
        np.testing.assert_array_equal(signal.data, original)


def test_rolloff_end_of_input_it_cannot_judge_is_the_first_energy(o_ti):
    """Not-finite first channels, a dark-subtracted (negative) start, a tiny window."""
    energy, data = o_ti
    rolled = _rolled(energy, data)
    holed = rolled.copy()
    holed[1] = np.nan
    assert rolloff_end(energy, holed) == energy[0]
    assert rolloff_end(energy, rolled - 2 * rolled.max()) == energy[0]
    assert rolloff_end(energy[:2], rolled[:2]) == energy[0]
