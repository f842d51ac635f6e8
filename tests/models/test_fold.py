"""Batch normalisation folded into the layer before it: same outputs, fewer layers."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from eels_autoid.models import build_model, fold_batch_norm  # noqa: E402
from eels_autoid.models._card import IdentificationModel, ModelCard  # noqa: E402


def _randomise_batch_norm(model, seed=0):
    """Give every BatchNormalization statistics far from its initial identity map."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            weights = []
            for w in layer.weights:
                kind = w.path.rsplit("/", 1)[-1]
                shape = tuple(w.shape)
                if kind == "moving_variance":
                    weights.append(rng.uniform(0.2, 3.0, shape))
                elif kind == "gamma":
                    weights.append(rng.uniform(-2.0, 2.0, shape))
                else:
                    weights.append(rng.normal(0.0, 1.0, shape))
            layer.set_weights([np.asarray(v, np.float32) for v in weights])


def _n_batch_norm(model):
    return sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)


def _inputs(n=6, length=3072, seed=1):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length, 2), np.float32)
    x[..., 0] = rng.normal(size=(n, length))
    x[..., 1] = 1.0
    x[: n // 2, length // 2 :, 1] = 0.0  # half of the rows measure half the range
    return x


def _assert_same_outputs(model, folded, x):
    np.testing.assert_allclose(
        np.asarray(folded.predict_on_batch(x)),
        np.asarray(model.predict_on_batch(x)),
        rtol=1e-4,
        atol=2e-5,
    )


@pytest.mark.parametrize("name", ["edgenet", "regional", "unet", "cnn_bilstm"])
def test_architectures_fold_to_the_same_probabilities(name):
    keras.utils.set_random_seed(0)
    small = {
        "edgenet": {},
        "regional": dict(filters=(4, 8), dense_units=8),
        "unet": {},
        "cnn_bilstm": {},
    }[name]
    model = build_model(name, **small)
    _randomise_batch_norm(model)
    before = [np.array(w) for w in model.get_weights()]
    folded = fold_batch_norm(model)
    _assert_same_outputs(model, folded, _inputs())
    assert _n_batch_norm(model) > 0 and _n_batch_norm(folded) == 0
    # The trained network is left untouched.
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _small_model(**bn):
    """Each foldable layer type, each followed by a BatchNormalization."""
    inp = keras.Input((64, 3))
    x = keras.layers.Conv1D(4, 5, padding="same", use_bias=True)(inp)
    x = keras.layers.BatchNormalization(**bn)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(**bn)(x)
    x = keras.layers.ReLU(max_value=6.0)(x)  # not a plain ReLU: stays a layer of its own
    x = keras.layers.SeparableConv1D(5, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(**bn)(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(7)(x)
    out = keras.layers.BatchNormalization(**bn)(x)
    return keras.Model(inp, out)


@pytest.mark.parametrize(
    "bn", [{}, dict(scale=False), dict(center=False), dict(epsilon=0.5, scale=False, center=False)]
)
def test_each_layer_type_folds_exactly(bn):
    keras.utils.set_random_seed(1)
    model = _small_model(**bn)
    _randomise_batch_norm(model, seed=2)
    folded = fold_batch_norm(model)
    x = np.random.default_rng(3).normal(size=(5, 64, 3)).astype(np.float32)
    _assert_same_outputs(model, folded, x)
    assert _n_batch_norm(folded) == 0
    kept = [layer for layer in folded.layers if isinstance(layer, keras.layers.ReLU)]
    assert [layer.get_config()["max_value"] for layer in kept] == [6.0]


def test_a_sequential_model_folds_too():
    keras.utils.set_random_seed(4)
    model = keras.Sequential(
        [
            keras.Input((32, 2)),
            keras.layers.Conv1D(3, 5),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ]
    )
    _randomise_batch_norm(model, seed=5)
    folded = fold_batch_norm(model)
    assert _n_batch_norm(folded) == 0
    x = np.random.default_rng(6).normal(size=(4, 32, 2)).astype(np.float32)
    _assert_same_outputs(model, folded, x)


def test_a_layer_read_twice_keeps_its_batch_norm():
    # Folding into the convolution would change what its second reader sees.
    keras.utils.set_random_seed(2)
    inp = keras.Input((32, 2))
    y = keras.layers.Conv1D(4, 3, padding="same")(inp)
    z = keras.layers.BatchNormalization()(y)
    out = keras.layers.Concatenate()([y, z])
    model = keras.Model(inp, out)
    _randomise_batch_norm(model)
    folded = fold_batch_norm(model)
    assert folded is model
    x = np.random.default_rng(0).normal(size=(3, 32, 2)).astype(np.float32)
    _assert_same_outputs(model, folded, x)


def test_models_it_cannot_read_are_returned_as_they_are():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv1D(2, 3)
            self.bn = keras.layers.BatchNormalization()

        def call(self, x):
            return self.bn(self.conv(x))

    sub = Subclassed()
    sub(np.zeros((1, 8, 1), np.float32))
    assert fold_batch_norm(sub) is sub
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    assert fold_batch_norm(plain) is plain


def test_the_bundled_model_predicts_with_folded_networks(bundled_default):
    x = _inputs(n=8)
    x[:, :, 0] = np.abs(x[:, :, 0])
    probs = bundled_default.predict(x)
    assert all(_n_batch_norm(net) == 0 for net in bundled_default._inference)
    assert all(_n_batch_norm(net) > 0 for net in bundled_default.networks)
    reference = np.mean(
        [np.asarray(net.predict_on_batch(x)) for net in bundled_default.networks], axis=0
    )
    # Specialists may replace some columns; the rest are the full network's.
    untouched = np.ones(probs.shape[1], bool)
    for sp in bundled_default.specialists:
        untouched[sp.columns] = False
    np.testing.assert_allclose(probs[:, untouched], reference[:, untouched], atol=2e-5)
    for sp in bundled_default.specialists:
        q, _ = sp.predict(x)
        direct = np.mean([np.asarray(n.predict_on_batch(x)) for n in sp.networks], axis=0)
        np.testing.assert_allclose(q, direct, atol=2e-5)
        assert all(_n_batch_norm(n) == 0 for n in sp._inference)


def test_a_pickled_model_rebuilds_its_folded_networks(tiny_model_path):
    import pickle

    from eels_autoid import load_model

    model = load_model(tiny_model_path)
    x = _inputs(n=2)
    first = model.predict(x)
    again = pickle.loads(pickle.dumps(model))
    assert isinstance(again, IdentificationModel) and again._inference is None
    np.testing.assert_allclose(again.predict(x), first, atol=1e-6)
    assert isinstance(again.card, ModelCard)
