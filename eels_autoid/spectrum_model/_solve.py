"""Linear least squares with non-negative background and amounts, free near-edge terms."""

from __future__ import annotations

import numpy as np

__all__ = ["solve", "covariance", "atomic_fractions", "attribute"]


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


def attribute(columns, total, ridge=1e-6):
    """Coefficients of ``columns`` that make up what of ``total`` they resolve, norm bounded.

    Near-edge terms of two elements whose extents overlap are nearly
    collinear: the fit may use a direction of their span that only huge,
    cancelling coefficients reach, so the fit's own coefficients say nothing
    about which element the structure belongs to. A ridge of ``ridge`` on
    the unit-scaled columns keeps what they resolve and leaves out what they
    do not; the caller shows the difference from ``total`` as shared.
    """
    columns = np.asarray(columns, dtype=float)
    if not columns.shape[1]:
        return np.zeros(0)
    s = _unit(columns)
    f = columns / s
    normal = f.T @ f
    c = np.linalg.solve(normal + ridge * np.eye(len(normal)), f.T @ total)
    return c / s


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


def misfit_covariance(design, weights, residual, active, rows, lag):
    """Covariance of the coefficients ``rows`` for a residual correlated over ``lag`` channels.

    The sandwich (Newey-West) estimator: each channel's influence on the
    coefficients times its weighted residual, with the products of channels
    up to ``lag`` apart included (Bartlett weights). A smooth misfit (an edge
    shape the tables do not hold, a background that bends otherwise) moves
    the coefficients far more than independent noise of the same size: the
    ordinary covariance, which treats every channel as independent, misses
    it. Channels of weight 0 count as gaps in the lag.

    Parameters
    ----------
    design : numpy.ndarray, shape (N, K)
    weights, residual : numpy.ndarray, shape (N,)
        1 / standard deviation, and data - model.
    active : numpy.ndarray of bool, shape (K,)
    rows : sequence of int
        The coefficients wanted (all active).
    lag : int

    Returns
    -------
    numpy.ndarray, shape (len(rows), len(rows))
    """
    idx = np.flatnonzero(active)
    rows = [int(np.flatnonzero(idx == r)[0]) for r in rows]
    a = design[:, idx] * weights[:, None]
    s = _unit(a)
    a = a / s
    bread = np.linalg.pinv(a.T @ a, rcond=1e-12)[rows] / s[rows][:, None]
    # Each channel's contribution to the wanted coefficients' estimation error.
    h = (a @ bread.T) * (residual * weights)[:, None]
    cov = h.T @ h
    for k in range(1, max(int(lag), 0) + 1):
        c = h[k:].T @ h[:-k]
        cov += (1.0 - k / (lag + 1.0)) * (c + c.T)
    return cov
