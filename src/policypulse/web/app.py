"""The local dashboard: FastAPI pages over a store, each with a JSON twin; read-only by construction.

Pages render at once from cheap answers (counts, documents); the lifecycle (a bootstrap), figures and
the vocabulary are computed by a separate worker process (web/slow.py) and fetched by the page after it
is drawn, so cheap requests never queue behind expensive ones.
"""

from __future__ import annotations

import gc
import hmac
import ipaddress
import json
import os
import re
import weakref
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote

import numpy as np
import orjson
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

import policypulse
from policypulse import __version__
from policypulse.cli.output import frame_records, iso_days, jsonable
from policypulse.errors import PolicyPulseError, QuerySyntaxError, UsageError
from policypulse.query.engines.indexed import IndexedEngine
from policypulse.query.ideas import idea_from_query
from policypulse.report import measures, present
from policypulse.report.figures import life_window
from policypulse.timeline import PERIOD_DTYPE, period_grid
from policypulse.web import discovery, slow
from policypulse.web.cache import Busy, CorpusPool, ResultCache
from policypulse.web.discovery import NotBuiltError
from policypulse.web.help import NEUTRAL_EXAMPLES, Examples, common_words_warning, examples, suggest

T = TypeVar("T")
WEB_DIR = Path(str(resources.files("policypulse") / "web"))
TRACK_FIELDS = ["idea", "period", "docs", "mentions", "total_docs", "rate", "coverage"]
CACHE_SIZE = 256
POOL_SIZE = 4  # corpora counting at once (Dashboard)
MAX_COMPARE = 10
BYS = ("day", "week", "month", "quarter", "year")
Ideas = Annotated[list[str] | None, Query()]
URL_KEYS = ("url", "link", "permalink", "web_url", "uri")


def error_body(message: str) -> dict[str, str]:
    """The one shape of every JSON error."""
    return {"error": message}


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def slug(text: str) -> str:
    """A file-name-safe form of a query: 'great society' -> 'great-society'."""
    s = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return s[:60] or "query"


def _period_ends(periods: np.ndarray, by: str) -> np.ndarray:
    """The last day of each period (datetime64[D] period starts in, the same out)."""
    if by == "day":
        return periods
    if by == "week":
        return periods + np.timedelta64(6, "D")
    unit, step = {"month": ("M", 1), "quarter": ("M", 3), "year": ("Y", 1)}[by]
    return (periods.astype(f"datetime64[{unit}]") + step).astype("datetime64[D]") - np.timedelta64(1, "D")


ROW_FIELDS = ["idea", "period", "docs", "mentions", "total_docs", "total_words", "rate", "coverage"]


@dataclass(frozen=True)
class Grid:
    """The periods of a version's track rows (every period from the first document's to the last's) with
    their totals, the same for every idea: made once per opened corpus and period size, not per query."""

    periods: np.ndarray  # datetime64[D]
    total_docs: np.ndarray
    total_words: np.ndarray
    coverage: np.ndarray  # 'ok' / 'gap' (object)
    period_text: np.ndarray  # ISO days (str)
    end_text: np.ndarray  # ISO day of each period's last day (str)


_GRIDS: weakref.WeakKeyDictionary[Any, dict[str, Grid]] = weakref.WeakKeyDictionary()


def _grid(engine: IndexedEngine, by: str) -> Grid:
    """The engine's ``Grid`` of ``by`` (cached while the engine lives)."""
    grids = _GRIDS.setdefault(engine, {})
    if by not in grids:
        total_periods, total_docs, total_words = engine.total_arrays(by)
        if len(total_periods):
            periods = period_grid(total_periods.min(), total_periods.max(), by).astype("datetime64[D]")
        else:
            periods = np.empty(0, "datetime64[D]")
        docs, words = np.zeros(len(periods), np.int64), np.zeros(len(periods), np.int64)
        at = np.searchsorted(periods, total_periods)
        docs[at], words[at] = total_docs, total_words
        grids[by] = Grid(periods, docs, words, np.where(docs > 0, "ok", "gap").astype(object),
                         np.datetime_as_string(periods, unit="D").astype(object),
                         np.datetime_as_string(_period_ends(periods, by), unit="D").astype(object))
    return grids[by]


def track_rows(corpus: policypulse.Corpus, q: str, by: str) -> dict[str, np.ndarray]:
    """One idea's track as arrays: ``Corpus.track(q, by=by)``'s columns and numbers, periods as datetime64[D]
    (and the periods' ISO days, ``period_text`` and ``period_end``).

    With the token index the counts come from ``IndexedEngine.idea_counts`` and are placed on the version's
    zero-filled ``Grid`` of periods and totals (``timeline.period_grid``, as ``timeline.build`` does), without
    a DataFrame: for a rare phrase the frames of ``Corpus.track`` cost more than the count (profiled at 1M:
    about 1.5 ms of a cold ``/api/track``). Tests compare both paths. Other engines go through
    ``Corpus.track``.
    """
    idea = idea_from_query(q)
    engine = corpus.engine
    found = engine.idea_counts(idea, by) if isinstance(engine, IndexedEngine) else None  # deduplicated, as track
    if found is None or not isinstance(engine, IndexedEngine):
        df = corpus.track(idea, by=by)
        out = {k: df[k].to_numpy() for k in ROW_FIELDS}
        out["period"] = out["period"].astype("datetime64[D]")
        out["period_text"] = np.datetime_as_string(out["period"], unit="D").astype(object)
        out["period_end"] = np.datetime_as_string(_period_ends(out["period"], by), unit="D").astype(object)
        return out
    periods, docs, mentions = found
    grid = _grid(engine, by)
    n = len(grid.periods)
    out_docs, out_mentions = np.zeros(n, np.int64), np.zeros(n, np.int64)
    at = np.searchsorted(grid.periods, periods)
    out_docs[at], out_mentions[at] = docs, mentions
    covered = grid.total_docs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(covered, out_docs / np.where(covered, grid.total_docs, 1), np.nan)
    return {"idea": np.full(n, idea.name, dtype=object), "period": grid.periods, "docs": out_docs,
            "mentions": out_mentions, "total_docs": grid.total_docs, "total_words": grid.total_words, "rate": rate,
            "coverage": grid.coverage, "period_text": grid.period_text, "period_end": grid.end_text}


def rows_frame(rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """``track_rows`` as the frame ``Corpus.track`` returns (periods as datetime64[us])."""
    data: dict[str, Any] = {k: rows[k] for k in ROW_FIELDS}
    data["period"] = rows["period"].astype(PERIOD_DTYPE)
    return pd.DataFrame(data)  # copies: the grid's arrays are shared by every idea's rows


def track_columns(rows: dict[str, np.ndarray], by: str, measure: str, smooth: int) -> dict[str, Any]:
    """The columns of /api/track's rows: contract fields, words, the period's last day, and the plotted value."""
    return {"idea": rows["idea"], "period": rows["period_text"], "docs": rows["docs"], "mentions": rows["mentions"],
            "total_docs": rows["total_docs"], "rate": rows["rate"], "coverage": rows["coverage"],
            "total_words": rows["total_words"], "period_end": rows["period_end"], "measure": measure, "smooth": smooth,
            "value": measures.values_of(rows["docs"], rows["mentions"], rows["total_docs"], rows["total_words"],
                                        measure, smooth)}


def records_json(columns: dict[str, Any]) -> bytes:
    """Columns (arrays, or one value for every row) as a JSON list of row objects; NaN is written as null."""
    n = max((len(v) for v in columns.values() if isinstance(v, np.ndarray)), default=0)
    lists = [v.tolist() if isinstance(v, np.ndarray) else [v] * n for v in columns.values()]
    names = list(columns)
    return orjson.dumps([dict(zip(names, row)) for row in zip(*lists)])


def _fragments(values: np.ndarray) -> list[bytes]:
    """Each value's JSON text (NaN as null), from one orjson call over the column.

    Only for numbers and strings without a comma: the array's text is split at its commas.
    """
    text = orjson.dumps(values.tolist())
    return text[1:-1].split(b",") if len(values) else []


def track_json_bytes(columns: dict[str, Any]) -> bytes:
    """``records_json`` of ``track_columns``, the same JSON value (tested), written per row from a template.

    Building a dict per row for orjson was most of the serialisation (0.4-0.9 ms at 312 monthly rows under
    load, profiled): here each column is serialised once and the rows are joined from the pieces. Columns
    that are one value for every row (idea, measure, smoothing) go into the template.
    """
    parts, args = [b"["], []
    template = []
    for i, (name, value) in enumerate(columns.items()):
        key = orjson.dumps(name)
        template.append((b"{" if i == 0 else b",") + key + b":")
        if isinstance(value, np.ndarray) and value.dtype != object or name in ("period", "period_end", "coverage"):
            template.append(b"%s")
            args.append(_fragments(np.asarray(value)))
        elif isinstance(value, np.ndarray):  # the idea: the same name in every row
            template.append(orjson.dumps(value[0] if len(value) else "").replace(b"%", b"%%"))
        else:
            template.append(orjson.dumps(value).replace(b"%", b"%%"))
    row = b"".join(template) + b"}"
    parts.append(b",".join(map(row.__mod__, zip(*args))) if args else b"")
    parts.append(b"]")
    return b"".join(parts)


def _original_url(doc: dict[str, Any]) -> str | None:
    """The record's web address, where it has one (a ``url`` field kept in meta, or an id that is a URL)."""
    meta = doc.get("meta")
    try:
        fields = json.loads(meta) if isinstance(meta, str) and meta else {}
    except ValueError:
        fields = {}
    for key in URL_KEYS:
        value = fields.get(key) if isinstance(fields, dict) else None
        if isinstance(value, str) and re.match(r"https?://", value):
            return value
    did = str(doc.get("doc_id") or "")
    return did if re.match(r"https?://", did) else None


def doc_url(doc_id: str) -> str:
    """The dashboard link to a document, for any id.

    Every character but letters, digits and ``-._~`` is percent-encoded, ``/`` included, so an id that is a
    URL stays one path segment that browsers do not rewrite; the two ids that are dot segments ("." and
    "..", which browsers resolve away) go by query string instead.
    """
    if doc_id in (".", ".."):
        return "/doc?id=" + quote(doc_id, safe="")
    return "/doc/" + quote(doc_id, safe="")


def _host_key(host_header: str) -> str:
    """The host name of a Host header (or an --allowed-host value) without its port, lower case."""
    h = host_header.strip().lower()
    if h.startswith("["):  # [::1]:8000
        return h.split("]", 1)[0] + "]"
    return h.rsplit(":", 1)[0].rstrip(".") if h.count(":") <= 1 else f"[{h}]"  # a bare IPv6 address


def _token_ok(request: Request, secret: bytes) -> bool:
    """Whether the request carries the token (query, cookie or bearer header), compared in constant time.

    Compared as bytes: ``hmac.compare_digest`` refuses str holding non-ASCII characters (a TypeError, once a
    500 for ``?token=%C3%A9``), and surrogatepass encodes whatever the URL decoding left.
    """
    cookie = request.cookies.get("pp_token")
    # HTTP headers are bytes that Starlette reads as latin-1: back to the bytes the client sent (UTF-8 ones).
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip().encode("latin-1")
    candidates = ((request.query_params.get("token") or "").encode("utf-8", "surrogatepass"),
                  unquote(cookie).encode("utf-8", "surrogatepass") if cookie else b"", bearer)
    ok = False
    for given in candidates:
        if given:  # every candidate is compared, so the time does not tell which one was tried
            ok |= hmac.compare_digest(given, secret)
    return ok


class Guard:
    """Every request's checks and every answer's safety headers, as plain ASGI middleware.

    The Host allow-list (a page on another site cannot reach us under its own host name: DNS rebinding),
    the token when one is set, and the headers (no sniffing, no referrer, a strict Content-Security-Policy;
    only the embeddable chart may be framed). Plain ASGI rather than ``@app.middleware("http")``: Starlette's
    BaseHTTPMiddleware runs every request through an extra task and a streamed copy of the response, which
    cost a tenth of the server's time on cold /api/track requests (profiled under 16 clients).
    """

    def __init__(self, app: Any, hosts: set[str], secret: bytes | None) -> None:
        self.app, self.hosts, self.secret = app, hosts, secret

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _host_key(Headers(scope=scope).get("host") or "")
        if host not in self.hosts:
            await JSONResponse(error_body(
                f"host {host!r} is not allowed; to accept it, start the dashboard with "
                f"`policypulse serve ... --allowed-host {host}`"), status_code=400)(scope, receive, send)
            return
        cookie: list[tuple[bytes, bytes]] = []
        if self.secret is not None:
            request = Request(scope)
            if not _token_ok(request, self.secret):
                await JSONResponse(error_body("a valid token is required (?token=...)"), status_code=401)(
                    scope, receive, send)
                return
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.secret):
                # quoted, so that a token of any characters makes a valid Set-Cookie header
                jar = Response()
                jar.set_cookie("pp_token", quote(self.secret.decode("utf-8", "surrogatepass"), safe=""),
                               httponly=True, samesite="strict")
                cookie = [(k, v) for k, v in jar.raw_headers if k == b"set-cookie"]
        frames = b"*" if scope["path"] == "/embed" else b"'none'"

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + cookie + [
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy",
                     b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
                     b"connect-src 'self'; frame-ancestors " + frames)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Dashboard:
    """Answers the dashboard's questions from one store, caching results per store version."""

    def __init__(self, store: str | Path, *, workers: int | None = None, slow_processes: bool = True) -> None:
        self.store = str(store)
        with policypulse.open(self.store) as c:  # fail at start-up, not on the first request
            self.label = slow.corpus_label(c).rsplit(" (", 1)[0]
        # Four corpora even on two cores: counting holds the interpreter lock, so more slots add no throughput,
        # but a cheap count no longer waits for a slot behind two expensive ones (1M, 16 clients, distinct
        # queries: /api/track p95 206 -> 163 ms with 8 slots against 2, at load 14-17); each costs about 70 MB.
        self.pool = CorpusPool(self.store, workers or POOL_SIZE)
        self.cache = ResultCache(CACHE_SIZE)
        self.slow = slow.SlowWork(workers=1, processes=slow_processes)
        self._manifest: tuple[tuple[int, int, int], int] | None = None  # (inode, mtime, size) -> version

    def version(self) -> int:
        """The latest completed store version (new ingests become visible between requests).

        An ingest replaces the manifest atomically (a new file), so its inode, time and size say whether it
        changed: one ``stat`` per request instead of reading, parsing and checksumming it (0.2 ms at 100k
        documents, more on larger stores: 11% of the server's time under load, profiled).
        """
        from policypulse.corpus.store import MANIFEST, Store

        try:
            st = os.stat(os.path.join(self.store, MANIFEST))
            key: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            key = None  # Store() below says what is wrong
        known = self._manifest
        if key is not None and known is not None and known[0] == key:
            return known[1]
        version = Store(self.store).version
        self._manifest = (key, version) if key is not None else None
        return version

    def examples(self, version: int) -> Examples:
        """The search boxes' examples for this store (its own ideas for the demo corpus, neutral otherwise)."""
        def compute() -> Examples:
            with self.pool.borrow(version) as c:
                found = c.store.connection(version).execute("SELECT DISTINCT source FROM docs LIMIT 2").fetchall()
            return examples([str(r[0]) for r in found])
        return self.cache.get(("examples", version), compute)

    def corpus_label(self, version: int) -> str:
        """How exports name the corpus."""
        return f"{self.label} (version {version})"

    def rows(self, version: int, q: str, by: str, *, cached_only: bool = False) -> dict[str, np.ndarray]:
        """An idea's track as arrays (``track_rows``), counted once per (version, query, period)."""
        def compute() -> dict[str, np.ndarray]:
            with self.pool.borrow(version) as c:
                return track_rows(c, q, by)
        return self.cache.get(("track", version, q, by), compute, cached_only=cached_only)

    def track(self, version: int, q: str, by: str) -> pd.DataFrame:
        """An idea's track rows as ``Corpus.track``'s frame (cached per version)."""
        return self.cache.get(("track.frame", version, q, by), lambda: rows_frame(self.rows(version, q, by)))

    def track_frame(self, version: int, q: str, by: str, measure: str, smooth: int) -> pd.DataFrame:
        """The rows of /api/track as a frame (CSV and several ideas): the same columns the JSON carries."""
        def compute() -> pd.DataFrame:
            return pd.DataFrame(track_columns(self.rows(version, q, by), by, measure, smooth))
        return self.cache.get(("rows", version, q, by, measure, smooth), compute)

    def track_json(self, version: int, q: str, by: str, measure: str, smooth: int, *,
                   cached_only: bool = False) -> bytes:
        """The rows as the JSON body of /api/track, serialised once per (version, query, period, measure, smoothing).

        Built from the columns without a DataFrame: orjson over plain lists costs 0.4 ms at 312 rows
        where pandas' to_json of a frame built for it cost 1.1 ms plus 0.7 ms for the frame (profiled).
        """
        def compute() -> bytes:
            return track_json_bytes(track_columns(self.rows(version, q, by), by, measure, smooth))
        return self.cache.get(("track.json", version, q, by, measure, smooth), compute, cached_only=cached_only)

    def summary(self, version: int, q: str, by: str, *, cached_only: bool = False) -> dict[str, Any]:
        """What the idea page needs besides the chart rows: matches, the span to zoom to, a common-words warning."""
        def compute() -> dict[str, Any]:
            rows = self.rows(version, q, by)
            w = life_window(rows, by)
            docs, total = int(rows["docs"].sum()), int(rows["total_docs"].sum())
            return {"matches": docs, "documents": total,
                    "window": [w[0].date().isoformat(), w[1].date().isoformat()] if w else None,
                    "warning": common_words_warning(q, docs, total) if docs else None}
        return self.cache.get(("summary", version, q, by), compute, cached_only=cached_only)

    async def now(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``: from the cache on the event loop, else computed on a thread.

        Measured both ways on the loaded machine (load average 22, 16 clients, distinct queries): counting
        on the event loop gave 143-149 requests/s at 100k and 119 at 1M, on threads 270-331 and 143 (idea
        pages p95 47-67 ms instead of 165-260): on threads the process gets more of the cores, and at 1M
        tantivy searches without the interpreter lock while the loop answers other requests. An answer
        already cached needs no thread hand-over.
        """
        try:
            return fn(*args, cached_only=True)
        except Busy:
            return await run_in_threadpool(fn, *args)

    async def lifecycle(self, version: int, q: str, by: str) -> dict[str, Any]:
        """An idea's lifecycle fields, computed by the slow worker (cached per version)."""
        # A bad query fails here, at once, with its own message. Counted on a thread (never on the event
        # loop: a count at 1M takes 5-50 ms of CPU, and every other request waited for it).
        await self.now(self.rows, version, q, by)
        lc: dict[str, Any] = await self.slow.get(("lifecycle", version, q, by), slow.lifecycle_job,
                                                 self.store, version, q, by)
        return self.decorate(lc, by)

    def cached_lifecycle(self, version: int, q: str, by: str) -> dict[str, Any] | None:
        """The lifecycle if already computed (never waits)."""
        lc = self.slow.cached(("lifecycle", version, q, by))
        return None if lc is None else self.decorate(lc, by)

    @staticmethod
    def decorate(lc: dict[str, Any], by: str) -> dict[str, Any]:
        """The lifecycle with its verdict sentence and the card's readable rows."""
        out = dict(lc)
        out["verdict_text"] = present.verdict(lc)
        out["display"] = {"facts": present.facts(lc, by), "phases": present.phases(lc, by),
                          "peak": present.period_label(lc.get("peak"), by),
                          "last_mention": present.day_label(lc.get("last_mention")),
                          "forecast": present.forecast_label(lc, by),
                          "forecast_interval": present.interval_label(lc.get("forecast_interval"), by)}
        return out

    def kwic(self, version: int, q: str, limit: int, date_from: str | None = None,
             date_to: str | None = None) -> list[dict[str, Any]]:
        """Keyword-in-context lines as JSON-ready rows, optionally within a period (cached per version)."""
        def compute() -> list[dict[str, Any]]:
            with self.pool.borrow(version) as c:
                return frame_records(c.kwic(q, limit=limit, date_from=date_from, date_to=date_to))
        return self.cache.get(("kwic", version, q, limit, date_from, date_to), compute)

    def overview(self, version: int, by: str) -> dict[str, Any]:
        """Documents and words per period and per source (cached per version)."""
        def compute() -> dict[str, Any]:
            with self.pool.borrow(version) as c:
                return c.stats(by=by)
        return self.cache.get(("overview", version, by), compute)

    def document(self, version: int, doc_id: str) -> dict[str, Any] | None:
        """One stored document by id, or None."""
        with self.pool.borrow(version) as c:
            con = c.store.connection(version)
            rows = con.execute(
                "SELECT doc_id, date, date_precision, date_source, source, title, text, origin_file, "
                "origin_record, meta FROM docs WHERE doc_id = ? ORDER BY date LIMIT 1", [doc_id]).df()
        if rows.empty:
            return None
        doc: dict[str, Any] = frame_records(rows)[0]
        doc["url"] = _original_url(doc)
        doc.pop("meta", None)
        return doc

    async def vocabulary(self, version: int) -> dict[str, int]:
        """Word -> documents (in a sample), computed once per version by the slow worker."""
        vocab: dict[str, int] = await self.slow.get(("vocab", version), slow.vocabulary_job, self.store, version)
        return vocab

    async def help_for(self, version: int, q: str, by: str) -> dict[str, Any]:
        """'Did you mean' for a query with no match; a warning for one made of very common words."""
        rows = await self.now(self.rows, version, q, by)
        docs = int(rows["docs"].sum())
        out: dict[str, Any] = {"matches": docs, "suggestions": [], "warning": None}
        total = int(rows["total_docs"].sum())
        if docs == 0:
            vocab = await self.vocabulary(version)
            for cand in suggest(q, vocab):
                try:
                    n = int((await self.now(self.rows, version, cand, by))["docs"].sum())
                except PolicyPulseError:
                    continue
                if n:
                    out["suggestions"].append({"query": cand, "documents": n})
        else:
            out["warning"] = common_words_warning(q, docs, total)
        return out


def create_app(store: str | Path, *, token: str | None = None, allowed_hosts: list[str] | None = None,
               workers: int | None = None, slow_processes: bool = True) -> FastAPI:
    """The dashboard app over ``store``; with ``token`` every request must carry it.

    ``workers`` bounds the cheap computations run at once (default POOL_SIZE, 4); slow ones
    (lifecycles, figures) run in one separate worker process (``slow_processes=False``: a thread).
    """
    board = Dashboard(store, workers=workers, slow_processes=slow_processes)
    app = FastAPI(title="policypulse", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.board = board
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))  # autoescape is on for .html
    templates.env.auto_reload = False  # installed templates do not change: no stat of each file per page
    # Dates and p-values as people write them, never raw ISO timestamps, NaT or exponents.
    templates.env.filters.update(period=present.period_label, day=present.day_label, pvalue=present.p_label,
                                 verdict=present.verdict, number=present.number_label)
    templates.env.globals["doc_url"] = doc_url
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    hosts = {_host_key(h) for h in allowed_hosts or []} | {"127.0.0.1", "localhost", "[::1]", "testserver"}
    secret = None if token is None else token.encode("utf-8", "surrogatepass")

    @app.on_event("shutdown")
    def stop_workers() -> None:
        board.slow.close()

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path.startswith("/static/")

    def error_response(request: Request, message: str, status: int) -> Response:
        if wants_json(request):
            return JSONResponse(error_body(message), status_code=status)
        titles = {400: "That request could not be answered", 401: "A token is needed", 404: "Not found",
                  409: "Not built yet", 422: "That could not be computed"}
        return page(request, "error.html", status_code=status, message=message,
                    title=titles.get(status, "Something went wrong"))

    app.add_middleware(Guard, hosts=hosts, secret=secret)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is no page at {request.url.path}."
        return error_response(request, message, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", []) if x != "query")
        return error_response(request, f"{where}: {first.get('msg', 'invalid request')}", 400)

    @app.exception_handler(PolicyPulseError)
    async def pp_error(request: Request, exc: PolicyPulseError) -> Response:
        status = 400 if isinstance(exc, (UsageError, QuerySyntaxError)) else 422
        if isinstance(exc, NotBuiltError):  # an index not built yet: the state of the store, not the request
            status = exc.status_code
        return error_response(request, str(exc), status)

    def _by(by: str) -> str:
        if by not in BYS:
            raise UsageError(f"unknown period by={by!r}; choose day, week, month, quarter or year")
        return by

    def _q(q: str) -> str:
        if not q.strip():
            raise UsageError("empty query: give q=...")
        if len(q) > 500:
            raise UsageError("query too long (at most 500 characters)")
        return q

    def _date(value: str | None, name: str) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return pd.Timestamp(value.strip()).date().isoformat()
        except (ValueError, OverflowError):
            raise UsageError(f"{name}={value!r} is not a date (YYYY-MM-DD)") from None

    def _ideas(q: list[str] | None) -> list[str]:
        ideas = [x.strip() for x in q or [] if x.strip()]
        if len(ideas) > MAX_COMPARE:
            raise UsageError(f"at most {MAX_COMPARE} ideas at once, got {len(ideas)}")
        return [_q(x) for x in ideas]

    def csv_response(df: pd.DataFrame, name: str) -> Response:
        out = df.copy()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = iso_days(out[col])  # strftime writes year 800 as "800"
        return Response(out.to_csv(index=False), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def export_name(qs: list[str], by: str, measure: str, smooth: int, ext: str) -> str:
        what = "-vs-".join(slug(q) for q in qs)[:120]
        sm = f"-smoothed-{smooth}" if smooth > 1 else ""
        return f"policypulse-{what}-per-{by}-{measure}{sm}.{ext}"

    # -- JSON API -------------------------------------------------------------------------------
    @app.get("/api/track")
    async def api_track(q: Ideas = None, by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                  smooth: int = 1, format: str = "json") -> Response:
        version, by = board.version(), _by(by)
        qs = _ideas(q)
        if not qs:
            raise UsageError("empty query: give q=...")
        measures.check_measure(measure), measures.check_smooth(smooth)
        if format not in ("json", "csv"):
            raise UsageError(f"unknown format={format!r}; choose json or csv")
        if format == "json" and len(qs) == 1:
            body = await board.now(board.track_json, version, qs[0], by, measure, smooth)
            return Response(body, media_type="application/json")
        def several() -> Response:  # several ideas, or CSV: on a thread (a long CSV must not stall the loop)
            out = pd.concat([board.track_frame(version, item, by, measure, smooth) for item in qs], ignore_index=True)
            if format == "json":
                return Response(out.to_json(orient="records", double_precision=15), media_type="application/json")
            out["corpus"] = board.corpus_label(version)
            return csv_response(out, export_name(qs, by, measure, smooth, "csv"))
        return await run_in_threadpool(several)

    @app.get("/api/lifecycle")
    async def api_lifecycle(q: str = Query(...), by: str = "year") -> Response:
        return JSONResponse(jsonable(await board.lifecycle(board.version(), _q(q), _by(by))))

    @app.get("/api/kwic")
    def api_kwic(q: str = Query(...), limit: int = Query(20, ge=1, le=500), date_from: str | None = Query(None, alias="from"),
                 date_to: str | None = Query(None, alias="to"), format: str = "json") -> Response:
        d0, d1 = _date(date_from, "from"), _date(date_to, "to")
        rows = board.kwic(board.version(), _q(q), limit, d0, d1)
        if format == "csv":
            name = f"policypulse-{slug(q)}-in-context" + (f"-{d0}-to-{d1}" if d0 or d1 else "") + ".csv"
            return csv_response(pd.DataFrame(rows, columns=["doc_id", "date", "source", "title", "left", "match",
                                                            "right"]), name)
        return JSONResponse(rows)

    @app.get("/api/summary")
    async def api_summary(q: str = Query(...), by: str = "year") -> Response:
        return JSONResponse(await board.now(board.summary, board.version(), _q(q), _by(by)))

    @app.get("/api/help")
    async def api_help(q: str = Query(...), by: str = "year") -> Response:
        return JSONResponse(await board.help_for(board.version(), _q(q), _by(by)))

    @app.get("/api/overview")
    def api_overview(by: str = "year", format: str = "json") -> Response:
        version = board.version()
        s = board.overview(version, _by(by))
        if format == "csv":
            return csv_response(s["per_period"], f"policypulse-{slug(board.label)}-documents-per-{by}.csv")
        return JSONResponse(jsonable({k: v for k, v in s.items()}))

    @app.get("/api/figure")
    async def api_figure(q: Ideas = None, by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                         smooth: int = 1, format: str = "png", date_from: str | None = Query(None, alias="from"),
                         date_to: str | None = Query(None, alias="to")) -> Response:
        version, by, qs = board.version(), _by(by), _ideas(q)
        if not qs:
            raise UsageError("empty query: give q=...")
        measures.check_measure(measure), measures.check_smooth(smooth)
        if format not in ("png", "svg"):
            raise UsageError(f"unknown format={format!r}; choose png or svg")
        d0, d1 = _date(date_from, "from"), _date(date_to, "to")
        for item in qs:
            await board.now(board.rows, version, item, by)  # a bad query fails here with its own message
        body = await board.slow.get(("figure", version, tuple(qs), by, measure, smooth, format, d0, d1),
                                    slow.figure_job, board.store, version, qs, by, measure, smooth, format, d0, d1)
        media = "image/png" if format == "png" else "image/svg+xml"
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{export_name(qs, by, measure, smooth, format)}"'})

    @app.get("/api/doc/{doc_id:path}")
    def api_doc(doc_id: str) -> Response:
        doc = board.document(board.version(), doc_id)
        if doc is None:
            return JSONResponse(error_body(f"no document {doc_id!r}"), status_code=404)
        return JSONResponse(doc)

    # -- pages ----------------------------------------------------------------------------------
    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("q", "")
        context.setdefault("by", "year")
        current = board.version()
        try:
            shown = board.examples(current)
        except Exception:  # an error page must still render when the store cannot be read
            shown = NEUTRAL_EXAMPLES
        return templates.TemplateResponse(request, name, {
            "version": __version__, "store": board.store, "store_label": board.label,
            "store_version": current, "examples": shown, "measures": measures.MEASURES,
            **context}, status_code=status_code)

    discovery.register(app, board.store, board.version, page)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, by: str = "year") -> HTMLResponse:
        s = board.overview(board.version(), _by(by))
        return page(request, "overview.html", active="overview", stats=s, by=by,
                    sources=frame_records(s["per_source"].head(50)))

    def view_state(q: str, by: str, measure: str, smooth: int, date_from: str | None,
                   date_to: str | None) -> dict[str, Any]:
        measures.check_measure(measure), measures.check_smooth(smooth)
        return {"q": q, "by": by, "measure": measure, "smooth": smooth, "date_from": date_from or "",
                "date_to": date_to or "", "describe": measures.describe(measure, smooth, by)}

    @app.get("/idea", response_class=HTMLResponse)
    async def idea(request: Request, q: str = "", by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                   smooth: int = 1, date_from: str | None = Query(None, alias="from"),
                   date_to: str | None = Query(None, alias="to")) -> HTMLResponse:
        # First paint: the page itself, with nothing counted (a fraction of a millisecond); the page then
        # fetches the chart's rows (/api/track), its summary (matches, zoom span, warnings: /api/summary),
        # the verdict (/api/lifecycle) and the quotes (/api/kwic). A query the parser refuses is refused here.
        error, lc = None, None
        try:
            version, by = board.version(), _by(by)
            state = view_state(_q(q), by, measure, smooth, _date(date_from, "from"), _date(date_to, "to"))
            idea_from_query(q)
            lc = board.cached_lifecycle(version, q, by)
        except PolicyPulseError as exc:
            error = str(exc)
            state = {"q": q, "by": by if by in BYS else "year", "measure": measures.DEFAULT_MEASURE, "smooth": 1,
                     "date_from": "", "date_to": "", "describe": ""}
        return page(request, "idea.html", lc=lc, error=error, **state, status_code=400 if error else 200)

    @app.get("/embed", response_class=HTMLResponse)
    async def embed(request: Request, q: str = "", by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                    smooth: int = 1, date_from: str | None = Query(None, alias="from"),
                    date_to: str | None = Query(None, alias="to")) -> HTMLResponse:
        state = view_state(_q(q), _by(by), measure, smooth, _date(date_from, "from"), _date(date_to, "to"))
        idea_from_query(q)
        return page(request, "embed.html", **state)

    @app.get("/compare", response_class=HTMLResponse)
    def compare(request: Request, q: Ideas = None, by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                smooth: int = 1) -> HTMLResponse:
        ideas = [x.strip() for x in q or [] if x.strip()][:MAX_COMPARE]
        error = None
        try:
            state = view_state("", _by(by), measure, smooth, None, None)
        except PolicyPulseError as exc:
            error = str(exc)
            state = {"by": "year", "measure": measures.DEFAULT_MEASURE, "smooth": 1, "describe": ""}
        state.pop("q", None)
        return page(request, "compare.html", active="compare", ideas=ideas, max_ideas=MAX_COMPARE, error=error,
                    **state, status_code=400 if error else 200)

    @app.get("/doc", response_class=HTMLResponse)
    def doc_by_query(request: Request, id: str = Query(...), q: str = "") -> HTMLResponse:
        return doc(request, id, q)

    @app.get("/doc/{doc_id:path}", response_class=HTMLResponse)  # any id, URLs with '/' included
    def doc(request: Request, doc_id: str, q: str = "") -> HTMLResponse:
        d = board.document(board.version(), doc_id)
        if d is None:
            raise StarletteHTTPException(404, f"There is no document with id {doc_id!r} in this store.")
        parts, n_matches = highlight(d["text"], q)
        return page(request, "doc.html", doc=d, parts=parts, n_matches=n_matches, hq=q, q="")

    return app


SERVE_ENV = "POLICYPULSE_SERVE"


def app_from_env() -> FastAPI:
    """The app of one worker process of ``policypulse serve --workers N`` (settings from the environment).

    Each worker builds its own app over the same read-only store: its own caches and open corpora, the
    store's files shared through the page cache.
    """
    cfg = json.loads(os.environ[SERVE_ENV])
    app = create_app(cfg["store"], token=cfg.get("token"), allowed_hosts=cfg.get("allowed_hosts"))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Keep the objects made so far (imports, the app) out of the cyclic garbage collector's collections.

    A cold count turns thousands of tantivy hits into Python tuples, which sets off the collector; its full
    collections walk every object the imports made (pandas, FastAPI, ...). Frozen once at start, those are
    skipped: 13.2 -> 9.3 ms of CPU per track of a common-word pair at 1M (median of 6 alternating rounds).
    Objects are still freed by reference counting. Only for a server process (``serve``), not for code that
    imports the app (tests: frozen objects are invisible to ``gc.get_referrers``, which libraries use).
    """
    gc.freeze()


def highlight(text: str, q: str) -> tuple[list[tuple[str, bool]], int]:
    """The document's text cut into (piece, is_match) for every match the query counts."""
    from policypulse.kwic import display_text, find_spans
    from policypulse.query.ideas import idea_from_query

    shown = display_text(text)
    if not q.strip():
        return [(shown, False)], 0
    try:
        node = idea_from_query(q).query
    except PolicyPulseError:
        return [(shown, False)], 0
    parts: list[tuple[str, bool]] = []
    at = 0
    spans = find_spans(shown, node)
    for a, b in spans:
        if a < at:
            continue
        parts.append((shown[at:a], False))
        parts.append((shown[a:b], True))
        at = b
    parts.append((shown[at:], False))
    return parts, len(spans)


__all__ = ["app_from_env", "create_app", "error_body", "freeze_startup_objects", "highlight", "is_loopback"]
