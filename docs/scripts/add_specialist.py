"""Add a trained specialist to a bundled model, and measure what it changes.

Usage (from the repository root)::

    python docs/scripts/add_specialist.py RUN_DIR [--card eels_autoid/weights/default.json]
        [--average CKPT.keras ...] [--gate 0.05] [--defer-edges M4,5]
        [--defer-elements Zn ...]
        [--real ../shared/real_spectra] [--test-size 4096] [--test-seed 20261121]

1. Exports the specialist run's best checkpoint (or the mean weights of
   ``--average`` checkpoints) beside the card, as ``<run name>.keras``.
2. Lists it in the card's ``specialists`` (replacing an entry of the same
   name, keeping the others) with its regions, gate, deferred edges and
   elements, architecture, recipe and its own validation figures (on the
   run's focused validation set, family columns only).
3. Measures the model with it, without it (the other specialists kept) and
   without any specialist at the card's threshold: the simulated test set
   (simulator defaults, its own seed, as ``release_model.py``) and the real
   spectra (summed and per pixel), and writes them into the card's metrics
   (``without_specialists``, ``without_specialist[name]``).
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from release_model import _average_weights, _test_set, evaluation_figures  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--card", default="eels_autoid/weights/default.json")
    p.add_argument("--average", nargs="+")
    p.add_argument("--gate", type=float, default=0.05)
    p.add_argument("--defer-edges", nargs="*", default=["M4,5"])
    p.add_argument("--defer-elements", nargs="*", default=[])
    p.add_argument("--real", default="../shared/real_spectra")
    p.add_argument("--test-size", type=int, default=4096)
    p.add_argument("--test-seed", type=int, default=20261121)
    args = p.parse_args()

    from eels_autoid.evaluation import evaluate_folder, evaluate_test_set
    from eels_autoid.models import load_model
    from eels_autoid.simulate import SIMULATOR_VERSION
    from eels_autoid.training import export_model, export_run

    run = Path(args.run)
    out = run / "release"
    if out.is_dir():
        shutil.rmtree(out)
    spec_card = json.loads(export_run(run, out / "model", threshold=0.5).read_text())
    name = spec_card["name"]
    if args.average:
        averaged = out / "averaged.keras"
        _average_weights(args.average, averaged)
        export_model([averaged], out / "model", name, elements=spec_card["elements"])
        spec_card["architecture"]["averaged_checkpoints"] = [Path(m).name for m in args.average]
    card_path = Path(args.card)
    shutil.copy2(out / "model" / f"{name}.keras", card_path.parent / f"{name}.keras")

    config = spec_card["training"]["config"]
    entry = dict(
        name=name,
        members=[f"{name}.keras"],
        elements=spec_card["elements"],
        regions=config["model"]["config"]["regions"],
        min_channels=16,
        gate=args.gate,
        defer_edges=list(args.defer_edges),
        defer_elements=list(args.defer_elements),
        architecture=spec_card["architecture"],
        training={
            k: spec_card["training"][k]
            for k in ("epochs", "best_epoch", "spectra_seen", "stop_reason", "data_versions")
        },
        recipe=config,
        metrics=spec_card["metrics"],
    )
    if args.average:
        # export_run measured the best checkpoint, not the shipped mean.
        entry["metrics"] = {
            "best_checkpoint_validation": spec_card["metrics"]["simulated_validation"]
        }
    card = json.loads(card_path.read_text())
    others = [sp for sp in card.pop("specialists", []) if sp["name"] != name]
    test_path = run / f"simulated_test_v{SIMULATOR_VERSION}.npz"
    _test_set(test_path, args.test_size, args.test_seed)
    reports = {}
    for label, specialists in (("none", []), ("without", others), ("with", others + [entry])):
        if label == "without" and not others:
            reports[label] = reports["none"]  # the same model
            continue
        card["specialists"] = specialists
        card_path.write_text(json.dumps(card, indent=1) + "\n")
        model = load_model(card_path)
        sim = evaluate_test_set(test_path, model=model)
        real = evaluate_folder(args.real, model=model, per_pixel=True)
        reports[label] = evaluation_figures(sim, real, args.test_seed)
        print(label, json.dumps(reports[label], indent=1))
    metrics = card["metrics"]
    metrics["simulated_test"] = reports["with"]["simulated_test"]
    metrics["real"] = {**metrics["real"], **reports["with"]["real"]}
    metrics["without_specialists"] = reports["none"]
    metrics["without_specialist"] = {
        **metrics.get("without_specialist", {}),
        name: reports["without"],
    }
    card_path.write_text(json.dumps(card, indent=1) + "\n")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
