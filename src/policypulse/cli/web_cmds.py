"""Faces: the local dashboard."""

from __future__ import annotations

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
) -> None:
    """Serve the local web dashboard over a store (read-only)."""
    import uvicorn

    from policypulse.web.app import create_app, is_loopback

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
    app_ = create_app(store, token=token, allowed_hosts=names)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    sys.stderr.write(f"policypulse dashboard on http://{shown}:{port}/"
                     + (f"?token={quote(token, safe='')}" if token else "") + "  (Ctrl-C to stop)\n")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


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
