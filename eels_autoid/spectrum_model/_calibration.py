"""Energy-axis corrections: an offset, a dispersion error and per-element chemical shifts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Calibration"]


@dataclass(frozen=True)
class Calibration:
    """Energy-axis corrections: true loss = E + offset + dispersion_error (E - reference) + shift.

    Attributes
    ----------
    offset : float
        eV added to the axis.
    dispersion_error : float
        Relative error of the dispersion.
    reference : float
        Energy (eV) about which the dispersion error acts (the window's centre).
    shifts : dict of str to float
        Per-element chemical shifts (eV).
    """

    offset: float = 0.0
    dispersion_error: float = 0.0
    reference: float = 0.0
    shifts: dict = field(default_factory=dict)

    def true_energy(self, energy, element=None):
        e = np.asarray(energy, dtype=float)
        out = e + self.offset + self.dispersion_error * (e - self.reference)
        return out + self.shifts.get(element, 0.0) if element else out

    def replace(self, **kw):
        d = dict(
            offset=self.offset,
            dispersion_error=self.dispersion_error,
            reference=self.reference,
            shifts=dict(self.shifts),
        )
        d.update(kw)
        return Calibration(**d)
