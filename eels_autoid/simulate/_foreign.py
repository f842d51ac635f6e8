"""Edges of elements outside the vocabulary, added to some spectra unlabelled.

Real samples hold elements the network has no output for: the actinides of
nuclear fuels and ThO2 catalysts above all. Their edges are in the data all
the same, and a network that never saw one names the vocabulary element
whose edge lies nearest: the default of simulator 9 read the delayed 4f
(N6,7) maximum of UO2 and ThO2, 50..200 eV above 333..388 eV, as Cd M4,5 and
the hump it puts under O K as Sb. A few spectra therefore carry one actinide,
with no label, so that a shape that belongs to no vocabulary element stays
unnamed.

Their cross-sections come from the project's own GOS code (an LDA atom and
its 5d, 4f and 4d subshells, the O4,5, N6,7 and N4,5 edges below 1 keV),
computed on first use for the bank's microscope settings and kept in the
bank's disk cache. Onsets are xraydb's (Bearden and Burr).
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._edges import load_cached, save_cached
from ._parameters import draw

__all__ = ["FOREIGN_ELEMENTS", "FOREIGN_FRACTION", "foreign_edges"]

#: Elements outside the vocabulary whose edges the simulator adds (unlabelled).
FOREIGN_ELEMENTS = ("Ac", "Th", "Pa", "U")
#: Share of spectra with a drawn composition that get one (``foreign_fraction=None``).
FOREIGN_FRACTION = 0.05
_Z = {"Ac": 89, "Th": 90, "Pa": 91, "U": 92}  # the LDA atoms go up to Z = 92
# 5d, 4f and 4d: the subshells with edges (onsets 80..850 eV) in EELS windows.
_SUBSHELLS = ("O5", "O4", "N7", "N6", "N5", "N4")
# GOS tables: coarse, which the broad, structureless edges of these
# subshells allow (the tests' actinide tables use the same).
_N_FREE, _FREE_MAX, _N_Q = 96, 1500.0, 64

_TABLES = {}  # (bank and table setup, element) -> (n_settings, n_energies) float32


def onsets(element) -> dict:
    """Tabulated onsets (eV) of the foreign element's subshells that the simulator adds."""
    import xraydb

    edges = xraydb.xray_edges(element)
    return {s: float(edges[s].energy) for s in _SUBSHELLS if s in edges}


def _cross_sections(bank, element):
    """Summed cross-section (barn/eV per atom) of ``element`` on the bank's grid, per setting."""
    from .. import gos
    from ..gos import TABLE_QUANTUM_NUMBERS

    atom = gos.lda_atom(_Z[element], refine=1)
    e_free, q = gos.free_energy_grid(_N_FREE, _FREE_MAX), gos.q_grid(_N_Q)
    tables = {}
    block = np.zeros((bank.n_settings, len(bank.energies)))
    for subshell, onset in onsets(element).items():
        name, ratio = gos.subshell_table(subshell)
        if name not in tables:
            n, l = TABLE_QUANTUM_NUMBERS[name]
            tables[name] = gos.subshell_gos(atom, n, l, e_free, q)
        for k in range(bank.n_settings):
            e0, angle = bank.setting(k)
            block[k] += gos.table_cross_section(
                tables[name],
                q,
                e_free,
                bank.energies,
                onset,
                float(e0),
                float(angle),
                occupancy_ratio=ratio,
            )
    return block.astype(np.float32)


def _table(bank, element):
    # The bank's key names its GOSH file, energy grid, settings and the way its
    # tables are integrated: banks that share it share the table.
    setup = (bank.cache_key(), _SUBSHELLS, _N_FREE, _FREE_MAX, _N_Q, 1)
    tag = hashlib.sha1(repr(setup).encode()).hexdigest()
    key = (tag, element)
    if key not in _TABLES:
        path = None
        if bank.cache_dir is not None:
            path = bank.cache_dir / f"foreign-{tag[:16]}" / f"{element}.npy"
        shape = (bank.n_settings, len(bank.energies))
        block = None if path is None else load_cached(path, shape)
        if block is None:
            block = _cross_sections(bank, element)
            if path is not None:
                save_cached(path, block)
        _TABLES[key] = block
    return _TABLES[key]


def foreign_edges(rng, fraction, params, bank, energy, settings):
    """Cross-sections of foreign elements for some spectra of a batch.

    A ``fraction`` of the spectra get one element of
    :data:`FOREIGN_ELEMENTS` with ``params.foreign_amount`` atoms per atom of
    the drawn composition and a chemical shift of +-``params.foreign_shift`` eV.
    Nothing is drawn when the fraction is 0 (the random stream of a batch
    without them is unchanged).

    Parameters
    ----------
    rng : numpy.random.Generator
    fraction : float
        Probability of a foreign element per spectrum.
    params : SimulationParameters
    bank : CrossSectionBank
        Its energy grid and microscope settings are used (and its cache).
    energy : numpy.ndarray, shape (n, L)
        True energy losses of each spectrum's fine grid (eV).
    settings : numpy.ndarray of int, shape (n,)
        Bank setting of each spectrum (beam energy, effective angle).

    Returns
    -------
    sigma : numpy.ndarray or None
        (n, L) barn/eV times atoms per composition atom (zero rows for spectra
        without one), or None if no spectrum got one.
    names : list of str
        The foreign element of each spectrum ("" for none).
    """
    n = energy.shape[0]
    names = [""] * n
    if fraction <= 0 or n == 0:
        return None, names
    chosen = np.nonzero(rng.random(n) < fraction)[0]
    if not len(chosen):
        return None, names
    which = rng.integers(0, len(FOREIGN_ELEMENTS), len(chosen))
    amount = draw(rng, "foreign_amount", params, len(chosen))
    shift = rng.uniform(-1.0, 1.0, len(chosen)) * params.foreign_shift
    sigma = np.zeros(energy.shape, dtype=np.float32)
    for i, w, a, s in zip(chosen, which, amount, shift, strict=True):
        element = FOREIGN_ELEMENTS[w]
        row = _table(bank, element)[settings[i]]
        sigma[i] = a * np.interp(energy[i] - s, bank.energies, row, left=0.0, right=0.0)
        names[i] = element
    return sigma, names
