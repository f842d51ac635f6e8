"""Shared fixtures: quiet progress bars, a headless matplotlib, the shared data
folder and small Keras models built here (never shipped)."""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_SPECTRA = SHARED / "real_spectra"


@pytest.fixture(autouse=True)
def _no_progressbar():
    import hyperspy.api as hs

    old = hs.preferences.General.show_progressbar
    hs.preferences.General.show_progressbar = False
    yield
    hs.preferences.General.show_progressbar = old


@pytest.fixture(scope="session")
def real_spectra_dir():
    if not (REAL_SPECTRA / "labels.json").is_file():
        pytest.skip("../shared/real_spectra is not available")
    return REAL_SPECTRA


def build_tiny_network(seed=0, n_out=80, grid_size=3072):
    """A small, untrained but deterministic 1-D CNN with the model's input contract."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((grid_size, 2))
    x = keras.layers.Conv1D(4, 16, strides=8, activation="relu")(inp)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(n_out, activation="sigmoid")(x)
    return keras.Model(inp, out)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """Path of a tiny ``.keras`` model with a card beside it."""
    from eels_autoid.models import ModelCard

    d = tmp_path_factory.mktemp("tiny_model")
    path = d / "tiny.keras"
    build_tiny_network().save(path)
    ModelCard(name="tiny", threshold=0.5).save(d / "tiny.json")
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from eels_autoid import load_model

    return load_model(tiny_model_path)
