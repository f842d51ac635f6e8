"""Core-loss cross-sections, their bank on a coarse microscope grid, and fine structure.

Cross-sections come from the project's GOS tables through
:mod:`eels_autoid.gos`, which alone reads and integrates the GOSH file.
Training cannot integrate GOS tables per spectrum, so
:class:`CrossSectionBank` tabulates each element's summed cross-section (all
its subshells) on a fixed energy grid for a coarse grid of beam energies and
effective collection angles, once, and caches it on disk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from scipy import constants

from .. import gos
from .._white_lines import (
    LOWER_PARTNER,
    WHITE_LINE_M,
    WHITE_LINE_POSITION,
    WHITE_LINE_RATIO,
    WHITE_LINE_RATIO_SPREAD,
)
from ..gos import TABLE_OF, effective_angle  # one home for Egerton's formula
from ..vocabulary import ELEMENTS, subshell_onsets

# Subshells shallower than this are valence states: they belong to the low
# loss, not to core-loss edges.
MIN_SUBSHELL_ONSET = 30.0
# How the bank's tables are computed, in its disk cache's key: raise it with
# any change to that computation, so that no cache serves older tables.
TABLES_VERSION = 3

__all__ = [
    "effective_angle",
    "CrossSectionBank",
    "BANK_BEAM_ENERGIES",
    "BANK_ANGLES",
]


# The coarse microscope grid of the bank: the beam energies Annys et al.
# and the real sets use, and effective collection angles, geometric.
BANK_BEAM_ENERGIES = (60.0, 80.0, 100.0, 120.0, 200.0, 300.0)
BANK_ANGLES = tuple(float(a) for a in np.geomspace(1.0, 150.0, 9).round(3))
_ELEMENT_INDEX = {el: i for i, el in enumerate(ELEMENTS)}


def load_cached(path, shape):
    """A cached ``.npy`` block of ``shape``, or None (missing, unreadable, other shape)."""
    try:
        block = np.load(path)
    except (OSError, ValueError):
        return None
    return block if block.shape == tuple(shape) else None


def save_cached(path, block):
    """Write a block to the disk cache atomically (processes may race); never raise."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, block)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the rebuild


class CrossSectionBank:
    """Each element's summed cross-section on a fixed energy grid, per microscope setting.

    ``table[row(element, i_e0, i_angle)]`` holds the sum over the element's
    subshells (those with a GOS table and an onset of at least 30 eV) of
    :func:`eels_autoid.gos.cross_section_settings` (barn/eV) at
    ``E = step * k``, for a parallel beam and the setting's (effective)
    collection angle. Rows are built on first use and cached on disk
    (``cache_dir``, default ``$EELS_AUTOID_CACHE`` or ``~/.cache/eels_autoid``).

    Parameters
    ----------
    gos_file : str or pathlib.Path, optional
        GOSH file; the bundled one (:func:`eels_autoid.gos.gosh_file`) by default.
    step, emax : float
        Energy grid (eV).
    cache_dir : str or pathlib.Path or False, optional
        False disables the disk cache.
    """

    def __init__(self, gos_file=None, *, step=0.5, emax=3500.0, cache_dir=None):
        self.gos_file = Path(gos.gosh_file() if gos_file is None else gos_file)
        self._tables = {el: set(names) for el, names in gos.available_tables(self.gos_file).items()}
        self.step = float(step)
        self.energies = np.arange(0.0, emax + step, step)
        self.beam_energies = np.asarray(BANK_BEAM_ENERGIES)
        self.angles = np.asarray(BANK_ANGLES)
        self.n_settings = len(self.beam_energies) * len(self.angles)
        self._table = None
        self._built = {}  # element -> set of built settings, or True once all are
        self._onsets = {}
        if cache_dir is None:
            cache_dir = os.environ.get("EELS_AUTOID_CACHE", Path.home() / ".cache" / "eels_autoid")
        self.cache_dir = Path(cache_dir) if cache_dir is not False else None

    @property
    def table(self):
        if self._table is None:
            # Untouched rows of np.empty cost no memory: only built elements do.
            self._table = np.empty(
                (len(ELEMENTS) * self.n_settings, len(self.energies)), dtype=np.float32
            )
        return self._table

    def cache_key(self) -> str:
        """Hash of what the bank's tables depend on (GOSH file, grid, settings, computation)."""
        st = self.gos_file.stat()
        h = hashlib.sha1(
            repr(
                (
                    f"gosh:{self.gos_file.resolve()}:{st.st_size}:{int(st.st_mtime)}",
                    self.step,
                    len(self.energies),
                    tuple(self.beam_energies),
                    tuple(self.angles),
                    MIN_SUBSHELL_ONSET,
                    TABLES_VERSION,
                )
            ).encode()
        )
        return h.hexdigest()[:16]

    def setting_index(self, beam_energy, angle):
        """Nearest bank setting (flat index) for beam energies (kV) and effective angles (mrad)."""
        i = np.abs(np.asarray(beam_energy, float)[..., None] - self.beam_energies).argmin(-1)
        j = np.abs(np.log(np.asarray(angle, float))[..., None] - np.log(self.angles)).argmin(-1)
        return i * len(self.angles) + j

    def setting(self, index):
        """(beam energy kV, effective angle mrad) of flat setting indices."""
        index = np.asarray(index)
        return self.beam_energies[index // len(self.angles)], self.angles[index % len(self.angles)]

    def onsets(self, element) -> dict:
        """Subshells of ``element`` in the bank (a table, onset >= 30 eV) and their onsets (eV)."""
        if element not in self._onsets:
            held = self._tables.get(element, ())
            self._onsets[element] = {
                name: onset
                for name, onset in subshell_onsets(element).items()
                if onset >= MIN_SUBSHELL_ONSET and TABLE_OF.get(name) in held
            }
        return self._onsets[element]

    def rows(self, elements, settings):
        """Rows of :attr:`table` for (element, setting index) pairs, building missing ones.

        Only the settings asked for are integrated (all of an element's at
        once); once all settings of an element exist they are saved to the
        disk cache.
        """
        settings = np.asarray(settings, dtype=np.int64).reshape(-1)
        if len(elements) != len(settings):
            raise ValueError(f"{len(elements)} elements for {len(settings)} settings")
        index = np.array([_ELEMENT_INDEX[el] for el in elements], dtype=np.int64)
        for el in set(elements):
            if self._built.get(el) is not True:
                self._ensure(el, settings[index == _ELEMENT_INDEX[el]])
        return index * self.n_settings + settings

    def build_all(self, elements=ELEMENTS):
        """Build (or load) every setting of ``elements`` now, e.g. before timing."""
        for el in elements:
            self._ensure(el, range(self.n_settings))

    def _ensure(self, element, settings):
        """Load or build the rows of ``element`` for ``settings`` (flat indices)."""
        base = _ELEMENT_INDEX[element] * self.n_settings
        built = self._built.get(element)
        if built is True:
            return
        if built is None:
            block = self._load(element)
            if block is not None:
                self.table[base : base + self.n_settings] = block
                self._built[element] = True
                return
            built = self._built[element] = set()
        missing = sorted(set(np.asarray(settings, dtype=np.int64).tolist()) - built)
        if not missing:
            return
        self.table[base + np.asarray(missing)] = self._build(element, missing)
        built.update(missing)
        if len(built) == self.n_settings:
            self._save(element, self.table[base : base + self.n_settings])
            self._built[element] = True

    def _path(self, element):
        return self.cache_dir / f"bank-{self.cache_key()}" / f"{element}.npy"

    def _load(self, element):
        if self.cache_dir is None:
            return None
        return load_cached(self._path(element), (self.n_settings, len(self.energies)))

    def _save(self, element, block):
        if self.cache_dir is not None:
            save_cached(self._path(element), block)

    def _build(self, element, settings):
        """Summed cross-sections of ``element`` for flat setting indices, (n, energies) float32."""
        e0, angle = self.setting(settings)
        block = np.zeros((len(settings), len(self.energies)))
        for name, onset in self.onsets(element).items():
            if onset <= self.energies[-1]:
                block += gos.cross_section_settings(
                    element, name, self.energies, e0, angle, gos_file=self.gos_file
                )
        return block.astype(np.float32)


# --------------------------------------------------------------------------
# Fine structure

_HBAR_EVS = constants.hbar / constants.e
# The same open 4f shell turns their N4,5 (4d -> 4f) into a giant resonance: a
# broad peak several times the edge jump above the onset. The GOS tables give
# only a slow delayed rise, which vanishes on a low-energy background. The
# peak sits ~18 eV above the tabulated onset for La..Pm (La2O3 ~117 eV on
# 99 eV, Nd2O3 ~135 eV on 118 eV) and moves towards the onset as the 4f shell
# fills and contracts, to ~8 eV from Gd to Er (Dy2O3 ~162 eV on 154 eV); a
# spread wider than the 2..7 eV between neighbours' peaks would make them
# interchangeable (nodes below).
_GIANT_RESONANCE_N = WHITE_LINE_M
GIANT_RESONANCE_SPREAD = 1.5  # eV either side of the element's typical offset
GIANT_RESONANCE_WIDTH = (3.0, 12.0)  # FWHM, eV
# Below the maximum, the 4d9 4f(n+1) multiplet's weaker lines and steps start
# the rise 5..15 eV earlier (EELS Atlas oxides: Ho2O3 rises at ~157 eV with a
# shoulder at ~162 eV under its 170 eV maximum, Er2O3 peaks at 168 and 176 eV,
# Nd2O3 has a shoulder ~7 eV below its maximum). A resonance that rose only at
# its maximum put the real, earlier rise on the lower neighbour's (Ho read as
# Dy, Er as Ho, Tm as Er).
GIANT_PRE_EXTENT = (5.0, 15.0)  # eV below the maximum where the multiplet starts
GIANT_PRE_LINES = (1, 3)  # lines below the maximum, the first at the start
GIANT_PRE_HEIGHT = (0.15, 0.85)  # of the maximum, which stays the highest
GIANT_PRE_WIDTH = (1.0, 3.0)  # FWHM, eV: sharp lines, never wider than the maximum
GIANT_PRE_PLATEAU = (0.0, 0.4)  # a broad step under the lines, of the maximum
# Giant-resonance templates peak this far above their start, +- the spread,
# leaving room for the multiplet below.
_GIANT_TEMPLATE_PEAK = GIANT_PRE_EXTENT[1] + GIANT_RESONANCE_SPREAD + 1.0
# The main near-edge peak of edges without white lines: where (eV above the
# onset) and how much larger than the other peaks (times their drawn amplitude,
# so that ``fs_amplitude=(0, 0)`` still removes all fine structure).
NEAR_EDGE_POSITION = (3.0, 15.0)
NEAR_EDGE_BOOST = (1.5, 3.0)
# ... and their second, broader resonance (peak 2), the multiple-scattering
# hump of oxides 15..35 eV above the onset (O K of Cr2O3 and Fe2O3 at
# ~550-565 eV): it lies under the Cr L3,2 white lines, which a network that
# never saw it read as part of the O K edge.
SECOND_RESONANCE_POSITION = (15.0, 35.0)
SECOND_RESONANCE_MIN_WIDTH = 6.0  # FWHM, eV
# The M4,5 edges of Rb..Ag (3d -> 4f, epsilon-f) have no white lines and no
# near-edge peak: the centrifugal barrier delays their rise, and the Gatan EELS
# Atlas oxides show it 20..80 eV above the tabulated onset (Y2O3 ~180 eV on
# 160 eV, ZrO2 ~213 eV on 181 eV, Nb2O5 ~245 eV on 202 eV, Rh2O3 ~340 eV on
# 308 eV, PdO ~415 eV on 335 eV) with only faint structure before it. With the
# generic near-edge peak (3..15 eV) they opened sharply at the onset, and a
# network read a real edge's late rise as the next element's onset (Rh2O3 as
# Pd, PdO as Ag). Their templates get one broad peak in that range instead,
# and the other peaks fade in over the first tens of eV.
_DELAYED_M = set(range(37, 48))  # Rb..Ag
DELAYED_MAIN_POSITION = (20.0, 80.0)  # eV above the onset
DELAYED_MAIN_WIDTH = (15.0, 40.0)  # FWHM, eV
DELAYED_FADE_IN = 20.0  # eV: other peaks scale by 1 - exp(-E / this)
# B, C, N and O K edges open with a sharp pi* peak in sp2 and molecular bonding
# (h-BN, graphite, N2) and a pre-peak in transition-metal oxides, often
# several times the edge jump. Drawn for half of those edges; without it a
# sharp peak at an onset meant a white line, e.g. V L3 beside O K.
PI_STAR_K = frozenset({5, 6, 7, 8})
PI_STAR_PROBABILITY = 0.5


def has_delayed_maximum(z: int, subshell: str) -> bool:
    """Whether a subshell of element ``z`` rises late and smoothly (M4,5 of Rb..Ag)."""
    return subshell in ("M5", "M4", "M4,5") and z in _DELAYED_M


def has_giant_resonance(z: int, subshell: str) -> bool:
    """Whether a subshell of element ``z`` opens with a 4d -> 4f giant resonance.

    Only N5 carries it: N4 shares its onset, and one peak per element is what
    a spectrum shows.
    """
    return subshell in ("N5", "N4,5") and z in _GIANT_RESONANCE_N


def giant_resonance_offset(z) -> np.ndarray:
    """Typical energy (eV) of the N4,5 giant resonance's peak above the onset.

    12 eV for Cs and Ba, 18 eV for La..Pm, 11 eV for Sm and Eu, 8 eV from Gd
    to Er, 2 eV for Tm and 5 eV for Yb; drawn spectra scatter by
    +-:data:`GIANT_RESONANCE_SPREAD` around it.
    """
    z = np.asarray(z, dtype=float)
    return np.interp(z, _GIANT_RESONANCE_Z, _GIANT_RESONANCE_PEAK)


# Nodes of giant_resonance_offset: atomic number and peak above the onset (eV).
# The peaks must climb with Z like the onsets, by more than their spread: a
# straight line from Nd (18 eV) to Eu (8 eV) put Pm on Nd (135.7 and 136 eV)
# and Eu on Sm (142 and 141.3 eV), and Tm's tabulated onset (180 eV, 12 eV
# above Er's where its neighbours step by 4..7) put its peak on Yb's. Peaks:
# La 117, Ce 128, Pr 132, Nd 136, Pm 139, Sm 141, Eu 145, Gd 149, Tb 156,
# Dy 162, Ho 169, Er 176, Tm 182, Yb 189 eV.
_GIANT_RESONANCE_Z = (55.0, 56.0, 57.0, 61.0, 62.0, 63.0, 64.0, 68.0, 69.0, 70.0)
_GIANT_RESONANCE_PEAK = (12.0, 12.0, 18.0, 18.0, 11.0, 11.0, 8.0, 8.0, 2.0, 5.0)


def giant_resonance_delay(z) -> np.ndarray:
    """How far above the onset (eV) a giant-resonance template starts, so that
    its peak lands at :func:`giant_resonance_offset`.

    Negative for all but La..Pm (maxima 18 eV above the onset): the template
    leaves room for the multiplet below the maximum, which may then begin
    under the tabulated onset (Gd..Yb, maxima only 2..8 eV above it).
    """
    return giant_resonance_offset(z) - _GIANT_TEMPLATE_PEAK


def lifetime_width(energy_above, atomic_diameter_pm):
    """Lifetime broadening Gamma = hbar / tau (eV) of a photo-electron.

    tau = lambda / v with lambda the Seah-Dench inelastic mean free path of
    elements, lambda = a (538 / E^2 + 0.41 sqrt(a E)) (a the monolayer
    thickness in nm, E in eV) and v the electron's speed at E.
    """
    e = np.maximum(np.asarray(energy_above, dtype=float), 0.5)
    a = np.asarray(atomic_diameter_pm, dtype=float) * 1e-3
    imfp_m = a * (538.0 / e**2 + 0.41 * np.sqrt(a * e)) * 1e-9
    v = np.sqrt(2 * e * constants.e / constants.m_e)
    return _HBAR_EVS * v / imfp_m


FS_STEP = 0.25  # eV, template grid
FS_LENGTH = int(round(110.0 / FS_STEP))


def first_peak_cap(params) -> float:
    """Cap on a template's value (edge amplitudes): the highest white line or resonance."""
    return float(max(np.max(params.white_line), np.max(params.resonance_peak)))


def fine_structure_templates(rng, n, params, white):
    """Random fine-structure templates on ``[0, FS_LENGTH * FS_STEP)`` eV above an onset.

    Each is a sum of 10..25 Gaussian peaks over the first 50..100 eV, in units
    of the edge amplitude, with lifetime-broadened widths; it is exactly zero
    outside ``[0, span]`` (a taper brings it to zero at the span), so it stays
    in its window. Templates with white lines start with a sharp peak
    ``params.white_line`` times the edge amplitude.

    Returns
    -------
    templates : numpy.ndarray, float32, shape (n, FS_LENGTH)
    spans : numpy.ndarray, shape (n,)
    """
    parts = fine_structure_parts(rng, n, params, white)
    t = parts["rest"] + parts["height"][:, None] * parts["white"]
    return np.minimum(t, first_peak_cap(params)).astype(np.float32), parts["span"]


def fine_structure_parts(rng, n, params, white, giant=None, delayed=None):
    """The pieces of :func:`fine_structure_templates`, for edges whose white line is scaled.

    ``giant`` (bool, n) turns the white line of those templates into a giant
    resonance, :data:`GIANT_RESONANCE_WIDTH` wide, peaking
    ``_GIANT_TEMPLATE_PEAK +- GIANT_RESONANCE_SPREAD`` eV above the
    template's start, with its multiplet's lines and step below the maximum
    (``GIANT_PRE_*``); the simulator starts it :func:`giant_resonance_delay`
    above the onset. ``delayed`` (bool, n) gives templates without white
    lines a broad main peak :data:`DELAYED_MAIN_POSITION` above the onset
    instead of the near-edge one, no onset peak, and other peaks that fade
    in over :data:`DELAYED_FADE_IN` (M4,5 of Rb..Ag).

    Returns
    -------
    dict
        ``rest`` (n, FS_LENGTH): every peak but the white line, >= -0.8;
        ``white`` (n, FS_LENGTH): the white line at unit height (zero where
        ``white`` is False); ``height`` (n,): its drawn height; ``width``
        (n,): its FWHM (eV); ``span`` (n,). A template is
        ``min(rest + height * white, highest white line or resonance)``.
    """
    from ._parameters import draw

    white = np.asarray(white, dtype=bool)
    giant = np.zeros(n, bool) if giant is None else np.asarray(giant, dtype=bool)
    white = white | giant
    x = np.arange(FS_LENGTH) * FS_STEP
    n_peaks = draw(rng, "fs_peaks", params, n, dtype=int)
    span = draw(rng, "fs_span", params, n)
    diameter = draw(rng, "atomic_diameter", params, n)
    max_peaks = int(n_peaks.max()) if n else 0
    pos = rng.uniform(0, 1, (n, max_peaks)) ** 1.5 * span[:, None]  # denser near the onset
    # The first peak: a white line where the edge has one.
    pos[:, 0] = rng.uniform(*WHITE_LINE_POSITION, n)
    # Edges without a white line get one broad main peak (peak 1) a few eV above
    # the onset, often above the jump itself (the O K main peak of oxides, the
    # Si K and Al K peaks of SiO2 and Al2O3): generic peaks alone never made a
    # simulated O K look like a real oxide's.
    main = ~white
    boost = rng.uniform(*NEAR_EDGE_BOOST, n)
    if max_peaks > 1:
        pos[:, 1] = np.where(main, rng.uniform(*NEAR_EDGE_POSITION, n), pos[:, 1])
    if max_peaks > 2:
        pos[:, 2] = np.where(main, rng.uniform(*SECOND_RESONANCE_POSITION, n), pos[:, 2])
    # Core-hole lifetime (~0.2..1 eV) plus the photo-electron's lifetime.
    width = rng.uniform(0.2, 1.0, (n, 1)) + lifetime_width(pos, diameter[:, None])
    width = np.minimum(width, 25.0)
    amp = draw(rng, "fs_amplitude", params, n * max_peaks).reshape(n, max_peaks)
    amp *= rng.choice([-1.0, 1.0], (n, max_peaks), p=[0.35, 0.65])
    if max_peaks > 1:
        amp[:, 1] = np.where(main, np.abs(amp[:, 1]) * boost, amp[:, 1])
        width[:, 1] = np.where(main, np.maximum(width[:, 1], 2.0), width[:, 1])
    if max_peaks > 2:
        amp[:, 2] = np.where(main, np.abs(amp[:, 2]) * boost, amp[:, 2])
        width[:, 2] = np.where(
            main, np.maximum(width[:, 2], SECOND_RESONANCE_MIN_WIDTH), width[:, 2]
        )
    amp *= np.exp(-pos / (0.5 * span[:, None]))  # oscillations fade above the edge
    late = main & (np.zeros(n, bool) if delayed is None else np.asarray(delayed, dtype=bool))
    if late.any():
        amp[late] *= 1.0 - np.exp(-pos[late] / DELAYED_FADE_IN)
        if max_peaks > 1:
            k = np.nonzero(late)[0]
            pos[k, 1] = rng.uniform(*DELAYED_MAIN_POSITION, len(k))
            width[k, 1] = rng.uniform(*DELAYED_MAIN_WIDTH, len(k))
            amp[k, 1] = np.abs(draw(rng, "fs_amplitude", params, len(k))) * boost[k]
    amp[np.arange(max_peaks)[None, :] >= n_peaks[:, None]] = 0.0
    height = np.where(white, draw(rng, "white_line", params, n), 0.0)
    if giant.any():
        height = np.where(giant, draw(rng, "resonance_peak", params, n), height)
    amp[:, 0] = np.where(white | late, 0.0, np.abs(amp[:, 0]) + 0.3)
    width[:, 0] = np.where(white, rng.uniform(0.8, 2.5, n), width[:, 0])
    if max_peaks and giant.any():
        peak = _GIANT_TEMPLATE_PEAK + rng.uniform(-1, 1, n) * GIANT_RESONANCE_SPREAD
        pos[:, 0] = np.where(giant, peak, pos[:, 0])
        width[:, 0] = np.where(giant, rng.uniform(*GIANT_RESONANCE_WIDTH, n), width[:, 0])
    sigma = width / 2.3548

    def gaussian(k):
        return np.exp(-0.5 * ((x[None, :] - pos[:, k, None]) / sigma[:, k, None]) ** 2)

    def multiplet(rows):
        """Lines and a step below the giant resonances' maxima, in units of the maximum."""
        m = len(rows)
        top = pos[rows, 0]
        start = top - rng.uniform(*GIANT_PRE_EXTENT, m)
        k = np.arange(GIANT_PRE_LINES[1])
        n_lines = rng.integers(GIANT_PRE_LINES[0], GIANT_PRE_LINES[1] + 1, m)
        at = start[:, None] + rng.uniform(0, 1, (m, len(k))) * (top - 2.0 - start)[:, None]
        at[:, 0] = start
        height = rng.uniform(*GIANT_PRE_HEIGHT, (m, len(k))) * (k[None, :] < n_lines[:, None])
        sd = rng.uniform(*GIANT_PRE_WIDTH, (m, len(k))) / 2.3548
        lines = height[:, :, None] * np.exp(
            -0.5 * ((x[None, None, :] - at[:, :, None]) / sd[:, :, None]) ** 2
        )
        # The step rises over the first line and holds until the maximum.
        rise = np.clip((x[None, :] - start[:, None]) / (2 * sd[:, :1]) + 0.5, 0, 1)
        step = rng.uniform(*GIANT_PRE_PLATEAU, m)[:, None] * rise * (x[None, :] < top[:, None])
        out = lines.sum(axis=1) + step
        # Where lines and step overlap, scale them down to the highest drawn line
        # (or the step's upper bound): the maximum stays the highest point.
        highest = np.maximum(height.max(axis=1), GIANT_PRE_PLATEAU[1])
        return out * np.minimum(1.0, highest / np.maximum(out.max(axis=1), 1e-12))[:, None]

    rest = np.zeros((n, FS_LENGTH))
    for k in range(max_peaks):
        rest += amp[:, k, None] * gaussian(k)
    # Rise from zero at the onset and taper to zero at the span: nothing leaks
    # out. Never let fine structure make the cross-section negative (the white
    # line only adds).
    taper = np.clip(x[None, :] / 0.5, 0, 1) * np.clip((span[:, None] - x[None, :]) / 10.0, 0, 1)
    rest = np.maximum(rest * taper, -0.8 * taper)
    first = np.where(white[:, None], gaussian(0) * taper, 0.0) if max_peaks else 0.0 * rest
    if max_peaks and giant.any():
        g = np.nonzero(giant)[0]
        shape = np.maximum(first[g], multiplet(g) * taper[g])
        first[g] = shape / shape.max(axis=1, keepdims=True)  # the maximum stays at unit height
    return {
        "rest": rest.astype(np.float32),
        "white": np.asarray(first, dtype=np.float32),
        "height": height,
        "width": width[:, 0] if max_peaks else np.zeros(n),
        "span": span,
    }


def white_line_heights(element, names, heights, amplitudes, widths, rng, maximum=np.inf):
    """Tie the upper white line of a spin-orbit pair to the lower one.

    Parameters
    ----------
    element : str
    names : sequence of str
        Subshell names of one element's edges that carry white lines.
    heights, amplitudes, widths : numpy.ndarray
        Drawn white-line heights (in edge amplitudes), the edge amplitudes
        (the cross-section's jump at each onset) and the white lines' FWHM.
    rng : numpy.random.Generator
    maximum : float
        Highest allowed height: a pair that would exceed it is scaled down
        as a whole, keeping its ratio.

    Returns
    -------
    numpy.ndarray
        Heights with ``I(lower) / I(upper)`` (peak area, ~ height x amplitude
        x width) equal to :data:`WHITE_LINE_RATIO` times a log-normal spread;
        edges without a partner keep their height.
    """
    heights = np.array(heights, dtype=float)
    ratio = WHITE_LINE_RATIO.get(element)
    if ratio is None:
        return heights
    index = {name: k for k, name in enumerate(names)}
    for upper, lower in LOWER_PARTNER.items():
        if upper in index and lower in index:
            u, lo = index[upper], index[lower]
            r = ratio * np.exp(WHITE_LINE_RATIO_SPREAD * rng.standard_normal())
            area_lower = heights[lo] * amplitudes[lo] * widths[lo]
            heights[u] = area_lower / max(r * amplitudes[u] * widths[u], 1e-30)
            if heights[u] > maximum:
                heights[[lo, u]] *= maximum / heights[u]
    return heights
