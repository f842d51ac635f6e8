"""Training data on the fly: ``training_batches`` and the batched model input.

Every spectrum of a batch has its own window and dispersion, while
:func:`eels_autoid.preprocessing.model_input` takes one shared axis per call.
Calling it per spectrum costs a sparse resampling matrix per spectrum, far too
slow for the 2,000 spectra/s target, so :func:`batch_model_input` computes the
same input for spectra with different axes at once: the same conservative
binning (input finer than the grid) or linear interpolation of counts per eV
(coarser), the same measured mask, and then
:func:`eels_autoid.preprocessing.normalise` with a mask per spectrum (the
statistics of each spectrum on its own). A test checks it against
``model_input`` spectrum by spectrum.
"""

from __future__ import annotations

import numpy as np

from .._tensorflow import import_keras
from ..energy_grid import DEFAULT_GRID
from ..preprocessing import N_CHANNELS, normalise
from ._core import simulate_batch
from ._parameters import resolve_parameters


def batch_model_input(counts, offset, scale, size, grid=DEFAULT_GRID):
    """Model input for spectra on different uniform axes (as ``model_input`` per spectrum).

    Parameters
    ----------
    counts : numpy.ndarray, shape (n, N)
        Counts per channel, finite; channels at and beyond ``size`` are ignored.
    offset, scale : numpy.ndarray, shape (n,)
        First channel centre and dispersion (eV).
    size : numpy.ndarray of int, shape (n,)
    grid : EnergyGrid

    Returns
    -------
    numpy.ndarray, float32, shape (n, grid.size, 2)
    """
    x = np.asarray(counts, dtype=np.float64)
    n, N = x.shape
    offset = np.asarray(offset, dtype=float)[:, None]
    scale = np.asarray(scale, dtype=float)[:, None]
    size = np.asarray(size)[:, None]
    g = grid.energies[None, :]
    h = grid.step
    rows = np.arange(n)[:, None]
    x = np.where(np.arange(N)[None, :] < size, x, 0.0)
    density = np.empty((n, grid.size))
    inside = np.empty((n, grid.size), dtype=bool)

    fine = scale[:, 0] <= h
    if fine.any():
        # Conservative binning: the integral over each grid cell of the input
        # taken as constant counts/eV within its channels.
        r = np.nonzero(fine)[0]
        xr = x[r]
        cum = np.zeros((len(r), N + 1))
        np.cumsum(xr, axis=1, out=cum[:, 1:])
        # Gathers through flat indices: cheaper than 2-D fancy indexing.
        cum_flat, x_flat, first = cum.reshape(-1), xr.reshape(-1), rows[: len(r)] * N

        def cum_at(e):
            u = np.clip((e - offset[r]) / scale[r] + 0.5, 0, size[r])
            k = np.minimum(u.astype(np.int64), N - 1)
            at = first + k
            return cum_flat[at + rows[: len(r)]] + (u - k) * x_flat[at]

        density[r] = (cum_at(g + h / 2) - cum_at(g - h / 2)) / h
        lo = offset[r] - scale[r] / 2
        hi = offset[r] + scale[r] * (size[r] - 0.5)
        inside[r] = (g - h / 2 >= lo - 1e-9 * h) & (g + h / 2 <= hi + 1e-9 * h)
    if (~fine).any():
        # Coarser than the grid: linear interpolation of counts per eV.
        r = np.nonzero(~fine)[0]
        pos = (g - offset[r]) / scale[r]
        i0 = np.clip(np.floor(pos).astype(np.int64), 0, np.maximum(size[r] - 2, 0))
        t = pos - i0
        xr = x[r]
        rr = rows[: len(r)]
        density[r] = ((1 - t) * xr[rr, i0] + t * xr[rr, np.minimum(i0 + 1, N - 1)]) / scale[r]
        inside[r] = (g >= offset[r]) & (g <= offset[r] + scale[r] * (size[r] - 1))
    mask = inside & (g >= grid.valid_from)
    out = np.zeros((n, grid.size, N_CHANNELS), dtype=np.float32)
    # Per-row masks: each spectrum gets exactly the statistics model_input
    # computes for it on its own axis (they depend on its measured channels).
    out[..., 0] = normalise(density, mask)
    out[..., 1] = mask
    return out


class TrainingBatches:
    """An endless, indexable source of ``(x, y)`` training batches (numpy only).

    Batch ``i`` is a pure function of ``(seed, i)``: any worker can make any
    batch, the same seed gives the same data, and nothing is kept between
    batches, so memory does not grow with the number drawn.

    Parameters
    ----------
    batch_size : int
    seed : int, optional
    steps_per_epoch : int
        ``len()`` of the dataset (Keras needs an epoch length).
    grid : EnergyGrid
        The model's input grid.
    **parameters
        Simulation parameters (:class:`~eels_autoid.simulate.SimulationParameters`).
    """

    def __init__(
        self,
        batch_size,
        *,
        seed=None,
        steps_per_epoch=1000,
        grid=DEFAULT_GRID,
        bank=None,
        **parameters,
    ):
        self.batch_size = int(batch_size)
        self.seed = int(np.random.SeedSequence(seed).entropy if seed is None else seed)
        self.steps_per_epoch = int(steps_per_epoch)
        self.grid = grid
        self.bank = bank
        self.parameters = resolve_parameters(
            None, **{k: v for k, v in parameters.items() if k != "extra"}
        )

    def __len__(self):
        return self.steps_per_epoch

    def __getitem__(self, index):
        x, y, _ = self.batch_with_truth(index)
        return x, y

    def batch_with_truth(self, index):
        """Batch ``index`` as ``(x, y, simulation)``, the latter with the raw counts and truth."""
        rng = np.random.default_rng([self.seed, int(index)])
        sim = simulate_batch(self.batch_size, rng=rng, parameters=self.parameters, bank=self.bank)
        x = batch_model_input(sim["counts"], sim["offset"], sim["scale"], sim["size"], self.grid)
        return x, sim["labels"].astype(np.float32), sim

    def __iter__(self):
        i = 0
        while True:
            yield self[i]
            i += 1


def training_batches(
    batch_size,
    *,
    seed=None,
    steps_per_epoch=1000,
    keras=None,
    workers=1,
    use_multiprocessing=False,
    **parameters,
):
    """Training batches simulated on the fly: ``(x, y)`` with a new window,
    dispersion and microscope setting for every spectrum.

    Parameters
    ----------
    batch_size : int
    seed : int, optional
        Same seed, same batches.
    steps_per_epoch : int
        Batches per epoch (the data never repeat: batch ``i`` of epoch ``e`` is
        batch ``e * steps_per_epoch + i``).
    keras : bool, optional
        Return a ``keras.utils.PyDataset`` (True), the numpy-only
        :class:`TrainingBatches` (False), or the former when Keras imports (None).
    workers, use_multiprocessing
        Passed to ``PyDataset`` (parallel simulation during ``fit``).
    **parameters
        Simulation parameters.

    Returns
    -------
    keras.utils.PyDataset or TrainingBatches
        Indexable; ``x`` float32 (batch, grid.size, 2) from the same
        preprocessing as ``identify_edges``, ``y`` float32 (batch, 80) multi-hot.
    """
    source = TrainingBatches(batch_size, seed=seed, steps_per_epoch=steps_per_epoch, **parameters)
    return as_pydataset(source, keras, workers, use_multiprocessing)


def as_pydataset(source, keras=None, workers=1, use_multiprocessing=False):
    """``source`` as a ``keras.utils.PyDataset`` (keras True, or None when Keras imports)."""
    if keras is False:
        return source
    try:
        _keras = import_keras()
    except ImportError:
        if keras:
            raise
        return source
    return _make_pydataset(_keras, source, workers, use_multiprocessing)


def _make_pydataset(keras_module, source, workers, use_multiprocessing):
    class SimulatedSpectra(keras_module.utils.PyDataset):
        """Keras view of :class:`TrainingBatches`; each epoch draws new spectra."""

        def __init__(self):
            super().__init__(workers=workers, use_multiprocessing=use_multiprocessing)
            self.source = source
            self.epoch = 0

        def __len__(self):
            return len(self.source)

        def __getitem__(self, index):
            return self.source[self.epoch * len(self.source) + index]

        def on_epoch_end(self):
            self.epoch += 1

    return SimulatedSpectra()
