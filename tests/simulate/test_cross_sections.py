"""Cross-sections: the simulator's bank against eels_autoid.gos and exspy's EELSCLEdge."""

import numpy as np
import pytest

from eels_autoid import gos
from eels_autoid.simulate import CrossSectionBank, _edges, simulate_batch
from eels_autoid.simulate._edges import BANK_ANGLES, MIN_SUBSHELL_ONSET, effective_angle
from eels_autoid.vocabulary import subshell_onsets

from .conftest import recorded_axis, window


def _exspy_edge(element, subshell, beam_energy, beta, alpha):
    pytest.importorskip("exspy")
    from exspy.components import EELSCLEdge

    edge = EELSCLEdge(f"{element}_{subshell}", GOS="dft", gos_file_path=str(gos.gosh_file()))
    edge.E0 = beam_energy
    edge.collection_angle = beta
    edge.convergence_angle = alpha
    return edge


def test_effective_angle_matches_exspy():
    pytest.importorskip("exspy")
    from exspy._misc.eels.effective_angle import effective_angle as exspy_angle

    for e0, e, a, b in [(200, 456, 5, 20), (60, 1000, 20, 10), (300, 100, 1, 100)]:
        assert effective_angle(e0, e, a, b) == pytest.approx(exspy_angle(e0, e, a, b), rel=1e-9)


@pytest.mark.parametrize("element, start", [("B", 150.0), ("Si", 110.0), ("O", 480.0)])
def test_isolated_simulated_edge_matches_exspy(bank, quiet, element, start):
    """The simulator's edge alone (no blur, plural scattering, fine structure,
    shifts) is the sum of exspy's EELSCLEdge components of all the element's
    subshells in the bank (elements whose subshells exspy all knows)."""
    subshells = tuple(bank.onsets(element))
    if element == "O":
        subshells = ("K",)  # O L1 (41.6 eV, xraydb) is unknown to exspy: shown negligible below
    beta = BANK_ANGLES[5]  # a bank node: no snapping of the angle
    sim = simulate_batch(
        1,
        seed=3,
        elements=[element],
        bank=bank,
        noise=False,
        components=True,
        beam_energy=(200.0,),
        collection_angle=(beta, beta),
        convergence_angle=(0.0, 0.0),
        chemical_shift=(0.0, 0.0),
        thickness=(0.0, 0.0),
        zlp_fwhm=(0.0, 0.0),
        psf_gaussian_fwhm=(0.0, 0.0),
        psf_lorentzian_hwhm=(0.0, 0.0),
        fs_amplitude=(0.0, 0.0),
        white_line=(0.0, 0.0),
        resonance_peak=(0.0, 0.0),
        fine_points=8192,
        **window(start, 0.5, 1000),
        **quiet,
    )
    energy = recorded_axis(sim, 0)
    per_ev = sim["components"]["edges"][0] / sim["truth"]["edge_scale"][0] / sim["scale"][0]
    ref = sum(_exspy_edge(element, s, 200.0, beta, 0.0).function(energy) for s in subshells)
    # Away from the onsets, where the one-fine-step blur of the kernel matters.
    ons = subshell_onsets(element)
    far = np.all([np.abs(energy - ons[s]) > 4 for s in subshells], axis=0) & (ref > 0)
    assert far.sum() > 500
    np.testing.assert_allclose(per_ev[far], ref[far], rtol=0.01)


# Light and heavy elements, K to N subshells, combined L2,3 names (Na, Al),
# settings from the first to the last of the bank's grid.
@pytest.mark.parametrize("element", ["B", "Na", "Al", "Fe", "Sr", "Ce", "Au", "Bi"])
def test_bank_rows_are_the_gos_modules_cross_sections(tmp_path, element):
    """One integration code path: every bank row is the sum of eels_autoid.gos's
    cross-sections of the element's subshells, to the table's float32 rounding."""
    bank = CrossSectionBank(cache_dir=tmp_path)
    settings = np.array([0, 7, 22, 31, 40, bank.n_settings - 1])
    rows = bank.rows([element] * len(settings), settings)
    names = bank.onsets(element)
    assert names and min(names.values()) >= MIN_SUBSHELL_ONSET
    for row, k in zip(rows, settings, strict=True):
        e0, angle = bank.setting(k)
        direct = sum(
            gos.cross_section(element, name, bank.energies, float(e0), float(angle))
            for name in names
        )
        assert direct.max() > 0
        np.testing.assert_allclose(bank.table[row], direct, rtol=1e-6, atol=1e-9 * direct.max())


def test_bank_holds_every_tabulated_subshell_from_30_ev():
    bank = CrossSectionBank(cache_dir=False)
    fe = bank.onsets("Fe")
    assert set(fe) == {"L3", "L2", "L1", "M3", "M2", "M1"}  # K (7.1 keV): no table
    assert all(onset >= MIN_SUBSHELL_ONSET for onset in fe.values())
    assert "L2,3" in bank.onsets("Al")  # one name for the pair, one table


def test_bank_disk_cache_serves_only_tables_of_the_same_computation(tmp_path, monkeypatch):
    first = CrossSectionBank(cache_dir=tmp_path)
    first.build_all(["B"])
    key = first.cache_key()
    # A new bank with the same key loads the saved block instead of integrating.
    saved = np.load(first._path("B"))
    saved[:] = 1.0
    np.save(first._path("B"), saved)
    second = CrossSectionBank(cache_dir=tmp_path)
    assert np.all(second.table[second.rows(["B"], [3])[0]] == 1.0)
    # Another version of the tables' computation must not reuse it.
    monkeypatch.setattr(_edges, "TABLES_VERSION", _edges.TABLES_VERSION + 1)
    third = CrossSectionBank(cache_dir=tmp_path)
    assert third.cache_key() != key
    row = third.table[third.rows(["B"], [3])[0]]
    e0, angle = third.setting(3)
    direct = gos.cross_section("B", "K", third.energies, float(e0), float(angle))
    assert list(third.onsets("B")) == ["K"]
    np.testing.assert_allclose(row, direct, rtol=1e-6, atol=1e-9 * direct.max())
