"""Identification networks: loading, model cards and architectures.

Importing this package does not import Keras; it is imported on first use:
:func:`build_model` imports the architecture module it needs, and the loss
and metric helpers (``BCESoftF1``, ``macro_soft_f1_cost``,
``training_metrics``) are loaded on first access.
"""

from ._card import (
    DEFAULT_MODEL,
    DEFAULT_THRESHOLD,
    IdentificationModel,
    ModelCard,
    bundled_models,
    load_model,
    model_files,
)
from ._fold import fold_batch_norm
from ._registry import architecture_defaults, architectures, build_model
from ._specialist import Specialist

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLD",
    "IdentificationModel",
    "ModelCard",
    "bundled_models",
    "load_model",
    "model_files",
    "Specialist",
    "architectures",
    "architecture_defaults",
    "build_model",
    "fold_batch_norm",
    "BCESoftF1",
    "macro_soft_f1_cost",
    "training_metrics",
]

_LAZY = {"BCESoftF1", "macro_soft_f1_cost", "training_metrics"}


def __getattr__(name):
    # Keras-dependent helpers: imported on first access only.
    if name in _LAZY:
        from . import _losses

        return getattr(_losses, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
