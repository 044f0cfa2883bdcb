"""Commands that find ideas without a watchlist: emerging, obituaries, successors, index-phrases."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from policypulse.cli import app
from policypulse.cli.options import (
    By,
    DateFrom,
    DateTo,
    Engine,
    Format,
    IdeasFile,
    Out,
    SparkMaster,
    Store,
    Version,
)
from policypulse.cli.output import emit

Limit = Annotated[int, typer.Option("--limit", help="At most N phrases.")]

EMERGING_TABLE = ["phrase", "score", "onset", "status", "explanation"]
OBITUARY_TABLE = ["phrase", "score", "evidence", "last_mention", "explanation"]
IncludeNames = Annotated[bool, typer.Option("--include-names", help="List people's names and groups of people "
                                            "too (kept apart from ideas by default).")]
SUCCESSOR_TABLE = ["phrase", "score", "handover", "context", "onset", "status", "explanation"]


def _progress(message: str) -> None:
    typer.echo(f"policypulse: {message}", err=True)


def _render(df: Any, format: str, out: str | None, table_columns: list[str], title: str) -> None:
    """Table: the main columns; CSV: every column, lists and dicts as JSON; JSON: the contract's objects."""
    prov = df.attrs.get("provenance")
    if format == "table" and not out:
        emit(df[[c for c in table_columns if c in df.columns]], "table", None, title=title)
        if df.empty:
            typer.echo("(nothing found)", err=True)
        return
    if format == "csv":
        flat = df.copy()
        for col in flat.columns:
            if flat[col].map(lambda v: isinstance(v, (list, tuple, dict))).any():
                flat[col] = flat[col].map(lambda v: json.dumps(_plain(v)) if isinstance(v, (list, tuple, dict)) else v)
        emit(flat, format, out, provenance=prov)
        return
    emit(df, format, out, title=title, provenance=prov)


def _plain(v: Any) -> Any:
    from policypulse.cli.output import jsonable

    return jsonable(v)


@app.command()
def emerging(
    store: Store,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    limit: Limit = 20,
    by: By = "month",
    min_docs: Annotated[int, typer.Option("--min-docs", help="Documents a phrase needs in the window.")] = 3,
    include_names: IncludeNames = False,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Phrases born in the window (default: the last 12 periods with documents), strongest burst first, with their lifecycle.

    A phrase is born where its use first rises, and stays, significantly above its own earlier rate;
    score = log2(burst ratio) x significance (-log10 p, gamma-Poisson) x (1/2 + cohesion). Only phrases a
    reader takes for ideas are listed: no salutations or sign-offs, nothing across a sentence end, no
    people's names (--include-names lists them)."""
    import policypulse
    from policypulse.discover import emerging as find

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        df = find(corpus, date_from=date_from, date_to=date_to, by=by, limit=limit, min_docs=min_docs,
                  include_names=include_names, progress=_progress)
    _render(df, format, out, EMERGING_TABLE, "emerging")


@app.command()
def obituaries(
    store: Store,
    ideas_file: IdeasFile = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Judge the corpus as it stood on this date.")] = None,
    limit: Limit = 20,
    by: By = "month",
    alpha: Annotated[float, typer.Option("--alpha", help="Level of the death test (and false discovery "
                                         "rate over all phrases).")] = 0.05,
    died_from: Annotated[str | None, typer.Option("--died-from", help="Only phrases last used on or after "
                                                  "this date.")] = None,
    died_to: Annotated[str | None, typer.Option("--died-to", help="Only phrases last used on or before "
                                                "this date.")] = None,
    min_docs: Annotated[int, typer.Option("--min-docs", help="Documents a phrase needs in all.")] = 5,
    include_names: IncludeNames = False,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Phrases (or the ideas of --ideas) declared dead, most notable first (peak volume x death probability)."""
    import policypulse
    from policypulse.discover import obituaries as find

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        df = find(corpus, ideas_file=ideas_file, as_of=as_of, by=by, limit=limit, alpha=alpha, died_from=died_from,
                  died_to=died_to, min_docs=min_docs, include_names=include_names, progress=_progress)
    _render(df, format, out, (["idea"] if "idea" in df.columns else []) + OBITUARY_TABLE, "obituaries")


@app.command()
def successors(
    store: Store,
    idea: Annotated[str, typer.Argument(help="The declining idea (a query, or a name in --ideas).")],
    ideas_file: Annotated[str | None, typer.Option("--ideas", help="An ideas file (YAML): candidates are its "
                                                   "other ideas.")] = None,
    limit: Limit = 10,
    by: By = "month",
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Phrases born in the idea's decline that take over its attention (hand-over) and its words (context)."""
    import policypulse
    from policypulse.discover import successors as find

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        df = find(corpus, idea, ideas_file=ideas_file, by=by, limit=limit, progress=_progress)
    if format == "table" and not out:
        old = df.attrs.get("old", {})
        decline = df.attrs.get("provenance", {}).get("parameters", {}).get("decline")
        typer.echo(f"{idea}: {old.get('status')}, peak {old.get('peak')}, last mention {old.get('last_mention')}; "
                   f"candidates born {decline[0]} .. {decline[1]}" if decline else idea, err=True)
    _render(df, format, out, SUCCESSOR_TABLE, "successors")


@app.command("index-phrases")
def index_phrases_cmd(
    store: Store,
    workers: Annotated[int | None, typer.Option("--workers", help="Processes counting segments "
                                                "(default: up to 2).")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Count every segment again.")] = False,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Build the phrase statistics (1- to 4-word phrases per month) that emerging, obituaries and
    successors read; otherwise they are built on first use. Only segments added since are counted.
    --engine spark counts the segments on Spark (the same statistics; see docs/scaling.md)."""
    from policypulse.corpus.store import Store as StoreDir
    from policypulse.discover import index_phrases
    from policypulse.errors import UsageError

    if engine not in ("duckdb", "spark"):
        raise UsageError(f"unknown --engine {engine!r}; choose duckdb or spark")
    progress = _progress if format == "table" and not out else None
    with StoreDir(store) as st:
        if engine == "spark":
            from policypulse.discover.spark_phrases import index_phrases_spark

            report = index_phrases_spark(st, version, master=spark_master, force=rebuild, progress=progress)
        else:
            report = index_phrases(st, version, workers=workers, force=rebuild, progress=progress)
    emit([report.to_dict()], format, out, title="phrase statistics")
