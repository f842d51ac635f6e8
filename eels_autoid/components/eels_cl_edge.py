"""A core-loss edge component for edges exspy's element database lacks.

:class:`AutoIDEELSCLEdge` is an :class:`exspy.components.EELSCLEdge` whose
onset comes from eels_autoid's edge table
(:func:`eels_autoid.vocabulary.subshell_onsets`, exspy's database completed
by xraydb) and whose GOS comes from the bundled GOSH file
(:func:`eels_autoid.gos.gosh_file`). It therefore works for edges such as
S K, Cl K or Ru L2,3 that ``EELSCLEdge`` cannot build, and offline.
"""

from __future__ import annotations

import numpy as np
from exspy.components import EELSCLEdge

from .._exspy_private import GoshGOS, record_init_argument

__all__ = ["AutoIDEELSCLEdge", "VocabularyGoshGOS"]


class VocabularyGoshGOS(GoshGOS):
    """exspy's GOSH reader with onsets from eels_autoid's edge table.

    Parameters
    ----------
    element_subshell : str or dict
        ``"S_K"``-style name, or a dictionary exported by ``as_dictionary``.
    gos_file_path : path-like, optional
        Default: the bundled file.
    """

    _name = "eels_autoid"

    def __init__(self, element_subshell, gos_file_path=None):
        if gos_file_path is None:
            from eels_autoid.gos import gosh_file

            gos_file_path = str(gosh_file())
        super().__init__(element_subshell, gos_file_path=str(gos_file_path))

    def read_elements(self):
        from eels_autoid import vocabulary

        try:
            onsets = vocabulary.subshell_onsets(self.element)
        except ValueError as err:
            raise ValueError(f"The given element {self.element} is not in the database.") from err
        if self.subshell not in onsets:
            raise ValueError(
                f"The given subshell {self.subshell} is not in the database. "
                f"The available subshells are:\n{', '.join(onsets)}"
            )
        self.onset_energy = float(onsets[self.subshell])
        self.Z = vocabulary.atomic_number(self.element)
        self.element_dict = {"General_properties": {"Z": self.Z}}

    def get_qaxis_and_gos(self, ienergy, qmin, qmax):
        """exspy's q range of one energy, extended flat below the table's first q.

        exspy's version needs ``qmin`` above the first tabulated q, which an
        onset moved to near 0 eV breaks (q_min shrinks with the energy loss).
        As q -> 0 the GOS tends to its optical limit with corrections of order
        (q r)^2, so below the table it equals the first column.
        """
        q0 = self.qaxis[0]
        if qmin <= 0 or qmin > q0:
            return super().get_qaxis_and_gos(ienergy, qmin, qmax)
        g0 = self.gos_array[ienergy, 0]
        if qmax <= q0:
            return np.array([qmin, qmax]), np.array([g0, g0]).clip(0)
        qaxis, gos = super().get_qaxis_and_gos(ienergy, 0.0, qmax)  # from q0 to qmax
        if qmin < q0:
            qaxis, gos = np.hstack((qmin, qaxis)), np.hstack((g0, gos))
        return qaxis, gos.clip(0)


class AutoIDEELSCLEdge(EELSCLEdge):
    """Core-loss edge with eels_autoid's onsets and bundled GOS tables.

    Behaves like :class:`exspy.components.EELSCLEdge` (same parameters,
    fine structure, microscope parameters), for any subshell in
    :func:`eels_autoid.vocabulary.subshell_onsets`, including those exspy's
    database lacks (S K, Cl K, Ru L2,3 ...).

    Parameters
    ----------
    element_subshell : str or dict
        ``"S_K"``-style name (or the dictionary HyperSpy stores when saving
        a model).
    GOS : str
        Accepted for compatibility with ``EELSCLEdge``; only ``"dft"`` (the
        GOSH tables) is supported.
    gos_file_path : path-like, optional
        GOSH file; default :func:`eels_autoid.gos.gosh_file`.

    Examples
    --------
    >>> from eels_autoid.components import AutoIDEELSCLEdge
    >>> edge = AutoIDEELSCLEdge("S_K")
    >>> edge.onset_energy.value
    2472.0
    """

    # A subshell that exspy's database and the bundled file both hold: exspy's
    # own constructor builds the component around it, then its GOS reader is
    # replaced by one that knows the requested subshell. exspy is not patched.
    _SCAFFOLD = "O_K"

    def __init__(self, element_subshell, GOS="dft", gos_file_path=None):
        if GOS not in ("dft", "gosh", "eels_autoid"):
            raise ValueError("AutoIDEELSCLEdge only uses GOSH tables (GOS='dft').")
        if gos_file_path is None:
            from eels_autoid.gos import gosh_file

            gos_file_path = gosh_file()
        gos = VocabularyGoshGOS(element_subshell, gos_file_path=gos_file_path)  # validates
        super().__init__(self._SCAFFOLD, GOS="dft", gos_file_path=str(gos_file_path))
        self.element, self.subshell = gos.element, gos.subshell
        self.name = f"{self.element}_{self.subshell}"
        self.GOS = gos
        # No integration yet: it needs the microscope parameters of a model.
        with self.onset_energy.events.value_changed.suppress():
            self.onset_energy.value = gos.onset_energy
        self._calculate_knots()  # the fine-structure spline starts at the new onset
        record_init_argument(self, "element_subshell", gos.as_dictionary(True))
