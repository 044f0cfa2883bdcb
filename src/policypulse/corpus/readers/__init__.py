"""Readers, one module per input format, and format detection by content."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from policypulse.corpus.readers.base import Item, ReaderOptions, RawRecord, Rejection
from policypulse.corpus.readers.csv import read_csv
from policypulse.corpus.readers.jsonl import read_json_array, read_jsonl
from policypulse.corpus.readers.parquet import read_parquet
from policypulse.corpus.readers.sotu import read_sotu
from policypulse.corpus.readers.textdir import BINARY_MAGIC, read_textdir, read_textfile
from policypulse.errors import UsageError

ReaderFn = Callable[[Path, ReaderOptions], Iterator[Item]]

READERS: dict[str, ReaderFn] = {
    "jsonl": read_jsonl,
    "json": read_json_array,
    "csv": read_csv,
    "parquet": read_parquet,
    "textdir": read_textdir,
    "text": read_textfile,
    "sotu": read_sotu,  # type: ignore[dict-item]
}
FORMATS = ("auto", "jsonl", "json", "csv", "parquet", "textdir", "sotu")
# Formats of the archives issue (#9), named in the contract but not readable yet.
PLANNED_FORMATS = ("nexis", "factiva", "mediacloud", "gdelt", "twitter", "bluesky", "hansard")


def detect(path: Path) -> str:
    """The format of ``path`` from its content (magic bytes and structure), not its extension."""
    if path.is_dir():
        return "textdir"
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(tuple(BINARY_MAGIC)):
        return "text"  # the text reader rejects it, naming the container (a .txt that is a DOCX)
    from policypulse.corpus.text import decode

    text = decode(head).lstrip("\ufeff \t\r\n")
    if text.startswith(("[", "{")):
        return _json_or_jsonl(text)
    first_line = text.split("\n", 1)[0]
    if any(d in first_line for d in (",", "\t", ";")) and not first_line.lower().startswith(("date:", "---")):
        return "csv"
    return "text"


def _json_or_jsonl(text: str) -> str:
    """One value per line (JSONL) or one JSON document spanning lines, from the start of a file.

    A broken or non-object first line must not turn a JSONL file into one unreadable JSON document.
    """
    import json

    def value(line: str) -> object:
        try:
            return json.loads(line, strict=False)
        except ValueError:
            return ValueError

    complete = [line.strip() for line in text.split("\n")[:-1] if line.strip()]  # the last may be cut off
    if not complete:
        return "jsonl" if text.startswith("{") else "json"
    if value(complete[0]) is not ValueError:
        return "jsonl" if len(complete) > 1 or text.startswith("{") else "json"
    rest = complete[1:]
    objects = sum(isinstance(value(line), dict) for line in rest)
    return "jsonl" if rest and 2 * objects >= len(rest) else "json"


def reader_for(fmt: str, path: Path) -> tuple[str, ReaderFn]:
    """The reader for a format name (``auto`` detects); unknown names list the valid ones."""
    if fmt in PLANNED_FORMATS:
        raise UsageError(f"--format {fmt} is not supported yet (readers available: {', '.join(FORMATS)})")
    if fmt == "auto":
        fmt = detect(path)
    if fmt not in READERS:
        raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt, READERS[fmt]


__all__ = ["FORMATS", "Item", "RawRecord", "ReaderOptions", "Rejection", "detect", "reader_for"]
