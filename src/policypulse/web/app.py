"""The local dashboard: FastAPI pages over a store, each with a JSON twin; read-only by construction."""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import policypulse
from policypulse import __version__
from policypulse.cli.output import frame_records, jsonable
from policypulse.describe import verdict_text
from policypulse.errors import PolicyPulseError, QuerySyntaxError, UsageError
from policypulse.web import discovery
from policypulse.web.cache import CorpusPool, ResultCache
from policypulse.web.discovery import Ideas, NotBuiltError

WEB_DIR = Path(str(resources.files("policypulse") / "web"))
TRACK_FIELDS = ["idea", "period", "docs", "mentions", "total_docs", "rate", "coverage"]
CACHE_SIZE = 256


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


class Dashboard:
    """Answers the dashboard's questions from one store, caching results per store version."""

    def __init__(self, store: str | Path, *, workers: int | None = None) -> None:
        self.store = str(store)
        with policypulse.open(self.store):  # fail at start-up, not on the first request
            pass
        self.pool = CorpusPool(self.store, workers or min(4, os.cpu_count() or 1))
        self.cache = ResultCache(CACHE_SIZE)

    def version(self) -> int:
        """The latest completed store version (new ingests become visible between requests)."""
        from policypulse.corpus.store import Store

        return Store(self.store).version

    def track(self, version: int, q: str, by: str) -> pd.DataFrame:
        """An idea's track rows (cached per version)."""
        def compute() -> pd.DataFrame:
            with self.pool.borrow(version) as c:
                return c.track(q, by=by)
        return self.cache.get(("track", version, q, by), compute)

    def track_json(self, version: int, q: str, by: str) -> bytes:
        """The track rows as the JSON body of /api/track, serialised once (the charts ask for it most)."""
        def compute() -> bytes:
            rows = frame_records(self.track(version, q, by)[TRACK_FIELDS])
            return json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
        return self.cache.get(("track.json", version, q, by), compute)

    def lifecycle(self, version: int, q: str, by: str) -> dict[str, Any]:
        """An idea's lifecycle fields and its verdict in words (cached per version)."""
        def compute() -> dict[str, Any]:
            with self.pool.borrow(version) as c:
                lc: dict[str, Any] = c.lifecycle(q, by=by).to_dicts()[0]
            lc["verdict_text"] = verdict_text(lc)
            return lc
        return self.cache.get(("lifecycle", version, q, by), compute)

    def kwic(self, version: int, q: str, limit: int) -> list[dict[str, Any]]:
        """Keyword-in-context lines as JSON-ready rows (cached per version)."""
        def compute() -> list[dict[str, Any]]:
            with self.pool.borrow(version) as c:
                return frame_records(c.kwic(q, limit=limit))
        return self.cache.get(("kwic", version, q, limit), compute)

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
                "origin_record FROM docs WHERE doc_id = ? ORDER BY date LIMIT 1", [doc_id]).df()
        return None if rows.empty else frame_records(rows)[0]


def create_app(store: str | Path, *, token: str | None = None, allowed_hosts: list[str] | None = None,
               workers: int | None = None) -> FastAPI:
    """The dashboard app over ``store``; with ``token`` every request must carry it.

    ``workers`` bounds the analyses computed at once (default: the cores, at most 4); answers already
    cached are served meanwhile.
    """
    board = Dashboard(store, workers=workers)
    app = FastAPI(title="policypulse", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))  # autoescape is on for .html
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    hosts = set(allowed_hosts or []) | {"127.0.0.1", "localhost", "[::1]", "testserver"}

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        # DNS-rebinding defence: a page on another site cannot reach us under its own host name.
        host = (request.headers.get("host") or "").rsplit(":", 1)[0] if not (request.headers.get("host") or "").startswith("[") \
            else (request.headers.get("host") or "").split("]")[0] + "]"
        if host not in hosts:
            return JSONResponse(error_body(f"host {host!r} is not allowed"), status_code=400)
        if token is not None:
            given = request.query_params.get("token") or request.cookies.get("pp_token") or \
                request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given or "", token):
                return JSONResponse(error_body("a valid token is required (?token=...)"), status_code=401)
        response: Response = await call_next(request)
        if token is not None and request.query_params.get("token") == token:
            response.set_cookie("pp_token", token, httponly=True, samesite="strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", []) if x != "query")
        return JSONResponse(error_body(f"{where}: {first.get('msg', 'invalid request')}"), status_code=400)

    @app.exception_handler(PolicyPulseError)
    async def pp_error(request: Request, exc: PolicyPulseError) -> Response:
        status = 400 if isinstance(exc, (UsageError, QuerySyntaxError)) else 422
        if isinstance(exc, NotBuiltError):  # an index not built yet: the state of the store, not the request
            status = exc.status_code
        return JSONResponse(error_body(str(exc)), status_code=status)

    def _by(by: str) -> str:
        if by not in ("day", "week", "month", "quarter", "year"):
            raise UsageError(f"unknown period by={by!r}; choose day, week, month, quarter or year")
        return by

    def _q(q: str) -> str:
        if not q.strip():
            raise UsageError("empty query: give q=...")
        if len(q) > 500:
            raise UsageError("query too long (at most 500 characters)")
        return q

    # -- JSON API -------------------------------------------------------------------------------
    @app.get("/api/track")
    def api_track(q: str = Query(...), by: str = "year", format: str = "json") -> Response:
        version, q, by = board.version(), _q(q), _by(by)
        if format == "csv":
            out = board.track(version, q, by)[TRACK_FIELDS].copy()
            out["period"] = out["period"].dt.strftime("%Y-%m-%d")
            return PlainTextResponse(out.to_csv(index=False), media_type="text/csv",
                                     headers={"Content-Disposition": 'attachment; filename="track.csv"'})
        return Response(board.track_json(version, q, by), media_type="application/json")

    @app.get("/api/lifecycle")
    def api_lifecycle(q: str = Query(...), by: str = "year") -> Response:
        return JSONResponse(jsonable(board.lifecycle(board.version(), _q(q), _by(by))))

    @app.get("/api/kwic")
    def api_kwic(q: str = Query(...), limit: int = Query(20, ge=1, le=500)) -> Response:
        return JSONResponse(board.kwic(board.version(), _q(q), limit))

    @app.get("/api/overview")
    def api_overview(by: str = "year") -> Response:
        s = board.overview(board.version(), _by(by))
        return JSONResponse(jsonable({k: v for k, v in s.items()}))

    @app.get("/api/doc/{doc_id}")
    def api_doc(doc_id: str) -> Response:
        doc = board.document(board.version(), doc_id)
        if doc is None:
            return JSONResponse(error_body(f"no document {doc_id!r}"), status_code=404)
        return JSONResponse(doc)

    # -- pages ----------------------------------------------------------------------------------
    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("q", "")
        return templates.TemplateResponse(request, name, {"version": __version__, "store": board.store,
                                                          "store_version": board.version(), **context},
                                          status_code=status_code)

    discovery.register(app, board.store, board.version, page)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, by: str = "year") -> HTMLResponse:
        s = board.overview(board.version(), _by(by))
        return page(request, "overview.html", active="overview", stats=s, by=by,
                    sources=frame_records(s["per_source"].head(50)))

    @app.get("/idea", response_class=HTMLResponse)
    def idea(request: Request, q: str = "", by: str = "year") -> HTMLResponse:
        try:
            lc = board.lifecycle(board.version(), _q(q), _by(by))
            lines = board.kwic(board.version(), q, 20)
            error = None
        except PolicyPulseError as exc:
            lc, lines, error = None, [], str(exc)
        return page(request, "idea.html", q=q, by=by, lc=lc, lines=lines, error=error,
                    status_code=400 if error else 200)

    @app.get("/compare", response_class=HTMLResponse)
    def compare(request: Request, q: Ideas = None, by: str = "year") -> HTMLResponse:
        ideas = [x for x in q or [] if x.strip()][:8]
        rows = []
        error = None
        try:
            for item in ideas:
                rows.append(board.lifecycle(board.version(), _q(item), _by(by)))
        except PolicyPulseError as exc:
            error = str(exc)
        return page(request, "compare.html", active="compare", ideas=ideas, rows=rows, by=by, error=error)

    @app.get("/doc/{doc_id}", response_class=HTMLResponse)
    def doc(request: Request, doc_id: str) -> HTMLResponse:
        d = board.document(board.version(), doc_id)
        if d is None:
            raise StarletteHTTPException(404, f"no document {doc_id!r}")
        return page(request, "doc.html", doc=d)

    return app
