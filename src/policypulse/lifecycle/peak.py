"""Peak of attention (argmax of the smoothed rate), its bootstrap interval, and the empirical half-life."""

from __future__ import annotations

import numpy as np

from .series import Series, smoothed_rate, window_sums


def peak_index(smooth: np.ndarray, docs: np.ndarray | None = None) -> int | None:
    """Index of the highest smoothed rate among periods in which the idea was said (first one on ties).

    Restricting the argmax to periods with documents keeps the peak from falling in a silent neighbour
    of a burst (a centred window reaches both ways), e.g. before the first mention.
    """
    if smooth.size == 0 or not np.isfinite(smooth).any() or np.nanmax(smooth) <= 0:
        return None
    if docs is None:
        return int(np.nanargmax(smooth))
    masked = np.where(docs > 0, smooth, np.nan)
    if not np.isfinite(masked).any():
        return None
    return int(np.nanargmax(masked))


def bootstrap_peak_interval(
    s: Series, width: int, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[int, int] | None:
    """Percentile interval of the peak period over posterior draws of every period's rate.

    Each replicate draws each covered period's rate from its Jeffreys posterior Gamma(docs + 1/2,
    total_docs), zero-count periods included, re-smooths and takes the argmax over the idea's life
    (first to last mention). A period with no mention can thus still be the peak of a replicate when
    its neighbours are strong, so a sparse series (five mentions, one a year) gets an interval that
    spans the plausible years instead of collapsing on one.
    """
    if n_boot <= 0 or s.docs.sum() == 0:
        return None
    m = np.flatnonzero(s.docs > 0)
    half = width // 2
    lo, hi = max(int(m[0]) - half, 0), min(int(m[-1]) + half, s.n - 1)
    span = np.arange(lo, hi + 1)
    cov = s.covered[span]
    exp_ = s.exposure[span].astype(float)
    draws = np.zeros((n_boot, span.size))
    draws[:, cov] = rng.gamma(s.docs[span][cov] + 0.5, 1.0, size=(n_boot, int(cov.sum()))) / exp_[cov]
    num = window_sums(draws * exp_[None, :], width)
    den = window_sums(exp_, width)
    life = (span >= m[0]) & (span <= m[-1]) & cov & (den > 0)
    sm = np.where(life[None, :], num / np.where(den > 0, den, 1.0)[None, :], -np.inf)
    arg = span[np.argmax(sm, axis=1)]
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
