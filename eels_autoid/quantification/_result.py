"""Quantification: what quantify returns, and the views users need of it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._computing import is_lazy
from .._tables import SummaryTable
from ._fit import evaluate_block

__all__ = ["Quantification", "QuantificationSummary", "QuantificationRow"]

# Cross-sections are in barn (1e-28 m^2): intensities convolved with the low
# loss are atoms per barn; 1 atom/barn = 1e10 atoms/nm^2.
ATOMS_PER_NM2 = 1e10

FRACTION_QUANTITY = "Atomic fraction"
DENSITY_QUANTITY = "Areal density (atoms/nm^2)"


class QuantificationRow(NamedTuple):
    """One element of :meth:`Quantification.summary` (means over the pixels)."""

    element: str
    edges: str
    atomic_fraction: float
    atomic_fraction_uncertainty: float
    atomic_fraction_spread: float
    areal_density: float
    areal_density_uncertainty: float
    separability: float


class QuantificationSummary(SummaryTable):
    """Rows of :class:`QuantificationRow`; prints as a table.

    Values are means over the pixels, uncertainties the median per-pixel
    standard error, spreads the standard deviation over the pixels. Areal
    densities are NaN for relative quantification. ``separability`` is
    :attr:`Quantification.separability` (written to CSV, not printed).
    """

    columns = QuantificationRow._fields

    def _absolute(self):
        return any(np.isfinite(r.areal_density) for r in self)

    def _header(self):
        head = ["element", "edges", "atomic fraction", "spread over pixels"]
        return head + ["atoms/nm^2"] if self._absolute() else head

    def _display_row(self, r):
        row = [
            r.element,
            r.edges,
            f"{r.atomic_fraction:.3f} ± {r.atomic_fraction_uncertainty:.3f}",
            f"{r.atomic_fraction_spread:.3f}",
        ]
        if self._absolute():
            row.append(f"{r.areal_density:.3g} ± {r.areal_density_uncertainty:.2g}")
        return row

    def _csv_row(self, r):
        return [r.element, r.edges] + [f"{v:.6g}" for v in r[2:]]


def _nav_signal(data, signal, title, quantity, element, extra=None):
    """A signal over the input's navigation axes (Signal2D for maps, Signal1D for line scans)."""
    from hyperspy.signals import BaseSignal, Signal1D, Signal2D

    nav = [ax.get_axis_dictionary() for ax in signal.axes_manager._axes if ax.navigate]
    for d in nav:
        d["navigate"] = False
    data = np.asarray(data, dtype=float)
    if not nav:
        out = BaseSignal(data.reshape(1))
    else:
        cls = {1: Signal1D, 2: Signal2D}.get(len(nav), BaseSignal)
        out = cls(data, axes=nav)
    out.metadata.General.title = title
    out.metadata.set_item("Signal.quantity", quantity)
    out.metadata.set_item("Sample.elements", [element])
    if extra:
        out.metadata.set_item("EELS_autoid.quantification", extra)
    return out


class Quantification:
    """The result of :func:`eels_autoid.quantify`.

    Attributes
    ----------
    elements : list of str
        The quantified elements, in Z order.
    maps : dict of str to hyperspy.signal.BaseSignal
        One map per element, over the input's navigation axes (a Signal2D for
        a spectrum image, a Signal1D for a line scan, one value for a single
        spectrum), titled with the element, which is also in
        ``metadata.Sample.elements``: areal densities (atoms/nm^2) with a
        low loss, atomic fractions otherwise.
    uncertainties : dict of str to hyperspy.signal.BaseSignal
        Standard errors of :attr:`maps`, from the fit's covariance.
    atomic_fractions, fraction_uncertainties : dict
        Atomic fractions among the quantified elements (negative amounts
        count as 0) and their standard errors, always.
    areal_densities, density_uncertainties : dict or None
        Absolute quantification (with a low loss), else None.
    reduced_chi2 : hyperspy.signal.BaseSignal
        Weighted residual per degree of freedom of each pixel (about 1 for
        Poisson counts that the model describes).
    rejected_channels : hyperspy.signal.BaseSignal
        Channels left out of each pixel's fit: spikes, and short runs of
        NaN or inf channels.
    model : exspy.models.EELSModel
        exspy's model holding the fit (parameter maps set, fine-structure
        regions removed from its signal range). Its signal is a new signal
        on the same data carrying the microscope settings used.
    edges : list of EdgeDecision
        Every subshell edge considered, fitted or dropped, and why.
    dropped_elements : dict
        Elements left out, with the reason.
    identification : EdgeIdentification or None
    element_source : str
        Where the elements came from: ``"elements argument"``,
        ``"identification"``, ``"metadata.Sample.elements"`` or ``"identify_edges"``.
    absolute : bool
    microscope : dict
        Beam energy (kV) and angles (mrad) used; ``defaulted_settings`` lists
        those that came from the defaults.
    background_exponents : tuple of float
    fit_range : (float, float)
    excluded_ranges : list of (float, float)
        Energy ranges (eV) left out of the fit.
    spectrum_fit : eels_autoid.spectrum_model.SpectrumFit
        The spectrum model's fit of the mean spectrum, which fixed what every
        pixel shares: the edges, the calibration (``spectrum_fit.calibration``:
        offset, dispersion error and chemical shifts), the background's shape
        and the noise model.
    energy_offset : float
        The energy-axis offset applied (eV added to the axis; 0 unless
        ``calibrate=True`` without a low loss).
    separability : dict of str to float
        Per element, the part (0..1) of its weighted model column over the
        fitted channels that the background and the other elements cannot
        reproduce; below 0.1 (a warning) its fraction is unreliable.
    """

    def __init__(
        self,
        *,
        signal,
        model,
        elements,
        results,
        layout,
        problem,
        decisions,
        dropped_elements,
        identification,
        element_source,
        absolute,
        low_loss,
        settings,
        defaulted,
        background_exponents,
        fit_range,
        excluded_ranges,
        fine_structure_width,
        spectrum_fit=None,
        separability=None,
    ):
        self._signal = signal
        self._low_loss = low_loss
        self._results = results
        self._layout = layout
        self._problem = problem
        self._nav_shape = tuple(signal.axes_manager.navigation_shape)
        self.model = model
        self.elements = list(elements)
        self.edges = list(decisions)
        self.dropped_elements = dict(dropped_elements)
        self.identification = identification
        self.element_source = element_source
        self.absolute = bool(absolute)
        self.microscope = dict(settings)
        self.defaulted_settings = list(defaulted)
        self.background_exponents = tuple(background_exponents)
        self.fit_range = tuple(fit_range)
        self.excluded_ranges = [tuple(r) for r in excluded_ranges]
        self.fine_structure_width = fine_structure_width
        self.spectrum_fit = spectrum_fit
        self.separability = dict(separability or {})

        nb = problem.n_background
        lay = layout
        coef = results[..., lay["coefficients"]][..., nb:]
        coef_std = results[..., lay["std"]][..., nb:]
        frac = results[..., lay["fractions"]]
        frac_std = results[..., lay["fraction_std"]]
        self.atomic_fractions, self.fraction_uncertainties = {}, {}
        self.areal_densities = self.density_uncertainties = None
        if self.absolute:
            self.areal_densities, self.density_uncertainties = {}, {}
        for i, el in enumerate(self.elements):
            info = self._metadata(el)
            self.atomic_fractions[el] = _nav_signal(
                frac[..., i], signal, el, FRACTION_QUANTITY, el, info
            )
            self.fraction_uncertainties[el] = _nav_signal(
                frac_std[..., i], signal, f"{el} uncertainty", FRACTION_QUANTITY, el, info
            )
            if self.absolute:
                self.areal_densities[el] = _nav_signal(
                    coef[..., i] * ATOMS_PER_NM2, signal, el, DENSITY_QUANTITY, el, info
                )
                self.density_uncertainties[el] = _nav_signal(
                    coef_std[..., i] * ATOMS_PER_NM2,
                    signal,
                    f"{el} uncertainty",
                    DENSITY_QUANTITY,
                    el,
                    info,
                )
        self.reduced_chi2 = _nav_signal(
            results[..., lay["chi2"]], signal, "Reduced chi-square", "Reduced chi-square", ""
        )
        self.reduced_chi2.metadata.Sample.elements = list(self.elements)
        self.rejected_channels = _nav_signal(
            results[..., lay["rejected"]], signal, "Rejected channels", "Channels", ""
        )
        self.rejected_channels.metadata.Sample.elements = list(self.elements)

    def _metadata(self, element):
        return {
            "element": element,
            "edges": [d.subshell for d in self.edges if d.element == element and d.fitted],
            "absolute": self.absolute,
            "microscope": dict(self.microscope),
            "defaulted_settings": list(self.defaulted_settings),
            "background_exponents": list(self.background_exponents),
            "fit_range": list(self.fit_range),
            "fine_structure_width": self.fine_structure_width,
            "elements": list(self.elements),
        }

    # ------------------------------------------------------------------ views
    @property
    def maps(self) -> dict:
        return self.areal_densities if self.absolute else self.atomic_fractions

    @property
    def uncertainties(self) -> dict:
        return self.density_uncertainties if self.absolute else self.fraction_uncertainties

    @property
    def energy_offset(self) -> float:
        return float(self.spectrum_fit.calibration.offset) if self.spectrum_fit else 0.0

    @property
    def kept_edges(self) -> list:
        """Edges from exspy's subshells that were fitted."""
        return [d for d in self.edges if d.status == "kept"]

    @property
    def added_edges(self) -> list:
        """Edges missing from exspy's database, fitted with AutoIDEELSCLEdge."""
        return [d for d in self.edges if d.status == "added"]

    @property
    def dropped_edges(self) -> list:
        """Edges that were not fitted, with the reason."""
        return [d for d in self.edges if d.status == "dropped"]

    def get_map(self, element: str):
        """The map of one element (:attr:`maps`).

        Raises
        ------
        ValueError
            If the element was not quantified (the message says why).
        """
        if element in self.maps:
            return self.maps[element]
        why = self.dropped_elements.get(element)
        raise ValueError(
            f"{element} was not quantified"
            + (f": {why}." if why else f"; the quantified elements are {self.elements}.")
        )

    def summary(self) -> QuantificationSummary:
        """A table, one row per element: means over the pixels and uncertainties."""
        rows = []
        for el in self.elements:
            f = self.atomic_fractions[el].data
            density = density_std = np.nan
            if self.absolute:
                density = _nanstat(np.mean, self.areal_densities[el].data)
                density_std = _nanstat(np.median, self.density_uncertainties[el].data)
            rows.append(
                QuantificationRow(
                    el,
                    " ".join(x.subshell for x in self.edges if x.element == el and x.fitted),
                    _nanstat(np.mean, f),
                    _nanstat(np.median, self.fraction_uncertainties[el].data),
                    _nanstat(np.std, f),
                    density,
                    density_std,
                    self.separability.get(el, np.nan),
                )
            )
        return QuantificationSummary(rows)

    def model_signal(self, components="all"):
        """The fitted model as a signal, on every channel (background included).

        Use this rather than ``model.as_signal()``: HyperSpy 2.5's
        ``as_signal`` drops the power-law background when EELS edges are in
        the model.

        Parameters
        ----------
        components : {"all", "background", "edges"}
            The whole model, the background power laws or the edges.

        Returns
        -------
        exspy.signals.EELSSpectrum
            Same shape and axes as the input (lazy for lazy input).
        """
        nb, k = self._problem.n_background, self._problem.n_columns
        masks = {
            "all": None,
            "background": np.arange(k) < nb,
            "edges": np.arange(k) >= nb,
        }
        if components not in masks:
            raise ValueError(f"components must be one of {list(masks)}, got {components!r}.")
        columns = masks[components]
        coefs = self._results[..., self._layout["coefficients"]]
        ll = None if self._low_loss is None else self._low_loss.data
        from exspy.signals import EELSSpectrum, LazyEELSSpectrum

        lazy = is_lazy(self._signal.data)
        if lazy:
            import dask.array as da

            from ._fit import lazy_blocks, map_pixels

            darr, llarr = lazy_blocks(self._signal.data, ll)
            carr = da.from_array(coefs.reshape(*darr.shape[:-1], k), chunks=(*darr.chunks[:-1], -1))
            data = map_pixels(
                evaluate_block,
                carr,
                llarr,
                darr.shape[-1],
                problem=self._problem,
                columns=columns,
            )
            if self._signal.data.ndim == 1:
                data = data[0]
        else:
            if ll is not None and is_lazy(ll):
                ll = np.asarray(ll.compute())
            data = evaluate_block(coefs, ll, problem=self._problem, columns=columns)
        axes = [ax.get_axis_dictionary() for ax in self._signal.axes_manager._axes]
        out = (LazyEELSSpectrum if lazy else EELSSpectrum)(data, axes=axes)
        out.axes_manager.signal_axes[0].units = "eV"
        title = self._signal.metadata.get_item("General.title", "") or "EELS"
        out.metadata.General.title = f"{title} ({components} of the fitted model)"
        return out

    # ---------------------------------------------------------------- figures
    def plot_fit(self):
        """The mean spectrum, the spectrum model fitted to it and the residual.

        What every pixel shares: the background shape, the edges and where
        they sit. Structure in the residual outside the shaded near-edge
        regions is what no quantified element explains.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return self.spectrum_fit.plot()

    def plot(self, uncertainties=False):
        """Plot every element's map in one figure.

        Parameters
        ----------
        uncertainties : bool
            Plot the standard errors instead of the values.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        maps = self.uncertainties if uncertainties else self.maps
        quantity = DENSITY_QUANTITY if self.absolute else FRACTION_QUANTITY
        n = len(self.elements)
        nav_dim = len(self._nav_shape)
        if nav_dim == 2:
            cols = min(n, 4)
            rows = -(-n // cols)
            fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
            for ax in axes.flat[n:]:
                ax.set_visible(False)
            for ax, el in zip(axes.flat, self.elements, strict=False):
                _draw_map(ax, maps[el], el, quantity)
        elif nav_dim == 1:
            fig, ax = plt.subplots(figsize=(7, 3.5))
            for el in self.elements:
                _draw_profile(ax, maps[el], self.uncertainties[el], el, uncertainties)
            ax.set_ylabel(quantity + (" uncertainty" if uncertainties else ""))
            ax.legend(fontsize=8)
        else:
            fig, ax = plt.subplots(figsize=(1.2 + 0.8 * n, 3.5))
            values = [float(maps[el].data.ravel()[0]) for el in self.elements]
            errors = [float(self.uncertainties[el].data.ravel()[0]) for el in self.elements]
            ax.bar(self.elements, values, yerr=None if uncertainties else errors, capsize=3)
            ax.set_ylabel(quantity + (" uncertainty" if uncertainties else ""))
        fig.suptitle("Quantification" + (" (absolute)" if self.absolute else " (relative)"))
        fig.tight_layout()
        return fig

    def save(self, directory, overwrite=True) -> list:
        """Write the maps, their uncertainties, figures and the table.

        Writes ``<El>.hspy`` and ``<El>_uncertainty.hspy`` for every element,
        ``<El>.png`` for maps and line scans, ``quantification.png`` (all
        maps) and ``quantification.csv`` (:meth:`summary`).

        Parameters
        ----------
        directory : path-like
            Created if needed.
        overwrite : bool

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        import matplotlib.pyplot as plt

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        quantity = DENSITY_QUANTITY if self.absolute else FRACTION_QUANTITY
        for el in self.elements:
            for sig, name in ((self.maps[el], el), (self.uncertainties[el], f"{el}_uncertainty")):
                path = out / f"{name}.hspy"
                sig.save(path, overwrite=overwrite)
                written.append(path)
            if self._nav_shape:
                fig, ax = plt.subplots(figsize=(4.5, 3.6))
                if len(self._nav_shape) == 2:
                    _draw_map(ax, self.maps[el], el, quantity)
                else:
                    _draw_profile(ax, self.maps[el], self.uncertainties[el], el, False)
                    ax.set_ylabel(quantity)
                fig.tight_layout()
                path = out / f"{el}.png"
                fig.savefig(path, dpi=100)
                plt.close(fig)
                written.append(path)
        fig = self.plot()
        path = out / "quantification.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
        path = out / "quantification.csv"
        self.summary().to_csv(path)
        written.append(path)
        return written

    # ------------------------------------------------------------------ text
    def _edge_lines(self):
        lines = []
        for d in self.edges:
            if d.element not in self.elements:
                continue
            if d.status == "dropped":
                lines.append(f"  dropped {d.element} {d.subshell} ({d.onset:g} eV): {d.reason}")
            elif d.status == "added":
                lines.append(
                    f"  added   {d.element} {d.subshell} ({d.onset:g} eV): missing from exspy's "
                    "database, fitted with AutoIDEELSCLEdge"
                )
        for el, why in self.dropped_elements.items():
            lines.append(f"  not quantified: {el} ({why.split('; ')[0]})")
        return lines

    def __str__(self):
        kind = "absolute (low-loss convolution)" if self.absolute else "relative"
        head = (
            f"Quantification ({kind}) of {', '.join(self.elements)} over "
            f"{self.fit_range[0]:g}..{self.fit_range[1]:g} eV; elements from "
            f"{self.element_source}"
        )
        lines = [head, str(self.summary()), *self._edge_lines()]
        if self.defaulted_settings:
            used = ", ".join(f"{n} = {self.microscope[n]:g}" for n in self.defaulted_settings)
            lines.append(f"  default microscope settings used: {used}")
        return "\n".join(lines)

    def _repr_html_(self):
        return f"<p>{html.escape(repr(self))}</p>" + self.summary()._repr_html_()

    def __repr__(self):
        shape = "x".join(map(str, self._nav_shape)) or "1"
        kind = "absolute" if self.absolute else "relative"
        return (
            f"<Quantification: {kind}, {', '.join(self.elements)}, {shape} spectra, "
            f"{len(self.kept_edges) + len(self.added_edges)} edges fitted, "
            f"{len(self.dropped_edges)} dropped>"
        )


def _nanstat(func, values) -> float:
    """``func`` over the finite values, NaN if there are none."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(func(finite)) if finite.size else float("nan")


def axis_label(axis) -> str:
    """``"x (nm)"``, or what is defined of the name and units."""
    from .._energy_axis import is_undefined_units

    name = "" if is_undefined_units(axis.name) else str(axis.name)
    units = "" if is_undefined_units(axis.units) else str(axis.units)
    return f"{name} ({units})" if name and units else name or units or "pixel"


def _draw_map(ax, signal, element, quantity):
    nav = signal.axes_manager.signal_axes
    x, y = nav[0], nav[1]
    extent = (x.low_value, x.high_value, y.high_value, y.low_value)
    im = ax.imshow(signal.data, extent=extent, cmap="viridis", interpolation="nearest")
    ax.set_title(element)
    ax.set_xlabel(axis_label(x))
    cbar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cbar.set_label(quantity, fontsize=8)


def _draw_profile(ax, signal, uncertainty, element, only_uncertainty):
    axis = signal.axes_manager.signal_axes[0]
    x = axis.axis
    if only_uncertainty:
        ax.plot(x, uncertainty.data, label=element)
    else:
        (line,) = ax.plot(x, signal.data, label=element)
        ax.fill_between(
            x,
            signal.data - uncertainty.data,
            signal.data + uncertainty.data,
            color=line.get_color(),
            alpha=0.25,
        )
    ax.set_xlabel(axis_label(axis))
