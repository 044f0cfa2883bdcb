"""Media Cloud story-list CSV exports (search.mediacloud.org; the older v3 columns too).

Columns: ``id, indexed_date, language, media_name, media_url, publish_date, title, url`` (v3:
``stories_id, publish_date, title, url, language, ap_syndicated, media_id, media_name, media_url...``).
Most users get no full text: a story's text is its title (plus ``text``/``snippet`` when present).
``publish_date`` is what Media Cloud could find or guess: when it is empty, the story is dated by
``indexed_date`` and marked a fallback date (left out of lifecycle statistics by default, so the last day
of a collection does not spike); when it is later than ``indexed_date`` (web-tools #1469, metadata-lib
#103: 2026 dates for stories indexed in 2024), the story is quarantined with the reason. Relative dates
("3 days ago", "last week") resolve against ``indexed_date``, the capture time, at the precision they carry
(see :func:`policypulse.corpus.dates.relative_date`); the original is kept in ``meta.date_relative``.

The attention-over-time CSV (``date,count,total_count,ratio``) holds counts, not stories: it is refused
here with a pointer to ``policypulse lifecycle --counts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policypulse.corpus.dates import DateError, is_relative
from policypulse.corpus.readers._util import parse_instant, relative_date
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.readers.csv import read_csv

STORY_COLUMNS = {"publish_date", "media_name", "title", "url"}
ATTENTION_COLUMNS = ["date", "count", "total_count", "ratio"]
SKEW = dt.timedelta(days=1)


def is_story_header(cols: list[str]) -> bool:
    low = {c.strip().lower() for c in cols}
    return STORY_COLUMNS <= low and bool({"id", "stories_id", "indexed_date", "media_url"} & low)


def is_attention_header(cols: list[str]) -> bool:
    return [c.strip().lower() for c in cols[:4]] == ATTENTION_COLUMNS


def read_mediacloud(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Stories of a Media Cloud CSV, numbered by the line on which each starts (the header is line 1)."""
    name = str(path)
    first = True
    # relative dates are resolved here, against indexed_date only (not whatever capture column comes first)
    for item in read_csv(path, options, relative=False):
        if isinstance(item, Rejection):
            yield item
            continue
        if first:
            first = False
            cols = list(item.data)
            if is_attention_header(cols):
                yield Rejection(name, 0, "a Media Cloud attention-over-time CSV (date,count,total_count,ratio) holds "
                                         "counts per day, not stories: analyse it with "
                                         "'policypulse lifecycle --counts FILE'")
                return
            if not ({"publish_date", "title"} <= {c.lower() for c in cols}):
                yield Rejection(name, 0, "not a Media Cloud story list: no publish_date and title columns")
                return
        yield _story(item)


def _story(rec: RawRecord) -> Item:
    d = {k.strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in rec.data.items()}
    sid = d.get("id") or d.get("stories_id")
    title = d.get("title") or ""
    extra = d.get("text") or d.get("full_text") or d.get("snippet") or ""
    text = f"{title}\n\n{extra}".strip() if extra else title
    if not text:
        return Rejection(rec.file, rec.record, f"story {sid}: no title or text")
    meta: dict[str, Any] = {k: d[k] for k in ("url", "media_url", "language", "media_id", "ap_syndicated",
                                              "indexed_date") if d.get(k)}
    meta["text_is_title"] = not extra
    indexed = parse_instant(d.get("indexed_date"))
    published = d.get("publish_date") or ""
    date: str | None = None
    date_source = "field"
    if not published:
        if indexed is None:
            return Rejection(rec.file, rec.record, f"story {sid}: no publish_date and no indexed_date")
        date, date_source = indexed.date().isoformat(), "fallback"
        meta["date_from"] = "indexed_date"
    elif parse_instant(published) is None and indexed is not None and is_relative(published):
        try:
            date = relative_date(published, indexed)[0]  # type: ignore[index]  # is_relative: not None
        except DateError as exc:
            return Rejection(rec.file, rec.record, f"story {sid}: {exc}")
        meta["date_relative"] = published
        meta["date_captured"] = f"indexed_date {indexed.isoformat()}"
    else:
        stamp = parse_instant(published)
        if stamp is not None and indexed is not None and stamp > indexed + SKEW:
            return Rejection(rec.file, rec.record,
                             f"story {sid}: publish_date {published} is after the story was indexed "
                             f"({d.get('indexed_date')}): a future date, quarantined")
        date = published
    data = {"id": sid, "text": text, "title": title or None, "source": d.get("media_name") or d.get("media_url"),
            "date": date}
    return RawRecord(rec.file, rec.record, {k: v for k, v in data.items() if v}, date_source=date_source,
                     meta=meta)
