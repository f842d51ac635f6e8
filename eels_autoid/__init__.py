"""eels_autoid: which elements are in an EELS spectrum, pixel by pixel.

A HyperSpy/exspy extension. Load a spectrum image with
``signal_type="EELS_autoid"`` and call ``s.identify_edges()`` and
``s.quantify()``, or call :func:`eels_autoid.identify_edges` and
:func:`eels_autoid.quantify` on any EELS signal.

Importing this package is light: HyperSpy, exspy and TensorFlow are imported
by the functions that need them.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from .vocabulary import ELEMENTS

try:
    __version__ = version("eels_autoid")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# public name -> module that defines it, imported on first access
_LAZY = {
    "EDGES": "eels_autoid.vocabulary",
    "Edge": "eels_autoid.vocabulary",
    "observable_elements": "eels_autoid.vocabulary",
    "EnergyGrid": "eels_autoid.energy_grid",
    "identify_edges": "eels_autoid.identification",
    "EdgeIdentification": "eels_autoid.identification",
    "quantify": "eels_autoid.quantification",
    "Quantification": "eels_autoid.quantification",
    "load_model": "eels_autoid.models",
    "bundled_models": "eels_autoid.models",
}
_SUBMODULES = {
    "gos", "simulate", "models", "signals", "identification", "preprocessing", "vocabulary",
    "energy_grid", "components", "training", "evaluation", "denoise", "quantification",
}  # fmt: skip

__all__ = ["ELEMENTS", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return import_module(f"eels_autoid.{name}")
    raise AttributeError(f"module 'eels_autoid' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
