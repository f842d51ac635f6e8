"""Calibration expects white lines where the edges that carry them rise."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "quantification"))
from quant_synthetic import SETTINGS  # noqa: E402

from eels_autoid._white_lines import WHITE_LINE_RATIO  # noqa: E402
from eels_autoid.spectrum_model import SpectrumModel  # noqa: E402
from eels_autoid.spectrum_model._edges import element_cross_section  # noqa: E402


def _onsets(model, element):
    return {d.subshell: d.onset for d in model.decisions if d.element == element and d.fitted}


def test_rise_column_is_the_table_where_an_edge_has_no_white_lines():
    energy = np.arange(450.0, 700.0, 0.5)
    model = SpectrumModel(energy, ["O"], SETTINGS)
    table = element_cross_section("O", model._subshells("O"), energy, SETTINGS)
    assert np.array_equal(model.rise_column("O", energy), table)


def test_rise_column_puts_a_white_line_pair_above_its_onsets_in_its_ratio():
    energy = np.arange(1100.0, 1400.0, 0.25)
    model = SpectrumModel(energy, ["Gd"], SETTINGS)
    onsets = _onsets(model, "Gd")
    lines = model.rise_column("Gd", energy) - element_cross_section(
        "Gd", model._subshells("Gd"), energy, SETTINGS
    )
    peaks = {}
    for sub in ("M5", "M4"):
        near = np.abs(energy - onsets[sub]) < 8
        k = np.argmax(np.where(near, lines, -np.inf))
        peaks[sub] = (energy[k] - onsets[sub], lines[k])
    # Both lines sit within the few eV above their onsets where white lines peak.
    assert all(0.5 <= d <= 3.0 for d, _ in peaks.values())
    # Gd's M5 line is the larger, by its typical ratio.
    assert peaks["M5"][1] / peaks["M4"][1] == pytest.approx(WHITE_LINE_RATIO["Gd"], rel=0.05)


@pytest.mark.parametrize("spike", [False, True])
@pytest.mark.parametrize("error", [-10.0, 12.0])
def test_a_lanthanide_m45_window_with_white_lines_calibrates_itself(error, spike):
    # Gd M4,5 as an oxide shows it: the tables' step with two sharp lines on
    # top, 1.5 eV above the onsets, the M5 one six times the jump. The axis is
    # read ``error`` eV off.
    true = np.arange(1080.0, 1420.0, 0.5)
    reference = SpectrumModel(true, ["Gd"], SETTINGS)
    onsets = _onsets(reference, "Gd")
    edge = element_cross_section("Gd", reference._subshells("Gd"), true, SETTINGS)
    below, above = element_cross_section(
        "Gd", reference._subshells("Gd"), np.array([onsets["M5"] - 2, onsets["M5"] + 10]), SETTINGS
    )
    jump = above - below
    sigma = 1.5 / 2.355
    lines = sum(
        h * 6 * jump * np.exp(-0.5 * ((true - onsets[sub] - 1.5) / sigma) ** 2)
        for sub, h in (("M5", 1.0), ("M4", 1 / WHITE_LINE_RATIO["Gd"]))
    )
    scale = 5e4 / float(np.max(edge))
    clean = 3e5 * (true / true[0]) ** -3.0 + scale * (edge + lines)
    counts = np.random.default_rng(3).poisson(clean).astype(float)
    if spike:
        # An X-ray hit two channels wide, 7 eV below the M5 onset.
        at = int(np.searchsorted(true, onsets["M5"] - 7.0))
        counts[at : at + 2] += 3 * float(np.max(scale * lines))

    read = true - error
    cal = SpectrumModel(read, ["Gd"], SETTINGS).calibrate(counts)
    assert cal.offset == pytest.approx(error, abs=2.0)


def test_an_edge_too_close_to_the_start_to_be_fitted_still_places_the_axis():
    # TiO2 read 10 eV high from 440 eV: Ti L3's tabulated onset (456 eV) lies
    # 16 eV into the window, too close to its start to be fitted, but its
    # white lines rise 26 eV in, and with O K they place the axis.
    true = np.arange(430.0, 700.0, 0.25)
    reference = SpectrumModel(true, ["O", "Ti"], SETTINGS)
    onsets = _onsets(reference, "Ti")
    o_k = element_cross_section("O", ["K"], true, SETTINGS)
    ti = element_cross_section("Ti", ["L3", "L2", "L1"], true, SETTINGS)
    jump = float(np.interp(onsets["L3"] + 10, true, ti))
    sigma = 1.5 / 2.355
    lines = sum(
        h * 4 * jump * np.exp(-0.5 * ((true - onsets[sub] - 1.5) / sigma) ** 2)
        for sub, h in (("L3", 1.0), ("L2", 1 / WHITE_LINE_RATIO["Ti"]))
    )
    edges = 2.0 * o_k + ti + lines
    clean = 2e5 * (true / true[0]) ** -3.0 + 3e4 * edges / float(np.max(edges))
    counts = np.random.default_rng(5).poisson(clean).astype(float)

    model = SpectrumModel(true + 10.0, ["O", "Ti"], SETTINGS)
    assert model.modelled == ["O"]
    cal = model.calibrate(counts)
    placed = {s.element: s.shift for s in model.edge_shifts}
    assert placed["Ti"] == pytest.approx(-10.0, abs=3.0)
    assert cal.offset == pytest.approx(-10.0, abs=2.0)
