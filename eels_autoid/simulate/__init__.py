"""Realistic labelled EELS core-loss spectra: the forward model behind the identifier.

The forward model of Annys et al. (2023), extended with the instrument effects
of Kong et al. (2022): core-loss edges from GOS tables with chemical shifts
and generic fine structure, a power-law background, zero-loss peak, plasmons
and plural scattering, a detector (PSF, gain pattern, Poisson and readout
noise, dark subtraction, spikes, dead and hot channels), random acquisition
windows and dispersions, and compositions of 1..6 elements. Labels mean
*present and detectable* (see :mod:`eels_autoid.simulate._labels`).

The simulation core (``simulate_batch``, ``training_batches``,
``write_dataset``) needs only numpy, scipy and h5py; :func:`spectra` and
:func:`spectrum_image` wrap it in exspy signals.

Public API
----------
spectra, spectrum_image, superlattice, labels
    HyperSpy signals with their truth.
training_batches, TrainingBatches, batch_model_input
    ``(x, y)`` batches on the fly, for Keras or anything else.
focused_batches, FocusedBatches
    Batches for a specialist network: a family of elements seen often.
write_dataset, read_dataset
    Fixed train/validation/test sets in HDF5.
simulate_batch
    The numpy-only simulator (dicts of arrays).
SimulationParameters, DEFAULT_PARAMETERS
    Every drawn parameter and its default range.
SIMULATOR_VERSION
    The version of the simulated data (model cards record it).
CrossSectionBank, get_bank, set_bank
    The cross-sections of the GOS tables (:mod:`eels_autoid.gos`) on the
    simulator's grid of microscope settings.
"""

from ._core import get_bank, set_bank, simulate_batch
from ._dataset import read_dataset, write_dataset
from ._edges import CrossSectionBank
from ._focus import FocusedBatches, focused_batches
from ._labels import DETECTION_MIN_RATIO, DETECTION_SIGMA, is_detectable, labels
from ._parameters import (
    DEFAULT_PARAMETERS,
    LOG_UNIFORM,
    SIMULATOR_VERSION,
    SimulationParameters,
)
from ._signals import spectra, spectrum_image, superlattice
from ._training import TrainingBatches, batch_model_input, training_batches

__all__ = [
    "spectra",
    "spectrum_image",
    "superlattice",
    "labels",
    "training_batches",
    "TrainingBatches",
    "batch_model_input",
    "focused_batches",
    "FocusedBatches",
    "write_dataset",
    "read_dataset",
    "simulate_batch",
    "get_bank",
    "set_bank",
    "SimulationParameters",
    "DEFAULT_PARAMETERS",
    "SIMULATOR_VERSION",
    "LOG_UNIFORM",
    "CrossSectionBank",
    "DETECTION_MIN_RATIO",
    "DETECTION_SIGMA",
    "is_detectable",
]
