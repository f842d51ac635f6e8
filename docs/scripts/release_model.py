"""Turn a training run into the bundled model: thresholds, metrics, card, figures.

Usage (from the repository root)::

    python docs/scripts/release_model.py RUN_DIR [--real ../shared/real_spectra]
        [--name default] [--test-size 4096] [--target eels_autoid/weights]
        [--members CKPT.keras ... | --average CKPT.keras ...] [--no-figures]

1. Exports the run's best checkpoint (weights only) with
   :func:`eels_autoid.training.export_run`; or an ensemble of checkpoints
   (``--members``, one network each); or one network whose weights are the
   mean of several checkpoints of the run (``--average``: checkpoint
   averaging, as fast as a single network).
2. Chooses the global threshold on the validation data: the run's simulated
   validation set and the real validation spectra (carbon excluded), each
   weighted equally (the mean of their micro F1 over a sweep of thresholds).
   The real set has ~100 labelled (spectrum, element) pairs: per-element
   thresholds fitted on it would memorise its files, so there are none.
3. Measures the figures of the issue at that threshold: a simulated test set
   drawn with the simulator's default parameters and a seed of its own, and
   the real spectra (summed maps and per pixel).
4. Writes the card (architecture, recipe, data version, threshold, metrics)
   beside the ``.keras`` file in ``--target``, the full reports in
   ``RUN_DIR/release/`` and the results figures in ``docs/_static/``.
"""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

SWEEP = np.round(np.arange(0.05, 0.951, 0.01), 2)


def _sweep_f1(report):
    return np.array([row["f1"] for row in report["threshold_sweep"]], dtype=float)


def _test_set(path, size, seed):
    from eels_autoid.simulate import TrainingBatches

    if path.is_file():
        return
    source = TrainingBatches(256, seed=seed)
    xs, ys = [], []
    for i in range(int(np.ceil(size / 256))):
        x, y = source[i]
        xs.append(x)
        ys.append(y)
    np.savez_compressed(path, x=np.concatenate(xs)[:size], y=np.concatenate(ys)[:size])


def _figures(run, real, sim_test, static):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from eels_autoid import ELEMENTS

    hist = np.genfromtxt(run / "history.csv", delimiter=",", names=True)
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    seen = hist["spectra_seen"] / 1e6
    ax[0].plot(seen, hist["loss"], label="training loss (BCE + soft-F1)")
    ax[0].plot(seen, hist["val_bce"] * 10, label="validation BCE x 10")
    ax[0].set_xlabel("simulated spectra seen (millions)")
    ax[0].legend()
    ax[1].plot(seen, hist["val_f1"], label="validation micro F1 (t = 0.5)")
    ax[1].plot(seen, hist["val_exact_match"], label="validation exact match")
    ax[1].set_xlabel("simulated spectra seen (millions)")
    ax[1].set_ylim(0, 1)
    ax[1].legend()
    fig.savefig(static / "results_learning_curves.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for rep, name in ((sim_test, "simulated test"), (real, "real (carbon excluded)")):
        rel = rep["reliability"]
        ok = np.asarray(rel["count"]) > 0
        ax[0].plot(
            np.asarray(rel["mean_predicted"])[ok],
            np.asarray(rel["observed_frequency"])[ok],
            "o-",
            label=f"{name}, ECE {rel['ece']:.3f}",
        )
        sweep = rep["threshold_sweep"]
        ax[1].plot([r["threshold"] for r in sweep], [r["f1"] for r in sweep], label=name)
    ax[0].plot([0, 1], [0, 1], "k:", lw=1)
    ax[0].set_xlabel("predicted probability")
    ax[0].set_ylabel("observed frequency")
    ax[0].legend(fontsize=8)
    ax[1].axvline(real["threshold"] if np.ndim(real["threshold"]) == 0 else real["threshold"][0])
    ax[1].set_xlabel("threshold")
    ax[1].set_ylabel("micro F1")
    ax[1].legend(fontsize=8)
    fig.savefig(static / "results_calibration.png", dpi=110)
    plt.close(fig)

    rows = [r for r in sim_test["per_element"] if r["support"] > 0]
    f1 = {r["element"]: r["f1"] for r in rows}
    fig, ax = plt.subplots(figsize=(12, 3), constrained_layout=True)
    els = [e for e in ELEMENTS if e in f1]
    ax.bar(range(len(els)), [f1[e] for e in els])
    ax.set_xticks(range(len(els)), els, fontsize=7, rotation=90)
    ax.set_ylabel("F1 (simulated test)")
    ax.set_ylim(0, 1)
    fig.savefig(static / "results_per_element.png", dpi=110)
    plt.close(fig)


def brief(rep):
    """The card's figures of an evaluation report: micro, support-weighted F1, n, ECE."""
    keep = ("precision", "recall", "f1", "exact_match")
    d = {k: round(float(rep["micro"][k]), 4) for k in keep}
    d["support_weighted_f1"] = round(float(rep["support_weighted"]["f1"]), 4)
    d["n_spectra"] = rep["n_spectra"]
    d["ece"] = round(float(rep["reliability"]["ece"]), 4)
    return d


def real_figures(real):
    """The card's extra figures of a real-folder report (beyond micro and support-weighted)."""
    return dict(
        excluded=["C"],
        kong_exact=round(float(real["kong"]["exact_accuracy"]), 4),
        kong_recognition=round(float(real["kong"]["recognition_accuracy"]), 4),
        per_pixel_f1=round(float(real.get("per_pixel", {}).get("f1", float("nan"))), 4),
        by_group={g: round(float(v["f1"]), 4) for g, v in real["by_group"].items()},
    )


def evaluation_figures(sim_test, real, seed):
    """The card's ``simulated_test`` and ``real`` metrics from the two evaluation reports."""
    from eels_autoid.simulate import SIMULATOR_VERSION

    return dict(
        simulated_test=dict(
            brief(sim_test),
            seed=seed,
            parameters="simulator defaults",
            data_version=f"eels_autoid.simulate {SIMULATOR_VERSION}",
        ),
        real=dict(brief(real), **real_figures(real)),
    )


def _average_weights(paths, out):
    """Save the network of ``paths[0]`` with the mean weights of all ``paths``."""
    import keras

    nets = [keras.saving.load_model(p, compile=False) for p in paths]
    weights = [n.get_weights() for n in nets]
    if any(len(w) != len(weights[0]) for w in weights):
        raise ValueError("Checkpoints to average must share one architecture.")
    nets[0].set_weights([np.mean(ws, axis=0) for ws in zip(*weights, strict=True)])
    nets[0].save(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--real", default="../shared/real_spectra")
    p.add_argument("--name", default="default")
    p.add_argument("--target", default="eels_autoid/weights")
    p.add_argument("--test-size", type=int, default=4096)
    p.add_argument("--test-seed", type=int, default=20261121)
    p.add_argument(
        "--members",
        nargs="+",
        help="checkpoints (.keras) of the run to ship as an ensemble instead of its best one",
    )
    p.add_argument(
        "--average",
        nargs="+",
        help="checkpoints (.keras) of the run whose mean weights make the shipped network",
    )
    p.add_argument(
        "--no-figures", action="store_true", help="leave docs/_static alone (e.g. for an ensemble)"
    )
    args = p.parse_args()

    import eels_autoid
    from eels_autoid.evaluation import evaluate_folder, evaluate_test_set
    from eels_autoid.evaluation._evaluate import evaluate_arrays
    from eels_autoid.models import load_model
    from eels_autoid.simulate import SIMULATOR_VERSION
    from eels_autoid.training import export_model, export_run
    from eels_autoid.training._loop import validation_data

    run = Path(args.run)
    out = run / "release" if args.name == "default" else run / f"release-{args.name}"
    out.mkdir(parents=True, exist_ok=True)
    if (out / "model").is_dir():
        shutil.rmtree(out / "model")
    card_path = export_run(run, out / "model", name=args.name, threshold=0.5)
    if args.members and args.average:
        p.error("--members and --average exclude each other")
    if args.average:
        # Checkpoints of one run along its final plateau: their mean usually
        # sits nearer the plateau's centre than any one of them.
        info = json.loads(card_path.read_text())
        info = {k: info[k] for k in ("architecture", "training", "metrics")}
        info["architecture"]["averaged_checkpoints"] = [Path(m).name for m in args.average]
        averaged = out / "averaged.keras"
        _average_weights(args.average, averaged)
        shutil.rmtree(out / "model")
        card_path = export_model([averaged], out / "model", args.name, threshold=0.5, info=info)
    if args.members:
        # Same card (recipe, data versions), other weights: an ensemble of checkpoints.
        info = json.loads(card_path.read_text())
        info = {k: info[k] for k in ("architecture", "training", "metrics")}
        info["architecture"]["ensemble_members"] = [Path(m).name for m in args.members]
        shutil.rmtree(out / "model")
        card_path = export_model(args.members, out / "model", args.name, threshold=0.5, info=info)
    model = load_model(card_path)
    with open(run / "config.json") as f:
        config = json.load(f)

    # Threshold: simulated validation and real validation, equally weighted.
    x_val, y_val = validation_data(config)
    p_val = np.concatenate([model.predict(x_val[i : i + 256]) for i in range(0, len(x_val), 256)])
    sim_val = evaluate_arrays(y_val, p_val, 0.5, sweep=SWEEP)
    real_val = evaluate_folder(args.real, model=model, threshold=0.5, per_pixel=False, sweep=SWEEP)
    combined = 0.5 * (_sweep_f1(sim_val) + _sweep_f1(real_val))
    threshold = float(SWEEP[int(np.nanargmax(combined))])
    print(
        f"threshold {threshold:.2f}: simulated-validation F1 "
        f"{_sweep_f1(sim_val)[np.nanargmax(combined)]:.3f}, real F1 "
        f"{_sweep_f1(real_val)[np.nanargmax(combined)]:.3f}"
    )

    # Final figures at that threshold.
    # Cached per simulator version: a newer forward model draws a new test set.
    test_path = run / "release" / f"simulated_test_v{SIMULATOR_VERSION}.npz"
    _test_set(test_path, args.test_size, args.test_seed)
    card = json.loads(card_path.read_text())
    card["threshold"] = threshold
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    model = load_model(card_path)
    sim_test = evaluate_test_set(test_path, model=model)
    real = evaluate_folder(args.real, model=model, per_pixel=True)
    for name, rep in (
        ("simulated_test", sim_test),
        ("real", real),
        ("simulated_validation", sim_val),
    ):
        with open(out / f"{name}.json", "w") as f:
            json.dump(eels_autoid.evaluation._jsonable(rep), f, indent=1)

    card["metrics"] = dict(
        threshold_choice="max of the mean micro F1 of simulated validation and real validation",
        simulated_validation=brief(evaluate_arrays(y_val, p_val, threshold)),
        **evaluation_figures(sim_test, real, args.test_seed),
    )
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    target = Path(args.target)
    for f in (out / "model").iterdir():
        shutil.copy2(f, target / f.name)
    if not args.no_figures:
        static = Path(__import__("os").environ.get("RELEASE_STATIC", "docs/_static"))
        _figures(run, real, sim_test, static)
    print(json.dumps(card["metrics"], indent=1))


if __name__ == "__main__":
    main()
