"""Commands about the corpus itself: ingest, stats, demo."""

from __future__ import annotations

import datetime as dt
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from policypulse.cli import app
from policypulse.cli.options import By, Format, Out, Store
from policypulse.cli.output import emit, render_table
from policypulse.errors import UsageError


@app.command()
def ingest(
    store: Store,
    paths: Annotated[list[str] | None, typer.Argument(help="Input files or folders.")] = None,
    format: Annotated[str, typer.Option("--format", help="Input format: auto (by content), jsonl, json, csv, "
                                        "parquet, textdir, sotu, nexis, factiva, mediacloud, gdelt, twitter, "
                                        "bluesky, hansard, zip.")] = "auto",
    date_field: Annotated[str | None, typer.Option("--date-field")] = None,
    text_field: Annotated[str | None, typer.Option("--text-field")] = None,
    source_field: Annotated[str | None, typer.Option("--source-field")] = None,
    id_field: Annotated[str | None, typer.Option("--id-field")] = None,
    title_field: Annotated[str | None, typer.Option("--title-field")] = None,
    date_order: Annotated[str | None, typer.Option("--date-order", help="DMY or MDY for dates like 03/04/2014.")] = None,
    default_date: Annotated[str | None, typer.Option("--default-date", help="Date for records without one "
                                                     "(marked as a fallback date).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source name for records without one.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Write the ingest report (JSON) here.")] = None,
    near_dups: Annotated[bool, typer.Option("--near-dups/--no-near-dups", help="Fold near-duplicates "
                                            "(syndicated copies) into one representative.")] = True,
    dup_threshold: Annotated[float, typer.Option("--dup-threshold", help="Jaccard similarity (word 5-grams) "
                                                 "at which two documents are copies.")] = 0.5,
    dup_window: Annotated[int, typer.Option("--dup-window", help="Only documents dated within this many days "
                                            "of each other are compared.")] = 3,
    dup_scope: Annotated[str, typer.Option("--dup-scope", help="all: copies across sources (syndication); "
                                           "source: only within one source (updated articles).")] = "all",
    dup_min_words: Annotated[int, typer.Option("--dup-min-words", help="Documents shorter than this are never "
                                               "near-duplicates (exact copies still are).")] = 20,
    build_index: Annotated[bool, typer.Option("--index/--no-index", help="Build the token index that makes "
                                              "track fast (policypulse index STORE builds it later).")] = True,
) -> None:
    """Ingest dated documents into a store (created if missing)."""
    from policypulse.corpus.ingest import ingest as run_ingest
    from policypulse.corpus.neardup import NearDupConfig
    from policypulse.corpus.readers import ReaderOptions

    if date_order is not None and date_order.upper() not in ("DMY", "MDY"):
        raise UsageError(f"--date-order must be DMY or MDY, got {date_order!r}")
    fallback = None
    if default_date:
        try:
            fallback = dt.date.fromisoformat(default_date)
        except ValueError:
            raise UsageError(f"--default-date must be YYYY-MM-DD, got {default_date!r}") from None
    options = ReaderOptions(date_field=date_field, text_field=text_field, source_field=source_field,
                            id_field=id_field, title_field=title_field,
                            date_order=date_order.upper() if date_order else None,
                            default_date=fallback, default_source=source)
    if format != "sotu" and not paths:
        raise UsageError("ingest needs at least one input PATH (or --format sotu)")
    missing = [p for p in paths or [] if not Path(p).exists()]
    if missing and len(missing) == len(paths or []):
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    try:
        config = NearDupConfig(enabled=near_dups, threshold=dup_threshold, window_days=dup_window, scope=dup_scope,
                               min_words=dup_min_words)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result = run_ingest(store, list(paths or []), fmt=format, options=options, progress=True,
                        near_duplicates=config, build_index=build_index)
    if report:
        Path(report).write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for rej in result.rejected[:5]:
        sys.stderr.write(f"rejected {rej.file}:{rej.record}: {rej.reason}\n")
    if len(result.rejected) > 5:
        sys.stderr.write(f"... and {len(result.rejected) - 5} more rejected (see --report)\n")
    sys.stderr.write(result.summary() + "\n")


@app.command()
def stats(store: Store, by: By = "year", format: Format = "table", out: Out = None) -> None:
    """Documents and words per period and per source, date quality, and coverage gaps."""
    import policypulse

    with policypulse.open(store) as corpus:
        s = corpus.stats(by=by)
    if format == "table" and not out:
        print(f"store version {s['store_version']}: {s['documents']} documents, {s['words']} words, "
              f"{s['sources']} sources, {s['first_date']} to {s['last_date']}")
        f = s["folded"]
        print(f"near-duplicates folded: {f['near_duplicates']}" + (f", retweets folded: {f['retweets']}"
              if f["retweets"] else "") + f"; {f['documents_deduplicated']} documents after deduplication "
              "(counts are deduplicated unless --raw)")
        render_table(s["per_source"], title="per source")
        render_table(s["date_quality"], title="date precision and origin")
        render_table(s["per_period"], title=f"per {by}")
        gaps = s["coverage_gaps"]
        print(f"coverage gaps (no documents at all): {len(gaps)}" + (f": {', '.join(gaps[:20])}" if gaps else ""))
        return
    if format == "csv":
        emit(s["per_period"], format, out)
    else:
        emit(s, format, out)


@app.command("index")
def index_cmd(store: Store) -> None:
    """Build or complete the token index of a store (ingest builds it unless --no-index)."""
    from policypulse.corpus.ingest import update_index
    from policypulse.corpus.store import Store as StoreDir

    if not Path(store).is_dir():
        raise UsageError(f"{store}: no such store")
    with StoreDir(store) as st, st.writer_lock():
        st.refresh()
        n = update_index(st, progress=True)
    sys.stderr.write(f"token index: {n} documents indexed; version {st.version} is fully indexed\n")


def demo_store_default() -> str:
    """Where `policypulse demo` puts its store when none is given."""
    return "policypulse-demo"


@app.command()
def demo(store: Annotated[str | None, typer.Argument(help="Store directory (default ./policypulse-demo).")] = None
         ) -> None:
    """Ingest the bundled State of the Union corpus and take a short tour."""
    import policypulse
    from policypulse.corpus.ingest import ingest as run_ingest

    target = store or demo_store_default()
    result = run_ingest(target, [], fmt="sotu", progress=True)
    sys.stderr.write(result.summary() + "\n")
    watchlist = resources.files("policypulse") / "data" / "sotu-watchlist.yaml"
    with policypulse.open(target) as corpus, resources.as_file(watchlist) as wl:
        s = corpus.stats(by="year")
        print(f"\nCorpus: {s['documents']} State of the Union addresses, {s['words']:,} words, "
              f"{s['first_date']} to {s['last_date']}; {len(s['coverage_gaps'])} years without an address.")
        track = corpus.track(ideas_file=wl, by="year")
        table = (track[track["docs"] > 0].groupby("idea", sort=False)
                 .agg(addresses=("docs", "sum"), mentions=("mentions", "sum"),
                      first=("period", "min"), last=("period", "max")).reset_index())
        table["first"] = table["first"].dt.year
        table["last"] = table["last"].dt.year
        render_table(table, title="Watchlist: addresses mentioning each idea")
        _demo_more(corpus, target, wl_path=str(wl))


def _demo_more(corpus: object, target: str, wl_path: str) -> None:
    """The lifecycle table, figures and the HTML report for the watchlist."""
    import matplotlib

    matplotlib.use("Agg")
    from policypulse.cli.lifecycle_cmds import _render
    from policypulse.query.ideas import load_ideas
    from policypulse.report.html import write_report

    ideas = load_ideas(wl_path)
    result = corpus.lifecycle(ideas, by="year")  # type: ignore[attr-defined]
    _render(result, "table", None)
    from policypulse.report.figures import figure_bytes

    figures = Path(target) / "figures"
    figures.mkdir(exist_ok=True)
    # The same figures as the dashboard's exports: stated measure, no smoothing, verdict, white background.
    track = corpus.track(ideas, by="year")  # type: ignore[attr-defined]
    label = f"{Path(target).resolve().name} (version {corpus.version})"  # type: ignore[attr-defined]
    for lc, d in zip(result, result.to_dicts()):
        rows = track[track["idea"] == lc.idea]
        (figures / f"{lc.idea.lower().replace(' ', '-')}.png").write_bytes(
            figure_bytes(rows, [d], by="year", measure="share", smooth=1, fmt="png", corpus_label=label))
    (figures / "compare.png").write_bytes(
        figure_bytes(track, [], by="year", measure="share", smooth=1, fmt="png", corpus_label=label))
    report_path = write_report(corpus, ideas, Path(target) / "report.html", by="year")  # type: ignore[arg-type]
    # What the dashboard's discovery pages read (the dashboard only reads the store, it never builds them).
    from policypulse.corpus.store import Store as StoreDir
    from policypulse.discover import index_phrases
    from policypulse.precedents import build_index

    sys.stderr.write("building the phrase statistics and the passage index for the discovery pages...\n")
    with StoreDir(target) as st:
        index_phrases(st)
    build_index(corpus)  # type: ignore[arg-type]
    print(f"\nFigures: {figures}/  Report: {report_path}\n"
          f"Next: policypulse serve {target}   (the dashboard on http://127.0.0.1:8000/)")
