"""Checking the network's proposals against the spectrum model.

The network proposes candidates at a recall-oriented threshold; the spectrum
model (:mod:`eels_autoid.spectrum_model`) is fitted with them, and each
candidate's evidence is what its edge amount gains the fit with everything
else refitted, the other edges' zero-integral near-edge freedom included. An
element the spectrum does not need is dropped; two elements that explain the
same signal are *rivals*, and the one the network prefers stays, naming the
other. What is left stays where the network's probability passes its
threshold: the check rejects and never adds. Each candidate also gets one
probability that combines the network's probability and the evidence
(:func:`checked_probability`), reported, not used to decide.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from .. import vocabulary
from .._bad_values import filled_spectrum
from ..spectrum_model._edges import LANTHANIDES
from ._narrow import rivals_without_rise
from ._search import search_spectrum
from ._windows import MIN_COUNTS, SIGNIFICANT, element_evidence, fit_window, near

__all__ = [
    "ElementCheck",
    "SpectrumCheck",
    "check_spectrum",
    "check_map",
    "checked_probability",
]

# How the reason of a candidate the network alone decided begins.
NOT_CHECKED = "not checked: "
# The reason of a candidate under the network's threshold: checked, never added.
BELOW_THRESHOLD = "below the network's threshold"
# The reason of a detected element the fit gives no evidence, kept because
# the combined probability still says present.
UNSUPPORTED = (
    "kept on the network's word: the spectrum model gives its edges no evidence, "
    "and no other element explains them"
)
# Candidates: elements the network gives at least this share of their
# threshold (recall first; the spectrum decides).
CANDIDATE_SHARE = 0.5
# More candidates than this is not an answer the spectrum model can check
# (the shared real spectra give at most 4; the simulator draws 1..6
# elements): the network decides.
MAX_CANDIDATES = 8
# Coarser channels (eV) and two edges 10 eV apart (Pr M5 and Cu L3, the N K
# sigma* peak and Sc L3) fall within two channels: their shapes cannot be
# told apart, and the network decides.
MAX_DISPERSION = 5.0
# Width (eV) of a lanthanide's N4,5 giant resonance: two lanthanides whose
# N4,5 onsets lie closer cannot be told apart through N4,5 alone.
GIANT_RESONANCE_WIDTH = 15.0
# Rounds of dropping unneeded elements and refitting.
_ROUNDS = 3
# The combined probability: logistic in the network's logit and
# log(1 + evidence), fitted on 320 simulated spectra of drawn compositions,
# windows and instruments (345 checked candidates) by
# docs/scripts/fit_check.py: log-loss 0.48 against the network's 0.77.
COMBINE = (-1.149, 0.467, 0.071)


def checked_probability(network_probability, evidence):
    """The probability that an element is present, from the network's and the spectrum's word."""
    p = np.clip(np.asarray(network_probability, dtype=float), 1e-6, 1 - 1e-6)
    e = np.log1p(np.maximum(np.asarray(evidence, dtype=float), 0.0))
    b0, b1, b2 = COMBINE
    return 1.0 / (1.0 + np.exp(-(b0 + b1 * np.log(p / (1 - p)) + b2 * e)))


@dataclass(frozen=True)
class ElementCheck:
    """What the check says of one candidate.

    Attributes
    ----------
    element : str
    network_probability : float
    evidence : float
        Chi-squared the element's edges gain the fit (local misfit units);
        NaN where the check could not judge.
    fraction : float
        Fitted atomic fraction among the confirmed elements (NaN if dropped).
    probability : float
        The combined probability (the network's alone where not checked).
    confirmed : bool
    rival : str
        The element that explains the same signal, or "".
    reason : str
        Why it was confirmed or dropped.
    found_by : str
        ``"network"``; ``"region"`` for an element of a spectrum image
        confirmed on the sum over a region of it; ``"search"`` for one the
        network did not propose that the residual search suggests
        (:mod:`._search`; not confirmed), ``"region search"`` when suggested
        in a region.
    """

    element: str
    network_probability: float
    evidence: float
    fraction: float
    probability: float
    confirmed: bool
    rival: str = ""
    reason: str = ""
    found_by: str = "network"


@dataclass
class SpectrumCheck:
    """The check of one (summed) spectrum: one :class:`ElementCheck` per candidate."""

    checks: dict = field(default_factory=dict)
    fit: object = None
    fallback: str = ""
    offset: float = 0.0

    @property
    def elements(self):
        return sorted(el for el, c in self.checks.items() if c.confirmed)

    @property
    def suggested(self):
        """Elements the residual search suggests (not confirmed; see :mod:`._search`)."""
        return sorted(el for el, c in self.checks.items() if c.found_by.endswith("search"))

    @property
    def unreported_signal(self):
        """Candidates the spectrum needs that the network left below its threshold.

        Their edges are significant in the fit (evidence of at least
        :data:`SIGNIFICANT`), strongest first; a rival the check dropped for
        one is named in its ``rival``.
        """
        below = [c for c in self.checks.values() if c.reason == BELOW_THRESHOLD]
        needed = [c for c in below if math.isfinite(c.evidence) and c.evidence >= SIGNIFICANT]
        return sorted(needed, key=lambda c: -c.evidence)


def _network_only(probabilities, thresholds, candidates, why):
    return {
        el: ElementCheck(
            el,
            float(probabilities[el]),
            math.nan,
            math.nan,
            float(probabilities[el]),
            bool(probabilities[el] > thresholds[el]),
            reason=f"{NOT_CHECKED}{why}",
        )
        for el in candidates
    }


def _overlap(onsets, a, b):
    """Whether an edge of ``a`` and one of ``b`` lie close enough to explain each other's signal."""
    return near(onsets[a], onsets[b])


@dataclass
class _Window:
    """The spectrum model fitted over one edge family's own window."""

    element: str
    model: object
    fit: object


def _family_windows(energy, y, current, settings, offset):
    """One local fit per edge family of the elements in ``current``.

    A local background per family holds where one background over a
    window of several keV does not (the counts near its start, 100 times
    those at its end, would decide it), and evidence is local anyway.
    """
    from ..spectrum_model import SpectrumModel, rolloff_end

    full = SpectrumModel(energy, current, settings, data_start=rolloff_end(energy, y))
    main = {k: v for k, v in full.families.items() if k[1] in vocabulary.EDGE_FAMILIES}
    families = {}
    for (el, _), onsets in (main or full.families).items():
        families.setdefault(el, []).append(onsets)
    for el in full.modelled:
        if el not in families:
            families[el] = [v for k, v in full.families.items() if k[0] == el]
    windows = []
    for el, groups in families.items():
        for onsets in groups:
            fitted = fit_window(energy, y, current, settings, onsets, el, offset)
            if fitted is not None:
                windows.append(_Window(el, *fitted))
    onsets = {el: [] for el in current}
    for (el, _), values in full.families.items():
        onsets[el].extend(values)
    return windows, onsets


def _n45_onset(element):
    onsets = vocabulary.subshell_onsets(element)
    return min(onsets.get("N5", math.inf), onsets.get("N4", math.inf))


def _overlapping_resonances(current, n45, probabilities, dropped, rival_of, evidence):
    """Drop a lanthanide seen through N4,5 alone whose resonance another lanthanide's covers.

    The tables do not hold the giant resonance's shape, so two resonances
    closer than its width cannot be told apart through N4,5 alone: a
    lanthanide confirmed by its M4,5 edge explains the N4,5 signal of its
    neighbour; between two seen through N4,5 alone the network's preference
    decides. Records the dropped in ``dropped`` and ``rival_of``; returns
    the elements left.
    """
    for el in sorted(n45 & set(current), key=lambda e: probabilities[e]):
        for other in current:
            if other == el or other in dropped or other not in LANTHANIDES:
                continue
            if abs(_n45_onset(el) - _n45_onset(other)) > GIANT_RESONANCE_WIDTH:
                continue
            if other not in n45 or probabilities[other] >= probabilities[el]:
                dropped[el] = (
                    evidence.get(el, 0.0),
                    other,
                    f"its N4,5 resonance cannot be told from {other}'s",
                )
                rival_of.setdefault(other, el)
                break
    return [el for el in current if el not in dropped]


def _unpaired_lines(model, y, current, offset, dropped, evidence):
    """Drop an element one of whose white-line pairs lacks its lower line.

    See :mod:`eels_autoid.spectrum_model._pairs`. The pair is tried near
    the axis as placed, near the offset on which the edges' rises agree
    best (moved to or not), near every shift at which another element's
    edge rises clearly, and near the element's own clear rise where that is the
    clearest in the spectrum or another element's rise agrees with it: on
    an axis the calibration left off, a present element's lines are found
    where its partners (or it alone) put them, while an element read on
    another's edge has its own rise elsewhere. Records the dropped in
    ``dropped``; returns the elements left.
    """
    from ..spectrum_model._model import MAX_SHIFT
    from ..spectrum_model._onsets import SAME_RISE, best_offset
    from ..spectrum_model._pairs import MAX_DISPERSION, pair_rises

    energy = model.energy
    step = float(energy[1] - energy[0])
    paired = [el for el in current if {"L3", "M5"} & set(model._rising(el))]
    if not paired or step > MAX_DISPERSION:
        return current
    if not model.edge_shifts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.calibrate(y)
    # Where the edges agree best, though perhaps not by enough to move the axis.
    agreed = best_offset(model.edge_shifts, MAX_SHIFT)
    data = y[model.fitted]
    for el in paired:
        others = [s for s in model.edge_shifts if s.element != el and s.element in current]
        anchors = {float(offset), agreed} | {s.shift for s in others if s.clear}
        for own in (s for s in model.edge_shifts if s.element == el and s.clear):
            if all(o.weight <= own.weight for o in others) or any(
                o.weight > 0 and abs(o.shift - own.shift) < SAME_RISE for o in others
            ):
                anchors.add(own.shift)
        onsets = model._rising(el)
        pairs = pair_rises(energy, data, el, onsets, model.settings, sorted(anchors), MAX_SHIFT)
        failed = [pair for pair in pairs if not pair.holds]
        if failed:
            lower, upper = failed[0].subshells
            dropped[el] = (
                evidence.get(el, 0.0),
                "",
                f"its {lower} line does not rise with its {upper} line",
            )
    return [el for el in current if el not in dropped]


def _resonance_neighbour(element, probabilities):
    """The lanthanide whose N4,5 resonance could stand for ``element``'s, or "".

    Of the lanthanides whose N4,5 onsets lie within the resonance's width
    of this one's, the network's likeliest: through N4,5 alone the spectrum
    model cannot tell them apart, so the answer names it.
    """
    onset = _n45_onset(element)
    near = [
        other
        for other in LANTHANIDES
        if other != element
        and other in probabilities
        and abs(_n45_onset(other) - onset) <= GIANT_RESONANCE_WIDTH
    ]
    return max(near, key=lambda other: probabilities[other], default="")


def check_spectrum(
    energy,
    data,
    probabilities,
    thresholds,
    settings,
    *,
    found_by="network",
    offset=None,
    search=False,
    search_found_by="search",
    network_word=True,
):
    """Check the network's candidates against one spectrum.

    Parameters
    ----------
    energy : numpy.ndarray
        The calibrated energy axis (eV).
    data : numpy.ndarray
        The spectrum (a sum over pixels for spectrum images).
    probabilities, thresholds : dict of str to float
        The network's probability and threshold of each observable element.
    settings : dict
        Microscope settings for the cross-sections.
    found_by : str
        Recorded in each confirmed element's :class:`ElementCheck`.
    offset : float, optional
        The energy offset (eV) of the axis; by default placed by the
        candidates' edge rises (:meth:`SpectrumModel.calibrate`), within
        25 eV, and used by every window.
    search : bool
        Search the residual of the confirmed elements' fit for elements the
        network did not propose (:mod:`._search`): they are *suggested*
        (``found_by`` says so), not confirmed.
    search_found_by : str
        Recorded in each :class:`ElementCheck` the search suggests.
    network_word : bool
        Keep a detected element that the fit does not need and no other
        element explains where the combined probability
        (:func:`checked_probability`) is at least 0.5: the network's reading
        of one spectrum. False for a spectrum image's sums, where only the
        spectrum's evidence confirms.

    Returns
    -------
    SpectrumCheck
        ``fallback`` says why the network alone decided, when it did (in
        a window too narrow to fit any edge, the data's rises still drop
        one of two rivals: :mod:`._narrow`);
        ``offset`` the energy offset used;
        ``fit`` is the spectrum model of the confirmed elements over the
        whole window.
    """
    from ..spectrum_model import SpectrumModel, rolloff_end

    candidates = [el for el, p in probabilities.items() if p >= CANDIDATE_SHARE * thresholds[el]]
    y = filled_spectrum(data)
    if not candidates:
        if not search or float(energy[1] - energy[0]) > MAX_DISPERSION:
            return SpectrumCheck()
        # Nothing proposed: the search alone, on the axis as it is.
        offset = 0.0 if offset is None else offset
        found = search_spectrum(energy, y, [], settings, offset)
        return SpectrumCheck(
            _found_checks(found, probabilities, search_found_by), None, offset=offset
        )

    def detected(el):
        return probabilities[el] > thresholds[el]

    def network_only(why, fit=None):
        return SpectrumCheck(_network_only(probabilities, thresholds, candidates, why), fit, why)

    def too_narrow():
        # No edge can be fitted, but where the data rise still tells two
        # rivals apart (:mod:`._narrow`).
        why = "no edge has the range around it that a fit needs"
        checks = _network_only(probabilities, thresholds, candidates, why)
        shown = [el for el in candidates if detected(el)]
        for el, (rival, rise) in rivals_without_rise(
            energy, y, shown, settings, offset or 0.0
        ).items():
            checks[el] = replace(
                checks[el],
                confirmed=False,
                rival=rival,
                reason=f"its edges do not rise where the tables put them (correlation "
                f"{rise:.2f}) and {rival}'s do",
            )
            checks[rival] = replace(checks[rival], rival=checks[rival].rival or el)
        return SpectrumCheck(checks, None, why)

    if len(candidates) > MAX_CANDIDATES:
        return network_only(
            f"{len(candidates)} candidates, more than the {MAX_CANDIDATES} a spectrum can be "
            "checked with"
        )
    scale = float(energy[1] - energy[0])
    if scale > MAX_DISPERSION:
        return network_only(
            f"{scale:g} eV per channel is too coarse to tell edges 10 eV apart by their shapes"
        )
    try:
        model = SpectrumModel(energy, candidates, settings, data_start=rolloff_end(energy, y))
    except ValueError as err:
        return network_only(str(err).rstrip("."))
    if not model.modelled:
        return too_narrow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(y)
    except ValueError as err:
        return network_only(str(err).rstrip("."))
    if fit.background_subtracted:
        return network_only("the background looks subtracted, so edges cannot be compared", fit)
    counts = float(np.sum(np.abs(fit.data))) / max(fit.noise.gain, 1e-30)
    if counts < MIN_COUNTS:
        return network_only(f"too few counts ({counts:.0f} in the fitted range)", fit)
    if offset is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            offset = float(model.calibrate(y).offset)
    # A lanthanide seen through N4,5 alone: its giant resonance is
    # collective, and one-electron tables do not hold its shape, so its
    # evidence is what its edge and near-edge terms together explain.
    n45 = {el for el in model.modelled if model.n45_only(el)}
    unfitted = {el for el in candidates if el not in model.modelled}
    current = list(model.modelled)
    dropped, rival_of, evidence, blind, unsupported = {}, {}, {}, set(), set()
    for _ in range(_ROUNDS + 1):
        if not current:
            break
        windows, onsets = _family_windows(energy, y, current, settings, offset)
        evidence = {el: 0.0 for el in current}
        for w in windows:
            if w.element in w.fit.elements:
                evidence[w.element] += element_evidence(w.model, w.fit, w.element, w.element in n45)
        # An element none of whose families could be fitted on its own
        # window is left to the network.
        blind = {el for el in current if not any(w.element == el for w in windows)}
        weak = [
            el
            for el in current
            if evidence[el] < SIGNIFICANT and el not in blind and el not in unsupported
        ]
        if not weak:
            break
        # The least likely first: a rival pair is resolved once.
        weak.sort(key=lambda el: probabilities[el])
        winners = set()
        for el in weak:
            if el in winners or el in dropped:
                continue
            gains = {}
            for w in windows:
                if w.element != el:
                    continue
                for other in w.fit.elements:
                    if other == el or other in dropped or not _overlap(onsets, el, other):
                        continue
                    whole = el in n45 or other in n45
                    gain = w.model.evidence(w.fit, [el, other], whole) - w.model.evidence(
                        w.fit, [other], whole
                    )
                    gains[other] = gains.get(other, 0.0) + gain
            rival = max(gains, key=gains.get) if gains else ""
            needed = evidence.get(rival, 0.0) >= SIGNIFICANT
            if rival and gains[rival] >= SIGNIFICANT and needed and detected(rival):
                # The rival is needed anyway and explains this one's signal too.
                dropped[el] = (evidence[el], rival, f"its signal is explained by {rival}")
                rival_of.setdefault(rival, el)
            elif rival and gains[rival] >= SIGNIFICANT:
                # The rival explains this signal but is not both detected and
                # needed: the spectrum cannot choose, and the network's
                # preference decides.
                loser, winner = (
                    (el, rival) if probabilities[el] <= probabilities[rival] else (rival, el)
                )
                winners.add(winner)
                dropped[loser] = (
                    evidence[loser],
                    winner,
                    f"explained as well by {winner}, which the network prefers",
                )
                rival_of.setdefault(winner, loser)
            elif (
                network_word
                and detected(el)
                and checked_probability(probabilities[el], evidence[el]) >= 0.5
            ):
                # No rival explains its signal and the fit merely fails to
                # need it: where the model does not hold a spectrum (plural
                # scattering, a plasmon tail, a detector artefact) that is
                # no evidence of absence. The combined probability, fitted
                # on simulated spectra with such failures, decides.
                unsupported.add(el)
            else:
                dropped[el] = (evidence[el], "", "the spectrum does not need its edges")
        current = [el for el in current if el not in dropped]
    current = _overlapping_resonances(current, n45, probabilities, dropped, rival_of, evidence)
    current = _unpaired_lines(model, y, current, offset, dropped, evidence)

    checks = {}
    checks.update(
        _network_only(probabilities, thresholds, sorted(unfitted), "no edge of it can be fitted")
    )
    checks.update(
        _network_only(
            probabilities, thresholds, sorted(blind), "no edge of it with enough counts to judge"
        )
    )
    kept = [el for el in model.modelled if el not in dropped]
    final = _final_fit(energy, y, kept, settings, offset)
    if search:
        # Candidates the network left below its threshold are searched like
        # any element: the spectrum may need them after all.
        confirmed = [el for el in kept if detected(el)]
        found = search_spectrum(energy, y, confirmed, settings, offset)
        checks.update(_found_checks(found, probabilities, search_found_by))
    for el in candidates:
        if el in checks:
            continue
        if el in dropped:
            ev, rival, reason = dropped[el]
            p = float(checked_probability(probabilities[el], ev))
            checks[el] = ElementCheck(
                el, float(probabilities[el]), float(ev), math.nan, p, False, rival, reason
            )
            continue
        ev = float(evidence.get(el, 0.0))
        # The spectrum confirms or rejects what the network proposes; it does
        # not add: finding what the network missed needs a search corrected
        # for the number of edges tried.
        ok = bool(probabilities[el] > thresholds[el])
        rival = rival_of.get(el, "")
        if ok and not rival and el in n45:
            rival = _resonance_neighbour(el, probabilities)
        checks[el] = ElementCheck(
            el,
            float(probabilities[el]),
            ev,
            float(final.fractions.get(el, math.nan)) if final is not None else math.nan,
            float(checked_probability(probabilities[el], ev)),
            ok,
            rival,
            (
                UNSUPPORTED
                if el in unsupported and ev < SIGNIFICANT
                else "its edges fit the spectrum"
            )
            if ok
            else BELOW_THRESHOLD,
            found_by,
        )
    return SpectrumCheck(checks, final, offset=offset)


def _final_fit(energy, y, elements, settings, offset):
    """The spectrum model of ``elements`` over the whole window, or None."""
    from ..spectrum_model import SpectrumModel, rolloff_end

    if not elements:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SpectrumModel(energy, elements, settings, data_start=rolloff_end(energy, y))
            return model.fit(y, offset=offset)
    except ValueError:
        return None


def _found_checks(found, probabilities, found_by):
    """An :class:`ElementCheck` for each element the search suggests.

    Suggested, not confirmed: on simulated spectra the search finds more
    absent elements than present ones (docs/scripts/fit_search.py), so what
    it finds is shown for the microscopist to judge and is not added.
    """
    return {
        el: ElementCheck(
            el,
            float(probabilities.get(el, 0.0)),
            f.evidence,
            math.nan,
            f.probability,
            False,
            f.rival,
            f.reason,
            found_by,
        )
        for el, f in found.items()
    }


def check_map(
    summed,
    regions,
    predict,
    energy,
    thresholds,
    settings,
    proposed=None,
    *,
    search=False,
    image=True,
):
    """Check a spectrum image: its summed spectrum, then each region's sum.

    Parameters
    ----------
    summed : numpy.ndarray
        The sum over all pixels.
    regions : list of (numpy.ndarray, dict)
        Each region's summed spectrum, and the elements that made it with the
        network's probability in its pixels (empty for a cluster of the
        spectra's shapes): they are candidates there whatever the network
        reads on the sum.
    predict : callable
        The network's probabilities (dict of element to float) of one spectrum.
    energy : numpy.ndarray
    thresholds : dict of str to float
    settings : dict
    proposed : dict of str to float, optional
        Elements the network reports in enough of the map's pixels, with
        their probability there: candidates on the sum and in every region,
        as the network proposed them for the map.
    search : bool
        Search the residual of the sum and of every region for elements the
        network did not propose.
    image : bool
        A spectrum image (the default): only the spectrum's evidence
        confirms an element. False for one spectrum, where a detected
        element the fit does not need may stay on the network's word
        (``network_word`` of :func:`check_spectrum`).

    Returns
    -------
    SpectrumCheck
        The summed spectrum's check; an element the spectrum model confirms
        on a region joins it with ``found_by="region"``.
    """
    proposed = dict(proposed or {})

    def with_proposals(probs, extra=None):
        probs = dict(probs)
        for el, p in {**proposed, **(extra or {})}.items():
            probs[el] = max(probs.get(el, 0.0), p)
        return probs

    reading = predict(summed)
    result = check_spectrum(
        energy,
        summed,
        with_proposals(reading),
        thresholds,
        settings,
        search=search,
        # In a spectrum image only the spectrum model confirms: its pixels'
        # and regions' readings are the best of many, and what it reports
        # feeds every pixel's quantification.
        network_word=not image,
    )
    if result.fallback:
        # Nothing can be checked: the summed spectrum, with all the map's
        # counts, is read by the network alone, not the noisy pixels.
        return check_spectrum(energy, summed, reading, thresholds, settings)
    for data, own in regions:
        # One axis: the summed spectrum's calibration holds for every region.
        region = check_spectrum(
            energy,
            data,
            with_proposals(predict(data), own),
            thresholds,
            settings,
            found_by="region",
            offset=result.offset,
            search=search,
            search_found_by="region search",
            network_word=False,
        )
        for el, found in region.checks.items():
            if el in result.elements:
                continue
            if found.found_by.endswith("search"):
                result.checks.setdefault(el, found)
                continue
            if own and el not in own and el not in proposed:
                continue
            # What the summed spectrum explained by a confirmed element's
            # edges stays explained: a region has fewer counts, not other edges.
            before = result.checks.get(el)
            if before is not None and before.rival in result.elements:
                continue
            # Only the spectrum model confirms a region's element.
            if found.confirmed and math.isfinite(found.evidence):
                result.checks[el] = found
    return result
