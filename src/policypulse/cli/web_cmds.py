"""Faces: the local dashboard."""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import quote
from typing import Annotated

import typer

from policypulse.cli import app
from policypulse.cli.options import Store
from policypulse.errors import UsageError


@app.command()
def serve(
    store: Store,
    host: Annotated[str, typer.Option("--host", help="Address to bind (default loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    token: Annotated[str | None, typer.Option("--token", help="Required on every request; mandatory when "
                                              "--host is not a loopback address.")] = None,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", metavar="NAME", help="A host name or address other machines use to reach the "
        "dashboard (repeatable); requests naming any other host are refused (DNS-rebinding defence).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes sharing the port "
                                         "(default 1; more can help on a machine with idle cores).")] = 1,
) -> None:
    """Serve the local web dashboard over a store (read-only)."""
    import uvicorn

    import policypulse
    from policypulse.web.app import SERVE_ENV, create_app, freeze_startup_objects, is_loopback

    if not is_loopback(host):
        if not token:
            raise UsageError(f"--host {host} exposes the dashboard beyond this machine: give --token SECRET too")
        sys.stderr.write(f"warning: serving on {host}, reachable from other machines; every request must "
                         "carry the token\n")
    names = [host, *(allowed_host or [])]
    for name in names:
        if not name.strip() or any(c in name for c in "/?#@ "):
            raise UsageError(f"--allowed-host {name!r} is not a host name or address (give it without scheme, "
                             "port or path, e.g. --allowed-host myserver.example.org)")
    if host in ("0.0.0.0", "::") and not allowed_host:
        sys.stderr.write("warning: only requests to 127.0.0.1/localhost are accepted until you name the host "
                         "other machines use: --allowed-host NAME (repeatable)\n")
    _pairs_tip(store)
    n = workers
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    banner = (f"policypulse dashboard on http://{shown}:{port}/" + (f"?token={quote(token, safe='')}" if token else "")
              + f"  ({n} server process{'es' if n > 1 else ''}; Ctrl-C to stop)\n")
    if n == 1:
        app_ = create_app(store, token=token, allowed_hosts=names)
        freeze_startup_objects()
        sys.stderr.write(banner)
        uvicorn.run(app_, host=host, port=port, log_level="warning")
        return
    # Several processes: one Python process answers on one core at a time (the interpreter lock), and a
    # cold count is CPU work. Each worker builds its own app over the read-only store (uvicorn starts them
    # on one shared socket); the store is checked here first, so that a bad path fails once, at once.
    with policypulse.open(store):
        pass
    os.environ[SERVE_ENV] = json.dumps({"store": str(store), "token": token, "allowed_hosts": names})
    sys.stderr.write(banner)
    uvicorn.run("policypulse.web.app:app_from_env", factory=True, host=host, port=port, workers=n,
                log_level="warning")


@app.command()
def report(
    store: Store,
    ideas: Annotated[list[str] | None, typer.Argument(help="Ideas (queries).")] = None,
    ideas_file: Annotated[str | None, typer.Option("--ideas", help="An ideas file (YAML).")] = None,
    out: Annotated[str, typer.Option("--out", help="The HTML file to write.")] = "report.html",
    by: Annotated[str, typer.Option("--by", help="Period: day, week, month, quarter or year.")] = "year",
    version: Annotated[int | None, typer.Option("--version", help="Store version (default: latest).")] = None,
) -> None:
    """Write a self-contained HTML report (charts, lifecycle cards, KWIC) to share with colleagues."""
    import policypulse
    from policypulse.api import _as_ideas
    from policypulse.report.html import write_report

    idea_list = _as_ideas(ideas, ideas_file)
    with policypulse.open(store, version=version) as corpus:
        path = write_report(corpus, idea_list, out, by=by)
    sys.stderr.write(f"wrote {path} ({len(idea_list)} ideas)\n")


@app.command("index-pairs")
def index_pairs(store: Store) -> None:
    """Build or complete the word-pair index that makes two-word phrases fast to count (dashboard, track)."""
    import time
    from pathlib import Path

    from policypulse.corpus.store import Store as StoreDir
    from policypulse.query import pairs

    if not Path(store).is_dir():
        raise UsageError(f"{store}: no such store")
    start, done = time.monotonic(), [0]

    def progress(n: int) -> None:
        done[0] += n
        if sys.stderr.isatty():
            sys.stderr.write(f"\rword pairs: {done[0]:,} documents indexed")

    with StoreDir(store) as st, st.writer_lock():
        st.refresh()
        n = pairs.build(st, progress=progress)
    sys.stderr.write(f"\rword-pair index: {n:,} documents indexed in {time.monotonic() - start:.0f} s; "
                     f"version {st.version} is fully covered\n")


PAIRS_TIP_DOCS = 100_000


def _pairs_tip(store: str) -> None:
    """Suggest the word-pair index when a large store lacks it (common-word pairs then cost several times more)."""
    from policypulse.corpus.store import Store as StoreDir
    from policypulse.query import pairs

    try:
        with StoreDir(store) as st:
            missing = st.count() >= PAIRS_TIP_DOCS and not pairs.covers(st)
    except Exception:  # noqa: BLE001 - only a tip: opening the store below says what is wrong with it
        return
    if missing:
        sys.stderr.write(f"tip: two-word queries count faster with the word-pair index: policypulse index-pairs {store}\n")
