"""The engine interface: what a counting engine (DuckDB embedded, Spark at scale) must answer.

Engines return raw per-period counts only; zero-filling, rates and analyses happen in one place above
them (``timeline.py``), so every engine's results go through identical code from there on.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import numpy as np
import pandas as pd

from policypulse.query.ideas import Idea

PERIODS = ("day", "week", "month", "quarter", "year")

# Which date precisions are fine enough to place a document in a period of each size: a document
# known only to its month is never put on a day or in a week (the tool never invents a day).
PRECISIONS_FOR = {
    "day": ("day",),
    "week": ("day",),
    "month": ("day", "month"),
    "quarter": ("day", "month"),
    "year": ("day", "month", "year"),
}


def periods_of(day: np.ndarray, by: str) -> np.ndarray:
    """The first day of each date's period (weeks start on Monday), as datetime64[D]."""
    if by == "day":
        return day
    if by == "week":
        n = day.astype(np.int64)
        return (n - (n + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
    if by == "month":
        return day.astype("datetime64[M]").astype("datetime64[D]")
    if by == "quarter":
        m = day.astype("datetime64[M]").astype(np.int64)
        return (m - m % 3).astype("datetime64[M]").astype("datetime64[D]")
    if by == "year":
        return day.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"unknown period {by!r}")


def where_sql(by: str, include_fallback: bool, date_from: dt.date | None, date_to: dt.date | None,
              dedup: bool = True) -> str:
    """The SQL filter (DuckDB and Spark alike) for documents that may be counted in periods of ``by``."""
    precisions = ", ".join(f"'{p}'" for p in PRECISIONS_FOR[by])
    parts = [f"date_precision IN ({precisions})"]
    if dedup:
        parts.append("dup_of IS NULL")  # near-duplicates and retweets count once, as their representative
    if not include_fallback:
        parts.append("date_source <> 'fallback'")
    if date_from is not None:
        parts.append(f"date >= DATE '{date_from.isoformat()}'")
    if date_to is not None:
        parts.append(f"date <= DATE '{date_to.isoformat()}'")
    return " AND ".join(parts)


class Engine(Protocol):
    """Counts documents matching ideas per period, and the corpus totals they are normalised by.

    Every engine here leaves out folded near-duplicates and retweets by default and counts every stored copy
    with ``dedup=False`` (``dedup_aware``); the API asks an engine without the flag for neither.
    """

    name: str
    dedup_aware: bool

    def counts(
        self,
        ideas: list[Idea],
        by: str,
        *,
        by_source: bool = False,
        include_fallback: bool = False,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        dedup: bool = True,
    ) -> pd.DataFrame:
        """Columns ``idea, period, [source,] docs, mentions`` for periods with at least one match."""
        ...

    def totals(
        self,
        by: str,
        *,
        by_source: bool = False,
        include_fallback: bool = False,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        dedup: bool = True,
    ) -> pd.DataFrame:
        """Columns ``period, [source,] total_docs, total_words`` for periods with documents."""
        ...

    def matching_documents(
        self,
        idea: Idea,
        *,
        limit: int,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> pd.DataFrame:
        """Up to ``limit`` matching documents (``doc_id, date, source, title, text``), oldest first."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...
