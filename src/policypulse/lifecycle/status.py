"""The status verdict: unborn, emerging, alive, declining, dormant or dead."""

from __future__ import annotations

import numpy as np

from .death import DeathTest
from .series import MIN_SILENCE, RECENT_WINDOW, SMOOTH_WIDTH, Series
from .waves import _two_rate_p

STATUSES: tuple[str, ...] = ("unborn", "emerging", "alive", "declining", "dormant", "dead")
DECLINE_RATIO = 0.5  # "declining": the recent rate is at most half the peak rate ...
# ... and significantly below it at the verdict's alpha.


def declining_p(s: Series, peak: int) -> tuple[float, float] | None:
    """(recent rate / peak rate, one-sided p that the recent rate is below the peak's) or None.

    "Recent" is the last RECENT_WINDOW covered periods that lie after the peak's smoothing window;
    the peak rate is the pooled rate of that window. None when no such recent period exists.
    """
    half = SMOOTH_WIDTH[s.by] // 2
    cov = np.flatnonzero(s.covered)
    recent = cov[cov > peak + half][-RECENT_WINDOW[s.by] :]
    if recent.size == 0:
        return None
    lo, hi = max(peak - half, 0), peak + half + 1
    x_pk, e_pk = float(s.docs[lo:hi].sum()), float(s.exposure[lo:hi].sum())
    x_rc, e_rc = float(s.docs[recent].sum()), float(s.exposure[recent].sum())
    if e_pk <= 0 or e_rc <= 0 or x_pk <= 0:
        return None
    ratio = (x_rc / e_rc) / (x_pk / e_pk)
    return ratio, _two_rate_p(x_pk, e_pk, x_rc, e_rc)


def decide_status(s: Series, birth: int | None, peak: int | None, death: DeathTest, alpha: float) -> str:
    """Apply the status rules in order (docs/methods.md, "Status"); the first that holds wins.

    1. unborn: never mentioned. 2. dead: p < alpha after a silence of at least MIN_SILENCE periods.
    3. dormant: silent and not (yet) dead, where at least one mention was expected (p <= 1/e) or the
       silence has lasted MIN_SILENCE covered periods (a one-off idea gives no rate to test against).
    4. declining: after the peak, recent rate <= half the peak rate and significantly lower (p < alpha).
    5. emerging: born within the recent window (about a year). 6. alive: everything else.
    """
    if death.last_mention is None:
        return "unborn"
    if death.is_dead(alpha, s.by):
        return "dead"
    if death.expected >= 1.0 or death.silent_periods >= MIN_SILENCE[s.by]:
        return "dormant"
    if peak is not None:
        dec = declining_p(s, peak)
        if dec is not None and dec[0] <= DECLINE_RATIO and dec[1] < alpha:
            return "declining"
    if birth is not None:
        cov = np.flatnonzero(s.covered)
        recent_start = cov[-RECENT_WINDOW[s.by] :][0]
        if birth >= recent_start:
            return "emerging"
    return "alive"
