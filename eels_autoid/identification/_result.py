"""EdgeIdentification: what identify_edges returns, and the views users need of it."""

from __future__ import annotations

import functools
import html
from typing import NamedTuple

import numpy as np

from .._bad_values import warn_bad_values
from .._computing import is_lazy
from .._tables import SummaryTable
from ..vocabulary import ELEMENTS, FIRST_ATOMIC_NUMBER, element_index, observable_edges

__all__ = ["EdgeIdentification", "SummaryRow", "IdentificationSummary"]

_LABEL_POINTS = 8.0  # edge labels on EdgeIdentification.plot
_LABEL_TOP = 0.97  # where they end, in axes fraction
# Share of a map's pixels an element must be found in. Single noisy pixels
# give false alarms on neighbouring edges (Co with Ba, V with O K) in a share
# of the pixels: against 1 %, 5 % cuts them from 141 to 55 on 60 simulated
# maps and from 18 to 11 on the real ones, while a phase covering 5 % of a map
# is still reported (docs/scripts/map_decision.py).
MIN_AREA_FRACTION = 0.05


class SummaryRow(NamedTuple):
    """One observable element in :meth:`EdgeIdentification.summary`."""

    element: str
    detected: bool
    max_probability: float
    mean_probability: float
    area_fraction: float
    edges_in_range: str
    evidence: float = float("nan")
    fraction: float = float("nan")
    checked_probability: float = float("nan")
    rival: str = ""
    found_by: str = ""


class IdentificationSummary(SummaryTable):
    """Rows of :class:`SummaryRow`, sorted by probability; prints as a table.

    ``to_csv(path)`` writes it with ``detected`` as ``true``/``false``.
    """

    columns = SummaryRow._fields

    def _display_row(self, r):
        return [
            r.element,
            "yes" if r.detected else "no",
            f"{r.max_probability:.3f}",
            f"{r.mean_probability:.3f}",
            f"{r.area_fraction:.3f}",
            r.edges_in_range,
            _number(r.evidence, "{:.0f}"),
            _number(r.fraction, "{:.3f}"),
            _number(r.checked_probability, "{:.3f}"),
            r.rival,
            r.found_by,
        ]

    def _csv_row(self, r):
        return [
            r.element,
            "true" if r.detected else "false",
            f"{r.max_probability:.4f}",
            f"{r.mean_probability:.4f}",
            f"{r.area_fraction:.4f}",
            r.edges_in_range,
            _number(r.evidence, "{:.2f}"),
            _number(r.fraction, "{:.4f}"),
            _number(r.checked_probability, "{:.4f}"),
            r.rival,
            r.found_by,
        ]


def _number(value, fmt):
    """A formatted number, or "" where there is none (not checked)."""
    return "" if not np.isfinite(value) else fmt.format(value)


def _probability_signal(data, signal, title, quantity):
    """A Signal1D over the input's navigation axes and one axis of the 80 elements."""
    from hyperspy.signals import LazySignal1D, Signal1D

    nav = [ax.get_axis_dictionary() for ax in signal.axes_manager._axes if ax.navigate]
    # No units: HyperSpy labels the axis "name (units)", and "()" reads as a glitch.
    element_axis = {
        "name": "Atomic number",
        "offset": float(FIRST_ATOMIC_NUMBER),
        "scale": 1.0,
        "size": len(ELEMENTS),
        "navigate": False,
    }
    cls = LazySignal1D if is_lazy(data) else Signal1D
    out = cls(data, axes=[*nav, element_axis])
    out.metadata.General.title = title
    out.metadata.set_item("Signal.quantity", quantity)
    out.metadata.set_item("EELS_autoid.elements", list(ELEMENTS))
    return out


class EdgeIdentification:
    """The result of :func:`eels_autoid.identify_edges`.

    Attributes
    ----------
    probabilities : hyperspy.signals.Signal1D
        Probability of each element per pixel: the input's navigation axes and
        a signal axis over :data:`eels_autoid.ELEMENTS` (axis value = atomic
        number; the symbols are in ``metadata.EELS_autoid.elements``). Lazy for
        lazy output. :meth:`plot_probabilities` draws it with the element
        symbols.
    uncertainty : hyperspy.signals.Signal1D or None
        Standard deviation of the ensemble members' probabilities (same shape),
        or None for a single network.
    thresholds : numpy.ndarray
        The decision threshold of each element.
    observable : list of str
        Elements (alphabetical) with an edge inside the measured range. An
        element outside it is *not observable*, not absent.
    min_area_fraction : float
    energy_range : tuple of float
        The part of the window (eV) the model read.
    energy_shift : float
        Shift (eV) applied to the energy axis (zero-loss alignment).
    model : IdentificationModel
    """

    def __init__(
        self,
        probabilities,
        signal,
        thresholds,
        observable,
        min_area_fraction,
        model,
        energy_range,
        energy_shift=0.0,
        spread=None,
        pending_checks=None,
        check=None,
    ):
        title = signal.metadata.get_item("General.title", "")
        self._signal = signal
        self._nav_shape = tuple(signal.axes_manager.navigation_shape)
        self.probabilities = _probability_signal(
            probabilities, signal, f"Edge probabilities ({title})".replace(" ()", ""), "Probability"
        )
        self.uncertainty = (
            None
            if spread is None
            else _probability_signal(spread, signal, "Probability spread", "Probability std")
        )
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.observable = sorted(observable)
        self.min_area_fraction = float(min_area_fraction)
        self.model = model
        self.energy_range = tuple(energy_range)
        self.energy_shift = float(energy_shift)
        # Lazy results: the input checks' counts, computed (and warned about)
        # with the statistics, in the same pass over the data.
        self._pending_checks = pending_checks
        # The check against the spectrum model: run on first use (at once for
        # results in memory), as it needs the probabilities computed.
        self._run_check = check
        meta = self.probabilities.metadata
        meta.set_item("EELS_autoid.thresholds", self.thresholds.tolist())
        meta.set_item("EELS_autoid.observable", self.observable)
        meta.set_item("EELS_autoid.model", model.card.name)
        meta.set_item("EELS_autoid.energy_range", list(self.energy_range))

    # ------------------------------------------------------------------ stats
    @property
    def n_pixels(self) -> int:
        return int(np.prod(self._nav_shape)) if self._nav_shape else 1

    @functools.cached_property
    def _stats(self):
        """(max, mean, area fraction) per element, computed once."""
        data = self.probabilities.data
        flat = data.reshape(-1, len(ELEMENTS))
        above = flat > self.thresholds
        if not is_lazy(data):
            return flat.max(axis=0), flat.mean(axis=0), above.mean(axis=0)
        import dask

        todo = [flat.max(axis=0), flat.mean(axis=0), above.mean(axis=0)]
        if self._pending_checks is not None:
            todo.append(self._pending_checks)
        done = [np.asarray(a) for a in dask.compute(*todo)]
        if self._pending_checks is not None:
            self._pending_checks = None
            warn_bad_values(done.pop(), stacklevel=4)
        return tuple(done)

    @functools.cached_property
    def check(self):
        """The network's answer checked against the spectrum model, or None (``check=False``).

        A :class:`~eels_autoid.identification.SpectrumCheck`: one
        :class:`~eels_autoid.identification.ElementCheck` per candidate
        (network probability, evidence, fitted fraction, combined probability,
        decision, rival, reason) and the spectrum model fitted with the
        confirmed elements (``check.fit``, a
        :class:`~eels_autoid.spectrum_model.SpectrumFit`).
        """
        if self._run_check is None:
            return None
        data = self.probabilities.data
        return self._run_check(np.asarray(data.compute() if is_lazy(data) else data))

    @property
    def elements(self) -> list:
        """Detected elements, alphabetical.

        Checked (the default of :func:`~eels_autoid.identify_edges`): the
        candidates the spectrum model confirms, on the summed spectrum or on
        the sum over a region of a map where the spectra differ. With ``check=False``, a single
        spectrum: observable and above threshold; a spectrum image or line
        scan: observable and above threshold in at least ``min_area_fraction``
        of the pixels (and in one pixel at least).
        """
        if self.check is not None:
            return [el for el in self.check.elements if el in self.observable]
        _, _, area = self._stats
        ok = (area >= self.min_area_fraction) & (area > 0)
        return sorted(
            el for el, hit in zip(ELEMENTS, ok, strict=True) if hit and el in self.observable
        )

    def area_fraction(self, element: str) -> float:
        """Fraction of pixels in which ``element`` is above its threshold."""
        return float(self._stats[2][element_index(element)])

    # ------------------------------------------------------------------ views
    def get_map(self, element: str):
        """Probability map of one element.

        Returns
        -------
        hyperspy.signals.Signal2D or Signal1D
            A Signal2D for a spectrum image, a Signal1D for a line scan, with
            the element in the title and ``metadata.Sample.elements``.

        Raises
        ------
        ValueError
            For an unknown element or a single spectrum (no map).
        """
        if element not in ELEMENTS:
            raise ValueError(f"{element!r} is not in the vocabulary (Be..Bi): no map.")
        if not self._nav_shape:
            raise ValueError(
                "A single spectrum has no map; read result.probabilities or result.summary()."
            )
        if element not in self.observable:
            import warnings

            warnings.warn(
                f"{element} has no edge in the measured range "
                f"{self.energy_range[0]:.0f}..{self.energy_range[1]:.0f} eV: its map says "
                "nothing about its presence.",
                UserWarning,
                stacklevel=2,
            )
        m = self.probabilities.isig[element_index(element)].T
        m.metadata.General.title = f"P({element})"
        m.metadata.set_item("Sample.elements", [element])
        m.metadata.set_item("Signal.quantity", "Probability")
        return m

    def summary(self) -> IdentificationSummary:
        """A table of the observable elements sorted by probability.

        Columns: ``element, detected, max_probability, mean_probability,
        area_fraction, edges_in_range``, and from the check against the
        spectrum model (empty for elements it did not judge): ``evidence``
        (chi-squared the element's edges gain the fit, in local misfit
        units), ``fraction`` (fitted atomic fraction among the confirmed
        elements), ``checked_probability`` (the network's probability and the
        evidence combined), ``rival`` (an element that explains the same
        signal) and ``found_by`` (``network``; ``region`` for an element
        confirmed on the sum over a region of a map where the spectra
        differ; ``search`` or ``region search`` for an element the residual
        search suggests, not detected).
        """
        mx, mean, area = self._stats
        detected = set(self.elements)
        edges = {}
        for e in observable_edges(*self.energy_range):
            edges.setdefault(e.element, []).append(e.name)
        checks = self.check.checks if self.check is not None else {}
        rows = []
        for el in self.observable:
            i = element_index(el)
            c = checks.get(el)
            extra = (
                () if c is None else (c.evidence, c.fraction, c.probability, c.rival, c.found_by)
            )
            rows.append(
                SummaryRow(
                    el,
                    el in detected,
                    float(mx[i]),
                    float(mean[i]),
                    float(area[i]),
                    " ".join(edges.get(el, [])),
                    *extra,
                )
            )
        rows.sort(key=lambda r: (-r.max_probability, -r.mean_probability, r.element))
        return IdentificationSummary(rows)

    def _spectrum(self):
        """The spectrum, or the sum over pixels of a spectrum image, computed."""
        s = self._signal
        if s.axes_manager.navigation_dimension:
            s = s.sum(s.axes_manager.navigation_axes)
        if getattr(s, "_lazy", False):
            s = s.compute() if s is not self._signal else s.as_lazy().compute()
        return s

    def plot(self, **kwargs):
        """Plot the spectrum (summed over pixels) with the detected elements' edges marked.

        A vertical line marks each edge of a detected element, labelled along
        the line from the top of the axes.

        Parameters
        ----------
        **kwargs
            Passed to the signal's ``plot``.

        Returns
        -------
        None
            As HyperSpy's ``plot``; the figure is matplotlib's current one.
        """
        import hyperspy.api as hs

        from .._energy_axis import energy_axis

        spectrum = self._spectrum()
        spectrum.plot(**kwargs)
        axis = spectrum.axes_manager.signal_axes[0]
        ev_per_unit = energy_axis(spectrum).scale / axis.scale
        detected = set(self.elements)
        edges = [e for e in observable_edges(*self.energy_range) if e.element in detected]
        if edges:
            import matplotlib as mpl

            x = np.array([(e.onset - self.energy_shift) / ev_per_unit for e in edges])
            # HyperSpy's text markers scale the default font by sqrt(sizes).
            sizes = (_LABEL_POINTS / mpl.rcParams["font.size"]) ** 2
            spectrum.add_marker(hs.plot.markers.VerticalLines(offsets=x, color="k", alpha=0.6))
            # y in axes fraction keeps the labels inside the frame whatever the
            # counts; the rotation is in radians, and the alignment applies
            # before it: "right" ends the text at the anchor, "top" puts it
            # beside the line rather than across it, a little apart.
            gap = 0.004 * abs(axis.high_value - axis.low_value)
            spectrum.add_marker(
                hs.plot.markers.Texts(
                    offsets=np.stack([x + gap, np.full_like(x, _LABEL_TOP)], axis=1),
                    offset_transform="xaxis",
                    texts=np.array([e.label for e in edges]),
                    # Text paths are filled; an outline would embolden them.
                    facecolors="k",
                    linewidths=0,
                    rotation=np.pi / 2,
                    sizes=sizes,
                    horizontalalignment="right",
                    verticalalignment="top",
                )
            )

    def plot_fit(self, axes=None):
        """The spectrum model of the confirmed elements, its parts and its residual.

        Structure left in the residual is what no confirmed element explains;
        with ``search=True``, the elements it suggests are named in the
        title. The summed spectrum for spectrum images and line scans.

        Parameters
        ----------
        axes : sequence of two matplotlib.axes.Axes, optional
            Where to draw (spectrum, residual); a new figure when None.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            Without the check (``check=False``), or when no element was
            confirmed, so that there is no model to show.
        """
        if self.check is None or self.check.fit is None:
            raise ValueError(
                "No spectrum model to show: identify with check=True (the default) and "
                "at least one confirmed element."
            )
        fig = self.check.fit.plot(axes)
        if self.check.suggested:
            bottom = fig.axes[1] if axes is None else axes[1]
            bottom.set_title(
                "Residual; the search suggests " + ", ".join(self.check.suggested),
                fontsize=9,
            )
        return fig

    def plot_probabilities(self, pixel=None, ax=None):
        """Bar chart of every element's probability, labelled with the element symbols.

        ``probabilities.plot()`` shows the same values against the atomic
        number. Here the detected elements are dark, elements with no edge in
        the measured range are grey on a hatched column (their probability
        says nothing), and a black tick marks each element's threshold.

        Parameters
        ----------
        pixel : int or tuple of int, optional
            One pixel of a spectrum image or line scan, in HyperSpy's ``inav``
            order (x first); its bars are dark where above the threshold.
            Without it, a spectrum image or line scan shows each element's
            maximum over the pixels.
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            For a ``pixel`` of a single spectrum.
        """
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        if pixel is None:
            p = self._stats[0]
            detected = set(self.elements)
            hit = np.array([el in detected for el in ELEMENTS])
            hit_label = "detected"
            what = f"maximum over {self.n_pixels} pixels" if self._nav_shape else "probability"
        else:
            if not self._nav_shape:
                raise ValueError("A single spectrum has no pixels: leave pixel out.")
            pixel = tuple(int(i) for i in np.atleast_1d(pixel))
            p = np.asarray(self.probabilities.inav[pixel].data, dtype=float)
            hit = p > self.thresholds
            hit_label = "above threshold"
            what = f"probability at pixel {', '.join(map(str, pixel))}"
        observable = np.array([el in self.observable for el in ELEMENTS])
        if ax is None:
            _, ax = plt.subplots(figsize=(12, 3.6), layout="constrained")
        z = np.arange(len(ELEMENTS))
        # Not observable: a hatched column behind a grey bar, so the gaps in
        # what the window can show read even where every probability is ~0.
        hidden = dict(facecolor="none", edgecolor="0.82", hatch="//", linewidth=0)
        ax.bar(z[~observable], 1.02, width=1.0, zorder=0, **hidden)
        colour = np.where(hit, "#253494", "#9ecae1")
        ax.bar(z[observable], p[observable], width=0.8, color=colour[observable])
        ax.bar(z[~observable], p[~observable], width=0.8, color="0.6")
        ax.hlines(self.thresholds, z - 0.4, z + 0.4, color="k", linewidth=1)
        ax.set_xticks(z, ELEMENTS, fontsize=7, rotation=90)
        for label, seen in zip(ax.get_xticklabels(), observable, strict=True):
            label.set_color("black" if seen else "0.55")
        ax.set_xlim(-0.8, len(ELEMENTS) - 0.2)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel(what[0].upper() + what[1:])
        title = self._signal.metadata.get_item("General.title", "")
        # The legend takes the line above the axes; the title goes above it.
        ax.set_title(f"Edge probabilities{f' ({title})' if title else ''}", loc="left", pad=22)
        handles = [
            Patch(color="#253494", label=hit_label),
            Patch(color="#9ecae1", label=f"not {hit_label}"),
            Patch(**hidden, label="no edge in range"),
            plt.Line2D([], [], color="k", linewidth=1, label="threshold"),
        ]
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1), ncols=4, frameon=False)
        return ax.figure

    def plot_periodic_table(self, value=None, ax=None):
        """A periodic table coloured by each element's result, with the detected ones framed.

        Each element of :data:`eels_autoid.ELEMENTS` is coloured by ``value``
        and shows it as a number. A bold frame marks the detected elements;
        hatching marks those with no edge in the measured range (not
        observable: their value says nothing about their presence); elements
        the model does not know are faint.

        Parameters
        ----------
        value : {None, "max_probability", "mean_probability", "area_fraction"}
            What the colour shows, as in :meth:`summary`. By default the
            probability for a single spectrum, and for a spectrum image or
            line scan the area fraction (the share of pixels above the
            threshold, which detection reads).
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.figure.Figure
            Each element's cell is a ``matplotlib.patches.Rectangle`` whose
            ``gid`` is the element symbol.

        Raises
        ------
        ValueError
            For an unknown ``value``.
        """
        from .._periodic_table import draw_periodic_table

        choices = ("max_probability", "mean_probability", "area_fraction")
        if value is None:
            value = "area_fraction" if self._nav_shape else "max_probability"
        if value not in choices:
            raise ValueError(f"value must be None or one of {choices}, not {value!r}.")
        column = dict(zip(choices, self._stats, strict=True))[value]
        detected = set(self.elements)
        states = {el: "not observable" for el in ELEMENTS}
        states.update({el: "not detected" for el in self.observable})
        states.update({el: "detected" for el in detected})
        if not self._nav_shape:
            label = "Above threshold (1) or not (0)" if value == "area_fraction" else "Probability"
            rule = "above threshold"
        else:
            label = {
                "max_probability": "Maximum probability over the pixels",
                "mean_probability": "Mean probability over the pixels",
                "area_fraction": "Share of pixels above the threshold",
            }[value]
            rule = f"above threshold in ≥ {self.min_area_fraction:.0%} of the pixels"
        title = self._signal.metadata.get_item("General.title", "")
        shape = "x".join(map(str, self._nav_shape))
        shape = f"{shape} pixels" if shape else "one spectrum"
        return draw_periodic_table(
            dict(zip(ELEMENTS, map(float, column), strict=True)),
            states,
            label=label,
            title=(
                f"{label}{f' — {title}' if title else ''} ({shape})\n"
                f"detected ({rule}): {', '.join(self.elements) or 'none'}; edges read in "
                f"{self.energy_range[0]:.0f}..{self.energy_range[1]:.0f} eV"
            ),
            ax=ax,
        )

    def _repr_html_(self):
        return f"<p>{html.escape(repr(self))}</p>" + self.summary()._repr_html_()

    def __repr__(self):
        shape = "x".join(map(str, self._nav_shape)) or "1"
        found = ", ".join(self.elements) or "none"
        return (
            f"<EdgeIdentification: {len(self.elements)} detected ({found}) of "
            f"{len(self.observable)} observable, {shape} spectra, model {self.model.card.name!r}>"
        )
