"""Folders of plain-text files, one document each; the date from a header or from the file name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from policypulse.corpus.dates import date_from_filename
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_HEADER_LINE = re.compile(r"^(date|source|title|id|author|byline)\s*:\s*(.*)$", re.IGNORECASE)
BINARY_MAGIC = {b"PK\x03\x04": "a ZIP/DOCX container", b"%PDF": "a PDF file", b"{\\rtf": "an RTF file",
                b"PAR1": "a Parquet file", b"\xd0\xcf\x11\xe0": "a legacy Office (OLE2) file",
                b"\x1f\x8b": "a gzip-compressed file"}


def _ignored(part: str) -> bool:
    return part in IGNORED_NAMES or part.startswith(("~$", "."))


def iter_files(folder: Path) -> Iterator[Path]:
    """Files below a folder in a stable order, skipping hidden files and Office lock files."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(_ignored(part) for part in path.relative_to(folder).parts):
            yield path


def split_header(text: str) -> tuple[dict[str, str], str]:
    """Metadata from YAML front matter (``---``) or ``Key: value`` lines before a blank line."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            try:
                front = yaml.safe_load(text[3:end])
            except yaml.YAMLError:
                front = None
            if isinstance(front, dict):
                body = text[end + 4 :].lstrip("\r\n")
                return {str(k).lower(): v for k, v in front.items()}, body
    lines = text.split("\n", 12)
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[:12]):
        if not line.strip():
            if meta:
                return meta, "\n".join(lines[i + 1 :]) if i + 1 < len(lines) else ""
            break
        m = _HEADER_LINE.match(line.strip())
        if not m:
            break
        meta[m[1].lower()] = m[2].strip()
    return {}, text


def read_textdir(folder: Path, options: ReaderOptions) -> Iterator[Item]:
    """One record per text file below ``folder``; record numbers count files from 1."""
    for n, path in enumerate(iter_files(folder), 1):
        yield from read_textfile(path, options, record=n, folder=folder)


def read_textfile(path: Path, options: ReaderOptions, record: int = 1, folder: Path | None = None) -> Iterator[Item]:
    """One record from one text file."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Rejection(name, record, f"unreadable file: {exc.strerror}")
        return
    for magic, what in BINARY_MAGIC.items():
        if data.startswith(magic):
            yield Rejection(name, record, f"file is {what}, not plain text")
            return
    meta, body = split_header(decode(data))
    fields: dict[str, object] = {"text": body}
    for key in ("source", "title", "id"):
        if key in meta:
            fields[key] = meta[key]
    if "source" not in fields and folder is not None and path.parent != folder:
        fields["source"] = path.parent.name
    rec = RawRecord(name, record, fields)
    if "date" in meta:
        fields["date"] = meta["date"]
    else:
        found = date_from_filename(path.stem)
        if found is not None:
            rec.date, rec.date_precision = found
            rec.date_source = "filename"
        elif options.default_date is None:
            yield Rejection(name, record,
                            "missing date (no date header, front matter date or date in the file name)")
            return
    yield rec
