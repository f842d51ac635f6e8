"""Every subshell the bundled GOS tables hold carries its element's amount."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "quantification"))
from quant_synthetic import SETTINGS, core_loss  # noqa: E402

from eels_autoid.spectrum_model import SpectrumModel  # noqa: E402
from eels_autoid.spectrum_model._edges import plan_edges  # noqa: E402


def _fitted(decisions, element):
    return {d.subshell: d for d in decisions if d.element == element and d.fitted}


def _plan(elements, start, end):
    return plan_edges(elements, start, end, fine_structure_width=0.0, margins=(20.0, 0.0))


def test_a_heavy_element_is_quantified_through_the_edges_exspy_lacks():
    # exspy's database lists only Ir M4,5 (2 keV); below it Ir's N edges
    # (N4,5 296 eV, N3 496 eV under O K, N2 578 eV, N1 691 eV) hold its signal.
    energy = np.arange(240.0, 1000.0, 0.5)
    subshells = ["N5", "N4", "N3", "N2", "N1"]
    data = core_loss(energy, {"Ir": (100.0, subshells), "O": (200.0, ["K"])}, background=(5e4, 3.0))
    model = SpectrumModel(energy, ["Ir", "O"], SETTINGS)
    assert set(_fitted(model.decisions, "Ir")) == set(subshells)
    fit = model.fit(data)
    assert fit.fractions["Ir"] == pytest.approx(1 / 3, rel=0.05)
    assert fit.fractions["O"] == pytest.approx(2 / 3, rel=0.05)


def test_minor_subshells_share_the_amount_of_the_main_edge():
    energy = np.arange(100.0, 900.0, 0.5)
    subshells = ["M5", "M4", "M3", "M2", "M1"]
    data = core_loss(energy, {"Y": (100.0, subshells), "O": (150.0, ["K"])}, background=(5e4, 3.0))
    model = SpectrumModel(energy, ["Y", "O"], SETTINGS)
    fitted = _fitted(model.decisions, "Y")
    # Y M1 (392 eV) is not in exspy's database: the tables add it.
    assert fitted["M1"].status == "added"
    fit = model.fit(data)
    assert fit.fractions["Y"] == pytest.approx(0.4, rel=0.05)


def test_a_lanthanide_gets_no_n_edges_beyond_its_giant_resonance():
    # Its N4,5 giant resonance, which one-electron tables do not hold, would
    # set the size of N3, N2 and N1 tied to the same amount.
    fitted = _fitted(_plan(["Dy"], 100.0, 900.0), "Dy")
    assert {"N4", "N5"} <= set(fitted)
    assert not {"N3", "N2", "N1"} & set(fitted)


def test_weaker_edges_of_a_shell_go_with_its_main_edge_cut_by_the_start():
    decisions = _plan(["Ir"], 285.0, 1000.0)
    ir = {d.subshell: d for d in decisions if d.element == "Ir"}
    assert not any(ir[s].fitted for s in ("N5", "N4", "N3", "N2", "N1"))
    assert "cut by the start" in ir["N3"].reason
    # Starting well below N4,5, the whole N shell is fitted.
    assert {"N5", "N4", "N3", "N2", "N1"} <= set(_fitted(_plan(["Ir"], 240.0, 1000.0), "Ir"))


def test_an_element_with_minor_subshells_alone_is_not_fitted():
    # Ti L1 (564 eV) without L2,3 (456/462 eV, below the window) is too weak.
    ti = {d.subshell: d for d in _plan(["Ti"], 500.0, 900.0) if d.element == "Ti"}
    assert not ti["L1"].fitted and "only minor subshells" in ti["L1"].reason


def test_a_second_name_for_an_edge_is_not_a_second_edge():
    # exspy's database lists C K and C K1a (both 284 eV), K L1 and K L1a:
    # one table at one onset, fitted once.
    for element, names in (("C", {"K"}), ("K", {"L3", "L2", "L1"})):
        assert set(_fitted(_plan([element], 150.0, 1000.0), element)) == names


def test_another_elements_weaker_edges_stay_its_own_in_a_local_window():
    # In a local window of Ga L2,3 (1115/1142 eV) La's M4,5 (832/849 eV)
    # lies below the start; La's M3 (1123 eV) and M2 (1204 eV) must stay
    # La's, not become Ga's.
    from eels_autoid.identification._windows import SIGNIFICANT, family_range

    energy = np.arange(700.0, 1700.0, 1.0)
    la = ["M5", "M4", "M3", "M2", "M1"]
    data = core_loss(energy, {"La": (200.0, la)}, background=(4e5, 3.0), seed=3)
    window = family_range([1115.0, 1142.0])
    evidence = {}
    for minor_alone in ((), ("La",)):
        model = SpectrumModel(
            energy, ["La", "Ga"], SETTINGS, fit_range=window, minor_alone=minor_alone
        )
        assert ("La" in model.modelled) is bool(minor_alone)
        fit = model.fit(data, offset=0.0)
        evidence[bool(minor_alone)] = model.evidence(fit, ["Ga"])
    # Without La's weaker edges Ga takes them; with them Ga has no evidence.
    assert evidence[False] > SIGNIFICANT
    assert evidence[True] < SIGNIFICANT


def test_the_check_does_not_confirm_an_element_for_anothers_weaker_edges():
    from eels_autoid.identification._check import check_spectrum

    energy = np.arange(700.0, 1700.0, 1.0)
    la = ["M5", "M4", "M3", "M2", "M1"]
    for seed in (3, 4):
        data = core_loss(energy, {"La": (200.0, la)}, background=(4e5, 3.0), seed=seed)
        proposed = {"La": 0.99, "Ga": 0.9}
        result = check_spectrum(energy, data, proposed, dict.fromkeys(proposed, 0.5), SETTINGS)
        assert result.elements == ["La"]
        assert result.checks["Ga"].rival == "La"
