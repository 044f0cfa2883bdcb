"""The ingest pipeline: readers -> validated, normalised documents -> atomically committed segments."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from policypulse.corpus import index as token_index
from policypulse.corpus import integrity, neardup
from policypulse.corpus.dates import DateError, parse_date
from policypulse.corpus.readers import reader_for
from policypulse.corpus.readers.base import (
    DATE_FIELDS,
    ID_FIELDS,
    SOURCE_FIELDS,
    TEXT_FIELDS,
    TITLE_FIELDS,
    RawRecord,
    ReaderOptions,
    Rejection,
    pick,
)
from policypulse.corpus.readers.jsonl import JsonLine, parse_line, read_jsonl, read_jsonl_lines
from policypulse.corpus.schema import DOCUMENT_SCHEMA, PARQUET_OPTIONS, SCHEMA_VERSION, STORED_SCHEMA
from policypulse.corpus.store import Store
from policypulse.errors import UsageError
from policypulse.text import clean_text, normalise

BATCH_DOCS = 20_000
BATCH_BYTES = 64 * 1024 * 1024
# Documents per Parquet row group: small enough that showing a few documents (KWIC, the document page) or
# recomputing their norm (NEAR, prefixes) decodes about 3.5 MB of text per document asked for, large enough
# that the footer stays small (measured: 2048 -> 1024 documents costs 0.3% in size; 256 costs 4.5%).
ROW_GROUP = 1024
_META_MAX = 1000


@dataclass
class IngestReport:
    """What became of every input record: accepted, duplicate or rejected (with file, record, reason)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    version: int = 0
    store: str = ""
    # of the accepted: folded into a near-duplicate's representative (syndicated copies) or retweets;
    # they are stored and counted raw, and left out of deduplicated counts
    near_duplicates: int = 0
    retweets: int = 0
    # CPU seconds the worker processes spent converting records (benchmarks add it to this process's own)
    worker_cpu_s: float = 0.0
    new_version: bool = False  # False when the input held no document at all, so no version was written

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``--report`` JSON."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [{"file": r.file, "record": r.record, "reason": r.reason} for r in self.rejected],
            "version": self.version,
            "near_duplicates": self.near_duplicates,
            "retweets": self.retweets,
        }

    def summary(self) -> str:
        """A one-line summary for stderr."""
        folded = ""
        if self.near_duplicates or self.retweets:
            folded = f"; {self.near_duplicates} near-duplicates" + (
                f" and {self.retweets} retweets" if self.retweets else "") + " folded"
        if not self.new_version:
            return (f"no documents to ingest ({len(self.rejected)} rejected): {self.store} stays at version "
                    f"{self.version}, no new version written")
        return (
            f"ingested {self.accepted} documents ({self.duplicates} duplicates, {len(self.rejected)} rejected"
            f"{folded}) into {self.store}, now at version {self.version}"
        )


def _describe_type(value: Any) -> str:
    return {dict: "an object", list: "a list", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def to_document(raw: RawRecord, options: ReaderOptions, today: dt.date) -> dict[str, Any] | Rejection:
    """Validate and normalise one raw record into a document row, or say why it cannot be one."""
    data = raw.data
    text_key, text = pick(data, options.text_field, TEXT_FIELDS)
    if text is None and text_key in data:
        return Rejection(raw.file, raw.record, f"missing text (field {text_key!r} is null)")
    if text_key is None or text is None:
        tried = options.text_field or ", ".join(TEXT_FIELDS)
        return Rejection(raw.file, raw.record, f"missing text (no field {tried}; map one with --text-field)")
    if not isinstance(text, str):
        return Rejection(raw.file, raw.record, f"text field {text_key!r} is {_describe_type(text)}, expected a string")
    text = clean_text(text)
    if not text.strip():
        return Rejection(raw.file, raw.record, "empty text")
    norm, n_words = normalise(text)
    if n_words == 0:
        return Rejection(raw.file, raw.record, "text has no words (only punctuation or symbols)")

    if raw.date is not None:
        date, precision, date_source = raw.date, raw.date_precision or "day", raw.date_source
    else:
        date_key, value = pick(data, options.date_field, DATE_FIELDS)
        if value is None or (isinstance(value, str) and not value.strip()):
            if options.default_date is not None:
                date, precision, date_source = options.default_date, "day", "fallback"
            else:
                where = f"field {date_key!r} is empty" if date_key else (
                    f"no field {options.date_field or ', '.join(DATE_FIELDS[:6])}; map one with --date-field")
                return Rejection(raw.file, raw.record, f"missing date ({where})")
        else:
            try:
                date, precision = parse_date(value, date_order=options.date_order, today=today)
            except DateError as exc:
                return Rejection(raw.file, raw.record, str(exc))
            date_source = raw.date_source

    source_key, source = pick(data, options.source_field, SOURCE_FIELDS)
    if source is None or (isinstance(source, str) and not source.strip()):
        source = options.default_source or "unknown"
    elif isinstance(source, (dict, list)):
        return Rejection(raw.file, raw.record, f"source field {source_key!r} is {_describe_type(source)}, expected a string")
    source = clean_text(str(source)).strip()

    title_key, title = pick(data, options.title_field, TITLE_FIELDS)
    if title is not None and not isinstance(title, str):
        title = str(title) if isinstance(title, (int, float)) else None
    title = clean_text(title).strip() if title else None

    digest = hashlib.blake2b(f"{date.isoformat()}\x1f{source}\x1f{norm}".encode(), digest_size=16).hexdigest()
    id_key, doc_id = pick(data, options.id_field, ID_FIELDS)
    doc_id = str(doc_id) if isinstance(doc_id, (str, int)) and str(doc_id).strip() else digest[:16]

    used = {text_key, source_key, title_key, id_key, options.date_field}
    used.update(DATE_FIELDS)
    meta = dict(raw.meta)
    for key, value in data.items():
        if key not in used and isinstance(value, (str, int, float, bool)) and len(str(value)) <= _META_MAX:
            meta.setdefault(key, value)
    return {
        "doc_id": doc_id,
        "date": date,
        "date_precision": precision,
        "date_source": date_source,
        "source": source,
        "title": title,
        "text": text,
        "norm": norm,
        "n_words": n_words,
        "hash": digest,
        "origin_file": raw.file,
        "origin_record": raw.record,
        "meta": json.dumps(meta, ensure_ascii=False, default=str) if meta else None,
    }


def iter_inputs(paths: Iterable[str | Path], fmt: str, options: ReaderOptions,
                defer_json: bool = False) -> Iterator[RawRecord | JsonLine | Rejection]:
    """Every raw record or rejection of every input, in order (JSON Lines unparsed with ``defer_json``)."""
    for p in paths:
        path = Path(p)
        if fmt == "sotu":
            _, reader = reader_for("sotu", path)
            yield from reader(path, options)
            continue
        if not path.exists():
            yield Rejection(str(path), 0, "no such file or directory")
            continue
        try:
            _, reader = reader_for(fmt, path)
            if defer_json and reader is read_jsonl:
                yield from read_jsonl_lines(path)
            else:
                yield from reader(path, options)
        except UsageError:
            raise
        except OSError as exc:
            yield Rejection(str(path), 0, f"unreadable: {exc.strerror or exc}")


class _SegmentWriter:
    """Buffers documents and commits them as immutable segments, each one atomically."""

    def __init__(self, store: Store, ingest_id: str, batch_docs: int, batch_bytes: int,
                 signatures: bool = True, indexer: token_index.Builder | None = None) -> None:
        self.store, self.ingest_id = store, ingest_id
        self.indexer = indexer
        self.signatures = signatures
        self.batch_docs, self.batch_bytes = batch_docs, batch_bytes
        self.rows: list[dict[str, Any]] = []
        self.sigs: list[np.ndarray] = []  # signatures the worker processes computed, one per row
        self.bytes = 0
        # Near-duplicate signatures are computed a chunk at a time on a worker thread while the main thread
        # goes on parsing (pyarrow and numpy release the GIL): the cost mostly hides on a second core.
        self._pool: Any = None
        self._sig_jobs: list[Any] = []
        self._writer_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policypulse-segments")
        self._writes: list[Any] = []
        if signatures:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policypulse-minhash")

    def add(self, row: dict[str, Any], sig: np.ndarray | None = None) -> None:
        self.rows.append(row)
        self.bytes += len(row["text"]) + len(row["norm"])
        if sig is not None:
            self.sigs.append(sig)
        elif self._pool is not None and len(self.rows) % neardup.CHUNK_DOCS == 0:
            self._submit(len(self.rows) - neardup.CHUNK_DOCS)
        if len(self.rows) >= self.batch_docs or self.bytes >= self.batch_bytes:
            self.flush()

    def _submit(self, start: int) -> None:
        norms = [r["norm"] for r in self.rows[start : start + neardup.CHUNK_DOCS]]
        self._sig_jobs.append(self._pool.submit(neardup.signatures, norms))

    def close(self) -> None:
        """Stop the signature worker and the writing thread (after the segments handed to it)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            self.drain()
        finally:
            self._writer_pool.shutdown(wait=True)

    def flush(self) -> None:
        """Hand the buffered documents to the writing thread as one segment (written in order)."""
        if not self.rows:
            return
        table = pa.Table.from_pylist(self.rows, schema=DOCUMENT_SCHEMA)
        if self.signatures and len(self.sigs) == len(self.rows):
            sigs = neardup.to_arrow(np.stack(self.sigs))
            table = table.set_column(table.schema.get_field_index("minhash"), "minhash", sigs)
        elif self._pool is not None:
            done = len(self._sig_jobs) * neardup.CHUNK_DOCS
            if done < len(self.rows):
                self._submit(done)
            sigs = neardup.to_arrow(np.concatenate([job.result() for job in self._sig_jobs]))
            self._sig_jobs = []
            table = table.set_column(table.schema.get_field_index("minhash"), "minhash", sigs)
        self.sigs = []
        self.rows, self.bytes = [], 0
        # Compression (zstd, which releases the GIL), the fsync and the index's documents run on one thread
        # while this one goes on parsing: segments are still committed one at a time, in input order. At
        # most one segment waits, so memory stays at about two batches.
        while len(self._writes) >= 1:
            self._writes.pop(0).result()
        self._writes.append(self._writer_pool.submit(self._write, table))

    def drain(self) -> None:
        """Wait until every handed-over segment is committed (re-raising a failure of the writing thread)."""
        while self._writes:
            self._writes.pop(0).result()

    def abandon(self) -> None:
        """Wait for the writing thread to stop, ignoring its failures (the ingest is failing already)."""
        for job in self._writes:
            try:
                job.result()
            except BaseException:  # noqa: BLE001  (the error that stops the ingest is being raised)
                pass
        self._writes = []

    def _write(self, table: pa.Table) -> None:
        name = f"seg-{uuid.uuid4().hex}.parquet"
        final = self.store.path / "segments" / name
        tmp = final.with_name(name + ".tmp")
        norms = table.column("norm")  # indexed and hashed, never stored: derived from the text (corpus/norms.py)
        table = table.select(STORED_SCHEMA.names)
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, **PARQUET_OPTIONS)  # type: ignore[arg-type]
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        manifest = self.store.read_manifest()
        manifest.schema_version = SCHEMA_VERSION
        manifest.segments[name] = {"rows": table.num_rows, "ingest": self.ingest_id}
        if self.signatures:
            manifest.segments[name]["minhash"] = neardup.SCHEME
        manifest.pending.append(name)
        self.store.write_manifest(manifest)  # the commit point of this batch
        if self.indexer is not None:
            # listed as indexed only after the version's commit
            self.indexer.add(name, norms, meta=table.select(token_index.META_COLUMNS))


def _known_hashes(store: Store) -> set[str]:
    # The latest version's documents and a killed ingest's pending ones; not what `policypulse remove` took out.
    m = store.manifest
    hashes: set[str] = set()
    for name in dict.fromkeys((m.versions[-1]["segments"] if m.versions else []) + m.pending):
        col = pq.read_table(store.path / "segments" / name, columns=["hash"]).column("hash")
        hashes.update(col.to_pylist())
    return hashes


def _remove_orphans(store: Store) -> None:
    # Files a killed ingest wrote but never committed to the manifest: invisible to readers, safe to drop.
    listed = set(store.manifest.segments)
    for path in (store.path / "segments").iterdir():
        if path.name not in listed:
            path.unlink(missing_ok=True)
    named = {v["dups"] for v in store.manifest.versions if v.get("dups")}
    if (store.path / "dups").is_dir():
        for path in (store.path / "dups").iterdir():
            if f"dups/{path.name}" not in named:
                path.unlink(missing_ok=True)


def _fold_near_duplicates(store: Store, report: IngestReport, config: neardup.NearDupConfig) -> pa.Table | None:
    """Cluster this ingest's documents (the pending segments) against themselves and the store."""
    manifest = store.read_manifest()
    if not config.enabled or not manifest.pending:
        return None
    last = manifest.versions[-1] if manifest.versions else None
    stored = last["segments"] if last else []

    def with_sig(names: list[str]) -> list[tuple[str, bool]]:
        return [(s, manifest.segments[s].get("minhash") == neardup.SCHEME) for s in names]

    dups = store.path / last["dups"] if last and last.get("dups") else None
    stats = neardup.cluster(store.path / "segments", with_sig(manifest.pending), with_sig(stored),
                            str(dups) if dups else None, config)
    report.near_duplicates, report.retweets = stats.near_duplicates, stats.retweets
    if not stats.folded:
        return None
    new = neardup.folded_table(stats.folded)
    return pa.concat_tables([pq.read_table(dups), new]) if dups is not None else new


def write_totals(store: Store, version: int, segments: list[str]) -> None:
    """``totals/v{version}.parquet``: documents and words per day, precision, date origin and source."""
    import duckdb

    totals = store.path / "totals" / f"v{version}.parquet"
    files = [str(store.path / "segments" / s) for s in segments]
    tmp = totals.with_name(totals.name + ".tmp")
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT date, date_precision, date_source, source, count(*)::BIGINT AS docs, "
        f"sum(n_words)::BIGINT AS words FROM read_parquet({files!r}) GROUP BY ALL ORDER BY ALL) "
        f"TO '{tmp}' (FORMAT parquet)"
    )
    con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, totals)


def _finish_version(store: Store, report: IngestReport, inputs: list[str], folded: pa.Table | None = None,
                    config: neardup.NearDupConfig | None = None) -> int:
    manifest = store.read_manifest()
    manifest.schema_version = SCHEMA_VERSION
    previous = manifest.versions[-1]["segments"] if manifest.versions else []
    segments = previous + [s for s in manifest.pending if s not in previous]
    version = (manifest.versions[-1]["version"] if manifest.versions else 0) + 1
    if segments:
        write_totals(store, version, segments)
    dups = manifest.versions[-1].get("dups") if manifest.versions else None
    if folded is not None and folded.num_rows:
        (store.path / "dups").mkdir(exist_ok=True)
        dups = f"dups/v{version}.parquet"
        tmp = store.path / (dups + ".tmp")
        pq.write_table(folded, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, store.path / dups)
    entry: dict[str, Any] = {
        "version": version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "segments": segments,
        "documents": sum(manifest.segments[s]["rows"] for s in segments),
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": len(report.rejected),
        "inputs": inputs,
    }
    if dups:
        entry["dups"] = dups
        entry["folded"] = pq.read_metadata(store.path / dups).num_rows
    if config is not None:
        entry["neardup"] = config.describe() | {"near_duplicates": report.near_duplicates,
                                                "retweets": report.retweets}
    manifest.versions.append(entry)
    manifest.pending = []
    store.write_manifest(manifest)
    return version


# Inputs smaller than this are converted in the ingest's own process: starting workers costs more.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
_CHUNK_RECORDS = 1024


def _workers(paths: list[str | Path], wanted: int | None) -> int:
    """How many processes convert records: ``wanted``, else one per core (at most 4) for large inputs."""
    if wanted is not None:
        return max(1, wanted)
    return min(4, os.cpu_count() or 1) if input_bytes(paths) >= PARALLEL_MIN_BYTES else 1


def input_bytes(paths: list[str | Path]) -> int:
    """Bytes of the input files (folders summed over their files)."""
    size = 0
    for p in paths:
        path = Path(p)
        if path.is_file():
            size += path.stat().st_size
        elif path.is_dir():
            size += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return size


def _convert_chunk(chunk: list[RawRecord | JsonLine | Rejection], options: ReaderOptions, today: dt.date,
                   signatures: bool) -> tuple[list[dict[str, Any] | Rejection], np.ndarray | None, float]:
    """to_document over a chunk of records in a worker process, with the documents' MinHash signatures
    and the CPU seconds it took."""
    import time

    cpu = time.process_time()
    out: list[dict[str, Any] | Rejection] = []
    for it in chunk:
        if isinstance(it, JsonLine):
            it = parse_line(it.file, it.record, it.line, options)
        out.append(it if isinstance(it, Rejection) else to_document(it, options, today))
    sigs = None
    if signatures:
        sigs = neardup.signatures([d["norm"] for d in out if not isinstance(d, Rejection)])
    return out, sigs, time.process_time() - cpu


def _converted_in_parallel(items: Iterator[RawRecord | JsonLine | Rejection], options: ReaderOptions,
                           today: dt.date, workers: int, signatures: bool, report: IngestReport
                           ) -> Iterator[tuple[dict[str, Any] | Rejection, np.ndarray | None]]:
    """Documents (or rejections) of ``items`` in input order, each with its MinHash signature (or None),
    converted by ``workers`` processes.

    Reading stays in this process (readers are generators over files); JSON parsing, decoding, cleaning,
    normalising, date parsing, hashing and signatures, most of an ingest's CPU, run in the workers. A
    bounded number of chunks is in flight, so memory does not grow with the input.
    """
    import itertools
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: the workers are not forks of a process that already runs threads (progress bar, MinHash).
    ctx = multiprocessing.get_context("forkserver")
    pending: deque[Any] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        while True:
            chunk = list(itertools.islice(items, _CHUNK_RECORDS))
            if chunk:
                pending.append(pool.submit(_convert_chunk, chunk, options, today, signatures))
            if pending and (len(pending) >= 3 * workers or not chunk):
                docs, sigs, cpu = pending.popleft().result()
                report.worker_cpu_s += cpu
                i = 0
                for doc in docs:
                    if isinstance(doc, Rejection) or sigs is None:
                        yield doc, None
                    else:
                        yield doc, sigs[i]
                        i += 1
            elif not chunk:
                break


def ingest(
    store_path: str | Path,
    paths: list[str | Path],
    *,
    fmt: str = "auto",
    options: ReaderOptions | None = None,
    progress: bool = False,
    batch_docs: int = BATCH_DOCS,
    batch_bytes: int = BATCH_BYTES,
    today: dt.date | None = None,
    near_duplicates: neardup.NearDupConfig | None = None,
    build_index: bool = True,
    workers: int | None = None,
) -> IngestReport:
    """Ingest input files into a store (created if missing); returns what became of every record.

    Near-duplicates of this ingest's documents (syndicated copies, retweets) are clustered against each
    other and the store after the documents are written (``near_duplicates``; default settings when
    None, ``NearDupConfig(enabled=False)`` to skip): they stay in the store and are folded, not dropped.
    """
    options = options or ReaderOptions()
    config = near_duplicates or neardup.NearDupConfig()
    if fmt != "sotu" and not paths:
        raise UsageError("ingest needs at least one input PATH")
    if fmt != "auto":
        reader_for(fmt, Path())  # an unknown --format is a usage error before the store is touched
    today = today or dt.date.today()
    store = Store(store_path, create=True)
    report = IngestReport(store=str(store_path))
    inputs = [str(p) for p in paths] or ["sotu"]
    with store.writer_lock():
        store.refresh()
        _remove_orphans(store)
        token_index.remove_orphans(store)
        seen = _known_hashes(store)
        indexer = token_index.Builder(store) if build_index else None
        writer = _SegmentWriter(store, uuid.uuid4().hex[:12], batch_docs, batch_bytes, signatures=config.enabled,
                                indexer=indexer)
        bar = _Progress(paths, enabled=progress)
        n_workers = _workers(paths, workers)
        items = iter_inputs(paths or [Path("sotu")], fmt, options, defer_json=n_workers > 1)
        try:
            with bar:
                # Unparsed JsonLines come only with defer_json, that is with several workers: in the
                # serial branch every item is a RawRecord or a Rejection.
                converted = (_converted_in_parallel(items, options, today, n_workers, config.enabled, report)
                             if n_workers > 1 else
                             ((it if isinstance(it, Rejection) else to_document(cast(RawRecord, it), options, today),
                               None)
                              for it in items))
                for doc, sig in converted:
                    if isinstance(doc, Rejection):
                        report.rejected.append(doc)
                        continue
                    bar.advance(len(doc["text"]))
                    if doc["hash"] in seen:
                        report.duplicates += 1
                        continue
                    seen.add(doc["hash"])
                    writer.add(doc, sig)
                    report.accepted += 1
                writer.flush()
                writer.drain()
        except BaseException:
            writer.abandon()  # the writing thread uses the index's writer: stop it first
            if indexer is not None:
                indexer.abort()
            raise
        finally:
            writer.close()
        folded = _fold_near_duplicates(store, report, config)
        # An input with no documents at all (empty, or every record rejected) makes no version; one whose
        # documents are all stored already still does (DESIGN: each completed ingest makes a version).
        if store.read_manifest().pending or report.duplicates:
            report.version = _finish_version(store, report, inputs, folded, config if config.enabled else None)
            report.new_version = True
        else:
            report.version = store.refresh().version
        if indexer is not None:
            # After the version's commit: the version is readable (by scan) at once, and a killed index build
            # is finished by the next ingest or `policypulse index`, never half-used (corpus/index.py).
            indexer.close()
            update_index(store, progress=progress)  # segments of earlier, killed or --no-index ingests
    store.close()
    return report


def update_index(store: Store, *, progress: bool = False) -> int:
    """Bring the store's token index up to its latest version, with a progress bar on a terminal.

    The completed index is sealed: its files' checksums go into the manifest (corpus/integrity.py).
    """
    n = _update_index(store, progress)
    if (store.path / token_index.INDEX_DIR).is_dir():
        integrity.seal(store, "index", token_index.INDEX_DIR)
    return n


def _update_index(store: Store, progress: bool) -> int:
    todo = [s for s in store.version_info()["segments"] if s not in token_index.covered(store)]
    total = sum(store.manifest.segments[s]["rows"] for s in todo)
    if not total:
        return 0
    if not (progress and sys.stderr.isatty()):
        return token_index.update(store)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("docs"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("index", total=total)
        return token_index.update(store, progress=lambda n: bar.advance(task, n))


class _Progress:
    """A Rich progress bar with documents/s and bytes/s; silent when not writing to a terminal."""

    def __init__(self, paths: list[str | Path], enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.docs = 0
        self.bytes = 0
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        total = input_bytes(paths)
        self._p = Progress(TextColumn("ingest"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                           TextColumn("{task.fields[docs]} docs, {task.fields[rate]} docs/s"),
                           TimeRemainingColumn(), transient=True)
        self._task = self._p.add_task("ingest", total=total or None, docs=0, rate=0)

    def __enter__(self) -> _Progress:
        if self.enabled:
            self._p.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._p.__exit__(None, None, None)

    def advance(self, nbytes: int) -> None:
        self.docs += 1
        self.bytes += nbytes
        if self.enabled and self.docs % 200 == 0:
            elapsed = self._p.tasks[0].elapsed or 1e-9
            self._p.update(self._task, advance=self.bytes, docs=self.docs, rate=int(self.docs / elapsed))
            self.bytes = 0
