"""Reading and writing GOS tables in the GOSH HDF5 layout that exspy reads.

Layout (as :class:`exspy._misc.eels.gosh_gos.GoshGOS` expects)::

    /                                   attrs: file_format="GOSH", file_format_version
    /metadata/data_ref                  attrs: data_doi, description, method ...
    /metadata/edges_info/<subshell>     attrs: table, occupancy_ratio
    /<El>/<table>/data                  (1, n_q, n_E) float32, df/dE in 1/eV
    /<El>/<table>/q                     (n_q,) momentum transfer, 1/m
    /<El>/<table>/free_energies         (n_E,) ejected-electron energy, eV

Every ``<El>/<table>`` group also carries ``n``, ``l``, ``occupancy`` and the
LDA ``binding_energy`` (eV) as attributes. The first ``q`` of every table is
:data:`OPTICAL_LIMIT_Q_AU` (see :func:`write_gosh`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import h5py
import numpy as np

from ._tables import OCCUPANCY_RATIO, TABLE_OF

__all__ = ["BOHR_M", "OPTICAL_LIMIT_Q_AU", "write_gosh", "read_table", "GOSTable"]

#: Bohr radius in metres (CODATA 2018).
BOHR_M = 0.529177210903e-10

#: First momentum transfer (1/bohr) of every written table. exspy's
#: ``integrateq`` only interpolates inside the table and fails when the
#: kinematic q_min (q_min a0 ~ E / 2000 at 100 kV, E in eV) falls below the
#: first q, as when a fit moves an onset towards 0 eV. At this q only
#: |E| < 1e-6 eV is left out.
OPTICAL_LIMIT_Q_AU = 1e-10

FORMAT_VERSION = "1.1"
DATA_DOI = "none: computed by eels_autoid.gos (non-relativistic LDA, Leapman-Rez-Mayers)"


def write_gosh(path, tables, description=""):
    """Write GOS tables to a GOSH file, deterministically.

    Parameters
    ----------
    path : path-like
    tables : dict
        ``{(element, table): dict(gos=(n_E, n_q) 1/eV, q_au=(n_q,),
        free_energies=(n_E,) eV, n=int, l=int, occupancy=float,
        binding_energy=float eV)}``.
    description : str
        Free text stored with the data reference.

    Notes
    -----
    A table whose first ``q`` lies above :data:`OPTICAL_LIMIT_Q_AU` gets a
    column at that ``q`` equal to its first one. As ``q -> 0`` the GOS tends
    to the optical oscillator strength ``df/dE`` with corrections of order
    ``(q r)^2``; at the tables' first q (5e-4/bohr) they are 1e-7 for core
    shells and a few 1e-5 for diffuse valence s shells, so the copy is the
    GOS at any smaller q to that accuracy.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w", track_order=False) as h:
        h.attrs["file_format"] = "GOSH"
        h.attrs["file_format_version"] = FORMAT_VERSION
        md = h.create_group("metadata")
        ref = md.create_group("data_ref")
        ref.attrs["data_doi"] = DATA_DOI
        ref.attrs["description"] = description
        info = md.create_group("edges_info")
        for sub in sorted(TABLE_OF):
            g = info.create_group(sub)
            g.attrs["table"] = TABLE_OF[sub]
            g.attrs["occupancy_ratio"] = float(OCCUPANCY_RATIO[sub])
        for element, table in sorted(tables):
            t = tables[(element, table)]
            grp = h.require_group(element).create_group(table)
            gos = np.asarray(t["gos"], dtype=np.float32)
            q_au = np.asarray(t["q_au"], float)
            if q_au[0] > OPTICAL_LIMIT_Q_AU:
                q_au = np.concatenate([[OPTICAL_LIMIT_Q_AU], q_au])
                gos = np.concatenate([gos[:, :1], gos], axis=1)
            grp.create_dataset(
                "data",
                data=gos.T[None, :, :],
                compression="gzip",
                compression_opts=9,
                shuffle=True,
                track_times=False,
            )
            grp.create_dataset("q", data=q_au / BOHR_M, track_times=False)
            grp.create_dataset(
                "free_energies", data=np.asarray(t["free_energies"], float), track_times=False
            )
            for key in ("n", "l"):
                grp.attrs[key] = int(t[key])
            for key in ("occupancy", "binding_energy"):
                grp.attrs[key] = float(t[key])
    os.replace(tmp, path)


class GOSTable:
    """One GOS table read from a GOSH file.

    Attributes
    ----------
    gos : ndarray, shape (n_E, n_q)
        ``df/dE`` (1/eV) for the whole ``(n, l)`` subshell.
    q_au : ndarray
        Momentum transfer (1/bohr).
    rel_energies : ndarray
        Energy above the onset (eV): ``free_energies - free_energies[0]``,
        as exspy shifts them.
    """

    def __init__(self, gos, q_au, free_energies, attrs):
        self.gos = gos
        self.q_au = q_au
        self.free_energies = free_energies
        self.rel_energies = free_energies - free_energies.min()
        self.attrs = attrs
        self._cumulative = None

    @property
    def cumulative(self):
        """Cumulative integral of the GOS over ``ln q^2`` from the first q (trapezoid)."""
        if self._cumulative is None:
            x = 2.0 * np.log(self.q_au)
            g = self.gos.astype(float)
            pieces = 0.5 * (g[:, 1:] + g[:, :-1]) * np.diff(x)
            self._cumulative = np.concatenate(
                [np.zeros((self.gos.shape[0], 1)), np.cumsum(pieces, 1)], 1
            )
        return self._cumulative


@functools.lru_cache(maxsize=512)
def _read(path: str, mtime: float, element: str, table: str) -> GOSTable:
    with h5py.File(path, "r") as h:
        key = f"{element}/{table}"
        if key not in h:
            raise KeyError(f"no GOS table {table} for {element} in {path}")
        grp = h[key]
        # kept as stored (float32): half the memory of a cache of all tables
        gos = np.ascontiguousarray(grp["data"][0].T)
        q = np.asarray(grp["q"][:], dtype=float) * BOHR_M
        e = np.asarray(grp["free_energies"][:], dtype=float)
        attrs = {k: grp.attrs[k] for k in grp.attrs}
    return GOSTable(gos, q, e, attrs)


def read_table(path, element: str, table: str) -> GOSTable:
    """Read (and cache) one table of a GOSH file.

    Raises
    ------
    KeyError
        If the file has no such table.
    """
    path = os.fspath(path)
    return _read(path, os.path.getmtime(path), element, table)
