"""Peak of attention (argmax of the smoothed rate), its bootstrap interval, and the empirical half-life."""

from __future__ import annotations

import numpy as np

from .series import Series, smoothed_rate, window_sums


def peak_index(smooth: np.ndarray) -> int | None:
    """Index of the highest smoothed rate (first one on ties); None if nothing was ever mentioned."""
    if smooth.size == 0 or not np.isfinite(smooth).any() or np.nanmax(smooth) <= 0:
        return None
    return int(np.nanargmax(smooth))


def bootstrap_peak_interval(
    s: Series, width: int, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[int, int] | None:
    """Percentile interval of the peak period over a parametric bootstrap of documents.

    Each replicate redraws every period's mentioning documents as Binomial(total_docs, observed rate),
    i.e. resamples the period's documents with replacement, re-smooths and takes the argmax. Only
    periods with mentions are random (a zero rate stays zero), which keeps 1,000 ideas fast.
    """
    if n_boot <= 0 or s.docs.sum() == 0:
        return None
    num0 = window_sums(s.docs.astype(float), width)
    den = window_sums(s.exposure.astype(float), width)
    ok = (den > 0) & s.covered
    sm0 = np.where(ok, num0 / np.where(den > 0, den, 1.0), -np.inf)
    # Only periods that could plausibly be the peak need resampling: a window whose smoothed rate is
    # more than 4 Poisson standard deviations (both sides) below the peak's will not win the argmax.
    # This keeps the bootstrap cheap for peaked ideas and exact in effect (the bound is conservative).
    sd = np.sqrt(np.maximum(num0, 1.0)) / np.where(den > 0, den, 1.0)
    top = int(np.argmax(sm0))
    cand = np.flatnonzero(ok & (sm0 + 4 * sd >= sm0[top] - 4 * sd[top]))
    half = width // 2
    lo, hi = max(int(cand.min()) - half, 0), min(int(cand.max()) + half, s.n - 1)
    span = np.arange(lo, hi + 1)
    nz = span[s.docs[span] > 0]
    boot = np.zeros((n_boot, span.size))
    n_, p_ = s.exposure[nz], s.docs[nz] / s.exposure[nz]
    # Exact binomial draws for small counts; the normal approximation (same mean and variance) for
    # counts of 50 or more, where it is indistinguishable and an order of magnitude cheaper.
    small = s.docs[nz] < 50
    boot[:, (nz - lo)[small]] = rng.binomial(n_[small], p_[small], size=(n_boot, int(small.sum())))
    if (~small).any():
        mean, var = n_[~small] * p_[~small], n_[~small] * p_[~small] * (1 - p_[~small])
        boot[:, (nz - lo)[~small]] = np.maximum(
            np.rint(mean + np.sqrt(var) * rng.standard_normal((n_boot, int((~small).sum())))), 0.0
        )
    num = window_sums(boot, width)
    cand_rel = cand - lo
    sm = num[:, cand_rel] / den[cand][None, :]
    arg = cand[np.argmax(sm, axis=1)]
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    return int(np.quantile(arg, lo_q, method="lower")), int(np.quantile(arg, hi_q, method="higher"))


def half_life_index(smooth: np.ndarray, peak: int, stop: int | None = None) -> float | None:
    """Periods from the peak until the smoothed rate first falls to half the peak (linear interpolation).

    Returns None when the rate never falls that low before `stop` (inclusive).
    """
    end = len(smooth) if stop is None else stop + 1
    target = smooth[peak] / 2.0
    prev_i, prev_v = peak, smooth[peak]
    for i in range(peak + 1, end):
        v = smooth[i]
        if not np.isfinite(v):
            continue
        if v <= target:
            frac = (prev_v - target) / (prev_v - v) if prev_v > v else 1.0
            return float(prev_i - peak + frac * (i - prev_i))
        prev_i, prev_v = i, v
    return None


def smooth_series(s: Series, width: int) -> np.ndarray:
    """The pooled centred moving-window rate of a series."""
    return smoothed_rate(s.docs, s.exposure, width)
