"""ZIP archives of any readable format, extracted safely into a private temporary folder.

Every member is checked before it is written: no absolute path, no ``..`` component, no symbolic link, and
its resolved path must lie inside the private folder (zip slip); members that fail are reported, the rest
are read with the reader their content calls for (nested ZIPs too, two levels deep). Word lock files
(``~$...``) and hidden files are skipped. Sizes are capped (a ZIP bomb is refused, not extracted). Members
are named ``archive.zip!folder/member`` in reports and in the store. The folder is removed afterwards.
(A Nexis Uni DOCX is a ZIP too, but is detected as ``nexis``, not as an archive.)
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection

MAX_TOTAL = 8 << 30  # bytes extracted from one archive
MAX_RATIO = 200  # uncompressed / compressed size of one member
MAX_DEPTH = 2


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if (info.external_attr >> 16) and stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (parts and parts[0].endswith(":")) or PurePosixPath(name).is_absolute():
        return "an absolute path"
    if ".." in parts:
        return "a path that climbs out of the archive ('..')"
    return None


def read_zip(path: Path, options: ReaderOptions, depth: int = 0, label: str | None = None) -> Iterator[Item]:
    """Records of every member of a ZIP archive, each read by the reader its content calls for."""
    from policypulse.corpus.readers import detect, reader_for

    name = label or str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Rejection(name, 0, f"unreadable ZIP archive: {exc}")
        return
    tmp = Path(tempfile.mkdtemp(prefix="policypulse-zip-"))
    try:
        with zf:
            infos = sorted(zf.infolist(), key=lambda i: i.filename)
            total = 0
            for k, info in enumerate(infos, 1):
                member = f"{name}!{info.filename}"
                if info.is_dir():
                    continue
                base = PurePosixPath(info.filename.replace("\\", "/")).name
                if base.startswith(("~$", ".")) or base in ("Thumbs.db", "desktop.ini") or "__MACOSX/" in info.filename:
                    continue
                why = _unsafe(info)
                if why is not None:
                    yield Rejection(member, 0, f"ZIP member refused: {why} (zip slip); not extracted")
                    continue
                target = (tmp / info.filename.replace("\\", "/")).resolve()
                if not str(target).startswith(str(tmp.resolve()) + os.sep):
                    yield Rejection(member, 0, "ZIP member refused: it would be written outside the extraction folder")
                    continue
                total += info.file_size
                if total > MAX_TOTAL or (info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                                         and info.file_size > 1 << 20):
                    yield Rejection(member, 0, f"ZIP member refused: {info.file_size} bytes uncompressed from "
                                               f"{info.compress_size} (a ZIP bomb?)")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                    yield Rejection(member, 0, f"unreadable ZIP member: {exc}")
                    continue
                fmt = detect(target)
                if fmt == "zip":
                    if depth + 1 >= MAX_DEPTH:
                        yield Rejection(member, 0, f"nested ZIP deeper than {MAX_DEPTH} levels: not read")
                    else:
                        yield from read_zip(target, options, depth + 1, member)
                    target.unlink(missing_ok=True)
                    continue
                _, reader = reader_for(fmt, target)
                for item in reader(target, options):
                    item.file = member + item.file[len(str(target)):] if item.file.startswith(str(target)) else member
                    yield item
                target.unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["RawRecord", "read_zip"]
