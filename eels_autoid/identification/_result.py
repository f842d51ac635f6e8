"""EdgeIdentification: what identify_edges returns, and the views users need of it."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .._tables import SummaryTable
from ..vocabulary import _FIRST_Z, ELEMENTS, element_index, observable_edges

__all__ = ["EdgeIdentification", "SummaryRow", "IdentificationSummary"]

_LABEL_POINTS = 8.0  # edge labels on EdgeIdentification.plot
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
        ]

    def _csv_row(self, r):
        return [
            r.element,
            "true" if r.detected else "false",
            f"{r.max_probability:.4f}",
            f"{r.mean_probability:.4f}",
            f"{r.area_fraction:.4f}",
            r.edges_in_range,
        ]


def _probability_signal(data, signal, title, quantity):
    """A Signal1D over the input's navigation axes and one axis of the 80 elements."""
    from hyperspy.signals import LazySignal1D, Signal1D

    nav = [ax.get_axis_dictionary() for ax in signal.axes_manager._axes if ax.navigate]
    element_axis = {
        "name": "Atomic number",
        "units": "",
        "offset": float(_FIRST_Z),
        "scale": 1.0,
        "size": len(ELEMENTS),
        "navigate": False,
    }
    cls = Signal1D if isinstance(data, np.ndarray) else LazySignal1D
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
        lazy output.
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
        if isinstance(data, np.ndarray):
            return flat.max(axis=0), flat.mean(axis=0), above.mean(axis=0)
        import dask

        return tuple(
            np.asarray(a)
            for a in dask.compute(flat.max(axis=0), flat.mean(axis=0), above.mean(axis=0))
        )

    @property
    def elements(self) -> list:
        """Detected elements, alphabetical.

        A single spectrum: observable and above threshold. A spectrum image or
        line scan: observable and above threshold in at least
        ``min_area_fraction`` of the pixels (and in one pixel at least).
        """
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
        area_fraction, edges_in_range``.
        """
        mx, mean, area = self._stats
        detected = set(self.elements)
        edges = {}
        for e in observable_edges(*self.energy_range):
            edges.setdefault(e.element, []).append(e.name)
        rows = []
        for el in self.observable:
            i = element_index(el)
            rows.append(
                SummaryRow(
                    el,
                    el in detected,
                    float(mx[i]),
                    float(mean[i]),
                    float(area[i]),
                    " ".join(edges.get(el, [])),
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

        Parameters
        ----------
        **kwargs
            Passed to the signal's ``plot``.

        Returns
        -------
        hyperspy.signal.BaseSignal
            The plotted spectrum (a new signal for spectrum images).
        """
        import hyperspy.api as hs

        from ._axis import energy_axis

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
            top = float(np.nanmax(spectrum.data))
            spectrum.add_marker(hs.plot.markers.VerticalLines(offsets=x, color="k", alpha=0.6))
            spectrum.add_marker(
                hs.plot.markers.Texts(
                    offsets=np.stack([x, np.full_like(x, top)], axis=1),
                    texts=np.array([e.label for e in edges]),
                    color="k",
                    rotation=90,
                    sizes=sizes,
                    verticalalignment="top",
                )
            )
        return spectrum

    def __repr__(self):
        shape = "x".join(map(str, self._nav_shape)) or "1"
        found = ", ".join(self.elements) or "none"
        return (
            f"<EdgeIdentification: {len(self.elements)} detected ({found}) of "
            f"{len(self.observable)} observable, {shape} spectra, model {self.model.card.name!r}>"
        )
