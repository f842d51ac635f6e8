"""Quantification: elemental maps from the identified edges, with exspy's EELS model.

Public API
----------
quantify
    Relative atomic fractions (or absolute areal densities with a low loss)
    per pixel, with uncertainties, from exspy's model built with
    eels_autoid's GOS tables and a linear least-squares fit.
Quantification
    Its result: maps, uncertainties, the exspy model, the edges kept,
    dropped and added, a table, figures and files.
QuantificationSummary, QuantificationRow, EdgeDecision
    The table and the edge decisions.
report_figure
    A one-page figure of an identification and its quantification.
DEFAULT_MICROSCOPE
    The microscope settings used (with a warning) when metadata lack them.
"""

from ._checks import DEFAULT_MICROSCOPE
from ._edges import EdgeDecision
from ._quantify import quantify
from ._report import report_figure
from ._result import Quantification, QuantificationRow, QuantificationSummary

__all__ = [
    "quantify",
    "Quantification",
    "QuantificationSummary",
    "QuantificationRow",
    "EdgeDecision",
    "report_figure",
    "DEFAULT_MICROSCOPE",
]
