"""Store maintenance: ``remove`` documents as a new version, ``check`` every file, ``repair`` derived files.

``remove`` never rewrites a file an older version reads: each segment of the latest version that holds a
removed document is copied without it into a new segment, and the new version lists the copies in place of
the originals. Older versions keep their own segments, totals and folded near-duplicates, so they read to
the same numbers; the token index gains the copies (it serves every version, each reading only its segments).

``repair`` rebuilds what is derived from the documents (each version's totals, the token index, phrase
statistics and the passage index) and records checksums of files written before checksums were kept. It
cannot rebuild the documents themselves (segments) or the record of folded near-duplicates, and says so.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from policypulse.corpus import integrity
from policypulse.corpus.store import Store, write_parquet_replace
from policypulse.corpus.where import evaluate, fields_of, parse_where
from policypulse.errors import PolicyPulseError, StoreDamagedError, StoreError, UsageError

MAX_ID_FILE_BYTES = 1 << 30


# -- remove -----------------------------------------------------------------------------------------------

@dataclass
class RemoveReport:
    """What ``remove`` did: documents removed, ids not found, the version written."""

    store: str
    removed: int = 0
    version: int = 0
    previous_version: int = 0
    segments_rewritten: int = 0
    ids_not_found: list[str] = field(default_factory=list)
    representatives_replaced: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"store": self.store, "removed": self.removed, "version": self.version,
                "previous_version": self.previous_version, "segments_rewritten": self.segments_rewritten,
                "ids_not_found": self.ids_not_found, "representatives_replaced": self.representatives_replaced}

    def summary(self) -> str:
        """One line for the terminal."""
        missing = f"; {len(self.ids_not_found)} ids not found" if self.ids_not_found else ""
        return (f"removed {self.removed} documents from {self.store}: version {self.version} written "
                f"(version {self.previous_version} and earlier unchanged){missing}")


def read_ids(path: str | Path) -> list[str]:
    """Document ids from a file: one per line; blank lines and lines starting with ``#`` are skipped."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_ID_FILE_BYTES:
            raise UsageError(f"{p}: an ids file over 1 GB; split it")
        raw = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the ids file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(f"{p}:{line}: the ids file is not UTF-8 text") from None
    ids = [line.strip() for line in text.splitlines()]
    ids = [i for i in ids if i and not i.startswith("#")]
    if not ids:
        raise UsageError(f"{p}: no document ids in the file (one id per line)")
    return list(dict.fromkeys(ids))


def remove(store_path: str | Path, *, ids: list[str] | None = None, where: str | None = None) -> RemoveReport:
    """Write a new version of the store without the documents ``ids`` names or ``where`` selects."""
    if (ids is None) == (where is None):
        raise UsageError("remove needs exactly one of --ids FILE or --where EXPR")
    expr = parse_where(where) if where is not None else None
    store = Store(store_path)
    report = RemoveReport(store=str(store_path))
    with store.writer_lock():
        store.refresh()
        if not store.manifest.versions:
            raise StoreError(f"{store.path}: the store has no documents to remove")
        latest = store.version_info()
        report.previous_version = latest["version"]
        integrity.verify_open(store, latest["version"])  # never copy documents out of a damaged segment
        wanted = set(ids or [])
        found: set[str] = set()
        removed_hashes: set[str] = set()
        new_segments: list[str] = []
        new_entries: dict[str, dict[str, Any]] = {}
        columns = sorted({"doc_id", "hash"} | (fields_of(expr) if expr is not None else set()))
        for name in latest["segments"]:
            path = store.path / "segments" / name
            table = pq.read_table(path, columns=columns)
            if expr is not None:
                mask = evaluate(expr, table)
            else:
                mask = pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(wanted), pa.string()))
                found.update(pc.filter(table.column("doc_id"), mask).to_pylist())
            hits = int(pc.sum(mask).as_py() or 0)
            if not hits:
                new_segments.append(name)
                continue
            removed_hashes.update(pc.filter(table.column("hash"), mask).to_pylist())
            report.removed += hits
            if hits == table.num_rows:
                continue  # nothing left of this segment
            full = pq.read_table(path)
            kept = full.filter(pc.invert(mask))
            copy = _write_segment(store, kept)
            entry = dict(store.manifest.segments[name])
            entry.update(rows=kept.num_rows, ingest=f"remove-{uuid.uuid4().hex[:12]}", copied_from=name)
            new_entries[copy] = entry
            new_segments.append(copy)
            report.segments_rewritten += 1
        report.ids_not_found = sorted(wanted - found)
        if not report.removed:
            what = f"--where {where}" if where is not None else f"the {len(wanted)} ids given"
            raise PolicyPulseError(f"no document of version {latest['version']} matches {what}; nothing removed")
        _commit_removal(store, report, latest, new_segments, new_entries, removed_hashes,
                        f"--where {where}" if where is not None else f"--ids ({len(wanted)} ids)")
    store.close()
    return report


def _write_segment(store: Store, table: pa.Table) -> str:
    from policypulse.corpus.ingest import ROW_GROUP

    name = f"seg-{uuid.uuid4().hex}.parquet"
    write_parquet_replace(table, store.path / "segments" / name, compression="zstd", row_group_size=ROW_GROUP)
    return name


def _refold(folded: pa.Table, removed: set[str]) -> tuple[pa.Table, int]:
    """The folded near-duplicates without the removed documents; a removed representative is replaced.

    A copy folded into a removed document would otherwise count nowhere: the first of its cluster's remaining
    copies (in the record's order) becomes the representative, and the others fold into it.
    """
    rows = list(zip(folded.column("hash").to_pylist(), folded.column("dup_of").to_pylist(),
                    folded.column("reason").to_pylist()))
    rows = [r for r in rows if r[0] not in removed]
    heir: dict[str, str] = {}
    out = []
    for h, dup_of, reason in rows:
        if dup_of in removed:
            if dup_of not in heir:
                heir[dup_of] = h  # promoted: no longer folded
                continue
            dup_of = heir[dup_of]
        out.append((h, dup_of, reason))
    from policypulse.corpus.neardup import folded_table

    return folded_table(out), len(heir)


def _commit_removal(store: Store, report: RemoveReport, latest: dict[str, Any], segments: list[str],
                    entries: dict[str, dict[str, Any]], removed: set[str], how: str) -> None:
    from policypulse.corpus.ingest import update_index, write_totals

    manifest = store.read_manifest()
    version = latest["version"] + 1
    manifest.segments.update(entries)
    manifest.pending = list(entries)  # committed before the version: a kill leaves orphans the next write drops
    store.write_manifest(manifest)
    if segments:
        write_totals(store, version, segments)
    dups = None
    if latest.get("dups"):
        folded, report.representatives_replaced = _refold(pq.read_table(store.path / latest["dups"]), removed)
        if folded.num_rows:
            dups = f"dups/v{version}.parquet"
            write_parquet_replace(folded, store.path / dups, compression="zstd")
    manifest = store.read_manifest()
    entry: dict[str, Any] = {
        "version": version, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "segments": segments, "documents": sum(manifest.segments[s]["rows"] for s in segments),
        "accepted": 0, "duplicates": 0, "rejected": 0, "inputs": [], "removed": report.removed, "removed_by": how,
    }
    if dups:
        entry["dups"] = dups
        entry["folded"] = pq.read_metadata(store.path / dups).num_rows
    manifest.versions.append(entry)
    manifest.pending = []
    store.write_manifest(manifest)
    report.version = version
    from policypulse.corpus import index as token_index

    if entries and (store.path / token_index.INDEX_DIR).is_dir() and token_index.covers(store, latest["version"]):
        update_index(store)  # the copies join the index, which keeps serving older versions too


# -- check and repair -------------------------------------------------------------------------------------

def check(store_path: str | Path) -> integrity.CheckReport:
    """Hash every file of every version against the manifest (``policypulse check``)."""
    store = Store(store_path)
    try:
        report = integrity.check(store)
        if not report.ok and store.read_manifest().to_json() != store.manifest.to_json():
            # a writer committed while the files were hashed (an ingest rebuilding the index): look again
            store.refresh()
            report = integrity.check(store)
        return report
    finally:
        store.close()


@dataclass
class RepairReport:
    """What ``repair`` found and rebuilt, and what it could not."""

    store: str
    rebuilt: list[str] = field(default_factory=list)
    recorded: int = 0
    unrepairable: list[tuple[str, str]] = field(default_factory=list)  # (file, problem)
    checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"store": self.store, "checked": self.checked, "rebuilt": self.rebuilt, "recorded": self.recorded,
                "unrepairable": [{"file": f, "problem": w} for f, w in self.unrepairable]}


def repair(store_path: str | Path) -> RepairReport:
    """Rebuild damaged or missing derived files from the documents; raise when the documents are damaged."""
    path = Path(store_path)
    try:
        store = Store(path)
    except StoreDamagedError as exc:
        raise StoreDamagedError(
            f"{exc}".split("; run `policypulse repair")[0] + ": the manifest lists the documents and cannot be "
            f"rebuilt from them; restore {path / 'manifest.json'} from a backup, or ingest the original inputs "
            "into a new store") from None
    report = RepairReport(store=str(path))
    with store.writer_lock():
        store.refresh()
        found = integrity.check(store)
        report.checked = found.files
        bad = {rel: what for rel, _kind, what in found.damaged}
        report.unrepairable = [(rel, what) for rel, what in bad.items() if integrity.kind_of(rel) == "documents"]
        damaged_docs = {rel for rel, _ in report.unrepairable}
        manifest = store.read_manifest()
        # each version's totals, from that version's segments when they are intact
        for v in manifest.versions:
            rel = f"totals/v{v['version']}.parquet"
            segs = v.get("segments", [])
            if segs and (rel in bad or not (path / rel).exists()):
                if any(f"segments/{s}" in damaged_docs for s in segs):
                    report.unrepairable.append((rel, f"cannot be rebuilt: version {v['version']}'s documents "
                                                     "are damaged"))
                    continue
                from policypulse.corpus.ingest import write_totals

                write_totals(store, v["version"], segs)
                manifest = store.read_manifest()
                manifest.files.pop(rel, None)  # recorded afresh by the write
                store.write_manifest(manifest)
                report.rebuilt.append(rel)
        # checksums of files written before they were kept (trusted as they are now)
        report.recorded = len(found.unrecorded)
        if found.unrecorded:
            store.write_manifest(store.read_manifest())
        _repair_index(store, found, bad, damaged_docs, report)
        _drop_caches(store, report)
    store.close()
    if report.unrepairable:
        files = ", ".join(f"{f} ({w})" for f, w in report.unrepairable)
        raise StoreDamagedError(
            f"{path}: documents damaged and not rebuildable: {files}; everything else was repaired"
            f"{' (' + ', '.join(report.rebuilt) + ')' if report.rebuilt else ''}. Restore these files from a "
            "backup (the manifest's checksums tell whether a copy is the right one), or ingest the original inputs "
            "into a new store")
    return report


def _repair_index(store: Store, found: integrity.CheckReport, bad: dict[str, str], damaged_docs: set[str],
                  report: RepairReport) -> None:
    from policypulse.corpus import index as token_index
    from policypulse.corpus.ingest import update_index

    root = store.path / token_index.INDEX_DIR
    sealed = integrity.sealed(store, "index")
    index_bad = any(rel.startswith(token_index.INDEX_DIR + "/") for rel in bad)
    if not root.is_dir() or (sealed and not index_bad):
        return
    integrity.unseal(store, "index")
    if index_bad or "index" in found.unsealed:
        shutil.rmtree(root)
    wanted = [s for v in store.manifest.versions for s in v.get("segments", [])]
    wanted = [s for s in dict.fromkeys(wanted) if f"segments/{s}" not in damaged_docs]
    token_index.update(store, segments=wanted)  # every version's segments: older versions stay indexed too
    update_index(store)  # and seal
    report.rebuilt.append(token_index.INDEX_DIR + "/")


def _drop_caches(store: Store, report: RepairReport) -> None:
    """Phrase statistics and passages are rebuilt from the documents when next used; damaged ones are dropped."""
    for name in ("phrases", "passages"):
        folder = store.path / name
        if folder.is_dir() and not _cache_readable(folder):
            shutil.rmtree(folder)
            report.rebuilt.append(name + "/ (rebuilt on next use)")


def _cache_readable(folder: Path) -> bool:
    """Whether every Parquet and JSON file of a cache folder can be read (caches carry no checksums)."""
    import json

    for p in folder.rglob("*"):
        try:
            if p.suffix == ".parquet":
                pq.read_table(p)
            elif p.suffix == ".json":
                json.loads(p.read_bytes())
        except Exception:  # noqa: BLE001  (any failure to read means: rebuild)
            return False
    return True
