"""
Identify the elements of a simulated spectrum image
===================================================

A LaMnO3 / BaTiO3 / SrTiO3 superlattice, like Fig. 7 of Annys et al. (2023),
simulated by :func:`eels_autoid.simulate.superlattice` with realistic
background, plural scattering, fine structure and noise. The simulator stores
the truth of every pixel in ``metadata.Simulation``, so we can put the maps
of the bundled model beside it.
"""

# %%
# Simulate the map
# ----------------
# 12 x 36 pixels, 400..1000 eV at 0.5 eV per channel: Ti L2,3, O K, Mn L2,3,
# Ba M4,5 and La M4,5 lie in the window; Sr has no edge there.
import hyperspy.api as hs
import matplotlib.pyplot as plt
import numpy as np

import eels_autoid
from eels_autoid.simulate import superlattice

hs.preferences.General.show_progressbar = False

s = superlattice(shape=(12, 36), period=6, seed=7)
# The simulator lists the true elements in metadata.Sample.elements: forget
# them, so that what is there after identification is what the network found.
del s.metadata.Sample.elements
s.set_signal_type("EELS_autoid")
print(s)

# %%
# One spectrum per layer: the median over its pixels (which ignores the
# cosmic-ray spikes the simulator adds to some spectra), on a log scale.
energy = s.axes_manager.signal_axes[0].axis
fig, ax = plt.subplots(figsize=(8, 4))
for k, name in enumerate(["LaMnO3", "BaTiO3", "SrTiO3"]):
    layer = s.data[:, 6 * k : 6 * (k + 1)]  # columns of the k-th layer (period 6)
    ax.semilogy(energy, np.median(layer, axis=(0, 1)), lw=0.8, label=name)
ax.set_xlabel("energy loss (eV)")
ax.set_ylabel("counts")
ax.legend()
fig.tight_layout()

# %%
# Identify the edges
# ------------------
# One call runs the network over every pixel and decides which elements are
# present, with the thresholds of the model card.
result = s.identify_edges()
print(result)
print(result.summary())

# %%
# The detected elements are now in the signal's metadata, where
# ``create_model`` and ``quantify`` read them:
print(s.metadata.Sample.elements)

# %%
# The summed spectrum with the edges of the detected elements marked:
result.plot()

# %%
# Probability maps beside the truth
# ---------------------------------
# ``get_map`` returns a HyperSpy ``Signal2D`` per element; here we draw their
# data with matplotlib, above the per-pixel labels of the simulation.
truth = np.asarray(s.metadata.Simulation.labels)  # (rows, columns, 80)
shown = ["La", "Mn", "Ba", "Ti", "O"]
fig, axes = plt.subplots(2, len(shown), figsize=(12, 3.6), layout="constrained")
for k, element in enumerate(shown):
    image = axes[0, k].imshow(result.get_map(element).data, vmin=0, vmax=1, cmap="viridis")
    axes[0, k].set_title(f"P({element})")
    axes[1, k].imshow(truth[..., eels_autoid.ELEMENTS.index(element)], vmin=0, vmax=1, cmap="gray")
    axes[1, k].set_title(f"{element}, truth")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes[0, :], label="probability", shrink=0.8)
# sphinx_gallery_thumbnail_number = 3

# %%
# How often the pixel-wise decisions agree with the truth, per element:
p = result.probabilities.data  # (rows, columns, 80)
for element in shown:
    i = eels_autoid.ELEMENTS.index(element)
    agree = np.mean((p[..., i] > result.thresholds[i]) == truth[..., i].astype(bool))
    print(f"{element:2s}: {agree:6.1%} of the pixels right")

# %%
# Thresholds and ensemble spread
# ------------------------------
# ``threshold=`` overrides the model's thresholds (one value, or a dict per
# element); ``min_area_fraction`` is the share of pixels an element must be
# found in. Neither changes the probabilities.
strict = s.identify_edges(threshold=0.9, min_area_fraction=0.2, add_elements=False)
print("default:", result.elements, " strict:", strict.elements)

# %%
# For an ensemble, ``uncertainty`` holds the spread of its members'
# probabilities: large where they disagree.
if result.uncertainty is not None:
    spread = result.uncertainty.data.max(axis=(0, 1))
    worst = np.argsort(spread)[::-1][:5]
    for i in worst:
        print(f"{eels_autoid.ELEMENTS[i]:2s}: largest member spread {spread[i]:.3f}")

plt.show()
