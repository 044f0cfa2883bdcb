"""Commands that count ideas: track and kwic."""

from __future__ import annotations

from typing import Annotated

import typer

from policypulse.cli import app
from policypulse.cli.options import By, DateFrom, DateTo, Engine, Format, IdeasFile, Out, SparkMaster, Store, Version
from policypulse.cli.output import emit

TRACK_COLUMNS = ["idea", "period", "docs", "mentions", "total_docs", "rate"]


@app.command()
def track(
    store: Store,
    ideas: Annotated[list[str] | None, typer.Argument(help="Ideas (queries); each is its own alias.")] = None,
    ideas_file: IdeasFile = None,
    by: By = "month",
    per: Annotated[str, typer.Option("--per", help="docs (share of documents) or words (mentions per "
                                     "million words).")] = "docs",
    sources: Annotated[bool, typer.Option("--source", help="Break counts down by source.")] = False,
    smooth: Annotated[int, typer.Option("--smooth", help="Centred moving average over N periods.")] = 0,
    wide: Annotated[bool, typer.Option("--wide", help="A row per period, a column per idea.")] = False,
    include_fallback: Annotated[bool, typer.Option("--include-fallback", help="Count documents whose date "
                                                   "is a fallback.")] = False,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    raw: Annotated[bool, typer.Option("--raw", help="Count every stored copy: near-duplicates (syndicated "
                                      "copies) and retweets are not folded into one.")] = False,
    with_raw: Annotated[bool, typer.Option("--with-raw", help="Add docs_raw, mentions_raw and total_docs_raw "
                                           "columns (raw beside deduplicated).")] = False,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Documents and mentions per period, normalised by corpus volume, zeros and coverage gaps included.

    Near-duplicates found at ingest count once unless --raw."""
    import policypulse
    from policypulse import timeline

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        df = corpus.track(ideas, ideas_file=ideas_file, by=by, per=per, by_source=sources, smooth=smooth,
                          include_fallback=include_fallback, date_from=date_from, date_to=date_to, raw=raw,
                          with_raw=with_raw)
    prov = df.attrs.get("provenance")
    if wide:
        df = timeline.wide(df)
    else:
        extra = [c for c in df.columns if c not in TRACK_COLUMNS]
        # The contract's six columns come first, in order; source and the rest follow.
        df = df[TRACK_COLUMNS + extra]
    if format == "table" and not out and not wide:
        df = df[df["docs"] > 0] if len(df) > 200 else df
    emit(df, format, out, title="track", provenance=prov)


@app.command()
def kwic(
    store: Store,
    idea: Annotated[str, typer.Argument(help="The idea (a query).")],
    limit: Annotated[int, typer.Option("--limit", help="At most N lines.")] = 20,
    width: Annotated[int, typer.Option("--width", help="Characters of context on each side.")] = 60,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Keyword in context: what was counted, with document id, date and source."""
    import policypulse

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        df = corpus.kwic(idea, limit=limit, width=width, date_from=date_from, date_to=date_to)
    emit(df, format, out, title=f"kwic: {idea}", provenance=df.attrs.get("provenance"))
