"""Simulated spectra beside real ones of the same composition (docs figure).

Reads four spectra of ``../shared/real_spectra`` (relative to the repository
root), simulates the same composition on the same energy axis and beam
energy with :func:`eels_autoid.simulate.spectra`, and writes
``docs/_static/simulated_vs_real.png``. Run from anywhere::

    python docs/scripts/plot_simulated_vs_real.py
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / ".." / "shared" / "real_spectra"
OUT = ROOT / "docs" / "_static" / "simulated_vs_real.png"

CASES = [
    ("MnO_coreloss.msa", "O + Mn (MnO)", {"Mn": 1, "O": 1}),
    ("SrTiO3_EELS_STO.dm3", "Ti + O (SrTiO3)", {"Ti": 1, "Sr": 1, "O": 3}),
    ("hBN_highloss.dm3", "B + N (h-BN)", {"B": 1, "N": 1}),
    ("FeCr_oxide_coreloss.dm3", "Fe + Cr + O (Fe-Cr oxide)", {"Fe": 1, "Cr": 1, "O": 3}),
]


def load_real(name):
    import hyperspy.api as hs

    s = hs.load(REAL / name)
    if s.axes_manager.navigation_dimension:
        s = s.sum(s.axes_manager.navigation_axes)
    ax = s.axes_manager.signal_axes[0]
    scale = ax.scale * (1000.0 if ax.units == "keV" else 1.0)
    offset = ax.offset * (1000.0 if ax.units == "keV" else 1.0)
    try:
        e0 = float(s.metadata.Acquisition_instrument.TEM.beam_energy)
    except AttributeError:
        e0 = 200.0
    return np.asarray(s.data, dtype=float), offset, scale, e0


def main(seed=7):
    from eels_autoid import simulate

    warnings.filterwarnings("ignore")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    for k, (ax, (name, title, composition)) in enumerate(zip(axes.flat, CASES, strict=True)):
        data, offset, scale, e0 = load_real(name)
        energy = offset + scale * np.arange(len(data))
        sim = simulate.spectra(
            1,
            elements=composition,
            seed=seed + k,
            axis=(offset, scale, len(data)),
            beam_energy=e0,
            # Within the default ranges, the end typical of these acquisitions
            # (thin areas, moderate background slopes, calibrated axes).
            edge_ratio=(0.4, 1.5),
            instrument_shift=(-3.0, 3.0),
            background_level=(3e3, 3e4),
            background_exponent=(2.5, 3.5),
            thickness=(0.2, 0.6),
        )
        sim_data = sim.data[0]

        def norm(y):
            lo, hi = np.percentile(y, [1, 99.5])
            return (y - lo) / (hi - lo)

        ax.plot(energy, norm(data) + 1.1, color="k", lw=0.8, label=f"real: {name}")
        ax.plot(energy, norm(sim_data), color="tab:red", lw=0.8, label="simulated")
        labelled = ", ".join(sim.metadata.Sample.elements) if "Sample" in sim.metadata else "none"
        ax.set_title(f"{title}   (simulated labels: {labelled})", fontsize=9)
        ax.set_xlabel("Energy loss (eV)")
        ax.set_yticks([])
        ax.legend(fontsize=7, loc="upper right", frameon=False)
    fig.suptitle(
        "eels_autoid.simulate: simulated (red) beside real (black), same axis and composition"
    )
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
