"""
Denoise a low-count spectrum image: autoencoder and PCA
=======================================================

A 40 x 30 two-phase Fe oxide map simulated with :mod:`eels_autoid.simulate`,
with about 15 counts per channel at the edges as recorded at hundreds of frames
per second, is denoised by :func:`eels_autoid.denoise.autoencoder` (a small
network trained on the map itself, RapidEELS) and by PCA for comparison; the
phases are then classified from the latent maps with a few labelled pixels.
See :doc:`/denoise`.

Run as a script, ``python examples/denoise/plot_denoise.py [OUTPUT_FOLDER]``
also writes the figures as PNG files into ``OUTPUT_FOLDER``.
"""

import sys
from pathlib import Path

import hyperspy.api as hs
import matplotlib.pyplot as plt
import numpy as np

from eels_autoid.denoise import autoencoder
from eels_autoid.simulate import spectra

hs.preferences.General.show_progressbar = False


# %%
# A two-phase map
# ---------------
# The clean spectra come from the forward model of :mod:`eels_autoid.simulate`
# (noise-free, one microscope setting): Fe2O3 (O K and Fe L2,3, Fe edges
# shifted by +1.5 eV) in phase A and Fe metal (Fe L2,3 only) in phase B. The
# boundary between the phases is wavy, the intensity varies smoothly, the map
# is scaled to about 15 counts per channel over the Fe L2,3 edges and
# Poisson-sampled; ``clean`` is the noise-free truth.
def simulated_map(seed=0, nav=(40, 30)):
    """Fe2O3 and Fe from eels_autoid.simulate, a smooth intensity, Poisson noise."""
    setting = dict(
        noise=False,
        axis=(480.0, 1.0, 512),
        beam_energy=200.0,
        collection_angle=20.0,
        convergence_angle=10.0,
        instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0),
        psf_gaussian_fwhm=(0.6, 0.6),
        psf_lorentzian_hwhm=(0.1, 0.1),
        background_exponent=(3.0, 3.0),
        edge_ratio=(1.0, 1.0),
        fs_amplitude=(0.02, 0.1),
    )
    oxide = spectra(1, elements={"Fe": 2, "O": 3}, chemical_shift=(1.5, 1.5), seed=seed, **setting)
    metal = spectra(1, elements=["Fe"], chemical_shift=(0.0, 0.0), seed=seed + 1, **setting)
    axis = oxide.axes_manager.signal_axes[0]
    e = axis.axis
    phases = np.stack([oxide.data[0], metal.data[0]]).astype(float)
    phases *= 15.0 / phases[:, (e >= 705) & (e < 730)].mean(axis=1, keepdims=True)

    nx, ny = nav
    y, x = np.mgrid[0:ny, 0:nx]
    labels = (x >= 0.45 * nx + 4 * np.sin(2 * np.pi * y / 15)).astype(int)
    intensity = 1 + 0.2 * np.sin(2 * np.pi * x / nx) * np.cos(2 * np.pi * y / (1.5 * ny))
    clean = intensity[..., None] * phases[labels]
    s = hs.signals.Signal1D(np.random.default_rng(seed).poisson(clean).astype(np.float32))
    s.set_signal_type("EELS")
    ax = s.axes_manager.signal_axes[0]
    ax.name, ax.units, ax.offset, ax.scale = "Energy loss", "eV", axis.offset, axis.scale
    s.metadata.General.title = "two-phase Fe oxide (simulated)"
    return s, clean, labels


s, clean, labels = simulated_map()
print(s)

# %%
# Denoise
# -------
# The autoencoder learns from the map itself: its targets are averages of
# each pixel's neighbours. ``compare_pca=(3,)`` also runs HyperSpy's PCA with
# three components, and ``mse_table`` compares both on held-out pixels.
result = autoencoder(s, seed=0, epochs=40, compare_pca=(3,))
print(result.mse_table())

# %%
# One pixel and the mean of the map: raw, PCA, autoencoder and the truth.
e = s.axes_manager.signal_axes[0].axis
pca = result.pca_models[3].data
fig_spectra, axes = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
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
fig_spectra.tight_layout()

# %%
# Classify the phases from the latent maps
# ----------------------------------------
# Six by six labelled pixels per phase train a softmax classifier on the
# latent codes; the last panel is its probability of phase B.
lat = result.latent.data
fig_latent, axes = plt.subplots(1, lat.shape[0] + 1, figsize=(3 * (lat.shape[0] + 1), 2.6))
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
fig_latent.tight_layout()
print(f"pixel accuracy of the phase map: {accuracy:.1%}")

# %%
# As a script with a folder argument, the figures are written as PNGs.
if __name__ == "__main__" and len(sys.argv) > 1:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    fig_spectra.savefig(out / "spectra.png", dpi=120)
    fig_latent.savefig(out / "latent_maps.png", dpi=120)
    print(f"figures written to {out}")
else:
    plt.show()
