"""Draw the results figures of a released model (docs/_static/results_*.png).

Usage (from the repository root), after ``eels-autoid release RUN_DIR --real ...``::

    python docs/scripts/plot_release_figures.py RUN_DIR [--release RUN_DIR/release]
        [--static docs/_static]

Reads what the release wrote (its ``simulated_test`` and ``real`` reports,
:func:`eels_autoid.training.release_model`) and the run's ``history.csv``,
and draws:

- ``results_learning_curves.png``: loss and validation figures of the run;
- ``results_calibration.png``: reliability curves and micro F1 against the
  threshold, on the simulated test set and the real spectra, with the
  model's threshold;
- ``results_per_element.png``: F1 per element on the simulated test set.
"""

import argparse
import json
from pathlib import Path

import numpy as np


def _report(folder):
    with open(folder / "results.json") as f:
        return json.load(f)


def _array(values):
    # Undefined figures are null in the reports.
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def learning_curves(run, path):
    import matplotlib.pyplot as plt

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
    fig.savefig(path, dpi=110)
    plt.close(fig)


def calibration(sim_test, real, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for rep, name in ((sim_test, "simulated test"), (real, "real (carbon excluded)")):
        rel = rep["reliability"]
        ok = np.asarray(rel["count"]) > 0
        ax[0].plot(
            _array(rel["mean_predicted"])[ok],
            _array(rel["observed_frequency"])[ok],
            "o-",
            label=f"{name}, ECE {rel['ece']:.3f}",
        )
        sweep = rep["threshold_sweep"]
        ax[1].plot([r["threshold"] for r in sweep], _array(r["f1"] for r in sweep), label=name)
    ax[0].plot([0, 1], [0, 1], "k:", lw=1)
    ax[0].set_xlabel("predicted probability")
    ax[0].set_ylabel("observed frequency")
    ax[0].legend(fontsize=8)
    ax[1].axvline(np.ravel(real["threshold"])[0])
    ax[1].set_xlabel("threshold")
    ax[1].set_ylabel("micro F1")
    ax[1].legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def per_element(sim_test, path):
    import matplotlib.pyplot as plt

    from eels_autoid import ELEMENTS

    f1 = {r["element"]: r["f1"] for r in sim_test["per_element"] if r["support"] > 0}
    els = [e for e in ELEMENTS if e in f1]
    fig, ax = plt.subplots(figsize=(12, 3), constrained_layout=True)
    ax.bar(range(len(els)), _array(f1[e] for e in els))
    ax.set_xticks(range(len(els)), els, fontsize=7, rotation=90)
    ax.set_ylabel("F1 (simulated test)")
    ax.set_ylim(0, 1)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--release", type=Path, help="the release folder (default: RUN/release)")
    p.add_argument("--static", type=Path, default=Path("docs/_static"))
    args = p.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    release = args.release or args.run / "release"
    sim_test, real = _report(release / "simulated_test"), _report(release / "real")
    learning_curves(args.run, args.static / "results_learning_curves.png")
    calibration(sim_test, real, args.static / "results_calibration.png")
    per_element(sim_test, args.static / "results_per_element.png")


if __name__ == "__main__":
    main()
