"""quantify against known compositions: simulated maps and spectra built from the GOS."""

import numpy as np
import pytest
from quant_synthetic import AMOUNTS, ENERGY, core_loss, eels_signal

from eels_autoid import ELEMENTS, quantify
from eels_autoid.components import AutoIDEELSCLEdge


def _truth(signal, elements):
    """Atomic fractions among ``elements`` per pixel, from the simulator's record."""
    comp = np.asarray(signal.metadata.Simulation.composition)
    t = comp[..., [ELEMENTS.index(el) for el in elements]]
    return t / t.sum(axis=-1, keepdims=True)


def test_fractions_match_the_simulated_superlattice(superlattice_map):
    elements = ["O", "Ti", "Mn", "Ba", "La"]
    q = quantify(superlattice_map, elements=elements)
    assert q.elements == elements and not q.absolute
    truth = _truth(superlattice_map, elements)
    fractions = np.stack([q.atomic_fractions[el].data for el in elements], axis=-1)
    phases = np.unique(truth.reshape(-1, len(elements)).round(6), axis=0)
    assert len(phases) == 3
    for phase in phases:
        pixels = np.all(np.isclose(truth, phase, atol=1e-6), axis=-1)
        median = np.median(fractions[pixels], axis=0)
        present = phase > 0
        np.testing.assert_allclose(median[present], phase[present], rtol=0.10)
        assert np.all(median[~present] < 0.03), (phase, median)


def test_maps_are_navigation_signals_named_by_element(oxide):
    q = quantify(oxide, elements=["O", "Ti"])
    for el in q.elements:
        for sig in (q.maps[el], q.uncertainties[el]):
            assert sig.axes_manager.signal_shape == oxide.axes_manager.navigation_shape
            assert sig.metadata.Sample.elements == [el]
        assert q.maps[el].metadata.General.title == el
        assert q.maps[el].metadata.Signal.quantity == "Atomic fraction"
    np.testing.assert_allclose(q.maps["O"].data + q.maps["Ti"].data, 1.0)
    assert q.get_map("Ti") is q.maps["Ti"]
    with pytest.raises(ValueError, match="Mn"):
        q.get_map("Mn")


def test_uncertainties_match_the_scatter_of_poisson_noise():
    data = core_loss(ENERGY, AMOUNTS, nav_shape=(8, 8), background=(4e4, 3.0), seed=5)
    q = quantify(eels_signal(data, ENERGY[0], 1.0), elements=["O", "Ti"])
    for el in q.elements:
        scatter = np.std(q.atomic_fractions[el].data)
        error = np.median(q.fraction_uncertainties[el].data)
        assert 0.6 < error / scatter < 1.6, (el, error, scatter)
    ratio = np.median(q.reduced_chi2.data)
    assert 0.8 < ratio < 1.25  # Poisson counts: weighted residual variance about 1


@pytest.mark.parametrize("gain", [0.2, 7.0])
def test_uncertainties_cover_the_scatter_whatever_the_detector_gain(gain):
    """Files are rarely in electron counts: the stated errors follow the real scatter."""
    data = gain * core_loss(ENERGY, AMOUNTS, nav_shape=(8, 8), background=(4e4, 3.0), seed=6)
    q = quantify(eels_signal(data, ENERGY[0], 1.0), elements=["O", "Ti"])
    for el in q.elements:
        scatter = np.std(q.atomic_fractions[el].data)
        error = np.median(q.fraction_uncertainties[el].data)
        assert 0.6 < error / scatter < 1.6, (el, gain, error, scatter)
    assert np.median(q.reduced_chi2.data) == pytest.approx(gain, rel=0.25)
    assert q.spectrum_fit.noise.gain == pytest.approx(gain / 64, rel=0.25)  # of the mean


def test_absolute_areal_densities_with_a_low_loss(dual_eels):
    core, low = dual_eels
    q = quantify(core, elements=["O", "Ti"], low_loss=low)
    assert q.absolute and q.maps is q.areal_densities
    for el, (density, _) in AMOUNTS.items():
        m = q.areal_densities[el]
        assert m.metadata.Signal.quantity == "Areal density (atoms/nm^2)"
        np.testing.assert_allclose(m.data, density, rtol=0.03)
        # The truth lies within a few standard errors.
        assert np.all(np.abs(m.data - density) < 5 * q.density_uncertainties[el].data)
    np.testing.assert_allclose(q.atomic_fractions["O"].data, 0.75, rtol=0.03)


def test_model_signal_includes_the_background(dual_eels):
    """The HyperSpy 2.5 workaround: the model signal holds background and edges."""
    core, low = dual_eels
    q = quantify(core, elements=["O", "Ti"], low_loss=low)
    full = q.model_signal()
    background = q.model_signal("background")
    edges = q.model_signal("edges")
    assert full.data.shape == core.data.shape
    np.testing.assert_allclose(full.data, background.data + edges.data, rtol=1e-10)
    # It reproduces the data (Poisson noise aside), background included.
    energy = core.axes_manager.signal_axes[0].axis
    pre_edge = energy < 440
    assert np.all(background.data[..., pre_edge] > 0.95 * core.data[..., pre_edge])
    rel = np.abs(full.data - core.data) / np.sqrt(core.data)
    assert np.median(rel) < 1.0
    # The same model as HyperSpy's own evaluation of exspy's components
    # (component by component, where its as_signal keeps the background).
    m = q.model
    powerlaws = [c for c in m if c not in m.edges]
    hs_background = m.as_signal(component_list=powerlaws, show_progressbar=False)
    hs_edges = m.as_signal(component_list=m.edges, show_progressbar=False)
    total = hs_background.data + hs_edges.data
    ok = np.isfinite(total)
    assert ok.sum() > 0.5 * total.size
    np.testing.assert_allclose(full.data[ok], total[ok], rtol=1e-6)


def test_hyperspy_multifit_of_the_returned_model_agrees(oxide):
    """The exspy model holds a linear problem HyperSpy itself can refit."""
    q = quantify(oxide, elements=["O", "Ti"], reject_spikes=False)
    masters = [c for c in q.model.edges if c.intensity.twin is None]
    ours = {c.element: c.intensity.map["values"].copy() for c in masters}
    q.model.multifit(optimizer="lstsq", show_progressbar=False)
    for c in masters:
        # HyperSpy's fit is unweighted, ours weighted: equal within the noise.
        np.testing.assert_allclose(c.intensity.map["values"], ours[c.element], rtol=0.02)


def test_sulfur_and_chlorine_k_edges_with_autoid_components():
    energy = 2300.0 + np.arange(650.0)
    amounts = {"S": (200.0, ["K"]), "Cl": (100.0, ["K"])}
    data = core_loss(
        energy, amounts, incident=1e12, background=(3e4, 3.0), nav_shape=(2, 2), seed=2
    )
    q = quantify(eels_signal(data, energy[0], 1.0), elements=["S", "Cl"])
    assert {d.name for d in q.added_edges} == {"S_K", "Cl_K"}
    edges = [c for c in q.model if isinstance(c, AutoIDEELSCLEdge)]
    assert sorted(c.name for c in edges) == ["Cl_K", "S_K"]
    np.testing.assert_allclose(q.atomic_fractions["S"].data, 2 / 3, rtol=0.05)
    np.testing.assert_allclose(q.atomic_fractions["Cl"].data, 1 / 3, rtol=0.08)


def test_lsmo_sto_line_scan_shows_both_sides(real_spectra_dir):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "LSMO_STO_linescan.hspy")
    q = quantify(s, elements=["O", "Ti", "Mn", "La"])
    assert q.elements == ["O", "Ti", "Mn", "La"]
    f = {el: q.atomic_fractions[el].data for el in q.elements}
    sto, lsmo = slice(0, 3), slice(5, None)
    # SrTiO3 pixels: Ti and O (Sr has no edge here); La0.7Sr0.3MnO3: La, Mn and O.
    assert np.all(f["Ti"][sto] > 0.15) and np.all(f["Ti"][lsmo] < 0.03)
    for el in ("Mn", "La"):
        assert np.all(f[el][lsmo] > 0.1) and np.all(f[el][sto] < 0.03)
    assert np.all(f["O"] > 0.5)


def test_oxide_fractions_without_low_loss(oxide):
    q = quantify(oxide, elements=["Ti", "O"])
    assert q.elements == ["O", "Ti"]  # Z order
    np.testing.assert_allclose(q.atomic_fractions["O"].data, 0.75, rtol=0.03)
    assert len(q.kept_edges) == 4 and not q.added_edges
    assert q.fit_range == (ENERGY[0], ENERGY[-1])
