"""Training loop: configuration, stop/resume equivalence, plateau halving, export, CLI."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from toy_data import tiny_specialist_config, toy_batches  # noqa: E402  (tests/training is on sys.path)

import eels_autoid  # noqa: E402
from eels_autoid.cli import main  # noqa: E402
from eels_autoid.training import default_config_path, load_config, train  # noqa: E402
from eels_autoid.training._data import epoch_seed  # noqa: E402

TINY_EDGENET = {
    "stem_filters": 8,
    "widths": [8, 12],
    "blocks": [1, 1],
    "head_units": 16,
    "position_dim": 4,
}


def tiny_config(**training):
    t = {"batch_size": 8, "steps_per_epoch": 2, "epochs": 2, "verbose": 0}
    t.update(training)
    return {
        "name": "tiny",
        "model": {"architecture": "edgenet", "config": TINY_EDGENET},
        "training": t,
        "validation": {"size": 16},
        "data": {"source": "toy_data:toy_batches"},
    }


def _history(run):
    with open(run / "history.csv") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r.pop("epoch_seconds")
    return rows


def test_default_config_is_complete_and_checked(tmp_path):
    config = load_config(default_config_path())
    assert config["model"]["architecture"] == "edgenet"
    assert config["data"]["source"] == "eels_autoid.simulate:training_batches"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"training": {"learning_rat": 0.1}}))
    with pytest.raises(ValueError, match="learning_rat"):
        load_config(bad)


def test_epoch_seeds_differ():
    seeds = {epoch_seed(0, e) for e in range(100)} | {epoch_seed(1, 0)}
    assert len(seeds) == 101


def test_stop_and_resume_equals_uninterrupted_run(tmp_path):
    # min_delta 2: the F1 never "improves", so the learning rate halves after
    # every epoch (lr_patience 1) -- the plateau logic is exercised too.
    config = tiny_config(min_delta=2.0, lr_patience=1, epochs=2)
    straight = train(config, tmp_path / "a", source=toy_batches)
    train(config, tmp_path / "b", source=toy_batches, epochs=1, export=False)
    resumed = train(None, tmp_path / "b", source=toy_batches, resume=True)
    for key in ("epoch", "learning_rate", "spectra_seen", "finished"):
        assert straight[key] == resumed[key]
    assert straight["learning_rate"] == pytest.approx(1e-3 * 0.5**2)
    a = keras.saving.load_model(tmp_path / "a/checkpoints/last.keras")
    b = keras.saving.load_model(tmp_path / "b/checkpoints/last.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    ha, hb = _history(tmp_path / "a"), _history(tmp_path / "b")
    assert ha == hb
    assert [float(r["learning_rate"]) for r in ha] == [1e-3, 5e-4]

    # The export of the finished run loads through the public API.
    card = tmp_path / "a/export/tiny.json"
    model = eels_autoid.load_model(card)
    x = next(toy_batches(4, seed=3))[0]
    np.testing.assert_allclose(model.predict(x), a.predict_on_batch(x), rtol=1e-5, atol=1e-6)
    info = json.loads(card.read_text())
    assert info["architecture"]["name"] == "edgenet"
    assert 0 < info["threshold"] < 1
    assert info["training"]["epochs"] == 2
    # One data source throughout, recorded once although the run was resumed.
    assert info["training"]["data_versions"] == [[1, "toy_batches"]]
    assert json.loads((tmp_path / "b/state.json").read_text())["data_versions"] == [
        [1, "toy_batches"]
    ]


def test_cli_train_resume_and_refusal(tmp_path, capsys):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(tiny_config(epochs=1)))
    out = tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out)]) == 0
    assert (out / "export/tiny.keras").is_file()
    # A second start into the same directory is refused ...
    assert main(["train", str(cfg), "--out", str(out)]) == 1
    assert "--resume" in capsys.readouterr().err
    # ... a resume with more epochs continues from the saved epoch.
    assert main(["train", "--resume", "--out", str(out), "--epochs", "2"]) == 0
    state = json.loads((out / "state.json").read_text())
    assert state["epoch"] == 2
    assert state["data_versions"] == [[1, "toy_data:toy_batches"]]
    assert len(_history(out)) == 2


def test_missing_data_source_is_a_clear_error(tmp_path):
    config = tiny_config()
    config["data"]["source"] = "eels_autoid.no_such_module:training_batches"
    with pytest.raises(ImportError):
        train(config, tmp_path / "x")


def test_a_specialist_trains_on_its_family_and_exports_its_elements(tmp_path):
    # The bundled configuration of the lanthanide specialist, shrunk: its data
    # source, architecture and 16 outputs go through the loop and the export.
    from eels_autoid.training import output_elements

    config = tiny_specialist_config()
    family = output_elements(config)
    assert family[0] == "Ba" and len(family) == 16
    train(config, tmp_path / "run")
    card = json.loads((tmp_path / "run/export/lanthanides.json").read_text())
    assert tuple(card["elements"]) == family
    assert card["architecture"]["name"] == "regional"
    # Not a full model: load_model refuses it on its own.
    with pytest.raises(ValueError, match="output elements differ"):
        eels_autoid.load_model(tmp_path / "run/export/lanthanides.json")


def test_simulation_workers_give_the_same_batches_as_the_training_process():
    # Workers only move where batches are made: the data (and so a resumed
    # run) must not depend on their number.
    from eels_autoid.training._data import _batches, _simulation_pool

    source = "eels_autoid.simulate:training_batches"
    here = list(_batches(source, 4, 123, {"channels": (128, 256)}, 3))
    pool = _simulation_pool(1)
    try:
        ahead = list(_batches(source, 4, 123, {"channels": (128, 256)}, 3, pool=pool))
        # A second epoch in the same pool gets its own, different data.
        other = list(_batches(source, 4, 124, {"channels": (128, 256)}, 1, pool=pool))
    finally:
        pool.shutdown()
    assert len(here) == len(ahead) == 3
    for (x0, y0), (x1, y1) in zip(here, ahead, strict=True):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)
    assert not np.array_equal(other[0][0], here[0][0])


def test_warm_start_grows_a_network_without_changing_its_output(tmp_path):
    """Extra blocks and head units start from a trained network's function."""
    from eels_autoid.models import build_model
    from eels_autoid.training import transfer_weights

    train(tiny_config(epochs=1), tmp_path / "small")
    source = tmp_path / "small" / "checkpoints" / "best.keras"
    x, _ = next(toy_batches(8, seed=3))
    small = keras.saving.load_model(source, compile=False)
    bigger = dict(TINY_EDGENET, blocks=[2, 2], head_units=24)
    big = build_model("edgenet", **bigger)
    report = transfer_weights(big, source)
    assert "stage0_block1_dw" in report["new"] and "head_evidence" in report["grown"]
    np.testing.assert_allclose(
        big.predict_on_batch(x), small.predict_on_batch(x), rtol=1e-4, atol=1e-6
    )
    # Shrinking would drop what was learned: refused.
    with pytest.raises(ValueError, match="lacks layers|does not fit"):
        transfer_weights(build_model("edgenet", **dict(TINY_EDGENET, head_units=8)), source)
    # Through the configuration: the run starts where the source was.
    config = tiny_config(epochs=1)
    config["model"] = {"architecture": "edgenet", "config": bigger, "initial_weights": str(source)}
    state = train(config, tmp_path / "grown")
    assert state["epoch"] == 1
    with open(tmp_path / "grown" / "config.json") as f:
        assert json.load(f)["model"]["initial_weights"] == str(source)


_JAX_RUN = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
import keras
from toy_data import toy_batches
from eels_autoid.training import train
assert keras.backend.backend() == "jax"
config = json.loads({config!r})
train(config, {run!r}, source=toy_batches)
net = keras.saving.load_model({run!r} + "/checkpoints/last.keras")
x = next(toy_batches(4, seed=3))[0]
np.save({run!r} + "/jax_prediction.npy", np.asarray(net.predict_on_batch(x)))
"""


def test_a_run_trained_with_jax_loads_and_predicts_alike_with_tensorflow(tmp_path):
    # The GPU machines have JAX but no TensorFlow: a run trained there must
    # come back as a .keras file that TensorFlow reads and runs identically.
    pytest.importorskip("jax")
    run = tmp_path / "jax-run"
    script = _JAX_RUN.format(
        tests=str(Path(__file__).parent),
        config=json.dumps(tiny_config(epochs=1)),
        run=str(run),
    )
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert keras.backend.backend() == "tensorflow"
    x = next(toy_batches(4, seed=3))[0]
    net = keras.saving.load_model(run / "checkpoints/last.keras", compile=False)
    expected = np.load(run / "jax_prediction.npy")
    np.testing.assert_allclose(net.predict_on_batch(x), expected, rtol=1e-4, atol=1e-5)
    # The exported card and weights load through the public API as well.
    model = eels_autoid.load_model(run / "export/tiny.json")
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-5)
    assert json.loads((run / "state.json").read_text())["epoch"] == 1


def test_the_bundled_specialists_match_their_shipped_configurations(bundled_default):
    # Each specialist in the bundled card was trained from a configuration in
    # training/configs: same family in the same order, same regions.
    from eels_autoid.training import output_elements

    configs = Path(eels_autoid.__file__).parent / "training" / "configs"
    specialists = bundled_default.specialists
    assert {sp.name for sp in specialists} == {"lanthanides", "transition-metals", "m45"}
    for sp in specialists:
        config = load_config(configs / f"{sp.name.replace('-', '_')}.toml")
        assert sp.elements == output_elements(config)
        assert [list(r) for r in sp.regions] == config["model"]["config"]["regions"]
