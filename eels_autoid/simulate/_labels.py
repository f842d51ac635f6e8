"""What a label means: present and detectable.

An element is labelled when (1) it is in the composition, (2) one of its
identification edges is observable in the recorded window, as decided by
:func:`eels_autoid.vocabulary.observable_edges`, and (3) in that edge's ratio
window ``[onset, onset + ratio_width]`` (recorded axis, channels inside the
window) its noiseless counts exceed 3 standard deviations of the Poisson
noise of everything else there, ``S > 3 sqrt(B)``, and at least 3 % of it,
``S >= 0.03 B``; ``B`` is the background, the low loss and the other
elements' edges, all after plural scattering, the PSF and binning.

The second condition is the background's: a power law extrapolated under an
edge is rarely better than a few per cent on real spectra (fine structure of
the edges below, detector gain, thickness changes), so an edge of 1 % of the
background is not there for a microscopist however many counts it has. With
the 3-sigma rule alone, 13 % of the simulated labels had ``S < 0.03 B``.
"""

from __future__ import annotations

import numpy as np

from ..vocabulary import ELEMENTS

DETECTION_SIGMA = 3.0
DETECTION_MIN_RATIO = 0.03


def is_detectable(signal, other):
    """The detectability rule (noiseless counts in the edge's ratio window).

    ``signal > DETECTION_SIGMA * sqrt(other)`` and
    ``signal >= DETECTION_MIN_RATIO * other``.
    """
    signal = np.asarray(signal, dtype=float)
    other = np.maximum(np.asarray(other, dtype=float), 0.0)
    return (signal > DETECTION_SIGMA * np.sqrt(other)) & (signal >= DETECTION_MIN_RATIO * other)


def multi_hot(element_lists):
    """(n, 80) uint8 multi-hot array in :data:`~eels_autoid.ELEMENTS` order."""
    out = np.zeros((len(element_lists), len(ELEMENTS)), dtype=np.uint8)
    for i, els in enumerate(element_lists):
        for el in els:
            out[i, ELEMENTS.index(el)] = 1
    return out


def labels(signal):
    """The (n, 80) multi-hot labels of a simulated signal, in ``ELEMENTS`` order.

    Parameters
    ----------
    signal : exspy.signals.EELSSpectrum
        From :func:`~eels_autoid.simulate.spectra` or
        :func:`~eels_autoid.simulate.spectrum_image`; ``n`` is the navigation
        size (C order). Rows may be empty (negatives).
    """
    try:
        y = signal.metadata.Simulation.labels
    except AttributeError:
        raise ValueError(
            "This signal carries no simulation truth (metadata.Simulation.labels): "
            "labels() only reads signals made by eels_autoid.simulate."
        ) from None
    y = np.asarray(y, dtype=np.uint8)
    return y.reshape(-1, len(ELEMENTS))
