"""Every drawn simulation parameter and its default range, in one place.

A range ``(lo, hi)`` is drawn per spectrum (uniformly, or log-uniformly where
:data:`LOG_UNIFORM` says so); a scalar fixes the value. Any of them can be
overridden by keyword in :func:`eels_autoid.simulate.spectra`,
:func:`~eels_autoid.simulate.training_batches` and the dataset writer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SimulationParameters", "DEFAULT_PARAMETERS", "LOG_UNIFORM", "resolve_parameters"]


# The version of the simulated data: bump it whenever the forward model or a
# default changes what is drawn, so that model cards say what a network saw.
#   1: first release (GOS edges, generic fine structure, instrument effects).
#   2: white lines of spin-orbit pairs keep each element's branching ratio;
#      Cs and Ba M4,5 get white lines.
#   3: K and Ca L2,3 get white lines; half of the B, C, N, O K edges a pi* peak.
#   4: most spectra come from a calibrated spectrometer (shift of a few eV),
#      the rest keep the +-15 eV instrument shift.
#   5: background exponents 1.5..4 (was 2..5; real pre-edge backgrounds rarely
#      fall faster than E^-4, and E^-5 buried every edge below 300 eV); Cs, Ba
#      and lanthanide N4,5 edges open with a giant resonance.
#   6: giant resonances ~18 eV above the onset for La..Nd, ~8 eV from Eu to Er
#      (was a straight fall from 16 to 2 eV); edges without white lines get a
#      broad main near-edge peak, often above the jump.
#   7: chemical shifts normal (sigma 2 eV, clipped at +-5 eV; was uniform
#      +-5 eV); giant-resonance spread +-2 eV (was 3); edges without white
#      lines get a second broad resonance 15..35 eV above the onset; a label
#      also needs its edge's counts at >= 3 % of everything else's in the window.
#   8: lanthanide edges shift little between compounds (sigma 0.7 eV, was 2);
#      giant-resonance peaks climb by 2..11 eV per element (Pm's sat on Nd's,
#      Eu's on Sm's); their spread +-1.5 eV (was 2); 80 % of spectra calibrated to
#      sigma 1 eV (was 60 % to 1.5 eV). The sum of those spreads had made
#      neighbouring lanthanides' N4,5 edges (4..7 eV apart) interchangeable
#      even in simulated data.
#   9: the M4,5 edges of Rb..Ag rise late (a broad maximum 20..80 eV above the
#      onset, as in the EELS Atlas oxides) instead of opening with a near-edge
#      peak; real Rh2O3 and PdO had read as Pd and Ag.
#  10: 5 % of spectra also hold an actinide (Ac..U: O4,5, N6,7 and N4,5 edges
#      from the project's LDA GOS), unlabelled: UO2 and ThO2 had read as Cd + Sb.
#  11: lanthanide giant resonances start 5..15 eV below their maximum with
#      weaker multiplet lines and a step (Atlas Ho2O3, Er2O3): real Ho, Er and
#      Tm had read as their lower neighbours.
#  12: d and f white lines (3d/4d L2,3, Cs..Yb M4,5) 2..80 edge amplitudes,
#      log-uniform (was 1..10 uniform): the upper line's peak over the
#      continuum 40..50 eV above it was 0.5..3 in simulated spectra and 2.6..14
#      in 21 of 22 real ones measured (Cr L3 of the FeCr oxide 11, which the
#      network read as O K fine structure); pi* peaks and giant resonances
#      keep 1..10 (``resonance_peak``).
#  13: cross-sections integrated by eels_autoid.gos (the GOS linear in ln q^2,
#      zero beyond the table's last q), within 3e-4 of 12's where an element's
#      cross-section exceeds 1e-3 of its maximum.
SIMULATOR_VERSION = 13


@dataclass(frozen=True)
class SimulationParameters:
    """Default ranges of the forward model (see ``docs/simulate.rst``).

    Attributes
    ----------
    beam_energy : tuple of float
        Beam energies (kV) to choose from: snapped to the cross-section bank's grid.
    collection_angle : (float, float)
        Collection semi-angle (mrad), log-uniform.
    convergence_angle : (float, float)
        Convergence semi-angle (mrad), log-uniform.

    dispersion : (float, float)
        eV per channel, log-uniform (0.01..10).
    channels : (int, int)
        Number of channels, log-uniform; the window is cut at ``max_energy``.
    window_start_mode : (float, float, float)
        Probabilities that the window starts below 0 eV (zero-loss peak in),
        between 20 and 75 eV, or at or above 75 eV.
    start_below_zero, start_low, start_core : (float, float)
        The start ranges (eV) of those three modes.
    max_energy : float
        No window ends above this energy (eV).
    instrument_shift : (float, float)
        Offset of the recorded energy axis from the true one (eV), uniform,
        for the spectra not drawn as calibrated.
    calibrated_fraction : float
        Probability that a spectrum comes from a calibrated spectrometer
        (zero-loss peak or a reference edge set to its energy): its shift is
        then normal with ``calibration_error`` as sigma, clipped to the
        ``instrument_shift`` range. Neighbouring lanthanide N4,5 onsets lie
        5..10 eV apart, so a network that never sees calibrated data cannot
        separate them by position.
    calibration_error : float
        Standard deviation of a calibrated spectrometer's offset (eV).
    scale_error : (float, float)
        Relative contraction or expansion of the recorded energy scale. A
        calibrated spectrometer's dispersion is good to a few tenths of a
        percent; +-2 % (tried first) moves an edge 1 keV into the window by
        +-20 eV, onto its neighbours' onsets, and taught the network to confuse
        O K with V L2,3 and Sb M4,5.

    n_elements : (int, int)
        Number of elements in the composition (inclusive).
    material_bias : float
        Probability that the composition is an oxide, nitride or carbide.
    negative_fraction : float
        Fraction of spectra drawn with no element observable in the window.
    foreign_fraction : float or None
        Fraction of spectra that also hold an element outside the vocabulary
        (Ac, Th, Pa or U; :mod:`eels_autoid.simulate._foreign`), whose
        edges are in the data but never in the labels. ``None``: 5 % of
        drawn compositions, none where the composition is given.
    foreign_amount : (float, float)
        Its atoms per atom of the drawn composition.
    foreign_shift : float
        Its edges move by up to this (eV), uniformly, either way.
    edge_ratio : (float, float)
        Edge-to-background ratio of the main edge (vocabulary definition), log-uniform.
    chemical_shift : (float, float)
        Range of the shift of all edges of an element (eV).
    chemical_shift_sigma : float or None
        Shifts are normal around the range's middle with this standard
        deviation (eV), clipped to the range: most compounds move an edge by
        0..2 eV from its tabulated onset, a few (Si, Al in oxides against the
        metal) by up to 5..6 eV. ``None`` draws them uniformly over the range.
    chemical_shift_sigma_4f : float
        The same for the lanthanides (La..Lu): their 4d and 3d levels sit
        under a localised 4f shell and move by well under 1 eV between
        compounds of one valence (a Ce3+/Ce4+ or Eu2+/Eu3+ change moves them
        1..2 eV). Neighbours' N4,5 edges lie only 4..7 eV apart.

    fs_peaks : (int, int)
        Number of Gaussian peaks per edge.
    fs_span : (float, float)
        Energy range above the onset that holds them (eV).
    atomic_diameter : (float, float)
        Monolayer thickness in the Seah-Dench mean free path (pm).
    white_line : (float, float)
        Height of the white line over the edge amplitude (log-uniform), for
        edges with white lines (K, Ca, 3d and 4d L2,3; Cs..Yb M4,5). Real
        oxides' L3 and M5 peaks stand 2.6..14 times above the continuum
        40..50 eV higher; with the resolution drawn here 2..80 spans that.
    resonance_peak : (float, float)
        Height of the other sharp first peaks over the edge amplitude
        (uniform): the pi* peaks of B, C, N and O K edges and the lanthanide
        N4,5 giant resonances.
    fs_amplitude : (float, float)
        Height of the other peaks relative to the edge amplitude.

    zlp_fwhm : (float, float)
        Zero-loss peak FWHM (eV), log-uniform.
    zlp_lorentz_fraction : (float, float)
        Lorentzian fraction of the pseudo-Voigt zero-loss peak (0 = Gaussian).
    plasmon_energy : (float, float)
        Bulk plasmon energy (eV).
    oxide_plasmon_energy : (float, float)
        Bulk plasmon energy (eV) of compositions with oxygen.
    plasmon_width : (float, float)
        Drude damping (eV).
    second_plasmon_probability : float
        Probability of a second (or surface) plasmon.
    second_plasmon_weight : (float, float)
        Its share of the single-scattering low-loss intensity.
    thickness : (float, float)
        t/lambda, the Poisson parameter of plural scattering.
    max_plasmons : int
        Highest order of plural scattering kept.
    plasmon_to_background : (float, float)
        Single-plasmon peak over the background at its reference energy,
        log-uniform (visible only in windows that reach low losses).

    background_exponent : (float, float)
        r in A (E / E_start)^-r. The local exponents of the real spectra in
        ``shared/real_spectra`` between 60 and 3800 eV have a median of 2.0
        to 2.7 in every energy band and a 90th percentile of 2.4 to 3.5.
    background_level : (float, float)
        A: counts per channel at the window start, log-uniform.
    background_floor : float
        E_start is never below this energy (eV): the power law is held there
        and fades out towards 0 eV, where the low loss takes over.

    psf_gaussian_fwhm : (float, float)
        eV.
    psf_lorentzian_hwhm : (float, float)
        eV.
    gain_noise : (float, float)
        Relative amplitude of the fixed-pattern gain variation.
    readout_noise : (float, float)
        Gaussian readout noise (counts per channel).
    dark_error : (float, float)
        Residual of the dark subtraction, in units of the readout noise.
    spike_probability, dead_channel_probability, hot_channel_probability : float
        Per-spectrum probabilities of cosmic-ray spikes, dead and hot channels.

    fine_points : int
        Points of the fine simulation grid of each spectrum.
    extension : float
        How far below the window the fine grid reaches (eV), so that plural
        scattering from below the window is included.
    """

    # microscope
    beam_energy: tuple = (60.0, 80.0, 100.0, 120.0, 200.0, 300.0)
    collection_angle: tuple = (1.0, 100.0)
    convergence_angle: tuple = (1.0, 20.0)
    # acquisition window
    dispersion: tuple = (0.01, 10.0)
    channels: tuple = (128, 4096)
    window_start_mode: tuple = (0.1, 0.15, 0.75)
    start_below_zero: tuple = (-30.0, -1.0)
    start_low: tuple = (20.0, 75.0)
    start_core: tuple = (75.0, 2900.0)
    max_energy: float = 3300.0
    instrument_shift: tuple = (-15.0, 15.0)
    calibrated_fraction: float = 0.8
    calibration_error: float = 1.0
    scale_error: tuple = (-0.005, 0.005)
    # sample
    n_elements: tuple = (1, 6)
    material_bias: float = 0.5
    negative_fraction: float = 0.05
    foreign_fraction: float | None = None
    foreign_amount: tuple = (0.1, 1.0)
    foreign_shift: float = 3.0
    edge_ratio: tuple = (0.02, 5.0)
    chemical_shift: tuple = (-5.0, 5.0)
    chemical_shift_sigma: float | None = 2.0
    chemical_shift_sigma_4f: float = 0.7
    # fine structure
    fs_peaks: tuple = (10, 25)
    fs_span: tuple = (50.0, 100.0)
    atomic_diameter: tuple = (25.0, 250.0)
    white_line: tuple = (2.0, 80.0)
    resonance_peak: tuple = (1.0, 10.0)
    fs_amplitude: tuple = (0.05, 0.6)
    # low loss
    zlp_fwhm: tuple = (0.05, 2.0)
    zlp_lorentz_fraction: tuple = (0.0, 0.5)
    plasmon_energy: tuple = (5.0, 35.0)
    oxide_plasmon_energy: tuple = (22.0, 30.0)
    plasmon_width: tuple = (2.0, 12.0)
    second_plasmon_probability: float = 0.3
    second_plasmon_weight: tuple = (0.05, 0.4)
    thickness: tuple = (0.1, 1.5)
    max_plasmons: int = 5
    plasmon_to_background: tuple = (2.0, 60.0)
    # background
    background_exponent: tuple = (1.5, 4.0)
    background_level: tuple = (1e2, 1e7)
    background_floor: float = 40.0
    # detector
    psf_gaussian_fwhm: tuple = (0.1, 1.6)
    psf_lorentzian_hwhm: tuple = (0.1, 0.6)
    gain_noise: tuple = (0.0, 0.02)
    readout_noise: tuple = (0.0, 10.0)
    dark_error: tuple = (-2.0, 2.0)
    spike_probability: float = 0.05
    dead_channel_probability: float = 0.03
    hot_channel_probability: float = 0.03
    # numerics
    fine_points: int = 2048
    extension: float = 150.0
    extra: dict = field(default_factory=dict, compare=False)

    def replace(self, **overrides) -> SimulationParameters:
        """A copy with some parameters replaced (unknown names raise)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(
                f"Unknown simulation parameter(s): {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(sorted(names - {'extra'}))}."
            )
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("extra")
        return d


DEFAULT_PARAMETERS = SimulationParameters()

# Parameters spanning decades are drawn log-uniformly.
LOG_UNIFORM = frozenset(
    {
        "collection_angle",
        "convergence_angle",
        "dispersion",
        "channels",
        "edge_ratio",
        "zlp_fwhm",
        "plasmon_to_background",
        "background_level",
        "white_line",
    }
)


def resolve_parameters(parameters=None, **overrides) -> SimulationParameters:
    """Defaults, updated by a :class:`SimulationParameters` and/or keywords."""
    base = parameters if parameters is not None else DEFAULT_PARAMETERS
    return base.replace(**overrides) if overrides else base


def draw(rng, name, params, n, dtype=float):
    """Draw ``n`` values of the parameter ``name`` (a scalar is repeated).

    Parameters
    ----------
    rng : numpy.random.Generator
    name : str
    params : SimulationParameters
    n : int
    """
    value = getattr(params, name)
    if np.isscalar(value):
        return np.full(n, value, dtype=dtype)
    lo, hi = float(value[0]), float(value[-1])
    if lo == hi:
        return np.full(n, lo, dtype=dtype)
    if name in LOG_UNIFORM:
        out = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    else:
        out = rng.uniform(lo, hi, n)
    if dtype is int:
        # Integer ranges are inclusive.
        out = np.floor(out if name in LOG_UNIFORM else rng.uniform(lo, hi + 1, n))
        out = np.clip(out, lo, hi).astype(int)
    return out
