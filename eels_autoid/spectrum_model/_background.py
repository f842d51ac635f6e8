"""Backgrounds: non-negative combinations of power laws, convex over any window.

A power law ``E**-r`` with ``r > 0`` is positive, decreasing and convex, and
so is every combination of them with non-negative coefficients. A set of
exponents from 1 to 8 lets the combination steepen towards the plasmons and
flatten towards 3 keV, which a single power law cannot (Van den Broek,
Jannis & Verbeeck, Ultramicroscopy 2023), while it still cannot bend into
an edge.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BACKGROUND_EXPONENTS", "power_law_columns", "offset_columns", "reference_energy"]

#: Exponents of the power laws combined into the background.
BACKGROUND_EXPONENTS = tuple(np.arange(1.0, 8.01, 0.5))


def power_law_columns(energy, exponents=BACKGROUND_EXPONENTS, reference=None):
    """Columns ``(E / E_ref) ** -r`` (N, R), by default E_ref the window's geometric centre.

    Normalising at the centre keeps every column of order 1 over the window.
    """
    energy = np.asarray(energy, dtype=float)
    positive = energy[energy > 0]
    if not len(positive):
        raise ValueError("Power-law backgrounds need positive energy losses.")
    ref = reference_energy(positive) if reference is None else float(reference)
    safe = np.maximum(energy, positive.min()) / ref
    return np.column_stack([safe ** -float(r) for r in exponents])


def reference_energy(energy):
    """The geometric centre of the positive energies of a window (eV)."""
    positive = np.asarray(energy, dtype=float)
    positive = positive[positive > 0]
    return float(np.sqrt(positive.min() * positive.max()))


def offset_columns(energy):
    """A constant and a slope (N, 2), free in sign: what is left of a subtracted background."""
    energy = np.asarray(energy, dtype=float)
    span = max(float(np.ptp(energy)), 1e-9)
    return np.column_stack([np.ones_like(energy), (energy - energy.mean()) / span])
