"""Emergence: the start of the first sustained run of attention above the idea's own background rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .series import RUN_LENGTH, Series
from .waves import series_dispersion

EMERGENCE_ALPHA = 0.01  # level of the one-sided Poisson test of a run against the background
BURST_SCALE = 2.0  # a run must at least double the background rate (Kleinberg's default s = 2)
BACKGROUND_CONFIDENCE = 0.975  # the background is its upper confidence bound, so noise cannot fake a burst


@dataclass(frozen=True)
class Emergence:
    """Index of the emergence period (None if no sustained run) and whether it is left-censored."""

    index: int | None
    censored: bool
    p_value: float | None


def find_emergence(s: Series, alpha: float = EMERGENCE_ALPHA) -> Emergence:
    """First covered period that starts a sustained, significant run above the earlier background rate.

    For each covered period t with a mention, the background is the upper 97.5% Poisson bound of the
    pooled rate over all earlier covered periods; the run is the next RUN_LENGTH covered periods.
    t qualifies when (1) the run's documents are significantly more than the background predicts
    (Poisson upper tail < alpha, exposure = total_docs), (2) the run's pooled rate is at least twice the
    background's point estimate, and (3) the run is sustained: t and at least half of the run's periods
    have a mention and at least twice the background bound. Using the earlier rate (not zero) as
    background is what makes a generic phrase, used now and then, emerge at its burst rather than at
    its first casual use (Kleinberg 2002).
    """
    idx = np.flatnonzero(s.covered)
    if idx.size == 0 or s.docs[idx].sum() == 0:
        return Emergence(None, False, None)
    d = s.docs[idx].astype(float)
    e = s.exposure[idx].astype(float)
    m = idx.size
    w = RUN_LENGTH[s.by]
    cd = np.concatenate([[0.0], np.cumsum(d)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    pos = np.arange(m)
    stop = np.minimum(pos + w, m)
    run_docs = cd[stop] - cd[pos]
    run_exp = ce[stop] - ce[pos]
    run_len = stop - pos
    d_before, e_before = cd[:-1], ce[:-1]
    has_history = e_before > 0
    safe_e = np.where(has_history, e_before, 1.0)
    b_up = np.where(has_history, stats.gamma.ppf(BACKGROUND_CONFIDENCE, d_before + 1.0) / safe_e, np.inf)
    b_pt = np.where(has_history, d_before / safe_e, np.inf)
    mu = np.where(np.isfinite(b_up), b_up * run_exp, 0.0)
    # Overdispersed counts (phi > 1) are tested as phi times fewer documents (quasi-Poisson): the upper
    # tail P(X >= x) of a Poisson is the regularised incomplete gamma P(x, mu), defined for real x too.
    phi = series_dispersion(s, 2 * RUN_LENGTH[s.by] + 1)
    with np.errstate(invalid="ignore"):
        p = np.where(np.isfinite(b_up) & (run_docs > 0), special.gammainc(run_docs / phi, mu / phi), 1.0)
    # Per-period "above background" matrix: row t, column k = period t+k of the run.
    cols = pos[:, None] + np.arange(w)[None, :]
    inside = cols < m
    colc = np.minimum(cols, m - 1)
    above = (
        inside
        & (d[colc] > 0)
        & (d[colc] >= BURST_SCALE * b_up[:, None] * e[colc])
        & np.isfinite(b_up)[:, None]
    )
    sustained = above[:, 0] & (above.sum(axis=1) >= np.ceil(run_len / 2.0))
    effect = run_docs / np.maximum(run_exp, 1.0) >= BURST_SCALE * b_pt
    ok = has_history & (d > 0) & (p < alpha) & effect & sustained
    if ok.any():
        j = int(np.argmax(ok))
        return Emergence(int(idx[j]), False, float(p[j]))
    # No testable run: if the idea is already in use when coverage starts, it was born before the corpus
    # (left-censored); date it to the first covered period and say so.
    if d[0] > 0:
        return Emergence(int(idx[0]), True, None)
    return Emergence(None, False, None)
