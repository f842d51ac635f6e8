"""Signal classes registered with HyperSpy under ``signal_type="EELS_autoid"``."""

from .eels_autoid_spectrum import EELSAutoIDSpectrum, LazyEELSAutoIDSpectrum

__all__ = ["EELSAutoIDSpectrum", "LazyEELSAutoIDSpectrum"]
