"""What ``eels-autoid identify`` leaves in its --out folder, and a bad --out."""

import json
import os
import shutil

import numpy as np
import pytest

from eels_autoid.cli import main

# The record of what a run wrote (part of the output folder's documented contents).
MANIFEST = ".eels_autoid_manifest.json"


@pytest.fixture(scope="module")
def spectra(tmp_path_factory):
    """A simulated 2x4 LaMnO3/BaTiO3/SrTiO3 map and one spectrum of another simulation."""
    from eels_autoid.simulate import superlattice

    d = tmp_path_factory.mktemp("spectra")
    superlattice((2, 4), seed=0).save(d / "map.hspy")
    superlattice((1, 2), seed=1).inav[0, 0].save(d / "point.hspy")
    return d / "map.hspy", d / "point.hspy"


def _model(tiny_model_path, folder, elements):
    """The untrained tiny network (outputs near 0.5) with a card detecting only ``elements``."""
    from eels_autoid.models import ModelCard

    folder.mkdir()
    path = folder / "tiny.keras"
    shutil.copy(tiny_model_path, path)
    ModelCard(name="tiny", threshold=0.99, element_thresholds=dict.fromkeys(elements, 0.01)).save(
        folder / "tiny.json"
    )
    return str(path)


def _files(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_second_run_removes_what_the_first_wrote_and_nothing_else(
    spectra, tiny_model_path, tmp_path
):
    map_file, point_file = spectra
    with_mn = _model(tiny_model_path, tmp_path / "m1", ("O", "Ti", "Mn"))
    without_mn = _model(tiny_model_path, tmp_path / "m2", ("O", "Ti"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's notes\n")
    (out / "run.log").write_text("a log the user redirected here\n")

    assert main(["identify", str(map_file), "--out", str(out), "--model", with_mn]) == 0
    assert (out / "probability_Mn.png").is_file()
    assert (out / "quantification" / "Mn.hspy").is_file()

    assert main(["identify", str(point_file), "--out", str(out), "--model", without_mn]) == 0
    files = _files(out)
    assert {"notes.txt", "run.log"} <= files
    # A single spectrum has no maps; Mn is not detected in it.
    assert not [f for f in files if "Mn" in f or f.startswith("probability_")], files
    assert {"quantification/O.hspy", "quantification/Ti.hspy", "summary.csv"} <= files
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(files - {"notes.txt", "run.log", MANIFEST})
    # Emptied by the cleanup, then made anew: still the package's own folder.
    assert manifest["folders"] == ["quantification"]


def test_a_manifest_cannot_remove_anything_outside_the_folder(spectra, tiny_model_path, tmp_path):
    map_file, _ = spectra
    model = _model(tiny_model_path, tmp_path / "m", ("O",))
    out = tmp_path / "out"
    (out / "quantification").mkdir(parents=True)
    (out / "quantification" / "Mn.hspy").write_text("written by an earlier run")
    (out / "old_map.png").write_text("written by an earlier run")
    (out / "mine").mkdir()
    (out / "mine" / "keep.txt").write_text("the user's")
    outside = tmp_path / "outside.txt"
    outside.write_text("not in the folder")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("reached through a link")
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    listed = [
        "old_map.png",
        "quantification/Mn.hspy",
        "../outside.txt",
        "quantification/../../outside.txt",
        str(outside),
        "link/victim.txt",
        MANIFEST,
    ]
    folders = ["quantification", "mine", "link", "..", str(elsewhere)]
    (out / MANIFEST).write_text(json.dumps({"files": listed, "folders": folders}))

    rc = main(["identify", str(map_file), "--out", str(out), "--model", model, "--no-quantify"])
    assert rc == 0
    assert not (out / "old_map.png").exists()
    assert not (out / "quantification").exists()  # emptied, and the package made it
    assert outside.is_file()
    assert (elsewhere / "victim.txt").is_file()
    assert (out / "link").is_symlink()
    assert (out / "mine" / "keep.txt").is_file()  # a listed folder that is not empty stays
    assert set(json.loads((out / MANIFEST).read_text())["files"]) == {
        "elements.txt",
        "probabilities.hspy",
        "probability_O.png",
        "report.png",
        "summary.csv",
    }


@pytest.fixture
def spectrum_file(tmp_path):
    import hyperspy.api as hs
    from autoid_testing import make_spectrum

    s = hs.signals.Signal1D(make_spectrum(nav_shape=(2,)))
    s.set_signal_type("EELS")
    s.axes_manager.signal_axes[0].offset = 300.0
    s.axes_manager.signal_axes[0].units = "eV"
    path = tmp_path / "spectrum.hspy"
    s.save(path)
    return path


def _bad_out(kind, tmp_path):
    if kind == "read-only":
        folder = tmp_path / "read_only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder / "results"
    (tmp_path / "a_file").write_text("")
    return tmp_path / "a_file" if kind == "a-file" else tmp_path / "a_file" / "results"


@pytest.mark.parametrize(
    "kind",
    [
        "a-file",
        "under-a-file",
        pytest.param(
            "read-only",
            marks=pytest.mark.skipif(
                hasattr(os, "geteuid") and os.geteuid() == 0,
                reason="root may write into a read-only folder",
            ),
        ),
    ],
)
def test_a_bad_out_is_refused_before_identifying(
    kind, spectrum_file, tiny_model_path, tmp_path, capsys
):
    out = _bad_out(kind, tmp_path)
    model = str(tiny_model_path)
    try:
        rc = main(["identify", str(spectrum_file), "--out", str(out), "--model", model])
    finally:
        if kind == "read-only":
            out.parent.chmod(0o700)
    err = capsys.readouterr().err
    assert rc != 0
    assert "Identifying" not in err  # refused before the network ran
    assert len(err.strip().splitlines()) == 1
    assert f"--out {out}" in err


def test_evaluate_refuses_a_bad_out_before_evaluating(tiny_model_path, tmp_path, capsys):
    x = np.zeros((2, 3072, 2), dtype=np.float32)
    np.savez(tmp_path / "test.npz", x=x, y=np.zeros((2, 80), dtype=np.float32))
    out = tmp_path / "a_file"
    out.write_text("")
    rc = main(["evaluate", str(tmp_path / "test.npz"), "--model", str(tiny_model_path),
               "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert rc != 0
    assert "Micro" not in captured.out  # no evaluation ran
    assert captured.err.strip().splitlines() == [
        f"eels-autoid evaluate: --out {out}: exists and is not a folder"
    ]


def test_demo_refuses_a_bad_out_before_simulating(tiny_model_path, tmp_path, capsys):
    out = tmp_path / "a_file"
    out.write_text("")
    assert main(["demo", "--out", str(out), "--model", str(tiny_model_path)]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"eels-autoid demo: error: --out {out}: exists and is not a folder"
    ]
