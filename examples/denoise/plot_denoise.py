"""Denoise a low-count two-phase spectrum image: raw vs autoencoder vs PCA.

Builds a simulated 40 x 30 Fe oxide map (~15 counts per channel at the edges),
denoises it with :func:`eels_autoid.denoise.autoencoder` (with the PCA
comparison), classifies the phases from the latent maps and writes PNGs to the
folder given on the command line (default: a new temporary folder).

Run: ``python examples/denoise/plot_denoise.py [OUTPUT_FOLDER]``.
"""

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # writes files; no window needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def simulated_map(seed=0, nav=(40, 30), n=512):
    """Power-law background, O K (phase A only) and Fe L2,3 white lines, Poisson noise."""
    import hyperspy.api as hs

    e = 480.0 + np.arange(n)

    def step(onset, width=1.0):
        return 0.5 + np.arctan((e - onset) / width) / np.pi

    def peak(centre, height, width=1.2):
        return height * np.exp(-0.5 * ((e - centre) / width) ** 2)

    def phase(oxygen, l3_l2):
        spec = 8.0 * (e / 700.0) ** -3
        if oxygen:
            spec = spec + 7.0 * step(533.0, 0.8) * (np.maximum(e, 532) / 532) ** -2.5
            spec = spec + peak(538.0, 5.0, 1.5)
        spec = spec + 3.0 * (np.maximum(e, 708) / 708) ** -2 * (step(709) + 0.5 * step(722))
        return spec + peak(709.5, 12.0) + peak(722.5, 12.0 / l3_l2)

    nx, ny = nav
    y, x = np.mgrid[0:ny, 0:nx]
    labels = (x >= 0.45 * nx + 4 * np.sin(2 * np.pi * y / 15)).astype(int)
    clean = np.stack([phase(True, 5.0), phase(False, 3.0)])[labels]
    s = hs.signals.Signal1D(np.random.default_rng(seed).poisson(clean).astype(np.float32))
    s.set_signal_type("EELS")
    ax = s.axes_manager.signal_axes[0]
    ax.name, ax.units, ax.offset, ax.scale = "Energy loss", "eV", 480.0, 1.0
    return s, clean, labels


def main(out=None):
    import hyperspy.api as hs

    from eels_autoid.denoise import autoencoder

    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="eels_autoid_denoise_"))
    out.mkdir(parents=True, exist_ok=True)
    hs.preferences.General.show_progressbar = False
    s, clean, labels = simulated_map()
    result = autoencoder(s, seed=0, epochs=40, compare_pca=(3,))
    print(result.mse_table())
    e = s.axes_manager.signal_axes[0].axis
    pca = result.pca_models[3].data

    fig, axes = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    iy, ix = 15, 5
    for ax, pick, title in (
        (axes[0], lambda a: a[iy, ix], f"pixel (x={ix}, y={iy})"),
        (axes[1], lambda a: a.mean((0, 1)), "mean of the map"),
    ):
        ax.plot(e, pick(s.data), color="0.7", lw=0.8, label="raw")
        ax.plot(e, pick(pca), lw=1, label="PCA, 3 components")
        ax.plot(e, pick(result.denoised.data), lw=1, label="autoencoder")
        ax.plot(e, pick(clean), "k--", lw=0.8, label="clean truth")
        ax.set_title(title)
        ax.set_ylabel("counts")
    axes[1].set_xlabel("energy loss (eV)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "spectra.png", dpi=120)

    lat = result.latent.data
    fig, axes = plt.subplots(1, lat.shape[0] + 1, figsize=(3 * (lat.shape[0] + 1), 2.6))
    for i, ax in enumerate(axes[:-1]):
        ax.imshow(lat[i])
        ax.set_title(f"latent {i}")
    mask_a = np.zeros(labels.shape, bool)
    mask_b = np.zeros(labels.shape, bool)
    mask_a[10:16, 2:8] = mask_b[10:16, 30:36] = True
    classes = result.classify({"A": mask_a, "B": mask_b}, seed=0)
    axes[-1].imshow(classes.probabilities.data[1], vmin=0, vmax=1, cmap="coolwarm")
    accuracy = np.mean(classes.class_map.data == labels)
    axes[-1].set_title(f"P(B), accuracy {accuracy:.1%}")
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(out / "latent_maps.png", dpi=120)
    print(f"figures written to {out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
