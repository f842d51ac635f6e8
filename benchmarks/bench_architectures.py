"""Parameters and CPU throughput of every architecture (the docs' results table).

For each architecture with its default configuration: the parameter count,
the float32 size, and spectra per second of ``model.predict_on_batch`` on a
batch of 256 inputs (3072, 2), warmed up on that shape, median of 3 calls.
Optionally (``--identify``) the whole :func:`eels_autoid.identify_edges` path
(preprocessing included, result computed) on a 64 x 64 spectrum image with an
untrained EdgeNet, against the 50x-EELS_ID target.

Run on an otherwise idle machine::

    python benchmarks/bench_architectures.py [--only edgenet unet] [--identify] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

BATCH = 256
REPEATS = 3


def _median_time(fn, repeats=REPEATS):
    fn()  # warm-up on the timed shape (tracing, allocation)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_architecture(name, batch=BATCH):
    """(parameters, spectra per second) of one architecture's default network."""
    from eels_autoid.models import build_model

    model = build_model(name)
    rng = np.random.default_rng(0)
    x = np.zeros((batch, 3072, 2), dtype=np.float32)
    x[:, 300:2500, 0] = rng.normal(size=(batch, 2200))
    x[:, 300:2500, 1] = 1.0
    seconds = _median_time(lambda: model.predict_on_batch(x))
    return model.count_params(), batch / seconds


def bench_identify(shape=(64, 64), channels=1024):
    """Spectra per second of identify_edges on a spectrum image, untrained EdgeNet."""
    import exspy  # noqa: F401  (registers the EELS signal type)
    import hyperspy.api as hs

    import eels_autoid
    from eels_autoid.models import build_model
    from eels_autoid.training import export_model

    rng = np.random.default_rng(0)
    energy = 400 + 0.5 * np.arange(channels)
    data = rng.poisson(1e4 * (energy / 400) ** -3, size=(*shape, channels)).astype(np.float32)
    s = hs.signals.Signal1D(data)
    s.set_signal_type("EELS")
    s.axes_manager[-1].offset, s.axes_manager[-1].scale = 400.0, 0.5
    s.axes_manager[-1].units = "eV"
    with tempfile.TemporaryDirectory() as tmp:
        card = export_model(build_model("edgenet"), tmp, "bench")
        model = eels_autoid.load_model(card)
        seconds = _median_time(
            lambda: (
                eels_autoid.identify_edges(
                    s, model=model, show_progressbar=False
                ).probabilities.data
            )
        )
    return data.shape[0] * data.shape[1] / seconds


def main(argv=None):
    from eels_autoid.models import architectures

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=sorted(architectures()), help="architectures")
    p.add_argument("--identify", action="store_true", help="also time identify_edges on 64x64")
    p.add_argument("--json", help="write the results to this JSON file")
    args = p.parse_args(argv)
    import keras

    names = args.only or ["edgenet", "cnn_bilstm", "vit", "unet"]
    results = {}
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), {os.cpu_count()} CPUs")
    print(f"{'architecture':<12} {'parameters':>12} {'MB':>7} {'spectra/s':>10}")
    for name in names:
        n, rate = bench_architecture(name)
        results[name] = dict(parameters=n, megabytes=4 * n / 1e6, spectra_per_second=rate)
        print(f"{name:<12} {n:>12,} {4 * n / 1e6:>7.1f} {rate:>10.1f}", flush=True)
    if "unet" in results and "edgenet" in results:
        ratio = results["edgenet"]["spectra_per_second"] / results["unet"]["spectra_per_second"]
        print(f"EdgeNet / EELS_ID U-Net speed: {ratio:.0f}x")
    if args.identify:
        rate = bench_identify()
        results["identify_edges_edgenet_64x64"] = dict(spectra_per_second=rate)
        print(f"identify_edges, EdgeNet, 64x64 map: {rate:.0f} spectra/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
