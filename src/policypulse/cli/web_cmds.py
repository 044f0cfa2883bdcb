"""Faces: the local dashboard."""

from __future__ import annotations

import sys
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
) -> None:
    """Serve the local web dashboard over a store (read-only)."""
    import uvicorn

    from policypulse.web.app import create_app, is_loopback

    if not is_loopback(host):
        if not token:
            raise UsageError(f"--host {host} exposes the dashboard beyond this machine: give --token SECRET too")
        sys.stderr.write(f"warning: serving on {host}, reachable from other machines; every request must "
                         "carry the token\n")
    app_ = create_app(store, token=token, allowed_hosts=[host])
    sys.stderr.write(f"policypulse dashboard on http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/"
                     + (f"?token={token}" if token else "") + "  (Ctrl-C to stop)\n")
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
