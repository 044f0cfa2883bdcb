"""Counts per period: zero-filled, normalised by corpus volume, with coverage flags and smoothing."""

from __future__ import annotations

import pandas as pd

from policypulse.query.engines.base import PERIODS

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}


def period_range(first: pd.Timestamp, last: pd.Timestamp, by: str) -> pd.DatetimeIndex:
    """Every period start from the period holding ``first`` to the one holding ``last``."""
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")
    return pd.date_range(period_start(first, by), period_start(last, by), freq=_FREQ[by])


def period_start(ts: pd.Timestamp, by: str) -> pd.Timestamp:
    """The first day of the period holding ``ts``."""
    ts = pd.Timestamp(ts).normalize()
    if by == "day":
        return ts
    if by == "week":
        return ts - pd.Timedelta(days=ts.weekday())
    if by == "month":
        return ts.replace(day=1)
    if by == "quarter":
        return ts.replace(month=3 * ((ts.month - 1) // 3) + 1, day=1)
    return ts.replace(month=1, day=1)


def build(
    counts: pd.DataFrame,
    totals: pd.DataFrame,
    idea_names: list[str],
    by: str,
    *,
    by_source: bool = False,
    per: str = "docs",
    smooth: int = 0,
) -> pd.DataFrame:
    """The long timeline: a row per idea and period (and source), zeros included.

    ``rate`` is docs / total_docs (or mentions per million words with ``per='words'``); periods with
    no documents at all are coverage gaps: ``total_docs`` 0, ``rate`` missing, ``coverage`` 'gap'.
    """
    cols = ["idea", "period"] + (["source"] if by_source else []) + [
        "docs", "mentions", "total_docs", "total_words", "rate", "coverage"]
    if totals.empty:
        return pd.DataFrame(columns=cols)
    periods = period_range(totals["period"].min(), totals["period"].max(), by)
    keys = ["period", "source"] if by_source else ["period"]
    if by_source:
        sources = sorted(totals["source"].unique())
        grid = pd.MultiIndex.from_product([periods, sources], names=keys).to_frame(index=False)
    else:
        grid = pd.DataFrame({"period": periods})
    base = grid.merge(totals, on=keys, how="left")
    base[["total_docs", "total_words"]] = base[["total_docs", "total_words"]].fillna(0).astype("int64")
    frames = []
    for name in idea_names:
        sub = counts[counts["idea"] == name].drop(columns="idea") if not counts.empty else None
        frame = base.copy()
        if sub is not None and not sub.empty:
            frame = frame.merge(sub, on=keys, how="left")
        else:
            frame["docs"] = 0
            frame["mentions"] = 0
        frame[["docs", "mentions"]] = frame[["docs", "mentions"]].fillna(0).astype("int64")
        frame.insert(0, "idea", name)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    exposure = out["total_docs"].where(out["total_docs"] > 0)
    if per == "words":
        words = out["total_words"].where(out["total_words"] > 0)
        out["rate"] = out["mentions"] / words * 1e6
    elif per == "docs":
        out["rate"] = out["docs"] / exposure
    else:
        raise ValueError(f"unknown --per {per!r}; choose docs or words")
    out["coverage"] = (out["total_docs"] > 0).map({True: "ok", False: "gap"})
    if smooth and smooth > 1:
        group = ["idea", "source"] if by_source else ["idea"]
        out["rate_smoothed"] = out.groupby(group, sort=False)["rate"].transform(
            lambda s: s.rolling(smooth, center=True, min_periods=1).mean())
        # A period without documents has no rate, smoothed or not: a line drawn across it would hide the gap.
        out.loc[out["coverage"] == "gap", "rate_smoothed"] = float("nan")
        cols.append("rate_smoothed")
    return out[cols]


def wide(long: pd.DataFrame, value: str = "rate") -> pd.DataFrame:
    """The tidy combined export: a row per period, a column per idea, plus the period's totals.

    With a source breakdown the columns are per idea and source (``"idea [source]"``) and the totals are
    the period's totals over all sources.
    """
    if long.empty:
        return pd.DataFrame(columns=["period", "total_docs"])
    if "source" in long.columns:
        long = long.assign(column=long["idea"].astype(str) + " [" + long["source"].astype(str) + "]")
    else:
        long = long.assign(column=long["idea"])
    table = long.pivot_table(index="period", columns="column", values=value, aggfunc="first", dropna=False)
    table = table[list(dict.fromkeys(long["column"]))]
    one_idea = long[long["idea"] == long["idea"].iloc[0]]
    totals = one_idea.groupby("period")[["total_docs"]].sum()
    totals["coverage"] = (totals["total_docs"] > 0).map({True: "ok", False: "gap"})
    out = totals.join(table).reset_index()
    out.columns.name = None
    return out
