"""quantify on lazy signals: block by block, bounded memory, any dask scheduler."""

import numpy as np
import pytest
from quant_synthetic import AMOUNTS, ENERGY, core_loss, eels_signal

from eels_autoid import quantify

ELEMENTS = ["O", "Ti"]


@pytest.fixture(scope="module")
def two_phase():
    """40 x 40 pixels (more than one block of spectra): TiO2-like and O-rich halves."""
    rich = {"O": (300.0, ["K"]), "Ti": (50.0, ["L3", "L2", "L1"])}
    half = (20, 40)
    data = np.concatenate(
        [
            core_loss(ENERGY, AMOUNTS, nav_shape=half, background=(4e4, 3.0), seed=3),
            core_loss(ENERGY, rich, nav_shape=half, background=(4e4, 3.0), seed=4),
        ]
    ).astype(np.float32)
    return eels_signal(data, ENERGY[0], 1.0)


def _lazy(signal, chunks=(7, 40, 600)):
    import dask.array as da

    s = signal.as_lazy()
    s.data = da.from_array(signal.data, chunks=chunks)
    s.set_signal_type("EELS_autoid")
    return s


def test_lazy_signal_is_fitted_block_by_block(two_phase):
    from dask.callbacks import Callback

    lazy = _lazy(two_phase)
    assert type(lazy).__name__ == "LazyEELSAutoIDSpectrum"
    sizes = []

    class Record(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            sizes.append(getattr(result, "size", 0))

    with Record():
        q = lazy.quantify(elements=ELEMENTS)
    # No task ever held the whole data set (1600 spectra x 600 channels).
    assert max(sizes) < two_phase.data.size / 1.5
    direct = quantify(two_phase, elements=ELEMENTS)
    for el in ELEMENTS:
        np.testing.assert_allclose(q.maps[el].data, direct.maps[el].data, rtol=1e-8)
        np.testing.assert_allclose(
            q.uncertainties[el].data, direct.uncertainties[el].data, rtol=1e-6
        )
    top, bottom = q.maps["Ti"].data[:20], q.maps["Ti"].data[20:]
    np.testing.assert_allclose(np.median(top), 0.25, rtol=0.05)
    np.testing.assert_allclose(np.median(bottom), 50 / 350, rtol=0.05)
    model = q.model_signal()
    assert model._lazy
    np.testing.assert_allclose(
        model.inav[:3, :2].data.compute(), direct.model_signal().inav[:3, :2].data, rtol=1e-6
    )


def test_a_distributed_client_gives_the_same_maps(two_phase):
    distributed = pytest.importorskip("distributed")

    lazy = _lazy(two_phase, chunks=(10, 40, 300))
    local = quantify(lazy, elements=ELEMENTS)
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote = quantify(lazy, elements=ELEMENTS)
        remote_model = remote.model_signal().inav[:2, :2].data.compute()
    for el in ELEMENTS:
        np.testing.assert_allclose(remote.maps[el].data, local.maps[el].data, rtol=1e-10)
    np.testing.assert_allclose(
        remote_model, local.model_signal().inav[:2, :2].data.compute(), rtol=1e-10
    )
