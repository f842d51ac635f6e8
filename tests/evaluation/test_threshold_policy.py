"""The threshold policy: the best mean micro F1 over one or more data sets."""

import numpy as np
import pytest

from eels_autoid.evaluation import best_threshold, threshold_sweep

THRESHOLDS = (0.3, 0.4, 0.5, 0.6)


def _sweep(f1, exact=(0.5, 0.5, 0.5, 0.5)):
    rows = zip(THRESHOLDS, f1, exact, strict=True)
    return [dict(threshold=t, f1=f, exact_match=e) for t, f, e in rows]


def test_each_data_set_weighs_equally():
    simulated = _sweep([0.60, 0.70, 0.68, 0.50])  # best alone at 0.4
    real = _sweep([0.80, 0.70, 0.90, 0.95])  # best alone at 0.6
    assert best_threshold(sweeps=[simulated]) == 0.4
    assert best_threshold(sweeps=[real]) == 0.6
    # Means 0.70, 0.70, 0.79, 0.725: neither set's own choice.
    assert best_threshold(sweeps=[simulated, real]) == 0.5
    # Equal weights whatever the sizes of the sets: the order does not matter.
    assert best_threshold(sweeps=[real, simulated]) == 0.5


def test_thresholds_where_a_set_has_no_f1_are_skipped():
    simulated = _sweep([0.5, 0.6, 0.7, 0.99])
    real = _sweep([0.5, 0.6, 0.7, float("nan")])  # nothing reported at 0.6
    assert best_threshold(sweeps=[simulated, real]) == 0.5
    nothing = _sweep([float("nan")] * 4)
    assert best_threshold(sweeps=[simulated, nothing]) == 0.5


def test_ties_go_to_exact_match_then_to_the_threshold_nearest_one_half():
    f1 = [0.7, 0.8, 0.6, 0.8]
    assert best_threshold(sweeps=[_sweep(f1, exact=[0.1, 0.2, 0.3, 0.4])]) == 0.6
    assert best_threshold(sweeps=[_sweep(f1, exact=[0.1, 0.4, 0.3, 0.2])]) == 0.4
    even = _sweep([0.8, 0.7, 0.7, 0.8]), _sweep([0.6, 0.9, 0.9, 0.6])
    assert best_threshold(sweeps=even) == 0.5  # 0.4 and 0.5 tie; 0.5 is nearer


def test_arrays_follow_the_same_rule_as_their_sweep():
    rng = np.random.default_rng(3)
    y = (rng.random((200, 4)) < 0.3).astype(int)
    p = np.clip(0.35 * y + rng.random((200, 4)) * 0.6, 0, 1)
    elements = ("A", "B", "C", "D")
    thresholds = np.round(np.arange(0.05, 0.951, 0.01), 2)
    by_arrays = best_threshold(y, p, thresholds, exclude=("C",), elements=elements)
    sweep = threshold_sweep(y, p, thresholds, exclude=("C",), elements=elements)
    assert by_arrays == best_threshold(sweeps=[sweep])
    best = max(r["f1"] for r in sweep)
    assert [r["f1"] for r in sweep if r["threshold"] == by_arrays] == [best]
    # Leaving an element out changes what is optimal.
    assert by_arrays != best_threshold(y, p, thresholds, elements=elements)


def test_the_sets_must_be_swept_alike():
    with pytest.raises(ValueError, match="same thresholds"):
        best_threshold(sweeps=[_sweep([0.1] * 4), _sweep([0.1] * 4)[:3]])
    with pytest.raises(TypeError, match="not both"):
        best_threshold(np.ones((1, 2)), np.ones((1, 2)), sweeps=[_sweep([0.1] * 4)])
    with pytest.raises(TypeError, match="or sweeps"):
        best_threshold()
