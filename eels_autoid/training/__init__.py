"""Training identification networks, and releasing them as models.

The life cycle of a model: a configuration (:func:`load_config`), a run
(:func:`train`, ``eels-autoid train``), its release (:func:`release_model`,
``eels-autoid release``: averaged checkpoints, threshold, figures, card), its
specialists (:func:`add_specialist`) and its installation
(:func:`install_model`).

Importing this package does not import Keras; the functions that train,
export and release import it when called.
"""

from __future__ import annotations

from ._config import DEFAULT_CONFIG, default_config_path, load_config, output_elements
from ._release import (
    TEST_SEED,
    TEST_SIZE,
    add_specialist,
    average_checkpoints,
    install_model,
    release_model,
    simulated_test_set,
)
from ._warm_start import transfer_weights

__all__ = [
    "DEFAULT_CONFIG",
    "default_config_path",
    "load_config",
    "output_elements",
    "train",
    "export_model",
    "export_run",
    "transfer_weights",
    "average_checkpoints",
    "release_model",
    "add_specialist",
    "install_model",
    "simulated_test_set",
    "TEST_SEED",
    "TEST_SIZE",
]


def train(config, out_dir, *, resume=False, source=None, epochs=None, workers=None, export=True):
    """Train (or continue training) a network as a configuration says.

    Parameters
    ----------
    config : str, pathlib.Path or dict
        A TOML/JSON configuration file or a dict (missing keys take the
        defaults of :data:`DEFAULT_CONFIG`). Ignored with ``resume``: the run
        keeps the configuration it started with.
    out_dir : str or pathlib.Path
        The run directory: checkpoints, ``state.json``, ``history.csv`` and,
        at the end, ``export/``.
    resume : bool
        Continue the run in ``out_dir`` after its last completed epoch.
    source : callable, optional
        Data source overriding ``[data] source``: ``source(batch_size,
        seed=..., **simulator)`` yielding ``(x, y)`` batches.
    epochs : int, optional
        Override the total number of epochs.
    workers : int, optional
        Override ``[data] workers``: processes simulating the next batches
        while the network trains (the data are the same with any number).
    export : bool
        Export the best checkpoint to ``out_dir/export`` when training ends.

    Returns
    -------
    dict
        The run state: ``epoch``, ``best_val_f1``, ``best_epoch``,
        ``learning_rate``, ``finished``, ``stop_reason``...
    """
    from ._loop import train as _train

    return _train(
        config, out_dir, resume=resume, source=source, epochs=epochs, workers=workers, export=export
    )


def export_model(members, target_dir, name, **kwargs):
    """Write networks and a model card; see :func:`eels_autoid.training._export.export_model`."""
    from ._export import export_model as _export_model

    return _export_model(members, target_dir, name, **kwargs)


def export_run(run_dir, target_dir=None, **kwargs):
    """Export a run's best checkpoint; see :func:`eels_autoid.training._export.export_run`."""
    from ._export import export_run as _export_run

    return _export_run(run_dir, target_dir, **kwargs)
