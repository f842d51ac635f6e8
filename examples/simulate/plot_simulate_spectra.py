"""
Simulated spectra and their labels
==================================

The identifier is trained on spectra from :mod:`eels_autoid.simulate`, a
forward model with power-law background, edges from the package's GOS
tables, near-edge fine structure, plural scattering, detector blur and
noise (see :doc:`/simulate`). Every simulated signal carries its truth in
``metadata.Simulation``: this example draws a few spectra, plots them with
their labels, and shows what the network is fed in training.
"""

# %%
# A fixed composition
# -------------------
# Four MnO spectra: 400..800 eV at 0.25 eV per channel, 200 kV, 20 mrad.
# One call shares one axis and microscope setting; background level,
# thickness, edge strength and noise are drawn per spectrum.
import hyperspy.api as hs
import matplotlib.pyplot as plt
import numpy as np

import eels_autoid
from eels_autoid import simulate

hs.preferences.General.show_progressbar = False

s = simulate.spectra(
    4,
    elements={"Mn": 1, "O": 1},
    seed=0,
    axis=(400.0, 0.25, 1600),
    beam_energy=200,
    collection_angle=20,
    convergence_angle=5,
)
print(s)
print("labelled:", s.metadata.Sample.elements)
print("edge-to-background ratio of the main edge:", np.round(s.metadata.Simulation.edge_ratio, 2))
print("thickness t/lambda:", np.round(s.metadata.Simulation.thickness, 2))

# %%
energy = s.axes_manager.signal_axes[0].axis
fig, ax = plt.subplots(figsize=(8, 4))
for i, spectrum in enumerate(s.data):
    ax.plot(energy, spectrum / spectrum.max() + 0.6 * i, lw=0.8)
ax.set_xlabel("energy loss (eV)")
ax.set_ylabel("counts (normalised, offset)")
ax.set_title("MnO: O K at 532 eV, Mn L2,3 at 640 eV")
fig.tight_layout()

# %%
# Drawn compositions
# ------------------
# Without ``elements`` every spectrum gets its own composition, 1..6
# elements, half of them oxides, nitrides or carbides. The labels are the
# elements that are present *and* detectable: an edge too weak for the noise,
# or outside the window, is not labelled.
s = simulate.spectra(6, seed=3, axis=(300.0, 0.5, 1400))
y = simulate.labels(s)  # (6, 80) multi-hot in ELEMENTS order
composition = s.metadata.Simulation.composition  # atomic fractions, (6, 80)
energy = s.axes_manager.signal_axes[0].axis
fig, axes = plt.subplots(3, 2, figsize=(9, 7), sharex=True)
for i, ax in enumerate(axes.flat):
    present = [el for k, el in enumerate(eels_autoid.ELEMENTS) if composition[i, k] > 0]
    labelled = [el for k, el in enumerate(eels_autoid.ELEMENTS) if y[i, k]]
    ax.plot(energy, s.data[i], lw=0.7)
    title = f"sample {', '.join(present)}\nlabels {', '.join(labelled) or '(none)'}"
    ax.set_title(title, fontsize=9)
    ax.set_yticks([])
for ax in axes[-1]:
    ax.set_xlabel("energy loss (eV)")
fig.tight_layout()

# %%
# What the network reads
# ----------------------
# Training batches are drawn with a new window, dispersion and microscope
# setting for every spectrum, and come already resampled onto the model's
# 1 eV grid with the same preprocessing as ``identify_edges``: channel 0 is
# the compressed intensity, channel 1 the mask of measured channels.
batches = simulate.training_batches(8, seed=0, keras=False)
x, y = batches[0]
print("x", x.shape, x.dtype, " y", y.shape, y.dtype)
fig, ax = plt.subplots(figsize=(8, 3.5))
grid = np.arange(x.shape[1])
for i in range(3):
    measured = x[i, :, 1] > 0
    labels = [el for k, el in enumerate(eels_autoid.ELEMENTS) if y[i, k]]
    ax.plot(grid[measured], x[i, measured, 0] + 3 * i, lw=0.7, label=", ".join(labels) or "none")
ax.set_xlabel("model grid (eV)")
ax.set_ylabel("network input (offset)")
ax.legend(title="labels", fontsize=8)
fig.tight_layout()
plt.show()
