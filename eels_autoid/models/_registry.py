"""The architecture registry: ``build_model(name, **config)``.

The modules that build networks import Keras; this one does not, so that
``eels_autoid.models`` can list and describe architectures without it.
"""

from __future__ import annotations

import importlib

__all__ = ["ARCHITECTURES", "architectures", "architecture_defaults", "build_model"]

# name -> (module, builder, one-line description)
ARCHITECTURES = {
    "edgenet": (
        "._edgenet",
        "build_edgenet",
        "ours: strided stem, dilated separable residual blocks, mask- and position-aware head",
    ),
    "unet": ("._unet", "build_unet", "EELS_ID U-Net (Annys et al. 2023)"),
    "vit": ("._vit", "build_vit", "EELS_ID vision transformer (Annys et al. 2023)"),
    "cnn_bilstm": ("._cnn_bilstm", "build_cnn_bilstm", "CNN-BiLSTM after Kong et al. (2022)"),
    "regional": (
        "._regional",
        "build_regional",
        "ours: a specialist reading fixed energy regions at 1 eV (lanthanides, 3d metals, Ru..Cs)",
    ),
}
_ALIASES = {"eels_id_unet": "unet", "eels_id_vit": "vit", "kong": "cnn_bilstm"}


def architectures() -> dict:
    """Names of the registered architectures and a one-line description of each."""
    return {name: desc for name, (_, _, desc) in ARCHITECTURES.items()}


def _resolve(name: str):
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {name!r}; available: {sorted(ARCHITECTURES)}.")
    module, builder, _ = ARCHITECTURES[key]
    mod = importlib.import_module(module, __package__)
    return key, mod, getattr(mod, builder)


def architecture_defaults(name: str) -> dict:
    """The default configuration of an architecture (keyword arguments of its builder)."""
    _, mod, _ = _resolve(name)
    return dict(mod.DEFAULTS)


def build_model(name: str, **config):
    """Build an untrained network of a registered architecture.

    Parameters
    ----------
    name : str
        ``"edgenet"``, ``"unet"``, ``"vit"`` or ``"cnn_bilstm"`` (see
        :func:`architectures`).
    **config
        Keyword arguments of the builder: ``input_shape`` (default (3072, 2)),
        ``n_outputs`` (default 80) and the architecture's hyper-parameters
        (see :func:`architecture_defaults`). Unknown keys raise.

    Returns
    -------
    keras.Model
        Input (batch, 3072, 2), output (batch, 80) sigmoid probabilities.
    """
    key, mod, builder = _resolve(name)
    allowed = set(mod.DEFAULTS) | {"input_shape", "n_outputs", "name"}
    unknown = set(config) - allowed
    if unknown:
        raise ValueError(
            f"Unknown {key} configuration keys: {sorted(unknown)}; known: {sorted(allowed)}."
        )
    if "input_shape" in config:
        config["input_shape"] = tuple(int(v) for v in config["input_shape"])
    return builder(**config)
