"""Generalised oscillator strengths (GOS) of K, L, M, N and O subshells, Li..Bi.

eels_autoid computes its own GOS tables from first principles and ships them
in the GOSH HDF5 format that exspy reads, so that both the training simulator
and model-based quantification work offline:

* a self-consistent non-relativistic LDA central-field atom (Slater exchange
  plus VWN5 correlation) for each element's ground-state configuration,
* continuum states at each energy above threshold in the same potential,
* the Leapman-Rez-Mayers sum over final angular momenta and multipoles.

Public API
----------
gosh_file
    Path of the bundled GOSH file, for
    ``s.create_model(GOS="dft", gos_file_path=gosh_file())``.
cross_section
    Energy-differential cross-section (barn/eV) of a subshell on an energy axis.
cross_section_settings
    The same for many microscope settings at once (a simulator's tables).
table_cross_section
    The same for a GOS table in memory (e.g. just computed with ``subshell_gos``).
subshell_gos
    GOS table of one ``(n, l)`` subshell of an :class:`Atom`.
lda_atom, Atom, RadialGrid, ground_state_configuration
    The atomic-structure building blocks.
available_tables
    What the bundled file holds.

The file is rebuilt with ``python -m eels_autoid.gos build``.
"""

from __future__ import annotations

from ._atom import HARTREE_EV, Atom, RadialGrid, ground_state_configuration, lda_atom
from ._cross_section import (
    cross_section,
    cross_section_settings,
    effective_angle,
    table_cross_section,
)
from ._files import gosh_file
from ._oscillator import subshell_gos
from ._tables import (
    OCCUPANCY_RATIO,
    TABLE_OF,
    TABLE_QUANTUM_NUMBERS,
    free_energy_grid,
    q_grid,
    subshell_table,
)

__all__ = [
    "HARTREE_EV",
    "Atom",
    "lda_atom",
    "RadialGrid",
    "ground_state_configuration",
    "subshell_gos",
    "cross_section",
    "cross_section_settings",
    "table_cross_section",
    "effective_angle",
    "gosh_file",
    "available_tables",
    "subshell_table",
    "TABLE_OF",
    "OCCUPANCY_RATIO",
    "TABLE_QUANTUM_NUMBERS",
    "free_energy_grid",
    "q_grid",
]


def available_tables(path=None) -> dict:
    """``{element: [table, ...]}`` held by a GOSH file (default: the bundled one)."""
    import h5py

    path = gosh_file() if path is None else path
    with h5py.File(path, "r") as h:
        return {el: sorted(h[el]) for el in h if el != "metadata"}
