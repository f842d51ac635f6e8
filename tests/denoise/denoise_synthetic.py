"""A two-phase, low-count Fe oxide spectrum image with known clean spectra.

``eels_autoid.simulate`` was not available when these tests were written, so
the map is built here from simple physics: a power-law background, an O K edge
(phase A only) and Fe L2,3 white lines on their continuum steps, with a
different L3/L2 ratio in each phase, broadened by a 0.6 eV resolution, scaled
by a smooth thickness map and Poisson-sampled at about 15 counts per channel at
the edges.
"""

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

OFFSET, SCALE, N_CHANNELS = 480.0, 1.0, 512
NAV = (40, 30)  # HyperSpy order (x, y)
O_K, FE_L3, FE_L2 = 532.0, 708.0, 721.0
L3_L2 = {"A": 5.0, "B": 3.0}  # white-line area ratios of the two phases


def energy():
    return OFFSET + SCALE * np.arange(N_CHANNELS)


def _step(e, onset, width):
    return 0.5 + np.arctan((e - onset) / width) / np.pi


def phase_spectrum(phase):
    """Clean spectrum of a phase for unit thickness, counts per channel."""
    e = energy()
    spec = 8.0 * (e / 700.0) ** -3.0  # ~8 counts at 700 eV, ~25 at 480 eV
    if phase == "A":
        onset = _step(e, O_K + 1.0, 0.8) * (np.maximum(e, O_K) / O_K) ** -2.5
        spec = spec + 7.0 * onset + 5.0 * np.exp(-0.5 * ((e - (O_K + 6.0)) / 1.5) ** 2)
    fe_continuum = (np.maximum(e, FE_L3) / FE_L3) ** -2.0
    steps = _step(e, FE_L3 + 1.0, 1.0) + 0.5 * _step(e, FE_L2 + 1.0, 1.0)
    spec = spec + 3.0 * fe_continuum * steps
    # White lines: Gaussian peaks of equal width, areas in the phase's L3/L2 ratio,
    # the L3 peak ~12 counts high.
    area_l3 = 12.0 * np.sqrt(2 * np.pi) * 1.2
    area_l2 = area_l3 / L3_L2[phase]
    for centre, area in ((FE_L3 + 1.5, area_l3), (FE_L2 + 1.5, area_l2)):
        spec = spec + area / (np.sqrt(2 * np.pi) * 1.2) * np.exp(-0.5 * ((e - centre) / 1.2) ** 2)
    return gaussian_filter1d(spec, 0.6 / SCALE)


@dataclass
class TwoPhaseMap:
    raw: object  # EELSSpectrum, Poisson counts
    clean: np.ndarray  # expected counts, same shape as raw.data
    phase: np.ndarray  # 0 = A, 1 = B, NumPy navigation order (y, x)
    spectra: dict  # clean unit-thickness spectrum of each phase


def make_two_phase_map(seed=0, nav=NAV):
    import exspy  # noqa: F401  (registers the EELS signal type)
    import hyperspy.api as hs

    nx, ny = nav
    y, x = np.mgrid[0:ny, 0:nx]
    # A wavy boundary not aligned with any block grid.
    phase = (x >= 0.45 * nx + 4.0 * np.sin(2 * np.pi * y / 15.0)).astype(int)
    thickness = 1.0 + 0.2 * np.sin(2 * np.pi * x / nx) * np.cos(2 * np.pi * y / (1.5 * ny))
    spectra = {"A": phase_spectrum("A"), "B": phase_spectrum("B")}
    stack = np.stack([spectra["A"], spectra["B"]])
    clean = thickness[..., None] * stack[phase]
    raw = np.random.default_rng(seed).poisson(clean).astype(np.float32)
    s = hs.signals.Signal1D(raw)
    s.set_signal_type("EELS")
    for ax, name in zip(s.axes_manager.navigation_axes, ("x", "y"), strict=True):
        ax.name, ax.units, ax.scale = name, "nm", 0.5
    sa = s.axes_manager.signal_axes[0]
    sa.name, sa.units, sa.offset, sa.scale = "Energy loss", "eV", OFFSET, SCALE
    s.metadata.General.title = "two-phase Fe oxide (simulated)"
    return TwoPhaseMap(s, clean.astype(np.float32), phase, spectra)
