"""Shared fixtures of the GOS tests: reference data and small cached atoms."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).parents[2] / ".." / "shared"
REFERENCE = SHARED / "reference" / "data"


def reference_path(*parts) -> Path:
    """Path under ``../shared/reference/data``; skips the test if absent."""
    p = REFERENCE.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference data {p} not available")
    return p


@functools.cache
def dftatom_energies() -> dict:
    """``Z -> list of LDA eigenvalues (Ha)`` in configuration order."""
    lines = [
        line
        for line in reference_path("dftatom_nonrel_energies.dat").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    out = {}
    for i in range(0, len(lines), 3):
        out[int(lines[i])] = [float(x) for x in lines[i + 2].split()[1:]]
    return out


@functools.cache
def nist_configurations() -> dict:
    data = json.loads(reference_path("nist_configs.json").read_text())
    return {int(k): [(int(n), int(l), float(f)) for n, l, f in v] for k, v in data.items()}


@functools.cache
def atom(Z: int):
    """Converged LDA atom on the production grid (cached across tests)."""
    from eels_autoid.gos import lda_atom

    return lda_atom(Z)


def integrated(
    gos,
    q_au,
    e_free,
    element,
    subshell,
    tmp_path,
    beam_energy=200.0,
    beta=20.0,
    window=100.0,
    n=1,
    l=0,
):
    """Cross-section (barn) integrated over ``window`` eV above the onset.

    The table is written as a one-table GOSH file and integrated with
    :func:`eels_autoid.gos.cross_section`, the production path.
    """
    from eels_autoid.gos import cross_section, subshell_table
    from eels_autoid.gos._gosh import write_gosh
    from eels_autoid.vocabulary import subshell_onsets

    table, _ = subshell_table(subshell)
    path = tmp_path / f"{element}_{table}_{abs(hash((gos.tobytes(), q_au.tobytes())))}.gosh"
    write_gosh(
        path,
        {
            (element, table): dict(
                gos=gos,
                q_au=q_au,
                free_energies=e_free,
                n=n,
                l=l,
                occupancy=1.0,
                binding_energy=0.0,
            )
        },
    )
    onset = subshell_onsets(element)[subshell]
    E = np.arange(onset, onset + window, 0.25)
    return np.trapezoid(cross_section(element, subshell, E, beam_energy, beta, gos_file=path), E)
