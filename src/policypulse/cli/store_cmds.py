"""Commands that look after a store: remove documents, check every file, repair derived files."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from policypulse.cli import app
from policypulse.cli.options import Format, Out, Store
from policypulse.cli.output import emit
from policypulse.errors import StoreDamagedError, UsageError


@app.command()
def remove(
    store: Store,
    ids: Annotated[str | None, typer.Option("--ids", help="A file of document ids to remove, one per line.")] = None,
    where: Annotated[str | None, typer.Option("--where", help="Remove the documents this selects, e.g. "
                                              "\"date < 1800-01-01\" or \"source = 'wire' AND date >= "
                                              "2014-01-01\" (fields: date, source, doc_id, date_precision, "
                                              "date_source, origin_file, title).")] = None,
    format: Format = "table",
) -> None:
    """Write a new store version without some documents (older versions are kept as they were)."""
    from policypulse.corpus.maintenance import read_ids
    from policypulse.corpus.maintenance import remove as run_remove

    if (ids is None) == (where is None):
        raise UsageError("remove needs exactly one of --ids FILE or --where EXPR")
    report = run_remove(store, ids=read_ids(ids) if ids is not None else None, where=where)
    if format == "json":
        emit(report.to_dict(), format, None)
    elif format in ("table", "csv"):
        sys.stderr.write(report.summary() + "\n")
        if report.ids_not_found:
            shown = ", ".join(report.ids_not_found[:10])
            more = f" and {len(report.ids_not_found) - 10} more" if len(report.ids_not_found) > 10 else ""
            sys.stderr.write(f"ids not in version {report.previous_version}: {shown}{more}\n")
    else:
        raise UsageError(f"unknown --format {format!r}; choose one of table, csv, json")


@app.command()
def check(store: Store, format: Format = "table", out: Out = None) -> None:
    """Verify every file of the store against the checksums in its manifest."""
    from policypulse.corpus.maintenance import check as run_check

    report = run_check(store)
    if format != "table":
        emit(report.to_dict(), format, out)
    else:
        for rel, kind, what in report.damaged:
            sys.stderr.write(f"damaged ({kind}): {rel} {what}\n")
        if report.unrecorded:
            sys.stderr.write(f"{len(report.unrecorded)} files have no checksum (written before checksums were "
                             f"kept); `policypulse repair {store}` records them\n")
        if report.unsealed:
            sys.stderr.write(f"the token index is not complete (an index build did not finish); queries scan "
                             f"instead; `policypulse repair {store}` rebuilds it\n")
        if report.ok:
            sys.stderr.write(f"{store}: {report.files} files ({report.bytes / 1e6:,.1f} MB) match their "
                             f"checksums; version {report.version}\n")
    if not report.ok:
        first = report.damaged[0]
        raise StoreDamagedError(f"{store}: store damaged: {first[0]} {first[2]}"
                                f"{f' (and {len(report.damaged) - 1} more files)' if len(report.damaged) > 1 else ''}"
                                f"; run `policypulse repair {store}`")


@app.command()
def repair(store: Store, format: Format = "table") -> None:
    """Rebuild damaged or missing derived files (index, statistics) from the documents."""
    from policypulse.corpus.maintenance import repair as run_repair

    report = run_repair(store)
    if format == "json":
        emit(report.to_dict(), format, None)
        return
    done = ", ".join(report.rebuilt) if report.rebuilt else "nothing needed rebuilding"
    recorded = f"; checksums recorded for {report.recorded} older files" if report.recorded else ""
    sys.stderr.write(f"{store}: {report.checked} files checked; rebuilt: {done}{recorded}\n")
