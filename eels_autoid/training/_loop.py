"""The training loop: streaming data, validation F1, plateau halving, checkpoints.

A run lives in one directory::

    OUT/
      config.json          the complete configuration (defaults filled in)
      state.json           epoch done, learning rate, plateau counters, best F1
      checkpoints/last.keras   model + optimizer state after the last epoch
      checkpoints/best.keras   the model with the best validation F1
      history.csv          one row per epoch (the learning curves)
      export/<name>.keras + <name>.json   the bundled-model form (at the end)

Each epoch draws its batches from a fresh data source seeded by (seed,
epoch), and the global Keras seed is reset from the same pair, so an epoch is
the same whether the run went straight through or was stopped and resumed:
``eels-autoid train CONFIG --resume`` continues after the last completed
epoch (a run of many hours on a laptop can be interrupted at any time; only
the epoch in progress is lost). Works on any Keras 3 backend.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from .._tensorflow import import_keras
from ..evaluation import best_threshold, decide, micro_scores
from ._config import load_config, output_elements
from ._data import (
    _batches,
    _simulation_pool,
    data_version,
    epoch_seed,
    resolve_source,
    validation_data,
)

__all__ = ["train"]

HISTORY_FIELDS = [
    "epoch",
    "learning_rate",
    "loss",
    "f1",
    "precision",
    "recall",
    "val_bce",
    "val_f1",
    "val_precision",
    "val_recall",
    "val_exact_match",
    "val_best_threshold",
    "spectra_seen",
    "epoch_seconds",
]


def _atomic_save_model(model, path: Path):
    tmp = path.with_name(path.stem + ".tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _atomic_write_json(obj, path: Path):
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _compile(model, config):
    keras = import_keras()

    from ..models import BCESoftF1, training_metrics

    t = config["training"]
    kwargs = dict(learning_rate=float(t["learning_rate"]))
    if t["clipnorm"]:
        kwargs["clipnorm"] = float(t["clipnorm"])
    if t["optimizer"] == "adamw":
        optimizer = keras.optimizers.AdamW(weight_decay=float(t["weight_decay"]), **kwargs)
    else:
        optimizer = keras.optimizers.Adam(**kwargs)
    loss = BCESoftF1(
        soft_f1_weight=t["soft_f1_weight"],
        present_only=t["present_only"],
        label_smoothing=t["label_smoothing"],
    )
    model.compile(optimizer=optimizer, loss=loss, metrics=training_metrics(t["threshold"]))
    return model


def _bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _new_state(config):
    return dict(
        epoch=0,
        learning_rate=float(config["training"]["learning_rate"]),
        best_val_f1=-1.0,
        best_epoch=0,
        plateau_wait=0,
        since_best=0,
        spectra_seen=0,
        finished=False,
        stop_reason="",
    )


def train(config, out_dir, *, resume=False, source=None, epochs=None, workers=None, export=True):
    """Train (or continue training) a network as a configuration says.

    Parameters
    ----------
    config : str, pathlib.Path or dict
        A configuration file or dict (see :mod:`eels_autoid.training._config`).
    out_dir : str or pathlib.Path
        The run directory (created).
    resume : bool
        Continue the run in ``out_dir`` after its last completed epoch. Without
        it, a directory that already holds a run is an error.
    source : callable, optional
        A data source overriding ``[data] source`` (called as
        ``source(batch_size, seed=..., **simulator)``).
    epochs : int, optional
        Override ``training.epochs`` (the total, not the number to add).
    workers : int, optional
        Override ``data.workers`` (simulation processes; the data do not change).
    export : bool
        Export the best model to ``out_dir/export`` when training ends.

    Returns
    -------
    dict
        The final run state (``epoch``, ``best_val_f1``, ``learning_rate``...).
    """
    keras = import_keras()

    from ..models import build_model

    out = Path(out_dir)
    state_path = out / "state.json"
    ckpt_dir = out / "checkpoints"
    if resume:
        if not state_path.is_file():
            raise FileNotFoundError(f"{out} holds no run to resume (no state.json).")
        with open(out / "config.json") as f:
            config = load_config(json.load(f))
        with open(state_path) as f:
            state = json.load(f)
    else:
        config = load_config(config)
        if state_path.exists():
            raise FileExistsError(
                f"{out} already holds a training run: pass resume=True (--resume) to continue "
                "it, or choose another output directory."
            )
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_json(config, out / "config.json")
        state = _new_state(config)
    if epochs is not None:
        config["training"]["epochs"] = int(epochs)
    if workers is not None:
        config["data"]["workers"] = int(workers)
    t = config["training"]
    if state["finished"] and state["stop_reason"] == "all epochs done":
        # More epochs asked for than the run was given: carry on.
        state["finished"] = state["epoch"] >= int(t["epochs"])
    data_source = resolve_source(source or config["data"]["source"])
    # Which data each stretch of epochs saw: a resumed run may continue on a
    # newer simulator, and its card must say so.
    versions = state.setdefault("data_versions", [])
    current = data_version(config, source)
    if not versions or versions[-1][1] != current:
        versions.append([state["epoch"] + 1, current])
    x_val, y_val = validation_data(config, data_source)

    if resume and state["epoch"] > 0:
        # Registers the loss and metrics the checkpoint was compiled with (in a
        # fresh process nothing else has imported them yet).
        from ..models import BCESoftF1  # noqa: F401

        model = keras.saving.load_model(ckpt_dir / "last.keras", compile=True, safe_mode=True)
        model.optimizer.learning_rate.assign(state["learning_rate"])
    else:
        keras.utils.set_random_seed(int(t["seed"]))
        arch = config["model"]["architecture"]
        model = build_model(arch, **config["model"]["config"])
        if config["model"]["initial_weights"]:
            from ._warm_start import transfer_weights

            report = transfer_weights(model, config["model"]["initial_weights"])
            if int(t["verbose"]):
                print(
                    f"Started from {config['model']['initial_weights']}: "
                    f"{len(report['copied'])} layers copied, {len(report['grown'])} grown, "
                    f"{len(report['new'])} new."
                )
        _compile(model, config)

    history_path = out / "history.csv"
    if not history_path.exists():
        with open(history_path, "w", newline="") as f:
            csv.DictWriter(f, HISTORY_FIELDS).writeheader()

    pool = _simulation_pool(int(config["data"]["workers"]))
    try:
        state = _epochs(model, config, state, out, source, pool, x_val, y_val)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    if export and state["finished"]:
        from ._export import export_run

        export_run(out, source=data_source)
    return state


def _epochs(model, config, state, out, source, pool, x_val, y_val):
    """Train epoch after epoch until done, stopped early or out of time."""
    keras = import_keras()

    t = config["training"]
    verbose = int(t["verbose"])
    ckpt_dir = out / "checkpoints"
    state_path = out / "state.json"
    history_path = out / "history.csv"
    started = time.monotonic()
    while state["epoch"] < int(t["epochs"]) and not state["finished"]:
        epoch = state["epoch"]
        seed = epoch_seed(t["seed"], epoch)
        # Dropout and any other randomness of this epoch follow from (seed, epoch).
        keras.utils.set_random_seed(seed % (2**31))
        _reset_layer_seeds(model, seed)
        tic = time.monotonic()
        batches = _batches(
            source or config["data"]["source"],
            int(t["batch_size"]),
            seed,
            config["simulator"],
            int(t["steps_per_epoch"]),
            pool=pool,
        )
        hist = model.fit(
            batches,
            steps_per_epoch=int(t["steps_per_epoch"]),
            epochs=epoch + 1,
            initial_epoch=epoch,
            verbose=2 if verbose else 0,
            shuffle=False,  # batches arrive in their (seeded) order
        ).history
        p_val = np.asarray(model.predict(x_val, batch_size=256, verbose=0), dtype=np.float64)
        elements = output_elements(config)
        val = micro_scores(y_val, decide(p_val, t["threshold"]), elements=elements)
        val_f1 = 0.0 if math.isnan(val["f1"]) else val["f1"]
        state["epoch"] = epoch + 1
        state["spectra_seen"] += int(t["steps_per_epoch"]) * int(t["batch_size"])
        row = dict(
            epoch=epoch + 1,
            learning_rate=state["learning_rate"],
            loss=hist["loss"][-1],
            f1=hist.get("f1", [float("nan")])[-1],
            precision=hist.get("precision", [float("nan")])[-1],
            recall=hist.get("recall", [float("nan")])[-1],
            val_bce=_bce(y_val, p_val),
            val_f1=val["f1"],
            val_precision=val["precision"],
            val_recall=val["recall"],
            val_exact_match=val["exact_match"],
            val_best_threshold=best_threshold(y_val, p_val, elements=elements),
            spectra_seen=state["spectra_seen"],
            epoch_seconds=round(time.monotonic() - tic, 2),
        )

        # Plateau logic on the validation F1.
        if val_f1 > state["best_val_f1"] + float(t["min_delta"]):
            state.update(best_val_f1=val_f1, best_epoch=epoch + 1, plateau_wait=0, since_best=0)
            _atomic_save_model(model, ckpt_dir / "best.keras")
        else:
            state["plateau_wait"] += 1
            state["since_best"] += 1
            if state["plateau_wait"] >= int(t["lr_patience"]):
                new_lr = max(state["learning_rate"] * float(t["lr_factor"]), t["min_learning_rate"])
                if verbose and new_lr < state["learning_rate"]:
                    print(f"Validation F1 on a plateau: learning rate {new_lr:.3g}")
                state["learning_rate"] = float(new_lr)
                model.optimizer.learning_rate.assign(state["learning_rate"])
                state["plateau_wait"] = 0
        patience = int(t["early_stopping_patience"])
        if patience and state["since_best"] >= patience:
            state.update(finished=True, stop_reason=f"no validation F1 gain in {patience} epochs")
        elif state["epoch"] >= int(t["epochs"]):
            state.update(finished=True, stop_reason="all epochs done")

        # Checkpoint first, then the state that points at it: a crash between
        # the two re-runs one epoch, it never skips one.
        _atomic_save_model(model, ckpt_dir / "last.keras")
        _atomic_write_json(state, state_path)
        with open(history_path, "a", newline="") as f:
            csv.DictWriter(f, HISTORY_FIELDS).writerow(row)
        if verbose:
            print(
                f"epoch {epoch + 1}: loss {row['loss']:.4f}  val F1 {val['f1']:.4f}  "
                f"exact {val['exact_match']:.3f}  lr {state['learning_rate']:.3g}"
            )
        max_hours = float(t["max_hours"])
        if max_hours and (time.monotonic() - started) / 3600 >= max_hours:
            if verbose:
                print(f"Stopping after {max_hours} h; continue with --resume.")
            break
    return state


def _reset_layer_seeds(model, seed):
    """Give every layer's random-number state a value derived from the epoch seed.

    Keras keeps the state of dropout's random numbers in each layer; it is
    not stored in ``.keras`` files, so without this a resumed run would draw
    other dropout masks than an uninterrupted one.
    """
    keras = import_keras()

    for i, layer in enumerate(model._flatten_layers(include_self=False)):
        gen = getattr(layer, "seed_generator", None)
        if gen is not None and hasattr(gen, "state"):
            value = np.array([0, (seed + 7919 * i) % (2**31)], dtype=gen.state.dtype)
            gen.state.assign(keras.ops.convert_to_tensor(value, dtype=gen.state.dtype))
