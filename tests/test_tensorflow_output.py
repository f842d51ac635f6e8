"""TensorFlow's start-up lines and retracing warnings stay out of the user's console."""

import os
import subprocess
import sys
import textwrap

import pytest

from eels_autoid.models import DEFAULT_MODEL, bundled_models

NOISE = ("cuda", "onednn", "absl", "cuinit", "retracing")

IDENTIFY = textwrap.dedent(
    """
    import eels_autoid, hyperspy.api as hs, numpy as np

    rng = np.random.default_rng(0)
    e = np.arange(300.0, 1300.0)
    clean = 1e4 * (e / 300) ** -3 * (1 + 0.3 * (e >= 532))  # O K at 532 eV

    def signal(nav):
        s = hs.signals.Signal1D(rng.poisson(np.broadcast_to(clean, (*nav, e.size))) * 1.0)
        ax = s.axes_manager.signal_axes[0]
        ax.offset, ax.units = 300.0, "eV"
        return s

    print("one spectrum:", eels_autoid.identify_edges(signal(())).elements)
    # Each member of the ensemble traces its prediction anew for the first
    # two batch shapes: six tracings in a row make tf.function warn.
    for n in range(1, 5):
        eels_autoid.identify_edges(signal((n,)), model="ensemble", show_progressbar=False)
    print("batches done")
    """
)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(extra)
    return env


def _run(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(**env), timeout=600
    )


@pytest.fixture(scope="module")
def identify_run():
    if not {DEFAULT_MODEL, "ensemble"} <= set(bundled_models()):
        pytest.skip("the bundled default and ensemble models are needed")
    return _run(IDENTIFY)


def _noise_in(run):
    text = (run.stdout + run.stderr).lower()
    return [word for word in NOISE if word in text]


@pytest.mark.slow
def test_identifying_prints_the_elements_and_nothing_from_tensorflow(identify_run):
    assert identify_run.returncode == 0, identify_run.stderr
    assert "one spectrum: ['O']" in identify_run.stdout
    assert not _noise_in(identify_run), identify_run.stderr


@pytest.mark.slow
def test_batches_of_new_sizes_print_no_retracing_warning(identify_run):
    assert identify_run.returncode == 0, identify_run.stderr
    assert "batches done" in identify_run.stdout
    assert "retracing" not in identify_run.stderr.lower(), identify_run.stderr


# A stand-in for Keras that writes to file descriptor 2 while it imports, as
# TensorFlow's C++ libraries do.
FAKE_KERAS = textwrap.dedent(
    """
    import os, types

    os.write(2, (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n"
        "I0000 00:00:1796517446.229434    8337 port.cc:153] oneDNN custom operations are on.\\n"
        "I0000 00:00:1796517446.272639    8337 cpu_feature_guard.cc:227] This TensorFlow binary"
        " is optimized to use available CPU instructions.\\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild"
        " TensorFlow with the appropriate compiler flags.\\n"
        "E0000 00:00:1796517452.625881    8337 cuda_platform.cc:52] failed call to cuInit:"
        " INTERNAL: CUDA error\\n"
        "libexample.so: something the user must see\\n"
    ).encode())
    if os.environ.get("FAKE_KERAS_FAILS"):
        raise ImportError("this Keras cannot be imported")
    backend = types.SimpleNamespace(backend=lambda: "fake")
    """
)

IMPORT = textwrap.dedent(
    """
    import os, sys
    from eels_autoid._tensorflow import import_keras

    keras = import_keras()
    assert import_keras() is keras
    os.write(2, b"written after the import\\n")
    print(os.environ["TF_CPP_MIN_LOG_LEVEL"], "TF_ENABLE_ONEDNN_OPTS" in os.environ)
    """
)


@pytest.fixture
def fake_keras(tmp_path):
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text(FAKE_KERAS)
    return os.pathsep.join([str(tmp_path), *sys.path])


@pytest.mark.parametrize(("user_level", "level"), [(None, "2"), ("3", "3")])
def test_start_up_lines_are_dropped_and_everything_else_is_shown(fake_keras, user_level, level):
    extra = {} if user_level is None else {"TF_CPP_MIN_LOG_LEVEL": user_level}
    run = _run(IMPORT, PYTHONPATH=fake_keras, **extra)
    assert run.returncode == 0, run.stderr
    # The user's own setting wins; oneDNN stays on.
    assert run.stdout.split() == [level, "False"]
    assert run.stderr.splitlines() == [
        "libexample.so: something the user must see",
        "written after the import",
    ]


def test_level_0_shows_the_start_up_lines(fake_keras):
    run = _run(IMPORT, PYTHONPATH=fake_keras, TF_CPP_MIN_LOG_LEVEL="0")
    assert run.returncode == 0, run.stderr
    assert "oneDNN custom operations" in run.stderr and "cuInit" in run.stderr


def test_a_failing_import_raises_and_shows_all_it_wrote(fake_keras):
    run = _run(IMPORT, PYTHONPATH=fake_keras, FAKE_KERAS_FAILS="1")
    assert run.returncode == 1
    assert run.stderr.rstrip().endswith("ImportError: this Keras cannot be imported")
    # Everything written before the error, which may explain it.
    assert "something the user must see" in run.stderr
    assert "failed call to cuInit" in run.stderr and "oneDNN" in run.stderr
    assert "written after the import" not in run.stderr
