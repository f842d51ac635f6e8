"""End-to-end build of a few elements: checkpoints, resume, determinism, exspy."""

from __future__ import annotations

import hashlib
import logging

import h5py
import numpy as np
import pytest

from eels_autoid.gos import cross_section, gosh_file
from eels_autoid.gos.__main__ import main


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_build_resume_deterministic_and_matches_bundled(tmp_path, capsys):
    work = tmp_path / "work"
    out1, out2 = tmp_path / "a.gosh", tmp_path / "b.gosh"
    args = ["build", "--workdir", str(work), "--elements", "Li", "B", "--workers", "1"]
    assert main([*args, "--output", str(out1)]) == 0
    ckpt = sorted(p.name for p in (work / "tables").iterdir())
    assert ckpt == ["B_K1.npz", "Li_K1.npz"]
    mtimes = {p: p.stat().st_mtime_ns for p in (work / "tables").iterdir()}
    # resume: nothing recomputed, same file
    assert main([*args, "--output", str(out2)]) == 0
    assert {p: p.stat().st_mtime_ns for p in (work / "tables").iterdir()} == mtimes
    assert _md5(out1) == _md5(out2)
    # the bundled file holds the same numbers
    with h5py.File(out1, "r") as a, h5py.File(gosh_file(), "r") as b:
        for key in ("Li/K1", "B/K1"):
            np.testing.assert_allclose(a[key]["data"][:], b[key]["data"][:], rtol=1e-4, atol=1e-9)
            np.testing.assert_array_equal(a[key]["q"][:], b[key]["q"][:])
    # and exspy/cross_section read it
    E = np.arange(150.0, 400.0, 1.0)
    y = cross_section("B", "K", E, 200.0, 20.0, gos_file=out1)
    assert y[E >= 188].min() > 0
    components = pytest.importorskip("exspy.components")
    logging.disable(logging.WARNING)
    try:
        edge = components.EELSCLEdge("B_K", GOS="dft", gos_file_path=str(out1))
    finally:
        logging.disable(logging.NOTSET)
    edge.set_microscope_parameters(E0=200.0, alpha=0.0, beta=20.0, energy_scale=1.0)
    np.testing.assert_allclose(edge.function(E), y, rtol=2e-3)


def test_unknown_element_rejected(tmp_path):
    with pytest.raises(ValueError):
        main(["build", "--workdir", str(tmp_path), "--elements", "Xx", "--workers", "1"])
