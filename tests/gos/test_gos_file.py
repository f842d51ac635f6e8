"""The bundled GOSH file: layout, coverage, size, and the shape of its tables."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from eels_autoid import vocabulary
from eels_autoid.gos import OCCUPANCY_RATIO, TABLE_OF, available_tables, gosh_file
from eels_autoid.gos._tables import required_tables


@pytest.fixture(scope="module")
def tables():
    """Every table of the bundled file: {(element, table): (gos (n_E, n_q), q, e)}."""
    out = {}
    with h5py.File(gosh_file(), "r") as h:
        for el in h:
            if el == "metadata":
                continue
            for t in h[el]:
                g = h[el][t]
                out[(el, t)] = (g["data"][0].T, g["q"][:], g["free_energies"][:])
    return out


def test_layout_is_what_exspy_reads():
    with h5py.File(gosh_file(), "r") as h:
        assert "data_doi" in h["metadata/data_ref"].attrs
        info = h["metadata/edges_info"]
        for sub in ("K", "L1", "L2", "L3", "L2,3", "M4", "M5", "N4", "N5", "N6", "N7", "O2"):
            assert info[sub].attrs["table"] == TABLE_OF[sub]
            assert info[sub].attrs["occupancy_ratio"] == pytest.approx(OCCUPANCY_RATIO[sub])
        assert info["L3"].attrs["occupancy_ratio"] == pytest.approx(2 / 3)
        assert info["M4"].attrs["occupancy_ratio"] == pytest.approx(0.4)
        assert info["L2,3"].attrs["occupancy_ratio"] == 1.0
        d = h["Fe/L23/data"]
        assert d.dtype == np.float32 and d.ndim == 3 and d.shape[0] == 1
        assert d.compression == "gzip"
        q = h["Fe/L23/q"][:]
        e = h["Fe/L23/free_energies"][:]
        assert d.shape[1:] == (q.size, e.size)
        # 1/m; q[0] is the optical-limit column that makes the table reach q -> 0.
        assert q[0] < 1.0e3 and 1e6 < q[1] < 1e8 and 5e11 < q[-1] < 2e12
        assert e[0] < 1.0 and e[-1] >= 3000.0  # eV


def test_size_limit():
    assert gosh_file().stat().st_size <= 30 * 1024**2


def test_every_exspy_subshell_up_to_3100_ev_has_a_table():
    elements_db = pytest.importorskip("exspy._misc.elements").elements
    held = available_tables()
    missing = []
    for el in ["Li", *vocabulary.ELEMENTS]:
        props = elements_db[el]["Atomic_properties"]["Binding_energies"]
        for sub, d in props.items():
            if d["onset_energy (eV)"] <= 3100 and TABLE_OF[sub] not in held.get(el, []):
                missing.append(f"{el} {sub}")
    assert not missing


def test_every_xraydb_subshell_50_to_3100_ev_has_a_table():
    xraydb = pytest.importorskip("xraydb")
    held = available_tables()
    missing = []
    for el in ["Li", *vocabulary.ELEMENTS]:
        for sub, edge in xraydb.xray_edges(el).items():
            if 50 <= edge.energy <= 3100 and sub in TABLE_OF:
                if TABLE_OF[sub] not in held.get(el, []):
                    missing.append(f"{el} {sub}")
    assert not missing


def test_file_holds_exactly_the_required_tables():
    held = available_tables()
    req = {el: sorted(t) for el, t in required_tables().items()}
    assert held == req
    assert 380 <= sum(len(t) for t in held.values()) <= 420


def test_tables_are_non_negative_finite_and_smooth(tables):
    """No spikes or dips: each point within a factor 4 of the geometric mean of
    its neighbours along E and along q, wherever the GOS matters (above 1e-3
    of the table maximum, q a0 <= 10, past the first two energies where the
    GOS rises from zero at threshold)."""
    rough = []
    for key, (g, q, _) in tables.items():
        assert np.all(np.isfinite(g)) and g.min() >= 0.0, key
        assert g.max() > 0, key
        keep_q = q * 0.529177210903e-10 <= 10.0
        sub = g[2:, keep_q]
        lg = np.log(np.maximum(sub, 1e-30))
        relevant = sub > 1e-3 * g.max()
        for axis in (0, 1):
            c = np.moveaxis(lg, axis, 0)
            m = np.moveaxis(relevant, axis, 0)
            dev = np.abs(c[1:-1] - 0.5 * (c[2:] + c[:-2]))
            ok = m[1:-1] & m[2:] & m[:-2]
            if np.any(dev[ok] > np.log(4.0)):
                rough.append((key, axis, float(dev[ok].max())))
    assert not rough


def test_small_q_gos_is_flat_dipole_limit(tables):
    # at q a0 <= 0.001 the GOS equals its optical limit (within 0.5 %): no
    # spurious 1/q^2 term from the monopole channel (the physical monopole
    # term grows as q^2 and reaches ~1 % at q a0 = 0.01 only for the most
    # diffuse outer s shells near threshold)
    for key, (g, q, _) in tables.items():
        q_au = q * 0.529177210903e-10
        i = np.searchsorted(q_au, 0.001)
        rows = g[:, 0] > 1e-3 * g[:, 0].max()
        np.testing.assert_allclose(g[rows, i], g[rows, 0], rtol=0.005, err_msg=str(key))
