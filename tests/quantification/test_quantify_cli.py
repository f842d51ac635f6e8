"""The command line's quantification outputs, report and demo."""

import csv

import pytest

from eels_autoid.cli import main


@pytest.fixture
def oxide_file(oxide, tmp_path):
    path = tmp_path / "oxide.hspy"
    oxide.save(path)
    return path


@pytest.fixture
def oxide_model_path(tiny_model_path, tmp_path):
    """The untrained tiny network (outputs near 0.5) with a card that detects only O and Ti."""
    import shutil

    from eels_autoid.models import ModelCard

    path = tmp_path / "oxide_model.keras"
    shutil.copy(tiny_model_path, path)
    ModelCard(name="oxide", threshold=0.99, element_thresholds={"O": 0.01, "Ti": 0.01}).save(
        tmp_path / "oxide_model.json"
    )
    return path


def test_identify_writes_quantified_maps_and_a_report(oxide_file, tmp_path, oxide_model_path):
    out = tmp_path / "out"
    rc = main(["identify", str(oxide_file), "--out", str(out), "--model", str(oxide_model_path)])
    assert rc == 0
    assert (out / "elements.txt").read_text().split() == ["O", "Ti"]
    assert (out / "report.png").stat().st_size > 10_000
    with open(out / "summary.csv") as f:
        rows = {r["element"]: r["detected"] for r in csv.DictReader(f)}
    assert rows["O"] == rows["Ti"] == "true" and set(rows.values()) == {"true", "false"}
    with open(out / "quantification" / "quantification.csv") as f:
        quantified = {r["element"]: float(r["atomic_fraction"]) for r in csv.DictReader(f)}
    assert quantified.keys() == {"O", "Ti"} and abs(quantified["O"] - 0.75) < 0.03
    for el in quantified:
        for name in (f"{el}.hspy", f"{el}_uncertainty.hspy", f"{el}.png"):
            assert (out / "quantification" / name).is_file()


def test_no_quantify_skips_the_quantification(oxide_file, tmp_path, oxide_model_path):
    out = tmp_path / "out"
    rc = main(
        ["identify", str(oxide_file), "--out", str(out), "--model", str(oxide_model_path),
         "--no-quantify"]
    )  # fmt: skip
    assert rc == 0
    assert not (out / "quantification").exists()
    assert (out / "report.png").is_file() and (out / "summary.csv").is_file()


# The untrained network detects elements at random; those without an edge are left out.
@pytest.mark.filterwarnings("ignore:.*left out of the quantification:UserWarning")
def test_demo_prints_the_detected_and_true_elements(tmp_path, tiny_model_path, capsys):
    from eels_autoid.demo import run_demo

    assert run_demo(tmp_path, model=tiny_model_path, shape=(2, 24)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("detected:")
    assert lines[1] == "true: O Ti Mn Ba La"
    assert (tmp_path / "report.png").is_file()
    assert (tmp_path / "superlattice.hspy").is_file()


def test_demo_command_accepts_a_model(tmp_path, tiny_model_path, monkeypatch):
    import eels_autoid.demo

    called = {}

    def record(out, model=None, seed=0):
        called.update(out=out, model=model, seed=seed)
        return 0

    # Only the argument handling is under test here; run_demo is tested above.
    monkeypatch.setattr(eels_autoid.demo, "run_demo", record)
    assert main(["demo", "--out", str(tmp_path), "--model", str(tiny_model_path)]) == 0
    assert called == {"out": tmp_path, "model": str(tiny_model_path), "seed": 0}
