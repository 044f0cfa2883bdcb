"""JSON Lines (one object per line) and JSON array files."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from policypulse.corpus.readers._util import resolve_relative
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import sniff_encoding

_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null"}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, "rb") as fh:
        enc = sniff_encoding(fh.read(4096))
        fh.seek(0)
        if enc in ("utf-8", "utf-8-sig"):
            for n, raw in enumerate(fh, 1):
                line = raw.decode("utf-8", errors="policypulse-cp1252")
                if n == 1:
                    line = line.removeprefix("\ufeff")
                yield n, line
        else:
            text = io.TextIOWrapper(fh, encoding=enc, errors="replace", newline=None)
            for n, line in enumerate(text, 1):
                yield n, line.removeprefix("\ufeff") if n == 1 else line


@dataclass
class JsonLine:
    """A line of a JSON Lines file not parsed yet: ingest's worker processes parse it (``parse_line``)."""

    file: str
    record: int
    line: str


def parse_line(name: str, n: int, line: str, options: ReaderOptions) -> Item:
    """One line of a JSON Lines file as a record, or the reason it is not one."""
    try:
        obj = json.loads(line, strict=False)  # raw control characters in strings: kept, then stripped
    except json.JSONDecodeError as exc:
        return Rejection(name, n, f"invalid JSON at column {exc.pos + 1}: {exc.msg}")
    if not isinstance(obj, dict):
        return Rejection(name, n, f"expected a JSON object, got {_json_type(obj)}")
    return resolve_relative(RawRecord(name, n, obj), options.date_field)


def read_jsonl_lines(path: Path) -> Iterator[JsonLine]:
    """The non-blank lines of a JSON Lines file, decoded but not parsed."""
    name = str(path)
    for n, line in _lines(path):
        if line.strip():
            yield JsonLine(name, n, line)


@dataclass
class JsonBlock:
    """Whole lines of a UTF-8 JSON Lines file, neither decoded nor parsed: ingest's worker processes split,
    decode and parse them (``block_lines``), so that the ingest's own process only reads bytes."""

    file: str
    first: int  # the line number of the block's first line
    data: bytes


BLOCK_BYTES = 2 * 1024 * 1024


def read_jsonl_blocks(path: Path, block_bytes: int | None = None) -> Iterator[JsonBlock | JsonLine]:
    """A JSON Lines file as blocks of whole lines (UTF-8 files; files in other encodings as decoded lines)."""
    name = str(path)
    block_bytes = block_bytes or BLOCK_BYTES
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if sniff_encoding(head) not in ("utf-8", "utf-8-sig"):
            yield from read_jsonl_lines(path)
            return
        fh.seek(0)
        first, rest = 1, b""
        while True:
            data = fh.read(block_bytes)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1  # a block ends at a line end; the rest starts the next one
            if cut == 0:
                rest = data  # one line longer than a block: read on
                continue
            block, rest = data[:cut], data[cut:]
            yield JsonBlock(name, first, block)
            first += block.count(b"\n")
        if rest:
            yield JsonBlock(name, first, rest)


def block_lines(block: JsonBlock) -> Iterator[JsonLine]:
    """The non-blank lines of a block, decoded as ``read_jsonl_lines`` decodes them (numbered by line)."""
    pieces = block.data.split(b"\n")
    last = len(pieces) - 1  # the piece after the last line end: no line when empty, a line without an end else
    for i, raw in enumerate(pieces):
        if i == last and not raw:
            break
        n = block.first + i
        # lines keep their end, as when a file is read line by line (a JSON error's column can be the end)
        line = raw.decode("utf-8", errors="policypulse-cp1252") + ("\n" if i < last else "")
        if n == 1:
            line = line.removeprefix("\ufeff")
        if line.strip():
            yield JsonLine(block.file, n, line)


def read_jsonl(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Records of a JSON Lines file, numbered by line; blank lines are not records."""
    for raw in read_jsonl_lines(path):
        yield parse_line(raw.file, raw.record, raw.line, options)


def read_json_array(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Records of a file holding one JSON array of objects, numbered from 1."""
    name = str(path)
    raw = path.read_bytes()
    enc = sniff_encoding(raw[:4096])
    text = raw.decode("utf-8", errors="policypulse-cp1252") if enc == "utf-8" else raw.decode(enc, "replace")
    try:
        data = json.loads(text.removeprefix("\ufeff"), strict=False)
    except json.JSONDecodeError as exc:
        yield Rejection(name, 0, f"invalid JSON file at line {exc.lineno} column {exc.colno}: {exc.msg}")
        return
    if isinstance(data, dict):
        for key in ("data", "documents", "records", "items", "stories"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        yield Rejection(name, 0, f"expected a JSON array of objects, got {_json_type(data)}")
        return
    for i, obj in enumerate(data, 1):
        if isinstance(obj, dict):
            yield resolve_relative(RawRecord(name, i, obj), options.date_field)
        else:
            yield Rejection(name, i, f"expected a JSON object, got {_json_type(obj)}")
