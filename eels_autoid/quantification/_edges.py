"""The exspy components of the edges the spectrum model holds.

Each fitted edge becomes exspy's ``EELSCLEdge`` on eels_autoid's GOS file
(or :class:`~eels_autoid.components.AutoIDEELSCLEdge` for the edges exspy's
database lacks), every subshell of an element twinned to one intensity, as
exspy does.
"""

from __future__ import annotations

from ..spectrum_model._edges import MAJOR_SUBSHELLS, EdgeDecision, plan_edges

__all__ = ["EdgeDecision", "plan_edges", "edge_components", "twin_element_edges", "MAJOR_SUBSHELLS"]


def edge_components(decision, gos_file_path):
    """The exspy component of a fitted edge, or raise ValueError if it cannot be built."""
    if decision.status == "added":
        from ..components import AutoIDEELSCLEdge

        return AutoIDEELSCLEdge(decision.name, gos_file_path=gos_file_path)
    from exspy.components import EELSCLEdge

    return EELSCLEdge(decision.name, GOS="dft", gos_file_path=str(gos_file_path))


def twin_element_edges(components):
    """Twin an element's subshells to one intensity (its first major subshell), as exspy does.

    Returns the master component.
    """
    master = next(
        (c for c in components if c.subshell in MAJOR_SUBSHELLS),
        components[0],
    )
    for c in components:
        if c is master:
            continue
        delta = c.onset_energy.value - master.onset_energy.value  # before twinning
        c.intensity.twin = master.intensity
        c.onset_energy.twin = master.onset_energy
        c.onset_energy.twin_function_expr = f"x + {delta}"
        c.free_onset_energy = False
    return master
