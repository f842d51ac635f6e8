"""Values a spectrum cannot hold: non-finite channels, empty and inverted spectra.

Counted in the same pass over the data as the identification, and warned
about alike for spectra in memory and lazy ones.
"""

from __future__ import annotations

import warnings

import numpy as np

from .preprocessing import MAX_BRIDGED_GAP, bridge_gaps

__all__ = ["unusable_spectra", "bad_value_counts", "warn_bad_values", "filled_spectrum"]


def unusable_spectra(spectra):
    """Which spectra cannot be identified: (empty, negated) boolean masks.

    Empty: no finite, non-zero channel. Negated: most finite channels and
    their sum are negative *and* the intensity rises with energy loss, as
    for an inverted spectrum (a core-loss spectrum falls with energy). A
    spectrum with too much dark subtracted falls with energy and is kept; a
    background-subtracted one, positive over its edges, is not negative.

    Parameters
    ----------
    spectra : numpy.ndarray, shape (n, size)
    """
    spectra = np.asarray(spectra)
    finite = np.isfinite(spectra)
    # Blocks of thousands of spectra: no float64 copy of finite data (the
    # usual case), and matrix-vector products instead of full-size temporaries.
    values = spectra if finite.all() else np.where(finite, spectra, 0)
    n_finite = finite.sum(axis=1)
    del finite
    empty = ~(values != 0).any(axis=1)
    channels = np.arange(spectra.shape[1]) - (spectra.shape[1] - 1) / 2
    total = values @ np.ones(spectra.shape[1])
    negative = ((values < 0).sum(axis=1) * 2 > n_finite) & (total < 0)
    rising = values @ channels > 0
    return empty, ~empty & negative & rising


def filled_spectrum(y):
    """One spectrum as float64 with its NaN or inf channels interpolated from the measured ones.

    For a model fitted on a contiguous axis: a channel not measured would
    otherwise enter the fit as 0 (or as the largest float, for inf), far
    off the data around it. Channels before the first or after the last
    measured one take its value. All channels unmeasured: zeros.
    """
    y = np.asarray(y, dtype=np.float64)
    good = np.isfinite(y)
    if good.all():
        return y
    if not good.any():
        return np.zeros_like(y)
    channels = np.arange(len(y))
    return np.interp(channels, channels[good], y[good])


def bad_value_counts(block):
    """(non-finite values, bridged values, empty spectra, negated spectra) in one block."""
    spectra = np.asarray(block).reshape(-1, block.shape[-1])
    n_bad = int((~np.isfinite(spectra)).sum())
    bridged = bridge_gaps(spectra)
    n_bridged = n_bad - int((~np.isfinite(bridged)).sum())
    empty, negated = unusable_spectra(bridged)
    counts = np.array([n_bad, n_bridged, empty.sum(), negated.sum(), len(spectra)], dtype=np.int64)
    return counts.reshape((1,) * (block.ndim - 1) + (5,))


def warn_bad_values(counts, stacklevel=3):
    """The warnings for non-finite values and unusable spectra, from :func:`bad_value_counts`.

    ``counts`` holds (non-finite values, bridged values, empty spectra,
    negated spectra, spectra).
    """
    n_bad, n_bridged, n_empty, n_negated, n = (int(c) for c in np.asarray(counts))
    if n_bad:
        rest = n_bad - n_bridged
        warnings.warn(
            f"The signal holds {n_bad} NaN or inf values: {n_bridged} in runs of at most "
            f"{MAX_BRIDGED_GAP} channels are interpolated from their neighbours, the other {rest} "
            "are treated as not measured.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if n_empty:
        warnings.warn(
            f"{n_empty} of {n} spectra are all zero (or not finite); their probabilities are set "
            "to 0.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if n_negated:
        warnings.warn(
            f"{n_negated} of {n} spectra are mostly negative (inverted, or too much dark or "
            "background subtracted); their probabilities are set to 0.",
            UserWarning,
            stacklevel=stacklevel,
        )
