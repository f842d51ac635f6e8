"""Training data for a specialist network: a few elements, seen often, in few regions.

The default training data draw every element equally rarely (a lanthanide
is in about one spectrum in six, a given one in one in sixty), over windows
anywhere in 0..3 keV. A specialist that tells a small family apart (the
lanthanides, whose N4,5 giant resonances lie 2..11 eV apart) learns faster
from spectra in which one of the family is present about half the time, the
other elements are drawn as usual, half of them among those with edges in
the same regions (the confusers), and every window overlaps the regions the
specialist reads. ``y`` holds the labels of the family only.
"""

from __future__ import annotations

import numpy as np

from ..energy_grid import DEFAULT_GRID, MIN_MEASURED_CHANNELS
from ..vocabulary import ELEMENTS, observable_elements
from ._composition import ANION_WEIGHTS, ANIONS
from ._core import simulate_batch
from ._parameters import resolve_parameters
from ._training import as_pydataset, batch_model_input

__all__ = ["FocusedBatches", "focused_batches"]


class FocusedBatches:
    """An endless, indexable source of ``(x, y)`` batches for a specialist (numpy only).

    Parameters
    ----------
    batch_size : int
    focus : sequence of str
        The family: ``y`` has one column per element, in this order.
    regions : sequence of (float, float)
        Energy ranges (eV) the specialist reads; every window overlaps them.
    focus_fraction : float
        Fraction of spectra drawn with one of the family in the composition
        (a tenth of those with two of them, half of those neighbours).
    seed : int, optional
        Batch ``i`` is a pure function of ``(seed, i)``.
    steps_per_epoch : int
    grid : EnergyGrid
    **parameters
        Simulation parameters.
    """

    def __init__(
        self,
        batch_size,
        *,
        focus,
        regions,
        focus_fraction=0.6,
        seed=None,
        steps_per_epoch=1000,
        grid=DEFAULT_GRID,
        bank=None,
        **parameters,
    ):
        unknown = [el for el in focus if el not in ELEMENTS]
        if unknown or not focus:
            raise ValueError(f"focus must be a non-empty list of elements; unknown: {unknown}.")
        if not 0 <= focus_fraction <= 1:
            raise ValueError(f"focus_fraction must lie in [0, 1], got {focus_fraction}.")
        self.batch_size = int(batch_size)
        self.focus = tuple(focus)
        self.regions = tuple((float(lo), float(hi)) for lo, hi in regions)
        self.focus_fraction = float(focus_fraction)
        self.seed = int(np.random.SeedSequence(seed).entropy if seed is None else seed)
        self.steps_per_epoch = int(steps_per_epoch)
        self.grid = grid
        self.bank = bank
        self.parameters = resolve_parameters(None, **parameters)
        self._columns = np.array([ELEMENTS.index(el) for el in self.focus])
        others = [el for el in ELEMENTS if el not in self.focus]
        seen = set()
        for lo, hi in self.regions:
            seen.update(observable_elements(lo, hi))
        self._others = others
        self._confusers = [el for el in others if el in seen]
        g = grid.energies
        self._in_regions = np.zeros(grid.size, dtype=bool)
        for lo, hi in self.regions:
            self._in_regions |= (g >= lo) & (g <= hi)

    def __len__(self):
        return self.steps_per_epoch

    def __iter__(self):
        i = 0
        while True:
            yield self[i]
            i += 1

    def compositions(self, rng, n):
        """``n`` element lists: the family in ``focus_fraction`` of them."""
        out = []
        for _ in range(n):
            chosen = []
            if rng.random() < self.focus_fraction:
                k = int(rng.integers(len(self.focus)))
                chosen.append(self.focus[k])
                if rng.random() < 0.1 and len(self.focus) > 1:
                    near = [j for j in (k - 1, k + 1) if 0 <= j < len(self.focus)]
                    j = near[rng.integers(len(near))] if rng.random() < 0.5 else k
                    while j == k:
                        j = int(rng.integers(len(self.focus)))
                    chosen.append(self.focus[j])
            if rng.random() < self.parameters.material_bias:
                chosen.append(ANIONS[rng.choice(len(ANIONS), p=ANION_WEIGHTS)])
            for _ in range(int(rng.integers(0, 4)) + (0 if chosen else 1)):
                pool = self._confusers if rng.random() < 0.5 else self._others
                el = pool[rng.integers(len(pool))]
                if el not in chosen:
                    chosen.append(el)
            rng.shuffle(chosen)
            out.append(chosen)
        return out

    def __getitem__(self, index):
        """Batch ``index`` as ``(x, y)``; spectra whose window misses the regions are redrawn."""
        rng = np.random.default_rng([self.seed, int(index)])
        xs, ys, have = [], [], 0
        while have < self.batch_size:
            n = self.batch_size - have
            # Draw extra: a window misses the regions now and then.
            m = n + n // 2 + 4
            sim = simulate_batch(
                m,
                rng=rng,
                elements=self.compositions(rng, m),
                parameters=self.parameters,
                bank=self.bank,
            )
            x = batch_model_input(
                sim["counts"], sim["offset"], sim["scale"], sim["size"], self.grid
            )
            # Keep the spectra a specialist would take over on at identification.
            seen = (x[:, self._in_regions, 1] > 0).sum(axis=1) >= MIN_MEASURED_CHANNELS
            keep = np.nonzero(seen)[0][:n]
            xs.append(x[keep])
            ys.append(sim["labels"][keep][:, self._columns].astype(np.float32))
            have += len(keep)
        return np.concatenate(xs), np.concatenate(ys)


def focused_batches(
    batch_size,
    *,
    focus,
    regions,
    focus_fraction=0.6,
    seed=None,
    steps_per_epoch=1000,
    keras=None,
    workers=1,
    use_multiprocessing=False,
    **parameters,
):
    """Training batches for a specialist: ``x`` as for the full network, ``y`` the family.

    The ``[simulator]`` table of a training configuration passes ``focus``,
    ``regions`` and ``focus_fraction`` here with the simulation parameters.

    Returns
    -------
    keras.utils.PyDataset or FocusedBatches
        ``x`` float32 (batch, grid.size, 2), ``y`` float32 (batch, len(focus)).
    """
    source = FocusedBatches(
        batch_size,
        focus=focus,
        regions=regions,
        focus_fraction=focus_fraction,
        seed=seed,
        steps_per_epoch=steps_per_epoch,
        **parameters,
    )
    return as_pydataset(source, keras, workers, use_multiprocessing)
