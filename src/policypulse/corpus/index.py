"""The store's token index: tantivy over every document's normalised token string, for fast exact counting.

The index splits ``norm`` on whitespace only, so its terms are exactly the tokens of the matching rule
(hashtags included: tantivy's default tokenizer would drop the ``#``) and a phrase query over it finds
exactly the documents whose ``norm`` holds the phrase pattern. The index keeps positions, not the text: the
few queries whose mentions tantivy cannot give (NEAR, prefixes, ambiguous scores) recompute ``norm`` from
the stored text of their candidate documents (corpus/norms.py). See docs/architecture.md, decisions 8 and 10.

Layout::

    STORE/index/tantivy/NNN/        tantivy index shards (fields norm, seg, row), each of about SHARD_BYTES
                                    of normalised text; a store segment's documents sit in one shard
    STORE/index/meta/SEGMENT.npz    the segment's per-document arrays the engine counts with (day, date
                                    precision, fallback date, source, words, long norm): read in
                                    milliseconds where the Parquet columns take about 0.4 s per million
    STORE/index/covered.json        the segments the index holds completely, the shards, and the segments
                                    added to a shard but not yet listed; replaced atomically

Shards keep the memory of building the index flat in corpus size: tantivy merges its own segments as they
accumulate (tantivy-py exposes no merge policy), and a merge of the large segments of a whole 1M-document
corpus mapped about 420 MB more of index files into the ingest process than a quarter of it did. A shard
closes once it holds SHARD_BYTES of text, so no merge ever spans more than one shard's worth, at any corpus
size. A query searches every shard (docs/architecture.md, decision 8).

Segments are immutable, so a segment is indexed once: it is recorded as pending in its shard, its documents
are added and committed, and only then is it listed in ``covered.json``. A build that starts deletes the
documents of every pending segment from its shard first (what a killed run committed of it), and readers
use the index for a version only when every segment of the version is listed, and ignore documents of any
other segment, so a half-built index never changes a count.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policypulse.corpus import integrity
from policypulse.corpus import norms as norms_mod
from policypulse.corpus.store import Store, atomic_write_bytes

INDEX_DIR = "index"
TOKENIZER = "policypulse-ws"
FORMAT = 5  # bump when the index layout changes: an index of another format is rebuilt (5: no norm copies)
# tantivy drops terms longer than this (bytes); a query naming such a token must scan instead.
MAX_TERM_BYTES = 65_000
WRITER_HEAP = 256_000_000
COMMIT_DOCS = 100_000
# Normalised text per shard: about 280,000 news-length documents, which tantivy holds in fewer segments
# (about 57,000 documents each with WRITER_HEAP) than the eight its merge policy waits for.
SHARD_BYTES = 1_000_000_000


def segment_key(name: str) -> int:
    """A stable, positive 62-bit number naming a store segment inside the index."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 2


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("norm", stored=False, tokenizer_name=TOKENIZER, index_option="position")
    sb.add_integer_field("seg", stored=False, indexed=True, fast=True)
    sb.add_integer_field("row", stored=False, indexed=False, fast=True)
    return sb.build()


def _register(index: Any) -> Any:
    import tantivy

    index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def _covered_path(store: Store) -> Path:
    return store.path / INDEX_DIR / "covered.json"


def _state(store: Store) -> dict[str, Any]:
    """``covered.json``: ``segments`` listed, ``shards`` (name, bytes) in order, ``pending`` (segment, shard)."""
    try:
        body = json.loads(_covered_path(store).read_bytes())
    except (OSError, ValueError):
        body = {}
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        body = {}
    return {"format": FORMAT, "segments": list(body.get("segments", [])),
            "shards": [list(x) for x in body.get("shards", [])], "pending": [list(x) for x in body.get("pending", [])]}


def _write_state(store: Store, state: dict[str, Any]) -> None:
    atomic_write_bytes(_covered_path(store), json.dumps(state).encode())


def covered(store: Store) -> set[str]:
    """Store segments the index holds completely (empty when there is no index)."""
    return set(_state(store)["segments"])


def covers(store: Store, version: int | None = None) -> bool:
    """Whether the index holds every document of a version."""
    segments = store.version_info(version)["segments"]
    return bool(segments) and set(segments) <= covered(store)


class Shards:
    """The index's shards opened for reading: one searcher each, searched in turn."""

    def __init__(self, indexes: list[Any]) -> None:
        self.indexes = indexes
        self.schema = indexes[0].schema
        self.searchers = [ix.searcher() for ix in indexes]

    @property
    def num_docs(self) -> int:
        """Documents in all shards."""
        return sum(s.num_docs for s in self.searchers)

    def doc_freq(self, term: str) -> int:
        """Documents holding a token, over all shards."""
        return sum(s.doc_freq("norm", term) for s in self.searchers)

    def hits(self, query: Any, bound: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(seg, row)`` of every document the query matches; ``bound`` is an upper bound on their number."""
        segs, rows = [], []
        for searcher in self.searchers:
            # tantivy returns hits only up to a limit: an upper bound collects them all in one search,
            # else a first search counts them.
            n = bound if bound is not None else searcher.search(query, 1, count=True).count
            found = _search(searcher, query, n)
            if found is not None:
                segs.append(found[0])
                rows.append(found[1])
        if not segs:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if len(segs) == 1:
            return segs[0], rows[0]
        return np.concatenate(segs), np.concatenate(rows)

    def scored_hits(self, query: Any, terms: list[str], convert: Callable[[Any, Any, int], Any] | None = None
                    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]]:
        """Per shard with hits of a phrase of ``terms``: ``(seg, row, BM25 score, explanation of the first hit)``;
        ``convert(searcher, query, limit)`` turns one shard's hits into arrays (default ``_search``)."""
        convert = convert or _search
        # the phrase's rarest term bounds its hits in a shard; a shard without one is not searched
        plans = [(searcher, min(searcher.doc_freq("norm", t) for t in terms)) for searcher in self.searchers]
        plans = [(searcher, bound) for searcher, bound in plans if bound]

        def search(plan: tuple[Any, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]] | None:
            found = convert(plan[0], query, plan[1])
            if found is None:
                return None
            segs, rows, scores, first = found
            return segs, rows, scores, json.loads(query.explain(plan[0], first).to_json())

        # tantivy releases the GIL while it searches: shards whose terms are frequent enough for the phrase
        # to cost milliseconds are searched on all cores at once (below that, a thread costs more than it saves)
        if len(plans) > 1 and sum(bound for _, bound in plans) >= PARALLEL_MIN_BOUND:
            found = list(_pool().map(search, plans))
        else:
            found = [search(plan) for plan in plans]
        return [f for f in found if f is not None]


def _search(searcher: Any, query: Any, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any] | None:
    """``(seg, row, score, address of the first hit)`` of up to ``limit`` hits in one shard; None without any."""
    if limit == 0:
        return None
    found = searcher.search(query, limit, count=False).hits
    if not found:
        return None
    scores, addresses = zip(*found)  # one pass in C over the (score, address) pairs
    return (np.asarray(searcher.fast_field_values("seg", addresses), dtype=np.int64),
            np.asarray(searcher.fast_field_values("row", addresses), dtype=np.int64),
            np.array(scores, dtype=np.float32), addresses[0])


_POOL: ThreadPoolExecutor | None = None
PARALLEL_MIN_BOUND = 50_000  # measured at 1M: phrases under it take under about 1.5 ms on one core


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="shards")
    return _POOL


def _shard_path(store: Store, name: str) -> Path:
    return store.path / INDEX_DIR / "tantivy" / name


META_COLUMNS = ["date", "date_precision", "date_source", "source", "n_words"]
PRECISIONS = ("day", "month", "year")


def meta_path(store: Store, segment: str) -> Path:
    """The cached per-document arrays of a segment (absent for segments indexed before they existed)."""
    return store.path / INDEX_DIR / "meta" / (Path(segment).stem + ".npz")


def segment_meta(table: pa.Table, norms: pa.Array | pa.ChunkedArray | None = None) -> dict[str, np.ndarray]:
    """A segment's per-document arrays from its META_COLUMNS (and ``norm``, for ``long``): what the indexed
    engine loads per version. ``long`` marks documents whose ``norm`` exceeds MAX_TERM_BYTES: only they can
    hold a token tantivy skipped, so only their lengths may differ from tantivy's."""
    enc = pc.dictionary_encode(table.column("source").combine_chunks())
    out = {
        "day": table.column("date").to_numpy().astype("datetime64[D]"),
        "precision": pc.index_in(table.column("date_precision"), value_set=pa.array(PRECISIONS))
        .fill_null(-1).to_numpy().astype(np.int8),
        "fallback": pc.equal(table.column("date_source"), "fallback").to_numpy(zero_copy_only=False).astype(bool),
        "sources": np.array([str(v) for v in enc.dictionary.to_pylist()], dtype=np.str_),
        "source": enc.indices.to_numpy(zero_copy_only=False).astype(np.int32),
        "words": table.column("n_words").to_numpy(zero_copy_only=False).astype(np.int64),
    }
    if norms is not None:
        out["long"] = pc.greater(pc.binary_length(norms), MAX_TERM_BYTES).to_numpy(zero_copy_only=False).astype(bool)
    return out


# On disk, days and word counts are 32-bit and the file is deflated (level 1): 25 KB a segment of about 9,300
# news documents instead of 211 KB, 21 MB less at 1M documents, where the store must stay within 0.7x its input
# (docs/architecture.md, decision 11). Reading widens them back; files written before hold 64-bit arrays.
_NARROW = {"day": np.int32, "words": np.int32}
_WIDE = {"day": "datetime64[D]", "words": np.int64}


def _write_meta(store: Store, segment: str, table: pa.Table, norms: pa.Array | pa.ChunkedArray) -> None:
    import zipfile

    final = meta_path(store, segment)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(final.stem + ".tmp.npz")
    arrays = segment_meta(table, norms)
    with open(tmp, "wb") as fh:
        # what np.savez_compressed writes, at deflate level 1 (level 6 takes 4x the time for 6% less)
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, arr in arrays.items():
                if name in _NARROW:
                    arr = arr.view(np.int64).astype(_NARROW[name]) if name == "day" else arr.astype(_NARROW[name])
                with zf.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)


def read_segment_meta(store: Store, segment: str) -> dict[str, np.ndarray] | None:
    """The cached arrays of a segment (as ``segment_meta`` makes them), or None where there is no cache."""
    try:
        with np.load(meta_path(store, segment), allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    for name, wide in _WIDE.items():
        if name in out:
            out[name] = out[name].astype(wide, copy=False)
    return out


def open_index(store: Store) -> Shards | None:
    """The index for reading (None when there is none); never writes."""
    import tantivy

    indexes = []
    for name, _ in _state(store)["shards"]:
        path = _shard_path(store, name)
        if (path / "meta.json").exists():
            indexes.append(_register(tantivy.Index.open(str(path))))
    return Shards(indexes) if indexes else None


class Builder:
    """Adds whole segments to the index; a segment is listed as covered only after ``commit``.

    Ingest feeds each segment from memory right after committing it to the store (no second read of the
    Parquet file), and tantivy's own threads index while ingest goes on reading. The caller holds the
    store's writer lock.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        integrity.unseal(store, "index")  # readers leave the index alone until it is complete and sealed again
        self.state = _state(store)
        self.done = set(self.state["segments"])
        root = store.path / INDEX_DIR
        if not self.done and not self.state["shards"] and root.exists():
            shutil.rmtree(root)  # an index of an older format, or one that never finished a segment
        (root / "tantivy").mkdir(parents=True, exist_ok=True)
        known = {name for name, _ in self.state["shards"]}
        for path in (root / "tantivy").iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)  # a shard a killed run opened and never recorded
        self.writer: Any = None
        self.shard: list[Any] | None = None  # [name, bytes] of the shard being written, as in the state
        self.uncommitted: list[str] = []
        self.uncommitted_docs = 0
        self._purge_pending()

    def _open(self, shard: list[Any]) -> None:
        import tantivy

        path = _shard_path(self.store, shard[0])
        path.mkdir(parents=True, exist_ok=True)
        index = _register(tantivy.Index(_schema(), path=str(path), reuse=True))
        self.writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
        self.shard = shard

    def _purge_pending(self) -> None:
        """Delete what a killed run committed of segments it never listed, from the shards it used."""
        pending = [(seg, shard) for seg, shard in self.state["pending"] if seg not in self.done]
        if not pending:
            if self.state["pending"]:
                self.state["pending"] = []
                _write_state(self.store, self.state)
            return
        for name in sorted({shard for _, shard in pending}):
            entry = next((x for x in self.state["shards"] if x[0] == name), None)
            if entry is None or not (_shard_path(self.store, name) / "meta.json").exists():
                continue
            self._open(entry)
            for seg, shard in pending:
                if shard == name:
                    self.writer.delete_documents("seg", segment_key(seg))
            self.writer.commit()
            self.writer.wait_merging_threads()
            self.writer, self.shard = None, None
        self.state["pending"] = []
        _write_state(self.store, self.state)

    def _shard_for_next(self) -> None:
        """Open the last shard, or a new one once the last holds SHARD_BYTES of text."""
        if self.shard is not None and self.shard[1] < SHARD_BYTES:
            return
        if self.shard is not None:
            self._flush()
            self.writer.wait_merging_threads()
            self.writer, self.shard = None, None
        shards = self.state["shards"]
        if shards and shards[-1][1] < SHARD_BYTES:
            self._open(shards[-1])
            return
        entry = [f"{len(shards):03d}", 0]
        shards.append(entry)
        _write_state(self.store, self.state)  # recorded before anything is written into it
        self._open(entry)

    def add(self, name: str, norms: pa.Array | pa.ChunkedArray, progress: Callable[[int], None] | None = None,
            meta: pa.Table | None = None) -> int:
        """Queue a store segment's documents (its ``norm`` column, row for row; ``meta``: its META_COLUMNS)."""
        import tantivy

        if meta is not None:
            _write_meta(self.store, name, meta, norms)
        self._shard_for_next()
        assert self.shard is not None
        key = segment_key(name)
        self.writer.delete_documents("seg", key)  # what a killed run may have committed of this segment
        norms = norms if isinstance(norms, pa.ChunkedArray) else pa.chunked_array([norms])
        self.state["pending"].append([name, self.shard[0]])
        row = 0
        for part in norms.chunks:
            for norm in part.to_pylist():
                doc = tantivy.Document()
                doc.add_text("norm", norm)
                doc.add_integer("seg", key)
                doc.add_integer("row", row)
                self.writer.add_document(doc)
                row += 1
            if progress is not None:
                progress(len(part))
        self.shard[1] += int(pc.sum(pc.binary_length(norms)).as_py() or 0)
        self.uncommitted.append(name)
        self.uncommitted_docs += row
        return row

    def _flush(self) -> None:
        """Commit the shard being written; its segments stay pending until ``commit`` lists them."""
        _write_state(self.store, self.state)  # the pending list first: a kill after tantivy's commit is undone
        self.writer.commit()

    def commit(self) -> None:
        """Make the queued segments durable, then list them as covered."""
        if not self.uncommitted:
            return
        self._flush()
        self.done.update(self.uncommitted)
        self.uncommitted, self.uncommitted_docs = [], 0
        self.state["segments"] = sorted(self.done)
        self.state["pending"] = []
        _write_state(self.store, self.state)

    def close(self) -> None:
        """Commit what is queued and let tantivy finish merging."""
        self.commit()
        if self.writer is not None:
            self.writer.wait_merging_threads()
            self.writer, self.shard = None, None

    def abort(self) -> None:
        """Drop what is queued (nothing of it is listed as covered)."""
        if self.writer is not None:
            self.writer.rollback()


def update(store: Store, progress: Callable[[int], None] | None = None, segments: list[str] | None = None) -> int:
    """Index every segment of the store's latest version (or ``segments``) not yet covered; returns documents indexed.

    The caller holds the store's writer lock. ``progress`` is called with the documents of each batch.
    """
    wanted = store.version_info()["segments"] if segments is None else segments
    todo = [s for s in wanted if s not in covered(store)]
    if not todo:
        return 0
    builder = Builder(store)
    added = 0
    try:
        for name in todo:
            # norm derived from the text (segments of schema 3 do not store it): the index is rebuildable
            table = norms_mod.read_segment(store.path / "segments" / name, ["norm", *META_COLUMNS])
            added += builder.add(name, table.column("norm"), progress, meta=table.select(META_COLUMNS))
            # Commit about every COMMIT_DOCS documents: a killed build then keeps most of its work.
            if builder.uncommitted_docs >= COMMIT_DOCS:
                builder.commit()
        builder.close()
    except BaseException:
        builder.abort()
        raise
    return added


def remove_orphans(store: Store) -> None:
    """Delete cached arrays of segments the store does not hold (a killed ingest's batches)."""
    shutil.rmtree(store.path / INDEX_DIR / "norm", ignore_errors=True)  # the norm copies of index format 4
    for sub, suffix in (("meta", ".npz"),):
        folder = store.path / INDEX_DIR / sub
        if not folder.is_dir():
            continue
        known = {Path(s).stem + suffix for s in store.manifest.segments}
        for path in folder.iterdir():
            if path.name not in known:
                path.unlink(missing_ok=True)
