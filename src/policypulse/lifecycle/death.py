"""The death verdict's p-value (how surprising is the silence since the last mention?) and resurrections."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .forecast import fit_decay
from .peak import peak_index, smooth_series
from .series import MIN_SILENCE, RECENT_WINDOW, SMOOTH_WIDTH, Series


@dataclass(frozen=True)
class DeathTest:
    """Silence since the last mention and how unlikely it is if the idea were still in use."""

    last_mention: int | None
    end: int | None  # last covered period (the T of the test)
    p_value: float | None
    expected: float  # expected mentions in the silence under the null (Lambda); p = exp(-expected)
    recent_rate: float
    rate_mentions: int  # documents behind the recent rate (after leaving the last one out)
    used_decay_model: bool
    silent_periods: int  # covered periods in the silence
    gap_periods: int  # coverage-gap periods in the silence (no exposure, not counted as silence)

    def is_dead(self, alpha: float, by: str) -> bool:
        """The death rule: p < alpha after a silence of at least MIN_SILENCE covered periods."""
        return self.p_value is not None and self.p_value < alpha and self.silent_periods >= MIN_SILENCE[by]


MIN_RATE_DOCS = 2  # earlier documents a rate must rest on before the window is stretched back


def recent_rate(s: Series, last: int) -> tuple[float, int]:
    """Leave-last-out rate over the RECENT_WINDOW covered periods ending at `last` (inclusive).

    The window ends on a mention by construction; counting that mention would bias the rate upwards
    and make silence look more surprising than it is. Dropping exactly one document (the last one)
    removes that selection effect: looking backwards from the last event of a Poisson process, the
    earlier events are again Poisson. Simulated calibration confirms the false-death rate stays below
    alpha (docs/methods.md).

    A sparse idea (fewer than MIN_RATE_DOCS earlier documents in the window) would otherwise get a rate
    of zero and could never be called dead however long its silence: the window is then stretched back
    to the period holding the (MIN_RATE_DOCS + 1)-th earlier document, and that boundary document is
    dropped as well, since a window chosen to end on an event over-counts it in the same way.
    """
    cov = np.flatnonzero(s.covered[: last + 1])
    win = cov[-RECENT_WINDOW[s.by] :]
    used = int(s.docs[win].sum()) - 1
    if used < MIN_RATE_DOCS:
        earlier = np.cumsum(s.docs[cov][::-1]) - 1  # documents before the last, counting back
        reach = np.flatnonzero(earlier >= MIN_RATE_DOCS + 1)
        if reach.size:
            win = cov[len(cov) - 1 - int(reach[0]) :]
            used = int(s.docs[win].sum()) - 2
    exp_ = float(s.exposure[win].sum())
    if used <= 0 or exp_ <= 0:
        return 0.0, max(used, 0)
    return used / exp_, used


def death_test(s: Series, engine: str = "numpy") -> DeathTest:
    """p = exp(-lambda * sum of total_docs over the silent covered periods) for the series as it stands.

    The null hypothesis is "still in use at the rate it had when last mentioned". lambda is the lower of
    two estimates of that rate: the leave-last-out recent rate, and a decay model's fitted rate one
    period after the last mention (fitted on data up to the last mention only, so the silence cannot
    explain itself away; one step on, because a fit that ends on a mention is biased upwards there).
    Taking the lower is conservative for a fading idea, whose window average lags its decline. The
    decay is deliberately not extrapolated further into the silence: a model that predicts its own death
    would make every silence unsurprising and no idea could ever be called dead.
    Coverage gaps carry no exposure.
    """
    cov = np.flatnonzero(s.covered)
    mentioned = np.flatnonzero(s.docs > 0)
    if mentioned.size == 0:
        return DeathTest(None, int(cov[-1]) if cov.size else None, None, 0.0, 0.0, 0, False, 0, 0)
    last, end = int(mentioned[-1]), int(cov[-1])
    rate, used = recent_rate(s, last)
    silent = np.arange(last + 1, s.n)
    gaps = int((~s.covered[silent]).sum())
    silent = silent[s.covered[silent]]
    if silent.size == 0:
        return DeathTest(last, end, 1.0, 0.0, rate, used, False, 0, gaps)
    lam = np.full(silent.size, rate)
    used_model = False
    if rate > 0:
        upto = s.truncate(last)
        pk = peak_index(smooth_series(upto, SMOOTH_WIDTH[s.by]))
        model = fit_decay(upto, pk, last, engine=engine) if pk is not None and pk < last else None
        if model is not None:
            lam_model = float(model.rate(np.array([float(silent[0] - pk)]))[0])
            used_model = lam_model < rate
            lam = np.minimum(lam, lam_model)
    expected = float(np.sum(lam * s.exposure[silent]))
    return DeathTest(last, end, math.exp(-expected), expected, rate, used, used_model, int(silent.size), gaps)


def find_resurrections(s: Series, alpha: float, engine: str = "numpy") -> list[int]:
    """Periods where the idea was mentioned again after a silence the death test would have called dead.

    Each silence between two mentions is tested as if the series had ended just before the return.
    A cheap recent-rate-only screen comes first: the full test (with a decay model) can only raise
    p, so silences that pass the screen cannot be deaths.
    """
    mentioned = np.flatnonzero(s.docs > 0)
    if mentioned.size < 2:
        return []
    cov = np.flatnonzero(s.covered)
    cd = np.concatenate([[0.0], np.cumsum(s.docs[cov].astype(float))])
    ce = np.concatenate([[0.0], np.cumsum(s.exposure[cov].astype(float))])
    prev, cur = mentioned[:-1], mentioned[1:]
    # Positions in the covered-only arrays: the recent window is the K covered periods ending at prev.
    pos_prev = np.searchsorted(cov, prev)
    pos_cur = np.searchsorted(cov, cur)
    first = np.maximum(pos_prev - RECENT_WINDOW[s.by] + 1, 0)
    used = cd[pos_prev + 1] - cd[first] - 1.0
    win_exp = ce[pos_prev + 1] - ce[first]
    rate = np.where(used > 0, used / np.maximum(win_exp, 1.0), 0.0)
    silence_exposure = ce[pos_cur] - ce[pos_prev + 1]
    long_enough = (pos_cur - pos_prev - 1) >= MIN_SILENCE[s.by]
    # Sparse windows are stretched back by recent_rate (never lowering the rate): test those in full.
    screen = ((np.exp(-rate * silence_exposure) < alpha) | (used < MIN_RATE_DOCS)) & long_enough
    out: list[int] = []
    for c in cur[screen]:
        if death_test(s.truncate(int(c) - 1), engine=engine).is_dead(alpha, s.by):
            out.append(int(c))
    return out
