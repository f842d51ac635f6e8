"""Export trained networks as a model that :func:`eels_autoid.load_model` reads.

The export is a directory with one ``.keras`` file per member (weights and
architecture only: no optimizer state, no training loss, so no custom
object) and a model card ``<name>.json``. Copy both into
``eels_autoid/weights/`` to bundle a model.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np

from .._tensorflow import import_keras
from ..energy_grid import DEFAULT_GRID
from ..models import ModelCard
from ..preprocessing import PREPROCESSING_VERSION
from ..vocabulary import ELEMENTS

__all__ = ["best_checkpoint", "export_model", "export_run", "run_info"]


def _inference_copy(model):
    """A copy of a (compiled) model with the same weights and nothing else."""
    keras = import_keras()

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _load(member):
    keras = import_keras()

    from ..models import BCESoftF1  # noqa: F401  (registers the training loss for compiled files)

    if isinstance(member, (str, Path)):
        return keras.saving.load_model(member, compile=False, safe_mode=True)
    return member


def export_model(
    members,
    target_dir,
    name,
    *,
    threshold=0.5,
    element_thresholds=None,
    info=None,
    grid=DEFAULT_GRID,
    elements=None,
):
    """Write networks and their model card into ``target_dir``.

    Parameters
    ----------
    members : keras.Model, path, or list of them
        One network, or the members of an ensemble (their probabilities are
        averaged by :class:`eels_autoid.models.IdentificationModel`).
    target_dir : str or pathlib.Path
        Created if needed.
    name : str
        Model name: the card is ``<name>.json``, the members ``<name>.keras``
        (one member) or ``<name>-<i>.keras``.
    threshold : float
        Default decision threshold.
    element_thresholds : dict, optional
        Per-element thresholds.
    info : dict, optional
        Everything else for the card: ``architecture``, ``training``,
        ``metrics``, ``data_version``...
    grid : EnergyGrid
        The grid the networks read.
    elements : sequence of str, optional
        The output order, if not all of :data:`eels_autoid.ELEMENTS` (a
        specialist's family).

    Returns
    -------
    pathlib.Path
        The card's path (pass it to :func:`eels_autoid.load_model`).
    """
    if not isinstance(members, (list, tuple)):
        members = [members]
    if not members:
        raise ValueError("No network to export.")
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for i, member in enumerate(members):
        model = _inference_copy(_load(member))
        fname = f"{name}.keras" if len(members) == 1 else f"{name}-{i}.keras"
        model.save(target / fname)
        files.append(fname)
    info = dict(info or {})
    info.setdefault("exported", datetime.datetime.now(datetime.timezone.utc).isoformat())
    card = ModelCard(
        name=name,
        grid=grid,
        elements=tuple(elements) if elements is not None else ELEMENTS,
        threshold=float(threshold),
        element_thresholds=dict(element_thresholds or {}),
        members=files,
        preprocessing_version=PREPROCESSING_VERSION,
        info=info,
    )
    path = target / f"{name}.json"
    card.save(path)
    return path


def best_checkpoint(run_dir) -> Path:
    """The checkpoint of a run with the best validation F1 (the last one if none is marked)."""
    ckpt = Path(run_dir) / "checkpoints" / "best.keras"
    return ckpt if ckpt.is_file() else ckpt.with_name("last.keras")


def run_info(config, state, network) -> dict:
    """A card's ``architecture`` and ``training`` fields for a network of a run.

    Parameters
    ----------
    config, state : dict
        The run's ``config.json`` and ``state.json``.
    network : keras.Model

    Returns
    -------
    dict
        ``architecture`` (name, builder arguments, parameters) and
        ``training`` (configuration, epochs, best epoch, spectra seen, stop
        reason, data versions).
    """
    return dict(
        architecture=dict(
            name=config["model"]["architecture"],
            config=config["model"]["config"],
            parameters=int(network.count_params()),
        ),
        training=dict(
            config=config,
            epochs=state["epoch"],
            best_epoch=state["best_epoch"],
            spectra_seen=state["spectra_seen"],
            stop_reason=state["stop_reason"],
            # [first epoch, data] for each stretch of the run.
            data_versions=state.get("data_versions", []),
        ),
    )


def export_run(run_dir, target_dir=None, *, name=None, threshold=None, source=None):
    """Export the best checkpoint of a training run, with a card describing the run.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A directory written by :func:`eels_autoid.training.train`.
    target_dir : str or pathlib.Path, optional
        Default ``run_dir/export``.
    name : str, optional
        Default ``[export] name`` of the configuration, else the run's name.
    threshold : float or "validation", optional
        Default ``[export] threshold``. ``"validation"`` picks the global
        threshold with the best micro F1 on the run's validation set.
    source : callable, optional
        The data source of the run, if it is not the configuration's
        ``[data] source`` (needed to redraw the validation set).

    Returns
    -------
    pathlib.Path
        The card's path.
    """
    from ..evaluation import best_threshold, decide, micro_scores
    from ._config import output_elements
    from ._data import validation_data

    run = Path(run_dir)
    with open(run / "config.json") as f:
        config = json.load(f)
    with open(run / "state.json") as f:
        state = json.load(f)
    model = _load(best_checkpoint(run))
    name = name or config["export"]["name"] or config["name"]
    threshold = config["export"]["threshold"] if threshold is None else threshold

    elements = output_elements(config)
    x_val, y_val = validation_data(config, source)
    p_val = np.asarray(model.predict(x_val, batch_size=256, verbose=0), dtype=np.float64)
    if threshold == "validation":
        threshold = best_threshold(y_val, p_val, elements=elements)
    threshold = float(threshold)
    val = micro_scores(y_val, decide(p_val, threshold), elements=elements)
    info = dict(
        run_info(config, state, model),
        metrics=dict(
            simulated_validation=dict(
                n_spectra=int(len(y_val)),
                threshold=threshold,
                **{k: val[k] for k in ("precision", "recall", "f1", "exact_match")},
            )
        ),
    )
    return export_model(
        model, target_dir or run / "export", name, threshold=threshold, info=info, elements=elements
    )
