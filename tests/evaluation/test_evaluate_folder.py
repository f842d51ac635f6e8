"""evaluate_folder / the evaluate command on a few real files, with a tiny model."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from eels_autoid.cli import main  # noqa: E402
from eels_autoid.evaluation import evaluate_folder  # noqa: E402
from eels_autoid.models import build_model  # noqa: E402
from eels_autoid.training import export_model  # noqa: E402
from eels_autoid.vocabulary import observable_elements  # noqa: E402

REAL = Path(__file__).resolve().parents[3] / "shared" / "real_spectra"
FILES = ["MnO_coreloss.msa", "LSMO_STO_linescan.hspy", "Atlas_KBr_0-0460eV.hspy"]
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/real_spectra")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    keras.utils.set_random_seed(0)
    net = build_model(
        "edgenet", stem_filters=8, widths=(8, 12), blocks=(1, 1), head_units=16, position_dim=4
    )
    return export_model(net, tmp_path_factory.mktemp("model"), "tiny", threshold=0.5)


def test_evaluate_folder_counts_only_observable_non_carbon(tiny_model):
    rep = evaluate_folder(REAL, model=tiny_model, files=FILES)
    labels = json.loads((REAL / "labels.json").read_text())
    assert rep["n_spectra"] == 3
    # Positives counted = labelled elements observable in each window, carbon excluded.
    expected = 0
    for f in rep["files"]:
        lo, hi = f["energy_range"]
        obs = set(observable_elements(lo, hi))
        expected += len([e for e in labels[f["file"]]["elements"] if e in obs and e != "C"])
    m = rep["micro"]
    assert m["tp"] + m["fn"] == expected
    assert rep["per_pixel"]["n_spectra"] == 10  # the 10-pixel line scan
    assert set(rep["by_group"]) == {"recent", "atlas"}
    assert len(rep["threshold_sweep"]) == 19


def test_evaluate_command_writes_tables(tiny_model, tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(REAL / "MnO_coreloss.msa", folder)
    labels = json.loads((REAL / "labels.json").read_text())
    (folder / "labels.json").write_text(
        json.dumps({"MnO_coreloss.msa": labels["MnO_coreloss.msa"]})
    )
    out = tmp_path / "out"
    assert main(["evaluate", str(folder), "--model", str(tiny_model), "--out", str(out)]) == 0
    assert "Micro" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert res["n_spectra"] == 1
    for name in ("summary.txt", "per_element.csv", "threshold_sweep.csv", "reliability.csv",
                 "per_file.csv"):  # fmt: skip
        assert (out / name).is_file()
    assert main(["evaluate", str(tmp_path / "nothing")]) == 1


def test_evaluate_test_set_file(tiny_model, tmp_path):
    rng = np.random.default_rng(0)
    x = np.zeros((6, 3072, 2), dtype=np.float32)
    x[:, 100:900, 0] = rng.normal(size=(6, 800))
    x[:, 100:900, 1] = 1
    y = np.zeros((6, 80), dtype=np.float32)
    y[:, 6] = 1
    np.savez(tmp_path / "test.npz", x=x, y=y)
    assert main(["evaluate", str(tmp_path / "test.npz"), "--model", str(tiny_model)]) == 0


def test_evaluate_reads_the_splits_of_a_simulated_dataset(tiny_model, tmp_path, capsys):
    from eels_autoid.evaluation import evaluate_test_set
    from eels_autoid.simulate import read_dataset, write_dataset

    path = tmp_path / "sim.h5"
    write_dataset(path, sizes=(4, 6, 8), seed=3)
    report = evaluate_test_set(path, model=tiny_model)
    assert report["n_spectra"] == 8
    _, y = read_dataset(path, "validation")
    val = evaluate_test_set(path, model=tiny_model, split="validation")
    assert val["n_spectra"] == 6
    assert val["micro"]["tp"] + val["micro"]["fn"] == int(y.sum())
    assert main(["evaluate", str(path), "--model", str(tiny_model), "--split", "train"]) == 0
    with pytest.raises(KeyError, match="'nope' group"):
        evaluate_test_set(path, model=tiny_model, split="nope")


def test_energy_shift_moves_the_axes_not_the_files(tiny_model, tmp_path, capsys):
    import eels_autoid
    from eels_autoid import ELEMENTS
    from eels_autoid.evaluation._evaluate import _load_spectrum

    name = "MnO_coreloss.msa"
    before = (REAL / name).read_bytes()
    rep = evaluate_folder(REAL, model=tiny_model, files=[name], per_pixel=False, energy_shift=7.0)
    assert (REAL / name).read_bytes() == before
    assert rep["energy_shift"] == 7.0
    # The window the model saw is the file's, 7 eV higher, and its answer is
    # that of identify_edges on a signal whose axis was moved by hand.
    s = _load_spectrum(REAL / name)
    ax = s.axes_manager.signal_axes[0]
    ax.offset += 7.0
    by_hand = eels_autoid.identify_edges(s, model=tiny_model)
    lo, hi = by_hand.energy_range
    assert rep["files"][0]["energy_range"] == pytest.approx([lo, hi])
    p = np.asarray(by_hand.probabilities.data).ravel()
    for element, value in rep["files"][0]["probabilities"].items():
        assert value == pytest.approx(p[ELEMENTS.index(element)], abs=1e-4)
    unshifted = evaluate_folder(REAL, model=tiny_model, files=[name], per_pixel=False)
    assert unshifted["files"][0]["energy_range"][0] == pytest.approx(lo - 7.0)
    with pytest.raises(ValueError, match="finite"):
        evaluate_folder(REAL, model=tiny_model, files=[name], energy_shift=float("nan"))
    # A simulated test set holds model inputs on the fixed grid: no axis to move.
    np.savez(tmp_path / "t.npz", x=np.zeros((1, 3072, 2), np.float32), y=np.zeros((1, 80)))
    assert main(["evaluate", str(tmp_path / "t.npz"), "--energy-shift", "3"]) == 1
    assert "folders" in capsys.readouterr().err


def test_energy_shift_is_in_ev_whatever_the_axis_units(tiny_model, tmp_path):
    # The same spectrum stored with its axis in keV: +7 eV moves its window
    # exactly as it moves the eV file's, not by 7 keV.
    from eels_autoid.evaluation._evaluate import _load_spectrum

    name = "MnO_coreloss.msa"
    s = _load_spectrum(REAL / name)
    s.axes_manager.signal_axes[0].convert_to_units("keV")
    s.save(tmp_path / "MnO_keV.hspy")
    labels = json.loads((REAL / "labels.json").read_text())
    (tmp_path / "labels.json").write_text(json.dumps({"MnO_keV.hspy": labels[name]}))
    kev = evaluate_folder(tmp_path, model=tiny_model, per_pixel=False, energy_shift=7.0)
    ev = evaluate_folder(REAL, model=tiny_model, files=[name], per_pixel=False, energy_shift=7.0)
    assert kev["files"][0]["energy_range"] == pytest.approx(ev["files"][0]["energy_range"])


def test_the_halves_of_a_folder_split_it_and_stay_fixed(real_spectra_dir, tmp_path):
    import json

    from eels_autoid.evaluation import evaluate_folder, folder_half

    names = list(json.loads((real_spectra_dir / "labels.json").read_text()))
    halves = {n: folder_half(n) for n in names}
    assert set(halves.values()) == {1, 2}
    assert 0.3 < sum(h == 1 for h in halves.values()) / len(names) < 0.7
    # A file's half does not depend on the rest of the folder.
    assert all(folder_half(n) == halves[n] for n in reversed(names))
    few = [n for n in names if n.endswith((".msa", ".dm3"))]
    report = evaluate_folder(real_spectra_dir, files=few, half=1, per_pixel=False)
    assert [r["file"] for r in report["files"]] == [n for n in few if halves[n] == 1]
    assert report["half"] == 1
    with pytest.raises(ValueError, match="half must be 1 or 2"):
        evaluate_folder(real_spectra_dir, files=few, half=3)


def test_the_search_lists_its_suggestions_without_counting_them(bundled_default, capsys):
    # Cu L2,3 stands in the Xe spectrum (931 eV, unlabelled); SrTiO3 holds
    # nothing the search picks up.
    files = ["Atlas_Xe_0560-1070eV.hspy", "SrTiO3_hl.msa"]
    kw = dict(model=bundled_default, files=files, per_pixel=False)
    plain = evaluate_folder(REAL, **kw)
    searched = evaluate_folder(REAL, search=True, **kw)
    assert searched["micro"] == plain["micro"] and searched["search"] and not plain["search"]
    suggested = {f["file"]: f["suggested"] for f in searched["files"]}
    assert "Cu" in suggested["Atlas_Xe_0560-1070eV.hspy"]
    assert all(not f["suggested"] for f in plain["files"])
    from eels_autoid.evaluation import format_report

    text = format_report(searched)
    assert "Atlas_Xe_0560-1070eV.hspy: Cu (not labelled)" in text
    assert "residual search" not in format_report(plain)


def test_maps_read_as_maps_score_the_elements_of_each_map():
    # The FeCr line scan's Cr lies in a layer: too diluted in the summed
    # spectrum, found by the map's regions.
    rep = evaluate_folder(REAL, files=["FeCr_oxide_linescan_100.dm3", "Atlas_Cr_0440-0940eV.hspy"])
    summed = {f["file"]: f for f in rep["files"]}
    scan = summed["FeCr_oxide_linescan_100.dm3"]
    assert "Cr" in scan["map_detected"] and "Cr" in scan["missed"]
    assert "map_detected" not in summed["Atlas_Cr_0440-0940eV.hspy"]
    tp = fp = fn = 0
    for f in rep["files"]:
        truth = set(f["labels"]) - set(f["unobservable_labels"]) - {"C"}
        found = set(f.get("map_detected", f["detected"]))
        tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
    read = rep["as_read"]
    assert (read["tp"], read["fp"], read["fn"]) == (tp, fp, fn)
    assert read["fn"] == rep["micro"]["fn"] - 1
