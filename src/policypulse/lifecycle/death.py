"""The death verdict: how surprising the silence since the last use is if the idea were still in use.

The test is a predictive one (docs/methods.md, "Death verdict"):

* the idea's rate while in use is not known, only estimated from a window of its own history; its
  uncertainty is carried by a gamma posterior (Solow 1993's exposure-weighted test made predictive);
* real counts are overdispersed and serially correlated: the dispersion index of the idea's own counts,
  measured at block lengths up to the silence's length, turns the Poisson probability of silence into a
  gamma-mixed (negative binomial) one at the silence's time scale;
* periods without coverage carry no exposure and never count as silence;
* a user looks again every time the corpus grows: the `dead` verdict uses a level set for repeated looks
  (`REPEAT_LOOKS`), while `p_value` stays the single-look probability;
* a dead idea is still named in retrospect: a few later mentions at a rate far below the rate of use
  are echoes, and neither revive the idea nor prevent the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .forecast import fit_decay
from .glm import fit_poisson
from .peak import peak_index, smooth_series
from .series import MIN_SILENCE, RECENT_WINDOW, SMOOTH_WIDTH, Series

MIN_RATE_DOCS = 2  # earlier documents a rate must rest on before the window is stretched back
# The verdict's level is alpha * REPEAT_FACTOR: with ten looks (a decade of yearly re-runs) Bonferroni
# bounds the chance that an idea still in use is ever called dead by 10 * alpha / 5 = 2 * alpha.
REPEAT_LOOKS = 10
REPEAT_FACTOR = 0.2
# Echoes: at most this many later mentions, at a rate at most ECHO_SHARE of the rate of use.
MAX_ECHOES = 5
ECHO_SHARE = 0.1
ECHO_ALPHA = 0.05  # level of the test that the later mentions exceed the echo rate (then: renewed use)
DECLINE_ALPHA = 0.05  # a longer rate window is used only if its older part is not significantly higher
MAX_BLOCK_FRACTION = 5  # dispersion at block length B needs at least this many blocks of the window
CORRELATED = 1.5  # dispersion over long blocks this many times that of single periods: serial correlation
# A life at least this many covered periods long has its dispersion measured around a log-quadratic trend:
# a rise and fall is a trend, not noise (around a straight line, Big Society's wave read as 42 times Poisson).
HUMP_MIN = 24


@dataclass(frozen=True)
class DeathTest:
    """The verdict's evidence: silence since the last use and how unlikely it is if still in use."""

    last_mention: int | None  # period of the last document (any kind of mention)
    last_use: int | None  # period of the last use (before echoes); equals last_mention without echoes
    end: int | None  # last covered period (the T of the test)
    p_value: float | None  # single-look predictive p of the silence since last_use
    level: float  # the level p is compared with (alpha set for repeated looks)
    expected: float  # expected mentions in the silence at the estimated rate (Poisson scale)
    recent_rate: float  # estimated rate of use (documents per corpus document)
    rate_mentions: int  # documents behind the rate estimate
    rate_periods: int  # covered periods in the rate window
    dispersion: float  # dispersion index at the silence's time scale (1 = Poisson)
    used_decay_model: bool
    silent_periods: int  # covered periods in the silence
    gap_periods: int  # coverage-gap periods in the silence (no exposure, not counted as silence)
    echoes: tuple[int, ...] = field(default=())  # periods of mentions treated as echoes (one per document)
    death_probability: float | None = None

    def is_dead(self, alpha: float, by: str) -> bool:
        """The death rule: p below the repeated-look level after at least MIN_SILENCE covered periods."""
        return (
            self.p_value is not None
            and self.p_value < alpha * REPEAT_FACTOR
            and self.silent_periods >= MIN_SILENCE[by]
        )


def rate_window(s: Series, first: int, last: int, profile: dict[int, float] | None = None) -> np.ndarray:
    """Covered periods (first..last) behind the rate of use: the longest window back from `last` whose
    older part has the same rate as its newer part.

    Starting from RECENT_WINDOW covered periods (stretched back until it holds MIN_RATE_DOCS documents
    besides the last), the window doubles while the periods it would add have a rate not significantly
    different from the window's (two-sided z-test of two rates, variance inflated by the history's
    dispersion at the window's length, level DECLINE_ALPHA). A steady idea thus uses its whole life (a
    tight rate), a fading one only its recent, lower rate, and a return after a silence only its new life.
    """
    cov = np.flatnonzero(s.covered[first : last + 1]) + first
    if cov.size == 0:
        return cov
    k = min(RECENT_WINDOW[s.by], cov.size)
    docs_back = np.cumsum(s.docs[cov][::-1]) - 1  # documents before the last, counting back
    reach = np.flatnonzero(docs_back >= MIN_RATE_DOCS)
    if reach.size:
        k = max(k, int(reach[0]) + 1)
    else:
        k = cov.size
    crit = stats.norm.isf(DECLINE_ALPHA / 2)
    while k < cov.size:
        k2 = min(2 * k, cov.size)
        win, older = cov[cov.size - k :], cov[cov.size - k2 : cov.size - k]
        x1, e1 = float(s.docs[older].sum()), float(s.exposure[older].sum())
        x0, e0 = float(s.docs[win].sum()) - 1.0, float(s.exposure[win].sum())
        if x1 + x0 > 0 and e1 > 0 and e0 > 0:
            pooled = (x1 + x0) / (e1 + e0)
            phi = dispersion_at(profile or {}, k)
            z = (x1 / e1 - x0 / e0) / math.sqrt(phi * pooled * (1.0 / e1 + 1.0 / e0))
            if abs(z) > crit:
                break
        k = k2
    return cov[cov.size - k :]


BREAK_RUN_FACTOR = 2  # a run of RECENT_WINDOW * this many silent covered periods ...
BREAK_EXPECTED = 10.0  # ... in which this many mentions were expected ends a life: later ones start anew


def current_life(s: Series, first: int, last: int, docs: np.ndarray) -> int:
    """First mention of the idea's current life: after the last silence so long and so unexpected
    (BREAK_RUN_FACTOR recent windows, BREAK_EXPECTED mentions expected at the rate before it) that what
    came before is another regime. Dispersion measured across two lives would mistake the change of
    regime for noise."""
    cov = np.flatnonzero(s.covered[first : last + 1]) + first
    if cov.size == 0:
        return first
    d = docs[cov]
    e = s.exposure[cov].astype(float)
    ment = np.flatnonzero(d > 0)
    gaps = np.diff(ment) - 1
    longs = np.flatnonzero(gaps >= BREAK_RUN_FACTOR * RECENT_WINDOW[s.by])
    cd = np.concatenate([[0.0], np.cumsum(d.astype(float))])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    for g in longs[::-1]:
        a, b = int(ment[g]), int(ment[g + 1])  # positions of the mentions around the silence
        lo = max(a - RECENT_WINDOW[s.by] + 1, 0)
        rate = (cd[a + 1] - cd[lo]) / max(ce[a + 1] - ce[lo], 1.0)
        if rate * (ce[b] - ce[a + 1]) >= BREAK_EXPECTED:
            return int(cov[b])
    return first


def trend_means(docs: np.ndarray, exposure: np.ndarray, quadratic: bool = False) -> np.ndarray:
    """Expected documents per period under a log-linear (or log-quadratic) trend in the rate (a Poisson GLM
    with offset).

    Dispersion is measured around this trend, so that a steady fade (or, quadratic, a rise and fall) is
    not mistaken for noise.
    """
    total = float(docs.sum())
    mu = exposure * (total / max(float(exposure.sum()), 1.0))
    if docs.size < 4 or total < 3:
        return mu
    t = np.arange(docs.size, dtype=float)
    z = (t - t.mean()) / max(t.std(), 1.0)
    x = np.column_stack([np.ones_like(t), z] + ([z * z] if quadratic else []))
    fit = fit_poisson(x, docs.astype(float), np.log(np.maximum(exposure, 1).astype(float)))
    if fit is None or not np.all(np.isfinite(fit.params)):
        return mu
    return np.exp(x @ fit.params) * exposure


def dispersion_profile(docs: np.ndarray, exposure: np.ndarray, expected: np.ndarray | None = None
                       ) -> dict[int, float]:
    """Dispersion index (Pearson chi-square / df) of counts summed over blocks of 1, 2, 4, ... periods.

    Under a Poisson process every value is about 1; overdispersion raises all of them; serial correlation
    makes them grow with the block length until the correlation is spent. Deviations are measured from
    the window's log-linear trend; blocks are aligned to the window's end (the last use) and need
    MAX_BLOCK_FRACTION of them per length.
    """
    out: dict[int, float] = {}
    if expected is None:
        expected = trend_means(docs, exposure.astype(float))
    n = docs.size
    b = 1
    while n // b >= MAX_BLOCK_FRACTION:
        m = n // b
        d = docs[n - m * b :].reshape(m, b).sum(axis=1).astype(float)
        mu = expected[n - m * b :].reshape(m, b).sum(axis=1)
        ok = mu > 0
        if ok.sum() >= MAX_BLOCK_FRACTION:
            out[b] = float(np.sum((d[ok] - mu[ok]) ** 2 / mu[ok]) / (ok.sum() - 1))
        b *= 2
    return out


def _correlated(profile: dict[int, float]) -> bool:
    """Whether counts look serially correlated: dispersion over blocks of 4+ periods well above that of
    single periods (for independent counts it stays flat)."""
    one = profile.get(1)
    longer = [v for b, v in profile.items() if b >= 4]
    return one is not None and bool(longer) and max(longer) > CORRELATED * max(one, 1.0)


def dispersion_at(profile: dict[int, float], periods: int) -> float:
    """Dispersion to assume over `periods` periods: the largest measured at any block length up to it
    (beyond the longest measured block, the longest one's: correlation is assumed spent by then)."""
    vals = [v for b, v in profile.items() if b <= max(periods, 1)]
    return max([1.0] + vals)


def silence_p(a: float, b: float, exposure: float, phi: float) -> float:
    """P(no mention over `exposure` documents) for a rate of use with posterior (a, b) and counts with
    dispersion phi.

    A document mentions the idea or not, so the share r of documents using it has a beta posterior,
    Beta(a, b - a + 1): with a = x uses in b = e documents since the first use (which starts the clock), the
    predictive E[(1 - r)^E_s] is exactly the conditional test that all x uses fall in the first e of the
    e + E_s documents (Solow's 1993 test in discrete trials). Overdispersed counts (phi > 1) are silent more
    often: the silence's documents count as c = E_s log(phi) / (phi - 1) independent ones (the negative
    binomial's P(0) = phi ** (-mean / (phi - 1))). For a small share this is the gamma-Poisson predictive
    (b / (b + c)) ** a; for a large one (an idea in most of a period's few documents, as in one address a
    year) a silence is stronger evidence than a Poisson count would make it.
    """
    if a <= 0 or b <= 0 or exposure <= 0:
        return 1.0
    c = exposure if phi <= 1.0 + 1e-9 else exposure * math.log(phi) / (phi - 1.0)
    if b < a - 1e-9:  # more uses than documents (counts of mentions, not documents): the Poisson form
        return math.exp(-a * math.log1p(c / b))
    beta = max(b - a, 0.0) + 1.0
    return math.exp(math.lgamma(beta + c) + math.lgamma(a + beta) - math.lgamma(beta) - math.lgamma(a + beta + c))


def _count_p(a: float, b: float, exposure: float, phi: float, k: int) -> float:
    """P(at most k mentions over `exposure` documents) under the same predictive (negative binomial)."""
    if k <= 0:
        return silence_p(a, b, exposure, phi)
    # Mixed over the gamma posterior, a Poisson count with dispersion phi is (approximately) negative
    # binomial; its shape is the posterior's a, shrunk when the counts themselves are overdispersed.
    mean = a / b * exposure
    var = mean * phi + mean * mean / a
    if var <= mean:
        return float(stats.poisson.cdf(k, mean))
    r = mean * mean / (var - mean)
    return float(stats.nbinom.cdf(k, r, r / (r + mean)))


def _clock_start(s: Series, first: int, periods: np.ndarray) -> float:
    """Documents of a rate window used up by the first use, which starts the clock: the first document
    itself and, its place in its period unknown, half of the period's other documents (all of it when the
    period has one document, as a yearly series of addresses has)."""
    if first not in periods:
        return 0.0
    return (float(s.exposure[first]) + 1.0) / 2.0


@dataclass(frozen=True)
class _Evidence:
    p: float
    expected: float
    rate: float
    docs: int
    periods: int
    phi: float
    decay: bool
    a: float
    b: float


def _silence_evidence(s: Series, first: int, last_use: int, silent: np.ndarray, engine: str,
                      docs: np.ndarray) -> _Evidence | None:
    """Predictive p of the covered periods `silent` after `last_use`, from the history first..last_use."""
    start = current_life(s, first, last_use, docs)
    hist = np.flatnonzero(s.covered[start : last_use + 1]) + start
    # Over a whole life the trend may rise and fall (a wave): measured around a straight line, the wave
    # itself would read as overdispersion at long blocks and hide any silence.
    hist_profile = dispersion_profile(docs[hist], s.exposure[hist], trend_means(
        docs[hist], s.exposure[hist].astype(float), quadratic=hist.size >= HUMP_MIN))
    win = rate_window(Series(s.by, s.periods, docs, s.mentions, s.exposure, s.covered), first, last_use,
                      hist_profile)
    # Every use in the window counts, the last one included: with a = x and b = the window's documents the
    # predictive p is exactly the conditional test that all x uses fall before the silence, C(E_w, x) /
    # C(E_w + E_s, x) (Solow 1993 in discrete trials). When the window starts on the first mention, that
    # mention and the documents it used up are left out (`_clock_start`): it starts the clock.
    x = float(docs[win].sum()) - (1.0 if first in win else 0.0)
    e = float(s.exposure[win].sum()) - _clock_start(s, first, win)
    if x <= 0 or e <= 0:
        return None
    rate = x / e
    # Dispersion from the window (around its own trend) and from the whole life: the larger one at
    # each time scale, so that neither a short window nor a long trend hides the counts' variability.
    profile = dispersion_profile(docs[win], s.exposure[win])
    phi_hist = max(dispersion_at(profile, win.size), dispersion_at(hist_profile, win.size))
    phi_sil = max(dispersion_at(profile, silent.size), dispersion_at(hist_profile, silent.size))
    a, b = x / phi_hist, e / phi_hist
    used_model = False
    if silent.size:
        # A fading idea: the decay model's rate one period after the last use, if lower, with the same
        # amount of information (a) behind it.
        sub = Series(s.by, s.periods, docs, s.mentions, s.exposure, s.covered).truncate(last_use)
        pk = peak_index(smooth_series(sub, SMOOTH_WIDTH[s.by]), sub.docs)
        model = fit_decay(sub, pk, last_use, engine=engine) if pk is not None and pk < last_use else None
        if model is not None:
            lam_model = float(model.rate(np.array([float(silent[0] - pk)]))[0])
            if lam_model < rate:
                used_model = True
                rate = lam_model
                b = a / rate
    exposure = float(s.exposure[silent].sum())
    p = silence_p(a, b, exposure, phi_sil)
    # The current level: serially correlated rates drift, and a silence often begins in a lull. The
    # recent window alone (its own, wider gamma posterior) must find the silence surprising as well.
    recent = hist[-RECENT_WINDOW[s.by]:]
    if recent.size < win.size and _correlated(hist_profile):
        xr = float(docs[recent].sum()) - (1.0 if first in recent else 0.0)
        er = float(s.exposure[recent].sum()) - _clock_start(s, first, recent)
        if xr > 0 and er > 0:
            p = max(p, silence_p(xr / phi_hist, er / phi_hist, exposure, phi_sil))
    # A burst is not a new normal: when the rate window is a recent stretch above the rate of the whole
    # current life, the life's rate must find the silence surprising as well. In serially correlated
    # counts a window that stopped growing at a burst overstates the rate; a fading idea's life rate is
    # higher than its window's, so this never weakens the verdict on a decline.
    if win.size < hist.size:
        xh = float(docs[hist].sum()) - (1.0 if first in hist else 0.0)
        eh = float(s.exposure[hist].sum()) - _clock_start(s, first, hist)
        if xh > 0 and eh > 0 and xh / eh < x / e:
            p = max(p, silence_p(xh / phi_hist, eh / phi_hist, exposure, phi_sil))
    return _Evidence(p, rate * exposure, rate, int(x), int(win.size), phi_sil, used_model, a, b)


def death_test(s: Series, engine: str = "numpy", alpha: float = 0.05) -> DeathTest:
    """The verdict's evidence for the series as it stands (see the module docstring).

    The last use is the last mention, or an earlier mention when every mention after it is an echo: at
    most MAX_ECHOES documents, at a rate not significantly above ECHO_SHARE of the rate of use, and the
    silence since that earlier mention (those few excepted) is itself surprising. Echoes are reported,
    never hidden: `last_mention` stays the last document.
    """
    cov = np.flatnonzero(s.covered)
    mentioned = np.flatnonzero(s.docs > 0)
    level = alpha * REPEAT_FACTOR
    if mentioned.size == 0:
        return DeathTest(None, None, int(cov[-1]) if cov.size else None, None, level, 0.0, 0.0, 0, 0, 1.0,
                         False, 0, 0)
    first, last = int(mentioned[0]), int(mentioned[-1])
    best = _plain(s, first, last, engine, level)
    if best.is_dead(alpha, s.by) or mentioned.size < 3:
        return best
    # Echo candidates: step back over the last few mentioning periods.
    later_docs = 0
    for j in range(mentioned.size - 2, max(mentioned.size - 2 - MAX_ECHOES, 0) - 1, -1):
        use = int(mentioned[j])
        later_docs += int(s.docs[mentioned[j + 1]])
        if later_docs > MAX_ECHOES or use <= first:
            break
        # An echo comes after the death: the silence before the first later mention must itself have
        # been a dead verdict at the time (otherwise the later mentions are the tail of a decline).
        nxt = int(mentioned[j + 1])
        if not _plain(s.truncate(nxt - 1), first, use, engine, level).is_dead(alpha, s.by):
            continue
        cand = _with_echoes(s, first, use, engine, level)
        if cand is not None and cand.is_dead(alpha, s.by):
            return cand
    return best


def _plain(s: Series, first: int, last: int, engine: str, level: float) -> DeathTest:
    """The verdict with no echoes: the silence since the last mention."""
    end = int(np.flatnonzero(s.covered)[-1])
    silent = np.arange(last + 1, s.n)
    gaps = int((~s.covered[silent]).sum())
    silent = silent[s.covered[silent]]
    ev = _silence_evidence(s, first, last, silent, engine, s.docs)
    if ev is None:
        return DeathTest(last, last, end, None if silent.size else 1.0, level, 0.0, 0.0, 0, 0, 1.0, False,
                         int(silent.size), gaps)
    p = ev.p if silent.size else 1.0
    return DeathTest(last, last, end, p, level, ev.expected, ev.rate, ev.docs, ev.periods, ev.phi, ev.decay,
                     int(silent.size), gaps, (), death_probability(p, _uses(s, last)))


def _with_echoes(s: Series, first: int, use: int, engine: str, level: float) -> DeathTest | None:
    """The verdict if the last use was at period `use` and every later mention is an echo (or None)."""
    last = int(np.flatnonzero(s.docs > 0)[-1])
    end = int(np.flatnonzero(s.covered)[-1])
    after = np.arange(use + 1, s.n)
    gaps = int((~s.covered[after]).sum())
    after = after[s.covered[after]]
    ev = _silence_evidence(s, first, use, after, engine, s.docs)
    if ev is None:
        return None
    k = int(s.docs[after].sum())
    exposure = float(s.exposure[after].sum())
    # Renewed use, not echoes, when the later mentions are significantly above the echo rate.
    echo_mean = ECHO_SHARE * ev.rate * exposure
    if stats.poisson.sf(k - 1, max(echo_mean, 1e-12)) < ECHO_ALPHA:
        return None
    p = _count_p(ev.a, ev.b, exposure, ev.phi, k)
    echoes = tuple(int(i) for i in after for _ in range(int(s.docs[i])) if s.docs[i] > 0)
    return DeathTest(last, use, end, p, level, ev.expected, ev.rate, ev.docs, ev.periods, ev.phi, ev.decay,
                     int(after.size), gaps, echoes, death_probability(p, _uses(s, use)))


def _uses(s: Series, last_use: int) -> int:
    """Periods in which the idea was used, up to and including the last use: the prior's count. Periods,
    not documents, so that the prior does not fall as the corpus grows (the same idea in ten times as many
    newspapers is not ten times less likely to have died)."""
    return int(np.count_nonzero(s.docs[: last_use + 1]))


def death_probability(p: float | None, uses: int) -> float | None:
    """Probability that the idea is no longer in use, given the silence's predictive p.

    Bayes with "each of the `uses` periods of use equally likely to be the last" as the prior (1 / uses) and
    likelihoods 1 (dead: the silence is certain) and p / REPEAT_FACTOR, at most 1 (still in use): the
    same discount of a single look's p that the verdict's level makes for repeated use. Undiscounted,
    the probability overstated death on real history (bench/results/verdicts-sotu.md: of silences given
    0.5-0.8, 12% stayed silent; discounted, 42%; Brier score 0.176 -> 0.105 on 156 silences).
    """
    if p is None or uses <= 1:
        return None
    return 1.0 / (1.0 + (uses - 1) * min(1.0, p / REPEAT_FACTOR))


def find_resurrections(s: Series, alpha: float, engine: str = "numpy") -> list[int]:
    """Periods where use resumed after a silence the death test would have called dead at the time.

    Each silence between two mentions is tested as if the series had ended just before the return; a
    return counts only when it is renewed use, i.e. the mentions in the RECENT_WINDOW covered periods
    from the return on exceed the echo rate (ECHO_SHARE of the earlier rate of use) significantly: a
    single retrospective mention of a dead idea is an echo, not a resurrection.
    """
    mentioned = np.flatnonzero(s.docs > 0)
    if mentioned.size < 3:
        return []
    cov = np.flatnonzero(s.covered)
    out: list[int] = []
    level = alpha * REPEAT_FACTOR
    prev_all, cur_all = mentioned[:-1], mentioned[1:]
    pos_prev, pos_cur = np.searchsorted(cov, prev_all), np.searchsorted(cov, cur_all)
    long_enough = (pos_cur - pos_prev - 1) >= MIN_SILENCE[s.by]
    first = int(mentioned[0])
    cd = np.concatenate([[0.0], np.cumsum(s.docs.astype(float))])
    ce = np.concatenate([[0.0], np.cumsum(np.where(s.covered, s.exposure, 0).astype(float))])
    cc = np.concatenate([[0], np.cumsum(s.covered.astype(np.int64))])
    for prev, c in zip(prev_all[long_enough], cur_all[long_enough]):
        if _surely_alive(cd, ce, cc, first, int(prev), int(c), RECENT_WINDOW[s.by], level):
            continue
        dt = _plain(s.truncate(int(c) - 1), int(mentioned[0]), int(prev), engine, level)
        if not dt.is_dead(alpha, s.by):
            continue
        ahead = cov[cov >= c][: RECENT_WINDOW[s.by]]
        k, e = float(s.docs[ahead].sum()), float(s.exposure[ahead].sum())
        if k >= 2 and stats.poisson.sf(k - 1, max(ECHO_SHARE * dt.recent_rate * e, 1e-12)) < ECHO_ALPHA:
            out.append(int(c))
    return out


def _surely_alive(cd: np.ndarray, ce: np.ndarray, cc: np.ndarray, first: int, prev: int, nxt: int,
                  min_window: int, level: float) -> bool:
    """A cheap screen before the full test of the silence between mentions `prev` and `nxt`: True when
    even the highest rate any admissible window could give leaves the silence unsurprising.

    The full test's p is at least (1 - rate) ** E (E the silence's exposure; by Jensen, the beta
    predictive is at least the plug-in; dispersion only raises it, a decay model only lowers the rate), and
    its rate window is a run of at least min(min_window, covered periods so far) covered periods ending at
    `prev`. The largest rate of all such runs (the first use's documents taken out of a run starting on it)
    bounds the window's rate, so p >= (1 - max_rate) ** E >= level proves "not dead".
    (cd, ce, cc: cumulative documents, covered exposure and covered periods, with a leading 0.)
    """
    k0 = min(min_window, int(cc[prev + 1] - cc[first]))
    starts = np.arange(first, prev + 1)
    ok = (cc[prev + 1] - cc[starts]) >= k0
    starts = starts[ok]
    expo = ce[prev + 1] - ce[starts]
    good = expo > 0
    if not good.any():
        return False
    rates = (cd[prev + 1] - cd[starts[good]]) / expo[good]
    at_first = starts[good] == first
    if at_first.any():
        e1 = ce[first + 1] - ce[first]
        rates[at_first] = (cd[prev + 1] - cd[first] - 1.0) / np.maximum(expo[good][at_first] - (e1 + 1.0) / 2.0,
                                                                         1e-9)
    max_rate = float(np.max(rates))
    if max_rate >= 1.0:
        return False
    silence = float(ce[nxt] - ce[prev + 1])
    return silence * math.log1p(-max_rate) >= math.log(level)
