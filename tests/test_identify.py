"""identify_edges and EdgeIdentification: shapes, batching, laziness, bad input."""

import json
import warnings

import numpy as np
import pytest
from autoid_testing import make_spectrum

import eels_autoid
from eels_autoid import ELEMENTS, identify_edges


def _signal(data, offset=300.0, scale=1.0, units="eV", signal_type="EELS_autoid"):
    import hyperspy.api as hs

    s = hs.signals.Signal1D(data)
    ax = s.axes_manager.signal_axes[0]
    ax.offset, ax.scale, ax.units = offset, scale, units
    s.set_signal_type(signal_type)
    return s


@pytest.fixture(scope="module")
def spectrum_image():
    return _signal(make_spectrum(nav_shape=(5, 7)))


def test_shapes_for_spectrum_line_scan_and_image(tiny_model, spectrum_image):
    r = identify_edges(spectrum_image, model=tiny_model)
    assert r.probabilities.data.shape == (5, 7, 80)
    assert r.probabilities.axes_manager.navigation_shape == (7, 5)
    assert r.probabilities.metadata.EELS_autoid.elements == list(ELEMENTS)
    assert r.get_map("O").axes_manager.signal_shape == (7, 5)
    line = identify_edges(spectrum_image.inav[:, 0], model=tiny_model)
    assert line.probabilities.data.shape == (7, 80)
    assert line.get_map("O").axes_manager.signal_dimension == 1
    single = identify_edges(spectrum_image.inav[0, 0], model=tiny_model)
    assert single.probabilities.data.shape == (80,)
    with pytest.raises(ValueError, match="single spectrum has no map"):
        single.get_map("O")


def test_batched_inference_equals_spectrum_by_spectrum(tiny_model, spectrum_image):
    r = identify_edges(spectrum_image, model=tiny_model, batch_size=4)
    for iy, ix in [(0, 0), (2, 5), (4, 6)]:
        one = identify_edges(spectrum_image.inav[ix, iy], model=tiny_model)
        np.testing.assert_allclose(r.probabilities.data[iy, ix], one.probabilities.data, atol=1e-5)


def test_lazy_input_gives_lazy_output_with_equal_values(tiny_model, spectrum_image):
    eager = identify_edges(spectrum_image, model=tiny_model)
    lazy = identify_edges(spectrum_image.as_lazy(), model=tiny_model)
    assert lazy.probabilities._lazy
    np.testing.assert_allclose(lazy.probabilities.data.compute(), eager.probabilities.data)
    assert lazy.elements == eager.elements
    computed = identify_edges(spectrum_image.as_lazy(), model=tiny_model, lazy_output=False)
    assert not computed.probabilities._lazy


def test_blocks_bound_the_spectra_per_chunk():
    from eels_autoid.identification._identify import _as_dask

    darr = _as_dask(np.zeros((256, 256, 8), dtype=np.float32))
    assert np.prod([max(c) for c in darr.chunks[:-1]]) <= 4096
    assert darr.chunks[-1] == (8,)


def test_the_function_never_modifies_the_input(tiny_model, spectrum_image):
    s = spectrum_image.deepcopy()
    before = s.metadata.as_dictionary()
    identify_edges(s, model=tiny_model, threshold=0.01)
    np.testing.assert_array_equal(s.data, spectrum_image.data)
    assert s.metadata.as_dictionary() == before


def test_the_method_writes_detected_elements_to_sample(tiny_model, spectrum_image):
    s = spectrum_image.deepcopy()
    r = s.identify_edges(model=tiny_model, threshold=0.01)
    assert r.elements
    assert sorted(s.metadata.Sample.elements) == r.elements
    np.testing.assert_array_equal(s.data, spectrum_image.data)
    s2 = spectrum_image.deepcopy()
    s2.identify_edges(model=tiny_model, threshold=0.01, add_elements=False)
    assert not s2.metadata.has_item("Sample.elements")


def test_detection_rules_area_fraction_and_observability(tiny_model):
    from eels_autoid.identification import EdgeIdentification

    s = _signal(np.ones((10, 10, 300)), offset=400.0)  # 400..699 eV: O K, Ti L, Mn L observable
    p = np.zeros((10, 10, 80), dtype=np.float32)
    o, mn, fe, u = (ELEMENTS.index(x) for x in ("O", "Mn", "Fe", "Ti"))
    p[..., o] = 0.9  # everywhere
    p[0, :3, mn] = 0.9  # 3 % of the pixels
    p[..., fe] = 0.9  # Fe L2,3 at 708 eV lies outside the window: not observable
    p[0, 0, u] = 0.9  # 1 pixel
    r = EdgeIdentification(
        p,
        s,
        np.full(80, 0.5),
        eels_autoid.observable_elements(400, 699),
        0.02,
        tiny_model,
        (400.0, 699.0),
    )
    assert r.elements == ["Mn", "O"]
    assert "Fe" not in r.observable
    assert r.area_fraction("Mn") == pytest.approx(0.03)
    rows = r.summary()
    assert rows[0].element == "O" and rows[0].detected
    assert [x.element for x in rows].index("Ti") < len(rows)
    with pytest.warns(UserWarning, match="no edge in the measured range"):
        r.get_map("Fe")


def test_thresholds_from_argument(tiny_model, spectrum_image):
    high = identify_edges(spectrum_image, model=tiny_model, threshold=0.99)
    assert high.elements == []
    low = identify_edges(spectrum_image, model=tiny_model, threshold=0.01)
    assert low.elements == sorted(low.observable)
    per = identify_edges(spectrum_image, model=tiny_model, threshold={"O": 0.01})
    assert "O" in per.elements
    with pytest.raises(ValueError, match="Unknown elements"):
        identify_edges(spectrum_image, model=tiny_model, threshold={"U": 0.2})


def test_summary_csv_and_plot(tmp_path, tiny_model, spectrum_image):
    r = identify_edges(spectrum_image, model=tiny_model, threshold=0.3)
    r.summary().to_csv(tmp_path / "summary.csv")
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    # The stable columns first, then the check's.
    assert lines[0] == (
        "element,detected,max_probability,mean_probability,area_fraction,edges_in_range,"
        "evidence,fraction,checked_probability,rival,found_by"
    )
    assert len(lines) == 1 + len(r.observable)
    assert {ln.split(",")[1] for ln in lines[1:]} <= {"true", "false"}
    assert r.plot() is None
    assert "EdgeIdentification" in repr(r)


def test_kev_axis_equals_ev_axis(tiny_model):
    data = make_spectrum(nav_shape=(2,))
    ev = identify_edges(_signal(data, 300.0, 1.0, "eV"), model=tiny_model)
    kev = identify_edges(_signal(data, 0.3, 0.001, "keV"), model=tiny_model)
    np.testing.assert_allclose(kev.probabilities.data, ev.probabilities.data, atol=1e-6)


def test_low_loss_aligns_on_the_zero_loss_peak(tiny_model):
    e = np.arange(-20.0, 80.0, 0.1)
    ll = _signal(np.exp(-0.5 * ((e - 4.0) / 0.4) ** 2) * 1e5 + 10, offset=-20.0, scale=0.1)
    s = _signal(make_spectrum())
    r = identify_edges(s, model=tiny_model, low_loss=ll)
    assert r.energy_shift == pytest.approx(-4.0, abs=0.05)
    assert r.energy_range[0] == pytest.approx(296.0, abs=0.05)
    assert s.axes_manager.signal_axes[0].offset == 300.0  # untouched
    with pytest.raises(ValueError, match="navigation shape"):
        identify_edges(
            _signal(make_spectrum(nav_shape=(3,))),
            model=tiny_model,
            low_loss=_signal(np.ones((2, 100))),
        )


# ---------------------------------------------------------------- bad input
def test_signal_dimension_other_than_one(tiny_model):
    import hyperspy.api as hs

    with pytest.raises(ValueError, match="signal dimension 2"):
        identify_edges(hs.signals.Signal2D(np.ones((8, 8))), model=tiny_model)
    with pytest.raises(TypeError, match="HyperSpy signal"):
        identify_edges(np.ones(100), model=tiny_model)


def test_non_energy_units(tiny_model):
    with pytest.raises(ValueError, match="not an energy"):
        identify_edges(_signal(make_spectrum(), units="nm"), model=tiny_model)
    with pytest.warns(UserWarning, match="no units; assuming eV"):
        identify_edges(_signal(make_spectrum(), units="<undefined>"), model=tiny_model)


def test_non_uniform_axis(tiny_model):
    s = _signal(make_spectrum(size=100))
    s.axes_manager.signal_axes[0].convert_to_non_uniform_axis()
    with pytest.raises(ValueError, match="non-uniform"):
        identify_edges(s, model=tiny_model)


def test_nan_and_inf_warn_and_give_finite_probabilities(tiny_model):
    data = make_spectrum(nav_shape=(2,))
    data[0, 100:120] = np.nan
    data[1, 5] = np.inf
    with pytest.warns(UserWarning, match="NaN or inf"):
        r = identify_edges(_signal(data), model=tiny_model)
    assert np.isfinite(r.probabilities.data).all()


def test_all_zero_spectra_warn_and_get_zero_probability(tiny_model):
    data = make_spectrum(nav_shape=(3,))
    data[1] = 0
    with pytest.warns(UserWarning, match="all zero"):
        r = identify_edges(_signal(data), model=tiny_model)
    assert (r.probabilities.data[1] == 0).all() and (r.probabilities.data[0] > 0).all()


def test_negative_values_are_normal(tiny_model):
    data = make_spectrum(nav_shape=(2,)) - 5000.0  # dark-subtracted: many negatives
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The input checks alone (the spectrum-model check warns that the
        # background looks subtracted).
        r = identify_edges(_signal(data), model=tiny_model, check=False)
    assert np.isfinite(r.probabilities.data).all()


def test_window_outside_the_model_range(tiny_model):
    with pytest.raises(ValueError, match="outside the model's range"):
        identify_edges(_signal(make_spectrum(offset=3500.0), offset=3500.0), model=tiny_model)
    with pytest.raises(ValueError, match="outside the model's range"):
        identify_edges(_signal(np.ones(100), offset=-50.0), model=tiny_model)
    with pytest.warns(UserWarning, match="only 2800..3071 eV is used"):
        r = identify_edges(
            _signal(make_spectrum(offset=2800.0, size=600), offset=2800.0), model=tiny_model
        )
    assert r.energy_range == (2800.0, 3071.0)


def test_empty_navigation(tiny_model):
    with pytest.raises(ValueError, match="empty"):
        identify_edges(_signal(np.zeros((0, 100))), model=tiny_model)


def test_missing_and_corrupt_model_files(tmp_path, spectrum_image):
    with pytest.raises(FileNotFoundError, match="nope.keras"):
        identify_edges(spectrum_image, model=tmp_path / "nope.keras")
    bad = tmp_path / "corrupt.keras"
    bad.write_bytes(b"this is not a keras archive")
    with pytest.raises(ValueError, match="corrupt.keras"):
        identify_edges(spectrum_image, model=bad)
    card = tmp_path / "card.json"
    card.write_text("{not json")
    with pytest.raises(ValueError, match="card.json"):
        identify_edges(spectrum_image, model=card)


def test_without_a_bundled_model_the_error_says_so(spectrum_image, tmp_path, monkeypatch):
    # An installation whose weights folder is empty (a broken or trimmed install).
    monkeypatch.setattr("eels_autoid.models._card._weights_dir", lambda: tmp_path)
    assert eels_autoid.bundled_models() == []
    with pytest.raises(FileNotFoundError, match="no bundled identification model"):
        identify_edges(spectrum_image)


def test_model_files_load_in_safe_mode(tmp_path):
    """A Lambda layer (arbitrary code) must not be deserialised."""
    import keras

    inp = keras.Input((3072, 2))
    out = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=1))(inp)
    out = keras.layers.Dense(80, activation="sigmoid")(out)
    path = tmp_path / "lambda.keras"
    keras.Model(inp, out).save(path)
    with pytest.raises(ValueError, match="lambda.keras"):
        eels_autoid.load_model(path)


def test_card_with_a_different_vocabulary_is_refused(tmp_path, tiny_model_path):
    import shutil

    target = tmp_path / "other.keras"
    shutil.copy(tiny_model_path, target)
    target.with_suffix(".json").write_text(json.dumps({"name": "x", "elements": ["O", "N"]}))
    with pytest.raises(ValueError, match="output elements"):
        eels_autoid.load_model(target)


# ---------------------------------------------------------------- real files
def _real_files(d):
    return sorted(json.loads((d / "labels.json").read_text()))


def test_every_real_file_loads_as_eels_autoid_and_is_identified(real_spectra_dir, tiny_model):
    import hyperspy.api as hs

    from eels_autoid.signals import EELSAutoIDSpectrum, LazyEELSAutoIDSpectrum

    names = _real_files(real_spectra_dir)
    assert len(names) == 69
    for name in names:
        path = real_spectra_dir / name
        s = hs.load(path, signal_type="EELS_autoid")
        assert type(s) is EELSAutoIDSpectrum, name
        try:
            lazy = hs.load(path, signal_type="EELS_autoid", lazy=True)
        except Exception:  # readers without lazy support
            lazy = s.as_lazy()
        assert type(lazy) is LazyEELSAutoIDSpectrum, name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            r = identify_edges(lazy if s.axes_manager.navigation_size > 1 else s, model=tiny_model)
        nav = s.data.shape[:-1]
        assert r.probabilities.data.shape == (*nav, 80), name
        assert np.isfinite(np.asarray(r.probabilities.data)).all(), name
        assert set(r.elements) <= set(r.observable)


def test_two_models_in_one_process_give_their_own_results(tmp_path, tiny_model, spectrum_image):
    # The model's dask token is its identity (not a pickle of its weights):
    # two networks must never share a task key and so a cached result.
    from autoid_testing import build_tiny_network

    from eels_autoid.models import ModelCard

    build_tiny_network(seed=1).save(tmp_path / "other.keras")
    ModelCard(name="tiny", threshold=0.5).save(tmp_path / "other.json")
    other = eels_autoid.load_model(tmp_path / "other.keras")
    a = identify_edges(spectrum_image, model=tiny_model, lazy_output=True)
    b = identify_edges(spectrum_image, model=other, lazy_output=True)
    assert a.probabilities.data.name != b.probabilities.data.name
    pa, pb = a.probabilities.data.compute(), b.probabilities.data.compute()
    assert not np.allclose(pa, pb)
    eager = identify_edges(spectrum_image, model=tiny_model).probabilities.data
    np.testing.assert_allclose(pa, eager)


def test_every_entry_point_shares_the_map_rule_default():
    import inspect

    from eels_autoid.identification import MIN_AREA_FRACTION
    from eels_autoid.signals import EELSAutoIDSpectrum

    for func in (identify_edges, EELSAutoIDSpectrum.identify_edges, eels_autoid.quantify):
        default = inspect.signature(func).parameters["min_area_fraction"].default
        assert default == MIN_AREA_FRACTION, func
    assert f"default {MIN_AREA_FRACTION:g}" in identify_edges.__doc__


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_bundled_model_finds_exactly_the_demo_superlattice_elements(seed, bundled_default):
    # The LaMnO3/BaTiO3/SrTiO3 superlattice of `eels-autoid demo`: Sb M4,5
    # (528 eV) under O K and I M4,5 (620 eV) near Mn L3 were reported in 4..19 %
    # of its pixels until the M4,5 specialist took over Ru..Cs.
    from eels_autoid.simulate import superlattice

    result = identify_edges(superlattice((24, 48), seed=seed), model=bundled_default)
    assert set(result.elements) == {"O", "Ti", "Mn", "Ba", "La"}
