"""The store's token index: tantivy over every document's normalised token string, for fast exact counting.

The index splits ``norm`` on whitespace only, so its terms are exactly the tokens of the matching rule
(hashtags included: tantivy's default tokenizer would drop the ``#``) and a phrase query over it finds
exactly the documents whose ``norm`` holds the phrase pattern. Beside it, each segment's ``norm`` column is
kept uncompressed in a file that readers read a document at a time, so that mentions (and NEAR or prefix
queries, for which the index only proposes candidates) are counted on the matching documents alone, at
memory speed, instead of a scan of the whole corpus. See docs/architecture.md, decision 8.

Layout::

    STORE/index/tantivy/            one tantivy index for the whole store (fields norm, seg, row)
    STORE/index/norm/SEGMENT.norms  the segment's norm column, uncompressed, row for row
    STORE/index/covered.json        the store segments the index holds completely, replaced atomically

Segments are immutable, so a segment is indexed once: its documents are added (after deleting any of its
documents a killed run left behind) and committed, and only then is it listed in ``covered.json``. Readers
use the index for a version only when every segment of the version is listed, and ignore documents of
any other segment, so a half-built index never changes a count.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from policypulse.corpus.store import Store, atomic_write_bytes

INDEX_DIR = "index"
TOKENIZER = "policypulse-ws"
FORMAT = 3  # bump when the index fields change: an index of another format is rebuilt
# tantivy drops terms longer than this (bytes); a query naming such a token must scan instead.
MAX_TERM_BYTES = 65_000
WRITER_HEAP = 256_000_000
COMMIT_DOCS = 100_000


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


def covered(store: Store) -> set[str]:
    """Store segments the index holds completely (empty when there is no index)."""
    try:
        body = json.loads(_covered_path(store).read_bytes())
    except (OSError, ValueError):
        return set()
    if body.get("format") != FORMAT:
        return set()
    return set(body.get("segments", []))


def covers(store: Store, version: int | None = None) -> bool:
    """Whether the index holds every document of a version."""
    segments = store.version_info(version)["segments"]
    return bool(segments) and set(segments) <= covered(store)


_NORMS_MAGIC = b"PPNORM01"


def norm_path(store: Store, segment: str) -> Path:
    """The copy of a segment's ``norm`` column that mentions are counted from."""
    return store.path / INDEX_DIR / "norm" / (Path(segment).stem + ".norms")


class NormFile:
    """A segment's ``norm`` strings, read one document at a time with ``pread``.

    Layout: magic, document count, int64 offsets (count + 1), then the UTF-8 bytes. Reads go through the
    page cache without mapping the file, so a process that touches many documents does not grow.
    """

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        head = os.pread(self.fd, 16, 0)
        if len(head) != 16 or head[:8] != _NORMS_MAGIC:
            os.close(self.fd)
            raise ValueError(f"{path}: not a policypulse norm file")
        n = int.from_bytes(head[8:], "little")
        self.offsets = np.frombuffer(os.pread(self.fd, 8 * (n + 1), 16), dtype="<i8")
        self.base = 16 + 8 * (n + 1)

    def get(self, row: int) -> bytes:
        """The UTF-8 ``norm`` of one row."""
        a, b = self.offsets[row], self.offsets[row + 1]
        return os.pread(self.fd, int(b - a), self.base + int(a))

    def close(self) -> None:
        """Release the file."""
        os.close(self.fd)


def _write_norms(store: Store, segment: str, norms: pa.Array | pa.ChunkedArray) -> None:
    final = norm_path(store, segment)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(final.name + ".tmp")
    arr = norms.combine_chunks() if isinstance(norms, pa.ChunkedArray) else norms
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())  # segments written by Spark hold 32-bit offsets
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    with open(tmp, "wb") as fh:
        fh.write(_NORMS_MAGIC + len(arr).to_bytes(8, "little"))
        fh.write((offsets - offsets[0]).astype("<i8").tobytes())
        if data is not None:
            fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)


def open_index(store: Store) -> Any | None:
    """The index for reading (None when there is none); never writes."""
    path = store.path / INDEX_DIR / "tantivy"
    if not (path / "meta.json").exists():
        return None
    import tantivy

    return _register(tantivy.Index.open(str(path)))


class Builder:
    """Adds whole segments to the index; a segment is listed as covered only after ``commit``.

    Ingest feeds each segment from memory right after committing it to the store (no second read of the
    Parquet file), and tantivy's own threads index while ingest goes on reading. The caller holds the
    store's writer lock.
    """

    def __init__(self, store: Store) -> None:
        import tantivy

        self.store = store
        self.done = covered(store)
        root = store.path / INDEX_DIR
        if not self.done and root.exists():
            shutil.rmtree(root)  # an index of an older format, or one that never finished a segment
        path = root / "tantivy"
        path.mkdir(parents=True, exist_ok=True)
        self.index = _register(tantivy.Index(_schema(), path=str(path), reuse=True))
        self.writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=2)
        self.uncommitted: list[str] = []
        self.uncommitted_docs = 0

    def add(self, name: str, norms: pa.Array | pa.ChunkedArray, progress: Callable[[int], None] | None = None) -> int:
        """Queue a store segment's documents (its ``norm`` column, row for row)."""
        import tantivy

        key = segment_key(name)
        self.writer.delete_documents("seg", key)  # what a killed run may have committed of this segment
        norms = norms if isinstance(norms, pa.ChunkedArray) else pa.chunked_array([norms])
        _write_norms(self.store, name, norms)
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
        self.uncommitted.append(name)
        self.uncommitted_docs += row
        return row

    def commit(self) -> None:
        """Make the queued segments durable, then list them as covered."""
        if not self.uncommitted:
            return
        self.writer.commit()
        self.done.update(self.uncommitted)
        self.uncommitted, self.uncommitted_docs = [], 0
        atomic_write_bytes(_covered_path(self.store), json.dumps({"format": FORMAT, "segments": sorted(self.done)}).encode())

    def close(self) -> None:
        """Commit what is queued and let tantivy finish merging."""
        self.commit()
        self.writer.wait_merging_threads()

    def abort(self) -> None:
        """Drop what is queued (nothing of it is listed as covered)."""
        self.writer.rollback()


def update(store: Store, progress: Callable[[int], None] | None = None) -> int:
    """Index every segment of the store's latest version not yet covered; returns documents indexed.

    The caller holds the store's writer lock. ``progress`` is called with the documents of each batch.
    """
    todo = [s for s in store.version_info()["segments"] if s not in covered(store)]
    if not todo:
        return 0
    builder = Builder(store)
    added = 0
    try:
        for name in todo:
            added += builder.add(name, pq.read_table(store.path / "segments" / name, columns=["norm"]).column("norm"),
                                 progress)
            # Commit about every COMMIT_DOCS documents: a killed build then keeps most of its work.
            if builder.uncommitted_docs >= COMMIT_DOCS:
                builder.commit()
        builder.close()
    except BaseException:
        builder.abort()
        raise
    return added


def remove_orphans(store: Store) -> None:
    """Delete norm copies of segments the store does not hold (a killed ingest's uncommitted batches)."""
    folder = store.path / INDEX_DIR / "norm"
    if not folder.is_dir():
        return
    known = {Path(s).stem + ".norms" for s in store.manifest.segments}
    for path in folder.iterdir():
        if path.name not in known:
            path.unlink(missing_ok=True)
