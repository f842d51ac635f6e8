"""A physical model of a measured core-loss spectrum.

The background, each element's edges from the bundled GOS tables (all its
subshells tied to one amount), zero-integral near-edge structure per edge,
plural scattering through the low loss, the energy calibration and a noise
model for real files. Quantification fits it; its per-element evidence and
calibration are what checking an identification against the spectrum needs.

Public API
----------
SpectrumModel
    The model on one energy axis for a set of elements; ``fit(data)``.
SpectrumFit
    What a fit gives: amounts, fractions and uncertainties, per-element
    evidence, calibration, noise model, residual.
Calibration
    Energy-axis corrections: offset, dispersion error, chemical shifts.
NoiseModel, estimate_noise
    Channel variance gain x model + (epsilon x model)**2, and its estimate.
EdgeShift
    The measured shift of one edge family, from which the calibration comes.
rolloff_end
    Where the rise of a spectrum's first channels (a roll-off) ends.
segment_breaks
    Where the power-law background starts anew between edge families far apart.
plan_edges
    Which subshell edges are modelled, and why others are not (as
    :class:`eels_autoid.quantification.EdgeDecision`).
MIN_FIT_ENERGY, MAX_OFFSET, PLAUSIBLE_SETTINGS, BACKGROUND_EXPONENTS, DEFAULT_MICROSCOPE
    The model's limits and defaults.
"""

from ._background import BACKGROUND_EXPONENTS, power_law_columns, rolloff_end, segment_breaks
from ._calibration import Calibration
from ._edges import plan_edges
from ._fine_structure import near_edge_columns, near_edge_extent
from ._model import (
    DEFAULT_MICROSCOPE,
    MAX_OFFSET,
    MIN_FIT_ENERGY,
    PLAUSIBLE_SETTINGS,
    SpectrumModel,
)
from ._noise import NoiseModel, estimate_noise
from ._onsets import EdgeShift
from ._result import SpectrumFit

__all__ = [
    "SpectrumModel",
    "SpectrumFit",
    "Calibration",
    "NoiseModel",
    "EdgeShift",
    "estimate_noise",
    "plan_edges",
    "power_law_columns",
    "rolloff_end",
    "segment_breaks",
    "near_edge_columns",
    "near_edge_extent",
    "BACKGROUND_EXPONENTS",
    "MAX_OFFSET",
    "DEFAULT_MICROSCOPE",
    "MIN_FIT_ENERGY",
    "PLAUSIBLE_SETTINGS",
]
