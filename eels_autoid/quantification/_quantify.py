"""quantify: elemental maps from an EELS spectrum image with exspy's model and a linear fit."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .. import vocabulary
from .._bad_values import filled_spectrum, unusable_spectra
from .._computing import compute, is_lazy
from .._computing import show_progressbar as _show
from .._docstrings import QUANTIFY_PARAMETERS
from ..identification import MIN_AREA_FRACTION
from ..preprocessing import MAX_BRIDGED_GAP
from ..spectrum_model import MIN_FIT_ENERGY
from ..spectrum_model._result import mask_ranges
from ._checks import check_low_loss, check_signal, microscope_settings
from ._edges import EdgeDecision, edge_components, twin_element_edges
from ._fit import (
    MIN_MEASURED_SHARE,
    SPECTRA_PER_BLOCK,
    LinearProblem,
    fit_block,
    lazy_blocks,
    map_pixels,
    output_layout,
    separability,
)

__all__ = ["quantify"]

_SPECTRA_PER_BLOCK = SPECTRA_PER_BLOCK
# Below this separability (``_fit.separability``) an element's intensity has
# its variance inflated more than 100-fold by the overlap of its column with
# the others: e.g. F K 23 eV below Fe L3, with both near-edge regions left
# out, leaves two continua of the same shape.
MIN_SEPARABILITY = 0.1


def _check_options(fine_structure_width, edge_margins, background_exponents, signal_range, axis):
    if fine_structure_width is not None and not (
        math.isfinite(fine_structure_width) and fine_structure_width >= 0
    ):
        raise ValueError(
            f"fine_structure_width must be a non-negative number (eV), got {fine_structure_width}."
        )
    try:
        before, after = (float(v) for v in edge_margins)
    except (TypeError, ValueError):
        raise ValueError(
            f"edge_margins must be two numbers (eV before the onset, eV after the fine "
            f"structure), got {edge_margins!r}."
        ) from None
    if not (before >= 0 and after >= 0 and math.isfinite(before + after)):
        raise ValueError(f"edge_margins must be non-negative, got {edge_margins!r}.")
    if background_exponents is not None:
        exps = np.atleast_1d(np.asarray(background_exponents, dtype=float))
        if exps.ndim != 1 or not len(exps) or not np.all(np.isfinite(exps)):
            raise ValueError(
                f"background_exponents must be a non-empty sequence of numbers, got "
                f"{background_exponents!r}."
            )
        background_exponents = tuple(float(r) for r in exps)
    lo, hi = axis.offset, axis.end
    if signal_range is not None:
        try:
            a, b = (float(v) for v in signal_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"signal_range must be (start, end) in eV, got {signal_range!r}."
            ) from None
        if not a < b:
            raise ValueError(f"signal_range must be increasing, got {signal_range!r}.")
        if b <= lo or a >= hi:
            raise ValueError(
                f"signal_range {a:g}..{b:g} eV lies outside the energy axis {lo:g}..{hi:g} eV."
            )
        lo, hi = max(lo, a), min(hi, b)
    lo = max(lo, MIN_FIT_ENERGY)
    if hi - lo < 10 * axis.scale:
        raise ValueError(
            f"The fitted range {lo:g}..{hi:g} eV is too short: quantification fits the core "
            f"loss above {MIN_FIT_ENERGY:g} eV."
        )
    return (before, after), background_exponents, (lo, hi)


def _resolve_elements(signal, identification, elements, identify_kwargs):
    """(elements in Z order, where they came from, identification or None)."""
    if elements is not None:
        if isinstance(elements, str):
            elements = [elements]
        elements = list(dict.fromkeys(str(e) for e in elements))
        for el in elements:
            vocabulary.atomic_number(el)  # clear error for unknown symbols
        source = "elements argument"
    elif identification is not None:
        from ..identification import EdgeIdentification

        if not isinstance(identification, EdgeIdentification):
            raise TypeError(
                "identification must be the EdgeIdentification returned by identify_edges, "
                f"got {type(identification).__name__}."
            )
        nav = tuple(signal.axes_manager.navigation_shape)
        if tuple(identification._nav_shape) != nav:
            raise ValueError(
                f"The identification was made on spectra of navigation shape "
                f"{identification._nav_shape}, not this signal's {nav}."
            )
        elements = list(identification.elements)
        source = "identification"
    elif signal.metadata.has_item("Sample.elements") and len(signal.metadata.Sample.elements):
        elements = [str(e) for e in signal.metadata.Sample.elements]
        for el in elements:
            vocabulary.atomic_number(el)
        source = "metadata.Sample.elements"
    else:
        from ..identification import identify_edges

        identification = identify_edges(signal, **identify_kwargs)
        elements = list(identification.elements)
        source = "identify_edges"
    if not elements:
        raise ValueError(
            "There is no element to quantify: the identification detected none. Pass "
            "elements=[...] to quantify chosen elements."
        )
    return sorted(elements, key=vocabulary.atomic_number), source, identification


def _model_signal(signal, settings, title):
    """A new exspy EELS signal on the same data (never copied, never written)."""
    from exspy.signals import EELSSpectrum, LazyEELSSpectrum

    md = signal.metadata.as_dictionary()
    md.get("Sample", {}).pop("elements", None)
    md.setdefault("Signal", {})["signal_type"] = "EELS"
    md.setdefault("General", {})["title"] = title
    axes = [ax.get_axis_dictionary() for ax in signal.axes_manager._axes]
    cls = LazyEELSSpectrum if getattr(signal, "_lazy", False) else EELSSpectrum
    copy = cls(signal.data, axes=axes, metadata=md)
    copy.axes_manager.signal_axes[0].units = "eV"
    copy.metadata.set_item("Acquisition_instrument.TEM.beam_energy", settings["beam_energy"])
    copy.metadata.set_item(
        "Acquisition_instrument.TEM.convergence_angle", settings["convergence_angle"]
    )
    copy.metadata.set_item(
        "Acquisition_instrument.TEM.Detector.EELS.collection_angle", settings["collection_angle"]
    )
    return copy


@dataclass(frozen=True)
class _Plan:
    """What quantify was asked to do, checked: the input to every stage."""

    axis: object
    elements: list
    source: str
    identification: object
    settings: dict
    defaulted: list
    window: tuple
    user_range: bool
    margins: tuple
    near_edge_width: float | None
    background_exponents: tuple | None
    zero_index: int | None
    calibrate: bool
    reject_spikes: bool

    @property
    def energy(self):
        return self.axis.offset + self.axis.scale * np.arange(self.axis.size)


@dataclass(frozen=True)
class _Edges:
    """The exspy components of the fitted edges, by element, and what was left out."""

    components: dict
    decisions: list
    quantified: list
    dropped: dict


@dataclass(frozen=True)
class _PixelProblem:
    """The linear problem every pixel solves, and the components behind its columns."""

    linear: LinearProblem
    background: list
    excluded: list


def _plan(
    signal,
    identification,
    elements,
    low_loss,
    identify_kwargs,
    settings_kwargs,
    *,
    signal_range,
    fine_structure_width,
    edge_margins,
    background_exponents,
    calibrate,
    reject_spikes,
    show_progressbar,
):
    """Check the input and options; resolve the elements and the microscope settings."""
    axis = check_signal(signal)
    margins, background_exponents, window = _check_options(
        fine_structure_width, edge_margins, background_exponents, signal_range, axis
    )
    zero_index = None if low_loss is None else check_low_loss(low_loss, signal, axis)
    elements, source, identification = _resolve_elements(
        signal, identification, elements, identify_kwargs
    )
    # Warnings name quantify's caller: two frames above this one.
    settings, defaulted = microscope_settings(signal, stacklevel=4, **settings_kwargs)
    return _Plan(
        axis=axis,
        elements=elements,
        source=source,
        identification=identification,
        settings=settings,
        defaulted=list(defaulted),
        window=window,
        user_range=signal_range is not None,
        margins=margins,
        near_edge_width=fine_structure_width,
        background_exponents=background_exponents,
        zero_index=zero_index,
        calibrate=bool(calibrate),
        reject_spikes=bool(reject_spikes),
    )


def _fit_mean_spectrum(plan, mean, low_loss):
    """The spectrum model of the mean spectrum, and its fit.

    It decides the edges, the calibration and the background shape that
    every pixel shares.
    """
    from ..spectrum_model import SpectrumModel, rolloff_end

    ll = None
    if low_loss is not None:
        ll = _mean_spectrum(low_loss.data, False)
        ll = np.nan_to_num(ll) / max(float(np.nansum(ll)), np.finfo(float).tiny)
    model = SpectrumModel(
        plan.energy,
        plan.elements,
        plan.settings,
        # The model starts the fit where its background holds (no more than
        # max(100 eV, half the onset) below the first edge) unless told.
        fit_range=plan.window if plan.user_range else None,
        margins=plan.margins,
        near_edge_width=plan.near_edge_width,
        near_edge="exclude",
        low_loss=ll,
        zero_index=plan.zero_index,
        data_start=rolloff_end(plan.energy, np.nan_to_num(mean)),
    )
    window = plan.window
    if not model.modelled:
        detail = "\n".join(
            f"  {d.element} {d.subshell}: {d.reason}" for d in model.decisions if not d.fitted
        )
        raise ValueError(
            f"The fitted range {window[0]:g}..{window[1]:g} eV covers no edge of "
            f"{', '.join(plan.elements)} that can be quantified"
            + (f":\n{detail}" if detail else ".")
        )
    y = np.where(np.isfinite(mean), mean, 0.0)
    empty, negated = unusable_spectra(y[model.fitted][None, :])
    if empty[0] or negated[0]:
        state = "zero (or not finite)" if empty[0] else "mostly negative"
        lo, hi = model.fit_range
        raise ValueError(
            f"The signal (mean over pixels) is {state} in the fitted range {lo:g}..{hi:g} eV: "
            "counts cannot be quantified. Is it inverted, or was too much dark or background "
            "subtracted?"
        )
    # A low loss aligned on its zero-loss peak fixes the axis, and so does an
    # identification that calibrated it.
    offset = 0.0 if low_loss is not None else None
    shift = getattr(plan.identification, "energy_shift", 0.0)
    if low_loss is None and shift:
        offset = float(shift)
    fit = model.fit(y, calibrate=plan.calibrate, defaulted=tuple(plan.defaulted), offset=offset)
    return model, fit


def _edges_to_fit(plan, spectrum_model, spectrum_fit):
    """exspy components of the edges the spectrum model holds, placed by its calibration."""
    from ..gos import gosh_file

    components, decisions = _build_components(
        list(spectrum_model.decisions),
        plan.settings,
        plan.axis.scale,
        gosh_file(),
        spectrum_fit.calibration,
    )
    quantified = [el for el in plan.elements if el in components]
    dropped = _dropped_elements(plan.elements, components, decisions)
    if dropped:
        lo, hi = plan.window
        warnings.warn(
            f"{', '.join(dropped)}: no edge that can be fitted in {lo:g}..{hi:g} eV, "
            "left out of the quantification (result.dropped_elements says why).",
            UserWarning,
            stacklevel=3,
        )
    return _Edges(components, decisions, quantified, dropped)


def _pixel_problem(plan, spectrum_model, spectrum_fit, edges, mean, low_loss):
    """The shared design: background shape and element columns; the channels fitted."""
    axis, energy = plan.axis, plan.energy
    fitted = np.zeros(axis.size, dtype=bool)
    fitted[spectrum_model.fitted] = spectrum_model.near_edge_mask(spectrum_fit.calibration) > 0
    excluded = mask_ranges(energy, spectrum_model.fitted & ~fitted)
    element_columns = np.column_stack(
        [_element_column(edges.components[el], energy, axis.scale) for el in edges.quantified]
    )
    background = _background_components(spectrum_fit, plan.background_exponents)
    design = np.column_stack(
        [c.function(energy) * axis.scale for c in background] + [element_columns]
    )
    convolution = None
    if low_loss is not None:
        convolution = _convolution_columns(
            edges.components, edges.quantified, low_loss, plan.zero_index, axis
        )
    linear = LinearProblem(
        design=design,
        weights=_fit_weights(spectrum_model, mean, spectrum_fit),
        fitted=fitted,
        n_background=len(background),
        convolution=convolution,
        reject_spikes=plan.reject_spikes,
    )
    return _PixelProblem(linear, background, excluded)


def _solve_pixels(signal, low_loss, problem, show_progressbar):
    """Every pixel's fit (see ``_fit.output_layout``), block by block; lazy input stays lazy."""
    ll_data = None if low_loss is None else low_loss.data
    if not is_lazy(signal.data):
        if ll_data is not None and is_lazy(ll_data):
            ll_data = np.asarray(ll_data.compute())
        results = _fit_in_memory(signal.data, ll_data, problem, show_progressbar)
    else:
        results = _fit_lazy(signal.data, ll_data, problem, show_progressbar)
    fitted = np.isfinite(results[..., 0])
    bad = int((~fitted).sum())
    if bad:
        warnings.warn(
            f"{bad} spectra have too few measured (finite) channels in the fitted range: "
            f"under {MIN_MEASURED_SHARE:.0%} of them, or of the part of an element's edges "
            "the background cannot mimic (its onset); or their low loss holds runs of more "
            f"than {MAX_BRIDGED_GAP} NaN or inf channels, or holds no intensity. Their results "
            "are NaN. Elsewhere NaN or inf channels are left out of a spectrum's fit "
            "(rejected_channels).",
            UserWarning,
            stacklevel=3,
        )
    lay = output_layout(problem.n_columns, problem.n_elements)
    # Fitted, but no element's amount above 0: fractions of nothing are
    # undefined (vacuum, a hole, or too few counts to see any edge).
    empty = int((fitted & np.isnan(results[..., lay["fractions"]]).all(axis=-1)).sum())
    if empty:
        warnings.warn(
            f"In {empty} of {fitted.size} spectra no element's edges have an amount above 0 "
            "(vacuum, a hole, or too few counts to see any edge): their atomic fractions "
            "are NaN; the amounts and their uncertainties are kept.",
            UserWarning,
            stacklevel=3,
        )
    return results


def _exspy_model(signal, plan, edges, problem, results, layout, low_loss):
    """exspy's EELSModel holding the fit: parameter maps set, near-edge channels left out."""
    from ..gos import gosh_file

    title = signal.metadata.get_item("General.title", "") or "EELS"
    model_sig = _model_signal(signal, plan.settings, title)
    ll_copy = None if low_loss is None else _model_signal(low_loss, plan.settings, "Low loss")
    m = model_sig.create_model(
        low_loss=ll_copy,
        auto_background=False,
        auto_add_edges=False,
        GOS="dft",
        gos_file_path=str(gosh_file()),
    )
    for comp in problem.background:
        m.append(comp)
        # Marked as set so that exspy does not estimate it from the data
        # (a pass over a lazy signal) when the edges join.
        getattr(comp, _background_parameter(comp)).map["is_set"] = True
    masters = {}
    for el in edges.quantified:
        m.extend(edges.components[el])
        masters[el] = next(c for c in edges.components[el] if c.intensity.twin is None)
    params = [getattr(c, _background_parameter(c)) for c in problem.background] + [
        masters[el].intensity for el in edges.quantified
    ]
    for comp in m:
        for p in comp.parameters:
            if p not in params:
                p.assign_current_value_to_all()  # fixed: the same in every pixel
    coefs, stds = results[..., layout["coefficients"]], results[..., layout["std"]]
    for i, p in enumerate(params):
        p.map["values"] = coefs[..., i]
        p.map["std"] = stds[..., i]
        p.map["is_set"] = True
    m.set_signal_range_from_mask(problem.linear.fitted)
    m.fetch_stored_values()
    return m


def _axis_onset(onset, calibration, element):
    """Where on the axis an edge of tabulated ``onset`` lies under ``calibration``."""
    c = calibration
    shift = c.offset + c.shifts.get(element, 0.0)
    return (onset - shift + c.dispersion_error * c.reference) / (1.0 + c.dispersion_error)


def _build_components(plan, settings, scale, gos_file_path, calibration):
    """Components of the fitted edges by element; failures become dropped decisions."""
    components, decisions = {}, []
    for d in plan:
        if not d.fitted:
            decisions.append(d)
            continue
        try:
            comp = edge_components(d, gos_file_path)
        except (ValueError, KeyError, OSError) as err:
            decisions.append(
                EdgeDecision(d.element, d.subshell, d.onset, "dropped", f"no GOS table ({err})")
            )
            continue
        comp.set_microscope_parameters(
            E0=settings["beam_energy"],
            alpha=settings["convergence_angle"],
            beta=settings["collection_angle"],
            energy_scale=scale,
        )
        comp.intensity.value = 1.0
        comp.onset_energy.value = _axis_onset(d.onset, calibration, d.element)
        components.setdefault(d.element, []).append(comp)
        decisions.append(d)
    for comps in components.values():
        twin_element_edges(comps)
    return components, decisions


def _dropped_elements(elements, components, decisions):
    out = {}
    for el in elements:
        if el not in components:
            reasons = [f"{d.subshell}: {d.reason}" for d in decisions if d.element == el]
            out[el] = "; ".join(reasons) or "no edge in the fitted range"
    return out


def _background_components(fit, exponents):
    """The background components every pixel scales: HyperSpy components, linear in one parameter.

    By default the convex background the spectrum model fitted to the mean
    spectrum, as one shape, plus its derivative with respect to a common
    exponent: with coefficients of either sign, each pixel scales its
    background and steepens or flattens it, while the mean spectrum's shape
    stays exactly representable. Where the spectrum model started the
    background anew between edge families far apart, each segment has its
    own pair (``Background_2``, ``Background_tilt_2``...), zero outside it.
    ``exponents`` gives power laws instead; a background already subtracted
    gets a constant.
    """
    from hyperspy.components1d import Expression, Offset, PowerLaw

    if exponents:
        out = []
        for r in exponents:
            pl = PowerLaw(A=1.0, r=r, origin=0.0)
            pl.name = f"PowerLaw_r{r:.2f}"
            pl.r.free = pl.origin.free = False
            out.append(pl)
    elif fit.background_subtracted or not any(t for _, _, t in fit.background_pieces):
        offset = Offset(offset=1.0)
        offset.name = "Offset"
        out = [offset]
    else:
        ref = fit.background_reference
        cal = fit.calibration
        # The power laws are of the calibrated loss, as in the spectrum model.
        loss = f"(x + {cal.offset:.10g} + {cal.dispersion_error:.10g} * (x - {cal.reference:.10g}))"
        segments = fit.background_pieces
        out = []
        for k, (lo, hi, terms) in enumerate(segments):
            if not terms:
                continue
            shape = " + ".join(
                f"{c:.10g} * ({loss} / {ref:.10g}) ** (-{r:g})" for r, c in terms.items()
            )
            # A segment's shape is zero outside it (the first and last reach
            # beyond the fitted range).
            inside = [f"(sign(x - {lo:.10g}) + 1) / 2"] if k > 0 else []
            if k < len(segments) - 1:
                inside.append(f"(sign({hi:.10g} - x) + 1) / 2")
            shape = " * ".join([f"({shape})", *inside])
            suffix = f"_{k + 1}" if len(segments) > 1 else ""
            out.append(Expression(f"A * {shape}", name=f"Background{suffix}", A=1.0))
            out.append(
                Expression(
                    f"B * {shape} * log({loss} / {ref:.10g})",
                    name=f"Background_tilt{suffix}",
                    B=0.0,
                )
            )
    for comp in out:
        comp.convolved = False  # the background is not single scattering
    return out


def _background_parameter(component):
    """The one free (linear) parameter of a background component."""
    if component.name.startswith("Background_tilt"):
        return "B"
    return "offset" if component.name == "Offset" else "A"


def _convolution_columns(components, quantified, low_loss, zero_index, axis):
    n_ll = low_loss.axes_manager.signal_axes[0].size
    # The axis HyperSpy convolves on (calculate_convolution1D_axis).
    conv_energy = (
        axis.offset
        - (n_ll - 1 - zero_index) * axis.scale
        + axis.scale * np.arange(axis.size + n_ll - 1)
    )
    return np.column_stack(
        [_element_column(components[el], conv_energy, axis.scale) for el in quantified]
    )


def _fit_weights(model, mean, fit):
    """1 / sqrt(expected counts) on every channel, from the model of the mean spectrum.

    The expected counts, not the noisy observed ones: a channel that
    fluctuates to near zero must not get a weight that lets it dominate.
    The gain is left at 1 (counts): the mean spectrum's gain is not a
    pixel's, and each pixel's reduced chi-squared scales its uncertainties.
    """
    from ..spectrum_model import NoiseModel

    level = np.where(np.isfinite(mean), np.abs(mean), 0.0)
    level[model.fitted] = np.abs(fit.model)
    return NoiseModel(1.0, 0.0).weights(level)


def _warn_unmeasured(spectrum_fit, quantified):
    """Warn of elements to which the mean spectrum's fit gives no edge intensity at all."""
    # An amount held at its bound 0 is not a measured 0: the fit found
    # nothing of the element's edges above the background and the others'.
    unmeasured = [el for el in quantified if not spectrum_fit.amounts.get(el, 0.0) > 0.0]
    if unmeasured:
        warnings.warn(
            f"{', '.join(unmeasured)}: the fit of the mean spectrum gives no intensity to "
            f"{'its' if len(unmeasured) == 1 else 'their'} edges (the amount stays at its "
            "bound 0), so the fraction is not a measurement: the element is absent or "
            "below detection here, or its edges are not where the model puts them. Check "
            "the elements, the energy calibration and the fitted range.",
            UserWarning,
            stacklevel=3,
        )


def _warn_separability(problem, quantified):
    sep, partner = separability(problem)
    poor = [i for i in range(len(quantified)) if sep[i] < MIN_SEPARABILITY]
    if poor:
        pairs = "; ".join(
            f"{quantified[i]} (separability {sep[i]:.2f}"
            + (f", mostly against {quantified[partner[i]]})" if partner[i] >= 0 else ")")
            for i in poor
        )
        warnings.warn(
            f"The fitted channels can hardly tell these elements from the others: {pairs}. "
            "Their fractions are unreliable: an element that is not there takes its "
            "partner's signal. Check the elements (result.separability, the "
            "identification), or fit a range where their edges are apart.",
            UserWarning,
            stacklevel=3,
        )
    return sep


def _add_systematic(results, layout, relative):
    """Add relative cross-section uncertainties (missing settings, N4,5 only) in quadrature."""
    rel = np.asarray(relative, dtype=float)
    if not np.any(rel > 0):
        return
    frac = results[..., layout["fractions"]]
    std = results[..., layout["fraction_std"]]
    results[..., layout["fraction_std"]] = np.hypot(std, rel * frac)


def _element_column(comps, energy, scale):
    # Counts per channel at unit intensity (exspy's binned model: function x scale).
    return sum(c.function(energy) for c in comps) * scale


def _mean_spectrum(data, show_progressbar):
    """Mean spectrum over the navigation (NaN ignored), block by block."""
    n = data.shape[-1]
    if not is_lazy(data):
        flat = data.reshape(-1, n)
        total, count = np.zeros(n), np.zeros(n)
        for start in range(0, len(flat), _SPECTRA_PER_BLOCK):
            block = np.asarray(flat[start : start + _SPECTRA_PER_BLOCK], dtype=float)
            finite = np.isfinite(block)
            total += np.where(finite, block, 0.0).sum(axis=0)
            count += finite.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / count
    import dask.array as da

    flat = data.reshape(-1, n) if data.ndim > 1 else data[None]
    mean = da.nanmean(flat, axis=0)
    return np.asarray(compute(mean, show_progressbar, len(flat), "Mean spectrum"), dtype=float)


def _fit_in_memory(data, ll_data, problem, show_progressbar):
    from hyperspy.external.progressbar import progressbar

    n = data.shape[-1]
    flat = data.reshape(-1, n)
    ll_flat = None if ll_data is None else np.asarray(ll_data).reshape(len(flat), -1)
    size = output_layout(problem.n_columns, problem.n_elements)["size"]
    out = np.empty((len(flat), size))
    starts = range(0, len(flat), _SPECTRA_PER_BLOCK)
    show = _show(show_progressbar, len(flat))
    for start in progressbar(starts, disable=not show, desc="Quantifying"):
        rows = slice(start, start + _SPECTRA_PER_BLOCK)
        out[rows] = fit_block(
            flat[rows], None if ll_flat is None else ll_flat[rows], problem=problem
        )
    return out.reshape(*data.shape[:-1], size)


def _fit_lazy(data, ll_data, problem, show_progressbar):
    darr, llarr = lazy_blocks(data, ll_data)
    size = output_layout(problem.n_columns, problem.n_elements)["size"]
    out = map_pixels(fit_block, darr, llarr, size, problem=problem)
    n_spectra = math.prod(data.shape[:-1])
    result = np.asarray(compute(out, show_progressbar, n_spectra, "Quantifying"))
    return result if data.ndim > 1 else result[0]


def quantify(
    signal,
    identification=None,
    *,
    elements=None,
    low_loss=None,
    model=None,
    threshold=None,
    min_area_fraction=MIN_AREA_FRACTION,
    beam_energy=None,
    convergence_angle=None,
    collection_angle=None,
    signal_range=None,
    fine_structure_width=None,
    edge_margins=(20.0, 30.0),
    background_exponents=None,
    reject_spikes=True,
    calibrate=False,
    show_progressbar=None,
):
    """Elemental maps of an EELS spectrum, line scan or spectrum image.

    Builds exspy's EELS model with eels_autoid's GOS tables (offline) for the
    detected elements and fits it with a linear least-squares fit, pixel by
    pixel: relative atomic fractions, or absolute areal densities with a
    low-loss. The signal (and low loss) are never modified.

    Parameters
    ----------
    signal : hyperspy.signal.BaseSignal
        Core-loss spectra: signal dimension 1, energy axis in eV. Lazy
        signals are processed chunk by chunk and never loaded whole.
    %s

    Returns
    -------
    Quantification
        Maps, uncertainties, atomic fractions, the fitted exspy model and the
        edge decisions; ``print(result)`` shows a table.

    Raises
    ------
    TypeError
        If ``signal`` (or ``low_loss``) is not a HyperSpy signal.
    ValueError
        For an energy axis not in eV, unusable microscope settings, a low
        loss of another navigation shape or dispersion, unknown element
        symbols, no element to quantify, or a fitted range that covers no
        edge of the elements.
    FileNotFoundError
        If identification is needed and no model is available.

    Warns
    -----
    UserWarning
        When the metadata lack the beam energy or an angle (naming the
        default used), when an element has no edge that can be fitted (it is
        left out), when spectra hold non-finite values (their results are
        NaN), and when the fitted channels cannot tell an element from the
        others (separability below ``MIN_SEPARABILITY``, 0.1: e.g. F K and
        Fe L2,3, whose near-edge regions are both left out).

    See Also
    --------
    eels_autoid.identify_edges, Quantification

    Notes
    -----
    Two stages. First :class:`eels_autoid.spectrum_model.SpectrumModel` is
    fitted to the mean spectrum: a convex background (a non-negative
    combination of power laws, exponents 1..8), each element's subshells from
    the GOS tables tied to one amount, the near-edge channels (white lines,
    ELNES, which the tables lack) left out, the calibration with
    ``calibrate=True``, and the noise model. It fixes what every pixel
    shares: the edges, their placement, the background's shape and the fit
    range (from no more than max(100 eV, half the onset) below the first
    edge, unless ``signal_range`` is given). Then every pixel solves the
    linear problem HyperSpy's ``model.multifit(optimizer="lstsq")`` solves
    once every non-linear parameter is fixed: the background shape, scaled
    and tilted, and one intensity per element, block by block (bounded
    memory, dask-friendly), weighted by 1/sqrt(expected counts). Isolated
    spikes are detected in the residuals and refitted without them. Each
    pixel's uncertainties scale with its reduced chi-squared; missing
    microscope settings add the spread of the fractions over 60..300 kV and
    5..100 mrad, a lanthanide seen only through N4,5 a 50 %% uncertainty, and
    a misfit of the mean spectrum correlated over tens of eV (structure the
    model does not hold) what it moves the fractions by.

    Relative quantification ignores plural scattering, which moves a little
    intensity from each edge's onset to higher losses in the same way for
    every edge; give a ``low_loss`` for thick areas.

    Examples
    --------
    >>> import eels_autoid
    >>> s = hs.load("sto_lmo.hspy", signal_type="EELS_autoid")  # doctest: +SKIP
    >>> q = eels_autoid.quantify(s, elements=["O", "Ti", "Mn", "La"])  # doctest: +SKIP
    >>> print(q)  # doctest: +SKIP
    >>> q.maps["Ti"].plot()  # doctest: +SKIP
    """
    from hyperspy.defaults_parser import preferences

    from ._result import Quantification

    if show_progressbar is None:
        show_progressbar = preferences.General.show_progressbar
    plan = _plan(
        signal,
        identification,
        elements,
        low_loss,
        dict(
            model=model,
            threshold=threshold,
            min_area_fraction=min_area_fraction,
            low_loss=low_loss,
            show_progressbar=show_progressbar,
        ),
        dict(
            beam_energy=beam_energy,
            convergence_angle=convergence_angle,
            collection_angle=collection_angle,
        ),
        signal_range=signal_range,
        fine_structure_width=fine_structure_width,
        edge_margins=edge_margins,
        background_exponents=background_exponents,
        calibrate=calibrate,
        reject_spikes=reject_spikes,
        show_progressbar=show_progressbar,
    )
    # Channels no spectrum measured are interpolated for the mean spectrum's
    # model (which sets the pixels' background and weights); each pixel's
    # fit leaves them out.
    mean = filled_spectrum(_mean_spectrum(signal.data, show_progressbar))
    spectrum_model, spectrum_fit = _fit_mean_spectrum(plan, mean, low_loss)
    edges = _edges_to_fit(plan, spectrum_model, spectrum_fit)
    problem = _pixel_problem(plan, spectrum_model, spectrum_fit, edges, mean, low_loss)
    sep = _warn_separability(problem.linear, edges.quantified)
    _warn_unmeasured(spectrum_fit, edges.quantified)
    results = _solve_pixels(signal, low_loss, problem.linear, show_progressbar)
    lay = output_layout(problem.linear.n_columns, problem.linear.n_elements)
    _add_systematic(results, lay, [spectrum_fit.systematic.get(el, 0.0) for el in edges.quantified])
    model = _exspy_model(signal, plan, edges, problem, results, lay, low_loss)
    return Quantification(
        signal=signal,
        model=model,
        elements=edges.quantified,
        results=results,
        layout=lay,
        problem=problem.linear,
        decisions=edges.decisions,
        dropped_elements=edges.dropped,
        identification=plan.identification,
        element_source=plan.source,
        absolute=low_loss is not None,
        low_loss=low_loss,
        settings=plan.settings,
        defaulted=plan.defaulted,
        background_exponents=tuple(
            plan.background_exponents
            or sorted({r for _, _, t in spectrum_fit.background_pieces for r in t})
        ),
        fit_range=spectrum_model.fit_range,
        excluded_ranges=problem.excluded,
        fine_structure_width=plan.near_edge_width,
        spectrum_fit=spectrum_fit,
        separability=dict(zip(edges.quantified, sep.tolist(), strict=True)),
    )


quantify.__doc__ %= QUANTIFY_PARAMETERS
