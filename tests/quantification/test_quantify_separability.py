"""Separability: the warning for elements the fitted channels cannot tell apart.

Two edges whose near-edge regions are both left out of the fit keep only
their continua, which have nearly the same shape: F K (685 eV) 23 eV below
Fe L3 (708 eV) is the case met on the real FeCr oxide line scan, where the
network reports F in some pixels and the fit then gives F most of Fe's signal.
"""

import math
import warnings

import numpy as np
import pytest

import eels_autoid
from eels_autoid.quantification._fit import LinearProblem, separability
from eels_autoid.quantification._quantify import MIN_SEPARABILITY


def _separability_warnings(record):
    return [str(w.message) for w in record if "can hardly tell" in str(w.message)]


@pytest.mark.parametrize("angle_deg", [2.0, 30.0, 90.0])
def test_separability_is_the_sine_of_the_angle_between_two_element_columns(angle_deg):
    # Background e1, elements x = e2 and y = cos(t) e2 + sin(t) e3, each with an
    # arbitrary scale and the same channel weights: x's part outside span(e1, y)
    # has norm |sin t|, and so has y's outside span(e1, x).
    n = 50
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((n, 3)))
    e1, e2, e3 = q.T
    t = math.radians(angle_deg)
    weights = rng.uniform(0.5, 2.0, n)
    columns = np.column_stack([e1 * 7.0, e2 * 1e-20, (math.cos(t) * e2 + math.sin(t) * e3) * 3e5])
    problem = LinearProblem(
        design=columns / weights[:, None],
        weights=weights,
        fitted=np.ones(n, dtype=bool),
        n_background=1,
    )
    sep, partner = separability(problem)
    np.testing.assert_allclose(sep, [math.sin(t), math.sin(t)], rtol=1e-6)
    assert partner.tolist() == [1, 0]


def test_channels_left_out_of_the_fit_do_not_separate():
    # Two element columns equal on the fitted channels, different elsewhere.
    n = 40
    x = np.linspace(1.0, 2.0, n)
    fitted = np.arange(n) < 30
    other = np.where(fitted, x, 5.0 - x)
    problem = LinearProblem(
        design=np.column_stack([np.ones(n), x**2, other**2]),
        weights=np.ones(n),
        fitted=fitted,
        n_background=1,
    )
    sep, _ = separability(problem)
    assert sep.max() < 1e-6


def test_a_lone_element_has_no_partner():
    n = 30
    e = np.linspace(100.0, 200.0, n)
    problem = LinearProblem(
        design=np.column_stack([e**-3.0, np.exp(-e / 40)]),
        weights=np.ones(n),
        fitted=np.ones(n, dtype=bool),
        n_background=1,
    )
    sep, partner = separability(problem)
    assert 0 < sep[0] <= 1 and partner.tolist() == [-1]


def test_fluorine_beside_iron_on_the_real_fecr_line_scan_warns(real_spectra_dir):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "FeCr_oxide_linescan_100.dm3")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        q = eels_autoid.quantify(s, elements=["O", "F", "Cr", "Fe"])
    messages = _separability_warnings(record)
    assert len(messages) == 1
    assert "F (separability" in messages[0] and "mostly against Fe" in messages[0]
    assert "Fe (separability" in messages[0] and "mostly against F)" in messages[0]
    assert "O (separability" not in messages[0] and "Cr (separability" not in messages[0]
    assert q.separability["F"] < MIN_SEPARABILITY and q.separability["Fe"] < MIN_SEPARABILITY
    assert min(q.separability["O"], q.separability["Cr"]) >= MIN_SEPARABILITY
    assert [r.separability for r in q.summary()] == [q.separability[el] for el in q.elements]

    # Without F the same fit separates every element: no warning.
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        q = eels_autoid.quantify(s, elements=["O", "Cr", "Fe"])
    assert not _separability_warnings(record)
    assert min(q.separability.values()) >= MIN_SEPARABILITY


def test_the_superlattice_elements_are_separable(superlattice_map):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        q = eels_autoid.quantify(superlattice_map, elements=["O", "Ti", "Mn", "Ba", "La"])
    assert not _separability_warnings(record)
    assert set(q.separability) == set(q.elements)
    assert min(q.separability.values()) >= MIN_SEPARABILITY
