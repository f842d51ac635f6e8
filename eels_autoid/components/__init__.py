"""HyperSpy components provided by eels_autoid (registered in ``hyperspy_extension.yaml``)."""

from .eels_cl_edge import AutoIDEELSCLEdge

__all__ = ["AutoIDEELSCLEdge"]
