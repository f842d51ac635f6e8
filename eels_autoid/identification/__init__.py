"""Identifying edges: from a HyperSpy signal to element probabilities and maps."""

from ._identify import identify_edges
from ._result import EdgeIdentification, IdentificationSummary, SummaryRow

__all__ = ["identify_edges", "EdgeIdentification", "IdentificationSummary", "SummaryRow"]
