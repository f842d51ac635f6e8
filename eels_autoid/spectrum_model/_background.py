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

from ._onsets import SPIKE_WIDTH, without_spikes

__all__ = [
    "BACKGROUND_EXPONENTS",
    "PRE_EDGE",
    "power_law_columns",
    "offset_columns",
    "reference_energy",
    "pre_edge_start",
    "rolloff_end",
    "segment_breaks",
    "segment_masks",
]

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


# The first channels of a spectrum are searched this far (eV) for a rise, and
# a rise counts when it climbs this fraction above the first channel.
ROLLOFF_SPAN = 15.0
ROLLOFF_RISE = 0.02
# ... and this many times the noise of one channel, so that noise alone does
# not make a roll-off.
ROLLOFF_NOISE = 5.0


def rolloff_end(energy, data, span=ROLLOFF_SPAN):
    """Where a spectrum's initial rise ends (eV): the first energy a background fit may use.

    Above the plasmons a background only falls with energy loss. Where the
    first channels of a spectrum rise instead (the spectrometer's or the
    detector's roll-off at the end of the recorded range, a splice, or an
    edge whose onset lies just below the window), they are not background: a
    fit that starts there bends the background and misreads every edge
    after it. Returns the energy of the highest channel within ``span`` eV
    of the start (after the running median that keeps spikes out of the
    edges' rises), where it stands more than :data:`ROLLOFF_RISE` and
    :data:`ROLLOFF_NOISE` times the noise of one channel above the first
    channel, and the spectrum does not fall before it (an edge or a plasmon
    near the start); else the first energy.
    """
    energy = np.asarray(energy, dtype=float)
    y = np.asarray(data, dtype=float)
    if len(energy) < 3 or not np.all(np.isfinite(y[: min(len(y), 3)])):
        return float(energy[0])
    scale = abs(float(energy[1] - energy[0]))
    head = np.flatnonzero(energy <= energy[0] + span)
    # Only the head is judged: the running median over it and a window's
    # width beyond (the same values there as over the whole spectrum).
    margin = len(head) + int(np.ceil(SPIKE_WIDTH / scale)) + 2
    ys = without_spikes(np.nan_to_num(y[:margin]), scale)[: len(head)]
    top = int(np.argmax(ys))
    # Noise of one channel, from the channel-to-channel differences.
    raw = np.nan_to_num(y[: len(head)])
    noise = 1.4826 * float(np.median(np.abs(np.diff(raw)))) / np.sqrt(2.0) if len(raw) > 2 else 0.0
    rise = ys[top] - ys[0]
    if top == 0 or ys[0] <= 0 or rise <= ROLLOFF_RISE * ys[0] or rise <= ROLLOFF_NOISE * noise:
        return float(energy[0])
    # A roll-off climbs from the first channel on; a spectrum that first
    # falls and then rises holds an edge (or a plasmon) near its start.
    if ys[: top + 1].min() < (1.0 - ROLLOFF_RISE) * ys[0]:
        return float(energy[0])
    return float(energy[top])


# A fit needs no more pre-edge range than this below its first edge (eV, or
# this fraction of the onset): where a background of one edge group starts.
PRE_EDGE = (100.0, 0.5)
# A segment starts only past the previous edge family's near-edge region.
_SEGMENT_ROOM = 100.0


def pre_edge_start(onset):
    """Where a power-law fit of an edge at ``onset`` (eV) starts: its pre-edge range below it."""
    return float(onset) - max(PRE_EDGE[0], PRE_EDGE[1] * float(onset))


def segment_breaks(onsets):
    """Energies (eV) where the background starts anew, between edge families far apart.

    A non-negative combination of power laws follows a background over the
    pre-edge range of one group of edges, but not over a window where edges
    1 keV apart each leave their own extended tail: the later edges' amounts
    then take what the earlier edges' tails miss. Where the pre-edge range a
    fit of the next family alone would use (:func:`pre_edge_start`) lies
    clear of the previous family's near-edge region, the background starts
    anew there, or at the midpoint between the two families if that is later,
    so that each group keeps the range its own background needs.

    Parameters
    ----------
    onsets : sequence of float
        The onsets (eV) of the edge families in the window.

    Returns
    -------
    list of float
        Increasing break energies; empty when one background holds.
    """
    ons = sorted(set(float(o) for o in onsets))
    out = []
    for before, after in zip(ons[:-1], ons[1:], strict=True):
        start = pre_edge_start(after)
        if start > before + _SEGMENT_ROOM:
            out.append(max(start, 0.5 * (before + after)))
    return out


def segment_masks(energy, breaks):
    """One boolean mask per background segment (``len(breaks) + 1``, shape (S, N))."""
    energy = np.asarray(energy, dtype=float)
    edges = [-np.inf, *breaks, np.inf]
    return np.array(
        [(energy >= lo) & (energy < hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    )
