"""Against GOS tables computed by goscalc (the generator of exspy's "dft" tables)."""

from __future__ import annotations

import numpy as np
import pytest
from gos_helpers import atom, reference_path

from eels_autoid.gos import subshell_gos

BOHR_ANGSTROM = 0.529177210903


def load_goscalc(element):
    d = reference_path("goscalc_examples", element)
    k = np.loadtxt(d / "k.dat") * BOHR_ANGSTROM  # 1/angstrom -> 1/bohr
    header = (d / "gos.dat").read_text().splitlines()[1]
    e_loss = np.array([float(x.replace("eV", "")) for x in header.strip("#\n").split()])
    gos = np.loadtxt(d / "gos.dat").T  # (n_E, n_k), 1/eV
    log = (d / "goscalc.log").read_text()
    e_bound = float(log.split("bound atomic electron is ")[1].split("eV")[0])  # negative
    return e_loss, k, gos, e_bound


@pytest.mark.parametrize(
    "element, Z, n, l", [("C", 6, 1, 0), ("Si", 14, 2, 0), ("Cu", 29, 3, 1), ("Pb", 82, 3, 2)]
)
def test_median_ratio_to_goscalc_within_one_percent(element, Z, n, l):
    e_loss, k, ref, e_bound = load_goscalc(element)
    a = atom(Z)
    # same binding energy within 0.1 % (both are LDA eigenvalues)
    assert -a.energies[(n, l)] * 27.211386 == pytest.approx(-e_bound, rel=1e-3)
    q = np.geomspace(0.05, 15.0, 40)
    ours = subshell_gos(a, n, l, e_loss + e_bound, q, lmax=24)
    ref_q = np.array([np.interp(q, k, row) for row in ref])
    ratio = ours / ref_q
    assert abs(np.median(ratio) - 1) < 0.01, np.median(ratio)
    # and point by point within a few %
    assert np.all(np.abs(ratio - 1) < 0.05), (ratio.min(), ratio.max())
