"""Poisson regression with an exposure offset: statsmodels for reference, a batched numpy Newton for speed."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

_MAX_ETA = 50.0  # clip the linear predictor: all-zero bootstrap replicates push the slope to -inf


@dataclass(frozen=True)
class PoissonFit:
    """Coefficients, their covariance, log-likelihood and AIC of one Poisson GLM."""

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    aic: float
    converged: bool


def poisson_newton(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, start: np.ndarray, max_iter: int = 30, tol: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """Newton–Raphson for many Poisson GLMs sharing one design: y is (B, n); returns params (B, p), converged.

    This is the textbook iteration (identical to IRLS for the canonical log link), vectorised over
    replicates so a parametric bootstrap costs one array operation per step instead of B model fits.
    """
    y2 = np.atleast_2d(y).astype(float)
    beta = np.tile(np.asarray(start, dtype=float), (y2.shape[0], 1))
    done = np.zeros(y2.shape[0], dtype=bool)
    two = x.shape[1] == 2 and bool(np.all(x[:, 0] == 1.0))
    g = x[:, 1]
    g2 = g * g
    active = np.arange(y2.shape[0])
    for _ in range(max_iter):
        # Iterate only on replicates that have not converged yet.
        b, ya = beta[active], y2[active]
        mu = np.exp(np.clip(b @ x.T + offset, -_MAX_ETA, _MAX_ETA))
        resid = ya - mu
        if two:
            # Intercept + one covariate (every decay form here): solve the 2x2 system in closed form,
            # several times faster than a batched general solve.
            h00, h01, h11 = mu.sum(axis=1), mu @ g, mu @ g2
            r0, r1 = resid.sum(axis=1), resid @ g
            det = h00 * h11 - h01 * h01
            det = np.where(np.abs(det) > 1e-300, det, np.inf)
            step = np.column_stack([(h11 * r0 - h01 * r1) / det, (h00 * r1 - h01 * r0) / det])
        else:
            hess = np.einsum("bn,ni,nj->bij", mu, x, x) + np.eye(x.shape[1]) * 1e-12
            try:
                step = np.linalg.solve(hess, (resid @ x)[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.zeros_like(b)
        # Damp huge steps (separation-like replicates) so they cannot overflow the next iteration.
        big = np.abs(step).max(axis=1, keepdims=True)
        step = np.where(big > 10.0, step * (10.0 / np.maximum(big, 1e-300)), step)
        b = b + step
        beta[active] = b
        conv = np.abs(step).max(axis=1) < tol * (1.0 + np.abs(b).max(axis=1))
        done[active[conv]] = True
        active = active[~conv]
        if active.size == 0:
            break
    return beta, done


def fit_poisson(x: np.ndarray, y: np.ndarray, offset: np.ndarray, engine: str = "numpy") -> PoissonFit | None:
    """Fit one Poisson GLM log E[y] = offset + x @ beta; None if it cannot be fitted."""
    if engine == "statsmodels":
        return _fit_statsmodels(x, y, offset)
    if engine != "numpy":
        raise ValueError(f"unknown GLM engine {engine!r}; use 'numpy' or 'statsmodels'")
    total = y.sum()
    if total <= 0:
        return None
    # Start from weighted least squares on log((y + 1/2) / exposure): Newton then needs a few steps.
    w = y + 0.5
    z = np.log(w) - offset
    xw = x * w[:, None]
    try:
        start = np.linalg.solve(xw.T @ x, xw.T @ z)
    except np.linalg.LinAlgError:
        start = np.zeros(x.shape[1])
        start[0] = np.log(total / np.exp(offset).sum())
    if x.shape[1] == 2 and bool(np.all(x[:, 0] == 1.0)):
        # Sparse counts bias the least-squares start (log(1/2) stands for every zero) by orders of
        # magnitude, and damped Newton then crawls back one unit a step: start from the flat MLE
        # instead when its likelihood is higher.
        flat = np.array([math.log(total / float(np.exp(offset).sum())), 0.0])
        if _loglik_two(x[:, 1], y, offset, flat) > _loglik_two(x[:, 1], y, offset, start):
            start = flat
        b, conv = _newton_two(x[:, 1], y, offset, start)
    else:
        beta, ok = poisson_newton(x, y, offset, start)
        b, conv = beta[0], bool(ok[0])
    mu = np.exp(np.clip(x @ b + offset, -_MAX_ETA, _MAX_ETA))
    hess = (x * mu[:, None]).T @ x
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    ll = float(np.sum(y * np.log(np.maximum(mu, 1e-300)) - mu - gammaln(y + 1.0)))
    return PoissonFit(b, cov, ll, 2 * x.shape[1] - 2 * ll, conv)


def _loglik_two(g: np.ndarray, y: np.ndarray, offset: np.ndarray, beta: np.ndarray) -> float:
    """Poisson log-likelihood (without the constant) of intercept + slope at `beta`."""
    eta = np.minimum(beta[0] + beta[1] * g + offset, _MAX_ETA)
    return float(y @ eta - np.exp(eta).sum())


def _newton_two(
    g: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray,
    start: np.ndarray,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> tuple[np.ndarray, bool]:
    """Newton for one intercept + slope Poisson GLM on 1-D arrays: the hot path of every decay fit."""
    a, b = float(start[0]), float(start[1])
    g2 = g * g
    sy, syg = float(y.sum()), float(y @ g)
    for _ in range(max_iter):
        mu = np.exp(np.minimum(a + b * g + offset, _MAX_ETA))
        h00, h01, h11 = float(mu.sum()), float(mu @ g), float(mu @ g2)
        r0, r1 = sy - h00, syg - h01
        det = h00 * h11 - h01 * h01
        if not det > 0:
            return np.array([a, b]), False
        da, db = (h11 * r0 - h01 * r1) / det, (h00 * r1 - h01 * r0) / det
        big = max(abs(da), abs(db))
        if big > 10.0:  # damp huge steps so a poor start cannot overflow
            da, db = da * 10.0 / big, db * 10.0 / big
        a, b = a + da, b + db
        if big < tol * (1.0 + max(abs(a), abs(b))):
            return np.array([a, b]), True
    return np.array([a, b]), False


def _fit_statsmodels(x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> PoissonFit | None:
    """The same fit through statsmodels' GLM: the reference the numpy path is tested against."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    if y.sum() <= 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
    return PoissonFit(
        np.asarray(res.params),
        np.asarray(res.cov_params()),
        float(res.llf),
        float(res.aic),
        bool(res.converged),
    )
