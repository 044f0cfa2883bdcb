"""CSV and TSV files with a header row; quoted multi-line fields are one record."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from policypulse.corpus.readers._util import resolve_relative
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import sniff_encoding

csv.field_size_limit(sys.maxsize)


def read_csv(path: Path, options: ReaderOptions, *, relative: bool = True) -> Iterator[Item]:
    """Records of a CSV/TSV file, numbered by the line on which each record starts.

    With ``relative`` a relative date ("3 hours ago") is resolved against the record's capture-time column.
    """
    name = str(path)
    with open(path, "rb") as fh:
        enc = sniff_encoding(fh.read(4096))
        fh.seek(0)
        errors = "policypulse-cp1252" if enc == "utf-8" else "replace"
        text = io.TextIOWrapper(fh, encoding="utf-8-sig" if enc == "utf-8" else enc, errors=errors, newline="")
        header_line = text.readline()
        if not header_line.strip():
            yield Rejection(name, 1, "empty file: no header row")
            return
        delimiter = "\t" if header_line.count("\t") > header_line.count(",") else (
            ";" if header_line.count(";") > header_line.count(",") else ",")
        header = next(csv.reader([header_line], delimiter=delimiter))
        header = [h.strip().removeprefix("\ufeff") for h in header]
        # strict: a quote left open must not silently swallow the rest of the file into one field
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        line = 2
        while True:
            start = line
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if str(exc) == "unexpected end of data":
                    yield Rejection(name, start, "malformed CSV: a quoted field opened here is never closed "
                                    "(the rest of the file could not be read)")
                    return
                yield Rejection(name, start, f"malformed CSV: {exc}")
                line = reader.line_num + 2
                continue
            line = reader.line_num + 2  # the header is line 1; line_num counts lines after it
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield Rejection(name, start, f"expected {len(header)} fields (as in the header), found {len(row)}")
                continue
            rec = RawRecord(name, start, dict(zip(header, row)))
            yield resolve_relative(rec, options.date_field) if relative else rec
