"""Checks on what quantify is given: energy axis, microscope settings, low loss, elements."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._computing import is_lazy
from .._energy_axis import energy_axis, is_undefined_units, zero_loss_centres
from .._microscope import METADATA_PATHS as _METADATA_PATHS
from .._microscope import UNITS as _UNITS
from ..spectrum_model import DEFAULT_MICROSCOPE

__all__ = ["DEFAULT_MICROSCOPE", "check_signal", "microscope_settings", "check_low_loss"]


def check_signal(signal, what="signal"):
    """The energy axis (eV) of a spectrum to quantify.

    Raises
    ------
    TypeError, ValueError
        As the energy-axis check of :func:`eels_autoid.identify_edges`, and for
        units other than eV (exspy's edge components read the axis in eV).
    """
    axis = energy_axis(signal, what=what)  # warns (assuming eV) for missing units
    units = signal.axes_manager.signal_axes[0].units
    if not is_undefined_units(units) and str(units).strip() != "eV":
        raise ValueError(
            f"The {what}'s energy axis is in {units!r}; quantification needs eV. Convert a copy "
            "first, e.g. s2 = s.deepcopy(); s2.axes_manager.signal_axes[0].convert_to_units('eV')."
        )
    return axis


def microscope_settings(signal, stacklevel=3, **given):
    """Beam energy (kV) and semi-angles (mrad): given > metadata > default (with a warning).

    Returns
    -------
    settings : dict
        ``beam_energy``, ``convergence_angle``, ``collection_angle``.
    defaulted : list of str
        The settings for which the default was used.
    """
    settings, defaulted = {}, []
    for name, path in _METADATA_PATHS.items():
        value = given.get(name)
        source = f"the {name} argument"
        if value is None:
            value = signal.metadata.get_item(path, None)
            source = f"metadata.{path}"
        if value is None:
            value = DEFAULT_MICROSCOPE[name]
            defaulted.append(name)
            source = None
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{source} is {value!r}, not a number.") from None
        lowest = 0.0 if name == "convergence_angle" else None
        if not math.isfinite(value) or value < 0 or (lowest is None and value == 0):
            raise ValueError(
                f"{source} is {value} {_UNITS[name]}: it must be a positive number"
                + (" (or 0 for a parallel beam)." if lowest == 0.0 else ".")
            )
        settings[name] = value
    if defaulted:
        used = ", ".join(f"{n.replace('_', ' ')} {settings[n]:g} {_UNITS[n]}" for n in defaulted)
        warnings.warn(
            f"The metadata lack the {' and '.join(n.replace('_', ' ') for n in defaulted)}; "
            f"quantification uses {used}. Pass them to quantify(...) or set them with "
            "s.set_microscope_parameters(...) for accurate cross-sections.",
            UserWarning,
            stacklevel=stacklevel,
        )
    return settings, defaulted


def check_low_loss(low_loss, signal, axis):
    """Check a low loss for the convolution and return the index of its 0 eV channel.

    Raises
    ------
    ValueError
        For a navigation shape other than the signal's, another dispersion,
        an energy axis without 0 eV, or a low loss (summed over pixels) without
        a zero-loss peak: an empty, flat or NaN low loss would give areal
        densities of 0 or NaN.
    """
    ll_axis = check_signal(low_loss, what="low_loss")
    nav_ll = tuple(low_loss.axes_manager.navigation_shape)
    nav_s = tuple(signal.axes_manager.navigation_shape)
    if nav_ll != nav_s:
        raise ValueError(
            f"The low_loss navigation shape {nav_ll} differs from the signal's {nav_s}: "
            "quantification convolves each pixel with its own low loss, so both must come "
            "from the same acquisition (e.g. dual EELS) and have the same navigation shape."
        )
    if not math.isclose(ll_axis.scale, axis.scale, rel_tol=1e-4):
        raise ValueError(
            f"The low_loss dispersion ({ll_axis.scale:g} eV/channel) differs from the signal's "
            f"({axis.scale:g} eV/channel); rebin or interpolate one of them first."
        )
    if not ll_axis.offset - 0.5 * ll_axis.scale <= 0.0 <= ll_axis.end + 0.5 * ll_axis.scale:
        raise ValueError(
            f"The low_loss energy axis ({ll_axis.offset:g}..{ll_axis.end:g} eV) does not "
            "contain 0 eV: it must hold the zero-loss peak."
        )
    data = low_loss.data
    summed = data.reshape(-1, ll_axis.size).sum(axis=0) if data.ndim > 1 else data
    if is_lazy(summed):
        summed = summed.compute()
    energies = ll_axis.offset + ll_axis.scale * np.arange(ll_axis.size)
    centre, why = zero_loss_centres(np.asarray(summed, float)[None, :], energies, ll_axis.scale)
    if not np.isfinite(centre[0]):
        raise ValueError(
            f"The low_loss holds no zero-loss peak ({why[0]}); absolute quantification "
            "divides by its intensity. Give the low loss recorded with this signal, or none "
            "for relative quantification."
        )
    return int(round(-ll_axis.offset / ll_axis.scale))
