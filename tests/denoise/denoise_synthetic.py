"""A two-phase, low-count Fe oxide spectrum image with known clean spectra.

The clean spectra come from the forward model :func:`eels_autoid.simulate.spectra`
(GOS cross-sections, fine structure, plural scattering, PSF), noiseless, on
one microscope setting and one energy axis (480..991 eV, 1 eV per channel):

* phase A, Fe2O3: O K and Fe L2,3, Fe edges shifted by +1.5 eV (Fe3+);
* phase B, Fe metal: Fe L2,3 only, so an O K edge there would be invented.

The simulator draws white lines at random (around each element's typical
L3/L2 ratio where it knows one). Each phase takes, from ``N_CANDIDATES``
spectra simulated with its settings, the one at a given rank of the L3/L2
ratio (:func:`l3_l2_ratio`): the upper fifth for Fe3+ (phase A), the lower for
phase B, so that the phases also differ by it, as real Fe3+ and Fe0 do.

Thickness varies smoothly over the map (t/lambda between 0.3 and 0.7): each
pixel mixes the phase's spectra simulated at both ends linearly, and its
intensity scales as t exp(-t). The clean map is scaled to ``COUNTS_AT_EDGES`` mean counts per
channel over the Fe L2,3 edges (705..730 eV) and Poisson-sampled.

The spectrum measures used by the tests (onsets, L3/L2, O K jump) live here
too, so that the phases are chosen with the same code that checks them.
"""

from dataclasses import dataclass

import numpy as np

OFFSET, SCALE, N_CHANNELS = 480.0, 1.0, 512
NAV = (40, 30)  # HyperSpy order (x, y)
COUNTS_AT_EDGES = 15.0
THICKNESS = (0.3, 0.7)  # t/lambda at the two ends of the smooth variation
N_CANDIDATES = 24
# Fe L3 and L2 steps of the measures: between the two phases' onsets (708, 709.5 eV).
FE_L3, FE_L2 = 709.0, 722.0

# l3_l2_rank: which of the candidates, ranked by L3/L2, the phase takes (as a
# fraction of the ranks): Fe3+ has the larger white-line ratio.
PHASES = {
    "A": {
        "elements": {"Fe": 2, "O": 3},
        "chemical_shift": 1.5,
        "edge_ratio": 1.0,
        "l3_l2_rank": 0.8,
    },
    "B": {"elements": {"Fe": 1}, "chemical_shift": 0.0, "edge_ratio": 1.5, "l3_l2_rank": 0.2},
}

# One microscope and detector for the whole map; fine structure kept moderate
# beyond the white lines so that L3/L2 is a property of the white lines.
SETTINGS = {
    "axis": (OFFSET, SCALE, N_CHANNELS),
    "beam_energy": 200.0,
    "collection_angle": 20.0,
    "convergence_angle": 10.0,
    "instrument_shift": (0.0, 0.0),
    "scale_error": (0.0, 0.0),
    "psf_gaussian_fwhm": (0.6, 0.6),
    "psf_lorentzian_hwhm": (0.1, 0.1),
    "background_exponent": (3.0, 3.0),
    "background_level": (1000.0, 1000.0),
    "white_line": (6.0, 6.0),
    "resonance_peak": (6.0, 6.0),
    "fs_amplitude": (0.02, 0.1),
}


def energy():
    return OFFSET + SCALE * np.arange(N_CHANNELS)


# --- spectrum measures (the same code on clean, denoised and raw spectra) ---


def _background_subtracted(spectra, lo, hi):
    """Spectra minus a power law fitted (log-log least squares) in [lo, hi) eV."""
    e = energy()
    sel = (e >= lo) & (e < hi)
    flat = np.asarray(spectra, dtype=np.float64).reshape(-1, e.size)
    x = np.log(e[sel])
    y = np.log(np.clip(flat[:, sel], 0.1, None))
    slope, icpt = np.polyfit(x, y.T, 1)
    bg = np.exp(icpt[:, None] + slope[:, None] * np.log(e)[None, :])
    return (flat - bg).reshape(np.shape(spectra))


def _crossing(signal, lo, hi, level):
    """Energy in [lo, hi) eV where the signal first reaches ``level`` (linear interpolation)."""
    e = energy()
    level = np.asarray(level)[..., None]
    sel = (e >= lo) & (e < hi)
    ee, ss = e[sel], signal[..., sel]
    idx = np.argmax(ss >= level, axis=-1)
    i0 = np.clip(idx - 1, 0, None)
    y0 = np.take_along_axis(ss, i0[..., None], -1)[..., 0]
    y1 = np.take_along_axis(ss, idx[..., None], -1)[..., 0]
    return ee[i0] + (level[..., 0] - y0) / np.where(y1 != y0, y1 - y0, 1.0)


def fe_l3_onset(spectra):
    """Where the Fe L3 white line first reaches half its maximum (above the background).

    Half the white line's height, not of a fixed window after the edge: the
    phases' L3 lines lie 1.5 eV apart, and a window that catches one line's
    rise would set a level of a few counts for the other, in the noise.
    """
    e = energy()
    fe = _background_subtracted(spectra, 670, 700)
    return _crossing(fe, 695, 716, fe[..., (e >= 700) & (e < 716)].max(-1) / 2)


def o_k_onset(spectra):
    """Where the O K edge first reaches half its mean height 536..540 eV."""
    e = energy()
    o = _background_subtracted(spectra, 495, 525)
    return _crossing(o, 520, 545, o[..., (e >= 536) & (e < 540)].mean(-1) / 2)


def o_k_jump(spectra):
    """Mean background-subtracted intensity 535..560 eV: the O K edge's size.

    The background is a linear least-squares fit of counts (not of their
    logarithms) in 495..525 eV to E^-2 and E^-4: linear in the counts, so
    unbiased on Poisson data. A log-log fit is not (E[log n] < log E[n] at a
    few tens of counts): it put the median raw phase-B pixel 0.8 counts above
    zero, a sixth of the O K jump it was meant to tell from nothing.
    """
    e = energy()
    sel = (e >= 495) & (e < 525)
    basis = np.stack([(e / 500.0) ** -2, (e / 500.0) ** -4], axis=1)
    flat = np.asarray(spectra, dtype=np.float64).reshape(-1, e.size)
    coef, *_ = np.linalg.lstsq(basis[sel], flat[:, sel].T, rcond=None)
    net = flat - (basis @ coef).T
    return net[:, (e >= 535) & (e < 560)].mean(-1).reshape(np.shape(spectra)[:-1])


def l3_l2_ratio(spectra):
    """L3/L2 intensity ratio: background-subtracted counts in a window on each white line.

    No continuum is removed under the lines. The GOS L2,3 edge has a delayed
    maximum, so a continuum step read tens of eV above the edge (Pearson et
    al.) is wrong, and one read between the lines sums too few channels: at
    15 counts per channel either moves the ratio of the whole map's summed
    spectrum by 5 to 10 %, more than the difference to be tested.
    """
    e = energy()
    fe = _background_subtracted(spectra, 670, 700)
    l3 = fe[..., (e >= FE_L3 - 3) & (e < FE_L3 + 6)].sum(-1)
    l2 = fe[..., (e >= FE_L2 - 2) & (e < FE_L2 + 6)].sum(-1)
    return l3 / l2


# --- the map ---


@dataclass
class TwoPhaseMap:
    """The simulated map and its truth.

    Attributes
    ----------
    raw : exspy.signals.EELSSpectrum
        Poisson counts, navigation (y, x) = (30, 40) in NumPy order.
    clean : numpy.ndarray
        Expected counts, same shape as ``raw.data``.
    phase : numpy.ndarray of int
        0 = A (Fe2O3), 1 = B (Fe), NumPy navigation order (y, x).
    spectra : dict
        Clean spectrum of each phase at mean thickness and intensity.
    elements : dict
        Elements of each phase (simulation truth).
    thickness : numpy.ndarray
        t/lambda per pixel.
    """

    raw: object
    clean: np.ndarray
    phase: np.ndarray
    spectra: dict
    elements: dict
    thickness: np.ndarray


def _phase_spectra(name, seed):
    """Clean spectra (2, channels) of one phase at both thickness ends."""
    from eels_autoid.simulate import spectra

    p = PHASES[name]
    shift = (p["chemical_shift"], p["chemical_shift"])
    ends = [
        spectra(
            N_CANDIDATES,
            elements=p["elements"],
            seed=seed,  # the same draws at both ends: only t/lambda differs
            noise=False,
            thickness=(t, t),
            chemical_shift=shift,
            edge_ratio=(p["edge_ratio"], p["edge_ratio"]),
            **SETTINGS,
        )
        for t in THICKNESS
    ]
    ratio = l3_l2_ratio(np.mean([s.data for s in ends], axis=0))
    k = int(np.argsort(ratio)[round(p["l3_l2_rank"] * (N_CANDIDATES - 1))])
    return np.stack([s.data[k] for s in ends]).astype(np.float64)


def make_two_phase_map(seed=0, nav=NAV):
    """Simulate the two-phase map (about 10 s, most of it loading the cross-sections).

    Parameters
    ----------
    seed : int
        Seeds the phase spectra (``seed``, ``seed + 1``) and the Poisson noise.
    nav : (int, int)
        Navigation shape in HyperSpy order (x, y).

    Returns
    -------
    TwoPhaseMap
    """
    import exspy

    nx, ny = nav
    y, x = np.mgrid[0:ny, 0:nx]
    # A wavy boundary not aligned with any block grid.
    phase = (x >= 0.45 * nx + 4.0 * np.sin(2 * np.pi * y / 15.0)).astype(int)
    # Smooth thickness: a wave plus a gradient along y, spanning both ends.
    w = 0.5 + 0.3 * np.sin(2 * np.pi * x / nx) * np.cos(2 * np.pi * y / (1.5 * ny))
    w = np.clip(w + 0.2 * (2 * y / (ny - 1) - 1), 0.0, 1.0)
    t = THICKNESS[0] + w * (THICKNESS[1] - THICKNESS[0])
    intensity = t * np.exp(-t)  # core-loss intensity of a thin film
    intensity /= intensity.mean()

    ends = {name: _phase_spectra(name, seed + k) for k, name in enumerate(PHASES)}
    stack = np.stack([ends[name] for name in PHASES])  # (phase, end, channel)
    clean = intensity[..., None] * (
        (1 - w)[..., None] * stack[phase, 0] + w[..., None] * stack[phase, 1]
    )
    e = energy()
    edges = (e >= 705) & (e < 730)
    gain = COUNTS_AT_EDGES / clean[..., edges].mean()
    clean *= gain
    raw = np.random.default_rng(seed).poisson(clean).astype(np.float32)

    s = exspy.signals.EELSSpectrum(raw)
    for ax, name in zip(s.axes_manager.navigation_axes, ("x", "y"), strict=True):
        ax.name, ax.units, ax.scale = name, "nm", 0.5
    sa = s.axes_manager.signal_axes[0]
    sa.name, sa.units, sa.offset, sa.scale = "Energy loss", "eV", OFFSET, SCALE
    s.set_microscope_parameters(
        beam_energy=SETTINGS["beam_energy"],
        convergence_angle=SETTINGS["convergence_angle"],
        collection_angle=SETTINGS["collection_angle"],
    )
    s.metadata.General.title = "two-phase Fe oxide (simulated)"
    spectra = {name: gain * ends[name].mean(0) for name in PHASES}
    elements = {name: sorted(PHASES[name]["elements"]) for name in PHASES}
    return TwoPhaseMap(s, clean.astype(np.float32), phase, spectra, elements, t)
