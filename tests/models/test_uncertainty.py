"""The uncertainty an IdentificationModel reports: member spread, or Bernoulli std of one."""

import numpy as np
import pytest

pytest.importorskip("keras")

from autoid_testing import build_tiny_network  # noqa: E402

from eels_autoid.models import IdentificationModel, ModelCard  # noqa: E402


def _inputs(n=5):
    x = np.random.default_rng(2).normal(size=(n, 3072, 2)).astype(np.float32)
    x[..., 1] = 1.0
    return x


def test_ensemble_spread_is_the_std_over_members():
    nets = [build_tiny_network(seed=s) for s in (0, 1)]
    model = IdentificationModel(nets, ModelCard(name="two"))
    x = _inputs()
    mean, spread = model.predict(x, member_spread=True)
    each = np.stack([np.asarray(n.predict_on_batch(x)) for n in nets])
    np.testing.assert_allclose(mean, each.mean(0), rtol=1e-5)
    np.testing.assert_allclose(spread, each.std(0), rtol=1e-4, atol=1e-7)
    assert spread.max() > 0


def test_single_network_uncertainty_is_the_bernoulli_std():
    model = IdentificationModel([build_tiny_network(seed=3)], ModelCard(name="one"))
    mean, spread = model.predict(_inputs(), member_spread=True)
    np.testing.assert_allclose(spread, np.sqrt(mean * (1 - mean)), rtol=1e-6)
    # Largest where the network is least sure.
    assert np.all(spread <= 0.5 + 1e-7)
