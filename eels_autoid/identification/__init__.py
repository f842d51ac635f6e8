"""Identifying edges: from a HyperSpy signal to element probabilities and maps."""

from ._check import ElementCheck, SpectrumCheck
from ._identify import identify_edges
from ._result import MIN_AREA_FRACTION, EdgeIdentification, IdentificationSummary, SummaryRow

__all__ = [
    "identify_edges",
    "MIN_AREA_FRACTION",
    "EdgeIdentification",
    "IdentificationSummary",
    "SummaryRow",
    "SpectrumCheck",
    "ElementCheck",
]
