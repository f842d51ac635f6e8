"""A one-page report figure: spectrum with the detected edges, probabilities, maps."""

from __future__ import annotations

import numpy as np

from ..vocabulary import atomic_number, observable_edges

__all__ = ["report_figure"]

_MAX_BARS = 24
_MAX_MAPS = 8


def _summed_spectrum(signal):
    """Energies (eV) and the spectrum summed over the pixels, computed."""
    from ..identification._axis import energy_axis

    axis = energy_axis(signal)
    s = signal
    if s.axes_manager.navigation_dimension:
        s = s.sum(s.axes_manager.navigation_axes)
    data = s.data
    if hasattr(data, "compute"):
        data = data.compute()
    return axis.offset + axis.scale * np.arange(axis.size), np.asarray(data, dtype=float)


def _draw_spectrum(ax, energy, counts, elements, shift, excluded):
    ax.plot(energy, counts, color="k", lw=0.8)
    for a, b in excluded:
        ax.axvspan(a, b, color="0.85", lw=0, zorder=0)
    top = np.nanmax(counts) if np.isfinite(counts).any() else 1.0
    edges = [e for e in observable_edges(energy[0], energy[-1]) if e.element in elements]
    for e in edges:
        x = e.onset - shift
        ax.axvline(x, color="tab:red", lw=0.8, alpha=0.7)
        ax.text(x, top, f" {e.label}", rotation=90, va="top", ha="left", fontsize=8)
    ax.set_xlim(energy[0], energy[-1])
    ax.set_xlabel("Energy loss (eV)")
    ax.set_ylabel("Counts (sum over pixels)")
    title = "Spectrum and detected edges"
    if excluded:
        title += " (grey: left out of the fit)"
    ax.set_title(title, fontsize=10)


def _draw_probabilities(ax, identification):
    rows = identification.summary()[:_MAX_BARS]
    if not rows:
        ax.text(0.5, 0.5, "no element observable here", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    names = [r.element for r in rows]
    values = [r.max_probability for r in rows]
    colours = ["tab:green" if r.detected else "tab:grey" for r in rows]
    x = np.arange(len(rows))
    ax.bar(x, values, color=colours)
    from ..vocabulary import element_index

    thresholds = [identification.thresholds[element_index(n)] for n in names]
    ax.scatter(x, thresholds, marker="_", s=200, color="k", zorder=3, label="threshold")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Max probability")
    ax.set_title(
        f"Identification (green: detected; model {identification.model.card.name!r})", fontsize=10
    )
    ax.legend(fontsize=8, loc="upper right")


def _draw_maps(fig, spec, maps, quantity):
    """Maps (spectrum images), profiles (line scans) or bars (single spectra)."""
    from ._result import axis_label

    names = list(maps)[:_MAX_MAPS]
    if not names:
        ax = fig.add_subplot(spec)
        ax.text(0.5, 0.5, "no map", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    first = maps[names[0]]
    dim = first.axes_manager.signal_dimension if first.data.size > 1 else 0
    if dim == 2:
        cols = min(len(names), 4)
        rows = -(-len(names) // cols)
        grid = spec.subgridspec(rows, cols)
        for k, el in enumerate(names):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            im = ax.imshow(maps[el].data, cmap="viridis", interpolation="nearest")
            ax.set_title(el, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
        fig.text(0.5, 0.005, quantity, ha="center", fontsize=9)
    elif dim == 1:
        ax = fig.add_subplot(spec)
        for el in names:
            axis = maps[el].axes_manager.signal_axes[0]
            ax.plot(axis.axis, maps[el].data, label=el)
        ax.set_xlabel(axis_label(axis))
        ax.set_ylabel(quantity)
        ax.legend(fontsize=8)
    else:
        ax = fig.add_subplot(spec)
        ax.bar(names, [float(maps[el].data.ravel()[0]) for el in names])
        ax.set_ylabel(quantity)


def report_figure(identification=None, quantification=None):
    """A one-page summary figure of an identification and its quantification.

    Top: the spectrum (summed over the pixels) with the detected elements'
    edges marked; middle: each observable element's highest probability
    against its threshold; bottom: the quantified maps (or, without a
    quantification, the probability maps).

    Parameters
    ----------
    identification : EdgeIdentification, optional
    quantification : Quantification, optional
        At least one of the two.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``fig.savefig("report.png")``.
    """
    import matplotlib.pyplot as plt

    if identification is None and quantification is None:
        raise ValueError("Give an identification, a quantification or both.")
    signal = (identification or quantification)._signal
    energy, counts = _summed_spectrum(signal)
    if identification is not None:
        elements = set(identification.elements)
        shift = identification.energy_shift
    else:
        elements, shift = set(quantification.elements), 0.0
    excluded = quantification.excluded_ranges if quantification is not None else []

    has_bars = identification is not None
    has_maps = quantification is not None or signal.axes_manager.navigation_dimension > 0
    ratios = [1.0] + ([0.8] if has_bars else []) + ([1.6] if has_maps else [])
    fig = plt.figure(figsize=(8.27, 2.6 * sum(ratios) + 0.6))
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios, hspace=0.45)
    _draw_spectrum(fig.add_subplot(grid[0]), energy, counts, elements, shift, excluded)
    row = 1
    if has_bars:
        _draw_probabilities(fig.add_subplot(grid[row]), identification)
        row += 1
    if has_maps:
        if quantification is not None:
            from ._result import DENSITY_QUANTITY, FRACTION_QUANTITY

            maps = quantification.maps
            quantity = DENSITY_QUANTITY if quantification.absolute else FRACTION_QUANTITY
        else:
            detected = sorted(identification.elements, key=atomic_number)
            maps = {el: identification.get_map(el) for el in detected}
            quantity = "Probability"
        _draw_maps(fig, grid[row], maps, quantity)
    title = signal.metadata.get_item("General.title", "") or "EELS"
    found = " ".join(sorted(elements, key=atomic_number)) or "none"
    fig.suptitle(f"eels_autoid report: {title}\ndetected: {found}", fontsize=11)
    return fig
