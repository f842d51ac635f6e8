"""Near-edge structure: a small basis of zero-integral functions per edge.

White lines, pi* peaks and other ELNES redistribute an edge's oscillator
strength near its onset without changing its total (the Bethe sum rule), so
every basis function integrates to zero over the edge's near-edge extent: it
can reshape the edge there but cannot add or remove intensity, so it can
neither swallow the element's amount nor stand in for another element.
"""

from __future__ import annotations

import numpy as np

__all__ = ["near_edge_extent", "near_edge_columns", "BASIS_SPACING"]

#: Spacing (eV) of the Gaussian basis functions (FWHM about 1.2 x spacing).
BASIS_SPACING = 2.5
# Near-edge extent (eV above the last onset of the edge family) by family:
# K, L2,3 and M4,5 structure fades within ~30..35 eV of the last onset
# (wider would swallow the gap between neighbouring edges, e.g. Ba and La
# M4,5 50 eV apart); the lanthanide N4,5 giant resonance extends further.
_EXTENT = {"K": 35.0, "L2,3": 30.0, "L": 30.0, "M4,5": 30.0, "M": 30.0, "N4,5": 60.0, "N": 50.0}
# Channels from this far below the onset are included: tabulated onsets and
# real ones differ by chemical shifts and calibration.
_BELOW_ONSET = 3.0


def near_edge_extent(family, first_onset, last_onset):
    """Energy range ``(start, end)`` (eV) of an edge family's near-edge structure."""
    width = _EXTENT.get(family, _EXTENT.get(family[:1], 35.0))
    return first_onset - _BELOW_ONSET, last_onset + width


def near_edge_columns(energy, extent, spacing=BASIS_SPACING):
    """Zero-integral columns (N, B) over ``extent`` on the energy axis.

    Gaussians ``spacing`` apart, each minus its mean over the extent (so its
    sum over the extent's channels is zero). Columns whose Gaussian falls
    outside the axis are dropped; an extent with fewer than 4 channels on the
    axis gets no column.
    """
    energy = np.asarray(energy, dtype=float)
    start, end = extent
    inside = (energy >= start) & (energy <= end)
    n_inside = int(inside.sum())
    if n_inside < 4:
        return np.zeros((len(energy), 0))
    step = abs(float(np.median(np.diff(energy)))) if len(energy) > 1 else spacing
    spacing = max(spacing, 2.0 * step)
    centres = np.arange(start + spacing / 2, end, spacing)
    lo, hi = energy[inside].min(), energy[inside].max()
    centres = centres[(centres >= lo) & (centres <= hi)]
    if not len(centres):
        return np.zeros((len(energy), 0))
    g = np.exp(-0.5 * ((energy[:, None] - centres[None, :]) / (spacing / 2)) ** 2)
    g *= inside[:, None]
    # Each Gaussian's area is taken from a smooth hump over the extent (a
    # Hann window), not from a constant: a constant would put steps at the
    # extent's ends, where no edge has one.
    phase = np.clip((energy - start) / (end - start), 0.0, 1.0)
    taper = np.where(inside, np.sin(np.pi * phase) ** 2, 0.0)
    taper /= max(float(taper.sum()), 1e-30)
    g -= taper[:, None] * g.sum(axis=0, keepdims=True)
    return g
