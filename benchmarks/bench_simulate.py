"""Throughput and peak memory of the simulator (not a timed test).

Usage::

    python benchmarks/bench_simulate.py [--batch-size 256] [--batches 20] [--workers 1]
                                        [--repeats 3] [--spectra-n 1000]

Reports spectra per second and peak resident memory for
``training_batches`` (numpy path: simulation + model input, the same work a
Keras ``PyDataset`` worker does) and for ``spectra()`` (HyperSpy signals),
after building the cross-section bank (its one-off cost is reported apart).
With ``--workers N`` the training batches are drawn by N processes, as
``PyDataset(workers=N, use_multiprocessing=True)`` would. Rates are the
median of ``--repeats`` runs, each on batches not drawn before, as a shared
machine's load varies from run to run; ``--spectra-n 0`` skips ``spectra()``.
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


def bench_training(batch_size, batches, workers, repeats=1, seed=0):
    """Spectra/s of ``repeats`` runs of ``batches`` batches, and peak RSS (MiB).

    Returns the wall-clock rates, the rates per CPU second of this process
    (one worker only: steadier than wall-clock time on a loaded machine) and
    the peak RSS after a quarter and all of the last run's batches (one per
    process with workers).
    """
    ds = training_batches(batch_size, seed=seed, keras=False)
    ds[0]  # warm up (caches, first-touch of the bank)
    mem, rates, cpu_rates = [], [], []
    for r in range(repeats):
        first = 1 + r * batches
        if workers <= 1:
            t, c = time.perf_counter(), time.process_time()
            for i in range(first, first + batches):
                x, y = ds[i]
                if i - first + 1 in (batches // 4, batches):
                    mem.append(peak_rss_mb())
            dt = time.perf_counter() - t
            cpu_rates.append(batch_size * batches / (time.process_time() - c))
        else:
            chunks = [list(range(first + k, first + batches, workers)) for k in range(workers)]
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_draw, [(batch_size, seed, [0])] * workers))  # warm up workers
                t = time.perf_counter()
                mem = list(pool.map(_draw, [(batch_size, seed, c) for c in chunks]))
                dt = time.perf_counter() - t
        rates.append(batch_size * batches / dt)
    return rates, cpu_rates, mem[-2:] if workers <= 1 else mem


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
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--spectra-n", type=int, default=1000, help="0 skips spectra()")
    a = p.parse_args(argv)
    warnings.filterwarnings("ignore")

    t = time.perf_counter()
    bank = get_bank()
    bank.build_all()
    print(f"cross-section bank: ready in {time.perf_counter() - t:.1f} s, "
          f"{bank.table.nbytes / 2**20:.0f} MiB")  # fmt: skip
    rates, cpu_rates, mem = bench_training(a.batch_size, a.batches, a.workers, a.repeats)

    def median_of(values):
        return f"{np.median(values):.0f} (median of {', '.join(f'{v:.0f}' for v in values)})"

    print(
        f"training_batches: {median_of(rates)} spectra/s"
        + (f", {median_of(cpu_rates)} per CPU second" if cpu_rates else "")
        + f"; batch {a.batch_size}, {a.batches} batches, {a.workers} worker(s); "
        "peak RSS per process after 1/4 and all batches: " + ", ".join(f"{m:.0f} MiB" for m in mem)
    )
    if a.spectra_n <= 0:
        return
    rate = bench_spectra(a.spectra_n, 3)
    print(f"spectra(): {rate:.0f} spectra/s (n = {a.spectra_n}); peak RSS {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
