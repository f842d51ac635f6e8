"""Fine structure of a batch's edges on the simulator's fine grid.

Every K, L2,3, M4,5 and N4,5 subshell on a spectrum's grid gets a template
from :func:`._edges.fine_structure_parts`: a near-edge peak, a white line, a
giant resonance or a delayed maximum first (the subshell's *kind*), then the
extended structure. Each template is scaled by the jump of the element's
cross-section at the onset (its *amplitude*) and its first peak by a height
of its own, and the sum multiplies the cross-section as (1 + fine structure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._white_lines import has_white_lines
from ..vocabulary import atomic_number
from ._edges import (
    FS_LENGTH,
    FS_STEP,
    PI_STAR_K,
    PI_STAR_PROBABILITY,
    fine_structure_parts,
    first_peak_cap,
    giant_resonance_delay,
    has_delayed_maximum,
    has_giant_resonance,
    white_line_heights,
)
from ._parameters import draw

_FS_SUBSHELLS = ("K", "L3", "L2", "L2,3", "M5", "M4", "N5", "N4")
_FS_POOL = 48  # fine-structure templates drawn per batch and kind

# Kinds of fine-structure template, by the first peak: none (a near-edge
# peak), a white line, a giant resonance, or a delayed maximum.
_FS_PLAIN, _FS_WHITE, _FS_GIANT, _FS_DELAYED = 0, 1, 2, 3

_FS_CACHE = {}


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


@dataclass
class _Subshells:
    """The subshells of a batch that get fine structure, one row each.

    ``amplitude`` and ``height`` are set by the later stages.
    """

    pair: np.ndarray  # (spectrum, element) pair of the batch
    onset: np.ndarray  # true eV, chemically shifted
    kind: np.ndarray  # _FS_* of the first peak
    name: np.ndarray  # subshell names (object)
    pi_star: np.ndarray  # a K edge of B..O, which may open with a pi* peak
    amplitude: np.ndarray | None = None  # cross-section jump at the onset x fraction
    height: np.ndarray | None = None  # of the first peak, in amplitudes

    @property
    def giant(self):
        return self.kind == _FS_GIANT

    @property
    def white(self):
        """A first peak of its own height: white lines, giant resonances, pi* peaks."""
        return (self.kind == _FS_WHITE) | self.giant


@dataclass
class _Templates:
    """Templates drawn for a batch and the one each subshell uses."""

    rest: np.ndarray  # (T, FS_LENGTH) everything but the first peak
    first: np.ndarray  # (T, FS_LENGTH) the first peak at unit height
    index: np.ndarray  # template of each subshell
    width: np.ndarray  # FWHM of each subshell's first peak (eV)


def add_fine_structure(sigma, pairs, energy, step, *, rng, params, bank):
    """Add fine structure in place to the pairs' cross-sections on the fine grid.

    Parameters
    ----------
    sigma : numpy.ndarray, float32, shape (P, L)
        Unit-scale cross-section of each (spectrum, element) pair.
    pairs : _Pairs
        The pairs (see ``_core``): spectrum, element, fraction, chemical shift
        and bank row of each.
    energy : numpy.ndarray, shape (n, L)
        Each spectrum's fine grid (true eV).
    step : numpy.ndarray, shape (n,)
    rng : numpy.random.Generator
    params : SimulationParameters
    bank : CrossSectionBank
    """
    q = _subshells_on_grid(bank, pairs, energy)
    if q is None:
        return
    q.kind = np.where(
        q.pi_star & (rng.random(len(q.pair)) < PI_STAR_PROBABILITY), _FS_WHITE, q.kind
    )
    if not len(q.pair):
        return
    templates = _draw_templates(rng, params, q)
    q.amplitude = _edge_jumps(bank, pairs, q)
    cap = first_peak_cap(params)
    q.height = _first_peak_heights(rng, params, q, pairs, templates.width, cap)
    _add_templates(sigma, q, templates, pairs, energy, step, cap)


def _subshells_on_grid(bank, pairs, energy):
    """The pairs' fine-structure subshells with an onset on (or up to 100 eV below) their grid.

    None when the batch's elements have no such subshell at all.
    """
    per_pair = [_fs_subshells(bank, el) for el in pairs.element]
    counts = np.array([len(o) for o, _, _ in per_pair])
    if not counts.sum():
        return None
    q_pair = np.repeat(np.arange(len(pairs.element)), counts)
    q_onset = np.concatenate([o for o, _, _ in per_pair]) + pairs.shift[q_pair]
    q_kind = np.concatenate([w for _, w, _ in per_pair])
    q_name = np.array([n for _, _, names in per_pair for n in names], dtype=object)
    i = pairs.spec[q_pair]
    on_grid = (q_onset > energy[i, 0] - 100) & (q_onset < energy[i, -1])
    q_pair, q_onset, q_kind, q_name = (a[on_grid] for a in (q_pair, q_onset, q_kind, q_name))
    pi_star = np.array(
        [
            n == "K" and atomic_number(pairs.element[p]) in PI_STAR_K
            for n, p in zip(q_name, q_pair, strict=True)
        ],
        dtype=bool,
    )
    return _Subshells(pair=q_pair, onset=q_onset, kind=q_kind, name=q_name, pi_star=pi_star)


def _draw_templates(rng, params, q):
    """A pool of templates per kind, and each subshell's pick from its kind's pool.

    A pool per batch, each template used by several edges: drawing one per
    edge would cost more than the rest of the simulation.
    """
    nq = len(q.pair)
    pool_n = min(_FS_POOL, nq)
    no, yes = np.zeros(pool_n, bool), np.ones(pool_n, bool)
    pools = [
        fine_structure_parts(rng, pool_n, params, no),
        fine_structure_parts(rng, pool_n, params, yes),
    ]
    # The rarer kinds only where present, so that batches without them keep
    # their random stream.
    which = np.array([0, 1, -1, -1])
    if q.giant.any():
        which[_FS_GIANT] = len(pools)
        pools.append(fine_structure_parts(rng, pool_n, params, yes, giant=yes))
    if (q.kind == _FS_DELAYED).any():
        which[_FS_DELAYED] = len(pools)
        pools.append(fine_structure_parts(rng, pool_n, params, no, delayed=yes))
    pick = rng.integers(pool_n, size=nq)
    index = pick + which[q.kind] * pool_n
    return _Templates(
        rest=np.concatenate([p["rest"] for p in pools]),
        first=np.concatenate([p["white"] for p in pools]),
        index=index,
        width=np.concatenate([p["width"] for p in pools])[index],
    )


def _edge_jumps(bank, pairs, q):
    """Each subshell's amplitude: the jump of its element's cross-section at the onset."""
    ncol = bank.table.shape[1]
    flat = bank.table.reshape(-1)

    def at(e):
        k = np.clip((e / bank.step).astype(np.int64), 0, ncol - 1)
        return flat[pairs.rows[q.pair] * ncol + k]

    shift = pairs.shift[q.pair]
    amp = np.maximum(at(q.onset - shift + 15), at(q.onset - shift + 50)) - at(q.onset - shift - 2)
    return np.maximum(amp, 0.0) * pairs.fraction[q.pair]


def _first_peak_heights(rng, params, q, pairs, width, cap):
    """First-peak heights, each edge its own (the pool's would repeat across edges)."""
    nq = len(q.pair)
    # pi* peaks and giant resonances have a range of their own.
    resonance = q.giant | q.pi_star
    white = q.white
    height = np.where(white & ~resonance, draw(rng, "white_line", params, nq), 0.0)
    height = np.where(white & resonance, draw(rng, "resonance_peak", params, nq), height)
    # White lines of a spin-orbit pair keep the element's branching ratio.
    paired = white & ~q.giant
    for p in np.unique(q.pair[paired]):
        k = np.nonzero((q.pair == p) & paired)[0]
        if len(k) > 1:
            height[k] = white_line_heights(
                pairs.element[p], q.name[k], height[k], q.amplitude[k], width[k], rng, maximum=cap
            )
    return np.clip(height, 0.0, cap)


def _add_templates(sigma, q, templates, pairs, energy, step, cap):
    """Interpolate each subshell's scaled template onto its stretch of the grid and add it."""
    # Giant resonances start late enough to peak at their element's offset.
    z_pair = np.array([atomic_number(el) for el in pairs.element])
    start = q.onset + np.where(q.giant, giant_resonance_delay(z_pair[q.pair]), 0.0)
    i = pairs.spec[q.pair]
    L = energy.shape[1]
    j0 = np.clip(np.ceil((start - energy[i, 0]) / step[i]).astype(np.int64), 0, L)
    seg = np.clip(np.ceil(FS_LENGTH * FS_STEP / step[i]).astype(np.int64), 0, L - j0)
    total = int(seg.sum())
    if total == 0:
        return
    # One entry per (subshell, grid point) it covers.
    q_of = np.repeat(np.arange(len(q.pair)), seg)
    j = j0[q_of] + np.arange(total) - np.repeat(np.cumsum(seg) - seg, seg)
    # Gathers through flat indices: cheaper than 2-D fancy indexing.
    x = (energy.reshape(-1)[i[q_of] * L + j] - start[q_of]) / FS_STEP
    kx = x.astype(np.int64)
    ok = (x >= 0) & (kx < FS_LENGTH - 1)
    kx = np.clip(kx, 0, FS_LENGTH - 2)
    fr = x - kx
    h = q.height[q_of]
    at = templates.index[q_of] * templates.rest.shape[1] + kx
    rest, first = templates.rest.reshape(-1), templates.first.reshape(-1)
    t0 = rest[at] + h * first[at]
    at += 1
    t1 = rest[at] + h * first[at]
    # Overlapping peaks never take a white line above its stated maximum.
    t = np.minimum(t0 + fr * (t1 - t0), cap)
    val = np.where(ok, t * q.amplitude[q_of], 0.0)
    add = np.bincount(q.pair[q_of] * L + j, weights=val, minlength=sigma.size).reshape(sigma.shape)
    # The cross-section times (1 + fine structure) stays non-negative.
    np.add(sigma, add, out=add)
    np.maximum(add, 0.0, out=sigma)
