"""Validated per-period count series as numpy arrays, period arithmetic and smoothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .errors import LifecycleInputError

FREQUENCIES: tuple[str, ...] = ("day", "week", "month", "quarter", "year")

# Mean period length in days: used only to turn "periods" into "days" for reporting and models.
PERIOD_DAYS: dict[str, float] = {
    "day": 1.0,
    "week": 7.0,
    "month": 30.436875,
    "quarter": 91.310625,
    "year": 365.2425,
}

# pandas frequency aliases whose dates are period *starts* (weeks start on Monday).
_PANDAS_FREQ: dict[str, str] = {
    "day": "D",
    "week": "W-MON",
    "month": "MS",
    "quarter": "QS-JAN",
    "year": "YS-JAN",
}

# Width (periods, odd) of the centred smoothing window: about a week of days, else three periods.
SMOOTH_WIDTH: dict[str, int] = {"day": 7, "week": 3, "month": 3, "quarter": 3, "year": 3}
# Covered periods in the "recent" window that estimates the current rate: roughly a year (five for years).
RECENT_WINDOW: dict[str, int] = {"day": 90, "week": 26, "month": 12, "quarter": 6, "year": 5}
# Covered periods that make a "sustained" run for emergence.
RUN_LENGTH: dict[str, int] = {"day": 7, "week": 4, "month": 3, "quarter": 3, "year": 3}
# Shortest silence (covered periods) that may be called dead: a fast-fading idea's stray last mentions
# are often a month or two apart, and the constant-rate null would call such gaps significant.
MIN_SILENCE: dict[str, int] = {"day": 14, "week": 4, "month": 3, "quarter": 2, "year": 2}


def check_frequency(by: str) -> str:
    """Return `by` if it is a known frequency, else raise an error listing the valid ones."""
    if by not in FREQUENCIES:
        raise LifecycleInputError(f"unknown frequency {by!r}; use one of: {', '.join(FREQUENCIES)}")
    return by


def period_start(ts: pd.Timestamp | date | str, by: str) -> pd.Timestamp:
    """The first day of the period of frequency `by` that contains `ts`."""
    return shift_periods(pd.Timestamp(ts), 0, by)


def shift_periods(start: pd.Timestamp, k: int, by: str) -> pd.Timestamp:
    """The start of the period `k` periods after the period that contains `start`.

    In numpy (microseconds), not pd.Period: a Period's start_time is in nanoseconds, which end in 1677 and 2262.
    """
    check_frequency(by)
    day = np.array([np.datetime64(pd.Timestamp(start).date(), "D")])
    n, _ = _ordinals(day, by)
    return pd.Timestamp(_starts(n + int(k), by)[0])


def date_str(ts: pd.Timestamp | np.datetime64 | None) -> str | None:
    """ISO 'YYYY-MM-DD' for a date-like value, None for None/NaT."""
    if ts is None or pd.isna(ts):
        return None
    # date().isoformat() pads years before 1000 ("0800-01-01"); strftime would write "800-01-01"
    return pd.Timestamp(ts).date().isoformat()


@dataclass(frozen=True)
class Series:
    """One idea's counts as arrays; `covered` is False in coverage gaps (no documents at all)."""

    by: str
    periods: pd.DatetimeIndex
    docs: np.ndarray
    mentions: np.ndarray
    exposure: np.ndarray
    covered: np.ndarray

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.docs)

    def date(self, i: int | None) -> pd.Timestamp | None:
        """Start date of period index `i` (None passes through)."""
        return None if i is None else self.periods[int(i)]

    def end_of(self, i: int) -> pd.Timestamp:
        """The day after period `i` ends (the next period's start)."""
        if i + 1 < self.n:
            return self.periods[i + 1]
        return shift_periods(self.periods[i], 1, self.by)

    def truncate(self, last: int) -> Series:
        """The series up to and including period index `last`."""
        s = slice(0, last + 1)
        return Series(
            self.by, self.periods[s], self.docs[s], self.mentions[s], self.exposure[s], self.covered[s]
        )


def from_frame(frame: pd.DataFrame, by: str, as_of: date | str | pd.Timestamp | None = None) -> Series:
    """Validate a timeline DataFrame (period, docs, [mentions], total_docs) and return its arrays."""
    check_frequency(by)
    missing = [c for c in ("period", "docs", "total_docs") if c not in frame.columns]
    if missing:
        raise LifecycleInputError(
            f"series is missing column(s) {missing}; expected period, docs, mentions, "
            "total_docs (as produced by policypulse.timeline)"
        )
    periods = pd.DatetimeIndex(pd.to_datetime(frame["period"].to_numpy()))
    docs = np.asarray(frame["docs"].to_numpy(), dtype=np.int64)
    exposure = np.asarray(frame["total_docs"].to_numpy(), dtype=np.int64)
    mentions = (
        np.asarray(frame["mentions"].to_numpy(), dtype=np.int64)
        if "mentions" in frame.columns
        else docs.copy()
    )
    if len(periods):
        # Vectorised check (pd.date_range with month starts is slow per element): period ordinals must
        # step by one and every date must be its period's first day.
        ordinals, starts = _ordinals(periods.values, by)
        bad = np.flatnonzero(starts != periods.values)
        steps = np.flatnonzero(np.diff(ordinals) != 1) + 1
        if bad.size or steps.size:
            i = int(min(bad.min() if bad.size else len(periods), steps.min() if steps.size else len(periods)))
            raise LifecycleInputError(
                f"periods must be consecutive {by} starts with none missing or repeated (first bad one: "
                f"{date_str(periods[i])}); fill coverage gaps with total_docs = 0"
            )
    if (docs < 0).any() or (exposure < 0).any():
        raise LifecycleInputError("docs and total_docs must be non-negative")
    if (docs > exposure).any():
        i = int(np.argmax(docs > exposure))
        raise LifecycleInputError(
            f"docs ({docs[i]}) exceed total_docs ({exposure[i]}) in period "
            f"{date_str(periods[i])}; total_docs is the number of documents in the corpus"
        )
    if as_of is not None:
        keep = periods <= pd.Timestamp(as_of)
        periods, docs, mentions, exposure = periods[keep], docs[keep], mentions[keep], exposure[keep]
    return Series(by, periods, docs, mentions, exposure, exposure > 0)


def _ordinals(values: np.ndarray, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer period numbers of datetime64 values and the start of each one's period (numpy only)."""
    days = values.astype("datetime64[D]")
    if by == "day":
        n = days.astype(np.int64)
    elif by == "week":  # 1970-01-01 was a Thursday; shifting by 3 days makes weeks start on Monday
        n = (days.astype(np.int64) + 3) // 7
    else:
        n = values.astype("datetime64[M]").astype(np.int64) // {"month": 1, "quarter": 3, "year": 12}[by]
    return n, _starts(n, by)


def next_starts(values: np.ndarray, by: str) -> np.ndarray:
    """The start of the period after each datetime64 value's period, as datetime64[us]."""
    n, _ = _ordinals(np.asarray(values), by)
    return _starts(n + 1, by)


def _starts(n: np.ndarray, by: str) -> np.ndarray:
    """The first day of each period number, as datetime64[us] (years 1 to 9999; nanoseconds end in 2262)."""
    if by == "day":
        return n.astype("datetime64[D]").astype("datetime64[us]")
    if by == "week":
        return (n * 7 - 3).astype("datetime64[D]").astype("datetime64[us]")
    size = {"month": 1, "quarter": 3, "year": 12}[by]
    return (n * size).astype("datetime64[M]").astype("datetime64[us]")


def window_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving sums of `width` (odd) along the last axis, truncated at the edges."""
    half = width // 2
    padded = np.concatenate(
        [np.zeros(values.shape[:-1] + (half + 1,)), values, np.zeros(values.shape[:-1] + (half,))], axis=-1
    )
    c = np.cumsum(padded, axis=-1)
    return c[..., width:] - c[..., :-width]


def smoothed_rate(docs: np.ndarray, exposure: np.ndarray, width: int) -> np.ndarray:
    """Pooled centred moving-window rate sum(docs)/sum(exposure); NaN at coverage gaps.

    Pooling (rather than averaging per-period rates) weights each period by its exposure, so a
    thin period cannot make a spike, and gap periods contribute nothing.
    """
    d = window_sums(docs.astype(float), width)
    e = window_sums(exposure.astype(float), width)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(e > 0, d / np.where(e > 0, e, 1.0), np.nan)
    return np.where(exposure > 0, out, np.nan)
