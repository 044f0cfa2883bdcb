"""The embedded engine: DuckDB scanning the normalised-token strings of Parquet segments.

Segments of schema 3 store the text only; the store's ``docs`` view derives ``norm`` from it (corpus/norms.py).
Every scan first keeps the documents whose text can hold a match (``compile.text_prefilter_sql``), so that
``norm`` is derived only for those.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from policypulse.corpus.store import Store
from policypulse.query.compile import mentions_sql, text_prefilter_sql, to_sql
from policypulse.query.engines.base import PERIODS, where_sql
from policypulse.query.ideas import Idea

# Ideas per scan: one query with FILTER aggregates per idea reads the column once for the chunk.
CHUNK = 64


def period_sql(by: str) -> str:
    """SQL truncating ``date`` to the first day of its period (weeks start on Monday)."""
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}")
    return "date" if by == "day" else f"CAST(date_trunc('{by}', date) AS DATE)"


class DuckDBEngine:
    """Counts by scanning; reads one store version, never writes."""

    name = "duckdb"
    dedup_aware = True  # counts and totals take dedup= (False: raw, every stored copy counted)

    def __init__(self, store: Store, version: int | None = None) -> None:
        self.store = store
        self.version = store.version if version is None else version
        self.con = store.connection(self.version)

    def counts(self, ideas: list[Idea], by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        frames = []
        where = where_sql(by, include_fallback, date_from, date_to, dedup)
        keys = "period, source" if by_source else "period"
        for start in range(0, len(ideas), CHUNK):
            chunk = ideas[start : start + CHUNK]
            aggs = []
            for i, idea in enumerate(chunk):
                node = idea.query
                cond = to_sql(node)
                if len(chunk) == 1:
                    # The WHERE clause already holds only this idea's documents: no per-row FILTER to evaluate.
                    aggs.append(f"count(*) AS d{i}")
                    aggs.append(f"coalesce(sum({mentions_sql(node)}), 0) AS m{i}")
                    continue
                aggs.append(f"count(*) FILTER (WHERE {cond}) AS d{i}")
                aggs.append(f"coalesce(sum({mentions_sql(node)}) FILTER (WHERE {cond}), 0) AS m{i}")
            any_match = " OR ".join(f"({to_sql(idea.query)})" for idea in chunk)
            could = " OR ".join(text_prefilter_sql(idea.query) for idea in chunk)
            sql = (
                f"SELECT {period_sql(by)} AS period{', source' if by_source else ''}, {', '.join(aggs)} "
                f"FROM docs WHERE {where} AND ({could}) AND ({any_match}) GROUP BY {keys}"
            )
            wide = self.con.execute(sql).df()
            for i, idea in enumerate(chunk):
                part = wide[[c for c in (["period", "source"] if by_source else ["period"])]].copy()
                part.insert(0, "idea", idea.name)
                part["docs"] = wide[f"d{i}"].astype("int64")
                part["mentions"] = wide[f"m{i}"].astype("int64")
                frames.append(part[part["docs"] > 0])
        cols = ["idea", "period"] + (["source"] if by_source else []) + ["docs", "mentions"]
        if not frames:
            return pd.DataFrame(columns=cols)
        out = pd.concat(frames, ignore_index=True)
        out["period"] = pd.to_datetime(out["period"])
        return out[cols]

    def totals(self, by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        where = where_sql(by, include_fallback, date_from, date_to, dedup)
        keys = "period, source" if by_source else "period"
        sql = (
            f"SELECT {period_sql(by)} AS period{', source' if by_source else ''}, count(*)::BIGINT AS total_docs, "
            f"sum(n_words)::BIGINT AS total_words FROM docs WHERE {where} GROUP BY {keys} ORDER BY {keys}"
        )
        out = self.con.execute(sql).df()
        out["period"] = pd.to_datetime(out["period"])
        return out

    def matching_documents(self, idea: Idea, *, limit: int, date_from: dt.date | None = None,
                           date_to: dt.date | None = None) -> pd.DataFrame:
        parts = [text_prefilter_sql(idea.query), to_sql(idea.query)]
        if date_from is not None:
            parts.append(f"date >= DATE '{date_from.isoformat()}'")
        if date_to is not None:
            parts.append(f"date <= DATE '{date_to.isoformat()}'")
        sql = (
            "SELECT doc_id, date, date_precision, source, title, text, norm FROM docs "
            f"WHERE {' AND '.join(parts)} ORDER BY date, doc_id LIMIT {int(limit)}"
        )
        return self.con.execute(sql).df()

    def close(self) -> None:
        """The connection belongs to the store; nothing to release here."""
