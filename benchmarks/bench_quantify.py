"""Speed of identify + quantify, and the peak memory of quantify on a large lazy map.

Usage::

    python benchmarks/bench_quantify.py [--model PATH] [--shape 64 64] [--repeats 3]
    python benchmarks/bench_quantify.py --memory [--memory-shape 256 256 2048]

The speed case simulates a LaMnO3/BaTiO3/SrTiO3 superlattice spectrum image
(``eels_autoid.simulate.superlattice``, 1200 channels) and reports spectra per
second of ``identify_edges`` and of ``quantify`` (median of the repeats; the
quantification of the five true elements, whatever the network found), and
the seconds of quantify's first stage alone: the spectrum model's fit to the
mean spectrum.
Without --model it times the bundled default model or, if none is bundled
yet, a small untrained 1-D CNN (the pipeline, not a real network).

The memory case (run in a fresh process so that the peak resident memory is
its own) quantifies a lazy spectrum image generated chunk by chunk by dask
(Poisson counts of an O K + Ti L2,3 spectrum, float32): it is never held
whole. It prints the data size, the time and the peak RSS above the baseline.
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from bench_identify import _fallback_model  # same folder: one home for the stand-in model


def _rss_mb() -> float:
    # ru_maxrss is in kB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(func, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def speed(args):
    import eels_autoid
    from eels_autoid.simulate import superlattice

    net = eels_autoid.load_model(args.model) if args.model else _fallback_model()
    t0 = time.perf_counter()
    s = superlattice(tuple(args.shape), seed=0)
    print(f"simulated {s} in {time.perf_counter() - t0:.1f} s")
    n = int(np.prod(args.shape))
    eels_autoid.identify_edges(s.inav[:4, :4], model=net, show_progressbar=False)  # warm-up
    result, t_id = _timed(
        lambda: eels_autoid.identify_edges(s, model=net, show_progressbar=False), args.repeats
    )
    elements = ["O", "Ti", "Mn", "Ba", "La"]
    q, t_q = _timed(
        lambda: eels_autoid.quantify(s, elements=elements, show_progressbar=False), args.repeats
    )
    _, t_fit = _timed(lambda: _summed_fit(s, elements, q.microscope), args.repeats)
    print(f"identify_edges: {n / t_id:9.0f} spectra/s ({t_id:.2f} s, detected {result.elements})")
    print(f"quantify:       {n / t_q:9.0f} spectra/s ({t_q:.2f} s, {len(elements)} elements)")
    print(f"summed fit:     {t_fit:9.2f} s (spectrum model of the mean spectrum, within quantify)")
    print(q.summary())


def _summed_fit(s, elements, settings):
    """quantify's first stage alone: the spectrum model fitted to the mean spectrum."""
    from eels_autoid.spectrum_model import SpectrumModel

    ax = s.axes_manager.signal_axes[0]
    energy = ax.offset + ax.scale * np.arange(ax.size)
    mean = np.asarray(s.data, dtype=float).reshape(-1, ax.size).mean(axis=0)
    return SpectrumModel(energy, elements, settings, near_edge="exclude").fit(mean)


def _lazy_map(shape, chunk_rows):
    import dask.array as da

    from eels_autoid.gos import cross_section

    *nav, n_e = shape
    e = 300.0 + 0.5 * np.arange(n_e)
    # 300 O and 100 Ti atoms/nm^2 (1e-10 atoms/barn each) under 1e10 electrons, 0.5 eV channels.
    sigma = 300 * cross_section("O", "K", e, 200.0, 20.0) + 100 * sum(
        cross_section("Ti", sub, e, 200.0, 20.0) for sub in ("L3", "L2", "L1")
    )
    clean = (4e4 * (e / e[0]) ** -3.0 + 0.5 * sigma).astype(np.float32)

    def block(block_info=None):
        loc = block_info[None]["array-location"]
        rows = loc[0][1] - loc[0][0]
        rng = np.random.default_rng(loc[0][0])
        return rng.poisson(clean, size=(rows, *nav[1:], n_e)).astype(np.float32)

    chunks = (chunk_rows, *nav[1:], n_e)
    return da.map_blocks(block, chunks=da.core.normalize_chunks(chunks, tuple(shape)),
                         dtype=np.float32)  # fmt: skip


def memory(args):
    import exspy

    import eels_autoid

    shape = tuple(args.memory_shape)
    data = _lazy_map(shape, args.chunk_rows)
    s = exspy.signals.EELSSpectrum(data).as_lazy()
    s.data = data
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = 300.0, 0.5, "eV"
    s.set_microscope_parameters(beam_energy=200.0, convergence_angle=0.0, collection_angle=20.0)
    base = _rss_mb()
    t0 = time.perf_counter()
    q = eels_autoid.quantify(s, elements=["O", "Ti"], show_progressbar=args.progress)
    elapsed = time.perf_counter() - t0
    n = int(np.prod(shape[:-1]))
    print(f"lazy {shape} float32: {data.nbytes / 2**20:.0f} MiB in chunks of {data.chunksize}")
    print(f"quantify: {elapsed:.1f} s ({n / elapsed:.0f} spectra/s)")
    peak = _rss_mb()
    print(f"peak RSS {peak:.0f} MB, {peak - base:.0f} MB above the baseline ({base:.0f} MB)")
    print(q.summary())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--shape", type=int, nargs=2, default=[64, 64])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="run the memory case")
    parser.add_argument("--memory-shape", type=int, nargs=3, default=[256, 256, 2048])
    parser.add_argument("--chunk-rows", type=int, default=16)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.memory:
        speed(args)
    elif args.in_process:
        memory(args)
    else:
        # A fresh process: its peak RSS is the quantification's alone.
        subprocess.run([sys.executable, *sys.argv, "--in-process"], check=True)


if __name__ == "__main__":
    main()
