"""Labels: present (in the composition), observable (vocabulary) and detectable
(3 sigma and 3 % of the rest in the edge's window)."""

import numpy as np
import pytest

from eels_autoid.simulate import DETECTION_MIN_RATIO, is_detectable, simulate_batch
from eels_autoid.vocabulary import ELEMENTS, observable_elements

from .conftest import recorded_axis, window


@pytest.fixture(scope="module")
def batch(bank):
    return simulate_batch(300, seed=11, bank=bank)


def test_labelled_elements_are_present_observable_detectable(batch):
    y = batch["labels"]
    assert y.shape == (300, 80) and y.dtype == np.uint8
    for i in range(300):
        start = batch["offset"][i]
        end = start + batch["scale"][i] * (batch["size"][i] - 1)
        comp = {c["element"] for c in batch["truth"]["composition"][i]}
        labelled = {ELEMENTS[k] for k in np.nonzero(y[i])[0]}
        observable = set(observable_elements(start, end))
        assert labelled <= comp
        assert labelled <= observable
        edges = batch["truth"]["edges"][i]
        for el in comp:
            windows = [e for e in edges if e["edge"].split()[0] == el]
            rule = any(e["detected"] for e in windows)
            # The stored flag is the rule applied to the stored counts.
            for e in windows:
                assert e["detected"] == bool(is_detectable(e["signal"], e["background"]))
            assert (el in labelled) == (el in observable and rule)


def test_both_positives_and_negatives(batch):
    n_labels = batch["labels"].sum(1)
    negative = np.mean(n_labels == 0)
    assert 0.02 < negative < 0.3
    assert n_labels.max() >= 3
    # Some composition elements are present but not labelled (weak or out of window).
    present = sum(len(c) for c in batch["truth"]["composition"])
    assert batch["labels"].sum() < present


def test_element_without_edge_in_window_is_not_labelled(bank):
    # Au: M4,5 at 2206 eV and no identification edge in 400..900 eV.
    sim = simulate_batch(
        20,
        seed=1,
        elements=["Mn", "O", "Au"],
        bank=bank,
        edge_ratio=(0.5, 2.0),
        **window(400.0, 0.25, 2000),
    )
    y = sim["labels"]
    assert not y[:, ELEMENTS.index("Au")].any()
    assert y[:, ELEMENTS.index("Mn")].all()


def test_weak_edge_below_rule_is_not_labelled(bank):
    sim = simulate_batch(
        10,
        seed=2,
        elements=["Ti"],
        bank=bank,
        edge_ratio=(1e-4, 1e-4),
        background_level=(100.0, 100.0),
        **window(400.0, 1.0, 300),
    )
    assert sim["labels"].sum() == 0
    strong = simulate_batch(
        10, seed=2, elements=["Ti"], bank=bank, edge_ratio=(1.0, 1.0), **window(400.0, 1.0, 300)
    )
    assert strong["labels"][:, ELEMENTS.index("Ti")].all()


def test_edge_far_above_the_noise_but_tiny_against_the_background_is_not_labelled(bank):
    # 1e7 counts per channel: an edge of 1 % of the background is hundreds of
    # sigma above the Poisson noise, yet no power-law extrapolation finds it.
    kw = dict(elements=["Ti"], bank=bank, background_level=(1e7, 1e7), **window(400.0, 1.0, 300))
    faint = simulate_batch(10, seed=3, edge_ratio=(0.01, 0.01), **kw)
    ti = [e for edges in faint["truth"]["edges"] for e in edges if e["edge"].startswith("Ti")]
    s = np.array([e["signal"] for e in ti])
    b = np.array([e["background"] for e in ti])
    assert np.all(s > 100 * np.sqrt(b)) and np.all(s < DETECTION_MIN_RATIO * b)
    assert faint["labels"].sum() == 0
    clear = simulate_batch(10, seed=3, edge_ratio=(0.1, 0.1), **kw)
    assert clear["labels"][:, ELEMENTS.index("Ti")].all()


def test_window_counts_of_truth_match_the_noiseless_components(bank):
    """The detectability counts come from the full chain (plural scattering,
    PSF, binning): recompute them from separately simulated components."""
    sim = simulate_batch(
        12,
        seed=5,
        elements=["Mn", "O"],
        bank=bank,
        noise=False,
        components=True,
        **window(450.0, 0.3, 1500),
    )
    comp = sim["components"]
    for i in range(12):
        e = recorded_axis(sim, i)
        main = [w for w in sim["truth"]["edges"][i] if w["main"]][0]
        inside = (e >= main["onset"]) & (e <= main["onset"] + main["width"])
        signal = comp["main_edge"][i, : len(e)][inside].sum()
        other = (comp["background"][i] + comp["edges"][i] - comp["main_edge"][i])[: len(e)][
            inside
        ].sum()
        assert signal == pytest.approx(main["signal"], rel=1e-6)
        assert other == pytest.approx(main["background"], rel=1e-6)
        # The components add up to the noiseless spectrum.
        np.testing.assert_allclose(
            comp["background"][i] + comp["edges"][i], comp["noiseless"][i], rtol=1e-8, atol=1e-6
        )
