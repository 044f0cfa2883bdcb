"""Counts per period: zero-filled, normalised by corpus volume, with coverage flags and smoothing."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from policypulse.query.engines.base import PERIODS, periods_of

# The dtype of every period column: microseconds reach years 1 to 9999, nanoseconds only 1677 to 2262.
PERIOD_DTYPE = "datetime64[us]"

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}


def period_range(first: pd.Timestamp, last: pd.Timestamp, by: str) -> pd.DatetimeIndex:
    """Every period start from the period holding ``first`` to the one holding ``last``."""
    return pd.DatetimeIndex(period_grid(pd.Timestamp(first).to_datetime64(), pd.Timestamp(last).to_datetime64(), by),
                            name=None)


def period_grid(first: np.datetime64, last: np.datetime64, by: str) -> np.ndarray:
    """``period_range`` as datetime64[us] values, computed in numpy.

    pandas' date_range builds each period in Python, and Timestamp round trips cost more than counting one idea.
    Microseconds, not pandas' default nanoseconds: datetime64[ns] ends in 1677 and 2262, and a store holds any
    date from year 1 to 9999 (chronicles, Hansard from 1803).
    """
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")
    a, b = periods_of(np.array([first, last], dtype="datetime64[D]"), by)
    if by == "day":
        out = np.arange(a, b + 1, dtype="datetime64[D]")
    elif by == "week":
        out = np.arange(a, b + 1, 7, dtype="datetime64[D]")
    elif by in ("month", "quarter"):
        step = 1 if by == "month" else 3
        out = np.arange(a.astype("datetime64[M]"), b.astype("datetime64[M]") + 1, step).astype("datetime64[D]")
    else:
        out = np.arange(a.astype("datetime64[Y]"), b.astype("datetime64[Y]") + 1).astype("datetime64[D]")
    return out.astype(PERIOD_DTYPE)


def period_start(ts: pd.Timestamp, by: str) -> pd.Timestamp:
    """The first day of the period holding ``ts``."""
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}; choose one of {', '.join(PERIODS)}")
    day = np.datetime64(pd.Timestamp(ts).date(), "D")  # through a date: any year 1-9999, no ns overflow
    return pd.Timestamp(periods_of(np.array([day]), by)[0].astype(PERIOD_DTYPE))


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
    total_periods = totals["period"].to_numpy()
    periods = period_grid(total_periods.min(), total_periods.max(), by)
    # The grid of one idea: every period (times every source), in order; totals and counts are placed on it
    # by position, in numpy (pandas merges and maps cost milliseconds per call, more than counting one idea).
    if by_source:
        sources = np.array(sorted(totals["source"].unique()), dtype=object)
        grid_p, grid_s = np.repeat(periods, len(sources)), np.tile(sources, len(periods))
    else:
        sources = np.array([], dtype=object)
        grid_p, grid_s = periods, None

    def slots(frame: pd.DataFrame, period: np.ndarray) -> np.ndarray:
        """Each row's position on the grid."""
        p = np.searchsorted(periods, period.astype(PERIOD_DTYPE))
        if not by_source:
            return p
        return p * len(sources) + np.searchsorted(sources, frame["source"].to_numpy(dtype=object))

    n = len(grid_p)
    total_docs, total_words = np.zeros(n, np.int64), np.zeros(n, np.int64)
    at = slots(totals, total_periods)
    total_docs[at] = totals["total_docs"].to_numpy(np.int64)
    total_words[at] = totals["total_words"].to_numpy(np.int64)
    docs, mentions = np.zeros((len(idea_names), n), np.int64), np.zeros((len(idea_names), n), np.int64)
    if not counts.empty:
        row_of = {name: i for i, name in enumerate(idea_names)}
        names = counts["idea"].to_numpy(dtype=object)
        idx = np.fromiter((row_of.get(x, -1) for x in names), np.int64, len(names))
        keep = idx >= 0
        sub = counts[keep] if not keep.all() else counts
        r, c = idx[keep], slots(sub, sub["period"].to_numpy())
        docs[r, c] = sub["docs"].to_numpy(np.int64)
        mentions[r, c] = sub["mentions"].to_numpy(np.int64)
        for i, name in enumerate(idea_names):  # an idea asked for twice gets its counts twice
            if row_of[name] != i:
                docs[i], mentions[i] = docs[row_of[name]], mentions[row_of[name]]
    k = len(idea_names)
    tiled_docs, tiled_words = np.tile(total_docs, k), np.tile(total_words, k)
    flat_docs, flat_mentions = docs.ravel(), mentions.ravel()
    # rate and coverage in numpy too: a few pandas operations cost more than the whole count of one idea
    with np.errstate(divide="ignore", invalid="ignore"):
        if per == "words":
            rate = np.where(tiled_words > 0, flat_mentions / np.where(tiled_words > 0, tiled_words, 1) * 1e6, np.nan)
        elif per == "docs":
            rate = np.where(tiled_docs > 0, flat_docs / np.where(tiled_docs > 0, tiled_docs, 1), np.nan)
        else:
            raise ValueError(f"unknown --per {per!r}; choose docs or words")
    data: dict[str, object] = {
        "idea": np.repeat(np.array(idea_names, dtype=object), n),
        "period": np.tile(grid_p, k),
    }
    if by_source:
        data["source"] = np.tile(cast(np.ndarray, grid_s), k)  # grid_s is an array whenever by_source
    data.update(docs=flat_docs, mentions=flat_mentions, total_docs=tiled_docs, total_words=tiled_words, rate=rate,
                coverage=np.where(tiled_docs > 0, "ok", "gap").astype(object))
    out = pd.DataFrame(data, copy=False)  # the arrays are this call's own: no copy into blocks
    if smooth and smooth > 1:
        group = ["idea", "source"] if by_source else ["idea"]
        out["rate_smoothed"] = out.groupby(group, sort=False)["rate"].transform(
            lambda s: s.rolling(smooth, center=True, min_periods=1).mean())
        # A period without documents has no rate, smoothed or not: a line drawn across it would hide the gap.
        out.loc[out["coverage"] == "gap", "rate_smoothed"] = float("nan")
        cols.append("rate_smoothed")
        return out[cols]
    return out


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
