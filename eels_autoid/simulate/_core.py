"""The numpy-only batch simulator: one call draws and simulates n spectra.

:func:`simulate_batch` carries a :class:`_Batch` through these stages, each
vectorised over the batch:

1. draw the microscope, the acquisition window (``_window``), a composition
   (``_composition``), the low loss, the detector and the background
   (:func:`_draw_batch`), and a few unlabelled edges of an element outside
   the vocabulary (:func:`_draw_foreign_edges`);
2. on a fine grid in true energy: the power-law background
   (:func:`_background`) and, for each element, its summed subshell
   cross-sections from the bank, shifted chemically (:func:`_draw_pairs`),
   with fine structure added at its K, L2,3, M4,5 and N4,5 subshells
   (:func:`_pair_edges`, ``_fine_structure``);
3. the response kernel (plural scattering, zero-loss peak, PSF) and the low
   loss (:func:`_response`);
4. set the edge scale so that the main edge has the drawn edge-to-background
   ratio (:func:`eels_autoid.vocabulary.edge_to_background_ratio`) in the
   *noiseless recorded spectrum*, i.e. after plural scattering, the PSF and
   binning; those are linear, so the window sums are computed exactly from
   the cumulative response kernel without simulating each part separately
   (:func:`_label_windows`, :func:`_window_sums`, :func:`_edge_scale`);
5. convolve with the response kernel, add the low loss, bin into the
   channels, add detector effects (:func:`_record`);
6. labels: elements observable in the window (vocabulary) whose edge counts
   exceed 3 sqrt(counts of everything else), and 3 % of them, in one of
   their edge windows (:func:`_detect`, :func:`_labels`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..vocabulary import EDGES, ELEMENTS, ratio_width
from . import _lowloss
from ._background import power_law
from ._composition import chemical_shifts, draw_compositions, observable_matrix
from ._detector import acquire, draw_detector
from ._edges import CrossSectionBank, effective_angle
from ._fine_structure import add_fine_structure
from ._foreign import FOREIGN_FRACTION, foreign_edges
from ._labels import is_detectable
from ._parameters import SimulationParameters, draw, resolve_parameters
from ._window import (
    bin_to_channels,
    channel_positions,
    draw_windows,
    fine_grids,
    to_recorded,
    to_true,
    window_channels,
)

_BANK = None


def get_bank(bank=None) -> CrossSectionBank:
    """The process-wide cross-section bank (built lazily), or ``bank`` if given."""
    global _BANK
    if bank is not None:
        return bank
    if _BANK is None:
        _BANK = CrossSectionBank()
    return _BANK


def set_bank(bank):
    """Replace the process-wide bank (e.g. after the GOS tables appear)."""
    global _BANK
    _BANK = bank


@dataclass
class _Pairs:
    """The (spectrum, element) pairs of a batch, sorted by spectrum: one edge row each."""

    spec: np.ndarray  # spectrum index
    element: list
    fraction: np.ndarray
    shift: np.ndarray  # chemical shift, eV
    rows: np.ndarray  # bank rows at each pair's microscope setting


@dataclass
class _Response:
    """The response on each fine grid and the low loss it carries."""

    k_hat: np.ndarray  # Fourier transform of the kernel
    kernel: np.ndarray  # plural scattering, zero-loss peak and PSF
    cumulative: np.ndarray  # cumulative kernel, for exact window sums
    lowloss_kernel: np.ndarray  # the kernel tapered to the low loss
    lowloss_cumulative: np.ndarray
    lowloss_intensity: np.ndarray  # (n,) i0
    lowloss: np.ndarray  # the low loss itself on the fine grid


@dataclass
class _Windows:
    """Edge windows for the ratio and the detectability rule, one row per (spectrum, edge)."""

    spec: np.ndarray
    pair: np.ndarray
    c0: np.ndarray  # channel range [c0, c1)
    c1: np.ndarray
    onset: np.ndarray  # recorded eV
    width: np.ndarray  # eV
    edge: list  # "Fe L2,3"
    main: np.ndarray  # (n,) row of the spectrum's main edge, -1 without one

    @property
    def nchan(self):
        return self.c1 - self.c0


@dataclass
class _WindowSums:
    """Window sums of the noiseless recorded spectrum at unit edge scale."""

    edge: np.ndarray  # the window's own element
    edges: np.ndarray  # all edges (foreign ones included)
    background: np.ndarray  # background and low loss


@dataclass
class _Batch:
    """A batch on its way through :func:`simulate_batch`.

    The draws and the fine grids are set by :func:`_draw_batch`; the fields
    after them by the stages named in their comments.
    """

    params: SimulationParameters
    rng: np.random.Generator
    bank: CrossSectionBank
    microscope: dict  # beam energy, collection and convergence angles
    window: dict  # recorded axis and its calibration errors
    compositions: list  # elements, fractions, main edge per spectrum
    lowloss: dict  # zero-loss peak, plasmons, thickness
    detector: dict
    background_exponent: np.ndarray
    background_level: np.ndarray
    edge_ratio: np.ndarray
    m: np.ndarray  # fine grid of spectrum i: (m[i] + j) * step[i] eV, j < L
    step: np.ndarray
    energy: np.ndarray  # (n, L) true eV
    foreign: np.ndarray | None = None  # _draw_foreign_edges
    foreign_names: list | None = None
    background: np.ndarray | None = None  # _background (counts per eV)
    pairs: _Pairs | None = None  # _draw_pairs
    sigma: np.ndarray | None = None  # _pair_edges (P, L), unit scale
    edges: np.ndarray | None = None  # _sum_edges (n, L), unit scale
    response: _Response | None = None  # _response
    windows: _Windows | None = None  # _label_windows
    scale: np.ndarray | None = None  # _edge_scale
    signal: np.ndarray | None = None  # _detect, per window
    other: np.ndarray | None = None
    detected: np.ndarray | None = None

    @property
    def n(self):
        return self.energy.shape[0]

    @property
    def L(self):
        return self.energy.shape[1]

    @property
    def true_dispersion(self):
        return self.window["scale"] / (1.0 + self.window["scale_error"])

    @property
    def true_start(self):
        """True energy of the first channel (not below the background floor)."""
        w = self.window
        return np.maximum(
            to_true(w["offset"], w["shift"], w["scale_error"]), self.params.background_floor
        )


def simulate_batch(
    n,
    *,
    rng=None,
    seed=None,
    elements=None,
    parameters=None,
    bank=None,
    shared_axis=False,
    shared_microscope=False,
    noise=True,
    components=False,
    **overrides,
):
    """Simulate ``n`` spectra (numpy only).

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator, optional
    seed : int or sequence, optional
        Used when ``rng`` is None.
    elements : sequence of str, or sequence of sequences, optional
        Fixed composition(s) instead of drawn ones.
    parameters : SimulationParameters, optional
    bank : CrossSectionBank, optional
    shared_axis : bool
        One acquisition window (offset, dispersion, size, calibration) for all.
    shared_microscope : bool
        One beam energy and pair of angles for all.
    noise : bool
        False gives the noiseless expected counts.
    components : bool
        Also return the noiseless background (with the low loss), main-element
        and all-edge parts after the full chain (slow: for tests and plots).
    **overrides
        Any :class:`~eels_autoid.simulate.SimulationParameters` field.

    Returns
    -------
    dict
        ``counts`` (n, N) float32 (padding channels 0), ``offset``,
        ``scale``, ``size`` (n,) of the recorded axes, ``truth`` (dict of
        per-spectrum arrays and lists), ``labels`` (n, 80) uint8, and
        ``components`` if asked.
    """
    params = resolve_parameters(parameters, **overrides)
    rng = rng if rng is not None else np.random.default_rng(seed)
    b = _draw_batch(
        n,
        rng,
        params,
        get_bank(bank),
        elements=elements,
        shared_axis=shared_axis,
        shared_microscope=shared_microscope,
    )
    # Drawn before the edges' own random draws, so that runs that differ only
    # in those (fine-structure switches) get the same foreign edges.
    b.foreign, b.foreign_names = _draw_foreign_edges(b, elements)
    b.background = _background(b)
    b.pairs = _draw_pairs(b)
    b.sigma = _pair_edges(b)
    b.edges = _sum_edges(b)
    b.response = _response(b)
    b.windows = _label_windows(b)
    sums = _window_sums(b)
    b.scale = _edge_scale(b, sums)
    b.signal, b.other, b.detected = _detect(b, sums)
    counts, expected = _record(b, noise=noise, keep_expected=components)
    labels = _labels(b)
    win = b.window
    out = {
        "counts": counts,
        "offset": win["offset"].copy(),
        "scale": win["scale"].copy(),
        "size": win["size"].copy(),
        "truth": _truth(b),
        "labels": labels,
        "parameters": params,
    }
    if components:
        out["components"] = _components(b, expected)
    return out


def _draw_microscope(rng, n, params, shared):
    e0 = rng.choice(np.atleast_1d(np.asarray(params.beam_energy, float)), n)
    beta = draw(rng, "collection_angle", params, n)
    alpha = draw(rng, "convergence_angle", params, n)
    if shared:
        e0, beta, alpha = (np.full(n, v[0]) for v in (e0, beta, alpha))
    return {"beam_energy": e0, "collection_angle": beta, "convergence_angle": alpha}


def _draw_lowloss(rng, n, params, oxide):
    # Oxides have their bulk plasmon at 22..30 eV.
    ep = np.where(
        oxide, draw(rng, "oxide_plasmon_energy", params, n), draw(rng, "plasmon_energy", params, n)
    )
    second = rng.random(n) < params.second_plasmon_probability
    # A second bulk plasmon, or the surface plasmon at Ep / sqrt(2).
    surface = rng.random(n) < 0.5
    e2 = np.where(surface, ep / np.sqrt(2), draw(rng, "plasmon_energy", params, n))
    return {
        "zlp_fwhm": draw(rng, "zlp_fwhm", params, n),
        "zlp_lorentz_fraction": draw(rng, "zlp_lorentz_fraction", params, n),
        "plasmon_energy": ep,
        "plasmon_width": draw(rng, "plasmon_width", params, n),
        "second_energy": e2,
        "second_width": draw(rng, "plasmon_width", params, n),
        "second_weight": np.where(second, draw(rng, "second_plasmon_weight", params, n), 0.0),
        "thickness": draw(rng, "thickness", params, n),
        "plasmon_to_background": draw(rng, "plasmon_to_background", params, n),
    }


def _share(d, shared, keys=None):
    """Give every spectrum the first spectrum's value (one setting per call)."""
    if shared:
        for k in keys or d:
            d[k] = np.full_like(d[k], d[k][0])
    return d


def _draw_batch(n, rng, params, bank, *, elements, shared_axis, shared_microscope):
    """Draw every per-spectrum setting (in a fixed order: the random stream) and the fine grids."""
    mic = _draw_microscope(rng, n, params, shared_microscope)
    win = _share(draw_windows(rng, n, params), shared_axis)
    ends = win["offset"] + win["scale"] * (win["size"] - 1)
    comps = draw_compositions(rng, n, params, win["offset"], ends, elements)
    oxide = np.array(["O" in c["elements"] for c in comps])
    low = _draw_lowloss(rng, n, params, oxide)
    det = draw_detector(rng, n, params)
    exponent = draw(rng, "background_exponent", params, n)
    level = draw(rng, "background_level", params, n)
    ratio = draw(rng, "edge_ratio", params, n)
    m, step = fine_grids(win, params)
    energy = (m[:, None] + np.arange(int(params.fine_points))[None, :]) * step[:, None]
    return _Batch(
        params=params,
        rng=rng,
        bank=bank,
        microscope=mic,
        window=win,
        compositions=comps,
        lowloss=low,
        detector=det,
        background_exponent=exponent,
        background_level=level,
        edge_ratio=ratio,
        m=m,
        step=step,
        energy=energy,
    )


def _draw_foreign_edges(b, elements):
    """Unlabelled edges of an element outside the vocabulary (an actinide) in a few spectra."""
    mic = b.microscope
    beta = effective_angle(
        mic["beam_energy"], 400.0, mic["convergence_angle"], mic["collection_angle"]
    )
    fraction = b.params.foreign_fraction
    if fraction is None:  # a given composition means exactly those elements
        fraction = FOREIGN_FRACTION if elements is None else 0.0
    settings = b.bank.setting_index(mic["beam_energy"], beta)
    return foreign_edges(b.rng, fraction, b.params, b.bank, b.energy, settings)


def _background(b):
    """The power-law background (counts per eV): A counts per channel at the window start."""
    return power_law(
        b.energy,
        b.background_level / b.true_dispersion,
        b.background_exponent,
        b.true_start,
        b.params.background_floor,
    )


def _draw_pairs(b):
    """The (spectrum, element) pairs, their chemical shifts and bank rows."""
    comps, mic = b.compositions, b.microscope
    spec = np.concatenate([np.full(len(c["elements"]), i) for i, c in enumerate(comps)])
    element = [el for c in comps for el in c["elements"]]
    fraction = np.concatenate([c["fractions"] for c in comps])
    shift = chemical_shifts(b.rng, b.params, element)
    first_onset = np.array([_reference_onset(b.bank, el) for el in element])
    beta_eff = effective_angle(
        mic["beam_energy"][spec],
        first_onset,
        mic["convergence_angle"][spec],
        mic["collection_angle"][spec],
    )
    setting = b.bank.setting_index(mic["beam_energy"][spec], beta_eff)
    rows = b.bank.rows(element, setting)
    return _Pairs(spec=spec, element=element, fraction=fraction, shift=shift, rows=rows)


def _pair_edges(b):
    """Each pair's cross-section at unit scale (barn/eV x fraction), with fine structure."""
    p = b.pairs
    sigma = _lookup(b.bank, p.rows, b.energy[p.spec, 0] - p.shift, b.step[p.spec], b.L)
    sigma *= p.fraction.astype(np.float32)[:, None]
    add_fine_structure(sigma, p, b.energy, b.step, rng=b.rng, params=b.params, bank=b.bank)
    return sigma


def _sum_edges(b):
    """All edges of each spectrum at unit scale, the foreign ones included."""
    starts = np.searchsorted(b.pairs.spec, np.arange(b.n))
    edges = np.add.reduceat(b.sigma, starts, axis=0)
    if b.foreign is not None:
        edges += b.foreign  # part of everything-but-the-label in the windows
    return edges


def _response(b):
    """The response kernel on each fine grid and the low loss."""
    step, L, low = b.step, b.L, b.lowloss
    shape = _lowloss.plasmon_shapes(step, L, low)
    k_hat = _lowloss.response_ft(step, L, low, b.detector, int(b.params.max_plasmons), shape)
    kernel = _lowloss.kernel_real(k_hat, L)
    ll_kernel = kernel * _lowloss.lowloss_taper(step, L)
    i0 = _lowloss_intensity(b, shape)
    return _Response(
        k_hat=k_hat,
        kernel=kernel,
        cumulative=_lowloss.cumulative_kernel(kernel),
        lowloss_kernel=ll_kernel,
        lowloss_cumulative=_lowloss.cumulative_kernel(ll_kernel),
        lowloss_intensity=i0,
        lowloss=_lowloss.lowloss_on_grid(ll_kernel, b.m, i0, step),
    )


def _lowloss_intensity(b, plasmon_shapes):
    """The low-loss intensity i0 from the drawn plasmon-to-background ratio."""
    low, floor = b.lowloss, b.params.background_floor
    e_ref = np.maximum(2 * low["plasmon_energy"], floor)
    # The low-loss intensity is set against the background extrapolated down to
    # the plasmon region; a steep exponent over a decade would make it absurd
    # (real spectra flatten towards low losses), so the extrapolation uses r <= 3.
    r_ref = np.minimum(b.background_exponent, 3.0)
    a = b.background_level / b.true_dispersion
    bkg_ref = power_law(e_ref[:, None], a, r_ref, b.true_start, floor)[:, 0]
    p1 = np.maximum(_lowloss.poisson_weights(low["thickness"], 1)[:, 1], 0.05)
    return low["plasmon_to_background"] * bkg_ref * b.step / (p1 * plasmon_shapes.max(axis=1))


@functools.cache
def _first_identification_onset(element):
    return next((e.onset for e in EDGES if e.element == element), None)


def _reference_onset(bank, element):
    # The effective angle is evaluated at the element's first identification
    # edge (or its first subshell in the bank): one setting per element.
    onset = _first_identification_onset(element)
    if onset is not None:
        return onset
    ons = bank.onsets(element)
    return min(ons.values()) if ons else 100.0


def _lookup(bank, rows, first, step, L):
    """Bank rows interpolated linearly at ``first + j * step`` eV, j < L (float32, (P, L)).

    Float32 and int32 throughout: this gather over every (spectrum, element)
    pair and fine-grid point is the largest cost of a batch.
    """
    table = bank.table
    ncol = table.shape[1]
    pos = (first / bank.step).astype(np.float32)[:, None] + (step / bank.step).astype(np.float32)[
        :, None
    ] * np.arange(L, dtype=np.float32)
    # Below 0 eV the table is 0 (no subshell that shallow); above its end
    # the last value is held.
    np.clip(pos, 0, ncol - 1.001, out=pos)
    k = pos.astype(np.int32)
    pos -= k
    base = k
    base += (rows * ncol).astype(np.int32)[:, None]
    flat = table.reshape(-1)
    lo = flat[base]
    base += 1
    hi = flat[base]
    hi -= lo
    hi *= pos
    hi += lo
    return hi


def _label_windows(b):
    """Edge windows (recorded eV) of the observable edges of each spectrum's elements."""
    win, comps, shift = b.window, b.compositions, b.pairs.shift
    spec, pair, onset, width, edge_name = [], [], [], [], []
    main = np.full(len(comps), -1)
    starts = win["offset"]
    obs_all = observable_matrix(starts, starts + win["scale"] * (win["size"] - 1))
    p = 0
    for i, c in enumerate(comps):
        obs = [EDGES[k] for k in np.nonzero(obs_all[i])[0]]
        for el in c["elements"]:
            for e in (e for e in obs if e.element == el):
                if c["main_edge"] is not None and e == c["main_edge"]:
                    main[i] = len(spec)
                spec.append(i)
                pair.append(p)
                onset.append(
                    to_recorded(e.onset + shift[p], win["shift"][i], win["scale_error"][i])
                )
                width.append(ratio_width(e))
                edge_name.append(f"{e.element} {e.name}")
            p += 1
    spec = np.asarray(spec, dtype=np.int64)
    lo = np.asarray(onset, dtype=float)
    hi = np.asarray([o + w for o, w in zip(onset, width, strict=True)], dtype=float)
    c0, c1 = window_channels(win["offset"][spec], win["scale"][spec], win["size"][spec], lo, hi)
    return _Windows(
        spec=spec,
        pair=np.asarray(pair, dtype=np.int64),
        c0=c0,
        c1=c1,
        onset=np.asarray(onset),
        width=np.asarray(width),
        edge=edge_name,
        main=main,
    )


def _window_positions(win, m, step, spec, c0, c1):
    """Fine-index boundary positions of channel ranges [c0, c1)."""
    off, sc = win["offset"][spec], win["scale"][spec]
    rec_lo = off + (c0 - 0.5) * sc
    rec_hi = off + (c1 - 0.5) * sc
    t_lo = to_true(rec_lo, win["shift"][spec], win["scale_error"][spec])
    t_hi = to_true(rec_hi, win["shift"][spec], win["scale_error"][spec])
    return t_lo / step[spec] - m[spec], t_hi / step[spec] - m[spec]


def _window_sums(b):
    """Exact window sums of the recorded spectrum's parts, from the cumulative kernel."""
    w, r, L = b.windows, b.response, b.L
    lo, hi = _window_positions(b.window, b.m, b.step, w.spec, w.c0, w.c1)
    weights = _lowloss.kernel_window_weights(r.cumulative, r.kernel, w.spec, lo, hi, L)
    weights *= b.step[w.spec, None]
    lowloss = _lowloss.window_lowloss(
        r.lowloss_cumulative, r.lowloss_kernel, w.spec, lo, hi, b.m, r.lowloss_intensity, L
    )
    return _WindowSums(
        edge=np.einsum("ij,ij->i", b.sigma[w.pair], weights),
        edges=np.einsum("ij,ij->i", b.edges[w.spec], weights),
        background=np.einsum("ij,ij->i", b.background[w.spec], weights) + lowloss,
    )


def _edge_scale(b, sums):
    """Each spectrum's edge scale: its main edge gets the drawn edge-to-background ratio.

    Without a main edge (negatives), the strongest element's edges get the
    ratio in the first 50 eV of the window, so that tails of edges below the
    window look real.
    """
    scale = np.zeros(b.n)
    has_main = b.windows.main >= 0
    mw = b.windows.main[has_main]
    scale[has_main] = (
        b.edge_ratio[has_main] * sums.background[mw] / np.maximum(sums.edge[mw], 1e-300)
    )
    if (~has_main).any():
        scale[~has_main] = _negative_scale(b, ~has_main)
    return np.where(np.isfinite(scale), scale, 0.0)


def _negative_scale(b, which):
    """Edge scale of spectra without a main edge (single-scattering estimate)."""
    idx = np.nonzero(which)[0]
    win = b.window
    lo = to_true(win["offset"][idx], win["shift"][idx], win["scale_error"][idx])
    inside = (b.energy[idx] >= lo[:, None]) & (b.energy[idx] <= lo[:, None] + 50)
    e = (b.edges[idx] * inside).sum(1)
    bkg = (b.background[idx] * inside).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e > 0, b.edge_ratio[idx] * bkg / e, 0.0)


def _detect(b, sums):
    """Each window's signal, everything else in it, and whether the signal is detectable."""
    k = b.scale[b.windows.spec]
    signal = k * sums.edge
    other = sums.background + k * sums.edges - signal
    detected = is_detectable(signal, other) & (b.windows.nchan > 0)
    return signal, other, detected


def _record(b, *, noise, keep_expected):
    """The recorded counts, and the noiseless expected counts if ``keep_expected``."""
    r = b.response
    single = b.background + b.scale[:, None] * b.edges
    fine = _lowloss.plural_scattering(single, r.k_hat)[:, : b.L] + r.lowloss
    size = b.window["size"]
    n_max = int(size.max())
    counts = np.zeros((b.n, n_max), dtype=np.float32)
    expected = np.zeros((b.n, n_max)) if keep_expected else None
    # Bin and acquire in groups of similar channel counts: padding every
    # spectrum to the longest window would multiply the work several times.
    order = np.argsort(size, kind="stable")
    for group in np.array_split(order, max(1, min(4, b.n // 32))):
        if not len(group):
            continue
        g_max = int(size[group].max())
        g_win = {k: v[group] for k, v in b.window.items()}
        pos = channel_positions(g_win, b.m[group], b.step[group], g_max)
        g_lam = np.maximum(bin_to_channels(fine[group], b.step[group], pos), 0.0)
        g_det = {k: v[group] for k, v in b.detector.items()}
        counts[group, :g_max] = acquire(b.rng, g_lam, g_win["size"], g_det, noise=noise)
        if keep_expected:
            expected[group, :g_max] = g_lam
    return counts, expected


def _labels(b):
    """Multi-hot labels: the elements with a detectable edge window."""
    labels = np.zeros((b.n, len(ELEMENTS)), dtype=np.uint8)
    w = b.windows
    for k in np.nonzero(b.detected)[0]:
        labels[w.spec[k], ELEMENTS.index(b.pairs.element[w.pair[k]])] = 1
    return labels


def _components(b, expected):
    """The noiseless parts of the recorded spectra, and the fine-grid single scattering."""
    main_sigma = np.zeros_like(b.background)
    main = b.windows.main
    for i in np.nonzero(main >= 0)[0]:
        main_sigma[i] = b.sigma[b.windows.pair[main[i]]]
    positions = channel_positions(b.window, b.m, b.step, int(b.window["size"].max()))
    r = b.response

    def chain(ssd, with_ll=False):
        f = _lowloss.plural_scattering(ssd, r.k_hat)[:, : b.L] + (r.lowloss if with_ll else 0.0)
        return bin_to_channels(f, b.step, positions)

    scale = b.scale[:, None]
    return {
        "background": chain(b.background, with_ll=True),
        "main_edge": chain(scale * main_sigma),
        "edges": chain(scale * b.edges),
        "noiseless": expected,
        "fine_energy": b.energy,
        "fine_single_scattering": b.background + scale * b.edges,
        "fine_edges_unit": b.edges,
    }


def _truth(b):
    """Per-spectrum truth: composition, edge windows and every drawn parameter."""
    per_el = [[] for _ in range(b.n)]
    p = 0
    for i, c in enumerate(b.compositions):
        for k, el in enumerate(c["elements"]):
            per_el[i].append(
                {
                    "element": el,
                    "fraction": float(c["fractions"][k]),
                    "chemical_shift": float(b.pairs.shift[p]),
                }
            )
            p += 1
    w = b.windows
    edges = [[] for _ in range(b.n)]
    for k in range(len(w.spec)):
        i = w.spec[k]
        edges[i].append(
            {
                "edge": w.edge[k],
                "onset": float(w.onset[k]),
                "width": float(w.width[k]),
                "signal": float(b.signal[k]),
                "background": float(b.other[k]),
                "detected": bool(b.detected[k]),
                "main": bool(w.main[i] == k),
            }
        )
    comps = b.compositions
    return {
        "composition": per_el,
        "edges": edges,
        "main_edge": [c["main_edge"].label if c["main_edge"] is not None else "" for c in comps],
        "main_onset": np.array([w.onset[k] if k >= 0 else np.nan for k in w.main]),
        "main_width": np.array([w.width[k] if k >= 0 else np.nan for k in w.main]),
        "edge_ratio": np.where(w.main >= 0, b.edge_ratio, np.nan),
        "negative_drawn": np.array([c["negative"] for c in comps]),
        "edge_scale": b.scale,
        "background_level": b.background_level,
        "background_exponent": b.background_exponent,
        "lowloss_intensity": b.response.lowloss_intensity,
        "instrument_shift": b.window["shift"],
        "scale_error": b.window["scale_error"],
        **{k: np.asarray(v) for k, v in b.microscope.items()},
        **{k: np.asarray(v) for k, v in b.lowloss.items()},
        **{k: np.asarray(v) for k, v in b.detector.items()},
        "foreign_element": b.foreign_names,
    }
