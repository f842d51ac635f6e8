"""Training batches, the batched model input, the HDF5 sets and the HyperSpy wrappers."""

import numpy as np
import pytest

from eels_autoid.preprocessing import model_input
from eels_autoid.simulate import (
    TrainingBatches,
    batch_model_input,
    labels,
    read_dataset,
    simulate_batch,
    spectra,
    superlattice,
    training_batches,
    write_dataset,
)
from eels_autoid.vocabulary import ELEMENTS


def test_batch_model_input_equals_model_input(bank):
    sim = simulate_batch(48, seed=31, bank=bank)
    assert sim["scale"].min() < 1 < sim["scale"].max()
    x = batch_model_input(sim["counts"], sim["offset"], sim["scale"], sim["size"])
    for i in range(48):
        n = sim["size"][i]
        ref = model_input(sim["counts"][i, :n], sim["offset"][i], sim["scale"][i])[0]
        np.testing.assert_array_equal(x[i, :, 1], ref[:, 1])
        np.testing.assert_allclose(x[i, :, 0], ref[:, 0], atol=2e-4, rtol=1e-4)


def test_training_batches_numpy(bank):
    ds = training_batches(32, seed=5, keras=False, steps_per_epoch=3)
    assert isinstance(ds, TrainingBatches) and len(ds) == 3
    x, y = ds[0]
    assert x.shape == (32, 3072, 2) and x.dtype == np.float32
    assert y.shape == (32, 80) and set(np.unique(y)) <= {0.0, 1.0}
    x2, y2 = training_batches(32, seed=5, keras=False)[0]
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, _ = ds[1]
    assert not np.array_equal(x, x3)
    # A new window per spectrum: the measured masks differ.
    assert len({tuple(np.nonzero(m)[0][[0, -1]]) for m in x[:, :, 1] if m.any()}) > 20


def test_training_batches_keras():
    pytest.importorskip("keras")
    import keras

    ds = training_batches(8, seed=1, steps_per_epoch=2)
    assert isinstance(ds, keras.utils.PyDataset)
    x, y = ds[0]
    assert x.shape == (8, 3072, 2)
    first = x.copy()
    ds.on_epoch_end()
    assert not np.array_equal(ds[0][0], first)  # a new epoch draws new spectra


def test_dataset_is_deterministic(tmp_path):
    a = write_dataset(tmp_path / "a.h5", (40, 10, 10), seed=7, batch_size=16)
    b = write_dataset(tmp_path / "b.h5", (40, 10, 10), seed=7, batch_size=16)
    for split in ("train", "validation", "test"):
        xa, ya = read_dataset(a, split)
        xb, yb = read_dataset(b, split)
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    x, y = read_dataset(a, "train")
    assert x.shape == (40, 3072, 2) and y.shape == (40, 80) and y.sum() > 0
    assert not np.array_equal(read_dataset(a, "test")[1], read_dataset(a, "validation")[1])


def test_spectra_signal(bank):
    pytest.importorskip("exspy")
    kw = dict(elements=["Mn", "O"], seed=3, beam_energy=300.0, axis=(360.0, 0.2, 2048))
    s = spectra(25, edge_ratio=(0.1, 2.0), **kw)
    assert type(s).__name__ == "EELSSpectrum"
    assert s.axes_manager.navigation_shape == (25,)
    ax = s.axes_manager.signal_axes[0]
    assert (ax.offset, ax.scale, ax.size) == (360.0, 0.2, 2048)
    assert s.metadata.Acquisition_instrument.TEM.beam_energy == 300.0
    y = labels(s)
    assert y.shape == (25, 80)
    assert y[:, ELEMENTS.index("Mn")].all() and y[:, ELEMENTS.index("O")].any()
    assert set(s.metadata.Sample.elements) == {ELEMENTS[k] for k in np.nonzero(y.any(0))[0]}
    np.testing.assert_allclose(s.metadata.Simulation.composition.sum(1), 1.0)
    again = spectra(25, edge_ratio=(0.1, 2.0), **kw)
    assert np.array_equal(s.data, again.data)


def test_random_spectra_share_one_axis_and_setting(bank):
    pytest.importorskip("exspy")
    s = spectra(30, seed=4)
    assert s.data.shape[0] == 30
    for k in ("beam_energy", "convergence_angle"):
        assert np.isscalar(s.metadata.Acquisition_instrument.TEM[k])
    assert labels(s).shape == (30, 80)


def test_superlattice_truth(bank):
    pytest.importorskip("exspy")
    m = superlattice((6, 24), seed=2, period=4)
    assert m.axes_manager.navigation_shape == (24, 6)
    y = labels(m).reshape(6, 24, 80)
    col = lambda el: y[..., ELEMENTS.index(el)]  # noqa: E731
    layer = (np.arange(24) // 4) % 3  # LaMnO3, BaTiO3, SrTiO3
    assert col("La")[:, layer == 0].all() and not col("La")[:, layer != 0].any()
    assert col("Ti")[:, layer != 0].all() and not col("Ti")[:, layer == 0].any()
    assert col("O").all()
    assert not col("Sr").any()  # no Sr edge in 400..1000 eV


def test_spectrum_image_shares_spectrometer_and_specimen(bank):
    """One map: one energy offset and scale and one resolution; seeds differ."""
    pytest.importorskip("exspy")
    sims = [superlattice((3, 12), seed=seed, period=4) for seed in (4, 5)]
    for m in sims:
        sim = m.metadata.Simulation
        for key in (
            "instrument_shift",
            "scale_error",
            "background_exponent",
            "zlp_fwhm",
            "psf_gaussian_fwhm",
        ):
            values = np.asarray(sim[key]).ravel()
            assert np.all(values == values[0]), key
        assert np.ptp(sim.thickness) > 0  # jittered per pixel
    assert (
        sims[0].metadata.Simulation.instrument_shift[0, 0]
        != (sims[1].metadata.Simulation.instrument_shift[0, 0])
    )
