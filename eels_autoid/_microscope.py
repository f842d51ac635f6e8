"""Where HyperSpy keeps the microscope settings that cross-sections depend on."""

from __future__ import annotations

__all__ = ["METADATA_PATHS", "UNITS", "recorded_settings"]

METADATA_PATHS = {
    "beam_energy": "Acquisition_instrument.TEM.beam_energy",
    "convergence_angle": "Acquisition_instrument.TEM.convergence_angle",
    "collection_angle": "Acquisition_instrument.TEM.Detector.EELS.collection_angle",
}
UNITS = {"beam_energy": "kV", "convergence_angle": "mrad", "collection_angle": "mrad"}


def recorded_settings(signal, defaults):
    """The settings in ``signal``'s metadata where they are usable numbers, else ``defaults``.

    Silent: for uses that need approximate cross-sections only (checking an
    identification); quantification validates and warns instead.
    """
    out = dict(defaults)
    for name, path in METADATA_PATHS.items():
        try:
            value = float(signal.metadata.get_item(path, None))
        except (TypeError, ValueError):
            continue
        if value > 0 or (value == 0 and name == "convergence_angle"):
            out[name] = value
    return out
