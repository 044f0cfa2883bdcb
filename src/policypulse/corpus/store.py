"""A store: a directory of immutable Parquet segments named by an atomically replaced manifest.

Layout (see docs/architecture.md)::

    STORE/manifest.json          versions, segments, pending segments of an unfinished ingest
    STORE/segments/*.parquet     immutable document batches (schema in corpus/schema.py)
    STORE/totals/v{N}.parquet    documents and words per day, source, precision and date origin
    STORE/dups/v{N}.parquet      documents of version N folded into a near-duplicate's representative
                                 (hash, dup_of, reason); named by the version entry's "dups" (schema 2)
    STORE/.lock                  held by the one writer (an ingest)

The manifest records every file's size, time and SHA-256, and its own checksum (corpus/integrity.py).

Readers never take a lock: they read the manifest once and see the segments of one version, so a
dashboard keeps serving a consistent snapshot while an ingest writes new segments beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from policypulse import __version__
from policypulse.corpus import norms
from policypulse.corpus.schema import DOCUMENT_SCHEMA, DUPS_SCHEMA, SCHEMA_VERSION
from policypulse.errors import StoreDamagedError, StoreError

MANIFEST = "manifest.json"
FORMAT_NAME = "policypulse-store"
_CHECKSUM_LINE = b'{\n "checksum": "%s",\n'


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_parquet_replace(table: Any, path: Path, **options: Any) -> None:
    """Write a Parquet file beside ``path``, fsync it, and rename it into place (old file or new, never a part)."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, **options)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class Manifest:
    """The store's table of contents: every committed segment and every completed version."""

    schema_version: int = SCHEMA_VERSION
    created: str = field(default_factory=_now)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    # integrity (corpus/integrity.py): {relative path: {size, mtime_ns, sha256}} of every file named above, and
    # {artifact: {dir, files}} of each completed derived artifact (the token index)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """Serialise for disk, the body's own SHA-256 on the first line (``checksum`` sorts first)."""
        body = {
            "format": FORMAT_NAME,
            "schema_version": self.schema_version,
            "software": __version__,
            "created": self.created,
            "segments": self.segments,
            "pending": self.pending,
            "versions": self.versions,
            "files": self.files,
            "derived": self.derived,
        }
        text = json.dumps(body, indent=1, sort_keys=True).encode()
        return _CHECKSUM_LINE % hashlib.sha256(text).hexdigest().encode() + text[2:]

    @classmethod
    def from_json(cls, raw: bytes, where: Path) -> Manifest:
        """Parse a manifest, refusing stores this release cannot read and manifests that fail their checksum."""
        store = where.parent
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise StoreDamagedError(f"{store}: store damaged: {where.name} is not valid JSON ({exc}); "
                                    f"run `policypulse repair {store}`") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT_NAME:
            raise StoreError(f"{where}: not a policypulse store manifest")
        # the version first: a later release may checksum its manifest differently
        version = int(body.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where}: store schema version {version} is newer than this policypulse supports "
                f"({SCHEMA_VERSION}); upgrade policypulse to open it"
            )
        if "checksum" in body:
            # the body as written: everything but the checksum line, which to_json put first
            head = _CHECKSUM_LINE % str(body["checksum"]).encode()
            if not raw.startswith(head) or hashlib.sha256(b"{\n" + raw[len(head):]).hexdigest() != body["checksum"]:
                raise StoreDamagedError(f"{store}: store damaged: {where.name} does not match its checksum; "
                                        f"run `policypulse repair {store}`")
        if version < 1:
            raise StoreError(f"{where}: store schema version {version} is not supported")
        return cls(
            schema_version=version,
            created=body.get("created", ""),
            segments=body.get("segments", {}),
            pending=body.get("pending", []),
            versions=body.get("versions", []),
            files=body.get("files", {}),
            derived=body.get("derived", {}),
        )


class Store:
    """A policypulse store directory, opened for reading (and, by ingest, for writing)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        if not (self.path / MANIFEST).exists() and any((self.path / "segments").glob("seg-*.parquet")):
            raise StoreDamagedError(f"{self.path}: store damaged: {MANIFEST} is missing; "
                                    f"run `policypulse repair {self.path}`")
        if not (self.path / MANIFEST).exists():
            # What a store creation killed half-way leaves behind; anything else is someone's folder.
            foreign = self.path.is_dir() and any(
                p.name not in ("segments", "totals", "dups", MANIFEST + ".tmp", ".lock")
                or (p.is_dir() and any(p.iterdir())) for p in self.path.iterdir())
            if foreign or self.path.exists() and not self.path.is_dir():
                raise StoreError(f"{self.path}: not a policypulse store (no {MANIFEST}); "
                                 "give a new or empty directory to create one")
            if not create:
                raise StoreError(f"{self.path}: no store here; create one with 'policypulse ingest'")
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / "segments").mkdir(exist_ok=True)
            (self.path / "totals").mkdir(exist_ok=True)
            atomic_write_bytes(self.path / MANIFEST, Manifest().to_json())
        self._con: duckdb.DuckDBPyConnection | None = None
        self._con_version: int | None = None
        self.manifest = self.read_manifest()

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the DuckDB connection."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def read_manifest(self) -> Manifest:
        """Read the manifest from disk (a consistent snapshot)."""
        path = self.path / MANIFEST
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{path}: cannot read manifest ({exc.strerror})") from None
        return Manifest.from_json(raw, path)

    def refresh(self) -> Store:
        """Pick up versions committed since this store was opened."""
        self.manifest = self.read_manifest()
        self.close()
        return self

    # -- versions --------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """The latest completed version (0 for an empty store)."""
        return self.manifest.versions[-1]["version"] if self.manifest.versions else 0

    def version_info(self, version: int | None = None) -> dict[str, Any]:
        """The manifest entry of ``version`` (default: latest)."""
        v = self.version if version is None else version
        if v == 0:
            return {"version": 0, "segments": [], "created": self.manifest.created}
        for info in self.manifest.versions:
            if info["version"] == v:
                return info
        raise StoreError(f"{self.path}: no version {v} (versions 1..{self.version} exist)")

    def segment_paths(self, version: int | None = None) -> list[Path]:
        """Parquet files holding the documents of ``version``."""
        return [self.path / "segments" / name for name in self.version_info(version)["segments"]]

    def dups_path(self, version: int | None = None) -> Path | None:
        """The file of folded near-duplicates of ``version`` (None: nothing folded, or a schema-1 store)."""
        name = self.version_info(version).get("dups")
        return self.path / name if name else None

    def folded(self, version: int | None = None) -> pa.Table:
        """Documents of a version folded into another: ``hash, dup_of, reason`` (near | retweet)."""
        path = self.dups_path(version)
        return pq.read_table(path) if path is not None else DUPS_SCHEMA.empty_table()

    # -- reading ---------------------------------------------------------------------------------
    def connection(self, version: int | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with a ``docs`` view over one version's segments.

        The view has the segment columns plus ``dup_of`` (NULL unless the document is folded into a
        near-duplicate's representative: count ``WHERE dup_of IS NULL`` for deduplicated numbers).
        Segments of schema 1 lack ``minhash``; ``union_by_name`` reads them with NULL there.
        """
        v = self.version if version is None else version
        if self._con is not None and self._con_version == v:
            return self._con
        self.close()
        # No progress bar: DuckDB would print it to stdout, into the middle of CSV or JSON output.
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        paths = self.segment_paths(v)
        files = [str(p) for p in paths]
        dups = self.dups_path(v) if files else None
        # norm is derived from the text in segments of schema 3 (corpus/norms.py), stored in older ones
        norms.register(con)
        stored = sum(norms.has_norm(p) for p in paths)
        norm = ("" if stored == len(paths) else f", {norms.norm_sql('s.text')} AS norm" if not stored
                else f", coalesce(s.norm, {norms.norm_sql('s.text')}) AS norm")
        star = "s.*" if not stored or stored == len(paths) else "s.* EXCLUDE (norm)"
        if files and dups is not None:
            con.execute(f"CREATE VIEW docs AS SELECT {star}{norm}, f.dup_of FROM read_parquet({files!r}, "
                        f"union_by_name=true) s LEFT JOIN read_parquet('{dups}') f ON s.hash = f.hash")
        elif files:
            con.execute(f"CREATE VIEW docs AS SELECT {star}{norm}, NULL::VARCHAR AS dup_of FROM read_parquet({files!r}, "
                        "union_by_name=true) s")
        else:
            empty = DOCUMENT_SCHEMA.empty_table()
            con.register("_empty_docs", empty)
            con.execute("CREATE VIEW docs AS SELECT *, NULL::VARCHAR AS dup_of FROM _empty_docs")
        self._con, self._con_version = con, v
        return con

    def documents(self, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        """All documents of a version as an Arrow table (small stores and tests).

        Columns of the document schema (older segments give NULL for columns they lack); ask for
        ``dup_of`` by name to get each document's representative (NULL: not folded).
        """
        want = columns or DOCUMENT_SCHEMA.names
        seg_cols = [c for c in want if c != "dup_of"]
        paths = self.segment_paths(version)
        parts = []
        for p in paths:
            have = set(pq.read_schema(p).names) | {"norm"}  # derived from the text where not stored
            t = norms.read_segment(p, [c for c in seg_cols if c in have])
            for c in seg_cols:
                if c not in have:
                    typ = DOCUMENT_SCHEMA.field(c).type
                    t = t.append_column(pa.field(c, typ), pa.nulls(t.num_rows, typ))
            parts.append(t.select(seg_cols))
        if parts:
            # Spark ingest writes string columns, Python ingest large_string: promote to one type.
            table = pa.concat_tables(parts, promote_options="permissive")
        else:
            table = DOCUMENT_SCHEMA.empty_table().select(seg_cols)
        if "dup_of" in want:
            folded = self.folded(version) if paths else DUPS_SCHEMA.empty_table()
            of = dict(zip(folded.column("hash").to_pylist(), folded.column("dup_of").to_pylist()))
            hashes = (table.column("hash") if "hash" in seg_cols else
                      self.documents(version, ["hash"]).column("hash")).to_pylist()
            table = table.append_column("dup_of", pa.array([of.get(h) for h in hashes], pa.string()))
            table = table.select(want)
        return table

    def count(self, version: int | None = None) -> int:
        """Number of documents in a version."""
        return sum(self.manifest.segments[p.name]["rows"] for p in self.segment_paths(version))

    # -- writing (used by corpus.ingest only) ----------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the single-writer lock; fail at once with a clear message if another ingest holds it."""
        fh = open(self.path / ".lock", "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"{self.path}: another ingest is writing to this store; wait for it to finish"
                ) from None
            yield
        finally:
            fh.close()

    def write_manifest(self, manifest: Manifest) -> None:
        """Atomically replace the manifest (the commit point of every write), recording new files' checksums."""
        from policypulse.corpus import integrity

        integrity.seal_manifest(manifest, self.path)
        atomic_write_bytes(self.path / MANIFEST, manifest.to_json())
        self.manifest = manifest
