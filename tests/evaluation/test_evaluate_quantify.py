"""evaluate_quantification and ``evaluate --quantify`` on simulated compounds of known composition.

The benchmark's figures are checked against the same figures computed here
from quantify's own output on the same files.
"""

import csv
import json
import logging
import warnings

import numpy as np
import pytest

import eels_autoid
from eels_autoid.cli import main
from eels_autoid.evaluation import evaluate_quantification, folder_half
from eels_autoid.evaluation._evaluate import _load_spectrum
from eels_autoid.gos import cross_section

BEAM_ENERGY, COLLECTION_ANGLE = 200.0, 20.0

# name: (energy start, channels, {element: (atoms/nm^2, subshells)}, navigation shape,
#        microscope settings in the metadata, labels entry)
FILES = {
    # Sr has no edge in the window: not a label, so not scored.
    "sto.hspy": (
        350.0,
        600,
        {"O": (300.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])},
        (),
        True,
        {"elements": ["O", "Ti"], "composition": {"Sr": 1, "Ti": 1, "O": 3}},
    ),
    # A map without microscope settings; N is labelled but not in the composition.
    "map.hspy": (
        350.0,
        600,
        {"N": (60.0, ["K"]), "O": (200.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])},
        (2, 3),
        False,
        {
            "elements": ["N", "O", "Ti"],
            "composition": {"Ti": 1, "O": 2},
            "beam_energy_kV": BEAM_ENERGY,
            "source_group": "recent",
        },
    ),
    # Ca L2,3 lies 16 eV above the start of the window: quantify drops it.
    "cato.hspy": (
        330.0,
        620,
        {"O": (300.0, ["K"]), "Ti": (100.0, ["L3", "L2", "L1"])},
        (),
        True,
        {"elements": ["Ca", "O", "Ti"], "composition": {"Ca": 1, "Ti": 1, "O": 3}},
    ),
    # Below quantify's lowest fitted energy: it raises.
    "short.hspy": (
        20.0,
        30,
        {},
        (),
        True,
        {"elements": ["Ti", "O"], "composition": {"Ti": 1, "O": 2}},
    ),
    # Dy seen only through N4,5: reported apart.
    "dy2o3.hspy": (
        100.0,
        800,
        {"O": (300.0, ["K"]), "Dy": (200.0, ["N5", "N4"])},
        (),
        True,
        {"elements": ["Dy", "O"], "composition": {"Dy": 2, "O": 3}},
    ),
}
# A pure element and a compound with one visible element: skipped, never read.
SKIPPED = {
    "ti.hspy": {"elements": ["Ti"], "composition": {"Ti": 1}},
    "srtio3_high.hspy": {"elements": ["Sr"], "composition": {"Sr": 1, "Ti": 1, "O": 3}},
}


@pytest.fixture(autouse=True)
def _quiet_hyperspy():
    # exspy and HyperSpy log optional-dependency notices at WARNING.
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _spectrum(start, size, amounts, nav_shape, microscope, seed):
    import hyperspy.api as hs

    energy = start + np.arange(float(size))
    # 1e10 electrons through n atoms/nm^2 = n / 1e10 atoms/barn: n sigma counts per eV.
    edges = sum(
        n * cross_section(el, sub, energy, BEAM_ENERGY, COLLECTION_ANGLE)
        for el, (n, subs) in amounts.items()
        for sub in subs
    )
    clean = edges + 2e4 * (energy / 350.0) ** -3
    data = np.random.default_rng(seed).poisson(np.broadcast_to(clean, (*nav_shape, size)))
    s = hs.signals.Signal1D(data.astype(float))
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units, ax.name = start, 1.0, "eV", "Energy loss"
    if microscope:
        s.metadata.set_item("Acquisition_instrument.TEM.beam_energy", BEAM_ENERGY)
        s.metadata.set_item("Acquisition_instrument.TEM.convergence_angle", 0.0)
        s.metadata.set_item(
            "Acquisition_instrument.TEM.Detector.EELS.collection_angle", COLLECTION_ANGLE
        )
    return s


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("compounds")
    labels = dict(SKIPPED)
    for seed, (name, (start, size, amounts, nav, microscope, entry)) in enumerate(FILES.items()):
        _spectrum(start, size, amounts, nav, microscope, seed).save(d / name)
        labels[name] = entry
    (d / "labels.json").write_text(json.dumps(labels))
    return d


@pytest.fixture(scope="module")
def labelled(folder):
    return evaluate_quantification(folder, elements="labelled")


def _summed(folder, name):
    s = _load_spectrum(folder / name)
    return s.sum(s.axes_manager.navigation_axes) if s.axes_manager.navigation_dimension else s


def _by_hand(folder, name, elements, beam_energy=None):
    """Measured fractions renormalised without carbon, or the error quantify raises."""
    summed = _summed(folder, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            q = eels_autoid.quantify(summed, elements=elements, beam_energy=beam_energy)
        except ValueError as err:
            return f"ValueError: {err}"
    fractions = {r.element: r.atomic_fraction for r in q.summary() if r.element != "C"}
    total = sum(fractions.values())
    return {el: f / total for el, f in fractions.items()}


def _rows(report, source, name):
    return {
        r["element"]: r for r in report["elements"] if r["source"] == source and r["file"] == name
    }


def _record(report, source, name):
    (rec,) = [f for f in report["files"] if f["source"] == source and f["file"] == name]
    return rec


def test_per_element_figures_are_quantify_s_fractions_against_the_composition(folder, labelled):
    assert {f["file"] for f in labelled["files"]} == set(FILES)
    assert {s["file"] for s in labelled["skipped"]} == set(SKIPPED)

    # Sr is not labelled: O and Ti are renormalised over themselves, 3:1.
    measured = _by_hand(folder, "sto.hspy", ["O", "Ti"])
    rows = _rows(labelled, "labelled", "sto.hspy")
    assert set(rows) == {"O", "Ti"}
    for el, expected in (("O", 0.75), ("Ti", 0.25)):
        assert rows[el]["expected"] == pytest.approx(expected)
        assert rows[el]["measured"] == pytest.approx(measured[el])
        assert rows[el]["error"] == pytest.approx(abs(measured[el] - expected) / expected)
        assert rows[el]["status"] == "measured"
    assert rows["O"]["family"] == "K" and rows["Ti"]["family"] == "L"
    # The stated uncertainty, renormalised like the fraction.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = eels_autoid.quantify(_summed(folder, "sto.hspy"), elements=["O", "Ti"])
    stated = {r.element: r.atomic_fraction_uncertainty for r in q.summary()}
    total = sum(r.atomic_fraction for r in q.summary())
    for el in ("O", "Ti"):
        assert rows[el]["uncertainty"] == pytest.approx(stated[el] / total)
    rec = _record(labelled, "labelled", "sto.hspy")
    assert rec["ratio"] == "Ti/O"
    assert rec["ratio_expected"] == pytest.approx(1 / 3)
    assert rec["ratio_measured"] == pytest.approx(measured["Ti"] / measured["O"])
    assert rec["ratio_error"] == pytest.approx(abs(3 * measured["Ti"] / measured["O"] - 1))
    assert rec["beam_energy_from"] == "metadata" and rec["defaulted"] == []


def test_an_element_outside_the_composition_takes_its_share_and_is_listed_apart(folder, labelled):
    # The summed map has no beam energy in its metadata: the labels' is used.
    measured = _by_hand(folder, "map.hspy", ["N", "O", "Ti"], beam_energy=BEAM_ENERGY)
    rec = _record(labelled, "labelled", "map.hspy")
    assert rec["beam_energy_from"] == "labels"
    assert rec["beam_energy_kV"] == BEAM_ENERGY
    assert rec["extra"] == ["N"]
    rows = _rows(labelled, "labelled", "map.hspy")
    assert rows["N"]["status"] == "extra"
    assert rows["N"]["expected"] == 0 and rows["N"]["error"] is None
    assert rows["N"]["measured"] == pytest.approx(measured["N"]) and measured["N"] > 0.02
    # O and Ti keep the fractions quantify gave them next to N: N's share is their error.
    for el, expected in (("O", 2 / 3), ("Ti", 1 / 3)):
        assert rows[el]["measured"] == pytest.approx(measured[el])
        assert rows[el]["error"] == pytest.approx(abs(measured[el] - expected) / expected)


def test_a_dropped_element_counts_as_measured_zero(folder, labelled):
    measured = _by_hand(folder, "cato.hspy", ["Ca", "O", "Ti"])
    assert "Ca" not in measured
    rows = _rows(labelled, "labelled", "cato.hspy")
    assert rows["Ca"]["status"] == "dropped"
    assert rows["Ca"]["measured"] is None and rows["Ca"]["error"] == 1.0
    assert rows["Ca"]["family"] == "L"  # its observable edge: L2,3 at 346 eV
    assert rows["Ti"]["measured"] == pytest.approx(measured["Ti"])
    assert rows["Ti"]["error"] == pytest.approx(abs(measured["Ti"] - 0.2) / 0.2)
    assert "ratio" not in _record(labelled, "labelled", "cato.hspy")  # three elements


def test_a_failing_file_is_reported_with_quantify_s_reason_and_counts_1(folder, labelled):
    reason = _by_hand(folder, "short.hspy", ["Ti", "O"])
    assert isinstance(reason, str)
    rec = _record(labelled, "labelled", "short.hspy")
    assert rec["status"] == "failed" and rec["reason"] == reason
    assert rec["ratio_error"] == np.inf
    rows = _rows(labelled, "labelled", "short.hspy")
    assert {r["status"] for r in rows.values()} == {"failed"}
    assert all(r["error"] == 1.0 for r in rows.values())


def test_n45_lanthanides_are_apart_and_the_summary_is_the_rows_figures(labelled):
    dy = _rows(labelled, "labelled", "dy2o3.hspy")
    assert dy["Dy"]["family"] == "N" and dy["Dy"]["apart"] and dy["O"]["apart"]
    assert dy["Dy"]["expected"] == pytest.approx(0.4)

    counted = [
        r for r in labelled["elements"] if r["status"] != "extra" and r["file"] != "dy2o3.hspy"
    ]
    ratios = [
        f["ratio_error"]
        for f in labelled["files"]
        if "ratio_error" in f and f["file"] != "dy2o3.hspy"
    ]
    assert sorted(f["file"] for f in labelled["files"] if "ratio_error" in f) == [
        "dy2o3.hspy",
        "map.hspy",
        "short.hspy",
        "sto.hspy",
    ]
    summary = {(r["half"], r["family"]): r for r in labelled["summary"]}
    for family in ("all", "K", "L"):
        errors = [r["error"] for r in counted if family in ("all", r["family"])]
        row = summary["all", family]
        assert row["n"] == len(errors)
        assert row["median"] == pytest.approx(np.median(errors))
        assert row["within10"] == pytest.approx(np.mean(np.array(errors) <= 0.1))
        assert row["within20"] == pytest.approx(np.mean(np.array(errors) <= 0.2))
        # Covered: measured elements whose error lies within two stated uncertainties.
        judged = [
            r for r in counted if family in ("all", r["family"]) and r["measured"] is not None
        ]
        assert row["covered"] == pytest.approx(
            np.mean([abs(r["measured"] - r["expected"]) <= 2 * r["uncertainty"] for r in judged])
        )
    # The failed file's window holds no edge: it has no family and counts in "all" only.
    assert {r["family"] for r in _rows(labelled, "labelled", "short.hspy").values()} == {""}
    assert summary["all", "all"]["ratio_median"] == pytest.approx(np.median(ratios))
    assert summary["all", "all"]["failed"] == 1
    # Every other ratio pairs an O K with a Ti L2,3 edge: it counts in both rows.
    paired = [f["ratio_error"] for f in labelled["files"] if f["file"] in ("sto.hspy", "map.hspy")]
    for family in ("K", "L"):
        assert summary["all", family]["ratio_median"] == pytest.approx(np.median(paired))
        assert summary["all", family]["n_ratio"] == 2
        assert summary["all", family]["failed"] == 0
    assert ("all", "N") not in summary and ("all", "M") not in summary
    for half in (1, 2):
        mine = [r["error"] for r in counted if folder_half(r["file"]) == half]
        if mine:
            assert summary[half, "all"]["median"] == pytest.approx(np.median(mine))
            assert summary[half, "all"]["n"] == len(mine)


def test_a_half_is_benchmarked_alone(folder, labelled):
    files = [n for n in FILES if folder_half(n) == 1]
    report = evaluate_quantification(folder, elements="labelled", half=1)
    assert sorted({f["file"] for f in report["files"]}) == sorted(files)
    mine = [r for r in report["summary"] if r["family"] == "all"]
    full = [r for r in labelled["summary"] if r["family"] == "all" and r["half"] == 1]
    assert [r["half"] for r in mine] == [1]
    for key in ("n", "median", "within10", "within20", "ratio_median", "n_ratio", "files"):
        assert mine[0][key] == pytest.approx(full[0][key], nan_ok=True)
    with pytest.raises(ValueError, match="half"):
        evaluate_quantification(folder, half=3)
    with pytest.raises(ValueError, match="labelled"):
        evaluate_quantification(folder, elements="guessed")


def test_identified_elements_are_quantified_as_identify_edges_finds_them(folder, bundled_default):
    report = evaluate_quantification(
        folder, elements="identified", files=["sto.hspy", "map.hspy"], model=bundled_default
    )
    assert report["sources"] == ["identified"]
    for name, expected in (
        ("sto.hspy", {"O": 0.75, "Ti": 0.25}),
        ("map.hspy", {"O": 2 / 3, "Ti": 1 / 3}),
    ):
        summed = _summed(folder, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = eels_autoid.identify_edges(summed, model=bundled_default).elements
        beam = None if name == "sto.hspy" else BEAM_ENERGY
        measured = _by_hand(folder, name, found, beam_energy=beam)
        rec = _record(report, "identified", name)
        assert rec["elements"] == list(found)
        rows = _rows(report, "identified", name)
        for el, exp in expected.items():
            got = measured.get(el)
            assert rows[el]["measured"] == (pytest.approx(got) if got is not None else None)
            assert rows[el]["error"] == pytest.approx(abs((got or 0.0) - exp) / exp)
        extras = {el for el in measured if el not in FILES[name][5]["composition"]}
        assert set(rec["extra"]) == extras
        assert all(rows[el]["status"] == "extra" for el in extras)


def test_the_command_prints_both_sources_and_writes_the_tables(
    folder, tiny_model_path, tmp_path, capsys
):
    out = tmp_path / "out"
    args = ["evaluate", str(folder), "--quantify", "--model", str(tiny_model_path)]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "labelled" in text and "identified" in text and "short.hspy" in text
    with open(out / "quantification_summary.csv") as f:
        summary = list(csv.DictReader(f))
    assert list(summary[0])[:8] == [
        "source",
        "half",
        "family",
        "n",
        "median",
        "within10",
        "within20",
        "ratio_median",
    ]
    assert list(summary[0])[-1] == "covered"
    assert {(r["source"], r["half"]) for r in summary if r["family"] == "all"} == {
        (source, half) for source in ("labelled", "identified") for half in ("all", "1", "2")
    }
    with open(out / "quantification_per_file.csv") as f:
        per_file = list(csv.DictReader(f))
    assert len(per_file) == 2 * len(FILES)
    failed = [r for r in per_file if r["file"] == "short.hspy" and r["source"] == "labelled"]
    assert failed[0]["status"] == "failed" and failed[0]["reason"]
    with open(out / "quantification_per_element.csv") as f:
        header = next(csv.reader(f))
    assert header[:10] == [
        "source",
        "file",
        "half",
        "element",
        "family",
        "edges",
        "expected",
        "measured",
        "error",
        "status",
    ]
    assert main(["evaluate", str(folder / "sto.hspy"), "--quantify"]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_two_real_compounds(real_spectra_dir, bundled_default):
    names = ["SrTiO3_hl.msa", "MnO_coreloss.msa"]
    report = evaluate_quantification(
        real_spectra_dir,
        elements=("labelled", "identified"),
        files=names,
        model=bundled_default,
    )
    assert len(report["files"]) == 4
    for source in ("labelled", "identified"):
        assert set(_rows(report, source, "SrTiO3_hl.msa")) >= {"O", "Ti"}
        assert set(_rows(report, source, "MnO_coreloss.msa")) >= {"Mn", "O"}
    for name in names:
        rec = _record(report, "labelled", name)
        assert rec["status"] == "ok" and rec["beam_energy_from"] == "default"
        assert "beam_energy" in rec["defaulted"]
        assert np.isfinite(rec["ratio_error"])
    # Sr is in SrTiO3's composition but has no edge in the window: not scored.
    assert "Sr" not in _rows(report, "labelled", "SrTiO3_hl.msa")
