"""Where a training run's spectra come from: the data source, seeded epochs, validation data.

Shared by the training loop, the export of a run and the release of a model,
so that each reads the same validation spectra a run was judged on.
"""

from __future__ import annotations

import importlib
import inspect
import math
from pathlib import Path

import numpy as np

__all__ = ["epoch_seed", "resolve_source", "validation_data", "data_version"]


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch's data and randomness (independent streams per epoch)."""
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0])


def resolve_source(source):
    """The data source callable from a ``"module:function"`` string (or a callable)."""
    if callable(source):
        return source
    module, _, attr = str(source).partition(":")
    if not attr:
        raise ValueError(f"data.source must be 'module:function', got {source!r}.")
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        if module == "eels_autoid.simulate":
            raise ImportError(
                "Training streams from eels_autoid.simulate.training_batches, which this "
                "installation does not have yet. Set [data] source to another "
                "'module:function' data source."
            ) from err
        raise
    try:
        return getattr(mod, attr)
    except AttributeError:
        raise ImportError(f"{module} has no data source {attr!r}.") from None


def _call_source(source, batch_size, seed, parameters, numpy_only=False):
    """``source(batch_size, seed=seed, **parameters)``; numpy-only where it can be."""
    if numpy_only and "keras" in inspect.signature(source).parameters:
        # A worker process needs no Keras view of the data (and no TensorFlow).
        return source(batch_size, seed=seed, keras=False, **parameters)
    return source(batch_size, seed=seed, **parameters)


def _indexed(data):
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


# One data source per worker process, made on its first batch.
_WORKER_DATA = {}


def _worker_batch(source, batch_size, seed, parameters, index):
    key = (batch_size, seed)
    if key not in _WORKER_DATA:
        _WORKER_DATA.clear()
        _WORKER_DATA[key] = _call_source(
            resolve_source(source), batch_size, seed, parameters, numpy_only=True
        )
    x, y = _WORKER_DATA[key][index]
    return np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)


def _batches(source, batch_size, seed, parameters, n_batches=None, pool=None):
    """Iterate (x, y) float32 batches from a source (generator or PyDataset-like).

    With a process ``pool`` and an indexable source named ``"module:function"``,
    batches are made ahead in the pool's processes, in order, so the data are
    identical to those made in this process.
    """
    if pool is not None and isinstance(source, str):
        probe = _call_source(resolve_source(source), batch_size, seed, parameters, True)
        if _indexed(probe):
            yield from _prefetched(pool, source, batch_size, seed, parameters, n_batches)
            return
    data = _call_source(resolve_source(source), batch_size, seed, parameters)
    if _indexed(data):
        # A keras.utils.PyDataset (or a sequence of batches): index it.
        def gen():
            i = 0
            while True:
                yield data[i % len(data)]
                i += 1

        it = gen()
    else:
        it = iter(data)
    count = 0
    for x, y in it:
        yield np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
        count += 1
        if n_batches is not None and count >= n_batches:
            return


def _simulation_pool(workers):
    """A pool of ``workers`` processes for :func:`_batches`, or None for 0."""
    if not workers:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn": the parent already runs the backend's thread pools, which fork
    # would copy in an undefined state. One pool for the whole run: the
    # workers import the package once, at the start.
    return ProcessPoolExecutor(int(workers), mp_context=multiprocessing.get_context("spawn"))


def _prefetched(pool, source, batch_size, seed, parameters, n_batches):
    from collections import deque

    ahead = 2 * pool._max_workers
    pending = deque()
    i = 0
    count = 0
    try:
        while n_batches is None or count < n_batches:
            while len(pending) < ahead and (n_batches is None or i < n_batches):
                pending.append(pool.submit(_worker_batch, source, batch_size, seed, parameters, i))
                i += 1
            yield pending.popleft().result()
            count += 1
    finally:
        for f in pending:
            f.cancel()


def validation_data(config, source=None):
    """The fixed validation set (x, y) of a configuration."""
    v = config["validation"]
    if v.get("file"):
        path = Path(v["file"])
        if path.suffix == ".npz":
            with np.load(path) as f:
                return f["x"].astype(np.float32), f["y"].astype(np.float32)
        import h5py

        with h5py.File(path, "r") as f:
            return f["x"][()].astype(np.float32), f["y"][()].astype(np.float32)
    source = source or config["data"]["source"]
    size = int(v["size"])
    batch = int(config["training"]["batch_size"])
    xs, ys = [], []
    for x, y in _batches(
        source, batch, int(v["seed"]), config["simulator"], math.ceil(size / batch)
    ):
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs)[:size], np.concatenate(ys)[:size]


def data_version(config, source=None):
    """What a run's training data is: the simulator and its version, or the source's name."""
    if source is None and config["data"]["source"].startswith("eels_autoid.simulate:"):
        from ..simulate import SIMULATOR_VERSION

        return f"eels_autoid.simulate {SIMULATOR_VERSION}"
    return str(getattr(source, "__name__", None) or config["data"]["source"])
