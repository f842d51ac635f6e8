"""Spectra per second for training and applying the denoising autoencoder on this machine.

Run: ``python benchmarks/bench_denoise.py [--channels 1024] [--nav 64 64]``.
The goal (issue 7) is to apply faster than a 400 fps detector acquires.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _map(nav, channels, seed=0):
    """A Poisson spectrum image: power-law background and two edges, two regions."""
    import hyperspy.api as hs

    rng = np.random.default_rng(seed)
    e = 400.0 + np.arange(channels) * (600.0 / channels)
    base = 20.0 * (e / 400.0) ** -3 + 8.0 * (e > 532) * (e / 532.0) ** -2.5
    other = base + 6.0 * (e > 708) * (e / 708.0) ** -2
    nx, ny = nav
    half = (np.arange(nx) >= nx // 2)[None, :].repeat(ny, 0)
    clean = np.where(half[..., None], other, base)
    s = hs.signals.Signal1D(rng.poisson(clean).astype(np.float32))
    s.axes_manager.signal_axes[0].offset = e[0]
    s.axes_manager.signal_axes[0].scale = e[1] - e[0]
    return s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nav", type=int, nargs=2, default=(64, 64), metavar=("X", "Y"))
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import hyperspy.api as hs

    from eels_autoid.denoise import autoencoder

    hs.preferences.General.show_progressbar = False
    s = _map(tuple(args.nav), args.channels)
    n = s.axes_manager.navigation_size
    # The first call pays for importing and tracing TensorFlow; time a second one.
    autoencoder(s, epochs=1, seed=0)
    r = autoencoder(s, epochs=args.epochs, seed=0)
    train = r.timings["spectra_trained"] / r.timings["train_s"]
    apply_times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        autoencoder(s, model=r.model)
        apply_times.append(time.perf_counter() - t0)
    apply_call = n / min(apply_times)  # whole call: normalising, network, signals
    apply_net = n / r.timings["apply_s"]
    print(f"map {args.nav[0]} x {args.nav[1]} x {args.channels} channels, {os.cpu_count()} CPUs")
    t_s = r.timings["train_s"]
    print(f"training : {train:10.0f} spectra/s ({args.epochs} epochs, {t_s:.1f} s)")
    print(f"applying : {apply_net:10.0f} spectra/s (network) "
          f"{apply_call:10.0f} spectra/s (whole call)")  # fmt: skip
    print(f"goal     : {400:10d} spectra/s (400 fps detector) -> "
          f"{'met' if apply_call > 400 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
