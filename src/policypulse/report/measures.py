"""The one definition of every number a chart, a figure, a CSV and the report show.

The dashboard's chart plots the ``value`` column this module computes (the browser never computes a
number itself), the PNG/SVG figure plots the same column, and the CSV export carries it, so the four
outputs cannot disagree. Rules, stated on every chart:

- a period with no documents at all (a coverage gap) has no value, smoothed or not;
- smoothing is a centred moving average over ``smooth`` periods of the covered periods' values;
- smoothing never gives a value to a period where the idea was not said: there the value stays 0, so a
  smoothed line never shows talk in a year nobody talked (Axis of Evil is 0 in 2003, not 333).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from policypulse.errors import UsageError


@dataclass(frozen=True)
class Measure:
    """What a chart's y axis shows: a name for URLs, a label for people, a short unit."""

    key: str
    label: str
    unit: str


MEASURES: dict[str, Measure] = {
    "share": Measure("share", "% of documents mentioning it", "% of documents"),
    "words": Measure("words", "mentions per million words", "per million words"),
    "docs": Measure("docs", "documents mentioning it", "documents"),
    "mentions": Measure("mentions", "mentions (every occurrence)", "mentions"),
}
DEFAULT_MEASURE = "share"
MAX_SMOOTH = 25


def check_measure(measure: str) -> Measure:
    """The measure named ``measure``, or a UsageError listing the valid names."""
    if measure not in MEASURES:
        raise UsageError(f"unknown measure={measure!r}; choose one of {', '.join(MEASURES)}")
    return MEASURES[measure]


def check_smooth(smooth: int) -> int:
    """A smoothing window in periods: 1 (none) up to MAX_SMOOTH."""
    if not 1 <= smooth <= MAX_SMOOTH:
        raise UsageError(f"smooth must be between 1 (no smoothing) and {MAX_SMOOTH} periods, got {smooth}")
    return smooth


def describe(measure: str, smooth: int, by: str) -> str:
    """The measure and smoothing in words, as written on every chart, figure and CSV name."""
    m = check_measure(measure)
    if smooth <= 1:
        return f"{m.label}, per {by}, not smoothed"
    return f"{m.label}, per {by}, {smooth}-{by} centred moving average (0 where not said)"


def raw_values(rows: pd.DataFrame, measure: str) -> np.ndarray:
    """The unsmoothed measure per row: NaN in coverage gaps."""
    words = rows["total_words"].to_numpy(dtype=float) if "total_words" in rows else np.zeros(len(rows))
    return raw_of(rows["docs"].to_numpy(dtype=float), rows["mentions"].to_numpy(dtype=float),
                  rows["total_docs"].to_numpy(dtype=float), words, measure)


def raw_of(docs: np.ndarray, mentions: np.ndarray, total_docs: np.ndarray, total_words: np.ndarray,
           measure: str) -> np.ndarray:
    """``raw_values`` from the columns as arrays (the dashboard's rows are arrays, not a DataFrame)."""
    check_measure(measure)
    docs, mentions = np.asarray(docs, dtype=float), np.asarray(mentions, dtype=float)
    total = np.asarray(total_docs, dtype=float)
    covered = total > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "share":
            out = 100.0 * docs / np.where(covered, total, 1.0)
        elif measure == "words":
            words = np.asarray(total_words, dtype=float)
            out = np.where(words > 0, 1e6 * mentions / np.where(words > 0, words, 1.0), np.nan)
        elif measure == "docs":
            out = docs.copy()
        else:
            out = mentions.copy()
    return np.where(covered, out, np.nan)


def values(rows: pd.DataFrame, measure: str, smooth: int = 1) -> np.ndarray:
    """The value a chart plots per row (one idea's rows in period order): see the module's rules."""
    return smoothed(raw_values(rows, measure), rows["docs"].to_numpy(), smooth)


def values_of(docs: np.ndarray, mentions: np.ndarray, total_docs: np.ndarray, total_words: np.ndarray,
              measure: str, smooth: int = 1) -> np.ndarray:
    """``values`` from the columns as arrays."""
    return smoothed(raw_of(docs, mentions, total_docs, total_words, measure), np.asarray(docs), smooth)


def smoothed(raw: np.ndarray, docs: np.ndarray, smooth: int) -> np.ndarray:
    """The module's smoothing rules applied to one idea's raw values (``docs``: its documents per period)."""
    if smooth <= 1 or len(raw) == 0:
        return raw
    check_smooth(smooth)
    sm = pd.Series(raw).rolling(smooth, center=True, min_periods=1).mean().to_numpy()
    said = docs > 0
    out = np.where(said, sm, raw)  # not said: the raw 0 stays; a gap: NaN stays
    return np.where(np.isnan(raw), np.nan, out)


def with_values(track: pd.DataFrame, measure: str, smooth: int = 1) -> pd.DataFrame:
    """``track`` (one or more ideas, long form) with ``measure``, ``smooth`` and ``value`` columns."""
    out = track.copy()
    out["value"] = np.nan
    for _, idx in out.groupby("idea", sort=False).groups.items():
        out.loc[idx, "value"] = values(out.loc[idx], measure, smooth)
    out["measure"] = measure
    out["smooth"] = smooth
    return out
