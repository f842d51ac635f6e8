"""identify_edges(search=True): the residual searched for elements the network missed."""

import warnings

import numpy as np
import pytest
from test_check import SETTINGS, _signal, _spectrum

from eels_autoid import identify_edges
from eels_autoid.identification._check import check_spectrum
from eels_autoid.identification._search import (
    search_spectrum,
    search_statistics,
    search_threshold,
)


def _checked(energy, data, proposed):
    return check_spectrum(
        energy, data, proposed, dict.fromkeys(proposed, 0.5), SETTINGS, search=True
    )


@pytest.mark.parametrize(
    "elements, axis, proposed, missed",
    [
        # Mn L2,3 at 5 % of La and O: the network proposes only La and O.
        ({"La": 5, "O": 15, "Mn": 1}, (450.0, 0.5, 1400), {"La": 0.99, "O": 0.99}, "Mn"),
        # Cr L2,3 on the tail of a strong N K edge.
        ({"N": 10, "Cr": 1}, (300.0, 0.5, 1000), {"N": 0.99}, "Cr"),
    ],
)
def test_a_weak_edge_beside_a_strong_one_is_found_at_high_counts(elements, axis, proposed, missed):
    energy, data = _spectrum(elements, axis, level=1e6)
    result = _checked(energy, data, proposed)
    # Suggested, not added: the check's answer stands.
    assert result.suggested == [missed]
    unsearched = check_spectrum(energy, data, proposed, dict.fromkeys(proposed, 0.5), SETTINGS)
    assert result.elements == unsearched.elements
    found = result.checks[missed]
    assert found.found_by == "search" and not found.confirmed
    n_tried, _, _ = search_statistics(energy, data, sorted(proposed), SETTINGS, 0.0)
    assert found.evidence >= search_threshold(n_tried)
    assert 0.99 < found.probability <= 1.0
    assert all(result.checks[el].found_by == "network" for el in proposed)


@pytest.mark.parametrize("level", [3e2, 1e3])
def test_the_same_edge_at_low_counts_is_not_invented(level):
    energy, data = _spectrum({"La": 5, "O": 15, "Mn": 1}, (450.0, 0.5, 1400), level=level)
    assert _checked(energy, data, {"La": 0.99, "O": 0.99}).suggested == []


def test_the_threshold_grows_with_the_elements_tried():
    # One-sided 3 sigma for one element tried; the look-elsewhere correction
    # raises it for many.
    assert search_threshold(1) == pytest.approx(3.0**2, rel=0.01)
    assert search_threshold(60) > search_threshold(10) > search_threshold(1)


def test_a_smooth_background_holds_nothing_to_find():
    rng = np.random.default_rng(0)
    energy = 300.0 + 0.5 * np.arange(1500)
    data = rng.poisson(1e6 * (energy / energy[0]) ** -3.0).astype(float)
    assert search_spectrum(energy, data, [], SETTINGS, 0.0) == {}
    result = _checked(energy, data, {"O": 0.9})
    assert result.elements == [] and result.suggested == []


def test_pure_noise_holds_nothing_to_find():
    rng = np.random.default_rng(1)
    energy = 300.0 + 0.5 * np.arange(1500)
    s = _signal(energy, rng.poisson(50.0, 1500).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, search=True)
    assert result.elements == [] and result.check.suggested == []


def test_summary_shows_the_suggestions_with_a_warning():
    energy, data = _spectrum({"N": 10, "Cr": 1}, (300.0, 0.5, 1000), level=1e6)
    s = _signal(energy, data)
    s.set_microscope_parameters(beam_energy=200, collection_angle=20, convergence_angle=10)
    # A threshold the network cannot reach for Cr: it is left out, as the
    # network leaves out an element it is not sure of.
    out = {"Cr": 1.0 - 1e-9}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = identify_edges(s, threshold=out)
    with pytest.warns(UserWarning, match="the search suggests Cr"):
        searched = identify_edges(s, threshold=out, search=True)
    assert searched.elements == plain.elements and "Cr" not in searched.elements
    assert searched.check.suggested == ["Cr"]
    rows = {r.element: r for r in searched.summary()}
    assert rows["Cr"].found_by == "search" and not rows["Cr"].detected
    assert rows["Cr"].evidence == searched.check.checks["Cr"].evidence
    assert all(r.found_by != "search" for r in plain.summary())


def test_plot_fit_shows_the_model_and_names_the_suggestions():
    import matplotlib.pyplot as plt

    energy, data = _spectrum({"N": 10, "Cr": 1}, (300.0, 0.5, 1000), level=1e6)
    s = _signal(energy, data)
    s.set_microscope_parameters(beam_energy=200, collection_angle=20, convergence_angle=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_edges(s, threshold={"Cr": 1.0 - 1e-9}, search=True)
        plain = identify_edges(s, check=False)
    fig = result.plot_fit()
    top, bottom = fig.axes[:2]
    assert "Cr" in bottom.get_title()
    # The spectrum, the model and the residual are the check's fit.
    fit = result.check.fit
    np.testing.assert_allclose(top.lines[0].get_ydata(), fit.data)
    np.testing.assert_allclose(bottom.lines[0].get_ydata(), fit.data - fit.model)
    plt.close(fig)
    with pytest.raises(ValueError, match="check=True"):
        plain.plot_fit()
