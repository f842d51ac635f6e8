"""The private parts of exspy and HyperSpy that eels_autoid relies on, in one place.

Neither package offers these as public API. Every use in eels_autoid goes
through this module, and ``tests/test_exspy_private.py`` checks each name
and the layout the package reads, so that a change in exspy or HyperSpy fails
there, loudly, instead of somewhere deep in quantification. The versions
tested are pinned in ``pyproject.toml``.
"""

from __future__ import annotations

__all__ = ["GoshGOS", "exspy_elements", "record_init_argument"]

# exspy's reader of GOSH tables: the base of eels_autoid's reader that takes
# its onsets from eels_autoid's edge table (exspy._misc.eels.gosh_gos).
from exspy._misc.eels.gosh_gos import GoshGOS  # noqa: E402


def exspy_elements():
    """exspy's element database (``exspy._misc.elements.elements``).

    Read for the binding energies: ``[symbol]["Atomic_properties"]
    ["Binding_energies"][subshell]["onset_energy (eV)"]``.
    """
    from exspy._misc.elements import elements

    return elements


def record_init_argument(component, name, value):
    """Make HyperSpy store ``value`` as the constructor argument ``name`` of ``component``.

    HyperSpy rebuilds a saved model's components from the private
    ``Component._whitelist``: ``{name: ("init", value)}`` entries are passed to
    the constructor on loading.
    """
    component._whitelist[name] = ("init", value)
