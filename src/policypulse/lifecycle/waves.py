"""Waves of attention: the first rise, and relaunches (significant secondary peaks after a decline)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import signal, special

from .series import RUN_LENGTH, SMOOTH_WIDTH, Series, window_sums

RELAUNCH_ALPHA = 0.01  # level of both one-sided rate tests (fall into the trough, rise out of it)
RELAUNCH_DROP = 0.5  # the trough must be at most half the previous peak ("after a decline")
RELAUNCH_RISE = 2.0  # and the new peak at least twice the trough
PROMINENCE = 0.2  # candidate peaks must stand out by a fifth of the highest smoothed rate
RISE_START = 0.25  # a relaunch is dated where the smoothed rate has climbed a quarter out of the trough


@dataclass(frozen=True)
class Wave:
    """One wave: the period its rise starts, its (local) peak, and how it began."""

    start: int
    peak: int
    kind: str  # "emergence", "relaunch" or "resurrection"


def rate_increase_p(s: Series, hi: int, lo: int) -> float:
    """One-sided p that the rate in the smoothing window at `hi` exceeds the one at `lo`.

    Conditional test for two Poisson rates: given the total x_hi + x_lo, x_hi is
    Binomial(x_hi + x_lo, E_hi / (E_hi + E_lo)) when the rates are equal (exposure E = total_docs).
    """
    w = SMOOTH_WIDTH[s.by]
    d = window_sums(s.docs.astype(float), w)
    e = window_sums(s.exposure.astype(float), w)
    return _two_rate_p(d[hi], e[hi], d[lo], e[lo])


def _two_rate_p(x1: float, e1: float, x0: float, e0: float, phi: float = 1.0) -> float:
    """P(X1 >= x1) for X1 ~ Binomial(x1 + x0, e1 / (e1 + e0)): is rate 1 above rate 0?

    With dispersion phi > 1 the counts are divided by phi first (quasi-likelihood: overdispersed counts
    carry the information of fewer documents), using the binomial tail's continuous form.
    """
    x1, x0 = x1 / phi, x0 / phi
    n = x1 + x0
    if n <= 0 or e1 <= 0 or e0 <= 0 or x1 <= 0:
        return 1.0
    return float(special.betainc(x1, n - x1 + 1.0, e1 / (e1 + e0)))


def series_dispersion(s: Series, width: int) -> float:
    """Pearson chi-square / df of the documents around a centred moving average of `width` periods,
    over the idea's life (first to last mention); at least 1. Waves slower than the window are trend,
    not noise; what is left is the counts' overdispersion."""
    m = np.flatnonzero(s.docs > 0)
    if m.size < 3:
        return 1.0
    idx = np.arange(int(m[0]), int(m[-1]) + 1)
    idx = idx[s.covered[idx]]
    d, e = s.docs[idx].astype(float), s.exposure[idx].astype(float)
    rate = window_sums(d, width) / np.maximum(window_sums(e, width), 1.0)
    mu = rate * e
    ok = mu > 0
    df = ok.sum() - ok.sum() / width
    if df < 3:
        return 1.0
    return max(1.0, float(np.sum((d[ok] - mu[ok]) ** 2 / mu[ok]) / df))


def find_waves(
    s: Series, smooth: np.ndarray, birth: int | None, resurrections: list[int], alpha: float = RELAUNCH_ALPHA
) -> list[Wave]:
    """Split the life after `birth` into waves; every wave after the first is a relaunch or resurrection.

    Candidate peaks are local maxima of the smoothed rate with prominence >= 20% of its maximum (plus the
    last period when still rising). A candidate q after the current wave's peak P starts a new wave
    when the trough v between them fell to <= half of P, q is >= twice v, and both the fall P -> v and
    the rise v -> q are significant: conditional binomial test of two Poisson rates on windows of
    2*RUN_LENGTH+1 periods, counts divided by the series' dispersion (`series_dispersion`), each at 0.01
    divided by the number of candidates (Bonferroni).
    Otherwise q joins the current wave (and becomes its peak if higher). A new wave whose rise contains a
    resurrection (a return after a silence judged dead) is a resurrection, not a relaunch.
    """
    if birth is None or not np.isfinite(smooth[birth:]).any():
        return []
    seg = _ffill(smooth)[birth:]
    seg = np.nan_to_num(seg, nan=0.0)
    top = float(seg.max())
    if top <= 0:
        return []
    cands = set(int(i) for i in signal.find_peaks(seg, prominence=PROMINENCE * top)[0])
    cands.add(int(np.argmax(seg)))
    if seg.size > 1 and seg[-1] > seg[-2]:
        cands.add(seg.size - 1)
    order = sorted(cands)
    # Test windows are wider than the smoothing window and the level is split over the candidates:
    # peaks and troughs are selected extremes, and testing them on narrow windows would find "waves"
    # in pure noise.
    tw = 2 * RUN_LENGTH[s.by] + 1
    d = window_sums(s.docs.astype(float), tw)[birth:]
    e = window_sums(s.exposure.astype(float), tw)[birth:]
    level = alpha / max(len(order) - 1, 1)
    phi = series_dispersion(s, tw)
    waves = [Wave(0, order[0], "emergence")]
    for q in order[1:]:
        cur = waves[-1]
        p_ = cur.peak
        if q <= p_:
            continue
        v = p_ + int(np.argmin(seg[p_ : q + 1]))
        new = (
            seg[v] <= RELAUNCH_DROP * seg[p_]
            and seg[q] >= RELAUNCH_RISE * seg[v]
            and seg[q] - seg[v] >= PROMINENCE * top
            and _two_rate_p(d[p_], e[p_], d[v], e[v], phi) < level
            and _two_rate_p(d[q], e[q], d[v], e[v], phi) < level
        )
        if new:
            res = [r - birth for r in resurrections if v < r - birth <= q]
            if res:
                waves.append(Wave(res[0], q, "resurrection"))
            else:
                # The rise starts where the smoothed rate first climbs a quarter of the way out of the trough.
                mid = seg[v] + RISE_START * (seg[q] - seg[v])
                start = v + 1 + int(np.argmax(seg[v + 1 : q + 1] >= mid))
                waves.append(Wave(start, q, "relaunch"))
        elif seg[q] > seg[p_]:
            waves[-1] = replace(cur, peak=q)
    return [Wave(wv.start + birth, wv.peak + birth, wv.kind) for wv in waves]


def _ffill(x: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs (coverage gaps) so gaps neither make nor break peaks."""
    out = x.copy()
    mask = np.isnan(out)
    if not mask.any():
        return out
    idx = np.where(~mask, np.arange(out.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = out[idx]
    return out
