"""Commands about precedents: precedents and index-passages."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from policypulse.cli import app
from policypulse.cli.options import Format, Out, Store, Version
from policypulse.cli.output import emit
from policypulse.errors import UsageError

SHOW = ("results", "timeline", "episodes")
DENSE: dict[str, bool | str] = {"auto": "auto", "on": True, "off": False}


def _read_text(text: str) -> str:
    """TEXT itself, or standard input for "-", or a file's content for "@FILE"."""
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@") and len(text) > 1:
        try:
            return Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the description from {text[1:]}: {getattr(exc, 'strerror', exc)}") from None
    return text


@app.command()
def precedents(
    store: Store,
    text: Annotated[str, typer.Argument(help='The "new" initiative in words; "-" reads it from standard input, '
                                        '"@FILE" from a file.')],
    before: Annotated[str | None, typer.Option("--before", help="Only documents dated before DATE "
                                               "(YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most N documents.")] = 10,
    dense: Annotated[str, typer.Option("--dense", help="Fuse with sentence embeddings: auto (when the store "
                                       "has them and the model is installed), on or off.")] = "auto",
    show: Annotated[str, typer.Option("--show", help="results (ranked documents), timeline (strong matches "
                                      "per year) or episodes (re-announcements).")] = "results",
    plot: Annotated[str | None, typer.Option("--plot", help="Save a chart of strong matches per year to "
                                             "FILE (PNG or SVG).")] = None,
    format: Format = "table",
    out: Out = None,
    version: Version = None,
) -> None:
    """Earlier passages describing the same thing as TEXT, best first, with the earliest strong match and
    a timeline of how often it was described (re-announcements)."""
    import policypulse

    if dense not in DENSE:
        raise UsageError(f"unknown --dense {dense!r}; choose auto, on or off")
    if show not in SHOW:
        raise UsageError(f"unknown --show {show!r}; choose one of {', '.join(SHOW)}")
    description = _read_text(text)
    from policypulse.precedents import find_precedents

    with policypulse.open(store, version=version) as corpus:
        result = find_precedents(corpus, description, before=before, limit=limit, dense=DENSE[dense])
    if plot:
        if Path(plot).suffix.lower() not in (".png", ".svg"):
            raise UsageError(f"--plot must name a .png or .svg file, got {plot}")
        result.plot(plot)
    prov = result.provenance
    if show == "timeline":
        emit(result.timeline, format, out, title="strong matches per year", provenance=prov)
        return
    if show == "episodes":
        emit(result.episodes, format, out, title="episodes (re-announcements)", provenance=prov)
        return
    if format == "table" and not out:
        frame = result.results[["date", "source", "doc_id", "score", "strength", "snippet"]].copy()
        frame["snippet"] = [s if len(s) <= 110 else s[:107] + "..." for s in frame["snippet"]]
        emit(frame, "table", None, title="precedents")
        typer.echo(result.summary)
        return
    emit(result.records(), format, out, provenance=prov)


@app.command("index-passages")
def index_passages(
    store: Store,
    dense: Annotated[bool, typer.Option("--dense", help="Also store sentence embeddings of every passage "
                                        "(needs the optional all-MiniLM-L6-v2 model; slow on large stores).")]
    = False,
    format: Format = "table",
    out: Out = None,
    version: Version = None,
) -> None:
    """Build or bring up to date the store's passage index (precedents does this itself when needed)."""
    import policypulse
    from policypulse.precedents import build_index

    def progress(stage: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{stage}: {done}/{total} segments" + ("\n" if done == total else ""))
            sys.stderr.flush()

    with policypulse.open(store, version=version) as corpus:
        info = build_index(corpus, dense=dense, progress=progress)
    emit(info, format, out, title="passage index")
