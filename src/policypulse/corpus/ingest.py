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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
    lowered_keys,
    pick,
)
from policypulse.corpus.readers.jsonl import (
    JsonBlock,
    JsonLine,
    block_lines,
    parse_line,
    read_jsonl,
    read_jsonl_blocks,
)
from policypulse.corpus.schema import DOCUMENT_SCHEMA, PARQUET_OPTIONS, SCHEMA_VERSION, STORED_SCHEMA
from policypulse.corpus.store import Store, write_parquet_replace
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


_DATE_KEYS = frozenset(DATE_FIELDS)
# parse_date's answers by (value, date order, today): news corpora hold many documents a day, and a worker's
# chunk of about 600 records shares a few dates (measured: 8-12 us a record without it, about a tenth of
# converting one). Bounded: cleared when full, so an input of distinct timestamps costs one lookup more.
_DATE_CACHE: dict[tuple[str, str | None, dt.date], tuple[dt.date, str] | str] = {}
_DATE_CACHE_MAX = 4096


def _parse_date_cached(value: Any, date_order: str | None, today: dt.date) -> tuple[dt.date, str] | str:
    """parse_date's ``(date, precision)``, or the reason it refuses the value, memoised for string values."""
    if isinstance(value, str):
        key = (value, date_order, today)
        hit = _DATE_CACHE.get(key)
        if hit is not None:
            return hit
    try:
        hit = parse_date(value, date_order=date_order, today=today)
    except DateError as exc:
        hit = str(exc)
    if isinstance(value, str):
        if len(_DATE_CACHE) >= _DATE_CACHE_MAX:
            _DATE_CACHE.clear()
        _DATE_CACHE[key] = hit
    return hit


def to_document(raw: RawRecord, options: ReaderOptions, today: dt.date) -> dict[str, Any] | Rejection:
    """Validate and normalise one raw record into a document row, or say why it cannot be one."""
    data = raw.data
    lowered = lowered_keys(data)  # once per record, for the five fields picked
    text_key, text = pick(data, options.text_field, TEXT_FIELDS, lowered)
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
        date_key, value = pick(data, options.date_field, DATE_FIELDS, lowered)
        if value is None or (isinstance(value, str) and not value.strip()):
            if options.default_date is not None:
                date, precision, date_source = options.default_date, "day", "fallback"
            else:
                where = f"field {date_key!r} is empty" if date_key else (
                    f"no field {options.date_field or ', '.join(DATE_FIELDS[:6])}; map one with --date-field")
                return Rejection(raw.file, raw.record, f"missing date ({where})")
        else:
            parsed = _parse_date_cached(value, options.date_order, today)
            if isinstance(parsed, str):
                return Rejection(raw.file, raw.record, parsed)
            date, precision = parsed
            date_source = raw.date_source

    source_key, source = pick(data, options.source_field, SOURCE_FIELDS, lowered)
    if source is None or (isinstance(source, str) and not source.strip()):
        source = options.default_source or "unknown"
    elif isinstance(source, (dict, list)):
        return Rejection(raw.file, raw.record, f"source field {source_key!r} is {_describe_type(source)}, expected a string")
    source = clean_text(str(source)).strip()

    title_key, title = pick(data, options.title_field, TITLE_FIELDS, lowered)
    if title is not None and not isinstance(title, str):
        title = str(title) if isinstance(title, (int, float)) else None
    title = clean_text(title).strip() if title else None

    digest = hashlib.blake2b(f"{date.isoformat()}\x1f{source}\x1f{norm}".encode(), digest_size=16).hexdigest()
    id_key, doc_id = pick(data, options.id_field, ID_FIELDS, lowered)
    doc_id = str(doc_id) if isinstance(doc_id, (str, int)) and str(doc_id).strip() else digest[:16]

    used = {text_key, source_key, title_key, id_key, options.date_field}
    meta = dict(raw.meta)
    for key, value in data.items():
        if (key not in used and key not in _DATE_KEYS and isinstance(value, (str, int, float, bool))
                and len(str(value)) <= _META_MAX):
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
                defer_json: bool = False) -> Iterator[RawRecord | JsonLine | JsonBlock | Rejection]:
    """Every raw record or rejection of every input, in order (JSON Lines as unparsed blocks of lines with
    ``defer_json``)."""
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
                yield from read_jsonl_blocks(path)
            else:
                yield from reader(path, options)
        except UsageError:
            raise
        except OSError as exc:
            yield Rejection(str(path), 0, f"unreadable: {exc.strerror or exc}")


class _SegmentWriter:
    """Buffers converted documents (Arrow tables) and commits them as immutable segments, each one atomically."""

    def __init__(self, store: Store, ingest_id: str, batch_docs: int, batch_bytes: int,
                 signatures: bool = True, indexer: token_index.Builder | None = None, compressors: int = 1) -> None:
        self.store, self.ingest_id = store, ingest_id
        self.indexer = indexer
        self.signatures = signatures
        self.batch_docs, self.batch_bytes = batch_docs, batch_bytes
        self.parts: list[pa.Table] = []
        self.rows = 0
        self.bytes = 0
        # Two stages on threads, while the main thread goes on reading and collecting converted documents:
        # ``compressors`` threads encode and compress segments (Parquet's writer releases the GIL, so they run
        # on as many cores), one thread commits them in input order and feeds the token index.
        self._compress = ThreadPoolExecutor(max_workers=max(1, compressors), thread_name_prefix="policypulse-compress")
        self._writer_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policypulse-segments")
        self._in_flight = max(1, compressors)
        self._writes: list[Any] = []
        self._failed = False

    def add(self, table: pa.Table) -> None:
        """Buffer documents in input order; a segment closes at ``batch_docs`` documents or once its text and
        norm reach ``batch_bytes`` characters, whatever the size of the tables handed in."""
        n = table.num_rows
        if not n:
            return
        sizes = np.cumsum(pc.add(pc.utf8_length(table.column("text")), pc.utf8_length(table.column("norm")))
                          .to_numpy(zero_copy_only=False).astype(np.int64))
        start = 0
        while start < n:
            before = int(sizes[start - 1]) if start else 0
            room = min(self.batch_docs - self.rows, n - start)
            # the first row at which the segment's characters reach batch_bytes closes it, as one row at a time
            reach = int(np.searchsorted(self.bytes + sizes[start:start + room] - before, self.batch_bytes))
            take = min(room, reach + 1)
            self.parts.append(table.slice(start, take))
            self.rows += take
            self.bytes += int(sizes[start + take - 1]) - before
            start += take
            if self.rows >= self.batch_docs or self.bytes >= self.batch_bytes:
                self.flush()

    def close(self) -> None:
        """Stop the writing thread (after the segments handed to it)."""
        try:
            self.drain()
        finally:
            self._writer_pool.shutdown(wait=True)
            self._compress.shutdown(wait=True)

    def flush(self) -> None:
        """Hand the buffered documents to the writing thread as one segment (written in order)."""
        if not self.rows:
            return
        table = pa.concat_tables(self.parts)
        self.parts, self.rows, self.bytes = [], 0, 0
        # At most ``compressors`` segments are handed over and not yet committed: memory stays at a few batches.
        while len(self._writes) >= self._in_flight:
            self._writes.pop(0).result()
        name = f"seg-{uuid.uuid4().hex}.parquet"
        tmp = self.store.path / "segments" / (name + ".tmp")
        written = self._compress.submit(_write_segment_file, table.select(STORED_SCHEMA.names), tmp)
        self._writes.append(self._writer_pool.submit(self._commit, name, table, written))

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

    def _commit(self, name: str, table: pa.Table, written: Any) -> None:
        """Commit a segment once its file is written: rename, manifest, then the token index (in input order)."""
        if self._failed:
            return  # an earlier segment failed: commit nothing after it (the ingest is stopping)
        try:
            self._commit_now(name, table, written)
        except BaseException:
            self._failed = True
            raise

    def _commit_now(self, name: str, table: pa.Table, written: Any) -> None:
        written.result()  # the file is written and fsynced
        final = self.store.path / "segments" / name
        os.replace(final.with_name(name + ".tmp"), final)
        manifest = self.store.read_manifest()
        manifest.schema_version = SCHEMA_VERSION
        manifest.segments[name] = {"rows": table.num_rows, "ingest": self.ingest_id}
        if self.signatures:
            manifest.segments[name]["minhash"] = neardup.SCHEME
        manifest.pending.append(name)
        self.store.write_manifest(manifest)  # the commit point of this batch
        if self.indexer is not None:
            # norm is indexed, never stored: derived from the text (corpus/norms.py); listed as indexed only
            # after the version's commit
            self.indexer.add(name, table.column("norm"), meta=table.select(token_index.META_COLUMNS))


def _write_segment_file(table: pa.Table, path: Path) -> None:
    """Write a segment's Parquet file and fsync it (not yet visible: the caller renames it into place)."""
    # One chunk per column: written from the workers' chunks of ~600 documents as they are, the file came
    # out 1% larger (measured on a 9,274-document segment: 13.77 against 13.63 MB)
    table = table.combine_chunks()
    pq.write_table(table, path, row_group_size=ROW_GROUP, **PARQUET_OPTIONS)  # type: ignore[arg-type]
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class _SeenHashes:
    """The exact-duplicate keys seen so far (the store's and this ingest's), 16 bytes each.

    A Python set of the 32-character hex keys costs about 110 bytes a document (0.44 GB at 4M documents,
    the one thing in ingest that grew with the store); here the keys are 16-byte values in a few sorted numpy
    runs (merged as they grow, so there are at most about log2(N) of them), looked up with binary search.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    @staticmethod
    def keys(hashes: list[str]) -> np.ndarray:
        """The 16-byte keys of hex document hashes."""
        return np.frombuffer(bytes.fromhex("".join(hashes)), dtype="S16")

    def _add(self, keys: np.ndarray) -> None:
        self.runs.append(np.sort(keys))
        while len(self.runs) > 1 and len(self.runs[-1]) * 2 >= len(self.runs[-2]):
            last = self.runs.pop()
            self.runs[-1] = np.sort(np.concatenate([self.runs[-1], last]))

    def add_all(self, hashes: list[str]) -> None:
        """Remember keys (the store's documents)."""
        if hashes:
            self._add(self.keys(hashes))

    def first_seen(self, hashes: list[str]) -> np.ndarray:
        """Which of ``hashes`` (in order) are new, neither seen before nor earlier in the list; remembers them."""
        if not hashes:
            return np.zeros(0, dtype=bool)
        keys = self.keys(hashes)
        new = np.zeros(len(keys), dtype=bool)
        new[np.unique(keys, return_index=True)[1]] = True  # the first of equal keys in the list
        for run in self.runs:
            at = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            new &= run[at] != keys
        if new.any():
            self._add(keys[new])
        return new


def _known_hashes(store: Store) -> _SeenHashes:
    # The latest version's documents and a killed ingest's pending ones; not what `policypulse remove` took out.
    m = store.manifest
    seen = _SeenHashes()
    for name in dict.fromkeys((m.versions[-1]["segments"] if m.versions else []) + m.pending):
        col = pq.read_table(store.path / "segments" / name, columns=["hash"]).column("hash")
        seen.add_all(col.to_pylist())
    return seen


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
        write_parquet_replace(folded, store.path / dups, compression="zstd")
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


Item = RawRecord | JsonLine | JsonBlock | Rejection


def _convert_chunk(chunk: list[Item], options: ReaderOptions, today: dt.date, signatures: bool
                   ) -> tuple[pa.Table | None, list[Rejection], float]:
    """to_document over a chunk of records (in a worker process, or in this one for small inputs): the
    documents as one Arrow table in input order, with their MinHash signatures, the rejections in input
    order, and the CPU seconds it took."""
    import time

    cpu = time.process_time()
    docs: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    for item in chunk:
        for it in (block_lines(item) if isinstance(item, JsonBlock) else (item,)):
            if isinstance(it, JsonLine):
                it = parse_line(it.file, it.record, it.line, options)
            doc = it if isinstance(it, Rejection) else to_document(it, options, today)
            if isinstance(doc, Rejection):
                rejected.append(doc)
            else:
                docs.append(doc)
    table = None
    if docs:
        # Column by column: one list per column costs about a third of Table.from_pylist's per-row dict
        # lookups (measured: 0.13 against 0.35 CPU s for 20,000 documents; the same table)
        table = pa.Table.from_arrays(
            [pa.array([d[f.name] for d in docs], f.type) if f.name in docs[0] else pa.nulls(len(docs), f.type)
             for f in DOCUMENT_SCHEMA], schema=DOCUMENT_SCHEMA)
        if signatures:
            sigs = neardup.to_arrow(neardup.signatures(table.column("norm")))
            table = table.set_column(table.schema.get_field_index("minhash"), "minhash", sigs)
    return table, rejected, time.process_time() - cpu


def _chunks(items: Iterator[Item]) -> Iterator[list[Item]]:
    """Items in chunks of about _CHUNK_RECORDS records (a block of JSON lines is a chunk of its own)."""
    chunk: list[Item] = []
    for it in items:
        if isinstance(it, JsonBlock):
            if chunk:
                yield chunk
                chunk = []
            yield [it]
            continue
        chunk.append(it)
        if len(chunk) >= _CHUNK_RECORDS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _converted(items: Iterator[Item], options: ReaderOptions, today: dt.date, workers: int, signatures: bool,
               report: IngestReport) -> Iterator[tuple[pa.Table | None, list[Rejection]]]:
    """The documents (Arrow tables) and rejections of ``items``, chunk by chunk in input order.

    With several ``workers``, reading stays in this process (readers are generators over files; JSON Lines
    files are read as blocks of bytes) and the rest of a record's CPU, decoding, JSON parsing, cleaning,
    normalising, date parsing, hashing, signatures and building the Arrow columns, runs in worker processes.
    A bounded number of chunks is in flight, so memory does not grow with the input.
    """
    if workers <= 1:
        for part in _chunks(items):
            table, rejected, _ = _convert_chunk(part, options, today, signatures)
            yield table, rejected
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: the workers are not forks of a process that already runs threads (progress bar, writer).
    ctx = multiprocessing.get_context("forkserver")
    pending: deque[Any] = deque()
    chunks = _chunks(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        while True:
            chunk: list[Item] | None = next(chunks, None)
            if chunk is not None:
                pending.append(pool.submit(_convert_chunk, chunk, options, today, signatures))
            if pending and (len(pending) >= 3 * workers or chunk is None):
                table, rejected, cpu = pending.popleft().result()
                report.worker_cpu_s += cpu
                yield table, rejected
            elif chunk is None:
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
        n_workers = _workers(paths, workers)
        writer = _SegmentWriter(store, uuid.uuid4().hex[:12], batch_docs, batch_bytes, signatures=config.enabled,
                                indexer=indexer, compressors=n_workers)
        bar = _Progress(paths, enabled=progress)
        items = iter_inputs(paths or [Path("sotu")], fmt, options, defer_json=n_workers > 1)
        try:
            with bar:
                for table, rejected in _converted(items, options, today, n_workers, config.enabled, report):
                    report.rejected.extend(rejected)
                    if table is None:
                        continue
                    bar.advance(table.num_rows, int(pc.sum(pc.binary_length(table.column("text"))).as_py() or 0))
                    keep = seen.first_seen(table.column("hash").to_pylist())
                    fresh = int(keep.sum())
                    report.duplicates += len(keep) - fresh
                    report.accepted += fresh
                    writer.add(table if fresh == len(keep) else table.filter(pa.array(keep)))
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

    def advance(self, docs: int, nbytes: int) -> None:
        """Count ``docs`` more documents holding ``nbytes`` bytes of text."""
        before = self.docs
        self.docs += docs
        self.bytes += nbytes
        if self.enabled and self.docs // 200 != before // 200:
            elapsed = self._p.tasks[0].elapsed or 1e-9
            self._p.update(self._task, advance=self.bytes, docs=self.docs, rate=int(self.docs / elapsed))
            self.bytes = 0
