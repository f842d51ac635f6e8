"""The BCE + macro soft-F1 loss on cases worked out by hand."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from eels_autoid.models import BCESoftF1, macro_soft_f1_cost  # noqa: E402


def _np(v):
    return float(keras.ops.convert_to_numpy(v))


def test_perfect_predictions_cost_zero_when_every_class_occurs():
    y = np.array([[1, 0, 1], [0, 1, 0]], dtype="float32")
    assert _np(macro_soft_f1_cost(y, y)) == pytest.approx(0.0, abs=1e-6)


def test_soft_f1_by_hand():
    y = np.array([[1, 0], [0, 1]], dtype="float32")
    p = np.array([[0.5, 0.5], [0.0, 1.0]], dtype="float32")
    # class 0: tp 0.5, fp 0, fn 0.5 -> F1 = 1 / 1.5; class 1: tp 1, fp 0.5, fn 0 -> 2 / 2.5
    expected = ((1 - 1 / 1.5) + (1 - 2 / 2.5)) / 2
    assert _np(macro_soft_f1_cost(y, p)) == pytest.approx(expected, rel=1e-6)


def test_absent_class_costs_one_as_published_or_is_ignored():
    y = np.array([[1, 0], [1, 0]], dtype="float32")
    p = np.array([[1, 0], [1, 0]], dtype="float32")
    # Class 1 has no positives: 0 / (0 + eps) = 0 -> cost 1, averaged over 2 classes.
    assert _np(macro_soft_f1_cost(y, p)) == pytest.approx(0.5)
    assert _np(macro_soft_f1_cost(y, p, present_only=True)) == pytest.approx(0.0, abs=1e-6)


def test_total_loss_is_bce_plus_soft_f1():
    y = np.array([[1, 0], [0, 1]], dtype="float32")
    p = np.array([[0.8, 0.3], [0.1, 0.6]], dtype="float32")
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    tp, fp, fn = (p * y).sum(0), (p * (1 - y)).sum(0), ((1 - p) * y).sum(0)
    cost = np.mean(1 - 2 * tp / (2 * tp + fp + fn))
    assert _np(BCESoftF1()(y, p)) == pytest.approx(bce + cost, rel=1e-5)
    assert _np(BCESoftF1(soft_f1_weight=0)(y, p)) == pytest.approx(bce, rel=1e-5)


def test_loss_config_round_trip():
    loss = BCESoftF1(soft_f1_weight=0.5, present_only=True)
    again = BCESoftF1.from_config(loss.get_config())
    assert (again.soft_f1_weight, again.present_only) == (0.5, True)
