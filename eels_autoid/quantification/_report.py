"""A one-page report figure: spectrum with the detected edges, probabilities, maps."""

from __future__ import annotations

import numpy as np

from .._computing import is_lazy
from ..vocabulary import atomic_number, observable_edges

__all__ = ["report_figure"]

_MAX_BARS = 24
_MAX_MAPS = 8


def _summed_spectrum(signal):
    """Energies (eV) and the spectrum summed over the pixels, computed."""
    from .._energy_axis import energy_axis

    axis = energy_axis(signal)
    s = signal
    if s.axes_manager.navigation_dimension:
        s = s.sum(s.axes_manager.navigation_axes)
    data = s.data
    if is_lazy(data):
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


def _draw_fit(ax, residual_ax, fit, counts):
    """The spectrum model (scaled from the mean to the summed spectrum) and its residual."""
    scale = float(np.nansum(counts)) / max(float(np.nansum(np.abs(fit.data))), 1e-300)
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    ax.plot(fit.energy, fit.model * scale, color="tab:red", lw=0.8, label="model")
    ax.plot(fit.energy, fit.background * scale, color="0.5", lw=0.7, ls="--", label="background")
    ax.legend(fontsize=7, loc="upper right")
    residual_ax.plot(fit.energy, fit.residual * scale, color="k", lw=0.6)
    residual_ax.axhline(0.0, color="0.5", lw=0.6)
    residual_ax.set_ylabel("Residual", fontsize=8)
    residual_ax.set_xlabel("Energy loss (eV)")
    ax.set_xlabel("")


def _draw_probabilities(ax, identification):
    """What decides each observable element, against the limit it must pass.

    A single spectrum: its probability against the element's threshold. A
    map: the share of pixels above the threshold against ``min_area_fraction``.
    """
    from ..vocabulary import element_index

    rows = identification.summary()
    if not rows:
        ax.text(0.5, 0.5, "no element observable here", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    per_pixel = identification.n_pixels > 1
    key = (lambda r: r.area_fraction) if per_pixel else (lambda r: r.max_probability)
    rows = sorted(rows, key=lambda r: (-key(r), r.element))[:_MAX_BARS]
    names = [r.element for r in rows]
    x = np.arange(len(rows))
    colours = ["tab:green" if r.detected else "tab:grey" for r in rows]
    ax.bar(x, [key(r) for r in rows], color=colours, width=0.7)
    if per_pixel:
        limit = identification.min_area_fraction
        ax.axhline(limit, color="k", lw=1, ls="--", label=f"{limit:.0%} of the pixels")
        ax.set_ylabel("Share of pixels\nabove threshold", fontsize=9)
    else:
        limits = [identification.thresholds[element_index(n)] for n in names]
        ax.scatter(x, limits, marker="_", s=200, color="k", zorder=3, label="threshold")
        ax.set_ylabel("Probability", fontsize=9)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_xlim(-0.6, max(len(rows), 8) - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_title(
        f"Identification, green: detected (model {identification.model.card.name!r})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right", frameon=False)


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
    shape = first.data.shape
    dim = sum(n > 1 for n in shape)  # a line scan stored as a 1 x N image is a profile
    if dim == 2:
        cols = min(len(names), 4)
        rows = -(-len(names) // cols)
        grid = spec.subgridspec(rows, cols, wspace=0.35)
        for k, el in enumerate(names):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            im = ax.imshow(maps[el].data, cmap="viridis", interpolation="nearest")
            ax.set_title(el, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            bar.ax.tick_params(labelsize=7)
            bar.set_label(quantity, fontsize=7)
    elif dim == 1:
        ax = fig.add_subplot(spec)
        axis = max(first.axes_manager.signal_axes, key=lambda a: a.size)
        for el in names:
            ax.plot(axis.axis, np.ravel(maps[el].data), marker=".", label=el)
        ax.set_xlabel(axis_label(axis))
        ax.set_ylabel(quantity)
        ax.set_title("Profiles along the line scan", fontsize=10)
        ax.legend(fontsize=8, frameon=False)
    else:
        ax = fig.add_subplot(spec)
        ax.bar(names, [float(maps[el].data.ravel()[0]) for el in names], width=0.6)
        ax.set_xlim(-0.7, max(len(names), 6) - 0.3)  # bars as wide whatever their number
        ax.set_ylabel(quantity)
        ax.set_title("Quantification", fontsize=10)


def report_figure(identification=None, quantification=None):
    """A one-page summary figure of an identification and its quantification.

    Top: the spectrum (summed over the pixels) with the detected elements'
    edges marked; middle: what decides each observable element (a single
    spectrum's probability against the threshold, or a map's share of
    pixels above the threshold against ``min_area_fraction``), and the same
    on a periodic table with the unobservable elements hatched; bottom: the
    quantified maps or line-scan profiles (or, without a quantification, the
    probability maps).

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
    map_height = 0.8
    if has_maps and signal.axes_manager.navigation_dimension == 2:
        n = len(quantification.maps if quantification is not None else identification.elements)
        map_height = 0.9 * max(1, -(-min(n, _MAX_MAPS) // 4))
    fit = quantification.spectrum_fit if quantification is not None else None
    ratios = (
        [1.0]
        + ([0.35] if fit is not None else [])
        + ([0.7, 1.5] if has_bars else [])
        + ([map_height] if has_maps else [])
    )
    fig = plt.figure(figsize=(8.27, 2.6 * sum(ratios) + 0.9), layout="constrained")
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
    spectrum_ax = fig.add_subplot(grid[0])
    _draw_spectrum(spectrum_ax, energy, counts, elements, shift, excluded)
    row = 1
    if fit is not None:
        _draw_fit(spectrum_ax, fig.add_subplot(grid[1], sharex=spectrum_ax), fit, counts)
        row = 2
    if has_bars:
        _draw_probabilities(fig.add_subplot(grid[row]), identification)
        table = fig.add_subplot(grid[row + 1])
        identification.plot_periodic_table(ax=table)
        table.set_title("The same on the periodic table", fontsize=10)
        row += 2
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
