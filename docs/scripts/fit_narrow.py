"""Choose the rise thresholds that tell rivals apart in windows too narrow to fit.

Usage:
    python docs/scripts/fit_narrow.py [N_CALLS] [SPECTRA_PER_CALL]

Two simulated sets, both on the simulator's calibrated instrument or its
default draws:

1. Drawn compositions, windows and instruments
   (``eels_autoid.simulate.spectra``, default parameters, seeds 777000 on):
   of the windows where no candidate edge can be fitted, those where the
   network alone reports two or more elements. Per element reported, its
   edges' rise (``eels_autoid.identification._narrow.edge_rises``) and
   whether it is labelled; per pair of thresholds (no rise, clear rise),
   how many reported elements the rule would drop that are absent and that
   are labelled.
2. B K and Cl L2,3 (12 eV apart) in a 44 eV window, alone and together,
   with the simulator's near-edge structure and with strong near-edge peaks
   (seeds 1..5): the rise of the absent one of the two, and of the weaker
   one when both are present.

Prints both; the thresholds in ``_narrow`` (NO_RISE, CLEAR_RISE) are the
ones that drop the most absent elements and no labelled one.
"""

import sys
import warnings

import numpy as np

from eels_autoid import identify_edges, vocabulary
from eels_autoid.identification._narrow import edge_rises, without_rise
from eels_autoid.simulate import spectra
from eels_autoid.spectrum_model import DEFAULT_MICROSCOPE, SpectrumModel, rolloff_end

NO_RISES = (0.1, 0.15, 0.2, 0.25, 0.3)
CLEAR_RISES = (0.4, 0.5, 0.6)
PEAKS = dict(fs_amplitude=(0.6, 0.6), resonance_peak=(8.0, 10.0), fs_span=(30.0, 35.0))
FIXED = dict(
    beam_energy=200.0,
    collection_angle=20.0,
    convergence_angle=10.0,
    instrument_shift=(0.0, 0.0),
    scale_error=(0.0, 0.0),
    chemical_shift=(0.0, 0.0),
)


def _drawn(n_calls, per_call):
    """(rises, labelled) for each narrow window where the network reports two or more."""
    rows = []
    for call in range(n_calls):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = spectra(per_call, seed=777000 + call)
        labels = np.asarray(s.metadata.Simulation.labels)
        for i in range(per_call):
            one = s.inav[i]
            ax = one.axes_manager.signal_axes[0]
            energy = ax.offset + ax.scale * np.arange(ax.size)
            data = np.asarray(one.data, dtype=float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reading = identify_edges(one, check=False)
                candidates = list(reading.elements)
                if len(candidates) < 2:
                    continue
                model = SpectrumModel(
                    energy, candidates, DEFAULT_MICROSCOPE, data_start=rolloff_end(energy, data)
                )
            if model.modelled:
                continue
            labelled = {vocabulary.ELEMENTS[k] for k in np.flatnonzero(labels[i] > 0)}
            rises = edge_rises(energy, data, candidates, DEFAULT_MICROSCOPE)
            rows.append((rises, labelled))
    return rows


def _boron_chlorine():
    """Rises of the absent one of B and Cl, and of the weaker one when both are there."""
    absent, weaker = [], []
    for seed in range(1, 6):
        for extra in ({}, PEAKS):
            for present in ({"B": 1}, {"Cl": 1}, {"B": 1, "Cl": 1}):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    s = spectra(
                        1,
                        elements=present,
                        seed=seed,
                        axis=(181.0, 0.05, 880),
                        background_level=(1e5, 1e5),
                        **FIXED,
                        **extra,
                    )
                energy = s.axes_manager.signal_axes[0].axis
                rises = edge_rises(energy, s.data[0].astype(float), ["B", "Cl"], DEFAULT_MICROSCOPE)
                if len(present) == 2:
                    weaker.append(min(r.correlation for r in rises.values()))
                else:
                    absent += [r.correlation for el, r in rises.items() if el not in present]
    return np.array(absent), np.array(weaker)


def main():
    n_calls = int(sys.argv[1]) if len(sys.argv) > 1 else 90
    per_call = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rows = _drawn(n_calls, per_call)
    print(f"{len(rows)} narrow windows with two or more elements reported")
    print("no rise  clear rise  absent dropped  labelled dropped")
    for no_rise in NO_RISES:
        for clear_rise in CLEAR_RISES:
            absent = labelled = 0
            for rises, truth in rows:
                for el in without_rise(rises, no_rise, clear_rise):
                    labelled += el in truth
                    absent += el not in truth
            print(f"{no_rise:7.2f}  {clear_rise:10.2f}  {absent:14d}  {labelled:16d}")
    absent, weaker = _boron_chlorine()
    print("B K and Cl L2,3 in 181..225 eV:")
    print(f"  absent one's rise: {np.round(np.sort(absent), 2).tolist()}")
    print(f"  weaker one's rise when both are there: {np.round(np.sort(weaker), 2).tolist()}")


if __name__ == "__main__":
    main()
