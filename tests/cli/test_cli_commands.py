"""The command line as a whole: the release command's arguments, the one results
folder writer of the commands, and the direction of imports."""

import json
import subprocess
import sys

import pytest

from eels_autoid._results_folder import MANIFEST
from eels_autoid.cli import main


def _one_line(err):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_release_is_a_command_with_its_options(capsys):
    from eels_autoid.energy_grid import MIN_MEASURED_CHANNELS
    from eels_autoid.models._specialist import DEFAULT_GATE
    from eels_autoid.training._release import TEST_SIZE

    assert main([]) == 0
    assert "release" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["release", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--average", "--members", "--real", "--target", "--specialist-of",
                   "--defer-edges", "--defer-elements", "--notes-from"):  # fmt: skip
        assert option in text
    # The defaults it states are the library's.
    assert f"take over (default: {DEFAULT_GATE:g})" in text
    assert f"take over (default: {MIN_MEASURED_CHANNELS})" in text
    assert f"test set (default: {TEST_SIZE})" in text


def test_the_console_command_has_release():
    done = subprocess.run(
        [sys.executable, "-m", "eels_autoid.cli", "release", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--specialist-of CARD" in done.stdout


@pytest.fixture
def fake_run(tmp_path):
    """A run folder of a specialist that has not trained yet."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"simulator": {"focus": ["La", "Ce"]}}))
    (run / "state.json").write_text("{}")
    return run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOT_A_RUN"], "is not a training run"),
        (["RUN", "--members", "a.keras", "--specialist-of", "c.json"], "--members does not apply"),
        (["RUN", "--gate", "0.1"], "--gate does not apply to a model release"),
        (["RUN", "--real", "RUN"], "no labels.json"),
        (["RUN", "--out", "RUN/config.json"], "exists and is not a folder"),
        (["RUN"], "trained a specialist ([simulator] focus): add it to a model"),
    ],
)
def test_release_refuses_bad_arguments_in_one_line_before_any_work(
    args, message, fake_run, tmp_path, capsys
):
    args = [a.replace("NOT_A_RUN", str(tmp_path)).replace("RUN", str(fake_run)) for a in args]
    assert main(["release", *args]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("eels-autoid release: error:") and message in line
    assert sorted(p.name for p in fake_run.iterdir()) == ["config.json", "state.json"]


def test_release_takes_one_kind_of_network(fake_run, capsys):
    with pytest.raises(SystemExit) as done:
        main(["release", str(fake_run), "--average", "a.keras", "--members", "b.keras"])
    assert done.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_evaluate_writes_its_results_folder_as_identify_does(tmp_path, tiny_model_path):
    # A second evaluation into the same folder removes the tables of the first
    # that it does not write again, and nothing of the user's.
    import hyperspy.api as hs
    import numpy as np
    from autoid_testing import make_spectrum

    folder = tmp_path / "labelled"
    folder.mkdir()
    s = hs.signals.Signal1D(make_spectrum())
    s.axes_manager[0].offset, s.axes_manager[0].units = 300.0, "eV"
    s.save(folder / "o.hspy")
    (folder / "labels.json").write_text(json.dumps({"o.hspy": {"elements": ["O"]}}))
    np.savez(tmp_path / "test.npz", x=np.zeros((2, 3072, 2), np.float32), y=np.zeros((2, 80)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's")
    model = ["--model", str(tiny_model_path)]

    assert main(["evaluate", str(folder), "--out", str(out), *model]) == 0
    assert (out / "per_file.csv").is_file()
    assert main(["evaluate", str(tmp_path / "test.npz"), "--out", str(out), *model]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert "per_file.csv" not in files and "notes.txt" in files
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(set(files) - {"notes.txt", MANIFEST})


_IMPORTS = """
import importlib, pkgutil, sys
import eels_autoid
import eels_autoid.cli
heavy = [m for m in ("keras", "tensorflow", "hyperspy", "matplotlib") if m in sys.modules]
assert not heavy, heavy
for name in list(sys.modules):
    if name.startswith("eels_autoid"):
        del sys.modules[name]
# Every module of the library (pkgutil.walk_packages would import the cli package too).
todo = ["eels_autoid"]
while todo:
    package = importlib.import_module(todo.pop())
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name == "eels_autoid.cli" or info.name.endswith("__main__"):
            continue
        if info.ispkg:
            todo.append(info.name)
        else:
            importlib.import_module(info.name)
assert "eels_autoid.cli" not in sys.modules, "the library imports the command line"
assert "eels_autoid.training._release" in sys.modules
"""


def test_the_command_line_imports_the_library_never_the_reverse():
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
