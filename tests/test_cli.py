"""The eels-autoid command line."""

import subprocess
import sys

import pytest

from eels_autoid.cli import main


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("identify", "demo", "train", "evaluate"):
        assert command in out


def test_console_script_is_installed():
    done = subprocess.run(
        [sys.executable, "-m", "eels_autoid.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("eels_autoid ")


def test_identify_writes_results(tmp_path, real_spectra_dir, tiny_model_path, capsys):
    out = tmp_path / "out"
    rc = main(
        [
            "identify",
            str(real_spectra_dir / "FeCr_oxide_linescan_100.dm3"),
            "--out",
            str(out),
            "--model",
            str(tiny_model_path),
            "--threshold",
            "0.5",
            # The network's map rule, which the detected column is checked against below.
            "--no-check",
        ]
    )
    assert rc == 0
    assert (out / "probabilities.hspy").is_file()
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert header.startswith(
        "element,detected,max_probability,mean_probability,area_fraction,edges_in_range,"
    )
    assert header.endswith("evidence,fraction,checked_probability,rival,found_by")
    detected = (out / "elements.txt").read_text().split()
    assert {p.stem.removeprefix("probability_") for p in out.glob("probability_*.png")} == set(
        detected
    )
    assert "detected:" in capsys.readouterr().out
    # Without --min-area-fraction the library's map rule decides each row.
    import csv

    from eels_autoid.identification import MIN_AREA_FRACTION

    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        area = float(row["area_fraction"])
        assert (row["detected"] == "true") == (area >= MIN_AREA_FRACTION and area > 0), row
    assert sorted(r["element"] for r in rows if r["detected"] == "true") == sorted(detected)


def test_identify_help_states_the_library_default(capsys):
    from eels_autoid.identification import MIN_AREA_FRACTION

    with pytest.raises(SystemExit):
        main(["identify", "--help"])
    assert f"(default: {MIN_AREA_FRACTION:g})" in " ".join(capsys.readouterr().out.split())


def test_identify_reports_bad_input_clearly(tmp_path, capsys):
    missing = tmp_path / "missing.dm4"
    rc = main(["identify", str(missing), "--model", str(tmp_path / "x.keras")])
    assert rc == 2
    assert "missing.dm4" in capsys.readouterr().err


def test_demo_says_what_is_missing(capsys, tmp_path, monkeypatch):
    # An installation whose weights folder is empty (a broken or trimmed install).
    monkeypatch.setattr("eels_autoid.models._card._weights_dir", lambda: tmp_path / "weights")
    assert main(["demo", "--out", str(tmp_path / "out")]) == 1
    assert "bundled trained model" in capsys.readouterr().err


def test_identify_maps_o_cr_and_fe_in_the_fecr_line_scan_with_the_bundled_model(
    tmp_path, real_spectra_dir, bundled_default
):
    # A real file whose Cr L2,3 white lines sit 43 eV above the O K edge, where
    # the full network alone reads them as oxygen's fine structure: the
    # transition-metal specialist finds them (and no F K in the Fe L3
    # pre-edge). The command loads the bundled default itself.
    out = tmp_path / "out"
    rc = main(
        ["identify", str(real_spectra_dir / "FeCr_oxide_linescan_100.dm3"), "--out", str(out)]
    )
    assert rc == 0
    assert set((out / "elements.txt").read_text().split()) == {"O", "Cr", "Fe"}
    for el in ("O", "Cr", "Fe"):
        assert (out / f"probability_{el}.png").is_file()
        assert (out / "quantification" / f"{el}.hspy").is_file()
    assert (out / "report.png").is_file()


def test_identify_search_shows_suggestions_in_the_summary(
    tmp_path, real_spectra_dir, bundled_default
):
    import csv

    out = tmp_path / "out"
    args = ["identify", str(real_spectra_dir / "Atlas_Xe_0560-1070eV.hspy"), "--no-quantify"]
    assert main([*args, "--out", str(out), "--search"]) == 0
    with open(out / "summary.csv") as f:
        rows = {r["element"]: r for r in csv.DictReader(f)}
    # Cu L2,3 at 931 eV: suggested, not detected, not in the elements.
    assert rows["Cu"]["found_by"] == "search" and rows["Cu"]["detected"] == "false"
    assert "Cu" not in (out / "elements.txt").read_text().split()
    plain = tmp_path / "plain"
    assert main([*args, "--out", str(plain)]) == 0
    with open(plain / "summary.csv") as f:
        assert all(r["found_by"] != "search" for r in csv.DictReader(f))
