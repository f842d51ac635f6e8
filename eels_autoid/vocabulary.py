"""The element and edge vocabulary: the one home of what eels_autoid can name.

Everything that needs to know which elements the network reports, which edges
identify them, where those edges start, or whether an element can be seen in a
given energy window imports it from here: the preprocessing, the simulator's
labels, :class:`~eels_autoid.EdgeIdentification` and the GOS tables.

The onsets live in ``data/edges.json``, generated from exspy's element
database with xraydb filling the subshells exspy lacks (S K, Cl K, Ru and Rh
L2,3, Kr M4,5 ...). Reading it needs only the standard library, so the
simulator runs on machines without HyperSpy; ``python -m
eels_autoid.vocabulary`` rebuilds it and a test keeps it in step with both
sources.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .energy_grid import DEFAULT_GRID

__all__ = [  # noqa: F822 (EDGES is provided by the module __getattr__)
    "ELEMENTS",
    "FIRST_ATOMIC_NUMBER",
    "EDGES",
    "Edge",
    "atomic_number",
    "subshell_onsets",
    "observable_edges",
    "observable_elements",
    "ratio_width",
    "edge_to_background_ratio",
]

# Z = 4 (Be) .. 83 (Bi): the 80 network outputs, in Z order (Annys et al. 2023).
ELEMENTS = (
    "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
    "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc",
    "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba",
    "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
    "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb",
    "Bi",
)  # fmt: skip
#: Atomic number of the vocabulary's first element (Be).
FIRST_ATOMIC_NUMBER = 4


# The edge families that identify an element, and the subshells each gathers.
# exspy writes some light-element L2 and L3 together as "L2,3".
EDGE_FAMILIES = {
    "K": ("K",),
    "L2,3": ("L3", "L2", "L2,3"),
    "M4,5": ("M5", "M4"),
    "N4,5": ("N5", "N4"),
}
# Delayed edges rise over tens of eV: they need a wider margin to be seen and
# a wider window to measure their strength.
DELAYED_FAMILIES = ("M4,5", "N4,5")

# Families beyond exspy's database that are plainly visible in real spectra:
# the K edges of S and Cl and the L2,3 edges of Ru and Rh (onsets from xraydb)
# and the Kr M4,5 edge. Heavy-element N4,5 (Hf..Bi) are left out: weak, broad
# and absent from exspy's database.
_EXTRA_FAMILIES = {("S", "K"), ("Cl", "K"), ("Ru", "L2,3"), ("Rh", "L2,3"), ("Kr", "M4,5")}

# The range over which edges are tabulated as identification edges (eV):
# the default grid's, so that changing the grid changes the vocabulary.
EDGE_RANGE = DEFAULT_GRID.valid_range


@dataclass(frozen=True, order=True)
class Edge:
    """An identification edge: an element's K, L2,3, M4,5 or N4,5 edge.

    Attributes
    ----------
    onset : float
        The lowest onset of its subshells (eV).
    element : str
    name : str
        ``"K"``, ``"L2,3"``, ``"M4,5"`` or ``"N4,5"``.
    subshells : tuple of str
        The subshells it gathers, in exspy's names.
    """

    onset: float
    element: str
    name: str
    subshells: tuple

    @property
    def delayed(self) -> bool:
        """Whether the edge has a delayed maximum (M4,5 and N4,5)."""
        return self.name in DELAYED_FAMILIES

    @property
    def margin(self) -> float:
        """How far below the end of a window the onset must lie to be seen (eV)."""
        return 50.0 if self.delayed else 20.0

    @property
    def label(self) -> str:
        """``"Fe L2,3"``-style label."""
        return f"{self.element} {self.name}"


@functools.cache
def _table() -> dict:
    with resources.files(__package__).joinpath("data", "edges.json").open() as f:
        return json.load(f)["elements"]


def atomic_number(element: str) -> int:
    """Atomic number of an element symbol known to the edge table (Li..Bi).

    Raises
    ------
    ValueError
        If the symbol is not in the table.
    """
    try:
        return _table()[element]["Z"]
    except KeyError:
        raise ValueError(
            f"{element!r} is not an element eels_autoid knows (Li..Bi, Z = 3..83)."
        ) from None


def subshell_onsets(element: str) -> dict:
    """Onset energies (eV) of every tabulated subshell of ``element``.

    Names follow exspy (``"K"``, ``"L3"``, ``"L2,3"``, ``"M5"`` ...). exspy's
    values come first; xraydb adds the subshells exspy lacks up to 3100 eV.
    """
    atomic_number(element)  # validates
    return dict(_table()[element]["subshells"])


def subshell_source(element: str, subshell: str) -> str:
    """``"exspy"`` or ``"xraydb"``: where a subshell onset comes from."""
    return _table()[element]["sources"][subshell]


@functools.cache
def _edges() -> tuple:
    edges = []
    for element in ELEMENTS:
        onsets = _table()[element]["subshells"]
        sources = _table()[element]["sources"]
        for family, names in EDGE_FAMILIES.items():
            present = [n for n in names if n in onsets]
            if not present:
                continue
            from_exspy = all(sources[n] == "exspy" for n in present)
            if not from_exspy and (element, family) not in _EXTRA_FAMILIES:
                continue
            onset = min(onsets[n] for n in present)
            if EDGE_RANGE[0] <= onset <= EDGE_RANGE[1]:
                edges.append(Edge(float(onset), element, family, tuple(present)))
    return tuple(sorted(edges, key=lambda e: (atomic_number(e.element), e.onset)))


def __getattr__(name):
    # EDGES is read from the package data on first access.
    if name == "EDGES":
        return _edges()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def observable_edges(start: float, end: float) -> list:
    """The identification edges observable in the energy window [start, end] (eV).

    An edge is observable when its onset lies in ``[start, end - margin]``,
    with a margin of 20 eV (50 eV for delayed M4,5 and N4,5 edges).
    """
    return [e for e in _edges() if start <= e.onset <= end - e.margin]


def observable_elements(start: float, end: float) -> list:
    """The elements (Z order) with at least one observable edge in [start, end].

    This is the single definition used by :class:`~eels_autoid.EdgeIdentification`,
    the simulator's labels and the evaluation: an element outside it is *not
    observable*, which is not the same as absent.
    """
    found = {e.element for e in observable_edges(start, end)}
    return [el for el in ELEMENTS if el in found]


def ratio_width(edge: Edge) -> float:
    """Width (eV) of the window over which an edge-to-background ratio is measured."""
    return 100.0 if edge.delayed else 50.0


def edge_to_background_ratio(energy, edge_counts, background_counts, onset, width):
    """Edge-to-background ratio: the project's one measure of edge strength.

    The mean edge counts over ``[onset, onset + width]`` divided by the mean
    background under them. It is 0 for no edge and is *not* Egerton's jump
    ratio (which is >= 1); ``width`` is :func:`ratio_width` of the edge (50 eV,
    100 eV for delayed M4,5 and N4,5 edges).

    Parameters
    ----------
    energy : array_like, shape (n,)
        Energy axis (eV).
    edge_counts, background_counts : array_like, shape (..., n)
        The edge signal alone and the background under it.
    onset, width : float
        The window in eV.

    Returns
    -------
    numpy.ndarray or float
        The ratio for each spectrum; NaN where the window holds no channel.
    """
    energy = np.asarray(energy, dtype=float)
    inside = (energy >= onset) & (energy <= onset + width)
    edge_counts = np.asarray(edge_counts, dtype=float)
    background_counts = np.asarray(background_counts, dtype=float)
    if not inside.any():
        return np.full(np.broadcast(edge_counts[..., 0], background_counts[..., 0]).shape, np.nan)
    edge_mean = edge_counts[..., inside].mean(axis=-1)
    bkg_mean = background_counts[..., inside].mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return edge_mean / bkg_mean


def element_index(element: str) -> int:
    """Position of an element in :data:`ELEMENTS` (the network's output index)."""
    z = atomic_number(element)
    index = z - FIRST_ATOMIC_NUMBER
    if not 0 <= index < len(ELEMENTS):
        raise ValueError(f"{element} (Z = {z}) is outside the vocabulary Be..Bi.")
    return index


# --------------------------------------------------------------------------
# Rebuilding data/edges.json (needs exspy and xraydb; not used at run time)

_XRAYDB_LIMIT = 3100.0


def build_edge_table() -> dict:
    """Build the edge table from exspy's element database and xraydb."""
    import xraydb

    from ._exspy_private import exspy_elements

    table = {}
    for z in range(3, FIRST_ATOMIC_NUMBER + len(ELEMENTS)):
        symbol = xraydb.atomic_symbol(z)
        onsets, sources = {}, {}
        exspy_be = exspy_elements()[symbol]["Atomic_properties"].get("Binding_energies", {})
        for name, info in exspy_be.items():
            onsets[name] = float(info["onset_energy (eV)"])
            sources[name] = "exspy"
        covered = set(onsets) | ({"L2", "L3"} if "L2,3" in onsets else set())
        for name, edge in xraydb.xray_edges(symbol).items():
            if name not in covered and 0 < edge.energy <= _XRAYDB_LIMIT:
                onsets[name] = round(float(edge.energy), 1)
                sources[name] = "xraydb"
        order = sorted(onsets, key=onsets.get)
        table[symbol] = {
            "Z": z,
            "subshells": {n: onsets[n] for n in order},
            "sources": {n: sources[n] for n in order},
        }
    return table


def _write_edge_table(path) -> None:
    import exspy
    import xraydb

    content = {
        "description": "Subshell onset energies (eV): exspy's element database, "
        "completed by xraydb up to 3100 eV. Rebuild: python -m eels_autoid.vocabulary",
        "sources": {"exspy": exspy.__version__, "xraydb": xraydb.__version__},
        "elements": build_edge_table(),
    }
    with open(path, "w") as f:
        json.dump(content, f, indent=1)
        f.write("\n")


if __name__ == "__main__":  # pragma: no cover - maintenance command
    target = resources.files(__package__).joinpath("data", "edges.json")
    _write_edge_table(target)
    print(f"wrote {target}")
