"""The local dashboard: FastAPI pages over a store, each with a JSON twin; read-only by construction.

Pages render at once from cheap answers (counts, documents); the lifecycle (a bootstrap), figures and
the vocabulary are computed by a separate worker process (web/slow.py) and fetched by the page after it
is drawn, so cheap requests never queue behind expensive ones.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import policypulse
from policypulse import __version__
from policypulse.cli.output import frame_records, iso_days, jsonable
from policypulse.errors import PolicyPulseError, QuerySyntaxError, UsageError
from policypulse.report import measures, present
from policypulse.report.figures import life_window
from policypulse.web import discovery, slow
from policypulse.web.cache import CorpusPool, ResultCache
from policypulse.web.discovery import NotBuiltError
from policypulse.web.help import QUERY_HELP, common_words_warning, suggest

WEB_DIR = Path(str(resources.files("policypulse") / "web"))
TRACK_FIELDS = ["idea", "period", "docs", "mentions", "total_docs", "rate", "coverage"]
CACHE_SIZE = 256
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


class Dashboard:
    """Answers the dashboard's questions from one store, caching results per store version."""

    def __init__(self, store: str | Path, *, workers: int | None = None, slow_processes: bool = True) -> None:
        self.store = str(store)
        with policypulse.open(self.store) as c:  # fail at start-up, not on the first request
            self.label = slow.corpus_label(c).rsplit(" (", 1)[0]
        self.pool = CorpusPool(self.store, workers or min(4, os.cpu_count() or 1))
        self.cache = ResultCache(CACHE_SIZE)
        self.slow = slow.SlowWork(workers=1, processes=slow_processes)

    def version(self) -> int:
        """The latest completed store version (new ingests become visible between requests)."""
        from policypulse.corpus.store import Store

        return Store(self.store).version

    def corpus_label(self, version: int) -> str:
        """How exports name the corpus."""
        return f"{self.label} (version {version})"

    def track(self, version: int, q: str, by: str) -> pd.DataFrame:
        """An idea's track rows (cached per version)."""
        def compute() -> pd.DataFrame:
            with self.pool.borrow(version) as c:
                out = c.track(q, by=by)
            # pandas deep-copies a frame's attrs (here the provenance) on every column read: 2 ms a request
            out.attrs = {}
            return out
        return self.cache.get(("track", version, q, by), compute)

    def track_frame(self, version: int, q: str, by: str, measure: str, smooth: int) -> pd.DataFrame:
        """The rows of /api/track: contract fields, words, the period's last day, and the plotted value."""
        def compute() -> pd.DataFrame:
            df = self.track(version, q, by)
            periods = df["period"].to_numpy(dtype="datetime64[D]")
            out = pd.DataFrame({
                "idea": df["idea"].to_numpy(), "period": np.datetime_as_string(periods, unit="D"),
                "docs": df["docs"].to_numpy(), "mentions": df["mentions"].to_numpy(),
                "total_docs": df["total_docs"].to_numpy(), "rate": df["rate"].to_numpy(),
                "coverage": df["coverage"].to_numpy(), "total_words": df["total_words"].to_numpy(),
                "period_end": np.datetime_as_string(_period_ends(periods, by), unit="D"),
                "measure": measure, "smooth": smooth, "value": measures.values(df, measure, smooth)})
            return out
        return self.cache.get(("rows", version, q, by, measure, smooth), compute)

    def track_json(self, version: int, q: str, by: str, measure: str, smooth: int) -> bytes:
        """The rows as the JSON body of /api/track, serialised once (the charts ask for it most)."""
        def compute() -> bytes:
            # pandas writes JSON in C: a Python dict per row costs ten times more at 300 rows
            text = self.track_frame(version, q, by, measure, smooth).to_json(orient="records", double_precision=15)
            return text.encode("utf-8")
        return self.cache.get(("track.json", version, q, by, measure, smooth), compute)

    async def lifecycle(self, version: int, q: str, by: str) -> dict[str, Any]:
        """An idea's lifecycle fields, computed by the slow worker (cached per version)."""
        self.track(version, q, by)  # a bad query fails here, at once, with its own message
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
        df = self.track(version, q, by)
        docs = int(df["docs"].sum())
        out: dict[str, Any] = {"matches": docs, "suggestions": [], "warning": None}
        total = int(df["total_docs"].sum())
        if docs == 0:
            vocab = await self.vocabulary(version)
            for cand in suggest(q, vocab):
                try:
                    n = int(self.track(version, cand, by)["docs"].sum())
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

    ``workers`` bounds the cheap computations run at once (default: the cores, at most 4); slow ones
    (lifecycles, figures) run in one separate worker process (``slow_processes=False``: a thread).
    """
    board = Dashboard(store, workers=workers, slow_processes=slow_processes)
    app = FastAPI(title="policypulse", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.board = board
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))  # autoescape is on for .html
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

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        # DNS-rebinding defence: a page on another site cannot reach us under its own host name.
        host = _host_key(request.headers.get("host") or "")
        if host not in hosts:
            return JSONResponse(error_body(
                f"host {host!r} is not allowed; to accept it, start the dashboard with "
                f"`policypulse serve ... --allowed-host {host}`"), status_code=400)
        if secret is not None and not _token_ok(request, secret):
            return JSONResponse(error_body("a valid token is required (?token=...)"), status_code=401)
        response: Response = await call_next(request)
        if token is not None and request.query_params.get("token") == token:
            # quoted, so that a token of any characters makes a valid Set-Cookie header
            response.set_cookie("pp_token", quote(token, safe=""), httponly=True, samesite="strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        # The embeddable chart view may be framed by other pages; nothing else may.
        frames = "*" if request.url.path == "/embed" else "'none'"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            f"connect-src 'self'; frame-ancestors {frames}")
        return response

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
    def api_track(q: Ideas = None, by: str = "year", measure: str = measures.DEFAULT_MEASURE,
                  smooth: int = 1, format: str = "json") -> Response:
        version, by = board.version(), _by(by)
        qs = _ideas(q)
        if not qs:
            raise UsageError("empty query: give q=...")
        measures.check_measure(measure), measures.check_smooth(smooth)
        if format not in ("json", "csv"):
            raise UsageError(f"unknown format={format!r}; choose json or csv")
        if format == "json" and len(qs) == 1:
            return Response(board.track_json(version, qs[0], by, measure, smooth), media_type="application/json")
        out = pd.concat([board.track_frame(version, item, by, measure, smooth) for item in qs], ignore_index=True)
        if format == "json":
            return Response(out.to_json(orient="records", double_precision=15), media_type="application/json")
        out["corpus"] = board.corpus_label(version)
        return csv_response(out, export_name(qs, by, measure, smooth, "csv"))

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
            board.track(version, item, by)  # a bad query fails here with its own message
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
        return templates.TemplateResponse(request, name, {
            "version": __version__, "store": board.store, "store_label": board.label,
            "store_version": board.version(), "query_help": QUERY_HELP, "measures": measures.MEASURES,
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
        # First paint: counts only (milliseconds); the lifecycle and the chart's rows are fetched after.
        error, lc, window, hint = None, None, None, {"matches": 0, "suggestions": [], "warning": None}
        try:
            version, by = board.version(), _by(by)
            state = view_state(_q(q), by, measure, smooth, _date(date_from, "from"), _date(date_to, "to"))
            df = board.track(version, q, by)
            lc = board.cached_lifecycle(version, q, by)
            w = life_window(df, by)
            window = [w[0].date().isoformat(), w[1].date().isoformat()] if w else None
            docs = int(df["docs"].sum())
            hint["matches"] = docs
            if docs:
                hint["warning"] = common_words_warning(q, docs, int(df["total_docs"].sum()))
            elif board.slow.cached(("vocab", version)) is not None:
                hint = await board.help_for(version, q, by)
        except PolicyPulseError as exc:
            error = str(exc)
            state = {"q": q, "by": by if by in BYS else "year", "measure": measures.DEFAULT_MEASURE, "smooth": 1,
                     "date_from": "", "date_to": "", "describe": ""}
        return page(request, "idea.html", lc=lc, error=error, window=window, hint=hint, **state,
                    status_code=400 if error else 200)

    @app.get("/embed", response_class=HTMLResponse)
    def embed(request: Request, q: str = "", by: str = "year", measure: str = measures.DEFAULT_MEASURE,
              smooth: int = 1, date_from: str | None = Query(None, alias="from"),
              date_to: str | None = Query(None, alias="to")) -> HTMLResponse:
        state = view_state(_q(q), _by(by), measure, smooth, _date(date_from, "from"), _date(date_to, "to"))
        df = board.track(board.version(), q, by)
        w = life_window(df, by)
        return page(request, "embed.html", window=[w[0].date().isoformat(), w[1].date().isoformat()] if w else None,
                    **state)

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


__all__ = ["create_app", "error_body", "highlight", "is_loopback"]
