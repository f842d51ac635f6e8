"""Which subshell edges of each element the spectrum model holds, and their shapes.

Start from the subshells exspy adds for the elements (every subshell whose
onset lies in the window), add those exspy's database lacks but the bundled
GOS tables hold (S K, Cl K, Ru L2,3, Y M1, the N edges of Rh..Bi ...), drop those
the window cannot constrain, and apply the one physical exception: a
lanthanide's N4,5 giant resonance is a collective 4d->4f excitation that
one-electron tables do not reproduce, so a lanthanide is quantified from M4,5
wherever M4,5 is in the window.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import vocabulary

__all__ = [
    "EdgeDecision",
    "plan_edges",
    "MAJOR_SUBSHELLS",
    "LANTHANIDES",
    "edge_families",
    "element_cross_section",
    "lanthanide_rule",
    "tabulated_onsets",
]

# Subshells that carry an element's quantification (the identification
# families); L1, M1..M3 ... are fitted with them but are too weak alone.
MAJOR_SUBSHELLS = frozenset(n for names in vocabulary.EDGE_FAMILIES.values() for n in names)
_FAMILY_OF = {n: family for family, names in vocabulary.EDGE_FAMILIES.items() for n in names}
LANTHANIDES = frozenset(vocabulary.ELEMENTS[vocabulary.ELEMENTS.index("La") :][:15])


@dataclass(frozen=True)
class EdgeDecision:
    """What the quantification did with one subshell edge.

    Attributes
    ----------
    element, subshell : str
    onset : float
        Tabulated onset (eV).
    status : {"kept", "added", "dropped"}
        ``"kept"``: added by exspy and fitted; ``"added"``: missing from
        exspy's database and fitted with
        :class:`~eels_autoid.components.AutoIDEELSCLEdge`; ``"dropped"``: not
        fitted.
    reason : str
        Why (empty for kept edges).
    """

    element: str
    subshell: str
    onset: float
    status: str
    reason: str = ""

    @property
    def name(self) -> str:
        """exspy's component name, ``"Ti_L3"``."""
        return f"{self.element}_{self.subshell}"

    @property
    def fitted(self) -> bool:
        return self.status in ("kept", "added")


def _exspy_subshells(elements, start, end):
    """The subshells exspy's ``add_elements`` adds for a window, by element."""
    from exspy.signals import EELSSpectrum

    probe = EELSSpectrum(np.zeros(2))
    axis = probe.axes_manager.signal_axes[0]
    axis.offset, axis.scale = start, end - start
    probe.add_elements(list(elements))
    out = {el: [] for el in elements}
    # exspy holds them in a set: sorted, so that edges with one onset (N4 and
    # N5) come in the same order in every run.
    for name in sorted(probe.subshells):
        el, sub = name.split("_")
        out[el].append(sub)
    return out


@functools.cache
def _tabulated():
    from ..gos import available_tables

    return {el: frozenset(tables) for el, tables in available_tables().items()}


def _added_subshells(element, listed):
    """Subshells of ``element`` with a bundled GOS table that are not in ``listed``.

    All of an element's subshells carry its amount: an edge left out (Ir N2,3
    under O K, Y M1) puts its intensity on the background or on another
    element. A lanthanide's N edges beyond N4,5 are left out: its N4,5 giant
    resonance, which the tables do not hold, would set their size. A second
    name for a listed edge (exspy's C K1a beside C K) is not a second edge.
    """
    from ..gos import TABLE_OF

    tables = _tabulated().get(element, frozenset())
    onsets = vocabulary.subshell_onsets(element)
    out = []
    for sub in onsets:
        if sub in listed or "," in sub or TABLE_OF.get(sub) not in tables:
            continue
        # One table at one onset is one edge, whatever exspy calls it (C K and K1a).
        if any(
            TABLE_OF.get(other) == TABLE_OF[sub] and onsets[other] == onsets[sub]
            for other in [*listed, *out]
        ):
            continue
        if element in LANTHANIDES and sub.startswith("N") and sub not in MAJOR_SUBSHELLS:
            continue
        out.append(sub)
    return out


def tabulated_onsets(element, start, end):
    """``{subshell: onset}`` of ``element``'s tabulated edges with onsets in ``[start, end]`` eV."""
    from ..gos import TABLE_OF

    onsets = vocabulary.subshell_onsets(element)
    tables = _tabulated().get(element, frozenset())
    named = _exspy_subshells([element], start, end)[element]
    listed = [sub for sub in named if TABLE_OF.get(sub) in tables]
    return {
        sub: float(onsets[sub])
        for sub in [*listed, *_added_subshells(element, listed)]
        if start <= onsets[sub] <= end
    }


def _dropped(decision, reason):
    """``decision`` marked as not fitted, for ``reason``."""
    return EdgeDecision(decision.element, decision.subshell, decision.onset, "dropped", reason)


def _shell_cut_at_start(decisions, cut, before):
    """Drop the minor subshells of the shells ``cut``: ``{(element, shell letter)}``.

    A main edge the window's start cuts leaves its intensity (Ir N4,5's
    delayed maximum) under its shell's weaker edges above it, which would
    grow to take it.
    """
    return [
        _dropped(
            d,
            f"the element's main {d.subshell[0]} edge is cut by the start of the fitted "
            f"range (less than {before:g} eV above it), and its tail lies beneath this one",
        )
        if d.fitted and d.subshell not in MAJOR_SUBSHELLS and (d.element, d.subshell[0]) in cut
        else d
        for d in decisions
    ]


def plan_edges(
    elements, start, end, *, fine_structure_width, margins, lanthanide_m45=False, minor_alone=()
):
    """Decide the edges to fit in the window ``[start, end]`` (eV).

    Parameters
    ----------
    elements : list of str
    start, end : float
    fine_structure_width : float
    lanthanide_m45 : bool
        Drop a lanthanide's N edges where its M4,5 edge is fitted.
    margins : (float, float)
        An edge is fitted when at least ``margins[0]`` eV precede its onset
        and ``margins[1]`` eV follow its fine-structure region.
    minor_alone : collection of str
        Elements fitted by their minor subshells alone where their main edges
        lie outside the window, instead of dropped: in a local window of the
        identification check, the elements beside the one judged (La M2,3
        must stay La's, not become another element's).

    Returns
    -------
    list of EdgeDecision
        Sorted by element (Z) and onset. Elements may be left without a
        fitted edge: the caller warns and drops them.
    """
    before, after = margins
    exspy_subs = _exspy_subshells(elements, start, end)
    decisions, cut = [], set()
    for el in elements:
        onsets = vocabulary.subshell_onsets(el)
        candidates = [(sub, "kept") for sub in exspy_subs[el]]
        candidates += [(sub, "added") for sub in _added_subshells(el, exspy_subs[el])]
        candidates = [(s, st) for s, st in candidates if start <= onsets[s] <= end]
        # The subshells of one edge (L3 and L2, M5 and M4) stand or fall together,
        # judged at the edge's first onset: the second lies in its fine structure.
        family_onset = {}
        for sub, _ in candidates:
            family = _FAMILY_OF.get(sub, sub)
            family_onset[family] = min(family_onset.get(family, np.inf), onsets[sub])
        for sub, status in candidates:
            onset = float(onsets[sub])
            first = float(family_onset[_FAMILY_OF.get(sub, sub)])
            if first < start + before:
                if sub in MAJOR_SUBSHELLS:
                    cut.add((el, sub[0]))
                decisions.append(
                    EdgeDecision(
                        el,
                        sub,
                        onset,
                        "dropped",
                        f"edge onset {first:g} eV is less than {before:g} eV above the start "
                        f"of the fitted range ({start:g} eV): no pre-edge background",
                    )
                )
            elif first + fine_structure_width + after > end:
                decisions.append(
                    EdgeDecision(
                        el,
                        sub,
                        onset,
                        "dropped",
                        f"edge onset {first:g} eV is too close to the end of the fitted range "
                        f"({end:g} eV): less than {after:g} eV beyond its "
                        f"{fine_structure_width:g} eV fine-structure region",
                    )
                )
            else:
                decisions.append(EdgeDecision(el, sub, onset, status))
    decisions = _shell_cut_at_start(decisions, cut, before)
    if lanthanide_m45:
        decisions = lanthanide_rule(decisions)
    # An element whose only edges are weak minor subshells is not quantified
    # (unless listed in minor_alone, as a neighbour in a local window).
    for el in [e for e in elements if e not in minor_alone]:
        mine = [d for d in decisions if d.element == el and d.fitted]
        if mine and not any(d.subshell in MAJOR_SUBSHELLS for d in mine):
            decisions = [
                d
                if d.element != el or not d.fitted
                else _dropped(d, "only minor subshells of the element are in the fitted range")
                for d in decisions
            ]
    return sorted(decisions, key=lambda d: (vocabulary.atomic_number(d.element), d.onset))


def lanthanide_rule(decisions):
    """Drop a lanthanide's N edges where its M4,5 edge is fitted."""
    with_m45 = {
        d.element
        for d in decisions
        if d.element in LANTHANIDES and d.fitted and d.subshell in ("M5", "M4")
    }
    return [
        _dropped(
            d,
            "N edges of a lanthanide hold the 4d->4f giant resonance, which one-electron "
            "tables do not reproduce: quantified from M4,5",
        )
        if d.element in with_m45 and d.fitted and d.subshell.startswith("N")
        else d
        for d in decisions
    ]


def family_of(subshell):
    """The edge family (``"K"``, ``"L2,3"``, ``"M4,5"``, ``"N4,5"``) of a subshell, or itself."""
    return _FAMILY_OF.get(subshell, subshell)


def edge_families(decisions):
    """The fitted edges grouped by (element, family): ``{(el, family): [onsets]}``."""
    out = {}
    for d in decisions:
        if d.fitted:
            out.setdefault((d.element, family_of(d.subshell)), []).append(d.onset)
    return out


def element_cross_section(element, subshells, energy, settings):
    """Sum of an element's subshell cross-sections (barn/eV) at ``energy`` (any shape)."""
    from ..gos import cross_section

    total = np.zeros(np.shape(energy))
    for sub in subshells:
        total = total + cross_section(
            element,
            sub,
            energy,
            settings["beam_energy"],
            settings["collection_angle"],
            settings.get("convergence_angle", 0.0),
        )
    return total
