"""A core-loss edge component for edges exspy's element database lacks.

:class:`AutoIDEELSCLEdge` is an :class:`exspy.components.EELSCLEdge` whose
onset comes from eels_autoid's edge table
(:func:`eels_autoid.vocabulary.subshell_onsets`, exspy's database completed
by xraydb) and whose GOS comes from the bundled GOSH file
(:func:`eels_autoid.gos.gosh_file`). It therefore works for edges such as
S K, Cl K or Ru L2,3 that ``EELSCLEdge`` cannot build, and offline.
"""

from __future__ import annotations

from exspy._misc.eels.gosh_gos import GoshGOS
from exspy.components import EELSCLEdge
from exspy.components.eels_cl_edge import FSet
from hyperspy.component import Component

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

    def __init__(self, element_subshell, GOS="dft", gos_file_path=None):
        if GOS not in ("dft", "gosh", "eels_autoid"):
            raise ValueError("AutoIDEELSCLEdge only uses GOSH tables (GOS='dft').")
        # Mirrors EELSCLEdge.__init__ with the GOS reader swapped for one that
        # takes its onsets from eels_autoid's edge table.
        self.fine_structure_components = FSet(component=self)
        Component.__init__(
            self,
            ["intensity", "fine_structure_coeff", "effective_angle", "onset_energy"],
            linear_parameter_list=["intensity"],
        )
        if isinstance(element_subshell, dict):
            self.element = element_subshell["element"]
            self.subshell = element_subshell["subshell"]
        else:
            self.element, self.subshell = element_subshell.split("_")
        self.name = "_".join([self.element, self.subshell])
        self.energy_scale = None
        self.effective_angle.free = False
        self.fine_structure_active = False
        self.fine_structure_width = 30.0
        self.fine_structure_coeff.ext_force_positive = False
        self.GOS = VocabularyGoshGOS(element_subshell, gos_file_path=gos_file_path)
        self.onset_energy.value = self.GOS.onset_energy
        self.onset_energy.free = False
        self._position = self.onset_energy
        self.free_onset_energy = False
        self.intensity.grad = self.grad_intensity
        self.intensity.value = 1
        self.intensity.bmin = 0.0
        self.intensity.bmax = None

        self._whitelist["GOS"] = ("init", "dft")
        self._whitelist["element_subshell"] = ("init", self.GOS.as_dictionary(True))
        self._whitelist["fine_structure_active"] = None
        self._whitelist["fine_structure_width"] = None
        self._whitelist["fine_structure_smoothing"] = None
        self._whitelist["fine_structure_spline_onset"] = None
        self._whitelist["fine_structure_spline_active"] = None
        self._whitelist["_fine_structure_coeff_free"] = None
        self.effective_angle.events.value_changed.connect(self._integrate_GOS, [])
        self.onset_energy.events.value_changed.connect(self._integrate_GOS, [])
        self.onset_energy.events.value_changed.connect(self._calculate_knots, [])
        self._fine_structure_spline_onset = 0
        self.events.active_changed.connect(self._set_active_fine_structure_components)
