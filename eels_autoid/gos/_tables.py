"""Which GOS tables exist, how subshells map onto them, and the table grids.

Spin-orbit partners (``L2``/``L3``, ``M4``/``M5`` ...) share one table
computed for the whole non-relativistic ``(n, l)`` subshell; each partner
takes the statistical fraction ``(2j + 1) / (2 (2l + 1))`` of it, as in the
GOSH format (``occupancy_ratio``), and is shifted to its own onset by the
reader.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "SUBSHELLS",
    "TABLE_OF",
    "OCCUPANCY_RATIO",
    "TABLE_QUANTUM_NUMBERS",
    "ONSET_LIMIT_EV",
    "XRAYDB_MIN_EV",
    "free_energy_grid",
    "q_grid",
    "tables_for",
    "required_tables",
    "subshell_table",
]

#: Largest onset (eV) for which tables are built.
ONSET_LIMIT_EV = 3100.0
#: xraydb-only subshells are built from this onset (eV) upwards.
XRAYDB_MIN_EV = 50.0

_SHELL_N = {"K": 1, "L": 2, "M": 3, "N": 4, "O": 5, "P": 6}
_L_OF_INDEX = {1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3}
_TABLE_SUFFIX = {0: "1", 1: "23", 2: "45", 3: "67"}


def _build_maps():
    table_of, ratio, qn = {}, {}, {}
    for shell, n in _SHELL_N.items():
        for index in range(1, min(2 * n, 8)):
            l = _L_OF_INDEX[index]
            if l >= n:
                continue
            name = "K" if shell == "K" else f"{shell}{index}"
            table = f"{shell}{_TABLE_SUFFIX[l]}"
            # j = l - 1/2 for the lower index of a pair (L2, M4, N6 ...), l + 1/2 otherwise
            if l == 0:
                frac = 1.0
            else:
                lower = index % 2 == 0
                frac = (2 * l) / (2 * (2 * l + 1)) if lower else (2 * l + 2) / (2 * (2 * l + 1))
            table_of[name], ratio[name], qn[table] = table, frac, (n, l)
            if l > 0 and index % 2 == 0:
                combined = f"{shell}{index},{index + 1}"
                table_of[combined], ratio[combined] = table, 1.0
    # exspy's database also names two edges with an "a" suffix (C K1a, K L1a)
    table_of["K1a"], ratio["K1a"] = "K1", 1.0
    table_of["L1a"], ratio["L1a"] = "L1", 1.0
    return table_of, ratio, qn


#: subshell name -> table name (``"L3" -> "L23"``, ``"K" -> "K1"``).
#: ``OCCUPANCY_RATIO``: subshell name -> fraction of the table it carries.
#: ``TABLE_QUANTUM_NUMBERS``: table name -> ``(n, l)``.
TABLE_OF, OCCUPANCY_RATIO, TABLE_QUANTUM_NUMBERS = _build_maps()
#: Every subshell name the GOSH file describes.
SUBSHELLS = tuple(sorted(TABLE_OF))


def subshell_table(subshell: str) -> tuple[str, float]:
    """Table name and occupancy ratio of a subshell name (``"M5" -> ("M45", 0.6)``)."""
    try:
        return TABLE_OF[subshell], OCCUPANCY_RATIO[subshell]
    except KeyError:
        raise ValueError(f"unknown subshell name {subshell!r}") from None


def free_energy_grid(n=128, e_max=4000.0, e_first=0.1, scale=5.0):
    """Ejected-electron energies of the tables (eV).

    ``e_first + scale (exp(c i) - 1)``, ``i = 0 .. n-1``: steps of about
    ``c scale`` (0.26 eV) at threshold growing to 5 % of the energy far above
    it, like the parametrised axes of the GOSH tables.
    """
    c = np.log((e_max - e_first) / scale + 1.0) / (n - 1)
    return e_first + scale * np.expm1(c * np.arange(n))


def q_grid(n=128, q_min=5e-4, q_max=50.0):
    """Momentum transfers of the tables (1/bohr), logarithmically spaced."""
    return np.geomspace(q_min, q_max, n)


def tables_for(element: str) -> dict:
    """Tables needed for ``element``: ``{table: (n, l)}``.

    A subshell is covered if exspy's database lists it with an onset up to
    :data:`ONSET_LIMIT_EV`, or if only xraydb lists it, between
    :data:`XRAYDB_MIN_EV` and :data:`ONSET_LIMIT_EV` (onsets from
    :func:`eels_autoid.vocabulary.subshell_onsets`). Subshells empty in the
    ground-state configuration are skipped.
    """
    from .. import vocabulary
    from ._atom import ground_state_configuration

    Z = vocabulary.atomic_number(element)
    occupied = {(n, l) for n, l, _ in ground_state_configuration(Z)}
    out = {}
    for sub, onset in vocabulary.subshell_onsets(element).items():
        if onset > ONSET_LIMIT_EV or sub not in TABLE_OF:
            continue
        if vocabulary.subshell_source(element, sub) != "exspy" and onset < XRAYDB_MIN_EV:
            continue
        table = TABLE_OF[sub]
        if TABLE_QUANTUM_NUMBERS[table] in occupied:
            out[table] = TABLE_QUANTUM_NUMBERS[table]
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


@functools.cache
def required_tables() -> dict:
    """``{element: {table: (n, l)}}`` for Li .. Bi, elements in Z order."""
    from .. import vocabulary

    names = ["Li", *vocabulary.ELEMENTS]
    out = {}
    for el in names:
        t = tables_for(el)
        if t:
            out[el] = t
    return out
