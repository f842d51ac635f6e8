"""Checks on the signal handed to identify_edges, and its energy axis in eV."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np


@functools.cache
def _units():
    import pint

    return pint.UnitRegistry()


@dataclass(frozen=True)
class EnergyAxis:
    """A uniform energy axis in eV: first channel centre, dispersion, size."""

    offset: float
    scale: float
    size: int

    @property
    def end(self) -> float:
        return self.offset + self.scale * (self.size - 1)

    def shifted(self, shift: float) -> EnergyAxis:
        return EnergyAxis(self.offset + shift, self.scale, self.size)


def _is_undefined(units) -> bool:
    return units is None or str(units).strip() in ("", "<undefined>", "Undefined", "t.Undefined")


def energy_axis(signal, *, what: str = "signal") -> EnergyAxis:
    """The signal's energy axis in eV, after checking it can be identified.

    Raises
    ------
    TypeError
        If ``signal`` is not a HyperSpy signal.
    ValueError
        For a signal dimension other than 1, a non-uniform axis, units that are
        not an energy, an empty signal or navigation.
    """
    from hyperspy.signal import BaseSignal

    if not isinstance(signal, BaseSignal):
        raise TypeError(
            f"The {what} must be a HyperSpy signal (e.g. from hs.load), "
            f"got {type(signal).__name__}."
        )
    am = signal.axes_manager
    if am.signal_dimension != 1:
        raise ValueError(
            f"The {what} has signal dimension {am.signal_dimension}; edges can only be identified "
            "in spectra (signal dimension 1). If the energy axis is a navigation axis, use "
            "s.as_signal1D(spectral_axis)."
        )
    axis = am.signal_axes[0]
    if not axis.is_uniform:
        raise ValueError(
            f"The {what}'s energy axis is non-uniform; interpolate it onto a uniform axis first "
            "(e.g. s.interpolate_on_axis(new_axis))."
        )
    if axis.size < 2:
        raise ValueError(f"The {what} has {axis.size} energy channel(s); at least 2 are needed.")
    if 0 in signal.data.shape:
        raise ValueError(f"The {what} is empty: its data shape is {signal.data.shape}.")
    units = axis.units
    if _is_undefined(units):
        warnings.warn(
            f"The {what}'s energy axis has no units; assuming eV.", UserWarning, stacklevel=3
        )
        factor = 1.0
    else:
        ureg = _units()
        try:
            quantity = ureg.Quantity(1.0, str(units))
        except Exception:
            raise ValueError(
                f"The {what}'s energy axis has units {units!r}, which are not an energy unit."
            ) from None
        if quantity.dimensionality != ureg.eV.dimensionality:
            raise ValueError(
                f"The {what}'s signal axis has units {units!r}, which are not an energy "
                "(expected eV or keV)."
            )
        factor = float(quantity.to("eV").magnitude)
    offset, scale = float(axis.offset) * factor, float(axis.scale) * factor
    if not (np.isfinite(offset) and np.isfinite(scale)) or scale == 0:
        raise ValueError(f"The {what}'s energy axis is invalid: offset {offset}, scale {scale}.")
    if scale < 0:
        raise ValueError(
            f"The {what}'s energy axis decreases (scale {scale} eV); flip it first "
            "(e.g. s.isig[::-1] with the axis redefined)."
        )
    return EnergyAxis(offset, scale, int(axis.size))


def zero_loss_shift(low_loss, signal) -> float:
    """Shift (eV) that puts the low-loss zero-loss peak at 0 eV.

    The median over pixels of exspy's zero-loss peak centre estimate; the
    low-loss is used read-only.
    """
    ll_axis = energy_axis(low_loss, what="low_loss")
    nav_ll = low_loss.axes_manager.navigation_shape
    nav_s = signal.axes_manager.navigation_shape
    if nav_ll and nav_ll != nav_s:
        raise ValueError(
            f"The low_loss navigation shape {nav_ll} differs from the signal's {nav_s}; "
            "give a low-loss with the same navigation shape, or a single spectrum."
        )
    data = low_loss.data
    if hasattr(data, "compute"):
        data = data.compute()
    spectra = np.asarray(data, dtype=float).reshape(-1, ll_axis.size)
    energies = ll_axis.offset + ll_axis.scale * np.arange(ll_axis.size)
    # The zero-loss peak is the largest feature of a low-loss spectrum.
    peak = np.nanargmax(np.nan_to_num(spectra, nan=-np.inf), axis=1)
    centres = energies[peak]
    if not (energies[0] - ll_axis.scale <= np.median(centres) <= energies[-1]):
        raise ValueError("Could not find a zero-loss peak in low_loss.")
    # Refine each maximum with a parabola through its neighbours.
    i = np.clip(peak, 1, ll_axis.size - 2)
    rows = np.arange(len(spectra))
    y0, y1, y2 = spectra[rows, i - 1], spectra[rows, i], spectra[rows, i + 1]
    denom = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(denom < 0, 0.5 * (y0 - y2) / denom, 0.0)
    centres = energies[i] + np.clip(frac, -1, 1) * ll_axis.scale
    shift = -float(np.median(centres))
    spread = float(np.ptp(centres)) if len(centres) > 1 else 0.0
    if spread > max(2.0, 4 * ll_axis.scale):
        warnings.warn(
            f"The zero-loss peak moves by {spread:.1f} eV across the low-loss; the median "
            f"shift ({shift:+.2f} eV) is applied to every pixel. Align the spectrum image "
            "first (s.align_zero_loss_peak(also_align=[...])) for per-pixel alignment.",
            UserWarning,
            stacklevel=3,
        )
    return shift
