"""One default network: the builder's defaults, the default configuration and the bundled model."""

import json
from importlib import resources

import pytest

keras = pytest.importorskip("keras")

from eels_autoid.models import architecture_defaults, build_model  # noqa: E402
from eels_autoid.training import default_config_path, load_config  # noqa: E402

WEIGHTS = resources.files("eels_autoid").joinpath("weights")


def _plain(value):
    # TOML has lists where the builder defaults have tuples.
    return list(value) if isinstance(value, tuple) else value


def _subset(mine, theirs):
    """``mine`` restricted to the keys of ``theirs``."""
    return {k: mine.get(k) for k in theirs}


def _layers(model):
    """Per layer: name, class, configuration and weight shapes."""
    return [
        (
            layer.name,
            type(layer).__name__,
            layer.get_config(),
            [tuple(w.shape) for w in layer.weights],
        )
        for layer in model.layers
    ]


@pytest.fixture(scope="module")
def config():
    return load_config(default_config_path())


@pytest.fixture(scope="module")
def from_config(config):
    assert config["model"]["architecture"] == "edgenet"
    return build_model("edgenet", **config["model"]["config"])


@pytest.fixture(scope="module")
def card():
    path = WEIGHTS.joinpath("default.json")
    if not path.is_file():
        pytest.skip("no bundled default model (eels_autoid/weights/default.json)")
    return json.loads(path.read_text())


def test_the_default_config_spells_out_the_builder_defaults(config, from_config):
    defaults = {k: _plain(v) for k, v in architecture_defaults("edgenet").items()}
    assert config["model"]["config"] == defaults
    from_defaults = build_model("edgenet")
    assert from_config.count_params() == from_defaults.count_params()
    assert _layers(from_config) == _layers(from_defaults)


def test_the_default_config_builds_the_bundled_network(config, card, from_config):
    path = WEIGHTS.joinpath("default.keras")
    if not path.is_file():
        pytest.skip("no bundled default network (eels_autoid/weights/default.keras)")
    shipped = keras.saving.load_model(path, compile=False, safe_mode=True)
    assert shipped.count_params() == card["architecture"]["parameters"] == 236_020
    recorded = card["architecture"]["config"]
    assert _subset(config["model"]["config"], recorded) == recorded
    assert from_config.count_params() == shipped.count_params()
    built, bundled = _layers(from_config), _layers(shipped)
    assert [layer[0] for layer in built] == [layer[0] for layer in bundled]
    for mine, theirs in zip(built, bundled, strict=True):
        assert mine == theirs, mine[0]


def test_the_default_config_is_the_recipe_of_the_last_training_stage(config, card):
    recipe = card["training"]["config"]
    for section in ("training", "validation", "data", "simulator"):
        assert config[section] == recipe[section], section
    assert config["export"]["threshold"] == recipe["export"]["threshold"]
    assert config["model"]["architecture"] == recipe["model"]["architecture"]
    # The card records the keys given at the time; the rest were the builder's defaults.
    given = recipe["model"]["config"]
    assert _subset(config["model"]["config"], given) == given
    # The card names the weights the last stage started from; they are not shipped.
    assert recipe["model"]["initial_weights"] and not config["model"]["initial_weights"]
