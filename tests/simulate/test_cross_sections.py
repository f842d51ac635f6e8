"""Cross-sections: the GOS-table path against exspy's EELSCLEdge with the same file."""

import numpy as np
import pytest

from eels_autoid.simulate import GoshTables, simulate_batch
from eels_autoid.simulate._edges import BANK_ANGLES, effective_angle, gos_module_available

from .conftest import recorded_axis, window

needs_gos = pytest.mark.skipif(
    not gos_module_available(), reason="eels_autoid.gos tables not built"
)


def _exspy_edge(element, subshell, beam_energy, beta, alpha):
    pytest.importorskip("exspy")
    from exspy.components import EELSCLEdge

    from eels_autoid.gos import gosh_file

    edge = EELSCLEdge(f"{element}_{subshell}", GOS="dft", gos_file_path=str(gosh_file()))
    edge.E0 = beam_energy
    edge.collection_angle = beta
    edge.convergence_angle = alpha
    return edge


@needs_gos
@pytest.mark.parametrize(
    "element, subshell, alpha",
    [
        ("Ti", "L3", 0.0),
        ("O", "K", 5.0),
        ("La", "M5", 10.0),
        ("Fe", "L1", 0.0),
        ("Sr", "M3", 2.0),
        ("Ba", "N4", 0.0),
    ],
)
def test_tables_match_exspy_edge(element, subshell, alpha):
    from eels_autoid.gos import gosh_file

    edge = _exspy_edge(element, subshell, 200.0, 20.0, alpha)
    onset = edge.onset_energy.value
    energy = np.linspace(onset + 0.5, onset + 600, 700)
    ref = edge.function(energy)
    ours = GoshTables(gosh_file()).cross_section(element, subshell, energy, 200.0, 20.0, alpha)
    assert np.all(ref > 0)
    np.testing.assert_allclose(ours, ref, rtol=0.01)


def test_effective_angle_matches_exspy():
    pytest.importorskip("exspy")
    from exspy._misc.eels.effective_angle import effective_angle as exspy_angle

    for e0, e, a, b in [(200, 456, 5, 20), (60, 1000, 20, 10), (300, 100, 1, 100)]:
        assert effective_angle(e0, e, a, b) == pytest.approx(exspy_angle(e0, e, a, b), rel=1e-9)


@needs_gos
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
    from eels_autoid.vocabulary import subshell_onsets

    ons = subshell_onsets(element)
    far = np.all([np.abs(energy - ons[s]) > 4 for s in subshells], axis=0) & (ref > 0)
    assert far.sum() > 500
    np.testing.assert_allclose(per_ev[far], ref[far], rtol=0.01)


@needs_gos
@pytest.mark.parametrize(
    "element, subshell", [("Mn", "L3"), ("Ce", "M4"), ("Zr", "M2"), ("Ta", "N5")]
)
def test_tables_match_the_gos_module(element, subshell):
    """The simulator reads the same tables as eels_autoid.gos.cross_section."""
    from eels_autoid.gos import cross_section, gosh_file
    from eels_autoid.vocabulary import subshell_onsets

    onset = subshell_onsets(element)[subshell]
    energy = np.linspace(onset + 1, onset + 500, 400)
    ref = cross_section(element, subshell, energy, 120.0, 30.0, 8.0)
    ours = GoshTables(gosh_file()).cross_section(element, subshell, energy, 120.0, 30.0, 8.0)
    np.testing.assert_allclose(ours, ref, rtol=0.01)


def test_bank_rows_are_the_summed_subshells(bank):
    k = bank.setting_index(200.0, BANK_ANGLES[4])
    row = bank.table[bank.rows(["Fe"], [k])[0]]
    e0, angle = bank.setting(k)
    direct = sum(
        bank.provider.cross_section_effective("Fe", s, bank.energies, float(e0), float(angle))
        for s in bank.onsets("Fe")
    )
    np.testing.assert_allclose(row, direct, rtol=1e-5, atol=1e-6 * direct.max())


def test_hydrogenic_stand_in_simulates():
    """Without the project's tables the simulator still runs on exspy's hydrogenic edges."""
    pytest.importorskip("exspy")
    from exspy.components import EELSCLEdge

    from eels_autoid.simulate import CrossSectionBank, HydrogenicStandIn

    provider = HydrogenicStandIn()
    edge = EELSCLEdge("O_K", GOS="hydrogenic")
    edge.E0, edge.collection_angle = 200.0, 20.0
    edge.effective_angle.value = 20.0  # parallel beam: the collection angle
    edge._integrate_GOS()  # a model does this when the component is added
    energy = np.linspace(540, 900, 50)
    np.testing.assert_allclose(
        provider.cross_section("O", "K", energy, 200.0, 20.0), edge.function(energy), rtol=1e-6
    )
    bank = CrossSectionBank(provider, cache_dir=False)
    sim = simulate_batch(
        4,
        seed=0,
        elements=["Ti", "O"],
        bank=bank,
        beam_energy=(200.0,),
        collection_angle=(20.0, 20.0),
        convergence_angle=(5.0, 5.0),
        edge_ratio=(1.0, 1.0),
        **window(400.0, 0.5, 800),
    )
    assert sim["labels"].sum(1).min() >= 1
