"""Model files and cards: each bad field named, outputs checked, replaced files reloaded."""

import json
import os
import shutil

import numpy as np
import pytest
from autoid_testing import build_tiny_network, make_spectrum

from eels_autoid import identify_edges, load_model
from eels_autoid.models import ModelCard


def _signal():
    import hyperspy.api as hs

    s = hs.signals.Signal1D(make_spectrum())
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = 300.0, 1.0, "eV"
    return s


def _model_with_card(folder, card):
    path = folder / "m.keras"
    build_tiny_network().save(path)
    (folder / "m.json").write_text(json.dumps(card))
    return path


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ([1, 2], "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"members": "m.keras"}, "field 'members' must be a list of strings, got str"),
        ({"grid": {"size": "3072"}}, "field 'grid'.*size must be an integer, got str"),
        ({"grid": {"start": float("nan")}}, "field 'grid'.*start must be finite"),
        ({"grid": [0, 1]}, "field 'grid' must be an object"),
        ({"threshold": 2}, "field 'threshold' must lie strictly between 0 and 1, got 2"),
        ({"threshold": float("nan")}, "field 'threshold' must lie strictly between 0 and 1"),
        ({"threshold": "0.5"}, "field 'threshold' must be a number"),
        ({"element_thresholds": {"O": 1.5}}, "field 'element_thresholds.O'"),
        ({"specialists": {"name": "x"}}, "field 'specialists' must be a list of objects"),
        ({"preprocessing_version": "1"}, "field 'preprocessing_version' must be an integer"),
    ],
    ids=[
        "list",
        "null",
        "members-string",
        "size-string",
        "start-nan",
        "grid-list",
        "threshold-2",
        "threshold-nan",
        "threshold-string",
        "element-threshold",
        "specialists-dict",
        "version-string",
    ],
)
def test_a_bad_card_names_the_field(tmp_path, card, message):
    path = _model_with_card(tmp_path, card)
    with pytest.raises(ValueError, match=message):
        load_model(path)
    with pytest.raises(ValueError, match=message):
        load_model(path.with_suffix(".json"))


def test_card_validation_accepts_what_cards_write():
    card = ModelCard(name="x", element_thresholds={"O": 0.3})
    again = ModelCard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert again == card


def test_a_network_with_the_wrong_outputs_is_refused(tmp_path):
    import keras

    inp = keras.Input((3072, 2))
    flat = keras.layers.GlobalAveragePooling1D()(inp)
    seven = tmp_path / "seven.keras"
    keras.Model(inp, keras.layers.Dense(7, activation="sigmoid")(flat)).save(seven)
    with pytest.raises(ValueError, match=r"output shape \(7,\) does not match .* 80 elements"):
        load_model(seven)
    two = tmp_path / "two.keras"
    outs = [keras.layers.Dense(80, activation="sigmoid")(flat) for _ in range(2)]
    keras.Model(inp, outs).save(two)
    with pytest.raises(ValueError, match="has 2 outputs"):
        load_model(two)


def test_outputs_that_are_not_probabilities_are_refused(tmp_path):
    import keras

    inp = keras.Input((3072, 2))
    x = keras.layers.GlobalAveragePooling1D()(inp)
    dense = keras.layers.Dense(80, bias_initializer=keras.initializers.Constant(5.0))
    linear = tmp_path / "linear.keras"
    keras.Model(inp, dense(x)).save(linear)
    with pytest.raises(ValueError, match="outside 0..1.*not probabilities"):
        identify_edges(_signal(), model=linear)


def test_a_model_file_replaced_at_the_same_path_is_reloaded(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    build_tiny_network(seed=0).save(path)
    first = identify_edges(_signal(), model=str(path)).probabilities.data
    assert (
        identify_edges(_signal(), model=str(path)).model
        is identify_edges(_signal(), model=str(path)).model
    )  # unchanged files come from the cache
    build_tiny_network(seed=1).save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = identify_edges(_signal(), model=str(path)).probabilities.data
    assert not np.allclose(first, second)
    # The same relative path in another folder is another model.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(path, other / "m.keras")
    build_tiny_network(seed=0).save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    here = identify_edges(_signal(), model="m.keras").probabilities.data
    monkeypatch.chdir(other)
    there = identify_edges(_signal(), model="m.keras").probabilities.data
    np.testing.assert_allclose(here, first, atol=1e-6)
    np.testing.assert_allclose(there, second, atol=1e-6)


def test_a_network_loaded_by_path_keeps_its_cards_specialists(bundled_default):
    from eels_autoid.models._card import _weights_dir

    by_path = load_model(_weights_dir() / "default.keras")
    assert len(by_path.specialists) == len(bundled_default.specialists) == 3
    assert by_path.card.threshold == bundled_default.card.threshold
    s = _signal()
    np.testing.assert_allclose(
        identify_edges(s, model=by_path).probabilities.data,
        identify_edges(s, model=bundled_default).probabilities.data,
        atol=1e-6,
    )
