"""Metrics against small cases counted by hand."""

import numpy as np
import pytest

from eels_autoid.evaluation import (
    best_threshold,
    confused_pairs,
    decide,
    evaluate_arrays,
    kong_accuracies,
    micro_scores,
    per_element_table,
    per_element_thresholds,
    reliability_curve,
    sensitivity_study,
    support_weighted_scores,
    threshold_sweep,
)

EL = ("A", "B", "C", "D")
# Row 0: A found, B missed, D false alarm. Row 1: B and C found. Row 2: nothing, rightly.
Y_TRUE = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
Y_PRED = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0]])


def test_micro_scores_by_hand():
    s = micro_scores(Y_TRUE, Y_PRED, elements=EL)
    tp, fp, fn = 3, 1, 1
    assert (s["tp"], s["fp"], s["fn"]) == (tp, fp, fn)
    assert s["precision"] == pytest.approx(tp / (tp + fp))
    assert s["recall"] == pytest.approx(tp / (tp + fn))
    assert s["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert s["exact_match"] == pytest.approx(2 / 3)


def test_unobservable_pairs_do_not_count():
    obs = np.ones_like(Y_TRUE, dtype=bool)
    obs[0, 3] = False  # D not observable in spectrum 0: its false alarm vanishes
    s = micro_scores(Y_TRUE, Y_PRED, observable=obs, elements=EL)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 0, 1)
    assert s["f1"] == pytest.approx(6 / 7)
    assert s["exact_match"] == pytest.approx(2 / 3)  # spectrum 0 still misses B


def test_excluded_element_is_left_out():
    s = micro_scores(Y_TRUE, Y_PRED, exclude=("B",), elements=EL)
    assert (s["tp"], s["fp"], s["fn"]) == (2, 1, 0)
    assert s["f1"] == pytest.approx(4 / 5)
    with pytest.raises(ValueError):
        micro_scores(Y_TRUE, Y_PRED, exclude=("Q",), elements=EL)


def test_support_weighted_by_hand():
    s = support_weighted_scores(Y_TRUE, Y_PRED, elements=EL)
    # A: support 1, P=R=F1=1. B: support 2, P=1, R=1/2, F1=2/3. C: support 1, all 1.
    # D has no support: no weight.
    assert s["support"] == 4
    assert s["precision"] == pytest.approx(1.0)
    assert s["recall"] == pytest.approx((1 + 2 * 0.5 + 1) / 4)
    assert s["f1"] == pytest.approx((1 + 2 * 2 / 3 + 1) / 4)


def test_per_element_table():
    rows = {r["element"]: r for r in per_element_table(Y_TRUE, Y_PRED, elements=EL)}
    assert (rows["B"]["tp"], rows["B"]["fn"], rows["B"]["support"]) == (1, 1, 2)
    assert (rows["D"]["fp"], rows["D"]["support"]) == (1, 0)
    assert np.isnan(rows["D"]["recall"])


def test_kong_accuracies():
    k = kong_accuracies(Y_TRUE, Y_PRED, elements=EL)
    assert k["exact_accuracy"] == pytest.approx(2 / 3)
    assert k["recognition_accuracy"] == pytest.approx(2 / 3)
    # An extra element spoils exact accuracy but not recognition.
    k = kong_accuracies([[1, 0]], [[1, 1]], elements=("A", "B"))
    assert (k["exact_accuracy"], k["recognition_accuracy"]) == (0.0, 1.0)


def test_confused_pairs():
    y_true = [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
    y_pred = [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    pairs = confused_pairs(y_true, y_pred, elements=("La", "Ce", "Pr"))
    assert pairs[0] == ("Ce", "La", 2)
    assert ("Pr", "Ce", 1) in pairs


def test_decide_is_strictly_greater():
    assert decide([[0.5, 0.51]], 0.5).tolist() == [[False, True]]
    assert decide([[0.5, 0.5]], np.array([0.4, 0.6])).tolist() == [[True, False]]


def test_threshold_sweep_and_best_threshold():
    y_true = np.array([[1, 0], [0, 1], [1, 1]])
    y_prob = np.where(y_true == 1, 0.7, 0.3)
    rows = {r["threshold"]: r for r in threshold_sweep(y_true, y_prob, elements=("A", "B"))}
    assert rows[0.5]["f1"] == 1.0
    assert rows[0.8]["recall"] == 0.0
    assert rows[0.25]["precision"] == pytest.approx(4 / 6)  # every pair reported
    # Every threshold in [0.3, 0.7) is perfect; the tie goes to the one nearest 0.5.
    assert best_threshold(y_true, y_prob, elements=("A", "B")) == 0.5


def test_per_element_thresholds():
    rng = np.random.default_rng(0)
    y = (rng.random((200, 2)) < 0.5).astype(int)
    p = np.where(y == 1, 0.3, 0.1)  # element A separable only below 0.3
    p[:, 1] = np.where(y[:, 1] == 1, 0.9, 0.1)  # element B fine at 0.5
    out = per_element_thresholds(y, p, elements=("A", "B"))
    assert set(out) == {"A"} and 0.1 <= out["A"] < 0.3
    assert per_element_thresholds(y[:5], p[:5], elements=("A", "B"), min_support=20) == {}


def test_reliability_curve():
    # 40 pairs predicted 0.25, a quarter of them true: perfectly calibrated.
    y = np.zeros((10, 4))
    y[:, 0] = 1
    r = reliability_curve(y, np.full((10, 4), 0.25), n_bins=4, elements=EL)
    assert r["count"].tolist() == [0, 40, 0, 0]
    assert r["observed_frequency"][1] == pytest.approx(0.25)
    assert r["ece"] == pytest.approx(0.0)
    r = reliability_curve(np.zeros((5, 4)), np.full((5, 4), 0.9), n_bins=10, elements=EL)
    assert r["ece"] == pytest.approx(0.9)
    assert r["brier"] == pytest.approx(0.81)


def test_sensitivity_study():
    # Element A at strengths 0.01..0.08: found from 0.05 on.
    s = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08])
    y_true = np.ones((8, 1))
    y_pred = (s >= 0.05)[:, None]
    out = sensitivity_study(y_true, y_pred, s[:, None], bins=[0, 0.025, 0.05, 0.075, 0.1],
                            elements=("A",))  # fmt: skip
    a = out["A"]
    assert a["n"] == 8
    assert a["weakest_found"] == pytest.approx(0.05)
    assert a["limit"] == pytest.approx(0.05)
    np.testing.assert_allclose(a["rate"], [0, 0, 1, 1])


def test_evaluate_arrays_groups():
    # evaluate_arrays works on the 80-element vocabulary.
    y_true = np.zeros((3, 80))
    y_true[0, 5] = y_true[1, 6] = 1
    y_prob = y_true * 0.9
    y_prob[2, 7] = 0.8  # a false alarm in group y
    rep = evaluate_arrays(y_true, y_prob, 0.5, groups=["x", "x", "y"])
    assert rep["by_group"]["x"]["f1"] == 1.0
    assert rep["by_group"]["y"]["fp"] == 1
    assert rep["micro"]["exact_match"] == pytest.approx(2 / 3)
