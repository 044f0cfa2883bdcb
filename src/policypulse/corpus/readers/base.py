"""What every reader yields: raw records (a field dict with its origin) or rejections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Field names tried, in order, when the user gives no --date-field / --text-field / ... mapping.
DATE_FIELDS = ("date", "publish_date", "published", "published_at", "pubdate", "created_at", "timestamp",
               "datetime", "time", "day")
TEXT_FIELDS = ("text", "body", "content", "full_text", "article", "story")
SOURCE_FIELDS = ("source", "media_name", "outlet", "publication", "publisher", "source_name", "site")
ID_FIELDS = ("id", "doc_id", "stories_id", "uuid", "guid", "url")
TITLE_FIELDS = ("title", "headline")


@dataclass
class RawRecord:
    """One input record as read, before mapping and validation."""

    file: str
    record: int
    data: dict[str, Any]
    # Readers that already know the date (e.g. from a file name) set these.
    date: dt.date | None = None
    date_precision: str | None = None
    date_source: str = "field"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rejection:
    """An input record (or a whole file) that could not be used, and why."""

    file: str
    record: int
    reason: str


@dataclass
class ReaderOptions:
    """Field mapping and parsing options shared by all readers."""

    date_field: str | None = None
    text_field: str | None = None
    source_field: str | None = None
    id_field: str | None = None
    title_field: str | None = None
    date_order: str | None = None
    default_date: dt.date | None = None
    default_source: str | None = None
    # ParlParse members file (people.json) resolving Hansard speakers; None: look beside the XML files
    hansard_people: Path | None = None


Item = RawRecord | Rejection


def lookup(data: dict[str, Any], name: str) -> Any:
    """A field by name, following dots into nested objects (``meta.date``)."""
    if name in data:
        return data[name]
    cur: Any = data
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def lowered_keys(data: dict[str, Any]) -> dict[str, str]:
    """A record's field names by their casefolded form (the last of names differing only in case wins)."""
    return {k.lower(): k for k in data}


def pick(data: dict[str, Any], explicit: str | None, candidates: tuple[str, ...],
         lowered: dict[str, str] | None = None) -> tuple[str | None, Any]:
    """The (field name, value) to use: the explicit mapping, else the first candidate present
    (``lowered``: the record's ``lowered_keys``, when the caller picks several fields of one record)."""
    if explicit:
        return explicit, lookup(data, explicit)
    if lowered is None:
        lowered = lowered_keys(data)
    for name in candidates:
        if name in lowered:
            key = lowered[name]
            return key, data[key]
    return None, None


def display(path: Path | str) -> str:
    """How a file is named in reports."""
    return str(path)


Reader = Iterator[Item]
