"""Throughput and memory of identify_edges on spectrum images.

Usage::

    python benchmarks/bench_identify.py [--model PATH] [--shape 64 64 2048] [--lazy]
                                        [--compare-unet]

Reports spectra per second (preprocessing and network, result computed; the
model warmed up on the timed shape; median of 3 calls) of the network alone
(check=False), checked against the spectrum model (the default), and checked
with the residual search (search=True), in the same run; the time the check
and the search add to one spectrum; and the peak resident memory.
``--compare-unet`` also times the EELS_ID U-Net of Annys et al. (its network
alone, ``predict_on_batch`` on the same number of preprocessed spectra,
warmed up, median of 3) in the same process, and prints the ratio (the
target is identify_edges >= 50x the U-Net). Without --model it uses
the bundled default model, or, if none is bundled yet, a small untrained 1-D
CNN (which measures the pipeline, not a real network).
"""

import argparse
import resource
import statistics
import time

import numpy as np


def _fallback_model():
    import keras

    import eels_autoid
    from eels_autoid.models import IdentificationModel, ModelCard

    if eels_autoid.bundled_models():
        return eels_autoid.load_model()
    inp = keras.Input((3072, 2))
    x = keras.layers.Conv1D(16, 16, strides=8, activation="relu")(inp)
    x = keras.layers.Conv1D(32, 9, strides=4, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(80, activation="sigmoid")(x)
    print("no bundled model: timing a small untrained CNN")
    return IdentificationModel([keras.Model(inp, out)], ModelCard(name="bench-cnn"))


def _signal(shape, lazy):
    import dask.array as da
    import hyperspy.api as hs

    *nav, n_e = shape
    e = 300 + 0.5 * np.arange(n_e)
    clean = (1e4 * (e / 300) ** -3 * (1 + 0.2 * (e > 532))).astype(np.float32)
    if lazy:
        rng = da.random.default_rng(0)
        data = rng.poisson(clean, size=(*nav, n_e), chunks=(16, *nav[1:], n_e)).astype(np.float32)
        s = hs.signals.Signal1D(data).as_lazy()
        s.data = data
    else:
        data = np.random.default_rng(0).poisson(clean, size=(*nav, n_e)).astype(np.float32)
        s = hs.signals.Signal1D(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = 300.0, 0.5, "eV"
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--shape", type=int, nargs="+", default=[64, 64, 2048])
    parser.add_argument("--lazy", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare-unet", action="store_true")
    parser.add_argument("--unet-batch", type=int, default=64)
    args = parser.parse_args()

    import eels_autoid

    net = eels_autoid.load_model(args.model) if args.model else _fallback_model()
    s = _signal(args.shape, args.lazy)
    n = int(np.prod(args.shape[:-1]))
    print(f"model: {net.card.name}; spectra: {n} of {args.shape[-1]} channels; lazy: {args.lazy}")
    rates = {}
    configs = {"check=False": {"check": False}, "check=True": {}, "search=True": {"search": True}}
    for name, extra in configs.items():
        kw = dict(model=net, show_progressbar=False, lazy_output=False, **extra)
        eels_autoid.identify_edges(s, **kw)  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            r = eels_autoid.identify_edges(s, **kw)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        rates[name] = n / med
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"identify_edges({name}): median {med:.2f} s = {n / med:.0f} spectra/s "
            f"(times {', '.join(f'{t:.2f}' for t in times)}); detected: {r.elements}; "
            f"peak resident memory so far {peak:.0f} MB"
        )
    print(
        f"checked / network alone: {rates['check=True'] / rates['check=False']:.0%} "
        "(target >= 80 %)"
    )
    print(
        f"checked and searched / network alone: {rates['search=True'] / rates['check=False']:.0%}"
        " (target >= 70 %)"
    )
    one = s.inav[(0,) * s.axes_manager.navigation_dimension]
    kw = dict(model=net, show_progressbar=False)
    cost = {}
    for name, extra in configs.items():
        eels_autoid.identify_edges(one, **kw, **extra)
        t0 = time.perf_counter()
        eels_autoid.identify_edges(one, **kw, **extra)
        cost[name] = time.perf_counter() - t0
    check = cost["check=True"] - cost["check=False"]
    search = cost["search=True"] - cost["check=True"]
    print(f"check of one spectrum: {check:.2f} s (target < 0.5 s)")
    print(f"search of one spectrum: {search:.2f} s (target < 0.3 s)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB; data size: {s.data.nbytes / 2**20:.0f} MB")
    if args.compare_unet:
        unet_rate = _unet_rate(min(n, 256), args.unet_batch, args.repeats)
        print(f"EELS_ID U-Net (network only, predict_on_batch): {unet_rate:.1f} spectra/s")
        print(f"identify_edges / U-Net: {n / med / unet_rate:.1f}x (target >= 50x)")


def _unet_rate(n, batch, repeats):
    """Spectra/s of the EELS_ID U-Net on ``n`` spectra (untrained: speed does not depend
    on the weights), warmed up on the timed batch shape."""
    from eels_autoid.models import build_model

    unet = build_model("unet")
    x = np.random.default_rng(1).normal(size=(n, 3072, 2)).astype(np.float32)
    unet.predict_on_batch(x[:batch])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            np.asarray(unet.predict_on_batch(x[i : i + batch]))
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


if __name__ == "__main__":
    main()
