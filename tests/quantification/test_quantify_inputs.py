"""quantify on bad or partial input: clear errors, warnings with defined results, no side effect."""

import csv
import warnings

import numpy as np
import pytest
from quant_synthetic import AMOUNTS, ENERGY, LL_ENERGY, core_loss, eels_signal

from eels_autoid import quantify
from eels_autoid.quantification import DEFAULT_MICROSCOPE


def _snapshot(signal):
    axes = [
        (ax.name, ax.units, ax.offset, ax.scale, ax.size, ax.navigate)
        for ax in signal.axes_manager._axes
    ]
    return signal.data.copy(), str(signal.metadata), axes, type(signal)


def test_missing_microscope_settings_warn_and_use_the_defaults(oxide):
    bare = eels_signal(oxide.data.copy(), ENERGY[0], 1.0, microscope=False)
    with pytest.warns(UserWarning, match="beam energy") as record:
        q = quantify(bare, elements=["O", "Ti"])
    text = str(record[0].message)
    assert "200 kV" in text and "20 mrad" in text
    assert q.microscope == DEFAULT_MICROSCOPE
    assert sorted(q.defaulted_settings) == sorted(DEFAULT_MICROSCOPE)
    # The defaults live in the model's copy, never in the user's signal.
    assert not bare.metadata.has_item("Acquisition_instrument")
    tem = q.model.signal.metadata.Acquisition_instrument.TEM
    assert tem.beam_energy == 200.0 and tem.Detector.EELS.collection_angle == 20.0
    # Given settings override: only the missing one is defaulted.
    with pytest.warns(UserWarning, match="convergence angle") as record:
        q = quantify(bare, elements=["O", "Ti"], beam_energy=300.0, collection_angle=30.0)
    assert "beam energy" not in str(record[0].message)
    assert q.microscope["beam_energy"] == 300.0 and q.defaulted_settings == ["convergence_angle"]


def test_invalid_microscope_settings_are_refused(oxide):
    with pytest.raises(ValueError, match="beam_energy"):
        quantify(oxide, elements=["O"], beam_energy=-200.0)


@pytest.mark.parametrize("units", ["keV", "nm"])
def test_energy_axis_must_be_in_ev(oxide, units):
    s = oxide.deepcopy()
    s.axes_manager.signal_axes[0].units = units
    with pytest.raises(ValueError, match="eV"):
        quantify(s, elements=["O", "Ti"])


def test_element_without_an_edge_in_the_window_is_dropped(oxide):
    with pytest.warns(UserWarning, match="Si"):
        q = quantify(oxide, elements=["O", "Ti", "Si"])
    assert q.elements == ["O", "Ti"]
    assert "Si" in q.dropped_elements
    assert "Si" not in q.maps
    np.testing.assert_allclose(q.atomic_fractions["O"].data, 0.75, rtol=0.03)


@pytest.mark.parametrize("absent", ["Fe", "Mn"])
def test_an_element_the_fit_gives_nothing_warns_and_stays_at_zero(absent):
    # O and Ti only, noiseless: the absent element's L2,3 edge lies in the
    # window, so it is fitted, and nothing in the spectrum is its.
    data = core_loss(ENERGY, AMOUNTS, background=(4e4, 3.0), noise=False)
    signal = eels_signal(data, ENERGY[0], 1.0)
    with pytest.warns(UserWarning, match=f"^{absent}: the fit of the mean spectrum gives no"):
        q = quantify(signal, elements=["O", "Ti", absent])
    fractions = {r.element: float(r.atomic_fraction) for r in q.summary()}
    assert fractions[absent] == pytest.approx(0.0, abs=1e-3)
    assert fractions["O"] == pytest.approx(0.75, rel=0.01)
    # The elements that are there do not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        quantify(signal, elements=["O", "Ti"])


def test_a_window_covering_no_edge_of_the_elements_is_an_error(oxide):
    with pytest.raises(ValueError, match="covers no edge"):
        quantify(oxide, elements=["Si", "Au"])


def test_edges_too_close_to_the_window_ends_are_dropped(oxide):
    # Ti L3,2 at 456/462 eV lie 16 eV above the start at 440 eV.
    with pytest.warns(UserWarning, match="Ti"):
        q = quantify(oxide, elements=["O", "Ti"], signal_range=(440.0, 900.0))
    dropped = {d.name: d.reason for d in q.dropped_edges}
    assert "no pre-edge background" in dropped["Ti_L3"]
    assert "cut by the start" in dropped["Ti_L1"]
    assert q.elements == ["O"]
    # Smaller margins keep it.
    q = quantify(
        oxide, elements=["O", "Ti"], signal_range=(440.0, 900.0), edge_margins=(10.0, 30.0)
    )
    assert q.elements == ["O", "Ti"]


def test_low_loss_of_another_navigation_shape_is_an_error(dual_eels):
    core, low = dual_eels
    with pytest.raises(ValueError, match="navigation shape"):
        quantify(core, elements=["O", "Ti"], low_loss=low.inav[0])


def test_low_loss_of_another_dispersion_is_an_error(dual_eels):
    core, low = dual_eels
    other = low.deepcopy()
    other.axes_manager.signal_axes[0].scale = 0.5
    with pytest.raises(ValueError, match="dispersion"):
        quantify(core, elements=["O", "Ti"], low_loss=other)


def test_unknown_elements_and_options_are_refused(oxide):
    with pytest.raises(ValueError, match="Xx"):
        quantify(oxide, elements=["O", "Xx"])
    with pytest.raises(ValueError, match="edge_margins"):
        quantify(oxide, elements=["O"], edge_margins=(10.0,))
    with pytest.raises(ValueError, match="signal_range"):
        quantify(oxide, elements=["O"], signal_range=(2000.0, 3000.0))
    with pytest.raises(TypeError):
        quantify(oxide.data, elements=["O"])


def test_the_signal_and_low_loss_are_unchanged(dual_eels):
    core, low = dual_eels
    core = core.deepcopy()
    core.metadata.set_item("Sample.elements", ["O"])
    del core.metadata.Acquisition_instrument.TEM.convergence_angle
    before, before_ll = _snapshot(core), _snapshot(low)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        q = quantify(core, elements=["O", "Ti"], low_loss=low)
        q.model_signal()
    for now, then in ((_snapshot(core), before), (_snapshot(low), before_ll)):
        np.testing.assert_array_equal(now[0], then[0])
        assert now[1:] == then[1:]
    # The model works on the same data, never a copy.
    assert np.shares_memory(q.model.signal.data, core.data)


def test_identification_supplies_the_elements(oxide, tiny_model):
    from eels_autoid import identify_edges

    result = identify_edges(oxide, model=tiny_model, threshold=1e-6)
    assert {"O", "Ti"} <= set(result.elements)
    # Explicit elements override the identification, which is kept.
    q = quantify(oxide, result, elements=["O", "Ti"])
    assert q.elements == ["O", "Ti"] and q.identification is result
    assert q.element_source == "elements argument"
    none = identify_edges(oxide, model=tiny_model, threshold=1 - 1e-6)
    with pytest.raises(ValueError, match="no element to quantify"):
        quantify(oxide, none)
    with pytest.raises(ValueError, match="navigation shape"):
        quantify(oxide.inav[0], result)


def test_metadata_elements_are_used_and_the_method_delegates(oxide):
    s = oxide.deepcopy()
    s.set_signal_type("EELS_autoid")
    s.add_elements(["O", "Ti"])
    q = s.quantify()
    assert q.elements == ["O", "Ti"] and q.element_source == "metadata.Sample.elements"
    direct = quantify(oxide, elements=["O", "Ti"])
    np.testing.assert_allclose(q.maps["Ti"].data, direct.maps["Ti"].data)


def test_summary_table_and_saved_files(oxide, tmp_path):
    q = quantify(oxide, elements=["O", "Ti"])
    table = q.summary()
    assert [r.element for r in table] == ["O", "Ti"]
    assert abs(table[0].atomic_fraction - 0.75) < 0.03
    assert "atomic fraction" in str(q) and "O" in repr(q)
    written = q.save(tmp_path / "quant")
    assert all(p.is_file() for p in written)
    names = {p.name for p in written}
    assert {"O.hspy", "Ti_uncertainty.hspy", "Ti.png", "quantification.png"} <= names
    import hyperspy.api as hs

    ti = hs.load(tmp_path / "quant" / "Ti.hspy")
    assert ti.metadata.General.title == "Ti" and ti.metadata.Sample.elements == ["Ti"]
    np.testing.assert_allclose(ti.data, q.maps["Ti"].data)
    with open(tmp_path / "quant" / "quantification.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["element", "edges", "atomic_fraction"] and len(rows) == 3


def test_unmeasured_channels_are_left_out_unless_they_take_an_edge(oxide):
    clean = quantify(oxide, elements=["O", "Ti"])
    s = oxide.deepcopy()
    energy = s.axes_manager.signal_axes[0].axis
    dead = int(np.argmin(np.abs(energy - 700.0)))
    s.data[:, :, dead] = np.nan  # a dead channel in every spectrum
    s.data[0, 1, dead - 20 : dead - 18] = np.inf  # and a masked spike in one
    s.data[1, 0, (energy >= 380) & (energy < 440)] = np.nan  # a gap in the pre-edge
    s.data[1, 2, (energy >= 560) & (energy < 760)] = np.nan  # most of O K's continuum
    before = s.data.copy()
    with pytest.warns(UserWarning, match="too few measured"):
        q = quantify(s, elements=["O", "Ti"])
    np.testing.assert_array_equal(s.data, before)
    assert np.isnan(q.maps["O"].data[1, 2]) and np.isnan(q.maps["Ti"].data[1, 2])
    ok = np.ones((2, 3), dtype=bool)
    ok[1, 2] = False
    for el in ("O", "Ti"):
        np.testing.assert_allclose(q.maps[el].data[ok], clean.maps[el].data[ok], rtol=0.01)
    rejected = q.rejected_channels.data - clean.rejected_channels.data
    assert rejected[0, 1] == 3 and rejected[0, 0] == 1 and rejected[1, 0] == 61


def test_a_detector_gap_in_every_spectrum_is_left_out(oxide):
    # The mean spectrum, whose model sets every pixel's background and
    # weights, has no value there either.
    clean = quantify(oxide, elements=["O", "Ti"])
    s = oxide.deepcopy()
    energy = s.axes_manager.signal_axes[0].axis
    s.data[:, :, (energy >= 400) & (energy < 420)] = np.nan
    q = quantify(s, elements=["O", "Ti"])
    for el in ("O", "Ti"):
        np.testing.assert_allclose(q.maps[el].data, clean.maps[el].data, rtol=0.01)
    np.testing.assert_array_equal(q.rejected_channels.data - clean.rejected_channels.data, 20)


def test_low_loss_without_zero_loss_is_an_error(dual_eels):
    core, low = dual_eels
    shifted = low.deepcopy()
    shifted.axes_manager.signal_axes[0].offset = LL_ENERGY[0] + 500.0
    with pytest.raises(ValueError, match="0 eV"):
        quantify(core, elements=["O", "Ti"], low_loss=shifted)


def test_noisy_channels_near_zero_do_not_outweigh_an_edge(real_spectra_dir):
    """h-BN: the noisy far tail (channels near 0 counts) must not silence N K."""
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "hBN_highloss.dm3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = quantify(s, elements=["B", "N"])
    fractions = {r.element: r.atomic_fraction for r in q.summary()}
    assert 0.3 < fractions["N"] < 0.7 and 0.3 < fractions["B"] < 0.7


def test_spectra_without_any_edge_warn_and_give_nan_fractions(oxide):
    """A vacuum pixel has no element to take a share of: NaN, with a warning, amounts kept."""
    s = oxide.deepcopy()
    s.data[1, 2] = 0.0
    with pytest.warns(UserWarning, match="In 1 of 6 spectra no element's edges"):
        q = quantify(s, elements=["O", "Ti"])
    assert np.isnan(q.maps["O"].data[1, 2]) and np.isnan(q.maps["Ti"].data[1, 2])
    assert np.isfinite(q.maps["O"].data[0, 0])
    assert oxide.data[1, 2].sum() > 0  # the user's signal is untouched


def test_low_count_rim_of_a_real_map_is_reported(real_spectra_dir):
    """FeOx: the rim pixels (a tenth of the counts) show no edge; they are named, not hidden."""
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "FeOx_SI_19x17.dm3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q = quantify(s, elements=["Fe", "O"])
    empty = np.isnan(q.maps["Fe"].data)
    messages = [str(w.message) for w in caught if "no element's edges" in str(w.message)]
    assert len(messages) == 1 and f"In {int(empty.sum())} of {empty.size} spectra" in messages[0]
    counts = s.data.sum(axis=-1)
    assert 0 < empty.sum() < empty.size / 2
    assert np.median(counts[empty]) < 0.5 * np.median(counts[~empty])
