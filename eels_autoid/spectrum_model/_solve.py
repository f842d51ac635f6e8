"""Linear least squares with non-negative background and amounts, free near-edge terms."""

from __future__ import annotations

import numpy as np

__all__ = ["solve", "covariance", "atomic_fractions"]


def _unit(a):
    s = np.sqrt((a * a).sum(axis=0))
    return np.where(s > 0, s, 1.0)


def solve(design, data, weights, free):
    """Minimise ``|| w (data - design x) ||`` with ``x >= 0`` except where ``free``.

    The free columns (near-edge structure) are projected out, the rest solved
    by NNLS, and the free coefficients recovered: the exact constrained
    optimum, in one NNLS of the constrained columns only.

    Returns
    -------
    x : numpy.ndarray, shape (K,)
    chi2 : float
        The weighted residual sum of squares.
    """
    from scipy.optimize import nnls

    a = design * weights[:, None]
    y = data * weights
    s = _unit(a)
    a = a / s
    free = np.asarray(free, dtype=bool)
    fixed = ~free
    x = np.zeros(a.shape[1])
    f = a[:, free]
    if f.shape[1]:
        q, _ = np.linalg.qr(f)
        c = a[:, fixed] - q @ (q.T @ a[:, fixed])
        yp = y - q @ (q.T @ y)
    else:
        c, yp = a[:, fixed], y
    if c.shape[1]:
        x[fixed], _ = nnls(c, yp, maxiter=50 * c.shape[1])
    if f.shape[1]:
        x[free], *_ = np.linalg.lstsq(f, y - a[:, fixed] @ x[fixed], rcond=None)
    chi2 = float(((y - a @ x) ** 2).sum())
    return x / s, chi2


def covariance(design, weights, active):
    """Covariance (K, K) of the coefficients, for channels of standard deviation 1/weights.

    Computed over the active columns (free ones and constrained ones off
    their bound); the others get zero variance, as they sit at the bound.
    """
    k = design.shape[1]
    cov = np.zeros((k, k))
    idx = np.flatnonzero(active)
    if not len(idx):
        return cov
    a = design[:, idx] * weights[:, None]
    s = _unit(a)
    inv = np.linalg.pinv((a / s).T @ (a / s), rcond=1e-12)
    cov[np.ix_(idx, idx)] = inv / np.outer(s, s)
    return cov


def atomic_fractions(x_el, cov_el):
    """Atomic fractions (negative amounts read as 0) and their standard errors.

    ``x_el`` (P, E) amounts and ``cov_el`` (P, E, E) their covariances, for P
    spectra at once.
    """
    positive = x_el > 0
    amount = np.where(positive, x_el, 0.0)
    total = amount.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = amount / total
        # Linearised as if no amount were clipped: a fraction at 0 or 1 keeps
        # the uncertainty that the other elements' amounts give it.
        eye = np.eye(x_el.shape[1])[None]
        jac = (eye - fractions[:, :, None]) / total[:, :, None]
    var = np.einsum("pij,pjk,pik->pi", jac, cov_el, jac)
    return fractions, np.sqrt(np.maximum(var, 0.0))
