"""
Quantify a simulated two-phase spectrum image
=============================================

Wüstite (FeO) beside hematite (Fe2O3), simulated by
:func:`eels_autoid.simulate.spectrum_image` with plural scattering, fine
structure and noise, and quantified by :meth:`s.quantify()
<eels_autoid.signals.EELSAutoIDSpectrum.quantify>`. The simulator stores the
true composition of every pixel, so the atomic-fraction maps can be checked
against it. See :doc:`/quantify`.
"""

# %%
# Simulate the map
# ----------------
# 16 x 24 pixels, 450..950 eV at 0.5 eV per channel, 200 kV, 20 mrad: the
# left half is FeO (O fraction 0.5), the right half Fe2O3 (0.6).
import hyperspy.api as hs
import matplotlib.pyplot as plt
import numpy as np

import eels_autoid
from eels_autoid.simulate import spectrum_image

hs.preferences.General.show_progressbar = False

layout = np.zeros((16, 24), dtype=int)
layout[:, 12:] = 1  # phase index per pixel
s = spectrum_image(
    [{"Fe": 1, "O": 1}, {"Fe": 2, "O": 3}],
    layout.shape,
    layout=layout,
    seed=3,
    axis=(450.0, 0.5, 1000),
    beam_energy=200,
    collection_angle=20,
    convergence_angle=5,
)
s.set_signal_type("EELS_autoid")
print(s)

# %%
# Quantify
# --------
# The elements are given here; without ``elements=``, ``quantify`` takes
# those of an identification (``s.quantify(result)``), of
# ``metadata.Sample.elements``, or identifies the edges itself. Without a
# low-loss spectrum image the result is relative: atomic fractions.
quant = s.quantify(elements=["O", "Fe"])
print(quant)

# %%
# The maps, one per element:
fig = quant.plot()

# %%
# Against the truth
# -----------------
# The mean fitted O fraction in each phase, beside the true one.
truth = np.asarray(s.metadata.Simulation.composition)[..., eels_autoid.ELEMENTS.index("O")]
fitted = quant.get_map("O").data
for true_value in np.unique(np.round(truth, 3)):
    pixels = np.isclose(truth, true_value)
    print(
        f"true O fraction {true_value:.2f}: fitted {np.nanmean(fitted[pixels]):.3f} "
        f"+- {np.nanstd(fitted[pixels]):.3f} over {pixels.sum()} pixels"
    )

# %%
# A profile across the interface, averaged over the rows. The gap between the
# curves is the systematic error of the method on such spectra, the scatter
# of the points its noise.
fig, ax = plt.subplots(figsize=(7, 3.5))
columns = np.arange(truth.shape[1])
ax.plot(columns, truth.mean(axis=0), "k--", label="truth")
ax.plot(columns, np.nanmean(fitted, axis=0), "o-", label="fitted")
ax.set_xlabel("column")
ax.set_ylabel("O atomic fraction")
ax.legend()
fig.tight_layout()
plt.show()
