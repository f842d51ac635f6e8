"""Building the bundled GOSH file: per-table checkpoints, then assembly.

Each ``(element, table)`` is computed once and saved as
``<workdir>/tables/<El>_<table>.npz``; a rerun skips tables already there, so
an interrupted build resumes where it stopped. Elements are shared among
worker processes (one BLAS thread each). The result does not depend on the
number of workers or the order of completion.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ._tables import free_energy_grid, q_grid, required_tables

__all__ = ["build_element", "build", "assemble", "LMAX", "BUILD_SETTINGS"]

#: Largest final-state angular momentum of the LRM sum.
LMAX = 30
#: Everything that determines the numbers in the file.
BUILD_SETTINGS = {
    "grid": {"r_min": 1e-8, "r_max": 40.0, "a": 4.0, "dx": 0.02},
    "scf_refinement": 4,
    "lmax": LMAX,
    "n_free_energies": 128,
    "free_energy_max_eV": 4000.0,
    "n_q": 128,
    "q_range_per_bohr": [5e-4, 50.0],
}


def _table_path(workdir: Path, element: str, table: str) -> Path:
    return workdir / "tables" / f"{element}_{table}.npz"


def build_element(element: str, workdir, tables=None, log=print) -> list[str]:
    """Compute (or reuse) the checkpoints of one element's tables.

    Returns the names of the tables computed in this call.
    """
    from .. import vocabulary
    from ._atom import HARTREE_EV, RadialGrid, lda_atom
    from ._oscillator import subshell_gos

    workdir = Path(workdir)
    (workdir / "tables").mkdir(parents=True, exist_ok=True)
    tables = required_tables()[element] if tables is None else tables
    todo = {t: nl for t, nl in tables.items() if not _table_path(workdir, element, t).exists()}
    if not todo:
        return []
    t0 = time.perf_counter()
    atom = lda_atom(
        vocabulary.atomic_number(element),
        grid=RadialGrid(**BUILD_SETTINGS["grid"]),
        refine=BUILD_SETTINGS["scf_refinement"],
    )
    t_scf = time.perf_counter() - t0
    e_free = free_energy_grid(
        BUILD_SETTINGS["n_free_energies"], BUILD_SETTINGS["free_energy_max_eV"]
    )
    q = q_grid(BUILD_SETTINGS["n_q"], *BUILD_SETTINGS["q_range_per_bohr"])
    done = []
    for table, (n, l) in todo.items():
        t1 = time.perf_counter()
        gos = subshell_gos(atom, n, l, e_free, q, lmax=LMAX)
        dest = _table_path(workdir, element, table)
        tmp = dest.with_name(dest.stem + ".tmp.npz")
        np.savez(
            tmp,
            gos=gos,
            q_au=q,
            free_energies=e_free,
            n=n,
            l=l,
            occupancy=atom.occupations[(n, l)],
            binding_energy=atom.binding_energy(n, l) * HARTREE_EV,
        )
        os.replace(tmp, dest)
        done.append(table)
        log(f"{element:>2s} {table:<4s} {time.perf_counter() - t1:6.2f} s")
    log(f"{element:>2s} SCF {t_scf:.2f} s ({atom.scf_iterations} iterations)")
    return done


def _worker(args):
    element, workdir = args
    return element, build_element(element, workdir, log=lambda m: print(m, flush=True))


def build(workdir, elements=None, workers=2, output=None, log=print):
    """Build all (or some) tables with checkpoints, then write the GOSH file.

    Parameters
    ----------
    workdir : path-like
        Checkpoint directory (outside the source tree).
    elements : list of str, optional
        Restrict to these elements (default: all, Li .. Bi).
    workers : int
        Worker processes.
    output : path-like, optional
        GOSH file to write; default: the package's bundled file. Written only
        when every required table of the selected elements is present.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    req = required_tables()
    elements = list(req) if elements is None else list(elements)
    unknown = [e for e in elements if e not in req]
    if unknown:
        raise ValueError(f"no tables to build for {unknown}")
    settings = workdir / "settings.json"
    if settings.exists() and json.loads(settings.read_text()) != BUILD_SETTINGS:
        raise RuntimeError(
            f"{workdir} holds checkpoints made with other settings; use another --workdir"
        )
    settings.write_text(json.dumps(BUILD_SETTINGS, indent=1))
    t0 = time.perf_counter()
    # largest elements first balances the workers
    order = sorted(elements, key=lambda e: -len(req[e]))
    if workers > 1:
        import multiprocessing as mp

        # one BLAS thread per worker (read by the spawned interpreters at start-up)
        threads = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        saved = {var: os.environ.get(var) for var in threads}
        os.environ.update({var: "1" for var in threads})
        try:
            ctx = mp.get_context("spawn")
            with ctx.Pool(workers) as pool:
                for _ in pool.imap_unordered(_worker, [(e, str(workdir)) for e in order]):
                    pass
        finally:
            for var, value in saved.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value
    else:
        for e in order:
            build_element(e, workdir, log=log)
    log(f"tables computed in {time.perf_counter() - t0:.0f} s")
    if output is None and elements != list(req):
        return None
    return assemble(workdir, elements, output)


def _description():
    """The data reference's description: the method and every build setting."""
    from ._gosh import OPTICAL_LIMIT_Q_AU

    return (
        "Generalised oscillator strengths of the K, L, M, N and O subshells of Li..Bi: "
        "non-relativistic LDA central-field atom (Slater exchange + VWN5 correlation), "
        "continuum in the ground-state potential, Leapman-Rez-Mayers sum. The first q "
        f"({OPTICAL_LIMIT_Q_AU:g}/bohr) repeats the first computed one: the optical limit. "
        "Settings: " + json.dumps(BUILD_SETTINGS, sort_keys=True)
    )


def assemble(workdir, elements=None, output=None):
    """Write the GOSH file from the checkpoints of ``elements`` (default all)."""
    from ._files import _default_gosh_path
    from ._gosh import write_gosh

    workdir = Path(workdir)
    req = required_tables()
    elements = list(req) if elements is None else list(elements)
    tables = {}
    for e in elements:
        for t in req[e]:
            with np.load(_table_path(workdir, e, t)) as z:
                tables[(e, t)] = {k: z[k] for k in z.files}
    output = _default_gosh_path() if output is None else Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_gosh(output, tables, description=_description())
    return output
