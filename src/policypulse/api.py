"""The Python API: ``policypulse.open(store)`` and the results it returns."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policypulse import __version__, timeline
from policypulse.corpus.store import Store
from policypulse.errors import MissingExtraError, UsageError
from policypulse.kwic import kwic_lines
from policypulse.options import as_date
from policypulse.query.engines.base import PERIODS, Engine
from policypulse.query.ideas import Idea, idea_from_query, load_ideas

IdeaLike = str | Idea


def _as_ideas(ideas: IdeaLike | Sequence[IdeaLike] | None, ideas_file: str | Path | None = None) -> list[Idea]:
    items: list[IdeaLike] = [] if ideas is None else ([ideas] if isinstance(ideas, (str, Idea)) else list(ideas))
    out = [i if isinstance(i, Idea) else idea_from_query(i) for i in items]
    if ideas_file:
        out.extend(load_ideas(ideas_file))
    if not out:
        raise UsageError("name at least one IDEA or give --ideas FILE.yaml")
    return out


def _check_by(by: str) -> str:
    if by not in PERIODS:
        raise UsageError(f"unknown period --by {by!r}; choose one of {', '.join(PERIODS)}")
    return by


class Corpus:
    """An opened store at one version, with an engine; every method returns pandas objects."""

    def __init__(self, path: str | os.PathLike[str], *, version: int | None = None, engine: str = "duckdb",
                 spark_master: str | None = None) -> None:
        self.store = Store(path)
        self.version = self.store.version if version is None else version
        self.store.version_info(self.version)  # fail early on a version that does not exist
        self.engine_name = engine
        self._derived: list[str] = []  # derived artifacts the engine reads (the token index), checked with the files
        self._verified = float("-inf")
        self._plan: list[tuple[str, str, int, int]] | None = None
        self.engine = self._make_engine(engine, spark_master)
        self._resolved = str(self.store.path.resolve())

    def _make_engine(self, name: str, spark_master: str | None) -> Engine:
        from policypulse.corpus import integrity

        if name == "duckdb":
            from policypulse.corpus import index as token_index
            from policypulse.query.engines.duckdb import DuckDBEngine

            # The token index when it holds the whole version and was completed (ingest builds it; an index
            # being rebuilt is unsealed); else the scan, which is exact too, only slower.
            if token_index.covers(self.store, self.version) and integrity.sealed(self.store, "index"):
                from policypulse.query.engines.indexed import IndexedEngine

                # no answer from a damaged file: sizes checked (and changed files hashed) before any is read
                self._derived = ["index"]
                self.verify()
                return IndexedEngine(self.store, self.version)
            self.verify()
            return DuckDBEngine(self.store, self.version)
        self.verify()
        if name == "spark":
            try:
                from policypulse.query.engines.spark import SparkEngine  # type: ignore[import-not-found]
            except ImportError:
                raise MissingExtraError(
                    "the Spark engine is not available in this release yet; use --engine duckdb") from None
            return SparkEngine(self.store, self.version, master=spark_master)  # type: ignore[no-any-return]
        raise UsageError(f"unknown --engine {name!r}; choose duckdb or spark")

    def verify(self, max_age: float = 0.0) -> None:
        """The cheap integrity check of every file this corpus reads (one stat each); raises StoreDamagedError.

        Done on open; a long-lived reader (the dashboard) repeats it before each use of an open corpus, at most
        once per ``max_age`` seconds (a stat per file costs about a millisecond per thousand files).
        """
        import time

        from policypulse.corpus import integrity

        now = time.monotonic()
        if max_age and now - self._verified < max_age:
            return
        if self._plan is None:  # the files and their records, resolved once: a check is then one stat per file
            self._plan = integrity.open_plan(self.store, self.version, derived=self._derived)
        integrity.verify(self.store, self._plan)
        self._verified = now

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the engine and the store."""
        self.engine.close()
        self.store.close()

    def provenance(self, **params: Any) -> dict[str, Any]:
        """What produced a result: store, version, engine, parameters, software version."""
        return {
            "store": self._resolved,
            "store_version": self.version,
            "engine": self.engine_name,
            "software": f"policypulse {__version__}",
            "computed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "parameters": params,
        }

    def _dedup(self, raw: bool) -> dict[str, Any]:
        # Engines that know near-duplicates take dedup=; deduplicated is the default everywhere. Typed as
        # open keyword arguments: it is spread into calls whose other keywords have other types.
        if getattr(self.engine, "dedup_aware", False):
            return {"dedup": not raw}
        if raw or not self.store.dups_path(self.version):
            return {}
        raise UsageError(f"the {self.engine_name} engine cannot leave out the {self.store.folded(self.version).num_rows} "
                         "folded near-duplicates of this store yet; use --engine duckdb or --raw")

    def track(self, ideas: IdeaLike | Sequence[IdeaLike] | None = None, *, ideas_file: str | Path | None = None,
              by: str = "month", per: str = "docs", by_source: bool = False, smooth: int = 0,
              include_fallback: bool = False, date_from: str | dt.date | None = None,
              date_to: str | dt.date | None = None, raw: bool = False, with_raw: bool = False) -> pd.DataFrame:
        """Documents and mentions per period for each idea, zero-filled, with totals, rate and coverage.

        Near-duplicates (syndicated copies) and retweets count once, as their representative, unless
        ``raw`` (every stored copy counted). ``with_raw`` adds ``docs_raw``, ``mentions_raw`` and
        ``total_docs_raw`` after the other columns: both counts side by side.
        """
        idea_list = _as_ideas(ideas, ideas_file)
        _check_by(by)
        if per not in ("docs", "words"):
            raise UsageError(f"unknown --per {per!r}; choose docs or words")
        d0, d1 = as_date(date_from, "--from"), as_date(date_to, "--to")
        dedup = self._dedup(raw)
        counts = self.engine.counts(idea_list, by, by_source=by_source, include_fallback=include_fallback,
                                    date_from=d0, date_to=d1, **dedup)
        totals = self.engine.totals(by, by_source=by_source, include_fallback=include_fallback,
                                    date_from=d0, date_to=d1, **dedup)
        out = timeline.build(counts, totals, [i.name for i in idea_list], by, by_source=by_source, per=per,
                             smooth=smooth)
        if with_raw:
            out = self._with_raw(out, idea_list, by, by_source, include_fallback, d0, d1, raw)
        out.attrs["provenance"] = self.provenance(
            command="track", ideas=[i.to_dict() for i in idea_list], by=by, per=per, by_source=by_source,
            smooth=smooth, include_fallback=include_fallback, date_from=str(d0) if d0 else None,
            date_to=str(d1) if d1 else None, raw=raw)
        return out

    def _with_raw(self, out: pd.DataFrame, idea_list: list[Idea], by: str, by_source: bool, include_fallback: bool,
                  d0: dt.date | None, d1: dt.date | None, raw: bool) -> pd.DataFrame:
        keys = ["idea", "period"] + (["source"] if by_source else [])
        if raw or not getattr(self.engine, "dedup_aware", False):
            extra = out[keys + ["docs", "mentions", "total_docs"]].rename(
                columns={"docs": "docs_raw", "mentions": "mentions_raw", "total_docs": "total_docs_raw"})
        else:
            counts = self.engine.counts(idea_list, by, by_source=by_source, include_fallback=include_fallback,
                                        date_from=d0, date_to=d1, dedup=False)
            totals = self.engine.totals(by, by_source=by_source, include_fallback=include_fallback,
                                        date_from=d0, date_to=d1, dedup=False)
            full = timeline.build(counts, totals, [i.name for i in idea_list], by, by_source=by_source)
            extra = full[keys + ["docs", "mentions", "total_docs"]].rename(
                columns={"docs": "docs_raw", "mentions": "mentions_raw", "total_docs": "total_docs_raw"})
        merged = out.merge(extra, on=keys, how="left")
        for col in ("docs_raw", "mentions_raw", "total_docs_raw"):
            merged[col] = merged[col].fillna(0).astype("int64")
        merged.attrs = out.attrs
        return merged

    def kwic(self, idea: IdeaLike, *, limit: int = 20, width: int = 60, date_from: str | dt.date | None = None,
             date_to: str | dt.date | None = None) -> pd.DataFrame:
        """Keyword-in-context lines for an idea, oldest first."""
        (item,) = _as_ideas(idea)
        docs = self.engine.matching_documents(item, limit=max(limit, 1), date_from=as_date(date_from, "--from"),
                                              date_to=as_date(date_to, "--to"))
        out = kwic_lines(docs, item.query, width=width, limit=limit)
        out.attrs["provenance"] = self.provenance(command="kwic", idea=item.to_dict(), limit=limit, width=width,
                                                  date_from=str(date_from) if date_from else None,
                                                  date_to=str(date_to) if date_to else None)
        return out

    def lifecycle(self, ideas: IdeaLike | Sequence[IdeaLike] | None = None, *, ideas_file: str | Path | None = None,
                  by: str = "month", alpha: float = 0.05, as_of: str | dt.date | None = None,
                  include_fallback: bool = False, n_boot: int = 200, seed: int = 0) -> Any:
        """Each idea's lifecycle (birth, peak, death verdict, forecast, phases) as a LifecycleResult."""
        from policypulse.lifecycle import StatisticalWarning, analyse_many

        if not 0 < alpha < 1:
            raise UsageError(f"--alpha must be between 0 and 1, got {alpha}")
        cut = as_date(as_of, "--as-of")
        idea_list = _as_ideas(ideas, ideas_file)
        track = self.track(idea_list, by=by, include_fallback=include_fallback, date_to=cut)
        cols = ["period", "docs", "mentions", "total_docs"]
        series = {i.name: track.loc[track["idea"] == i.name, cols].reset_index(drop=True) for i in idea_list}
        with warnings.catch_warnings():
            # Coverage caveats are kept in each result's coverage_warning field and shown by the faces.
            warnings.simplefilter("ignore", StatisticalWarning)
            # Any: provenance is attached here, an attribute LifecycleResult does not declare.
            result: Any = analyse_many(series, by, alpha=alpha, as_of=cut, n_boot=n_boot, seed=seed)
        for item, lc in zip(idea_list, result):
            self._exact_days(item, lc, by, include_fallback, cut)
        result.provenance = self.provenance(command="lifecycle", ideas=[i.to_dict() for i in idea_list], by=by,
                                            alpha=alpha, as_of=str(cut) if cut else None, n_boot=n_boot, seed=seed,
                                            include_fallback=include_fallback)
        return result

    def _exact_days(self, idea: Idea, lc: Any, by: str, include_fallback: bool, cut: dt.date | None) -> None:
        """First and last mention as the first and last documents' own dates and ids (not period starts)."""
        from policypulse.lifecycle.series import shift_periods
        from policypulse.lifecycle.verdict import verdict_text

        if lc.first_mention is None or lc.last_mention is None:
            return

        def period_docs(start: dt.date, limit: int) -> pd.DataFrame:
            end = shift_periods(pd.Timestamp(start), 1, by).date() - dt.timedelta(days=1)  # no ns: any year
            if cut is not None:
                end = min(end, cut)
            docs = self.engine.matching_documents(idea, limit=limit, date_from=start, date_to=end)
            if not include_fallback and "date_source" in docs.columns:
                docs = docs[docs["date_source"] != "fallback"]
            return docs

        first = period_docs(lc.first_mention, 1)
        # The last period's documents, oldest first: its last row is the last mention. The period's count
        # bounds how many there are (plus copies folded as near-duplicates).
        n_last = int(lc.series.docs[np.flatnonzero(lc.series.docs > 0)[-1]]) if lc.series is not None else 1
        last = period_docs(lc.last_mention, 4 * n_last + 20)
        if len(first) and len(last):
            lc.first_mention, lc.first_doc_id = pd.Timestamp(first["date"].iloc[0]).date(), str(first["doc_id"].iloc[0])
            lc.last_mention, lc.last_doc_id = pd.Timestamp(last["date"].iloc[-1]).date(), str(last["doc_id"].iloc[-1])
            lc.exact_days = True
            if lc.last_use is not None:  # echoes follow: the last use is the last document of its period
                n_use = int(lc.series.docs[lc.series.periods.get_loc(pd.Timestamp(lc.last_use))]) \
                    if lc.series is not None else 1
                use = period_docs(lc.last_use, 4 * n_use + 20)
                if len(use):
                    lc.last_use = pd.Timestamp(use["date"].iloc[-1]).date()
            lc.verdict_text = verdict_text(lc)
        if lc.echo_dates:
            # The quotes behind the echoes, so a reader can check (and disagree) that they look back.
            quotes = []
            for start in lc.echo_dates[:5]:
                docs = period_docs(start, 20)
                for row in kwic_lines(docs, idea.query, width=80, limit=3).to_dict("records"):
                    quotes.append({k: row.get(k) for k in ("doc_id", "date", "source", "left", "match", "right")})
            lc.echo_quotes = quotes[:5]

    def backtest(self, ideas: IdeaLike | Sequence[IdeaLike] | None = None, *, ideas_file: str | Path | None = None,
                 by: str = "month", cuts: int = 20, alpha: float = 0.05, seed: int = 0) -> Any:
        """Verdicts at ``cuts`` evenly spaced cut dates, scored against what happened after each cut."""
        from policypulse.lifecycle import StatisticalWarning, backtest

        if cuts < 1:
            raise UsageError(f"--cuts must be at least 1, got {cuts}")
        idea_list = _as_ideas(ideas, ideas_file)
        track = self.track(idea_list, by=by)
        periods = sorted(track["period"].unique())
        if len(periods) < 4:
            raise UsageError(f"too few {by} periods ({len(periods)}) to backtest; try a finer --by")
        # Cuts run from a quarter of the way in (some history to judge from) to just before the end.
        idx = np.unique(np.linspace(len(periods) // 4, len(periods) - 2, cuts).astype(int))
        cut_dates = [pd.Timestamp(periods[i]).date() for i in idx]
        cols = ["period", "docs", "mentions", "total_docs"]
        series = {i.name: track.loc[track["idea"] == i.name, cols].reset_index(drop=True) for i in idea_list}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            # Any: provenance is attached here, an attribute the BacktestResult dataclass does not declare.
            result: Any = backtest(series, by, cut_dates, alpha=alpha, seed=seed)
        result.provenance = self.provenance(command="backtest", ideas=[i.to_dict() for i in idea_list], by=by,
                                            cuts=[str(c) for c in cut_dates], alpha=alpha, seed=seed)
        return result

    def emerging(self, **kwargs: Any) -> pd.DataFrame:
        """Phrases born in a window, without a watchlist (see policypulse.discover.emerging)."""
        from policypulse.discover import emerging

        return emerging(self, **kwargs)

    def obituaries(self, ideas: IdeaLike | Sequence[IdeaLike] | None = None, **kwargs: Any) -> pd.DataFrame:
        """Phrases (or ideas) declared dead, most notable first (see policypulse.discover.obituaries)."""
        from policypulse.discover import obituaries

        return obituaries(self, ideas, **kwargs)

    def successors(self, idea: IdeaLike, **kwargs: Any) -> pd.DataFrame:
        """Candidates that took over a declining idea (see policypulse.discover.successors)."""
        from policypulse.discover import successors

        return successors(self, idea, **kwargs)

    def index_phrases(self, **kwargs: Any) -> Any:
        """Build the phrase statistics discovery reads (kept in the store, per segment)."""
        from policypulse.discover import index_phrases

        return index_phrases(self.store, self.version, **kwargs)

    def precedents(self, text: str, before: str | dt.date | None = None, limit: int = 10, **options: Any) -> Any:
        """Earlier passages describing the same thing as ``text`` (a PrecedentsResult)."""
        from policypulse.precedents import find_precedents

        return find_precedents(self, text, before=before, limit=limit, **options)

    def stats(self, by: str = "year") -> dict[str, Any]:
        """Documents and words per period and per source, first and last date, and coverage gaps."""
        _check_by(by)
        con = self.store.connection(self.version)
        overall = con.execute(
            "SELECT count(*)::BIGINT, coalesce(sum(n_words), 0)::BIGINT, min(date), max(date), "
            "count(DISTINCT source) FROM docs").fetchone()
        assert overall is not None
        by_source = con.execute(
            "SELECT source, count(*)::BIGINT AS docs, sum(n_words)::BIGINT AS words, min(date) AS first, "
            "max(date) AS last FROM docs GROUP BY source ORDER BY docs DESC, source").df()
        dates = con.execute(
            "SELECT date_precision, date_source, count(*)::BIGINT AS docs FROM docs GROUP BY ALL ORDER BY ALL").df()
        totals = self.engine.totals(by, include_fallback=False, **self._dedup(raw=True))
        per_period = timeline.build(pd.DataFrame(columns=["idea", "period", "docs", "mentions"]), totals,
                                    ["_"], by)[["period", "total_docs", "total_words", "coverage"]]
        gaps = per_period.loc[per_period["coverage"] == "gap", "period"]
        return {
            "store_version": self.version,
            "documents": int(overall[0]),
            "words": int(overall[1]),
            "first_date": overall[2].isoformat() if overall[2] else None,
            "last_date": overall[3].isoformat() if overall[3] else None,
            "sources": int(overall[4]),
            "per_period": per_period,
            "per_source": by_source,
            "date_quality": dates,
            "coverage_gaps": [p.date().isoformat() for p in gaps],
            "folded": self._folded(int(overall[0])),
        }

    def _folded(self, documents: int) -> dict[str, Any]:
        """How many stored documents are folded into another (counted raw, not deduplicated)."""
        folded = self.store.folded(self.version)
        reasons = folded.column("reason").to_pylist() if folded.num_rows else []
        near, retweets = reasons.count("near"), reasons.count("retweet")
        info = self.store.version_info(self.version)
        params = next((v["neardup"] for v in reversed(self.store.manifest.versions)
                       if v["version"] <= self.version and "neardup" in v), None)
        return {"near_duplicates": near, "retweets": retweets, "documents_deduplicated": documents - near - retweets,
                "clusters": len(set(folded.column("dup_of").to_pylist())) if folded.num_rows else 0,
                "parameters": {k: params[k] for k in ("threshold", "window_days", "scope") if k in params}
                if params else None, "version": info["version"]}


def open(path: str | os.PathLike[str], *, version: int | None = None, engine: str = "duckdb",
         spark_master: str | None = None) -> Corpus:
    """Open a store for analysis (read-only) at its latest or a given version."""
    return Corpus(path, version=version, engine=engine, spark_master=spark_master)
