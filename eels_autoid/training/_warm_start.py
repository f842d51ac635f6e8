"""Start a run from a trained network, possibly grown deeper or wider.

Weights move by layer name. A layer that is new (an extra residual block)
keeps its initialisation; EdgeNet's blocks start as the identity (their last
batch normalisation has zero scale), so the grown network computes what the
source did. A weight that grew copies the source into its leading slice:
the new entries along a kernel's *input* axis are set to zero, so that new
hidden units do not change the output until training gives them a use, and
new entries elsewhere (new units' incoming weights, biases, normalisation
statistics) keep their initialisation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._tensorflow import import_keras

__all__ = ["transfer_weights"]


def _grown(target, source, name):
    """``source`` placed in the leading slice of ``target`` (see module notes)."""
    target = np.array(target, copy=True)
    source = np.asarray(source)
    if source.ndim != target.ndim or any(
        s > t for s, t in zip(source.shape, target.shape, strict=True)
    ):
        raise ValueError(
            f"Weight {name!r} of shape {source.shape} does not fit into {target.shape}: "
            "a warm start can only grow a network."
        )
    if target.ndim >= 2 and source.shape[-2] < target.shape[-2]:
        target[..., source.shape[-2] :, :] = 0.0
    target[tuple(slice(0, s) for s in source.shape)] = source
    return target


def transfer_weights(model, source) -> dict:
    """Copy the weights of ``source`` into ``model`` by layer name.

    Parameters
    ----------
    model : keras.Model
        The network to initialise (modified in place).
    source : keras.Model, str or pathlib.Path
        A trained network or its ``.keras`` file.

    Returns
    -------
    dict
        ``copied``, ``grown`` and ``new`` layer names. Layers of ``source``
        absent from ``model`` are an error: a warm start must not silently
        drop what was learned.
    """
    keras = import_keras()

    if isinstance(source, (str, Path)):
        from ..models import BCESoftF1  # noqa: F401  (registers the training loss)

        source = keras.saving.load_model(source, compile=False, safe_mode=True)
    src = {layer.name: layer for layer in source.layers if layer.weights}
    dst = {layer.name: layer for layer in model.layers if layer.weights}
    missing = sorted(set(src) - set(dst))
    if missing:
        raise ValueError(f"The new network lacks layers of the source: {', '.join(missing)}.")
    report = {"copied": [], "grown": [], "new": sorted(set(dst) - set(src))}
    for name, layer in src.items():
        old = [w.numpy() for w in layer.weights]
        new = [w.numpy() for w in dst[name].weights]
        if len(old) != len(new):
            raise ValueError(f"Layer {name!r} has {len(new)} weights, the source {len(old)}.")
        if all(o.shape == n.shape for o, n in zip(old, new, strict=True)):
            dst[name].set_weights(old)
            report["copied"].append(name)
        else:
            pairs = enumerate(zip(old, new, strict=True))
            grown = [_grown(n, o, f"{name}/{k}") for k, (o, n) in pairs]
            dst[name].set_weights(grown)
            report["grown"].append(name)
    return report
