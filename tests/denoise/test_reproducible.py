"""The seed fixes a denoising run; warnings point at the caller."""

import numpy as np
import pytest


def test_same_seed_same_denoising(two_phase):
    """Held-out tiles, the training subset and the network all follow the seed."""
    from eels_autoid.denoise import autoencoder

    s = two_phase.raw.inav[:16, :12]
    kw = {"seed": 3, "epochs": 2, "max_training_spectra": 100, "show_progressbar": False}
    a = autoencoder(s, **kw)
    b = autoencoder(s, **kw)
    assert a.timings["spectra_trained"] == 200
    np.testing.assert_array_equal(a.held_out, b.held_out)
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-5)
    # Tolerances only for non-deterministic GPU kernels; on the CPU they are equal.
    np.testing.assert_allclose(a.denoised.data, b.denoised.data, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a.latent.data, b.latent.data, rtol=1e-4, atol=1e-4)


def test_comparison_without_held_out_pixels_warns_at_the_call(two_phase):
    from eels_autoid.denoise import autoencoder

    s = two_phase.raw.inav[:16, :12]
    with pytest.warns(UserWarning, match="too small to hold out") as record:
        r = autoencoder(
            s, held_out_fraction=0.0, compare_pca=(3,), epochs=1, seed=0, show_progressbar=False
        )
    assert [w.filename for w in record if "hold out" in str(w.message)] == [__file__]
    assert r.held_out.all() and set(r.mse) == {"raw", "autoencoder", "pca_3"}
