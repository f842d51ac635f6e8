"""SpectrumFit: what fitting the spectrum model gives, and a figure of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._background import segment_masks
from ._calibration import Calibration
from ._noise import NoiseModel

__all__ = ["SpectrumFit", "mask_ranges"]


@dataclass
class SpectrumFit:
    """A fitted spectrum model.

    Attributes
    ----------
    elements : list of str
        The elements with at least one fitted edge.
    amounts, amount_std : dict of str to float
        Amounts (areal density x incident electrons per barn; atoms/barn
        with a low loss) and their standard errors.
    fractions, fraction_std : dict of str to float
        Relative atomic fractions and standard errors, including the
        cross-section uncertainty of missing microscope settings and of
        lanthanide N4,5-only edges, and the misfit term (:attr:`systematic`).
    systematic : dict of str to float
        Relative fraction uncertainty beyond the ordinary standard error:
        missing microscope settings, lanthanide N4,5 alone, and the misfit
        of the fit correlated over tens of eV (the sandwich covariance of
        the amounts with the residual correlated over 30 eV, beyond the
        ordinary one): structure the model does not hold moves the amounts
        far more than noise of the same size. 0 where the residual is noise.
    evidence : dict of str to float
        How much the weighted residual sum of squares grows when the
        element's amount is set to 0 and everything else refitted (its own
        near-edge terms included, so that near-edge freedom alone never makes
        an element), over the element's own range (30 eV below to 100 eV above
        each of its edges) and in units of the full fit's misfit there (the
        median squared residual over that of chi-squared(1), when above 1, so
        that spikes do not inflate it): 0 for an element the spectrum does
        not need, about 1 for one that noise alone would give.
    calibration : Calibration
    noise : NoiseModel
    energy, data, model, background, residual : numpy.ndarray
        Over the fitted channels.
    parts : dict of str to numpy.ndarray
        Each element's contribution (edges plus near-edge structure).
    shared_near_edge : numpy.ndarray
        Near-edge structure that no single element's terms resolve: where two
        elements' near-edge extents overlap, their terms can move intensity
        between the extents only together. ``background + sum(parts) +
        shared_near_edge`` is the model; 0 where nothing overlaps.
    chi2 : float
        Weighted residual sum of squares under :attr:`noise`.
    dof : int
    background_subtracted : bool
    background_terms : dict of float to float
        Power-law exponent -> coefficient of the background (one segment).
    background_segments : tuple of (float, float, dict)
        With more than one background segment (edge families far apart):
        each segment's start and end (eV) and its power-law terms;
        ``background_terms`` is then empty.
    design, weights : numpy.ndarray
        The design matrix (columns named by ``roles``) and the fit weights
        over the fitted channels, for refits such as
        :meth:`SpectrumModel.evidence`.
    """

    elements: list
    amounts: dict
    amount_std: dict
    fractions: dict
    fraction_std: dict
    evidence: dict
    calibration: Calibration
    noise: NoiseModel
    energy: np.ndarray
    data: np.ndarray
    model: np.ndarray
    background: np.ndarray
    parts: dict
    chi2: float
    dof: int
    background_subtracted: bool
    decisions: list
    coefficients: np.ndarray = field(repr=False, default=None)
    roles: list = field(repr=False, default=None)
    systematic: dict = field(default_factory=dict)
    shared_near_edge: np.ndarray = field(repr=False, default=None)
    background_terms: dict = field(default_factory=dict)
    background_reference: float = 1.0
    background_segments: tuple = ()
    fitted: np.ndarray = field(repr=False, default=None)
    design: np.ndarray = field(repr=False, default=None)
    weights: np.ndarray = field(repr=False, default=None)

    @property
    def background_pieces(self):
        """Each background segment as ``(start, end, terms)``; one over all energies if unsegmented.

        The single-segment case keeps its terms in ``background_terms``.
        """
        return self.background_segments or ((-np.inf, np.inf, self.background_terms),)

    def background_function(self, energy):
        """The fitted background at any axis energies (eV): the sum of its power laws.

        With segments, each segment's power laws hold from its start (the
        first one's reaches down, the last one's up, beyond the fitted range).
        """
        energy = np.asarray(energy, dtype=float)
        e = np.maximum(self.calibration.true_energy(energy), 1e-3) / self.background_reference
        pieces = self.background_pieces
        out = np.zeros_like(e)
        masks = segment_masks(energy, [lo for lo, _, _ in pieces[1:]])
        for mask, (_, _, terms) in zip(masks, pieces, strict=True):
            out[mask] = sum(c * e[mask] ** -r for r, c in terms.items())
        return out

    @property
    def residual(self):
        return self.data - self.model

    def plot(self, axes=None):
        """The spectrum, the model and its parts, and the residual (two panels).

        Shaded: channels left out of the fit (near-edge regions). Structure
        left in the residual outside them is what no modelled element
        explains.

        Parameters
        ----------
        axes : sequence of two matplotlib.axes.Axes, optional
            Where to draw (spectrum, residual); a new figure when None.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(
                2,
                1,
                figsize=(9, 5.5),
                sharex=True,
                height_ratios=(2.5, 1),
                layout="constrained",
            )
        top, bottom = axes
        fig = top.figure
        e = self.energy
        top.plot(e, self.data, color="k", lw=0.8, label="spectrum")
        top.plot(e, self.model, color="tab:red", lw=0.9, label="model")
        top.plot(e, self.background, color="0.5", lw=0.8, ls="--", label="background")
        for el, part in self.parts.items():
            top.plot(e, self.background + part, lw=0.7, label=el)
        shared = self.shared_near_edge
        if shared is not None and np.ptp(shared) > 0.01 * np.ptp(self.data):
            top.plot(e, self.background + shared, lw=0.7, ls=":", label="shared near-edge")
        bottom.plot(e, self.residual, color="k", lw=0.7)
        bottom.axhline(0.0, color="0.5", lw=0.6)
        if self.fitted is not None:
            for ax in axes:
                _shade(ax, e, ~self.fitted)
        top.set_ylabel("Counts")
        top.legend(fontsize=8, ncols=2)
        off = self.calibration.offset
        top.set_title(
            "Spectrum model: "
            + ", ".join(f"{el} {self.fractions[el]:.3f}" for el in self.elements)
            + (f" (axis offset {off:+.1f} eV)" if off else ""),
            fontsize=10,
        )
        bottom.set_ylabel("Residual")
        bottom.set_xlabel("Energy loss (eV)")
        return fig

    @property
    def offset(self):
        return self.calibration.offset


def mask_ranges(energy, mask):
    """Contiguous energy ranges (eV) where ``mask`` is set."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [
        (float(energy[i]), float(energy[j - 1]))
        for i, j in zip(edges[::2], edges[1::2], strict=True)
    ]


def _shade(ax, energy, mask):
    """Shade the runs of ``mask`` on an energy axis."""
    for start, end in mask_ranges(energy, mask):
        ax.axvspan(start, end, color="0.9", lw=0, zorder=0)
