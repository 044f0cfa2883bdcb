"""Optimal linear estimation (OLE) of an extinction date from sighting times (Roberts & Solow 2003)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

OLE_K = 10  # most recent sightings used, as in Roberts & Solow (2003)


@dataclass(frozen=True)
class OLEstimate:
    """Estimated extinction time, two-sided (1 - alpha) interval, and Solow's p-value at the test time."""

    estimate: float
    lo: float
    hi: float
    p_value: float | None
    k: int
    shape: float  # the Weibull shape estimate v of the last sightings


def optimal_linear_estimate(
    sightings: np.ndarray, alpha: float = 0.05, k: int = OLE_K, test_time: float | None = None
) -> OLEstimate | None:
    """OLE from sighting times (any unit, e.g. days); None with fewer than 3 sightings.

    The k most recent distinct sightings t1 > ... > tk follow (approximately) the joint distribution of
    the largest order statistics of a Weibull; the extinction time is the weighted sum a'·t with
    a = (e' L^-1 e)^-1 L^-1 e and L_ij = Gamma(2v+i) Gamma(v+j) / (Gamma(v+i) Gamma(j)) (j <= i),
    v = (1/(k-1)) sum_{i=1}^{k-2} log((t1-tk)/(t1-t_{i+1})). Bounds: t1 + (t1-tk)/(c(a)-1),
    c(a) = (-log(a)/k)^-v, at a = 1 - alpha/2 (lower) and alpha/2 (upper). Formulas as in
    Roberts & Solow (2003) and Solow (2005).
    """
    t = np.sort(np.asarray(sightings, dtype=float))[::-1]
    if t.size > 1 and t[0] == t[1]:  # ties at the latest sighting break the shape estimate: drop them
        t = np.concatenate([[t[0]], t[t < t[0]]])
    k = min(k, t.size)
    if k < 3:
        return None
    t = t[:k]
    span = t[0] - t[-1]
    if span <= 0:
        return None
    v = float(np.sum(np.log(span / (t[0] - t[1 : k - 1])))) / (k - 1)
    if not math.isfinite(v) or v <= 0:
        return None
    i = np.arange(1, k + 1, dtype=float)
    ii, jj = np.meshgrid(i, i, indexing="ij")
    lo_i, hi_j = np.maximum(ii, jj), np.minimum(ii, jj)  # symmetric: use (max, min) as (i, j)
    lam = np.exp(gammaln(2 * v + lo_i) + gammaln(v + hi_j) - gammaln(v + lo_i) - gammaln(hi_j))
    e = np.ones(k)
    try:
        li_e = np.linalg.solve(lam, e)
    except np.linalg.LinAlgError:
        return None
    a = li_e / (e @ li_e)
    estimate = float(a @ t)
    c_lo = (-math.log(1 - alpha / 2) / k) ** -v
    c_hi = (-math.log(alpha / 2) / k) ** -v
    lo = float(t[0] + span / (c_lo - 1))
    hi = float(t[0] + span / (c_hi - 1))
    p = None
    if test_time is not None and test_time > t[0]:
        p = float(math.exp(-k * ((test_time - t[0]) / (test_time - t[-1])) ** (1 / v)))
    return OLEstimate(estimate, lo, hi, p, k, v)
