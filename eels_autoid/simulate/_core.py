"""The numpy-only batch simulator: one call draws and simulates n spectra.

Per spectrum (vectorised over the batch):

1. draw the microscope, the acquisition window (``_window``) and a
   composition (``_composition``);
2. on a fine grid in true energy: the power-law background and, for each
   element, its summed subshell cross-sections from the bank (each element
   shifted chemically), with fine structure added at its K, L2,3, M4,5 and
   N4,5 subshells;
3. set the edge scale so that the main edge has the drawn edge-to-background
   ratio (:func:`eels_autoid.vocabulary.edge_to_background_ratio`) in the
   *noiseless recorded spectrum*, i.e. after plural scattering, the PSF and
   binning; those are linear, so the window sums are computed exactly from
   the cumulative response kernel without simulating each part separately;
4. convolve with the response kernel (plural scattering, zero-loss peak,
   PSF), add the low loss, bin into the channels, add detector effects;
5. labels: elements observable in the window (vocabulary) whose edge counts
   exceed 3 sqrt(counts of everything else), and 3 % of them, in one of
   their edge windows.
"""

from __future__ import annotations

import functools

import numpy as np

from ..vocabulary import EDGES, ELEMENTS, atomic_number, ratio_width
from . import _lowloss
from ._background import power_law
from ._composition import chemical_shifts, draw_compositions, observable_matrix
from ._detector import acquire, draw_detector
from ._edges import (
    FS_LENGTH,
    FS_STEP,
    PI_STAR_K,
    PI_STAR_PROBABILITY,
    CrossSectionBank,
    effective_angle,
    fine_structure_parts,
    first_peak_cap,
    giant_resonance_delay,
    has_delayed_maximum,
    has_giant_resonance,
    has_white_lines,
    white_line_heights,
)
from ._foreign import FOREIGN_FRACTION, foreign_edges
from ._labels import is_detectable
from ._parameters import draw, resolve_parameters
from ._window import (
    bin_to_channels,
    channel_positions,
    draw_windows,
    fine_grids,
    to_recorded,
    to_true,
    window_channels,
)

_FS_SUBSHELLS = ("K", "L3", "L2", "L2,3", "M5", "M4", "N5", "N4")
_FS_POOL = 48  # fine-structure templates drawn per batch and kind

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
    bank = get_bank(bank)
    L = int(params.fine_points)

    mic = _draw_microscope(rng, n, params, shared_microscope)
    win = _share(draw_windows(rng, n, params), shared_axis)
    starts = win["offset"]
    ends = win["offset"] + win["scale"] * (win["size"] - 1)
    comps = draw_compositions(rng, n, params, starts, ends, elements)
    low = _draw_lowloss(rng, n, params, np.array(["O" in c["elements"] for c in comps]))
    det = draw_detector(rng, n, params)
    r_bkg = draw(rng, "background_exponent", params, n)
    a_bkg = draw(rng, "background_level", params, n)
    ratio = draw(rng, "edge_ratio", params, n)

    m, step = fine_grids(win, params)
    energy = (m[:, None] + np.arange(L)[None, :]) * step[:, None]  # true eV
    d_true = win["scale"] / (1.0 + win["scale_error"])
    # Unlabelled edges of an element outside the vocabulary (an actinide) in a
    # few spectra. Drawn before the edges' own random draws, so that runs that
    # differ only in those (fine-structure switches) get the same ones.
    beta_foreign = effective_angle(
        mic["beam_energy"], 400.0, mic["convergence_angle"], mic["collection_angle"]
    )
    fraction = params.foreign_fraction
    if fraction is None:  # a given composition means exactly those elements
        fraction = FOREIGN_FRACTION if elements is None else 0.0
    foreign, foreign_names = foreign_edges(
        rng, fraction, params, bank, energy, bank.setting_index(mic["beam_energy"], beta_foreign)
    )

    # --- background (density per eV): A counts per channel at E_start
    e_start = np.maximum(to_true(starts, win["shift"], win["scale_error"]), params.background_floor)
    bkg = power_law(energy, a_bkg / d_true, r_bkg, e_start, params.background_floor)

    # --- edges: one row per (spectrum, element) pair, unit scale (barn/eV x fraction)
    pair_spec = np.concatenate([np.full(len(c["elements"]), i) for i, c in enumerate(comps)])
    pair_el = [el for c in comps for el in c["elements"]]
    pair_frac = np.concatenate([c["fractions"] for c in comps])
    pair_shift = chemical_shifts(rng, params, pair_el)
    first_onset = np.array([_reference_onset(bank, el) for el in pair_el])
    beta_eff = effective_angle(
        mic["beam_energy"][pair_spec],
        first_onset,
        mic["convergence_angle"][pair_spec],
        mic["collection_angle"][pair_spec],
    )
    setting = bank.setting_index(mic["beam_energy"][pair_spec], beta_eff)
    rows = bank.rows(pair_el, setting)
    sigma = _lookup(bank, rows, energy[pair_spec, 0] - pair_shift, step[pair_spec], L)
    sigma *= pair_frac.astype(np.float32)[:, None]
    fs_info = _add_fine_structure(
        rng, params, bank, sigma, energy, step, pair_spec, pair_el, rows, pair_shift, pair_frac
    )
    starts_idx = np.searchsorted(pair_spec, np.arange(n))
    edges = np.add.reduceat(sigma, starts_idx, axis=0)
    if foreign is not None:
        edges += foreign  # part of everything-but-the-label in the windows below

    # --- response kernel and the exact window sums of the recorded spectrum
    shape = _lowloss.plasmon_shapes(step, L, low)
    k_hat = _lowloss.response_ft(step, L, low, det, int(params.max_plasmons), shape)
    kernel = _lowloss.kernel_real(k_hat, L)
    ck = _lowloss.cumulative_kernel(kernel)
    ll_kernel = kernel * _lowloss.lowloss_taper(step, L)
    ll_ck = _lowloss.cumulative_kernel(ll_kernel)
    e_ref = np.maximum(2 * low["plasmon_energy"], params.background_floor)
    # The low-loss intensity is set against the background extrapolated down to
    # the plasmon region; a steep exponent over a decade would make it absurd
    # (real spectra flatten towards low losses), so the extrapolation uses r <= 3.
    r_ref = np.minimum(r_bkg, 3.0)
    bkg_ref = power_law(e_ref[:, None], a_bkg / d_true, r_ref, e_start, params.background_floor)
    bkg_ref = bkg_ref[:, 0]
    p1 = np.maximum(_lowloss.poisson_weights(low["thickness"], 1)[:, 1], 0.05)
    i0 = low["plasmon_to_background"] * bkg_ref * step / (p1 * shape.max(axis=1))

    windows = _label_windows(comps, pair_spec, win, pair_shift, bank)
    w_spec, w_pair, w_lo, w_hi, w_c = (
        windows["spec"],
        windows["pair"],
        windows["a"],
        windows["b"],
        windows["nchan"],
    )
    pos_lo, pos_hi = _window_positions(win, m, step, w_spec, w_lo, w_hi)
    W = _lowloss.kernel_window_weights(ck, kernel, w_spec, pos_lo, pos_hi, L) * step[w_spec, None]
    s_unit = np.einsum("ij,ij->i", sigma[w_pair], W)
    t_unit = np.einsum("ij,ij->i", edges[w_spec], W)
    b_win = np.einsum("ij,ij->i", bkg[w_spec], W) + _lowloss.window_lowloss(
        ll_ck, ll_kernel, w_spec, pos_lo, pos_hi, m, i0, L
    )

    # Edge scale: the main edge's ratio is the drawn one. Without a main edge
    # (negatives), the strongest element's edges get the ratio in the first
    # 50 eV of the window, so that tails of edges below the window look real.
    scale = np.zeros(n)
    main_w = windows["main"]
    has_main = main_w >= 0
    mw = main_w[has_main]
    scale[has_main] = ratio[has_main] * b_win[mw] / np.maximum(s_unit[mw], 1e-300)
    if (~has_main).any():
        scale[~has_main] = _negative_scale(ratio, bkg, edges, energy, win, step, ~has_main)
    scale = np.where(np.isfinite(scale), scale, 0.0)

    s_win = scale[w_spec] * s_unit
    other = b_win + scale[w_spec] * t_unit - s_win
    detected = is_detectable(s_win, other) & (w_c > 0)

    # --- the recorded spectrum
    ll = _lowloss.lowloss_on_grid(ll_kernel, m, i0, step)
    fine = _lowloss.plural_scattering(bkg + scale[:, None] * edges, k_hat)[:, :L] + ll
    # Bin and acquire in groups of similar channel counts: padding every
    # spectrum to the longest window would multiply the work several times.
    n_max = int(win["size"].max())
    counts = np.zeros((n, n_max), dtype=np.float32)
    lam = np.zeros((n, n_max)) if components else None
    order = np.argsort(win["size"], kind="stable")
    for group in np.array_split(order, max(1, min(4, n // 32))):
        if not len(group):
            continue
        g_max = int(win["size"][group].max())
        g_win = {k: v[group] for k, v in win.items()}
        pos = channel_positions(g_win, m[group], step[group], g_max)
        g_lam = np.maximum(bin_to_channels(fine[group], step[group], pos), 0.0)
        g_det = {k: v[group] for k, v in det.items()}
        counts[group, :g_max] = acquire(rng, g_lam, g_win["size"], g_det, noise=noise)
        if components:
            lam[group, :g_max] = g_lam

    labels = np.zeros((n, len(ELEMENTS)), dtype=np.uint8)
    for k in np.nonzero(detected)[0]:
        labels[w_spec[k], ELEMENTS.index(pair_el[w_pair[k]])] = 1

    truth = _truth(
        comps,
        mic,
        win,
        low,
        det,
        r_bkg,
        a_bkg,
        ratio,
        scale,
        pair_spec,
        pair_el,
        pair_shift,
        windows,
        s_win,
        other,
        detected,
        labels,
        i0,
        fs_info,
    )
    truth["foreign_element"] = foreign_names
    out = {
        "counts": counts,
        "offset": win["offset"].copy(),
        "scale": win["scale"].copy(),
        "size": win["size"].copy(),
        "truth": truth,
        "labels": labels,
        "parameters": params,
    }
    if components:
        main_sigma = np.zeros_like(bkg)
        for i in np.nonzero(has_main)[0]:
            main_sigma[i] = sigma[windows["pair"][main_w[i]]]

        positions = channel_positions(win, m, step, n_max)

        def chain(ssd, with_ll=False):
            f = _lowloss.plural_scattering(ssd, k_hat)[:, :L] + (ll if with_ll else 0.0)
            return bin_to_channels(f, step, positions)

        out["components"] = {
            "background": chain(bkg, with_ll=True),
            "main_edge": chain(scale[:, None] * main_sigma),
            "edges": chain(scale[:, None] * edges),
            "noiseless": lam,
            "fine_energy": energy,
            "fine_single_scattering": bkg + scale[:, None] * edges,
            "fine_edges_unit": edges,
        }
    return out


@functools.cache
def _first_identification_onset(element):
    from ..vocabulary import EDGES

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


# Kinds of fine-structure template, by the first peak: none (a near-edge
# peak), a white line, a giant resonance, or a delayed maximum.
_FS_PLAIN, _FS_WHITE, _FS_GIANT, _FS_DELAYED = 0, 1, 2, 3


def _fs_kind(z, subshell):
    if has_giant_resonance(z, subshell):
        return _FS_GIANT
    if has_white_lines(z, subshell):
        return _FS_WHITE
    if has_delayed_maximum(z, subshell):
        return _FS_DELAYED
    return _FS_PLAIN


def _fs_subshells(bank, element):
    """Onsets, first-peak kinds and names of an element's subshells that get fine structure."""
    key = (id(bank), element)
    if key not in _FS_CACHE:
        z = atomic_number(element)
        items = [
            (o, _fs_kind(z, n), n) for n, o in bank.onsets(element).items() if n in _FS_SUBSHELLS
        ]
        _FS_CACHE[key] = (
            np.array([o for o, _, _ in items], dtype=float),
            np.array([w for _, w, _ in items], dtype=np.int64),
            tuple(n for _, _, n in items),
        )
    return _FS_CACHE[key]


_FS_CACHE = {}


def _add_fine_structure(
    rng, params, bank, sigma, energy, step, pair_spec, pair_el, rows, pair_shift, pair_frac
):
    """Add fine structure in place to ``sigma`` at K, L2,3, M4,5, N4,5 subshells on the grid."""
    lo_e, hi_e = energy[:, 0], energy[:, -1]
    per_pair = [_fs_subshells(bank, el) for el in pair_el]
    counts = np.array([len(o) for o, _, _ in per_pair])
    if not counts.sum():
        return {"pair": np.zeros(0, int), "onset": np.zeros(0), "span": np.zeros(0)}
    q_pair = np.repeat(np.arange(len(pair_el)), counts)
    q_onset = np.concatenate([o for o, _, _ in per_pair]) + pair_shift[q_pair]
    q_kind = np.concatenate([w for _, w, _ in per_pair])
    q_name = np.array([n for _, _, names in per_pair for n in names], dtype=object)
    i = pair_spec[q_pair]
    on_grid = (q_onset > lo_e[i] - 100) & (q_onset < hi_e[i])
    q_pair, q_onset, q_kind, q_name = (a[on_grid] for a in (q_pair, q_onset, q_kind, q_name))
    pi_star = np.array(
        [
            n == "K" and atomic_number(pair_el[p]) in PI_STAR_K
            for n, p in zip(q_name, q_pair, strict=True)
        ],
        dtype=bool,
    )
    q_kind = np.where(pi_star & (rng.random(len(q_pair)) < PI_STAR_PROBABILITY), _FS_WHITE, q_kind)
    q_giant = q_kind == _FS_GIANT
    q_white = (q_kind == _FS_WHITE) | q_giant
    if not len(q_pair):
        return {"pair": q_pair, "onset": q_onset, "span": np.zeros(0)}
    nq = len(q_pair)
    # A pool of templates per batch, each used by several edges: drawing one
    # per edge would cost more than the rest of the simulation.
    pool_n = min(_FS_POOL, nq)
    no, yes = np.zeros(pool_n, bool), np.ones(pool_n, bool)
    pools = [
        fine_structure_parts(rng, pool_n, params, no),
        fine_structure_parts(rng, pool_n, params, yes),
    ]
    # Pool of each kind; the rarer kinds only where present, so that batches
    # without them keep their random stream.
    which = np.array([0, 1, -1, -1])
    if q_giant.any():
        which[_FS_GIANT] = len(pools)
        pools.append(fine_structure_parts(rng, pool_n, params, yes, giant=yes))
    if (q_kind == _FS_DELAYED).any():
        which[_FS_DELAYED] = len(pools)
        pools.append(fine_structure_parts(rng, pool_n, params, no, delayed=yes))
    pick = rng.integers(pool_n, size=nq)
    rest = np.concatenate([p["rest"] for p in pools])
    first = np.concatenate([p["white"] for p in pools])
    tid = pick + which[q_kind] * pool_n
    span = np.concatenate([p["span"] for p in pools])[tid]
    # Each edge its own white-line height (the pool's would repeat across edges);
    # pi* peaks and giant resonances have a range of their own.
    resonance = q_giant | pi_star
    height = np.where(q_white & ~resonance, draw(rng, "white_line", params, nq), 0.0)
    height = np.where(q_white & resonance, draw(rng, "resonance_peak", params, nq), height)
    wl_width = np.concatenate([p["width"] for p in pools])[tid]
    # Edge amplitude: the jump of the element's cross-section at the onset.
    ncol = bank.table.shape[1]
    flat = bank.table.reshape(-1)

    def at(e):
        k = np.clip((e / bank.step).astype(np.int64), 0, ncol - 1)
        return flat[rows[q_pair] * ncol + k]

    amp = np.maximum(
        at(q_onset - pair_shift[q_pair] + 15), at(q_onset - pair_shift[q_pair] + 50)
    ) - at(q_onset - pair_shift[q_pair] - 2)
    amp = np.maximum(amp, 0.0) * pair_frac[q_pair]
    cap = first_peak_cap(params)
    # White lines of a spin-orbit pair keep the element's branching ratio.
    for p in np.unique(q_pair[q_white & ~q_giant]):
        k = np.nonzero((q_pair == p) & q_white & ~q_giant)[0]
        if len(k) > 1:
            height[k] = white_line_heights(
                pair_el[p],
                q_name[k],
                height[k],
                amp[k],
                wl_width[k],
                rng,
                maximum=cap,
            )
    height = np.clip(height, 0.0, cap)
    # Giant resonances start late enough to peak at their element's offset.
    z_pair = np.array([atomic_number(el) for el in pair_el])
    q_start = q_onset + np.where(q_giant, giant_resonance_delay(z_pair[q_pair]), 0.0)
    # Segments of the fine grid covered by each template.
    i = pair_spec[q_pair]
    L = energy.shape[1]
    j0 = np.clip(np.ceil((q_start - energy[i, 0]) / step[i]).astype(np.int64), 0, L)
    seg = np.clip(np.ceil(FS_LENGTH * FS_STEP / step[i]).astype(np.int64), 0, L - j0)
    total = int(seg.sum())
    if total == 0:
        return {"pair": q_pair, "onset": q_onset, "span": span}
    q_of = np.repeat(np.arange(nq), seg)
    offs = np.arange(total) - np.repeat(np.cumsum(seg) - seg, seg)
    j = j0[q_of] + offs
    x = (energy[i[q_of], j] - q_start[q_of]) / FS_STEP
    kx = x.astype(np.int64)
    ok = (x >= 0) & (kx < FS_LENGTH - 1)
    kx = np.clip(kx, 0, FS_LENGTH - 2)
    fr = x - kx
    h = height[q_of]
    t0 = rest[tid[q_of], kx] + h * first[tid[q_of], kx]
    t1 = rest[tid[q_of], kx + 1] + h * first[tid[q_of], kx + 1]
    # Overlapping peaks never take a white line above its stated maximum.
    t = np.minimum(t0 + fr * (t1 - t0), cap)
    val = np.where(ok, t * amp[q_of], 0.0)
    add = np.bincount(q_pair[q_of] * L + j, weights=val, minlength=sigma.size).reshape(sigma.shape)
    # The cross-section times (1 + fine structure) stays non-negative.
    np.maximum(sigma + add, 0.0, out=sigma)
    return {"pair": q_pair, "onset": q_onset, "span": span}


def _label_windows(comps, pair_spec, win, pair_shift, bank):
    """Edge windows (recorded eV) for the ratio and the detectability rule."""
    spec, pair, lo, hi, onset, width, edge_name, _is_main = [], [], [], [], [], [], [], []
    main = np.full(len(comps), -1)
    p = 0
    starts = win["offset"]
    obs_all = observable_matrix(starts, starts + win["scale"] * (win["size"] - 1))
    for i, c in enumerate(comps):
        obs = [EDGES[k] for k in np.nonzero(obs_all[i])[0]]
        for _k, el in enumerate(c["elements"]):
            for e in (e for e in obs if e.element == el):
                o = to_recorded(e.onset + pair_shift[p], win["shift"][i], win["scale_error"][i])
                w = ratio_width(e)
                if c["main_edge"] is not None and e == c["main_edge"]:
                    main[i] = len(spec)
                spec.append(i)
                pair.append(p)
                lo.append(o)
                hi.append(o + w)
                onset.append(o)
                width.append(w)
                edge_name.append(f"{e.element} {e.name}")
            p += 1
    spec = np.asarray(spec, dtype=np.int64)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    c0, c1 = window_channels(win["offset"][spec], win["scale"][spec], win["size"][spec], lo, hi)
    return {
        "spec": spec,
        "pair": np.asarray(pair, dtype=np.int64),
        "lo": lo,
        "hi": hi,
        "c0": c0,
        "c1": c1,
        "a": c0,
        "b": c1,
        "nchan": c1 - c0,
        "onset": np.asarray(onset),
        "width": np.asarray(width),
        "edge": edge_name,
        "main": main,
    }


def _window_positions(win, m, step, spec, c0, c1):
    """Fine-index boundary positions of channel ranges [c0, c1)."""
    off, sc = win["offset"][spec], win["scale"][spec]
    rec_lo = off + (c0 - 0.5) * sc
    rec_hi = off + (c1 - 0.5) * sc
    t_lo = to_true(rec_lo, win["shift"][spec], win["scale_error"][spec])
    t_hi = to_true(rec_hi, win["shift"][spec], win["scale_error"][spec])
    return t_lo / step[spec] - m[spec], t_hi / step[spec] - m[spec]


def _negative_scale(ratio, bkg, edges, energy, win, step, which):
    """Edge scale of spectra without a main edge (single-scattering estimate)."""
    idx = np.nonzero(which)[0]
    lo = to_true(win["offset"][idx], win["shift"][idx], win["scale_error"][idx])
    inside = (energy[idx] >= lo[:, None]) & (energy[idx] <= lo[:, None] + 50)
    e = (edges[idx] * inside).sum(1)
    b = (bkg[idx] * inside).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e > 0, ratio[idx] * b / e, 0.0)


def _truth(
    comps,
    mic,
    win,
    low,
    det,
    r_bkg,
    a_bkg,
    ratio,
    scale,
    pair_spec,
    pair_el,
    pair_shift,
    windows,
    s_win,
    other,
    detected,
    labels,
    i0,
    fs_info,
):
    n = len(comps)
    per_el = [[] for _ in range(n)]
    p = 0
    for i, c in enumerate(comps):
        for k, el in enumerate(c["elements"]):
            per_el[i].append(
                {
                    "element": el,
                    "fraction": float(c["fractions"][k]),
                    "chemical_shift": float(pair_shift[p]),
                }
            )
            p += 1
    edges = [[] for _ in range(n)]
    for k in range(len(windows["spec"])):
        i = windows["spec"][k]
        edges[i].append(
            {
                "edge": windows["edge"][k],
                "onset": float(windows["onset"][k]),
                "width": float(windows["width"][k]),
                "signal": float(s_win[k]),
                "background": float(other[k]),
                "detected": bool(detected[k]),
                "main": bool(windows["main"][i] == k),
            }
        )
    main_onset = np.array([windows["onset"][w] if w >= 0 else np.nan for w in windows["main"]])
    main_width = np.array([windows["width"][w] if w >= 0 else np.nan for w in windows["main"]])
    return {
        "composition": per_el,
        "edges": edges,
        "main_edge": [c["main_edge"].label if c["main_edge"] is not None else "" for c in comps],
        "main_onset": main_onset,
        "main_width": main_width,
        "edge_ratio": np.where(windows["main"] >= 0, ratio, np.nan),
        "negative_drawn": np.array([c["negative"] for c in comps]),
        "edge_scale": scale,
        "background_level": a_bkg,
        "background_exponent": r_bkg,
        "lowloss_intensity": i0,
        "instrument_shift": win["shift"],
        "scale_error": win["scale_error"],
        **{k: np.asarray(v) for k, v in mic.items()},
        **{k: np.asarray(v) for k, v in low.items()},
        **{k: np.asarray(v) for k, v in det.items()},
    }
