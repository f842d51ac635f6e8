"""Identification networks: loading, model cards and (with the model issue) architectures.

Importing this package does not import Keras; it is imported on first use.
"""

from ._card import DEFAULT_MODEL, IdentificationModel, ModelCard, bundled_models, load_model

__all__ = ["DEFAULT_MODEL", "IdentificationModel", "ModelCard", "bundled_models", "load_model"]
