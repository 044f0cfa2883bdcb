"""Checksums of every store file, kept in the manifest; cheap checks on open, full ones on demand.

The manifest records, for each file it names, its size, modification time and SHA-256 (``files``: the
documents' segments, each version's totals and folded near-duplicates), and for each derived artifact
(``derived``: the token index) the same record of every file under its directory, written when the artifact
was last completed (``seal``). What is checked when:

- opening a corpus (``verify_open``): every file the version reads is stat'ed; a missing file or another size
  is damage; a file whose modification time changed since it was sealed is hashed before it is used (a write
  through the file system, such as a zeroed block, always moves the time). Cost: one ``stat`` per file.
- ``policypulse check`` (``check``): every recorded file is hashed.

Files are checked generically, whatever they are: a new kind of file only has to be written before its
manifest entry (or its artifact's seal) is, and it is covered. A derived artifact is unsealed while it is
being rebuilt (the index during an ingest): readers then do not use it (the scan counts the same), and a
build killed half-way leaves it unsealed, never "damaged". See docs/architecture.md, decision 10.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policypulse.errors import StoreDamagedError

if TYPE_CHECKING:
    from policypulse.corpus.store import Manifest, Store

HASH = "sha256"  # hashlib's SHA-256 runs at about 600 MB/s here (SHA extensions), twice BLAKE2b
_CHUNK = 1 << 22


def _skip(name: str) -> bool:
    """Files that are no part of the data: lock files (tantivy makes them on open), temporaries."""
    return name.endswith(".lock") or ".tmp" in name


def hash_file(path: Path) -> str:
    """The file's SHA-256, hex."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, HASH).hexdigest()


def record(path: Path, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{size, mtime_ns, sha256}`` of a file; ``old`` is reused when size and time are unchanged."""
    st = path.stat()
    if old is not None and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns and HASH in old:
        return old
    digest = hash_file(path)
    st2 = path.stat()
    if (st2.st_size, st2.st_mtime_ns) != (st.st_size, st.st_mtime_ns):  # written while hashed: hash again
        return record(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, HASH: digest}


def damaged(store: Path, rel: str, what: str) -> StoreDamagedError:
    """The one-line error for a damaged file: which file, what is wrong with it, and the fix."""
    return StoreDamagedError(f"{store}: store damaged: {rel} {what}; run `policypulse repair {store}`")


def problem(root: Path, rel: str, rec: dict[str, Any], *, deep: bool) -> str | None:
    """What is wrong with one recorded file (None: nothing); ``deep`` hashes it whatever its time says."""
    path = root / rel
    try:
        st = path.stat()
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if st.st_size != rec["size"]:
        return f"has {st.st_size:,} bytes where {rec['size']:,} were written"
    if deep or st.st_mtime_ns != rec.get("mtime_ns"):
        try:
            digest = hash_file(path)
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if digest != rec[HASH]:
            return "does not match its checksum"
    return None


# -- what the manifest names ------------------------------------------------------------------------------

def referenced(manifest: Manifest, root: Path) -> list[str]:
    """Every file the manifest names, relative to the store: segments, each version's totals and dups."""
    out = [f"segments/{name}" for name in manifest.segments]
    for v in manifest.versions:
        totals = f"totals/v{v['version']}.parquet"
        if v.get("segments") or (root / totals).exists():
            out.append(totals)
        if v.get("dups"):
            out.append(v["dups"])
    return list(dict.fromkeys(out))


def version_files(manifest: Manifest, version: int) -> list[str]:
    """The files one version reads."""
    for v in manifest.versions:
        if v["version"] == version:
            out = [f"segments/{name}" for name in v.get("segments", [])]
            if v.get("segments"):
                out.append(f"totals/v{version}.parquet")
            if v.get("dups"):
                out.append(v["dups"])
            return out
    return []


def seal_manifest(manifest: Manifest, root: Path) -> None:
    """Record every named file the manifest has no record of yet (called before each manifest write)."""
    files = manifest.files
    names = referenced(manifest, root)
    for rel in names:
        if rel not in files and (root / rel).exists():
            files[rel] = record(root / rel)
    for rel in [r for r in files if r not in set(names)]:
        del files[rel]  # a file no version names any more (a killed ingest's orphan, removed)


# -- derived artifacts (the token index) ------------------------------------------------------------------

def walk(root: Path, top: str) -> list[str]:
    """Every data file under ``root/top``, relative to ``root``, sorted."""
    base = root / top
    if not base.is_dir():
        return []
    out = []
    for dirpath, _dirs, names in os.walk(base):
        for name in names:
            if not _skip(name):
                out.append(str(Path(dirpath, name).relative_to(root)))
    return sorted(out)


def unseal(store: Store, name: str) -> None:
    """Mark a derived artifact as being rebuilt: readers leave it alone until ``seal``. Writer lock held."""
    manifest = store.read_manifest()
    if name in manifest.derived:
        del manifest.derived[name]
        store.write_manifest(manifest)


def seal(store: Store, name: str, top: str) -> None:
    """Record every file of a completed derived artifact (under ``top``). Writer lock held."""
    manifest = store.read_manifest()
    old = (manifest.derived.get(name) or {}).get("files", {})
    files = {rel: record(store.path / rel, old.get(rel)) for rel in walk(store.path, top)}
    manifest.derived[name] = {"dir": top, "files": files}
    store.write_manifest(manifest)


def sealed(store: Store, name: str) -> bool:
    """Whether a derived artifact is complete and recorded."""
    return name in store.manifest.derived


# -- checking ---------------------------------------------------------------------------------------------

def open_plan(store: Store, version: int, derived: Iterable[str] = ()) -> list[tuple[str, str, int, int]]:
    """``(path, relative path, size, mtime_ns)`` of every recorded file a version reads: what ``verify`` stats."""
    manifest = store.manifest
    recs = [(rel, manifest.files[rel]) for rel in version_files(manifest, version) if rel in manifest.files]
    for name in derived:  # a file without a record was written before checksums were kept: `check` says so
        recs += list((manifest.derived.get(name) or {}).get("files", {}).items())
    root = str(store.path)
    return [(os.path.join(root, rel), rel, int(rec["size"]), int(rec.get("mtime_ns", -1))) for rel, rec in recs]


def verify(store: Store, plan: list[tuple[str, str, int, int]]) -> None:
    """The cheap check before files are read: one stat each (a hash where a file's time moved); raises damage."""
    for path, rel, size, mtime in plan:
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is None or st.st_size != size or st.st_mtime_ns != mtime:
            rec = (store.manifest.files.get(rel)
                   or next(a["files"][rel] for a in store.manifest.derived.values() if rel in a.get("files", {})))
            what = problem(store.path, rel, rec, deep=False)
            if what is not None:
                raise damaged(store.path, rel, what)


def verify_open(store: Store, version: int, derived: Iterable[str] = ()) -> None:
    """The cheap check before a version is read: sizes (and a hash where a file's time moved); raises damage."""
    verify(store, open_plan(store, version, derived))


@dataclass
class CheckReport:
    """What ``policypulse check`` found: files checked, damaged ones (with what is wrong), unrecorded ones."""

    store: str
    version: int
    files: int = 0
    bytes: int = 0
    damaged: list[tuple[str, str, str]] = field(default_factory=list)  # (file, kind, what)
    unrecorded: list[str] = field(default_factory=list)
    unsealed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No damaged file."""
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"store": self.store, "version": self.version, "ok": self.ok, "files": self.files,
                "bytes": self.bytes,
                "damaged": [{"file": f, "kind": k, "problem": w} for f, k, w in self.damaged],
                "unrecorded": self.unrecorded, "unsealed": self.unsealed}


def kind_of(rel: str) -> str:
    """``documents`` (cannot be rebuilt) or ``derived`` (rebuilt by repair from the documents)."""
    return "documents" if rel.startswith(("segments/", "dups/")) else "derived"


def check(store: Store, progress: Callable[[int], None] | None = None, threads: int = 2) -> CheckReport:
    """Hash every file the manifest records, of every version and derived artifact."""
    manifest = store.manifest
    report = CheckReport(store=str(store.path), version=store.version)
    todo: list[tuple[str, dict[str, Any]]] = list(manifest.files.items())
    for name, art in manifest.derived.items():
        todo += list(art.get("files", {}).items())
    for rel in referenced(manifest, store.path):
        if rel not in manifest.files:
            report.unrecorded.append(rel)
    if (store.path / "index").is_dir() and "index" not in manifest.derived:
        report.unsealed.append("index")

    def one(item: tuple[str, dict[str, Any]]) -> tuple[str, str | None, int]:
        rel, rec = item
        return rel, problem(store.path, rel, rec, deep=True), int(rec.get("size", 0))

    # hashlib releases the GIL on large buffers: two threads hash two files at once
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for rel, what, size in pool.map(one, todo):
            report.files += 1
            report.bytes += size
            if what is not None:
                report.damaged.append((rel, kind_of(rel), what))
            if progress is not None:
                progress(size)
    return report
