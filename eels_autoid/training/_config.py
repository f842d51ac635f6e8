"""Training configuration: one TOML (or JSON) file says everything about a run.

Sections (all optional but ``model.architecture``; missing keys take the
defaults below, unknown keys are an error so that a typo cannot silently
train the wrong thing):

``name``
    Name of the run and of the exported model.
``[model]``
    ``architecture`` (see :func:`eels_autoid.models.architectures`),
    ``[model.config]``, the keyword arguments of its builder (keys left out
    take :func:`eels_autoid.models.architecture_defaults`; those of
    ``edgenet`` are the bundled default network's), and
    ``initial_weights``: a ``.keras`` file to start from (a path relative to
    the working directory; empty: random initialisation). The new network
    may be deeper or wider than that one (see
    :func:`eels_autoid.training.transfer_weights`).
``[training]``
    Seed, batch size, steps per epoch, epochs, optimiser, learning rate and
    its halving on plateaus of the validation F1, loss weights, early stopping.
``[validation]``
    A fixed validation set: ``size`` spectra drawn once from the data source
    with their own ``seed``, or a ``file`` (``.npz`` or HDF5 with arrays
    ``x`` (n, 3072, 2) and ``y`` (n, 80)).
``[data]``
    ``source``: ``"module:function"`` called as ``function(batch_size,
    seed=..., **simulator)`` and yielding ``(x, y)`` batches (default
    :func:`eels_autoid.simulate.training_batches`), and ``workers``: processes
    that simulate the next batches while the network trains on this one (0:
    simulate in the training process; the data are the same either way).
``[simulator]``
    Keyword arguments passed to the data source.
``[export]``
    ``name`` and ``threshold`` of the exported model: a number, or
    ``"validation"`` to take the validation-optimal global threshold.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from ..models import DEFAULT_THRESHOLD

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

__all__ = [
    "DEFAULT_CONFIG",
    "load_config",
    "merge_config",
    "default_config_path",
    "output_elements",
]

DEFAULT_SOURCE = "eels_autoid.simulate:training_batches"

DEFAULT_CONFIG = {
    "name": "run",
    "model": {"architecture": "edgenet", "config": {}, "initial_weights": ""},
    "training": {
        "seed": 0,
        "batch_size": 64,
        "steps_per_epoch": 250,
        "epochs": 200,
        "optimizer": "adamw",
        "learning_rate": 1e-3,
        "weight_decay": 1e-4,
        "clipnorm": 1.0,
        "soft_f1_weight": 1.0,
        "present_only": False,
        "label_smoothing": 0.0,
        # The decision threshold of the training-time metrics: a card's default.
        "threshold": DEFAULT_THRESHOLD,
        "lr_factor": 0.5,
        "lr_patience": 4,
        "min_learning_rate": 1e-6,
        "min_delta": 1e-4,
        "early_stopping_patience": 16,
        "max_hours": 0.0,
        "verbose": 1,
    },
    "validation": {"size": 2048, "seed": 987654321, "file": ""},
    "data": {"source": DEFAULT_SOURCE, "workers": 0},
    "simulator": {},
    "export": {"name": "", "threshold": "validation"},
}

# Sections whose keys are free (passed on as keyword arguments).
_FREE = {("model", "config"), ("simulator",)}


def default_config_path() -> Path:
    """The configuration of the bundled default network.

    Its architecture and the recipe of its last training stage; the file's
    comments say what it does not reproduce (the runs it was started from).
    """
    return Path(__file__).parent / "configs" / "default.toml"


def merge_config(user: dict, base: dict = DEFAULT_CONFIG, _path=()) -> dict:
    """``base`` updated with ``user``, checking keys against ``base``.

    Raises
    ------
    ValueError
        For a key that ``base`` does not know (outside the free sections).
    """
    out = copy.deepcopy(base)
    for key, value in user.items():
        path = (*_path, key)
        if path in _FREE or _path in _FREE:
            out[key] = copy.deepcopy(value)
        elif key not in base:
            where = ".".join(_path) or "top level"
            raise ValueError(
                f"Unknown configuration key {key!r} in [{where}]; known: {sorted(base)}."
            )
        elif isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ValueError(f"Configuration [{'.'.join(path)}] must be a table.")
            out[key] = merge_config(value, base[key], path)
        else:
            out[key] = value
    return out


def load_config(path_or_dict) -> dict:
    """Read a TOML or JSON configuration (or take a dict) and fill in the defaults.

    Parameters
    ----------
    path_or_dict : str, pathlib.Path or dict

    Returns
    -------
    dict
        The complete configuration.
    """
    if isinstance(path_or_dict, dict):
        user = path_or_dict
    else:
        path = Path(path_or_dict)
        if not path.is_file():
            raise FileNotFoundError(f"Training configuration {path} does not exist.")
        if path.suffix == ".json":
            with open(path) as f:
                user = json.load(f)
        elif path.suffix == ".toml":
            if tomllib is None:
                raise ImportError("Reading TOML on Python 3.10 needs the 'tomli' package.")
            with open(path, "rb") as f:
                user = tomllib.load(f)
        else:
            raise ValueError(f"Training configuration {path} must be a .toml or .json file.")
        if "name" not in user:
            user = {**user, "name": path.stem}
    config = merge_config(user)
    t = config["training"]
    for key in ("batch_size", "steps_per_epoch", "epochs"):
        if int(t[key]) < 1:
            raise ValueError(f"training.{key} must be >= 1, got {t[key]}.")
    if not 0 < float(t["lr_factor"]) < 1:
        raise ValueError("training.lr_factor must lie in (0, 1).")
    if t["optimizer"] not in ("adam", "adamw"):
        raise ValueError("training.optimizer must be 'adam' or 'adamw'.")
    return config


def output_elements(config: dict) -> tuple:
    """The elements a run's network outputs, in order.

    All of :data:`eels_autoid.ELEMENTS`, unless the data source trains a
    specialist on a family (``[simulator] focus``, see
    :func:`eels_autoid.simulate.focused_batches`).
    """
    from ..vocabulary import ELEMENTS

    focus = config.get("simulator", {}).get("focus")
    return tuple(focus) if focus else ELEMENTS
