"""`analyse`: one idea's per-period counts in, its whole lifecycle out."""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, overload

import numpy as np
import pandas as pd

from .death import death_test, find_resurrections
from .emergence import find_emergence
from .errors import StatisticalWarning
from .forecast import fit_decay, forecast_last_mention
from .ole import optimal_linear_estimate
from .peak import bootstrap_peak_interval, half_life_index, peak_index, smooth_series
from .phases import downs_stages, life_phases, unplaced_phases
from .result import IdeaLifecycle, LifecycleResult
from .series import PERIOD_DAYS, RECENT_WINDOW, SMOOTH_WIDTH, Series, from_frame, shift_periods
from .status import decide_status
from .verdict import verdict_text
from .waves import find_waves

METHOD_VERSION = "lifecycle-2"  # bump when a definition or default changes results
THIN_MENTIONS = 3  # a death verdict resting on fewer recent mentions than this is flagged
GAPPY_SHARE = 0.2  # flag series whose periods are more than a fifth coverage gaps


# Overloaded so that a period start (never None) gives a plain date, as the date-list fields expect.
@overload
def _d(ts: None) -> None: ...


@overload
def _d(ts: pd.Timestamp) -> date: ...


def _d(ts: pd.Timestamp | None) -> date | None:
    """A pandas Timestamp as a datetime.date (None passes through)."""
    return None if ts is None else pd.Timestamp(ts).date()


def _rng(seed: int, idea: str) -> np.random.Generator:
    """Per-idea generator: results do not depend on which other ideas are analysed, or in what order."""
    return np.random.default_rng([seed, zlib.crc32(idea.encode("utf-8"))])


def analyse(
    series: pd.DataFrame,
    by: str,
    *,
    idea: str,
    alpha: float = 0.05,
    as_of: date | str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    engine: str = "numpy",
) -> IdeaLifecycle:
    """Lifecycle of one idea from its per-period counts (columns period, docs, mentions, total_docs).

    `as_of` keeps only periods starting on or before that date: the verdict a researcher would have
    given then. `n_boot` sets both bootstraps (peak interval, forecast interval); 0 skips them.
    `engine` fits the decay GLMs with the batched numpy Newton solver ("numpy", default, fast) or with
    statsmodels ("statsmodels", the reference; same estimates). Caveats come as StatisticalWarning.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    s = from_frame(series, by, as_of=as_of)
    params: dict[str, Any] = {
        "by": by,
        "alpha": alpha,
        "as_of": as_of,
        "n_boot": n_boot,
        "seed": seed,
        "engine": engine,
        "method": METHOD_VERSION,
    }
    return _analyse_series(s, idea=idea, alpha=alpha, n_boot=n_boot, seed=seed, engine=engine, params=params)


def analyse_many(series_by_idea: Mapping[str, pd.DataFrame], by: str, **kwargs: Any) -> LifecycleResult:
    """`analyse` for each idea of a {name: series} mapping, collected in a LifecycleResult."""
    return LifecycleResult(
        [analyse(frame, by, idea=name, **kwargs) for name, frame in series_by_idea.items()]
    )


def _analyse_series(
    s: Series, *, idea: str, alpha: float, n_boot: int, seed: int, engine: str, params: dict[str, Any]
) -> IdeaLifecycle:
    """The analysis proper, on validated arrays."""
    rng = _rng(seed, idea)
    notes: list[str] = []
    cov = np.flatnonzero(s.covered)
    lc = IdeaLifecycle(
        idea=idea,
        by=s.by,
        status="unborn",
        parameters=params,
        series=s,
        coverage_gaps=int((~s.covered).sum()),
        total_docs_mentioning=int(s.docs.sum()),
        total_mentions=int(s.mentions.sum()),
    )
    if s.n:
        lc.series_start = _d(s.periods[0])
        lc.series_end = _d(s.periods[cov[-1]]) if cov.size else None
    sm = smooth_series(s, SMOOTH_WIDTH[s.by])
    lc.smoothed_rate = sm
    mentioned = np.flatnonzero(s.docs > 0)
    if mentioned.size == 0:
        lc.phases = [{"phase": "latent", "start": _d(s.periods[0]), "end": _d(s.periods[-1])}] if s.n else []
        if not cov.size:
            notes.append("no coverage at all: the series has no documents")
        lc.notes = notes
        lc.verdict_text = verdict_text(lc)
        return lc
    first, last = int(mentioned[0]), int(mentioned[-1])
    lc.first_mention, lc.last_mention = _d(s.periods[first]), _d(s.periods[last])

    em = find_emergence(s)
    if em.censored:
        notes.append("in use from the first covered period: emergence may predate the corpus (left-censored)")
    elif em.index is None:
        notes.append("no sustained run above the background rate: mentions are sporadic, emergence not dated")
    lc.emergence, lc.emergence_censored = _d(s.date(em.index)), em.censored
    birth = em.index if em.index is not None else first

    pk = peak_index(sm, s.docs)
    if pk is not None:
        lc.peak, lc.peak_rate = _d(s.periods[pk]), float(sm[pk])
        iv = bootstrap_peak_interval(s, SMOOTH_WIDTH[s.by], n_boot, rng)
        if iv is not None:
            lc.peak_interval = (_d(s.periods[min(iv[0], pk)]), _d(s.periods[max(iv[1], pk)]))
        lc.time_to_peak_days = float((s.periods[pk] - s.periods[birth]).days) if pk >= birth else None

    resurrections = find_resurrections(s, alpha, engine=engine)
    waves = find_waves(s, sm, em.index if em.index is not None else first, resurrections)
    relaunch = [w.start for w in waves if w.kind == "relaunch"]
    lc.relaunches, lc.relaunch_dates = len(relaunch), [_d(s.periods[i]) for i in relaunch]
    lc.resurrections, lc.resurrection_dates = len(resurrections), [_d(s.periods[i]) for i in resurrections]

    dt = death_test(s, engine=engine, alpha=alpha)
    lc.death_p_value = dt.p_value
    lc.death_probability = dt.death_probability
    lc.verdict_level = dt.level
    lc.expected_mentions_in_silence = dt.expected
    lc.recent_rate = dt.recent_rate
    lc.dispersion = dt.dispersion
    lc.status = decide_status(s, em.index, pk, dt, alpha)
    if dt.last_use is not None and dt.last_use != last:
        lc.last_use = _d(s.periods[dt.last_use])
        # The peak is a moment of use: echoes after the death do not widen its interval.
        if pk is not None and pk <= dt.last_use:
            iv = bootstrap_peak_interval(s.truncate(dt.last_use), SMOOTH_WIDTH[s.by], n_boot, rng)
            if iv is not None:
                lc.peak_interval = (_d(s.periods[min(iv[0], pk)]), _d(s.periods[max(iv[1], pk)]))
    lc.echoes = len(dt.echoes)
    lc.echo_dates = sorted({_d(s.periods[i]) for i in dt.echoes})
    lc.verdict_basis = _basis(s, dt)
    if dt.used_decay_model:
        notes.append("silence judged against the fitted decay, which is lower than the recent rate")

    end_i = int(cov[-1])
    use_end = dt.last_use if dt.last_use is not None else last
    lc.lifespan_days = float((s.end_of(use_end) - s.periods[birth]).days)
    lc.lifespan_censored = lc.status != "dead"

    # Decay models: the main wave (global peak) for the half-life, the last wave for the forecast.
    main = next((w for w in waves if w.peak == pk), None)
    cur = waves[-1] if waves else None
    main_end = end_i
    if main is not None and cur is not None and main is not cur:
        main_end = waves[waves.index(main) + 1].start - 1
    main_model = fit_decay(s, pk, main_end, engine=engine) if pk is not None and pk < main_end else None
    # Half-life only once the smoothed rate has actually halved; then the fitted model's value (which
    # uses every post-peak period) is preferred to the noisy crossing time of the smoothed curve.
    # A noisy dip of a level idea is not a half-life: require a significantly decaying model (z < -2).
    hl = half_life_index(sm, pk, main_end) if pk is not None and main_model is not None else None
    if hl is not None and main_model is not None and main_model.slope_z() < -2.0:
        model_hl = main_model.half_life_days() if main_model is not None else None
        lc.half_life_days = model_hl if model_hl is not None else hl * PERIOD_DAYS[s.by]
    cur_model = (
        main_model
        if (cur is None or cur is main)
        else (fit_decay(s, cur.peak, end_i, engine=engine) if cur.peak < end_i else None)
    )
    if lc.status == "dead":
        # The last use has happened: there is nothing left to forecast (the verdict says when it was).
        if cur_model is not None:
            lc.decay_model = cur_model.form
    elif cur_model is not None:
        lc.decay_model = cur_model.form
        fc = forecast_last_mention(s, cur_model, last, n_boot, rng)
        lc.forecast_last_mention = _period_date(s, fc.index)
        if fc.index is not None and (fc.lo is not None or fc.hi is not None):
            lc.forecast_interval = (_period_date(s, fc.lo), _period_date(s, fc.hi))
        if fc.index is None:
            notes.append("the fitted decay is too slow to expect a last mention within 200 years")
    else:
        notes.append("no decay after the peak to forecast from (still rising, level, or too few periods)")

    # OLE assumes the idea is extinct and dates it; only meaningful once the idea has fallen silent.
    ole = (
        optimal_linear_estimate(_sighting_days(s, mentioned), alpha=alpha, test_time=_days(s.end_of(end_i)))
        if dt.silent_periods
        else None
    )
    if ole is not None:
        lc.ole_extinction = _day_to_date(ole.estimate)
        lc.ole_interval = (_day_to_date(ole.lo), _day_to_date(ole.hi))
        lc.ole_p_value = ole.p_value

    # The life ends at the last use: echoes after it belong to the dead (or dormant) phase, not the peak.
    life_end = use_end if lc.status in ("dead", "dormant") else last
    lc.peak_clear = peak_is_clear(s, first, use_end, lc.peak_interval)
    if not lc.peak_clear:
        # No period is named as the peak that the data cannot tell from the rest; the interval stays.
        lc.peak = lc.peak_rate = lc.time_to_peak_days = None
        # A half-life is counted from the peak: with no peak to count from it would date nothing.
        lc.half_life_days = None
        notes.append("mentions are spread too thin to place a peak: its 95% interval spans most of the life")
    spans = (life_phases(sm, waves, life_end, lc.status, s.docs) if lc.peak_clear
             else unplaced_phases(s.n, first, life_end, lc.status))
    lc.phases = [{"phase": lab, "start": _d(s.periods[a]), "end": _d(s.periods[b])} for lab, a, b in spans]
    stages = downs_stages(sm, waves, pk if lc.peak_clear else None, last, lc.status)
    lc.downs_stages = [
        {"stage": lab, "start": _d(s.periods[a]), "end": _d(s.periods[b])} for lab, a, b in stages
    ]
    lc.downs_stage = stages[-1][0] if stages and stages[-1][2] == s.n - 1 else None

    lc.coverage_warning = _coverage_warning(s, dt, lc.status)
    lc.verdict_text = verdict_text(lc)
    if lc.coverage_warning:
        warnings.warn(f"{idea}: {lc.coverage_warning}", StatisticalWarning, stacklevel=3)
    lc.notes = notes
    return lc


THIN_LIFE = 1 / 3  # mentioned in fewer than this share of its life's covered periods ...
UNPLACED_SPAN = 0.8  # ... with a peak interval over at least this share of them: no clear peak


def peak_is_clear(s: Series, first: int, last_use: int, interval: tuple[date | None, date | None] | None
                  ) -> bool:
    """Whether the data place a peak: False when the idea was said in fewer than THIN_LIFE of the covered
    periods from its first to its last use and the peak's 95% interval spans UNPLACED_SPAN of them (four
    mentions over seventy years of yearly addresses); True without an interval (nothing to judge by)."""
    if interval is None or interval[0] is None or interval[1] is None:
        return True
    cov = np.flatnonzero(s.covered[first : last_use + 1]) + first
    if cov.size < 3:
        return True
    said = int((s.docs[cov] > 0).sum())
    lo, hi = pd.Timestamp(interval[0]), pd.Timestamp(interval[1])
    inside = int(((s.periods[cov] >= lo) & (s.periods[cov] <= hi)).sum())
    return not (said < THIN_LIFE * cov.size and inside >= UNPLACED_SPAN * cov.size)


def _period_date(s: Series, index: int | None) -> date | None:
    """Start date of a period index that may lie beyond the series."""
    if index is None:
        return None
    if index < s.n:
        return _d(s.periods[index])
    return _d(shift_periods(s.periods[-1], index - (s.n - 1), s.by))


_EPOCH = pd.Timestamp("1970-01-01")


def _days(ts: pd.Timestamp) -> float:
    """Days since 1970-01-01."""
    return float((pd.Timestamp(ts) - _EPOCH).days)


def _day_to_date(days: float) -> date | None:
    """Inverse of `_days` (None when out of the representable range)."""
    try:
        return date(1970, 1, 1) + timedelta(days=int(np.floor(days)))
    except (OverflowError, ValueError):  # beyond year 9999: no date worth stating
        return None


def _sighting_days(s: Series, mentioned: np.ndarray) -> np.ndarray:
    """Mid-period day of each period with a mention: the sighting record for OLE."""
    starts = np.array([_days(s.periods[i]) for i in mentioned[-10:]])
    return starts + PERIOD_DAYS[s.by] / 2.0


def _basis(s: Series, dt: Any) -> str | None:
    """What the verdict rests on, in one line (None when there is no silence to judge)."""
    if dt.p_value is None or dt.rate_periods == 0 or dt.silent_periods == 0:
        return None  # no silence to judge (mentioned in the latest period, or no rate to judge it by)
    def unit(n: int) -> str:
        return s.by if n == 1 else f"{s.by}s"

    cov = np.flatnonzero(s.covered)
    per_period = dt.recent_rate * float(s.exposure[cov[-RECENT_WINDOW[s.by]:]].mean())
    parts = [
        f"a rate of use of {_rate_words(dt.recent_rate)} (about {per_period:.2g} "
        f"a {s.by} at today's corpus volume), from {dt.rate_mentions} document{'' if dt.rate_mentions == 1 else 's'} "
        f"using it over {dt.rate_periods} covered {unit(dt.rate_periods)}",
        (f"{dt.silent_periods} covered {unit(dt.silent_periods)} since the last use, silent but for {len(dt.echoes)} "
         f"echo{'es' if len(dt.echoes) > 1 else ''}" if dt.echoes else
         f"{dt.silent_periods} covered {unit(dt.silent_periods)} of silence since the last use")
        + f", in which {dt.expected:.1f} documents using it would have been expected",
    ]
    if dt.dispersion > 1.05:
        parts.append(f"counts {dt.dispersion:.1f} times as variable as chance alone (allowed for)")
    if dt.used_decay_model:
        parts.append("the fitted decay's lower rate")
    if dt.gap_periods:
        parts.append(f"{dt.gap_periods} {unit(dt.gap_periods)} without coverage left out")
    return "; ".join(parts)


def _rate_words(rate: float) -> str:
    """A rate per document in the unit that reads best: '60% of documents' for a phrase in most of a few
    long documents (one address a year), '12 per million documents' for a rare one in a large archive."""
    if rate >= 0.001:
        pct = 100.0 * rate
        return f"{pct:.2g}% of documents" if pct < 10 else f"{pct:.0f}% of documents"
    return f"{_per_million(rate)} per million documents"


def _per_million(rate: float) -> str:
    """A rate per document as a readable number per million documents."""
    v = rate * 1e6
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def _coverage_warning(s: Series, dt: Any, status: str) -> str | None:
    """Say when a verdict rests on thin or gappy coverage (None when coverage is fine)."""
    parts: list[str] = []
    if dt.gap_periods:
        after = "use" if dt.echoes else "mention"
        total = dt.gap_periods + dt.silent_periods
        verb = "has" if dt.gap_periods == 1 else "have"
        parts.append(
            f"{dt.gap_periods} of the {total} period{'' if total == 1 else 's'} after the last {after} "
            f"{verb} no coverage (not counted as silence)"
        )
    if status in ("dead", "dormant") and dt.rate_mentions < THIN_MENTIONS:
        # rate_mentions counts documents behind the rate besides the first (which starts the clock).
        parts.append("one mention gives no rate of use to judge the silence by" if dt.rate_mentions == 0 else
                     f"the rate of use rests on {dt.rate_mentions} document{'' if dt.rate_mentions == 1 else 's'}")
    cov = s.covered
    if s.n and (~cov).mean() > GAPPY_SHARE:
        parts.append(f"{int((~cov).sum()):,} of {s.n:,} periods are coverage gaps")
    idx = np.flatnonzero(cov)
    if idx.size >= 2 * RECENT_WINDOW[s.by]:
        recent = s.exposure[idx[-RECENT_WINDOW[s.by] :]].mean()
        typical = np.median(s.exposure[idx])
        if recent < 0.25 * typical:
            parts.append("recent coverage is thin (under a quarter of the typical documents per period)")
    return "; ".join(parts) if parts else None
