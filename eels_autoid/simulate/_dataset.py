"""Fixed train / validation / test sets on disk (HDF5), deterministic from a seed."""

from __future__ import annotations

import json

import numpy as np

from ..energy_grid import DEFAULT_GRID
from ..preprocessing import PREPROCESSING_VERSION
from ..vocabulary import ELEMENTS
from ._parameters import resolve_parameters
from ._training import TrainingBatches

SPLITS = ("train", "validation", "test")
DATASET_VERSION = 1


def write_dataset(
    path, sizes=(10000, 1000, 1000), *, seed=0, batch_size=512, grid=DEFAULT_GRID, **parameters
):
    """Write fixed simulated sets to an HDF5 file.

    Each split is a group with ``x`` (n, grid.size, 2) float32 (the model
    input), ``y`` (n, 80) uint8 (labels in ``ELEMENTS`` order) and the
    recorded axis of each spectrum (``offset``, ``scale``, ``size``). The
    splits use independent streams derived from ``seed``: the same seed and
    sizes give the same file content, and a larger test set does not change
    the training set.

    Parameters
    ----------
    path : str or pathlib.Path
    sizes : (int, int, int)
        Spectra in train, validation and test.
    seed : int
    batch_size : int
        Spectra simulated at once (memory stays bounded by it).
    grid : EnergyGrid
    **parameters
        Simulation parameters.
    """
    import h5py

    params = resolve_parameters(None, **parameters)
    children = np.random.SeedSequence(seed).spawn(len(SPLITS))
    with h5py.File(path, "w") as f:
        f.attrs["elements"] = json.dumps(list(ELEMENTS))
        f.attrs["grid"] = json.dumps(grid.to_dict())
        f.attrs["seed"] = seed
        f.attrs["dataset_version"] = DATASET_VERSION
        f.attrs["preprocessing_version"] = PREPROCESSING_VERSION
        f.attrs["parameters"] = json.dumps(params.to_dict())
        for split, n, child in zip(SPLITS, sizes, children, strict=True):
            g = f.create_group(split)
            n = int(n)
            dx = g.create_dataset(
                "x",
                (n, grid.size, 2),
                dtype="f4",
                chunks=(min(max(n, 1), 64), grid.size, 2),
                compression="lzf",
            )
            dy = g.create_dataset("y", (n, len(ELEMENTS)), dtype="u1")
            axes = {
                k: g.create_dataset(k, (n,), dtype=t)
                for k, t in (("offset", "f8"), ("scale", "f8"), ("size", "i8"))
            }
            source = TrainingBatches(
                batch_size, seed=int(child.generate_state(1)[0]), grid=grid, **params.to_dict()
            )
            done, b = 0, 0
            while done < n:
                x, y, sim = source.batch_with_truth(b)
                k = min(batch_size, n - done)
                dx[done : done + k] = x[:k]
                dy[done : done + k] = y[:k].astype(np.uint8)
                for name in axes:
                    axes[name][done : done + k] = sim[name][:k]
                done += k
                b += 1
    return path


def read_dataset(path, split="train"):
    """Read one split of a file written by :func:`write_dataset`.

    Returns
    -------
    x : numpy.ndarray, float32, (n, grid.size, 2)
    y : numpy.ndarray, uint8, (n, 80)
    """
    import h5py

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}.")
    with h5py.File(path, "r") as f:
        return f[split]["x"][:], f[split]["y"][:]
