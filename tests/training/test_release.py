"""A model's life cycle on tiny networks: run, averaged checkpoints, threshold, card,
specialist, installation, through ``eels-autoid release``."""

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from toy_data import tiny_specialist_config  # noqa: E402  (tests/training is on sys.path)

import eels_autoid  # noqa: E402
from eels_autoid.cli import main  # noqa: E402
from eels_autoid.evaluation import best_threshold  # noqa: E402
from eels_autoid.training import average_checkpoints, train  # noqa: E402

SHIPPED = Path(eels_autoid.__file__).parent / "weights" / "default.json"


def _tiny_run_config():
    return {
        "name": "tiny",
        "model": {
            "architecture": "edgenet",
            "config": {
                "stem_filters": 8,
                "widths": [8, 12],
                "blocks": [1, 1],
                "head_units": 16,
                "position_dim": 4,
            },
        },
        # A high learning rate: two short epochs give probabilities to choose a threshold among.
        "training": {
            "batch_size": 8,
            "steps_per_epoch": 2,
            "epochs": 2,
            "learning_rate": 0.03,
            "verbose": 0,
        },
        "validation": {"size": 16},
        "data": {"source": "toy_data:toy_batches"},
    }


def _labelled_folder(folder):
    """Two labelled spectrum files (one a 2-pixel map) with O K and Ti L2,3 steps."""
    import hyperspy.api as hs
    from autoid_testing import make_spectrum

    folder.mkdir()
    files = {
        "oxide.hspy": (dict(edges=(532.0,)), ["O"], "recent"),
        "map.hspy": (dict(edges=(456.0, 532.0), nav_shape=(2,), seed=1), ["O", "Ti"], "atlas"),
    }
    for name, (kwargs, _, _) in files.items():
        s = hs.signals.Signal1D(make_spectrum(**kwargs))
        s.set_signal_type("EELS")
        ax = s.axes_manager.signal_axes[0]
        ax.offset, ax.units = 300.0, "eV"
        s.save(folder / name)
    labels = {n: {"elements": els, "source_group": g} for n, (_, els, g) in files.items()}
    (folder / "labels.json").write_text(json.dumps(labels))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny full-network run, a tiny lanthanide specialist run and labelled spectra."""
    d = tmp_path_factory.mktemp("life_cycle")
    train(_tiny_run_config(), d / "full")
    train(tiny_specialist_config(), d / "lanthanides")
    return d / "full", d / "lanthanides", _labelled_folder(d / "real")


def _keys(d):
    return list(d) if isinstance(d, dict) else None


def _read(path):
    # Strict JSON: an undefined figure must be null, never NaN.
    return json.loads(Path(path).read_text(), parse_constant=pytest.fail)


def test_a_run_is_released_averaged_and_given_a_specialist(runs, tmp_path, capsys):
    full, lanthanides, real = runs
    checkpoints = [full / "checkpoints" / "best.keras", full / "checkpoints" / "last.keras"]
    out = tmp_path / "release"
    common = ["--real", str(real), "--test-size", "16"]
    rc = main(
        ["release", str(full), "--out", str(out), "--name", "default", *common,
         "--average", *map(str, checkpoints), "--note", "two checkpoints of a tiny run"]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    stdout = capsys.readouterr().out
    card_path = out / "model" / "default.json"
    card = _read(card_path)
    assert f"threshold: {card['threshold']:.2f}" in stdout

    # The network is the mean of the two checkpoints' weights.
    model = eels_autoid.load_model(card_path)
    ckpts = [keras.saving.load_model(p, compile=False) for p in checkpoints]
    for w, w0, w1 in zip(
        model.networks[0].get_weights(), *(c.get_weights() for c in ckpts), strict=True
    ):
        np.testing.assert_allclose(w, (w0 + w1) / 2, rtol=1e-6, atol=1e-7)

    # The threshold is the policy's over the two sweeps the release wrote.
    sweeps = [
        _read(out / name / "results.json")["threshold_sweep"]
        for name in ("simulated_validation", "real_validation")
    ]
    assert card["threshold"] == best_threshold(sweeps=sweeps)
    assert [r["threshold"] for r in sweeps[0]][:3] == [0.05, 0.06, 0.07]

    # The card has the shipped card's fields, in its order.
    shipped = _read(SHIPPED)
    assert _keys(card) == [k for k in shipped if k != "specialists"]
    assert _keys(card["architecture"]) == _keys(shipped["architecture"])
    assert card["architecture"]["averaged_checkpoints"] == ["best.keras", "last.keras"]
    assert _keys(card["training"]) == [k for k in shipped["training"] if k != "warm_start"]
    assert card["training"]["note"] == "two checkpoints of a tiny run"
    assert card["training"]["config"]["name"] == "tiny"
    metrics, shipped_metrics = card["metrics"], shipped["metrics"]
    assert metrics["threshold_choice"] == shipped_metrics["threshold_choice"]
    for key in ("simulated_validation", "simulated_test", "real"):
        assert _keys(metrics[key]) == _keys(shipped_metrics[key]), key
    assert metrics["simulated_test"]["n_spectra"] == 16
    assert metrics["real"]["n_spectra"] == 2
    assert set(metrics["real"]["by_group"]) == {"atlas", "recent"}
    assert metrics["real"]["excluded"] == ["C"]
    assert _read(out / "real_validation" / "results.json")["excluded"] == ["C"]
    for name in ("simulated_test", "real"):
        report = _read(out / name / "results.json")
        assert report["micro"]["f1"] == pytest.approx(metrics[name]["f1"], abs=1e-4, nan_ok=True)
    assert metrics["real"]["per_pixel_f1"] == pytest.approx(
        _read(out / "real" / "results.json")["per_pixel"]["f1"], abs=1e-4
    )

    # The specialist joins a copy of the model; the card it was given stays as it was.
    before = card_path.read_bytes()
    weights = tmp_path / "weights"
    spec_out = tmp_path / "release-lanthanides"
    rc = main(
        ["release", str(lanthanides), "--specialist-of", str(card_path), "--out", str(spec_out),
         "--target", str(weights), "--defer-edges", "M4,5", "--notes-from", str(SHIPPED),
         *common]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert card_path.read_bytes() == before
    assert sorted(p.name for p in weights.iterdir()) == [
        "default.json",
        "default.keras",
        "lanthanides.keras",
    ]
    installed = eels_autoid.load_model(weights / "default.json")
    assert [sp.name for sp in installed.specialists] == ["lanthanides"]
    assert installed.specialists[0].defer_edges == ("M4,5",)
    assert installed.card.threshold == card["threshold"]
    x, _ = _toy_input()
    np.testing.assert_allclose(
        installed.networks[0].predict_on_batch(x), model.networks[0].predict_on_batch(x)
    )

    new = _read(weights / "default.json")
    assert _keys(new) == _keys(shipped)
    entry = new["specialists"][0]
    shipped_entry = next(sp for sp in shipped["specialists"] if sp["name"] == "m45")
    assert _keys(entry) == _keys(shipped_entry)
    # The hand-written history of the shipped lanthanide specialist, carried over.
    shipped_lanthanides = next(sp for sp in shipped["specialists"] if sp["name"] == "lanthanides")
    assert _keys(entry["training"]) == _keys(shipped_lanthanides["training"])
    assert entry["training"]["warm_start"] == shipped_lanthanides["training"]["warm_start"]
    assert entry["elements"] == list(tiny_specialist_config()["simulator"]["focus"])
    assert _keys(entry["metrics"]["simulated_validation"]) == [
        "n_spectra", "threshold", "precision", "recall", "f1", "exact_match"
    ]  # fmt: skip
    new_metrics = new["metrics"]
    assert _keys(new_metrics) == _keys(shipped_metrics)
    assert _keys(new_metrics["without_specialists"]) == ["simulated_test", "real"]
    assert list(new_metrics["without_specialist"]) == ["lanthanides"]
    # With no other specialist, "without it" is the model without any.
    assert new_metrics["without_specialist"]["lanthanides"] == new_metrics["without_specialists"]
    assert new_metrics["simulated_validation"] == metrics["simulated_validation"]
    assert _keys(new_metrics["real"]) == _keys(shipped_metrics["real"])

    # A second release into the same folder replaces the first one's files.
    (spec_out / "notes.txt").write_text("the user's")
    rc = main(
        ["release", str(lanthanides), "--specialist-of", str(card_path), "--out", str(spec_out),
         "--test-size", "16"]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert (spec_out / "notes.txt").is_file()
    assert not (spec_out / "real").exists()  # this one was measured without --real
    again = _read(spec_out / "model" / "default.json")["metrics"]
    assert "real" not in again["without_specialists"]


def _toy_input():
    from toy_data import toy_batches

    return next(toy_batches(4, seed=5))


def test_averaging_needs_checkpoints_of_one_architecture(tmp_path):
    from autoid_testing import build_tiny_network

    paths = []
    for seed, n_out in ((0, 80), (1, 80), (2, 16)):
        paths.append(tmp_path / f"net{seed}.keras")
        build_tiny_network(seed=seed, n_out=n_out).save(paths[-1])
    nets = [keras.saving.load_model(p) for p in paths[:2]]
    mean = average_checkpoints(paths[:2])
    x, _ = _toy_input()
    for w, w0, w1 in zip(mean.get_weights(), *(n.get_weights() for n in nets), strict=True):
        np.testing.assert_allclose(w, (w0 + w1) / 2, rtol=1e-6)
    assert not np.allclose(mean.predict_on_batch(x), nets[0].predict_on_batch(x))
    with pytest.raises(ValueError, match="one architecture"):
        average_checkpoints(paths[1:])
    with pytest.raises(ValueError, match="No checkpoint"):
        average_checkpoints([])
