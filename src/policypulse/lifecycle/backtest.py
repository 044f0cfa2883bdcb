"""Backtests: verdicts issued on history cut at many dates, scored against what followed within a horizon.

Scoring rules (docs/methods.md, "Backtest"):

* a cut is scored only when the whole follow-up horizon after it lies inside the series;
* a `dead` verdict is wrong when the idea was *used* again within the horizon: mentions that the
  analysis at the end of the horizon treats as echoes are not renewed use;
* each silence is scored once, at the first cut that called it dead (repeated verdicts on one silence
  are one decision, not many); the summary also counts ideas with at least one wrong verdict;
* forecasts are scored only when issued before the true last use;
* baselines beside the method, on the same cuts: naive ("silent for the minimum silence = dead"),
  Solow's exposure-weighted test at alpha, and OLE (Roberts & Solow 2003) at alpha.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .analysis import analyse
from .errors import StatisticalWarning
from .ole import optimal_linear_estimate
from .series import MIN_SILENCE, Series, from_frame

PROB_BINS: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0)
METHODS: tuple[str, ...] = ("policypulse", "naive", "solow", "ole")
# Follow-up horizon in periods: 20 years of years, 5 of quarters and months, 2 of weeks, 1 of days.
HORIZON: dict[str, int] = {"year": 20, "quarter": 20, "month": 60, "week": 104, "day": 365}


@dataclass
class BacktestResult:
    """Every (idea, cut) verdict, the silences scored once each, a summary per method and a calibration."""

    verdicts: pd.DataFrame
    silences: pd.DataFrame
    calibration: pd.DataFrame
    alpha: float
    horizon_periods: int

    @property
    def false_death_rate(self) -> float | None:
        """Share of silences called dead by policypulse on which the idea was used again (None: no calls)."""
        s = self.silences[self.silences["method"] == "policypulse"]
        return float(s["used_again"].mean()) if len(s) else None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per method: dead calls (silences), wrong ones, their share, ideas wronged; forecasts."""
        rows = []
        v = self.verdicts
        for m in METHODS:
            s = self.silences[self.silences["method"] == m]
            row = {
                "method": m,
                "scored_cuts": int(v["scored"].sum()),
                "dead_silences": len(s),
                "used_again": int(s["used_again"].sum()),
                "false_death_rate": float(s["used_again"].mean()) if len(s) else None,
                "ideas_called_dead": int(s["idea"].nunique()),
                "ideas_wrongly_called_dead": int(s.loc[s["used_again"], "idea"].nunique()),
            }
            if m == "policypulse":
                err = v["forecast_error_days"].dropna()
                cov = v["forecast_covered"].dropna()
                row.update(
                    forecasts_scored=len(err),
                    median_abs_forecast_error_days=float(err.abs().median()) if len(err) else None,
                    forecast_interval_coverage=float(cov.astype(float).mean()) if len(cov) else None,
                )
            rows.append(row)
        return pd.DataFrame(rows)


def _solow_p(s: Series) -> float | None:
    """Solow (1993) on the exposure clock from the first mention: (E(first..last) / E(first..end))^(n-1)."""
    m = np.flatnonzero(s.docs > 0)
    n = int(s.docs.sum())
    if m.size == 0 or n < 2:
        return None
    ce = np.concatenate([[0.0], np.cumsum(s.exposure.astype(float))])
    first, last = int(m[0]), int(m[-1])
    seen, total = ce[last + 1] - ce[first], ce[s.n] - ce[first]
    return float((seen / total) ** (n - 1)) if total > 0 else None


def _ole_p(s: Series) -> float | None:
    """OLE's p-value at the end of the series from the last ten mentioning periods."""
    m = np.flatnonzero(s.docs > 0)
    if m.size < 3 or m[-1] == s.n - 1:
        return None
    est = optimal_linear_estimate(m.astype(float) + 0.5, test_time=float(s.n))
    return None if est is None else est.p_value


def backtest(
    series_by_idea: Mapping[str, pd.DataFrame],
    by: str,
    cut_dates: Iterable[date | str],
    alpha: float = 0.05,
    *,
    horizon: int | None = None,
    n_boot: int = 50,
    seed: int = 0,
) -> BacktestResult:
    """Cut each series at each date, issue every method's verdict as of then, and score it.

    `horizon` is the follow-up in periods (default HORIZON[by]); cuts whose horizon runs past the end
    of the series are kept in `verdicts` but not scored.
    """
    h = HORIZON[by] if horizon is None else int(horizon)
    cuts = sorted(pd.Timestamp(c) for c in cut_dates)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # coverage notes travel in the table instead
        for name, frame in series_by_idea.items():
            periods = pd.DatetimeIndex(pd.to_datetime(frame["period"]))
            full = from_frame(frame, by)
            final = analyse(frame, by, idea=name, alpha=alpha, n_boot=0, seed=seed)
            true_last_use = pd.Timestamp(final.last_use or final.last_mention) if final.last_mention else None
            for cut in cuts:
                if cut < periods[0]:
                    continue
                i = int(np.searchsorted(periods.values, cut.to_datetime64(), side="right")) - 1
                lc = analyse(frame, by, idea=name, alpha=alpha, as_of=cut, n_boot=n_boot, seed=seed)
                if lc.status == "unborn":
                    continue
                s = full.truncate(i)
                scored = i + h < full.n
                used_again = None
                if scored:
                    later = analyse(frame, by, idea=name, alpha=alpha, as_of=periods[i + h], n_boot=0, seed=seed)
                    last_use_then = later.last_use or later.last_mention
                    used_again = bool(last_use_then is not None and pd.Timestamp(last_use_then) > cut)
                silent_for = int((s.covered[int(np.flatnonzero(s.docs > 0)[-1]) + 1 :]).sum())
                sp, op = _solow_p(s), _ole_p(s)
                long_enough = silent_for >= MIN_SILENCE[by]
                err = covered = None
                if (lc.forecast_last_mention and final.status == "dead" and true_last_use is not None
                        and cut < true_last_use):
                    err = float((pd.Timestamp(lc.forecast_last_mention) - true_last_use).days)
                    if lc.forecast_interval and None not in lc.forecast_interval:
                        lo, hi = (pd.Timestamp(x) for x in lc.forecast_interval)
                        covered = bool(lo <= true_last_use <= hi)
                rows.append(
                    {
                        "idea": name,
                        "cut": cut,
                        "silence_since": pd.Timestamp(lc.last_use or lc.last_mention),
                        "status": lc.status,
                        "death_p_value": lc.death_p_value,
                        "death_probability": lc.death_probability,
                        "echoes": lc.echoes,
                        "silent": silent_for > 0,
                        "scored": scored,
                        "used_again": used_again,
                        "policypulse": lc.status == "dead",
                        "naive": long_enough,
                        "solow": bool(long_enough and sp is not None and sp < alpha),
                        "ole": bool(long_enough and op is not None and op < alpha),
                        "forecast_last_mention": lc.forecast_last_mention,
                        "forecast_error_days": err,
                        "forecast_covered": covered,
                        "coverage_warning": lc.coverage_warning,
                    }
                )
    verdicts = pd.DataFrame(rows, columns=_VERDICT_COLUMNS)
    return BacktestResult(verdicts, _silences(verdicts), calibration_table(verdicts), alpha, h)


_VERDICT_COLUMNS = [
    "idea", "cut", "silence_since", "status", "death_p_value", "death_probability", "echoes", "silent",
    "scored", "used_again", "policypulse", "naive", "solow", "ole", "forecast_last_mention",
    "forecast_error_days", "forecast_covered", "coverage_warning",
]


def _silences(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per method, each silence (idea, silence_since) called dead at a scored cut, once: its first call."""
    parts = []
    scored = verdicts[verdicts["scored"].astype(bool)]
    for m in METHODS:
        calls = scored[scored[m].astype(bool)].sort_values("cut")
        first = calls.drop_duplicates(["idea", "silence_since"], keep="first")
        parts.append(first.assign(method=m)[["method", "idea", "silence_since", "cut", "used_again"]])
    out = pd.concat(parts, ignore_index=True)
    out["used_again"] = out["used_again"].astype(bool)
    return out


def calibration_table(verdicts: pd.DataFrame, bins: tuple[float, ...] = PROB_BINS) -> pd.DataFrame:
    """Per band of stated death probability (silent ideas at scored cuts, each silence once): how many
    verdicts, how many were followed by renewed use, and that share beside the probability's complement."""
    v = verdicts[verdicts["scored"].astype(bool) & verdicts["silent"].astype(bool)
                 & verdicts["death_probability"].notna()]
    v = v.sort_values("cut").drop_duplicates(["idea", "silence_since"], keep="last")
    cats = pd.cut(v["death_probability"].astype(float), bins=np.array(bins), include_lowest=True)
    grp = v.groupby(cats, observed=False)
    out = pd.DataFrame({
        "verdicts": grp.size(),
        "used_again": grp["used_again"].sum().astype(int),
        "mean_death_probability": grp["death_probability"].mean(),
    })
    out["share_used_again"] = out["used_again"] / out["verdicts"].replace(0, np.nan)
    out.index = out.index.astype(str)
    out.index.name = "death_probability"
    return out.reset_index()
