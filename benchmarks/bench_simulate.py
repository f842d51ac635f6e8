"""Throughput and peak memory of the simulator (not a timed test).

Usage::

    python benchmarks/bench_simulate.py [--batch-size 256] [--batches 20] [--workers 1]

Reports spectra per second and peak resident memory for
``training_batches`` (numpy path: simulation + model input, the same work a
Keras ``PyDataset`` worker does) and for ``spectra()`` (HyperSpy signals),
after building the cross-section bank (its one-off cost is reported apart).
With ``--workers N`` the training batches are drawn by N processes, as
``PyDataset(workers=N, use_multiprocessing=True)`` would.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from eels_autoid.simulate import get_bank, spectra, training_batches  # noqa: E402


def peak_rss_mb():
    # ru_maxrss is in kB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _draw(args):
    batch_size, seed, indices = args
    ds = training_batches(batch_size, seed=seed, keras=False)
    for i in indices:
        ds[i]
    return peak_rss_mb()


def bench_training(batch_size, batches, workers, seed=0):
    ds = training_batches(batch_size, seed=seed, keras=False)
    ds[0]  # warm up (caches, first-touch of the bank)
    mem = []
    if workers <= 1:
        t = time.perf_counter()
        for i in range(1, batches + 1):
            x, y = ds[i]
            if i in (batches // 4, batches):
                mem.append(peak_rss_mb())
        dt = time.perf_counter() - t
    else:
        chunks = [list(range(1 + k, batches + 1, workers)) for k in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_draw, [(batch_size, seed, [0])] * workers))  # warm up workers
            t = time.perf_counter()
            mem = list(pool.map(_draw, [(batch_size, seed, c) for c in chunks]))
            dt = time.perf_counter() - t
    return batch_size * batches / dt, mem


def bench_spectra(n, repeats, seed=0):
    spectra(n, seed=seed)
    times = []
    for r in range(repeats):
        t = time.perf_counter()
        spectra(n, seed=seed + r + 1)
        times.append(time.perf_counter() - t)
    return n / np.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--spectra-n", type=int, default=1000)
    a = p.parse_args(argv)
    warnings.filterwarnings("ignore")

    t = time.perf_counter()
    bank = get_bank()
    bank.build_all()
    print(f"cross-section bank ({bank.provider.name}): ready in {time.perf_counter() - t:.1f} s, "
          f"{bank.table.nbytes / 2**20:.0f} MiB")  # fmt: skip
    rate, mem = bench_training(a.batch_size, a.batches, a.workers)
    print(
        f"training_batches: {rate:.0f} spectra/s (batch {a.batch_size}, {a.batches} batches, "
        f"{a.workers} worker(s)); peak RSS per process after 1/4 and all batches: "
        + ", ".join(f"{m:.0f} MiB" for m in mem)
    )
    rate = bench_spectra(a.spectra_n, 3)
    print(f"spectra(): {rate:.0f} spectra/s (n = {a.spectra_n}); peak RSS {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
