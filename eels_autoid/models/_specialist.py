"""Specialists: networks for a family of elements that the full network confuses.

A model card may list specialists beside its members. Each reads the same
(grid, 2) input, outputs probabilities for its family only (for example Ba
and La..Lu), and looks at a few energy regions. Where the window covers at
least ``min_channels`` of those regions and the full network gives some
member of the family at least ``gate``, the specialist's probabilities
replace the full network's for the family; elsewhere the full network's
stand. The gate keeps the cost away from spectra with no sign of the family
(most pixels of most spectrum images) while still letting the specialist
overrule a full-network false alarm.

``defer_edges`` names edges the full network reads better than the
specialist (the lanthanide specialist reads N4,5 only, while the full
network tells M4,5 white lines apart): where the window covers an element's
such edge, that element keeps the full network's probability. Only edges
outside the specialist's regions are deferred, so one name can serve a whole
family (``"K"`` defers Si K at 1.84 keV but not B K at 188 eV, which a
specialist reading 60..460 eV reads itself).

``defer_elements`` names members of the family whose probabilities the full
network keeps everywhere, because it reads them better on validation data
(Cu and Zn for the transition-metal specialist: metallic Cu and Zn L3 peak
20..60 eV late and their L1 edges lie above 1.1 keV, which the full network
sees in a wider context). The specialist still outputs and learns them, so
that it does not read them as a neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..energy_grid import MIN_MEASURED_CHANNELS, EnergyGrid
from ..vocabulary import EDGES, ELEMENTS
from ._fold import fold_batch_norm

__all__ = ["Specialist"]

DEFAULT_GATE = 0.05


@dataclass
class Specialist:
    """A network for a family of elements, and where it takes over.

    Attributes
    ----------
    name : str
    networks : list of keras.Model
        Members whose probabilities are averaged, outputs in ``elements`` order.
    elements : tuple of str
    regions : tuple of (float, float)
        Energy ranges (eV) the networks read.
    grid : EnergyGrid
    min_channels : int
        Measured grid channels inside ``regions`` needed for it to take over.
    gate : float
        Largest full-network probability over the family needed for it to take over.
    defer_edges : tuple of str
        Edge names (``"M4,5"``...): an element whose such edge, with its
        onset outside ``regions``, the window covers (onset and the edge's
        margin above it) keeps the full network's probability.
    defer_elements : tuple of str
        Members of ``elements`` that always keep the full network's probability.
    """

    name: str
    networks: list
    elements: tuple
    regions: tuple
    grid: EnergyGrid
    min_channels: int = MIN_MEASURED_CHANNELS
    gate: float = DEFAULT_GATE
    defer_edges: tuple = ()
    defer_elements: tuple = ()
    columns: np.ndarray = field(init=False, repr=False)
    region_mask: np.ndarray = field(init=False, repr=False)
    defer_channels: np.ndarray = field(init=False, repr=False)
    # Batch-norm-folded copies of ``networks`` that predict; built on first use.
    _inference: list | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self):
        unknown = [el for el in self.elements if el not in ELEMENTS]
        if unknown or not self.elements:
            raise ValueError(f"Specialist {self.name!r}: unknown elements {unknown}.")
        if not 0 <= self.gate < 1:
            raise ValueError(f"Specialist {self.name!r}: gate must lie in [0, 1).")
        self.elements = tuple(self.elements)
        self.regions = tuple((float(lo), float(hi)) for lo, hi in self.regions)
        self.columns = np.array([ELEMENTS.index(el) for el in self.elements])
        self.defer_elements = tuple(self.defer_elements)
        strangers = [el for el in self.defer_elements if el not in self.elements]
        if strangers:
            raise ValueError(
                f"Specialist {self.name!r}: defer_elements {strangers} are not in its family."
            )
        g = self.grid.energies
        self.region_mask = np.zeros(self.grid.size, dtype=bool)
        for lo, hi in self.regions:
            self.region_mask |= (g >= lo) & (g <= hi)
        # Per element, the grid channels (onset, onset + margin) of its
        # deferred edges; -1 where it has none.
        self.defer_edges = tuple(self.defer_edges)
        self.defer_channels = np.full((len(self.elements), 2), -1, dtype=int)
        for k, el in enumerate(self.elements):
            own = [
                e
                for e in EDGES
                if e.element == el
                and e.name in self.defer_edges
                and not any(lo <= e.onset <= hi for lo, hi in self.regions)
            ]
            if own:
                e = min(own)
                ends = np.array([e.onset, e.onset + e.margin])
                idx = np.round((ends - self.grid.start) / self.grid.step).astype(int)
                if idx[1] < self.grid.size:
                    self.defer_channels[k] = idx
        for net in self.networks:
            n_out = net.output_shape[-1] if hasattr(net, "output_shape") else None
            if n_out is not None and n_out != len(self.elements):
                raise ValueError(
                    f"Specialist {self.name!r}: its network has {n_out} outputs for "
                    f"{len(self.elements)} elements."
                )

    @classmethod
    def from_entry(cls, entry: dict, networks, grid: EnergyGrid) -> Specialist:
        """From a card's ``specialists`` entry and its loaded networks."""
        missing = {"name", "members", "elements", "regions"} - set(entry)
        if missing:
            raise ValueError(f"A specialists entry lacks {sorted(missing)}.")
        return cls(
            name=str(entry["name"]),
            networks=list(networks),
            elements=tuple(entry["elements"]),
            regions=tuple(tuple(r) for r in entry["regions"]),
            grid=grid,
            min_channels=int(entry.get("min_channels", MIN_MEASURED_CHANNELS)),
            gate=float(entry.get("gate", DEFAULT_GATE)),
            defer_edges=tuple(entry.get("defer_edges", ())),
            defer_elements=tuple(entry.get("defer_elements", ())),
        )

    def takes_over(self, x: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """Rows of ``x`` (n, grid, 2) where this specialist replaces the full network."""
        seen = (x[:, self.region_mask, 1] > 0).sum(axis=1) >= self.min_channels
        return seen & (probabilities[:, self.columns].max(axis=1) >= self.gate)

    def merge(self, x: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> None:
        """Write its answer into the full network's ``mean`` and ``spread`` (in place)."""
        rows = np.nonzero(self.takes_over(x, mean))[0]
        if not len(rows):
            return
        q, q_spread = self.predict(x[rows])
        for k, col in enumerate(self.columns):
            if self.elements[k] in self.defer_elements:
                continue
            use = np.ones(len(rows), dtype=bool)
            lo, hi = self.defer_channels[k]
            if lo >= 0:
                use = ~((x[rows, lo, 1] > 0) & (x[rows, hi, 1] > 0))
            mean[rows[use], col] = q[use, k]
            spread[rows[use], col] = q_spread[use, k]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_inference"] = None
        return state

    def predict(self, x: np.ndarray):
        """Probabilities (n, family) averaged over members, and their spread.

        The spread is the members' standard deviation, or the Bernoulli
        ``sqrt(p (1 - p))`` for one network (as for the full network).
        """
        if self._inference is None:
            self._inference = [fold_batch_norm(net) for net in self.networks]
        return average_members(self._inference, x)


def average_members(networks, x: np.ndarray):
    """Mean probabilities of ``networks`` on ``x``, and their spread.

    The spread is the members' standard deviation. One network has no spread
    of members: its probabilities are calibrated (reliability curve in the
    card), so the standard deviation ``sqrt(p (1 - p))`` of the yes/no outcome
    they predict is the honest per-element uncertainty.
    """
    stack = np.stack([np.asarray(net.predict_on_batch(x), dtype=np.float32) for net in networks])
    mean = stack.mean(axis=0)
    if len(stack) > 1:
        spread = stack.std(axis=0)
    else:
        # Outputs outside 0..1 are refused by the caller, which names the model.
        with np.errstate(invalid="ignore"):
            spread = np.sqrt(mean * (1.0 - mean))
    return mean, spread
