"""The energy axis of a signal in eV, and its zero-loss peak: shared by identification,
quantification, evaluation and the reports."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from ._computing import is_lazy

__all__ = [
    "EnergyAxis",
    "energy_axis",
    "is_undefined_units",
    "zero_loss_centres",
    "zero_loss_shift",
]


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


def is_undefined_units(units) -> bool:
    """Whether HyperSpy's axis units (or name) are unset."""
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
    if is_undefined_units(units):
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


# What a zero-loss peak must look like to align an axis on it. Calibration
# errors of real files reach 5..20 eV; a peak further from 0 is something else.
ZLP_MAX_OFFSET = 25.0
# The widest plausible zero-loss peak (eV, FWHM; cold FEG 0.3, Schottky 0.7,
# thermionic LaB6 1.5..3): plasmons are 3..25 eV wide.
ZLP_MAX_FWHM = 5.0
# Below the peak (beyond 3 FWHM), nothing may exceed this share of its height:
# a zero-loss peak is the first and strongest feature of a low loss.
_ZLP_MAX_BEFORE = 0.2
# The peak must stand this many times above the spectrum's median.
_ZLP_MIN_CONTRAST = 3.0


def zero_loss_centres(spectra, energies, scale):
    """Zero-loss peak centre (eV) of each low-loss spectrum, NaN where there is none.

    A spectrum holds a zero-loss peak when its maximum is positive, a local
    peak inside the window, at most ``ZLP_MAX_OFFSET`` eV from 0, narrower
    than ``ZLP_MAX_FWHM`` (or 3 channels), at least ``_ZLP_MIN_CONTRAST``
    times the spectrum's median, and the first strong feature: nothing more
    than ``_ZLP_MAX_BEFORE`` of its height below it (beyond 3 FWHM).

    Parameters
    ----------
    spectra : numpy.ndarray, shape (n, size)
    energies : numpy.ndarray, shape (size,)
        Channel centres (eV).
    scale : float
        Dispersion (eV per channel).

    Returns
    -------
    centres : numpy.ndarray, shape (n,)
        Parabola-refined centres; NaN for spectra without a zero-loss peak.
    reasons : list of str
        Why each rejected spectrum was rejected ("" for accepted ones).
    """
    spectra = np.asarray(spectra, dtype=float)
    n, size = spectra.shape
    clean = np.where(np.isfinite(spectra), spectra, -np.inf)
    peak = np.argmax(clean, axis=1)
    rows = np.arange(n)
    height = clean[rows, peak]
    centres = np.full(n, np.nan)
    reasons = [""] * n
    max_width = max(ZLP_MAX_FWHM, 3 * scale)
    for k in range(n):
        y, p, h = spectra[k], int(peak[k]), float(height[k])
        if not np.isfinite(h) or h <= 0:
            reasons[k] = "it holds no positive finite value"
            continue
        median = float(np.nanmedian(y))
        if median > 0 and h < _ZLP_MIN_CONTRAST * median:
            reasons[k] = (
                f"its maximum is only {h / median:.1f} times its median (no peak stands out)"
            )
            continue
        # Half-maximum crossings on both sides of the maximum.
        below = np.nan_to_num(y, nan=0.0) < h / 2
        left = np.nonzero(below[:p])[0]
        right = np.nonzero(below[p + 1 :])[0]
        if not len(left) or not len(right):
            reasons[k] = (
                f"its maximum at {energies[p]:.1f} eV is cut by the window's edge (no peak inside)"
            )
            continue
        fwhm = (right[0] + 1 + p - left[-1] - 1) * scale
        if abs(energies[p]) > ZLP_MAX_OFFSET:
            reasons[k] = (
                f"its strongest peak lies at {energies[p]:.1f} eV, more than "
                f"{ZLP_MAX_OFFSET:g} eV from 0 eV"
            )
            continue
        if fwhm > max_width:
            reasons[k] = (
                f"its strongest peak (at {energies[p]:.1f} eV) is {fwhm:.1f} eV wide, wider than "
                f"a zero-loss peak ({max_width:g} eV at most)"
            )
            continue
        before = y[: max(0, p - int(np.ceil(3 * fwhm / scale)) - 1)]
        if len(before) and np.nanmax(np.append(before, -np.inf)) > _ZLP_MAX_BEFORE * h:
            reasons[k] = (
                f"a strong feature lies below its strongest peak (at {energies[p]:.1f} eV): "
                "that peak is not the zero-loss peak"
            )
            continue
        # Refine the maximum with a parabola through its neighbours.
        i = min(max(p, 1), size - 2)
        y0, y1, y2 = y[i - 1], y[i], y[i + 1]
        denom = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
        centres[k] = energies[i] + min(max(frac, -1.0), 1.0) * scale
    return centres, reasons


def zero_loss_shift(low_loss, signal) -> float:
    """Shift (eV) that puts the low-loss zero-loss peak at 0 eV.

    The median over pixels of the zero-loss peak centres (see
    :func:`zero_loss_centres`); the low loss is used read-only.

    Raises
    ------
    ValueError
        If the low loss's navigation shape differs from the signal's, or if
        fewer than half of its spectra hold a zero-loss peak (a flat, empty,
        NaN or plasmon-dominated low loss, or one recorded away from 0 eV).

    Warns
    -----
    UserWarning
        When some spectra hold no zero-loss peak (they are left out of the
        median), and when the peak moves across the low loss.
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
    if is_lazy(data):
        data = data.compute()
    spectra = np.asarray(data, dtype=float).reshape(-1, ll_axis.size)
    energies = ll_axis.offset + ll_axis.scale * np.arange(ll_axis.size)
    centres, reasons = zero_loss_centres(spectra, energies, ll_axis.scale)
    found = np.isfinite(centres)
    if found.sum() * 2 < len(centres) or not found.any():
        why = next(r for r in reasons if r)
        where = "" if len(centres) == 1 else f" in {int((~found).sum())} of {len(centres)} spectra"
        raise ValueError(
            f"The low_loss holds no zero-loss peak{where} ({why}); the energy axis cannot be "
            "aligned on it. Give the low loss recorded with this signal (dual EELS), or no "
            "low_loss."
        )
    if not found.all():
        warnings.warn(
            f"{int((~found).sum())} of {len(centres)} low-loss spectra hold no zero-loss peak; "
            "the alignment uses the others.",
            UserWarning,
            stacklevel=3,
        )
    centres = centres[found]
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
