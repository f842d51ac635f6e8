"""Shared fixtures: quiet progress bars, a headless matplotlib, the shared data
folder and small Keras models built here (never shipped)."""

import os
from pathlib import Path

import matplotlib
import pytest
from autoid_testing import build_tiny_network

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


@pytest.fixture(scope="session")
def bundled_default():
    """The bundled default identification model; skips the test where none is bundled."""
    from eels_autoid.models import DEFAULT_MODEL, bundled_models, load_model

    if DEFAULT_MODEL not in bundled_models():
        pytest.skip("no bundled identification model (eels_autoid/weights/default.json)")
    return load_model(DEFAULT_MODEL)


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
