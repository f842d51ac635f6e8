"""The model of a measured core-loss spectrum, and its fit.

``counts(E) = background(E) + sum_el N_el [sigma_el(E') + near-edge_el(E')] (x low loss)``

with ``E' = E + offset + dispersion (E - E_mid) + shift_el`` the calibrated
loss at which the tables are read, a convex background of power laws,
every subshell of an element tied to one amount ``N_el``, zero-integral
near-edge terms per edge family, the single-scattering edges convolved with
the low loss when one is given, and channel variances from the
:class:`~eels_autoid.spectrum_model.NoiseModel`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import vocabulary
from .._white_lines import (
    LOWER_PARTNER,
    WHITE_LINE_M,
    WHITE_LINE_POSITION,
    WHITE_LINE_RATIO,
    has_white_lines,
)
from ._background import (
    BACKGROUND_EXPONENTS,
    offset_columns,
    power_law_columns,
    pre_edge_start,
    reference_energy,
    segment_breaks,
    segment_masks,
)
from ._calibration import Calibration
from ._edges import (
    LANTHANIDES,
    MAJOR_SUBSHELLS,
    EdgeDecision,
    edge_families,
    element_cross_section,
    family_of,
    lanthanide_rule,
    plan_edges,
)
from ._fine_structure import near_edge_columns, near_edge_extent
from ._noise import NoiseModel, estimate_noise
from ._onsets import MIN_GAIN, PRIOR_WEIGHT, EdgeShift, best_agreement, combine_shifts, edge_shifts
from ._result import SpectrumFit
from ._solve import atomic_fractions, attribute, covariance, misfit_covariance, solve

__all__ = [
    "SpectrumModel",
    "DEFAULT_MICROSCOPE",
    "MAX_OFFSET",
    "MIN_FIT_ENERGY",
    "PLAUSIBLE_SETTINGS",
]

#: Largest energy-axis offset fitted (eV).
MAX_OFFSET = 25.0
#: Per-element chemical shifts (eV) on top of the offset.
MAX_SHIFT = 3.0
#: Relative dispersion error fitted for windows wider than WIDE_WINDOW (eV).
MAX_DISPERSION_ERROR = 0.01
DISPERSION_PRIOR = 0.005
# Dispersion errors tried (relative), up to the bound.
_DISPERSION_TRIALS = np.linspace(-MAX_DISPERSION_ERROR, MAX_DISPERSION_ERROR, 41)
WIDE_WINDOW = 1000.0
#: The calibration's picture of a white line (one-electron tables hold
#: none): a peak this high, in jumps of the element's edge, this wide (FWHM,
#: eV), midway through where white lines peak above their onsets. The height
#: was chosen on simulated spectra with uncalibrated axes.
WHITE_LINE_HEIGHT = 0.75
WHITE_LINE_FWHM = 2.5


def white_line_height(element, subshells, first, settings):
    """Height of the calibration's white line: WHITE_LINE_HEIGHT jumps of the edge at ``first``."""
    below, above = element_cross_section(
        element, subshells, np.array([first - 2.0, first + 10.0]), settings
    )
    return WHITE_LINE_HEIGHT * max(float(above - below), 0.0)


def white_line(energy, onset, height):
    """The calibration's white line of an edge at ``onset``: a Gaussian ``height`` high."""
    middle = 0.5 * sum(WHITE_LINE_POSITION)
    sigma = WHITE_LINE_FWHM / np.sqrt(8.0 * np.log(2.0))
    energy = np.asarray(energy, dtype=float)
    return height * np.exp(-0.5 * ((energy - onset - middle) / sigma) ** 2)


#: Length (eV) over which the residual of a fit is taken as correlated when
#: its misfit is propagated to the fractions: an edge shape or a background
#: the model does not hold is wrong over tens of eV, not channel by channel.
MISFIT_CORRELATION = 30.0
#: Relative uncertainty of an amount from a lanthanide's N4,5 edge alone:
#: the giant resonance is not in one-electron tables; only its total, over a
#: wide near-edge window, is used.
N45_ONLY_UNCERTAINTY = 0.5
#: Beam energy (kV) and semi-angles (mrad) used, with a warning naming them,
#: when neither the arguments nor the metadata give a setting: a common
#: STEM-EELS configuration.
DEFAULT_MICROSCOPE = {"beam_energy": 200.0, "convergence_angle": 10.0, "collection_angle": 20.0}
#: Microscope settings spanned when the metadata lack them: beam energy (kV)
#: and collection semi-angle (mrad).
PLAUSIBLE_SETTINGS = {"beam_energy": (60.0, 300.0), "collection_angle": (5.0, 100.0)}
# Power laws hold above the plasmons; a fit needs no more than this much
# pre-edge range below its first edge (eV, or this fraction of the onset).
MIN_FIT_ENERGY = 50.0
#: An edge needs this much of the window (eV) beyond its near-edge region.
MIN_STEP_RANGE = 10.0
#: Where an edge of the elements rises too close to the window's end to be
#: modelled, the fitted range ends this far (eV) below its tabulated onset:
#: the chemical shift and a channel or two of the rise.
END_BEFORE_ONSET = 5.0
# Edges one below another, each cut by the end in turn, stop being followed
# after this many.
_MAX_END_CUTS = 4
# The median of a chi-squared with one degree of freedom.
_CHI2_1_MEDIAN = 0.454936


def rise_column(element, rising, energy, settings):
    """An element's edges as a measured spectrum rises at them: what calibration matches.

    The tabulated cross-section of the subshells ``rising`` (``{subshell:
    onset}``) at ``energy`` (true eV, any shape) plus a white line at each of
    them that opens with one (3d and 4d L2,3, Cs..Yb M4,5;
    :mod:`eels_autoid._white_lines`), the pair in its typical intensity
    ratio. One-electron tables hold no white lines, yet there they are the
    rise: matched to the tables' slower step alone, the sharp lines of a
    lanthanide's M4,5 were matched several eV off.
    """
    subshells = list(rising)
    edge = element_cross_section(element, subshells, energy, settings)
    z = vocabulary.atomic_number(element)
    lines = {sub: onset for sub, onset in rising.items() if has_white_lines(z, sub)}
    if not lines:
        return edge
    height = white_line_height(element, subshells, min(lines.values()), settings)
    ratio = WHITE_LINE_RATIO.get(element, 1.0)
    for subshell, onset in lines.items():
        # The upper edge of a pair: its line over the lower one's is 1 / ratio.
        h = height / (ratio if subshell in LOWER_PARTNER else 1.0)
        edge = edge + white_line(energy, onset, h)
    return edge


def _end_cut_onsets(decisions, start, end):
    """First onsets of the main edge families left out because the window's end cuts them.

    Families whose first onset lies between ``start`` (the earliest onset an
    edge can be modelled at) and ``end``.
    """
    first = {}
    for d in decisions:
        if d.subshell in MAJOR_SUBSHELLS:
            key = (d.element, family_of(d.subshell))
            first[key] = min(first.get(key, np.inf), d.onset)
    cut = set()
    for d in decisions:
        key = (d.element, family_of(d.subshell))
        if key in first and not d.fitted and start <= first[key] <= end:
            cut.add(first[key])
    return sorted(cut)


class SpectrumModel:
    """The model of a core-loss spectrum on one energy axis.

    Parameters
    ----------
    energy : array_like
        Energy axis (eV) of the spectrum, increasing and evenly spaced.
    elements : list of str
    settings : dict
        ``beam_energy`` (kV), ``collection_angle`` and ``convergence_angle`` (mrad).
    fit_range : (float, float), optional
        Energies (eV) of the channels fitted; by default the window above
        50 eV, starting no more than max(100 eV, half the onset) below the
        first edge. Either ends :data:`END_BEFORE_ONSET` below an edge of the
        elements that rises too close to the end to be modelled, unless that
        loses a modelled edge; ``fit_range`` (the attribute) is what is fitted.
    margins : (float, float)
        An edge is modelled when at least ``margins[0]`` eV precede its onset
        and ``margins[1]`` eV follow it in the fitted range.
    near_edge_width : float, optional
        Near-edge extent (eV above an edge family's last onset); by default
        per family (35 eV for K, 30 for L2,3 and M4,5, 60 for N4,5).
    background : {"auto", "power laws", "subtracted"}
        ``"subtracted"`` for spectra whose background was already removed
        (a free constant and slope take what is left); ``"auto"`` decides
        from the pre-edge level.
    segments : bool, default True
        Start the power-law background anew between edge families far
        apart (:func:`~eels_autoid.spectrum_model.segment_breaks`), as a fit of
        each group alone would; ``False`` fits one background over the window.
    low_loss : array_like, optional
        A low loss on the same dispersion, and the index of its zero-loss
        channel ``zero_index``: the edges are convolved with it.
    data_start : float, optional
        The lowest loss (eV) the data allow a background fit from, also
        when ``fit_range`` is given: :func:`~eels_autoid.spectrum_model.rolloff_end`
        of the spectrum, past the rise of its first channels.
    minor_alone : collection of str, optional
        Elements fitted by their weaker subshells (L1, M2,3 ...) alone where
        their main edges lie outside the range; by default such an element
        is not fitted. For local windows, where another element's weaker
        edge must stay its own.
    """

    def __init__(
        self,
        energy,
        elements,
        settings,
        *,
        fit_range=None,
        margins=(20.0, 30.0),
        near_edge_width=None,
        background="auto",
        low_loss=None,
        zero_index=None,
        exponents=BACKGROUND_EXPONENTS,
        near_edge="basis",
        segments=True,
        data_start=None,
        minor_alone=(),
    ):
        energy = np.asarray(energy, dtype=float)
        if energy.ndim != 1 or len(energy) < 10:
            raise ValueError("The energy axis needs at least 10 channels.")
        if background not in ("auto", "power laws", "subtracted"):
            raise ValueError(
                f"background must be 'auto', 'power laws' or 'subtracted', got {background!r}."
            )
        self.axis = energy
        self.scale = float(energy[1] - energy[0])
        self.settings = dict(settings)
        self.elements = [str(e) for e in elements]
        self.near_edge_width = near_edge_width
        self.background_mode = background
        self.exponents = tuple(exponents)
        if near_edge not in ("basis", "exclude"):
            raise ValueError(f"near_edge must be 'basis' or 'exclude', got {near_edge!r}.")
        self.near_edge = near_edge
        self.edge_shifts = []
        self.minor_alone = frozenset(minor_alone)
        lo, hi = (energy[0], energy[-1]) if fit_range is None else fit_range
        lo = max(lo, energy[0], MIN_FIT_ENERGY)
        if data_start is not None:
            lo = max(lo, float(data_start))
        hi = min(hi, energy[-1])
        hi, decisions = self._end_below_cut_edges(lo, hi, margins)
        # A lanthanide is quantified from M4,5 where M4,5 is fitted: decided
        # after the window's end has cut what it cuts, so that one whose M4,5
        # falls there keeps its N4,5.
        self.decisions = lanthanide_rule(decisions)
        fitted_onsets = [d.onset for d in self.decisions if d.fitted]
        if fitted_onsets and fit_range is None:
            first = min(fitted_onsets)
            lo = max(lo, pre_edge_start(first))
        self.fit_range = (float(lo), float(hi))
        self.fitted = (energy >= lo - 1e-9) & (energy <= hi + 1e-9)
        self.energy = energy[self.fitted]
        self.families = edge_families(self.decisions)
        #: Energies (eV) where the power-law background starts anew.
        self.background_breaks = (
            tuple(segment_breaks(min(v) for v in self.families.values())) if segments else ()
        )
        self.modelled = [el for el in self.elements if any(k[0] == el for k in self.families)]
        self.reference = float(0.5 * (self.energy[0] + self.energy[-1]))
        self.background_reference = reference_energy(self.energy)
        self.low_loss = None
        if low_loss is not None:
            ll = np.asarray(low_loss, dtype=float)
            self.low_loss = ll
            self.zero_index = int(zero_index)

    def _end_below_cut_edges(self, start, end, margins):
        """(end, decisions): the range's end moved below the edges it cuts.

        An edge of the elements that rises too close to the end to be
        modelled would be fitted by the background and the other edges,
        which it would spoil: the fitted range ends below its onset (a main
        edge; the weak L1, M2,3 ... are left), unless that loses an edge the
        range models. The edges the shortened range no longer holds stay on
        record, dropped.
        """
        decisions = self._plan(start, end, margins)
        beyond = {}
        for _ in range(_MAX_END_CUTS):
            rising = _end_cut_onsets(decisions, start + margins[0], end)
            if not rising:
                break
            shorter = min(rising) - END_BEFORE_ONSET
            fewer = self._plan(start, shorter, margins)
            if set(edge_families(decisions)) - set(edge_families(fewer)):
                break
            for d in decisions:
                if d.onset > shorter:
                    beyond[(d.element, d.subshell)] = EdgeDecision(
                        d.element,
                        d.subshell,
                        d.onset,
                        "dropped",
                        f"{d.reason}; the fitted range ends at {shorter:g} eV, below its onset",
                    )
            end, decisions = shorter, fewer
        listed = {(d.element, d.subshell) for d in decisions}
        decisions = sorted(
            [*decisions, *(d for k, d in beyond.items() if k not in listed)],
            key=lambda d: (vocabulary.atomic_number(d.element), d.onset),
        )
        return end, decisions

    def _plan(self, start, end, margins):
        """The edges modelled over ``[start, end]`` (eV)."""
        decisions = plan_edges(
            self.elements,
            start,
            end,
            fine_structure_width=0.0,
            margins=margins,
            minor_alone=self.minor_alone,
        )
        return self._drop_cut_edges(decisions, end)

    def _drop_cut_edges(self, decisions, end):
        """Drop edge families whose near-edge region leaves no channel before the window's end.

        The step beyond the near-edge region is what measures an edge's
        amount once that region is left out (or free to reshape).
        """
        families = edge_families(decisions)
        cut = {}
        for (el, fam), onsets in families.items():
            if fam not in vocabulary.EDGE_FAMILIES:
                continue
            start, stop = near_edge_extent(fam, min(onsets), max(onsets))
            if self.near_edge_width is not None:
                stop = max(onsets) + float(self.near_edge_width)
            if stop + MIN_STEP_RANGE > end:
                cut[(el, fam)] = stop
        if not cut:
            return decisions
        out = []
        for d in decisions:
            stop = cut.get((d.element, family_of(d.subshell)))
            if d.fitted and stop is not None:
                d = EdgeDecision(
                    d.element,
                    d.subshell,
                    d.onset,
                    "dropped",
                    f"its near-edge region runs to {stop:g} eV, less than "
                    f"{MIN_STEP_RANGE:g} eV before the end of the fitted range ({end:g} eV): "
                    "no channel measures its step",
                )
            out.append(d)
        return out

    # -- columns ----------------------------------------------------------------------

    def _subshells(self, element):
        return [d.subshell for d in self.decisions if d.element == element and d.fitted]

    def _rising(self, element):
        """``{subshell: onset}`` of ``element``'s edges that calibration places.

        Those fitted, and main edges (K, L2,3, M4,5, N4,5) in the fitted range
        too close to its start or end to be modelled: they cannot be fitted,
        but they rise where they are.
        """
        lo, hi = float(self.energy[0]), float(self.energy[-1])
        return {
            d.subshell: d.onset
            for d in self.decisions
            if d.element == element
            and (
                d.fitted
                or (family_of(d.subshell) in vocabulary.EDGE_FAMILIES and lo <= d.onset <= hi)
            )
        }

    def rise_column(self, element, energy):
        """``element``'s edges as a measured spectrum rises at them: what calibration matches.

        See :func:`rise_column`; the edges are those the model holds.
        """
        return rise_column(element, self._rising(element), energy, self.settings)

    def n45_only(self, element):
        """Whether a lanthanide is modelled from its N edges alone."""
        fams = {f for (el, f) in self.families if el == element}
        return element in LANTHANIDES and fams <= {"N4,5", "N1", "N2", "N3"} and "N4,5" in fams

    def _extents(self, element):
        out = []
        for (el, fam), onsets in self.families.items():
            if el != element or fam not in vocabulary.EDGE_FAMILIES:
                continue
            start, end = near_edge_extent(fam, min(onsets), max(onsets))
            if self.near_edge_width is not None:
                end = max(onsets) + float(self.near_edge_width)
            out.append((start, end))
        return out

    def element_columns(self, energy, calibration, element, settings=None):
        """(edge column, near-edge columns) of ``element`` at the axis energies ``energy``.

        Counts per channel at unit amount: cross-section (barn/eV) x channel width.
        """
        true = calibration.true_energy(energy, element)
        edge = element_cross_section(
            element, self._subshells(element), true, settings or self.settings
        )
        if self.near_edge == "exclude":
            return edge * self.scale, np.zeros((len(energy), 0))
        near = [near_edge_columns(true, ext) for ext in self._extents(element)]
        near = np.column_stack(near) if near else np.zeros((len(energy), 0))
        return edge * self.scale, near * self.scale

    def _convolve(self, calibration, element, settings=None):
        """Element columns convolved with the low loss, on the fitted channels."""
        from scipy.signal import fftconvolve

        n_ll = len(self.low_loss)
        conv_axis = self.axis[0] - (n_ll - 1 - self.zero_index) * self.scale
        conv_axis = conv_axis + self.scale * np.arange(len(self.axis) + n_ll - 1)
        edge, near = self.element_columns(conv_axis, calibration, element, settings)
        cols = np.column_stack([edge, near])
        full = fftconvolve(cols, self.low_loss[:, None], mode="valid", axes=0)
        full = full[self.fitted]
        return full[:, 0], full[:, 1:]

    def design(self, calibration, elements=None, settings=None, subtracted=False):
        """Design matrix over the fitted channels and the role of each column.

        Roles: ``"background"`` (non-negative), an element symbol (its amount,
        non-negative), ``"near-edge:<element>"`` (free).
        """
        elements = self.modelled if elements is None else elements
        if subtracted:
            bg = offset_columns(self.energy)
            roles = ["offset"] * bg.shape[1]
        else:
            # A power law of the true loss, which a dispersion error distorts
            # on the axis.
            bg = power_law_columns(
                calibration.true_energy(self.energy), self.exponents, self.background_reference
            )
            # One non-negative combination per segment, zero outside it.
            masks = segment_masks(self.energy, self.background_breaks)
            bg = np.hstack([bg * m[:, None] for m in masks])
            roles = ["background"] * bg.shape[1]
        cols = [bg]
        near_cols = []
        for el in elements:
            if self.low_loss is None:
                edge, near = self.element_columns(self.energy, calibration, el, settings)
            else:
                edge, near = self._convolve(calibration, el, settings)
            cols.append(edge[:, None])
            roles.append(el)
            near_cols.append((el, near))
        for el, near in near_cols:
            if near.shape[1]:
                cols.append(near)
                roles += [f"near-edge:{el}"] * near.shape[1]
        return np.column_stack(cols), roles

    def background_ranges(self):
        """(start, end) in eV of each background segment (the fitted range when one)."""
        edges = [self.fit_range[0], *self.background_breaks, self.fit_range[1]]
        return list(zip(edges[:-1], edges[1:], strict=True))

    def near_edge_mask(self, calibration):
        """0 on the fitted channels inside any modelled element's near-edge extent, else 1."""
        mask = np.ones(len(self.energy))
        for el in self.modelled:
            true = calibration.true_energy(self.energy, el)
            for start, end in self._extents(el):
                mask[(true >= start) & (true <= end)] = 0.0
        return mask

    # -- fitting ----------------------------------------------------------------------

    def is_subtracted(self, data):
        """Whether the background looks already subtracted: pre-edge level near zero."""
        if self.background_mode != "auto":
            return self.background_mode == "subtracted"
        onsets = [d.onset for d in self.decisions if d.fitted]
        if not onsets:
            return False
        pre = self.energy < min(onsets) - 5.0
        if pre.sum() < 5:
            return False
        # Conservative: a raw background (however weak beside a strong edge)
        # stands many standard errors above zero; a subtracted one does not.
        values = data[pre]
        level = float(np.mean(values))
        error = float(np.std(values)) / np.sqrt(len(values))
        top = float(np.max(np.abs(data)))
        return abs(level) < 3.0 * error and abs(level) < 0.05 * top

    def _solve(self, data, weights, calibration, subtracted, elements=None, settings=None):
        a, roles = self.design(calibration, elements, settings, subtracted)
        if self.near_edge == "exclude":
            weights = weights * self.near_edge_mask(calibration)
        free = np.array([r == "offset" or r.startswith("near-edge:") for r in roles])
        x, chi2 = solve(a, data, weights, free)
        return x, chi2, a, roles, free

    def fit(self, data, *, calibrate=False, defaulted=(), offset=None):
        """Fit the model to one spectrum (the fitted channels of ``data``, full axis length).

        Parameters
        ----------
        data : array_like, shape (N,)
        calibrate : bool, default False
            Fit the offset (and the dispersion error for wide windows, and
            per-element shifts) by grid searches with priors; else use the
            axis as it is (or ``offset``). See :meth:`calibrate`.
        defaulted : sequence of str
            Microscope settings that came from defaults: their plausible
            range adds to the fractions' uncertainty.
        offset : float, optional
            A known offset (eV), not fitted.

        Returns
        -------
        SpectrumFit
        """
        y = np.asarray(data, dtype=float)[self.fitted]
        if not np.all(np.isfinite(y)):
            raise ValueError("The spectrum holds NaN or inf values in the fitted range.")
        if not self.modelled:
            raise ValueError("No element has an edge that can be fitted in the fitted range.")
        subtracted = self.is_subtracted(y)
        cal = Calibration(reference=self.reference, offset=float(offset or 0.0))
        # First weights from the smoothed data; then the noise model of the fit.
        from scipy.ndimage import uniform_filter1d

        smooth = np.abs(uniform_filter1d(y, min(15, len(y)), mode="nearest"))
        level = np.maximum(smooth, 0.05 * np.median(smooth) + 1e-30)
        weights = 1.0 / np.sqrt(level)
        x, chi2, a, roles, free = self._solve(y, weights, cal, subtracted)
        weights = self._poisson_weights(y, a @ x, len(x), smooth, subtracted)[0]
        if calibrate and offset is None:
            cal = self._calibrate(y, cal)
        # The final fit leaves out the extents where the calibration puts them.
        x, chi2, a, roles, free = self._solve(y, weights, cal, subtracted)
        weights, noise = self._poisson_weights(y, a @ x, len(x), smooth, subtracted)
        x, chi2, a, roles, free = self._solve(y, weights, cal, subtracted)
        return self._result(y, x, chi2, a, roles, free, weights, noise, cal, subtracted, defaulted)

    def calibrate(self, data, *, every_rise=True):
        """The calibration the edges' rises ask for, without a fit.

        Parameters
        ----------
        data : array_like, shape (N,)
            A spectrum on the model's full axis.
        every_rise : bool, default True
            Move the axis only where the move leaves no clear rise of the
            data without an edge: for elements read on the axis as it is,
            whose rises are the data's. False for candidates pooled from
            readings at several trial offsets, most of them wrong at any
            one offset, whose rises only agreement decides.

        Returns
        -------
        Calibration
            Offset, dispersion error and chemical shifts; :attr:`edge_shifts`
            holds each edge family's measured shift and correlation.
        """
        y = np.nan_to_num(np.asarray(data, dtype=float)[self.fitted])
        return self._calibrate(y, Calibration(reference=self.reference), every_rise)

    def _calibrate(self, y, cal, every_rise=True):
        """Offset, dispersion error (wide windows) and chemical shifts from the edges' rises."""
        # The N4,5 giant resonance of Cs, Ba and the lanthanides does not rise
        # where one-electron tables put its onset: it cannot calibrate.
        families = {}
        for element in self.elements:
            resonant = element in LANTHANIDES or vocabulary.atomic_number(element) in WHITE_LINE_M
            for subshell, onset in self._rising(element).items():
                family = family_of(subshell)
                if family in vocabulary.EDGE_FAMILIES and not (resonant and family == "N4,5"):
                    families.setdefault((element, family), []).append(onset)
        shifts = edge_shifts(
            self.energy,
            y,
            families,
            self.rise_column,
            MAX_OFFSET,
        )
        self.edge_shifts = shifts
        dispersion = 0.0
        clear = [s for s in shifts if s.weight > 0]
        if np.ptp(self.energy) > WIDE_WINDOW and len({s.element for s in clear}) > 1:
            # A dispersion error moves edges by amounts that grow with energy.
            # Searched with the offset: each trial moves every family's rise
            # curve, and the edges that one calibration puts in place decide,
            # not a slope through every family's best match (a wrong
            # candidate's, on another edge's rise, would tilt the axis).
            def agreement(d):
                return (
                    best_agreement(self._dispersed(shifts, d), MAX_SHIFT)
                    - PRIOR_WEIGHT * (d / DISPERSION_PRIOR) ** 2
                )

            values = [agreement(d) for d in _DISPERSION_TRIALS]
            flat = values[int(np.argmin(np.abs(_DISPERSION_TRIALS)))]
            k = int(np.argmax(values))
            if values[k] - flat >= MIN_GAIN:
                dispersion = float(_DISPERSION_TRIALS[k])
        offset, chemical = combine_shifts(
            self._dispersed(shifts, dispersion), MAX_SHIFT, every_rise=every_rise
        )
        if abs(offset) >= MAX_OFFSET - 2.0:
            warnings.warn(
                f"The fitted energy offset is at its bound ({offset:+.1f} eV): the energy "
                "axis may be further off than the model searches. Calibrate it (a low loss "
                "with its zero-loss peak) or check the elements.",
                UserWarning,
                stacklevel=4,
            )
        return cal.replace(offset=offset, dispersion_error=dispersion, shifts=chemical)

    def _dispersed(self, shifts, dispersion):
        """The edge shifts as they stand once a dispersion error is taken out."""
        if not dispersion:
            return shifts
        return [
            EdgeShift(
                s.element,
                s.family,
                s.onset,
                s.shift - dispersion * (s.onset - self.reference),
                s.correlation,
                tuple(np.asarray(s.grid) - dispersion * (s.onset - self.reference)),
                s.curve,
                s.partners,
                s.lag,
            )
            for s in shifts
        ]

    def evidence(self, fit, elements, whole=False, over=None):
        """Evidence for a set of elements together: the chi-squared their amounts gain.

        The amounts of ``elements`` are set to 0 and everything else is
        refitted, their own near-edge terms included: near-edge structure
        redistributes an edge's intensity and cannot stand for an element
        whose edge the spectrum does not need. Measured over the elements'
        own range, in local misfit units (see :attr:`SpectrumFit.evidence`).
        Two elements that explain the same signal have little evidence each
        and much together.

        Parameters
        ----------
        fit : SpectrumFit
            A fit of this model.
        elements : iterable of str
        whole : bool
            Remove their near-edge terms too: for edges whose shape the
            tables do not hold (a lanthanide's N4,5 giant resonance), the
            question is whether anything is left for them to explain.
        over : list of lists of float, optional
            Edge families (their onsets, eV) whose ranges the chi-squared is
            measured over, instead of the elements' own: two elements are
            compared on the same channels.

        Returns
        -------
        float
        """
        drop = set(elements) & set(fit.elements)
        if not drop:
            return 0.0
        r_with = (fit.data - fit.model) * fit.weights
        return self._local_evidence(
            drop, fit.calibration, r_with, self._residual_without(fit, drop, whole), over
        )

    def _residual_without(self, fit, drop, whole=False):
        """Weighted residual of the fit refitted with the amounts of ``drop`` at 0."""
        a, roles, w = fit.design, fit.roles, fit.weights
        gone = set(drop) | ({f"near-edge:{el}" for el in drop} if whole else set())
        keep = np.array([r not in gone for r in roles])
        free = np.array([r == "offset" or r.startswith("near-edge:") for r in roles])
        x, _ = solve(a[:, keep], fit.data, w, free[keep])
        return (fit.data - a[:, keep] @ x) * w

    def _local_evidence(self, elements, calibration, r_with, r_without, over=None):
        """Chi-squared gained by the elements over their own edges' range, in local misfit units.

        Over the channels from 30 eV below to 100 eV above each of their edge
        families, so that a misfit elsewhere (another edge's near-edge
        structure) neither dilutes nor inflates it.
        """
        region = np.zeros(len(self.energy), dtype=bool)
        if over is not None:
            families = [(None, onsets) for onsets in over]
        else:
            families = [(el, v) for (el, _), v in self.families.items() if el in elements]
        for el, onsets in families:
            true = calibration.true_energy(self.energy, el)
            region |= (true >= min(onsets) - 30.0) & (true <= max(onsets) + 100.0)
        region &= r_with != 0
        n = int(region.sum())
        if not n:
            return 0.0
        with_ = float((r_with[region] ** 2).sum())
        gain = float((r_without[region] ** 2).sum()) - with_
        # The misfit scale from the median: a few spikes or hot channels
        # would inflate a mean and hide every edge beside them.
        scale = float(np.median(r_with[region] ** 2)) / _CHI2_1_MEDIAN
        return max(gain, 0.0) / max(scale, 1.0)

    @staticmethod
    def _poisson_weights(y, model, n_parameters, smooth, subtracted):
        """Fit weights from the counting noise alone, and the full noise model.

        The model-error term is left out of the weights: it is a smooth,
        correlated misfit, and weighting by it (1/model**2 at high counts)
        would let the low-count tail far from the edges decide the amounts.
        It enters the uncertainties and the evidence instead, through the
        reduced chi-squared.
        """
        level = np.maximum(np.abs(model), smooth) if subtracted else model
        noise = estimate_noise(y, level, n_parameters)
        return NoiseModel(noise.gain, 0.0).weights(level), noise

    def _result(self, y, x, chi2, a, roles, free, weights, noise, cal, subtracted, defaulted):
        els = self.modelled
        # An amount at its bound keeps the variance the data give it.
        active = free | (x > 0) | np.isin(roles, els)
        if self.near_edge == "exclude":
            weights = weights * self.near_edge_mask(cal)
        dof = max(int((weights > 0).sum()) - int(active.sum()), 1)
        # Misfit beyond counting noise scales the uncertainties and the evidence.
        overdispersion = max(chi2 / dof, 1.0)
        cov = covariance(a, weights, active) * overdispersion
        idx = [roles.index(el) for el in els]
        amounts = x[idx]
        amount_cov = cov[np.ix_(idx, idx)]
        frac, frac_std = (v[0] for v in atomic_fractions(amounts[None], amount_cov[None]))
        systematic = self._systematic(y, weights, cal, subtracted, defaulted, frac)
        misfit = self._misfit_uncertainty(a, weights, y - a @ x, active, idx, amounts, frac_std)
        systematic = {
            el: float(np.hypot(systematic.get(el, 0.0), m))
            for el, m in zip(els, misfit, strict=True)
        }
        model = a @ x
        bg_cols = [i for i, r in enumerate(roles) if r in ("background", "offset")]
        # The power-law coefficients of each background segment.
        bg_x = [x[i] for i, role in enumerate(roles) if role == "background"]
        n = len(self.exponents)
        terms = [
            {
                float(r): float(c)
                for r, c in zip(self.exponents, bg_x[k : k + n], strict=True)
                if c > 0
            }
            for k in range(0, len(bg_x), n)
        ] or [{}]
        # Each element's part with its near-edge terms attributed as the
        # columns resolve them; what overlapping extents share stays apart.
        near = [i for i, r in enumerate(roles) if r.startswith("near-edge:")]
        shown = x.copy()
        shared = np.zeros(len(y))
        if near:
            total = a[:, near] @ x[near]
            shown[near] = attribute(a[:, near], total)
            shared = total - a[:, near] @ shown[near]
        parts = {}
        for el in els:
            cols = [i for i, r in enumerate(roles) if r in (el, f"near-edge:{el}")]
            parts[el] = a[:, cols] @ shown[cols]
        total_std = np.sqrt(
            frac_std**2 + (np.array([systematic.get(e, 0.0) for e in els]) * frac) ** 2
        )
        fit = SpectrumFit(
            elements=list(els),
            amounts=dict(zip(els, amounts.tolist(), strict=True)),
            amount_std=dict(zip(els, np.sqrt(np.diag(amount_cov)).tolist(), strict=True)),
            fractions=dict(zip(els, frac.tolist(), strict=True)),
            fraction_std=dict(zip(els, total_std.tolist(), strict=True)),
            evidence={},
            calibration=cal,
            noise=noise,
            energy=self.energy,
            data=y,
            model=model,
            background=a[:, bg_cols] @ x[bg_cols],
            parts=parts,
            shared_near_edge=shared,
            chi2=float(chi2),
            dof=dof,
            background_subtracted=subtracted,
            decisions=list(self.decisions),
            coefficients=x,
            roles=roles,
            systematic=systematic,
            background_terms=terms[0] if len(terms) == 1 else {},
            background_segments=tuple(
                (lo, hi, t) for (lo, hi), t in zip(self.background_ranges(), terms, strict=True)
            )
            if len(terms) > 1
            else (),
            background_reference=self.background_reference,
            fitted=weights > 0,
            design=a,
            weights=weights,
        )
        fit.evidence = {el: self.evidence(fit, [el]) for el in els}
        return fit

    def _misfit_uncertainty(self, a, weights, residual, active, idx, amounts, frac_std):
        """Relative fraction uncertainty per element from the fit's correlated misfit.

        The sandwich covariance of the amounts with the residual correlated
        over :data:`MISFIT_CORRELATION` eV, propagated to the fractions;
        what it adds to the ordinary standard error, relative to the
        fraction. Zero where the misfit is noise.
        """
        n = len(idx)
        if n < 2 or not np.all(np.isfinite(amounts)):
            return np.zeros(n)
        lag = int(round(MISFIT_CORRELATION / max(self.scale, 1e-9)))
        cov = misfit_covariance(a, weights, residual, active, idx, lag)
        frac, std = (v[0] for v in atomic_fractions(amounts[None], cov[None]))
        extra = np.sqrt(np.maximum(std**2 - frac_std**2, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(frac > 0, extra / frac, 0.0)

    def _systematic(self, y, weights, cal, subtracted, defaulted, frac):
        """Relative fraction uncertainty per element beyond counting noise."""
        out = {el: (N45_ONLY_UNCERTAINTY if self.n45_only(el) else 0.0) for el in self.modelled}
        spans = {k: v for k, v in PLAUSIBLE_SETTINGS.items() if k in defaulted}
        if not spans or len(self.modelled) < 2 or not np.all(np.isfinite(frac)):
            return out
        keys = list(spans)
        fractions = []
        for corner in np.array(np.meshgrid(*[spans[k] for k in keys])).reshape(len(keys), -1).T:
            settings = dict(self.settings, **dict(zip(keys, corner, strict=True)))
            x, _, _, roles, _ = self._solve(y, weights, cal, subtracted, settings=settings)
            amounts = np.maximum([x[roles.index(el)] for el in self.modelled], 0.0)
            if amounts.sum() > 0:
                fractions.append(amounts / amounts.sum())
        if fractions:
            spread = 0.5 * np.ptp(np.vstack(fractions + [frac]), axis=0)
            for el, s, f in zip(self.modelled, spread, frac, strict=True):
                out[el] = float(np.hypot(out[el], s / f if f > 0 else 0.0))
        return out
