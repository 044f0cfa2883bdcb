"""The dashboard's discovery and precedents pages: emerging, obituaries, successors, precedents search.

Read-only by construction: the phrase statistics and the passage index those analyses read are built
lazily by the library, and that build writes into the store. The dashboard never triggers it: every
request first asks the read-only ``built_dir`` / ``index_status`` whether the index of the store version
is there, and when it is not, answers 409 with the CLI command that builds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import shlex
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from policypulse.cli.output import frame_records, jsonable
from policypulse.corpus.store import Store
from policypulse.report.present import verdict as verdict_text
from policypulse.errors import PolicyPulseError, UsageError
from policypulse.options import as_date
from policypulse.web.cache import CorpusPool, ResultCache

CACHE_SIZE = 64
GRID_BY = ("month", "quarter", "year")  # phrase statistics are kept per month: no finer periods
MAX_TEXT = 5000  # characters of a precedents description
MAX_IDEAS = 10  # as many as Compare takes
CHART_SERIES = 5  # lines on a page's chart: more is unreadable on a projector

Page = Callable[..., HTMLResponse]
Ideas = Annotated[list[str] | None, Query()]  # q=...&q=...: a list parameter must be declared as a query


class NotBuiltError(PolicyPulseError):
    """An index the request needs is not built for the store's version (the dashboard never builds it)."""

    status_code = 409

    def __init__(self, message: str, command: str) -> None:
        super().__init__(f"{message}; the dashboard only reads the store: build it with `{command}`")
        self.reason = message
        self.command = command


def _date(value: str | None, name: str) -> dt.date | None:
    """An optional ISO date parameter; an empty form field means none."""
    return None if value is None or not value.strip() else as_date(value.strip(), name)


def _grid_by(by: str) -> str:
    if by not in GRID_BY:
        raise UsageError(f"unknown period by={by!r}; discovery works per month, quarter or year")
    return by


def _query(q: str, name: str = "q") -> str:
    if not q.strip():
        raise UsageError(f"empty query: give {name}=...")
    if len(q) > 500:
        raise UsageError(f"{name} is too long (at most 500 characters)")
    return q


# The library words its errors for the command line; the dashboard's parameters have these names.
_OPTION_NAMES = {"--from": "from", "--to": "to", "--as-of": "as_of", "--before": "before", "--limit": "limit",
                 "--by": "by"}


@contextlib.contextmanager
def _web_names() -> Iterator[None]:
    """Re-word a library usage error with the dashboard's parameter names instead of the CLI's options."""
    try:
        yield
    except UsageError as exc:
        text = re.sub(r"--[a-z-]+", lambda m: _OPTION_NAMES.get(m.group(0), m.group(0)), str(exc))
        if text == str(exc):
            raise
        raise UsageError(text) from None


def quoted(phrase: str) -> str:
    """A discovered phrase as a query that matches exactly it (its words are never operators)."""
    return f'"{phrase}"'


class Discovery:
    """Answers the discovery and precedents questions for one store, cached per store version."""

    def __init__(self, store: str | Path) -> None:
        self.store = str(store)
        self.shown = shlex.quote(str(Path(store).resolve()))  # the STORE of the commands we name
        # One discovery at a time: each reads a whole phrase table or passage index (memory, both cores);
        # the pooled corpus keeps what it loaded (the phrase grid) for the next request.
        self.pool = CorpusPool(self.store, 1)
        self.cache = ResultCache(CACHE_SIZE)

    @property
    def phrases_command(self) -> str:
        """The CLI command that builds the phrase statistics."""
        return f"policypulse index-phrases {self.shown}"

    @property
    def passages_command(self) -> str:
        """The CLI command that builds the passage index."""
        return f"policypulse index-passages {self.shown}"

    def status(self, version: int) -> dict[str, Any]:
        """Whether each index is built for ``version``: a few file reads, never a build."""
        from policypulse.discover.index import built_dir, built_versions
        from policypulse.precedents.index import index_status

        st = Store(self.store)
        try:
            phrases_built = built_dir(st, version) is not None
            versions = built_versions(st)
            passages = index_status(st, version)
        finally:
            st.close()
        return {
            "store_version": version,
            "phrases": {"built": phrases_built, "built_versions": versions, "command": self.phrases_command},
            "passages": {**passages, "command": self.passages_command},
        }

    def fitting_by(self, version: int) -> str:
        """The finest of month, quarter and year at which at most a third of the corpus's periods are gaps.

        The pages' default period: per month, a corpus of one address a year (the SOTU demo) is a pink field
        of coverage gaps (2,602 of its 2,834 months) with a dot a year; per year it is a chart.
        """
        def compute() -> str:
            from policypulse.timeline import period_grid

            with self.pool.borrow(version) as c:
                for by in GRID_BY:
                    totals = c.engine.totals(by, dedup=False)
                    if totals.empty:
                        break
                    p = totals["period"].to_numpy()
                    if 3 * len(totals) >= 2 * len(period_grid(p.min(), p.max(), by)):
                        return by
            return "year"
        return self.cache.get(("fitting_by", version), compute)

    def require_phrases(self, version: int) -> None:
        """Raise NotBuiltError unless the phrase statistics of ``version`` are built."""
        ph = self.status(version)["phrases"]
        if ph["built"]:
            return
        older = [v for v in ph["built_versions"] if v < version]
        note = f" (they are built for version {older[-1]}; an ingest made version {version} since)" if older else ""
        raise NotBuiltError(f"the phrase statistics are not built for store version {version}{note}",
                            self.phrases_command)

    def require_passages(self, version: int) -> None:
        """Raise NotBuiltError unless the passage index holds every segment of ``version``."""
        ps = self.status(version)["passages"]
        if ps["built"]:
            return
        part = (f" ({ps['missing']} of its {ps['segments']} segments are not indexed)"
                if 0 < ps["missing"] < ps["segments"] else "")
        raise NotBuiltError(f"the passage index is not built for store version {version}{part}",
                            self.passages_command)

    def emerging(self, version: int, date_from: dt.date | None, date_to: dt.date | None, by: str,
                 limit: int) -> dict[str, Any]:
        """Phrases born in the window, with the window actually used."""
        def compute() -> dict[str, Any]:
            self.require_phrases(version)
            from policypulse.discover import emerging

            with _web_names(), self.pool.borrow(version) as c:
                df = emerging(c, date_from=date_from, date_to=date_to, by=by, limit=limit)
            params = df.attrs["provenance"]["parameters"]
            return {"rows": frame_records(df), "date_from": params["date_from"], "date_to": params["date_to"]}
        return self.cache.get(("emerging", version, date_from, date_to, by, limit), compute)

    def obituaries(self, version: int, ideas: tuple[str, ...], as_of: dt.date | None, by: str,
                   limit: int) -> list[dict[str, Any]]:
        """Dead phrases (or, given ideas, the dead ones among them), most notable first."""
        def compute() -> list[dict[str, Any]]:
            from policypulse.discover import obituaries

            if not ideas:  # a watchlist is judged by the counting engine; only the phrase screen needs the index
                self.require_phrases(version)
            with _web_names(), self.pool.borrow(version) as c:
                df = obituaries(c, list(ideas) or None, as_of=as_of, by=by, limit=limit)
            return frame_records(df)
        return self.cache.get(("obituaries", version, ideas, as_of, by, limit), compute)

    def successors(self, version: int, q: str, by: str, limit: int) -> dict[str, Any]:
        """Candidates that took over ``q``, each with its hand-over and context, and the old idea's lifecycle."""
        def compute() -> dict[str, Any]:
            self.require_phrases(version)
            from policypulse.discover import successors

            with _web_names(), self.pool.borrow(version) as c:
                df = successors(c, q, by=by, limit=limit)
            old = jsonable(df.attrs.get("old", {}))
            old["verdict_text"] = verdict_text(old)
            return {"rows": frame_records(df), "old": old,
                    "decline": df.attrs["provenance"]["parameters"].get("decline")}
        return self.cache.get(("successors", version, q, by, limit), compute)

    def precedents(self, version: int, text: str, before: dt.date | None, limit: int) -> dict[str, Any]:
        """Earlier documents describing ``text``: the contract's records and what the page shows besides."""
        def compute() -> dict[str, Any]:
            self.require_passages(version)
            from policypulse.precedents import find_precedents

            with _web_names(), self.pool.borrow(version) as c:
                res = find_precedents(c, text, before=before, limit=limit)
            return {"records": res.records(), "rows": frame_records(res.results), "earliest": res.earliest,
                    "timeline": frame_records(res.timeline), "episodes": frame_records(res.episodes),
                    "summary": res.summary, "method": res.method, "truncated": res.pool_truncated}
        return self.cache.get(("precedents", version, text, before, limit), compute)


def _rows(rows: list[dict[str, Any]], fmt: str, name: str) -> Response:
    """A list of result rows as JSON, or as a CSV file whose name says what it holds."""
    if fmt == "json":
        return JSONResponse(rows)
    if fmt != "csv":
        raise UsageError(f"unknown format={fmt!r}; choose json or csv")
    import pandas as pd

    frame = pd.DataFrame([{k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()}
                          for r in rows])
    return Response(frame.to_csv(index=False), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_href(path: str, params: list[tuple[str, Any]]) -> str:
    """The CSV twin of a page: the same parameters, ``format=csv`` (empty ones left out)."""
    kept = [(k, v) for k, v in params if v not in (None, "")]
    return f"{path}?{urllib.parse.urlencode(kept + [('format', 'csv')], quote_via=urllib.parse.quote)}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "all"


def _with_verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "verdict_text": verdict_text(r)} for r in rows]


def register(app: FastAPI, store: str | Path, version: Callable[[], int], page: Page) -> Discovery:
    """Add the discovery and precedents pages and their JSON twins to ``app``."""
    disc = Discovery(store)

    # -- JSON API -------------------------------------------------------------------------------
    @app.get("/api/status")
    def api_status() -> Response:
        return JSONResponse(disc.status(version()))

    @app.get("/api/emerging")
    def api_emerging(date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
                     by: str = "month", limit: int = Query(20, ge=1, le=100), format: str = "json") -> Response:
        res = disc.emerging(version(), _date(date_from, "from"), _date(date_to, "to"), _grid_by(by), limit)
        return _rows(res["rows"], format, f"policypulse-emerging-{res['date_from']}-to-{res['date_to']}-per-{by}.csv")

    @app.get("/api/obituaries")
    def api_obituaries(q: Ideas = None, as_of: str | None = None, by: str = "month",
                       limit: int = Query(20, ge=1, le=100), format: str = "json") -> Response:
        ideas = tuple(_query(x) for x in _ideas(q))
        rows = disc.obituaries(version(), ideas, _date(as_of, "as_of"), _grid_by(by), limit)
        what = "-".join(_slug(i) for i in ideas) if ideas else "all-phrases"
        return _rows(rows, format, f"policypulse-obituaries-{what}-per-{by}.csv")

    @app.get("/api/successors")
    def api_successors(q: str = Query(...), by: str = "month", limit: int = Query(10, ge=1, le=50),
                       format: str = "json") -> Response:
        rows = disc.successors(version(), _query(q), _grid_by(by), limit)["rows"]
        return _rows(rows, format, f"policypulse-successors-of-{_slug(q)}-per-{by}.csv")

    @app.get("/api/precedents")
    def api_precedents(text: str = Query(...), before: str | None = None,
                       limit: int = Query(10, ge=1, le=100), format: str = "json") -> Response:
        rows = disc.precedents(version(), _text(text), _date(before, "before"), limit)["records"]
        return _rows(rows, format, f"policypulse-precedents-of-{_slug(text)[:40]}.csv")

    # -- pages ----------------------------------------------------------------------------------
    def discovery_page(request: Request, name: str, compute: Callable[[], dict[str, Any]],
                       **context: Any) -> HTMLResponse:
        """Render ``name``; a not-built index or a bad parameter becomes a notice on the page."""
        result: dict[str, Any] = {}
        error = not_built = None
        status = 200
        try:
            result = compute()
        except NotBuiltError as exc:
            not_built = {"message": exc.reason, "command": exc.command}
        except PolicyPulseError as exc:
            error, status = str(exc), 400
        return page(request, name, status_code=status, error=error, not_built=not_built, **context, **result)

    @app.get("/emerging", response_class=HTMLResponse)
    def emerging_page(request: Request, date_from: str = Query("", alias="from"), date_to: str = Query("", alias="to"),
                      by: str = "", limit: int = Query(20, ge=1, le=100)) -> HTMLResponse:
        by = by or disc.fitting_by(version())

        def compute() -> dict[str, Any]:
            res = disc.emerging(version(), _date(date_from, "from"), _date(date_to, "to"), _grid_by(by), limit)
            rows = _with_verdicts(res["rows"])
            return {"rows": rows, "window": (res["date_from"], res["date_to"]),
                    "chart_qs": [quoted(r["phrase"]) for r in rows[:CHART_SERIES]],
                    "chart_labels": [r["phrase"] for r in rows[:CHART_SERIES]]}

        csv = _csv_href("/api/emerging", [("from", date_from), ("to", date_to), ("by", by), ("limit", limit)])
        return discovery_page(request, "emerging.html", compute, active="emerging", date_from=date_from,
                              date_to=date_to, by=by, limit=limit, csv_href=csv)

    @app.get("/obituaries", response_class=HTMLResponse)
    def obituaries_page(request: Request, q: Ideas = None, as_of: str = "", by: str = "",
                        limit: int = Query(20, ge=1, le=100)) -> HTMLResponse:
        given = [x for x in q or [] if x.strip()]
        ideas = given[:MAX_IDEAS]
        by = by or disc.fitting_by(version())

        def compute() -> dict[str, Any]:
            _ideas(given)  # more than the form holds: say so rather than judge some of them
            rows = _with_verdicts(disc.obituaries(version(), tuple(_query(x) for x in ideas), _date(as_of, "as_of"),
                                                  _grid_by(by), limit))
            qs = [r["idea"] if r.get("idea") else quoted(r["phrase"]) for r in rows[:CHART_SERIES]]
            return {"rows": rows, "chart_qs": qs, "chart_labels": [r.get("idea") or r["phrase"] for r in rows[:CHART_SERIES]]}

        csv = _csv_href("/api/obituaries", [("q", i) for i in ideas] + [("as_of", as_of), ("by", by), ("limit", limit)])
        return discovery_page(request, "obituaries.html", compute, active="obituaries", ideas=ideas, as_of=as_of,
                              by=by, limit=limit, csv_href=csv, max_ideas=MAX_IDEAS)

    @app.get("/successors", response_class=HTMLResponse)
    def successors_page(request: Request, q: str = "", by: str = "",
                        limit: int = Query(10, ge=1, le=50)) -> HTMLResponse:
        by = by or disc.fitting_by(version())
        def compute() -> dict[str, Any]:
            if not q.strip():
                disc.require_phrases(version())  # say so before the user types an idea
                return {"rows": None}
            res = disc.successors(version(), _query(q), _grid_by(by), limit)
            rows = [{**r, "verdict_text": verdict_text(r), "query": quoted(r["phrase"]),
                     "score_check": math.sqrt(max(r["handover"], 0.0) * max(r["context"], 0.0))}
                    for r in res["rows"]]
            top = rows[: CHART_SERIES - 1]
            return {"rows": rows, "old": res["old"], "decline": res["decline"],
                    "chart_qs": [q] + [r["query"] for r in top], "chart_labels": [q] + [r["phrase"] for r in top]}

        csv = _csv_href("/api/successors", [("q", q), ("by", by), ("limit", limit)])
        return discovery_page(request, "successors.html", compute, active="successors", q=q, by=by, limit=limit,
                              csv_href=csv)

    @app.get("/precedents", response_class=HTMLResponse)
    def precedents_page(request: Request, text: str = "", before: str = "",
                        limit: int = Query(10, ge=1, le=100)) -> HTMLResponse:
        def compute() -> dict[str, Any]:
            if not text.strip():
                disc.require_passages(version())
                return {"result": None}
            res = disc.precedents(version(), _text(text), _date(before, "before"), limit)
            series = {"labels": [str(r["year"]) for r in res["timeline"]],
                      "values": [r["documents"] for r in res["timeline"]]}
            return {"result": res, "series": series}

        csv = _csv_href("/api/precedents", [("text", text), ("before", before), ("limit", limit)])
        return discovery_page(request, "precedents.html", compute, active="precedents", text=text, before=before,
                              limit=limit, by="year", csv_href=csv)

    return disc


def _ideas(q: list[str] | None) -> list[str]:
    """The non-empty ideas of a q=...&q=... list; more than MAX_IDEAS is a usage error, not a silent cut."""
    ideas = [x for x in q or [] if x.strip()]
    if len(ideas) > MAX_IDEAS:
        raise UsageError(f"at most {MAX_IDEAS} ideas at once, got {len(ideas)}")
    return ideas


def _text(text: str) -> str:
    if not text.strip():
        raise UsageError("empty description: give text=... (the initiative in words)")
    if len(text) > MAX_TEXT:
        raise UsageError(f"the description is too long (at most {MAX_TEXT} characters)")
    return text
