"""Backtests: issue verdicts on history cut at many dates and count how often a dead idea spoke again."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .analysis import analyse
from .errors import StatisticalWarning

P_BINS: tuple[float, ...] = (0.0, 1e-6, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0)


@dataclass
class BacktestResult:
    """Every (idea, cut) verdict, the calibration table, and headline rates."""

    verdicts: pd.DataFrame
    calibration: pd.DataFrame
    alpha: float

    @property
    def false_death_rate(self) -> float | None:
        """Share of `dead` verdicts whose idea was mentioned again after the cut (None if none were dead)."""
        dead = self.verdicts[self.verdicts["status"] == "dead"]
        return float(dead["mentioned_again"].mean()) if len(dead) else None

    @property
    def summary(self) -> pd.DataFrame:
        """Headline numbers as a one-row table."""
        v = self.verdicts
        dead = v[v["status"] == "dead"]
        err = v["forecast_error_days"].dropna()
        return pd.DataFrame(
            [
                {
                    "verdicts": len(v),
                    "dead_calls": len(dead),
                    "false_deaths": int(dead["mentioned_again"].sum()),
                    "false_death_rate": self.false_death_rate,
                    "alpha": self.alpha,
                    "forecasts_scored": len(err),
                    "median_abs_forecast_error_days": float(err.abs().median()) if len(err) else None,
                    "forecast_interval_coverage": float(v["forecast_covered"].dropna().mean())
                    if v["forecast_covered"].notna().any()
                    else None,
                }
            ]
        )


def backtest(
    series_by_idea: Mapping[str, pd.DataFrame],
    by: str,
    cut_dates: Iterable[date | str],
    alpha: float = 0.05,
    *,
    n_boot: int = 50,
    seed: int = 0,
) -> BacktestResult:
    """Cut each series at each date, analyse as of then, and score the verdicts against what followed.

    A false death is a `dead` verdict followed by a mention after the cut. Forecast errors (days,
    forecast minus truth) are scored only for ideas whose final silence in the full series is itself a
    `dead` verdict (otherwise the true last mention is not known yet). The calibration table bins the
    death p-values of silent ideas and gives, per bin, the share mentioned again: for a calibrated test
    the share in bins below alpha stays small.
    """
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # coverage notes travel in the table instead
        for name, frame in series_by_idea.items():
            full = analyse(frame, by, idea=name, alpha=alpha, n_boot=0, seed=seed)
            truth_last = pd.Timestamp(full.last_mention) if full.last_mention else None
            truth_known = full.status == "dead"
            periods = pd.to_datetime(frame["period"])
            for cut in cut_dates:
                cut_ts = pd.Timestamp(cut)
                if cut_ts < periods.iloc[0]:
                    continue
                lc = analyse(frame, by, idea=name, alpha=alpha, as_of=cut_ts, n_boot=n_boot, seed=seed)
                if lc.status == "unborn":
                    continue
                later = frame.loc[periods > cut_ts, "docs"].to_numpy()
                again = bool((later > 0).any())
                err = covered = None
                if lc.forecast_last_mention and truth_known and truth_last is not None:
                    err = float((pd.Timestamp(lc.forecast_last_mention) - truth_last).days)
                    if lc.forecast_interval and None not in lc.forecast_interval:
                        lo, hi = (pd.Timestamp(x) for x in lc.forecast_interval)
                        covered = bool(lo <= truth_last <= hi)
                rows.append(
                    {
                        "idea": name,
                        "cut": cut_ts,
                        "status": lc.status,
                        "death_p_value": lc.death_p_value,
                        "silent": lc.last_mention is not None
                        and lc.series_end is not None
                        and lc.last_mention < lc.series_end,
                        "mentioned_again": again,
                        "forecast_last_mention": lc.forecast_last_mention,
                        "forecast_error_days": err,
                        "forecast_covered": covered,
                        "coverage_warning": lc.coverage_warning,
                    }
                )
    verdicts = pd.DataFrame(
        rows,
        columns=[
            "idea",
            "cut",
            "status",
            "death_p_value",
            "silent",
            "mentioned_again",
            "forecast_last_mention",
            "forecast_error_days",
            "forecast_covered",
            "coverage_warning",
        ],
    )
    return BacktestResult(verdicts, calibration_table(verdicts), alpha)


def calibration_table(verdicts: pd.DataFrame, bins: tuple[float, ...] = P_BINS) -> pd.DataFrame:
    """Per p-value bin (silent ideas only): verdicts, how many spoke again, and that share."""
    silent = verdicts[verdicts["silent"].astype(bool) & verdicts["death_p_value"].notna()]
    cats = pd.cut(silent["death_p_value"].astype(float), bins=np.array(bins), include_lowest=True)
    grp = silent.groupby(cats, observed=False)["mentioned_again"]
    out = pd.DataFrame({"verdicts": grp.size(), "mentioned_again": grp.sum().astype(int)})
    out["share_mentioned_again"] = out["mentioned_again"] / out["verdicts"].replace(0, np.nan)
    out.index = out.index.astype(str)
    out.index.name = "death_p_value"
    return out.reset_index()
