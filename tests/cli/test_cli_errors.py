"""Unreadable inputs: one line on standard error naming the file, no traceback."""

import os
import subprocess
import sys

import pytest

from eels_autoid.cli import main


def _one_line(err):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _truncated_hspy(path):
    import hyperspy.api as hs
    import numpy as np

    hs.signals.Signal1D(np.arange(2000.0)).save(path.with_suffix(".full.hspy"))
    data = path.with_suffix(".full.hspy").read_bytes()
    path.write_bytes(data[: len(data) // 2])


BAD_FILES = {
    "garbage.txt": lambda p: p.write_text("not a spectrum\n"),
    # A DM3 file cut off inside its header.
    "truncated.dm3": lambda p: p.write_bytes(b"\x00\x00\x00\x03\x00\x00\x10\x00\x00\x00"),
    "empty.dm3": lambda p: p.write_bytes(b""),
    "empty.hspy": lambda p: p.write_bytes(b""),
    "truncated.hspy": _truncated_hspy,
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_identify_reports_an_unreadable_file_in_one_line(name, tmp_path, capsys):
    path = tmp_path / name
    BAD_FILES[name](path)
    out = tmp_path / "out"
    rc = main(["identify", str(path), "--out", str(out), "--model", str(tmp_path / "x.keras")])
    line = _one_line(capsys.readouterr().err)
    assert rc != 0
    assert str(path) in line and "cannot read" in line
    assert not out.exists()  # nothing made for a run that could not start


def test_identify_reports_an_unreadable_low_loss(tmp_path, capsys):
    import hyperspy.api as hs
    from autoid_testing import make_spectrum

    core = tmp_path / "core.hspy"
    hs.signals.Signal1D(make_spectrum()).save(core)
    low_loss = tmp_path / "ll.dm3"
    low_loss.write_bytes(b"")
    rc = main(["identify", str(core), "--low-loss", str(low_loss), "--out", str(tmp_path / "o")])
    assert rc != 0
    assert str(low_loss) in _one_line(capsys.readouterr().err)


def test_the_console_command_prints_no_traceback(tmp_path):
    path = tmp_path / "truncated.dm3"
    BAD_FILES["truncated.dm3"](path)
    done = subprocess.run(
        [sys.executable, "-m", "eels_autoid.cli", "identify", str(path), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert str(path) in _one_line(done.stderr)


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("missing.toml", None, []),
        ("broken.toml", "this is [not toml\n", []),
        ("broken.json", '{"name": \n', []),
        ("unknown_key.toml", "[training]\nbatchsize = 4\n", []),
        ("wrong_type.toml", "[training]\nepochs = [1]\n", []),
        ("broken.toml", "this is [not toml\n", ["--out", "RUN"]),
    ],
)
def test_train_reports_a_bad_config_in_one_line(name, text, extra, tmp_path, capsys):
    config = tmp_path / name
    if text is not None:
        config.write_text(text)
    extra = [str(tmp_path / "run") if a == "RUN" else a for a in extra]
    rc = main(["train", str(config), *extra])
    line = _one_line(capsys.readouterr().err)
    assert rc != 0
    assert str(config) in line


def test_evaluate_reports_an_unreadable_test_set_in_one_line(tmp_path, capsys):
    path = tmp_path / "test_set.h5"
    path.write_text("not HDF5\n")
    rc = main(["evaluate", str(path)])
    line = _one_line(capsys.readouterr().err)
    assert rc != 0
    assert str(path) in line


@pytest.mark.parametrize("case", ["empty-msa", "flat-low-loss"])
def test_identify_names_the_file_it_cannot_identify(case, tmp_path, capsys):
    import hyperspy.api as hs
    import numpy as np
    from autoid_testing import make_spectrum

    core = tmp_path / "core.hspy"
    args = []
    if case == "empty-msa":
        core = tmp_path / "empty.msa"
        core.write_bytes(b"")
    else:
        s = hs.signals.Signal1D(make_spectrum())
        s.axes_manager[0].offset, s.axes_manager[0].units = 300.0, "eV"
        s.save(core)
        flat = hs.signals.Signal1D(np.full(400, 5.0))
        flat.axes_manager[0].offset, flat.axes_manager[0].units = -20.0, "eV"
        flat.save(tmp_path / "ll.hspy")
        args = ["--low-loss", str(tmp_path / "ll.hspy")]
    rc = main(["identify", str(core), *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("eels-autoid identify: error:") and str(core) in line
    assert "channel" in line if case == "empty-msa" else "zero-loss peak" in line
