"""The model's energy grid: the one home of the axis networks see.

A trained model fixes the grid it reads (by default 0..3071 eV at 1 eV, after
Annys et al. 2023) and the energy from which it identifies edges (75 eV: below
lie the zero-loss peak and plasmons). Both belong to the model card; the code
only supplies this default for models that do not say otherwise. The edge
vocabulary (:data:`eels_autoid.vocabulary.EDGE_RANGE`) spans the default
grid's :attr:`EnergyGrid.valid_range`, and :data:`MIN_MEASURED_CHANNELS` is
the fewest measured channels of a grid that anything is identified from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["EnergyGrid", "DEFAULT_GRID", "MIN_MEASURED_CHANNELS"]


@dataclass(frozen=True)
class EnergyGrid:
    """A uniform energy grid in eV, and the part of it a model identifies edges in.

    Parameters
    ----------
    start : float
        Centre of the first channel (eV).
    step : float
        Channel width (eV).
    size : int
        Number of channels.
    valid_from : float
        Energy (eV) below which the model input is masked as "not measured".
    """

    start: float = 0.0
    step: float = 1.0
    size: int = 3072
    valid_from: float = 75.0

    def __post_init__(self):
        for name in ("start", "step", "valid_from"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ValueError(
                    f"Invalid energy grid: {name} must be a number, got {type(value).__name__} "
                    f"{value!r}."
                )
            if not np.isfinite(value):
                raise ValueError(f"Invalid energy grid: {name} must be finite, got {value}.")
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)):
            raise ValueError(
                f"Invalid energy grid: size must be an integer, got {type(self.size).__name__} "
                f"{self.size!r}."
            )
        if not (self.step > 0 and self.size > 1):
            raise ValueError(f"Invalid energy grid: step={self.step}, size={self.size}.")

    @property
    def stop(self) -> float:
        """Centre of the last channel (eV)."""
        return self.start + self.step * (self.size - 1)

    @property
    def energies(self) -> np.ndarray:
        """Channel centres (eV)."""
        return self.start + self.step * np.arange(self.size)

    @property
    def valid_range(self) -> tuple:
        """(first, last) energy in which the model identifies edges (eV)."""
        return (max(self.valid_from, self.start), self.stop)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EnergyGrid:
        return cls(**{k: d[k] for k in ("start", "step", "size", "valid_from") if k in d})


DEFAULT_GRID = EnergyGrid()

MIN_MEASURED_CHANNELS = 16
"""Fewest measured grid channels that anything is identified from.

:func:`~eels_autoid.identify_edges` refuses a window that overlaps the
model's valid range by fewer channels, a specialist takes over only where at
least this many channels of its regions are measured (the card's
``min_channels`` defaults to it), and the specialists' training spectra
measure at least this many channels of their regions.
"""
