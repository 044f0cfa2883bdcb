"""GDELT: DOC 2.0 API article lists (JSON), Events (1.0 and 2.0) and GKG 2.1 tab-separated files.

* **DOC API ArtList** ``{"articles": [{url, url_mobile, title, seendate: "20250510T120000Z", socialimage,
  domain, language, sourcecountry}]}``: one document per article (its title: the API gives no text), dated
  by ``seendate`` (UTC), source = domain. The API emits invalid JSON escapes (gdeltdoc #26, #28): bad
  backslashes are repaired (kept as literal backslashes) and the number of repairs is reported in each
  document's metadata. Timeline modes (``{"timeline": ...}``) are counts, not documents: refused with a
  pointer to ``lifecycle --counts``; an HTML error page instead of JSON is refused with its text.
* **Events** (``*.export.CSV``), tab-separated, no header, no quoting, in three layouts told apart row by row
  by their column count: GDELT 2.0 (61 columns: each place has an ADM2 code, ``DATEADDED`` is
  ``YYYYMMDDHHMMSS``), GDELT 1.0 daily files from April 2013 (58: no ADM2 codes, ``DATEADDED`` a day) and
  the GDELT 1.0 backfile 1979-2013 (57: no ``SOURCEURL`` either). Read with quoting off (default CSV
  quoting shifts fields: gdeltr2 #15) and the column count checked per row; event codes stay strings
  ("0251"). A document per event: its text is the actors' and places' names (events carry no article
  text), date ``SQLDATE`` (day), source the domain of ``SOURCEURL`` (``gdelt`` without one), id
  ``GLOBALEVENTID``; ``meta.gdelt_version`` says which layout it came from.
* **GKG 1.0** (2013-2015, a header row ``DATE NUMARTS COUNTS THEMES ...``): refused with the reason, since each
  row aggregates NUMARTS articles (counting it as one document would be wrong).
* **GKG 2.1** (``*.gkg.csv``): 27 columns; a document per record: the page title from ``Extras``
  (``<PAGE_TITLE>``) plus its persons, organisations and themes, dated by ``DATE`` (``YYYYMMDDHHMMSS``),
  source ``SourceCommonName``; ``-T`` record ids (machine translated) are marked in the metadata.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from policypulse.corpus.readers._util import loads_lenient
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode, sniff_encoding



@dataclass(frozen=True)
class _EventLayout:
    """Where the fields the reader uses sit in one layout of the events table (0-based columns)."""

    version: str
    action_geo: int  # ActionGeo_FullName
    date_added: int
    source_url: int | None


# The shared first 35 columns (ids, actors, CAMEO codes, tone) are the same in every version; the three geo
# blocks have 7 columns in 1.0 and 8 in 2.0 (ADM2Code added), then DATEADDED and, from April 2013, SOURCEURL.
EVENT_LAYOUTS = {61: _EventLayout("2.0", 52, 59, 60), 58: _EventLayout("1.0", 50, 56, 57),
                 57: _EventLayout("1.0 backfile", 50, 56, None)}
GKG_COLUMNS = 27
_SEENDATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
_GKG_ID = re.compile(r"^\d{14}-T?\d+$")
_PAGE_TITLE = re.compile(r"<PAGE_TITLE>(.*?)</PAGE_TITLE>", re.DOTALL)


# GDELT 1.0's Global Knowledge Graph (2013-2015) starts with a header row; each row is a set of names and
# themes shared by NUMARTS articles of a day (the "counts" file: counts of them), never one article.
_GKG1_HEADERS = ("DATE\tNUMARTS\tCOUNTS\tTHEMES", "DATE\tNUMARTS\tCOUNTTYPE\tNUMBER")


def sniff_tsv(head: str) -> str | None:
    """``events``, ``gkg`` or ``gkg1`` (GDELT 1.0 GKG) for a GDELT tab-separated file, from its first line."""
    line = head.split("\n", 1)[0]
    if line.upper().startswith(_GKG1_HEADERS):
        return "gkg1"
    cols = line.rstrip("\r").split("\t")
    if len(cols) >= 50 and cols[0].isdigit() and re.fullmatch(r"\d{8}", cols[1] or ""):
        return "events"
    if len(cols) >= 20 and _GKG_ID.match(cols[0]) and re.fullmatch(r"\d{14}", cols[1] or ""):
        return "gkg"
    return None


def read_gdelt(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Articles, events or GKG records of a GDELT file (records numbered by line, or from 1 for JSON)."""
    name = str(path)
    raw = path.read_bytes()
    text = decode(raw[:65536])
    head = text.lstrip("\ufeff \t\r\n")
    if head[:1] in "{[":
        yield from _doc_api(name, raw)
        return
    if head.lower().startswith(("<!doctype html", "<html")) or "<title>" in head[:2000].lower():
        msg = re.sub(r"<[^>]+>", " ", head[:2000])
        yield Rejection(name, 0, "GDELT returned an HTML page, not JSON (an API error?): "
                                 + " ".join(msg.split())[:200])
        return
    kind = sniff_tsv(head)
    if kind is None:
        yield Rejection(name, 0, "not a GDELT file: neither DOC API JSON nor Events/GKG tab-separated records")
        return
    if kind == "gkg1":
        yield Rejection(name, 0, "a GDELT 1.0 Global Knowledge Graph file: each row is a set of names and themes "
                                 "shared by NUMARTS articles of a day, not an article, so it cannot be counted as "
                                 "documents; use GKG 2.1 files (one row per article) or the Events files")
        return
    yield from _tsv(name, raw, kind)


def _doc_api(name: str, raw: bytes) -> Iterator[Item]:
    try:
        value, repairs = loads_lenient(raw)
    except ValueError as exc:
        yield Rejection(name, 0, f"GDELT DOC API response: {exc}")
        return
    if isinstance(value, dict) and "timeline" in value:
        yield Rejection(name, 0, "a GDELT DOC API timeline holds counts per period, not articles: analyse it with "
                                 "'policypulse lifecycle --counts' (timelinevolraw: value = count, norm = total)")
        return
    articles = value.get("articles") if isinstance(value, dict) else value
    if not isinstance(articles, list):
        yield Rejection(name, 0, "GDELT DOC API response without an 'articles' list")
        return
    for n, a in enumerate(articles, 1):
        if not isinstance(a, dict):
            yield Rejection(name, n, "article is not a JSON object")
            continue
        m = _SEENDATE.match(str(a.get("seendate", "")))
        if not m:
            yield Rejection(name, n, f"article without a valid seendate (YYYYMMDDTHHMMSSZ): {a.get('seendate')!r}")
            continue
        title = (a.get("title") or "").strip()
        if not title:
            yield Rejection(name, n, f"article {a.get('url')} has no title (the DOC API gives titles, not text)")
            continue
        meta: dict[str, Any] = {k: a[k] for k in ("url", "language", "sourcecountry", "socialimage") if a.get(k)}
        meta["text_is_title"] = True
        if repairs:
            meta["json_repairs"] = repairs
        date = f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}Z"
        data = {"id": a.get("url"), "text": title, "title": title, "date": date,
                "source": a.get("domain") or urlparse(a.get("url") or "").netloc or "gdelt"}
        yield RawRecord(name, n, data, meta=meta)


def _tsv(name: str, raw: bytes, kind: str) -> Iterator[Item]:
    enc = sniff_encoding(raw[:4096])
    fh = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig" if enc == "utf-8" else enc,
                          errors="policypulse-cp1252" if enc == "utf-8" else "replace", newline="")
    file_layout: _EventLayout | None = None
    for n, line in enumerate(fh, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        cols = line.split("\t")  # quoting off: a quote character is data
        if kind == "events":
            layout = EVENT_LAYOUTS.get(len(cols))
            if file_layout is None and layout is not None:
                file_layout = layout  # one file is one layout: a damaged 2.0 row is not a 1.0 event
            if layout is None or layout is not file_layout:
                yield Rejection(name, n, _columns_problem(len(cols), file_layout))
                continue
            yield _event(name, n, cols, layout)
        elif len(cols) != GKG_COLUMNS:
            yield Rejection(name, n, f"expected {GKG_COLUMNS} tab-separated columns (GKG 2.1), found {len(cols)}")
        else:
            yield _gkg(name, n, cols)


def _columns_problem(found: int, layout: _EventLayout | None) -> str:
    """Why an events row of ``found`` columns is refused, given the layout of the file's first event."""
    if layout is not None:
        want = next(k for k, v in EVENT_LAYOUTS.items() if v is layout)
        return f"expected {want} tab-separated columns (GDELT {layout.version} events, as the file's first event), " \
               f"found {found}"
    return (f"expected 61 tab-separated columns (GDELT 2.0 events), 58 (GDELT 1.0 daily events) or 57 (GDELT 1.0 "
            f"backfile 1979-2013), found {found}")


def _event(name: str, n: int, c: list[str], layout: _EventLayout) -> Item:
    # 0 GLOBALEVENTID 1 SQLDATE 5 Actor1Code 6 Actor1Name 15 Actor2Code 16 Actor2Name 26 EventCode
    # 27 EventBaseCode 28 EventRootCode 29 QuadClass 30 GoldsteinScale 31 NumMentions 32 NumSources
    # 33 NumArticles 34 AvgTone; ActionGeo_FullName, DATEADDED and SOURCEURL where the layout puts them
    if not re.fullmatch(r"\d{8}", c[1]):
        return Rejection(name, n, f"event {c[0]}: SQLDATE {c[1]!r} is not YYYYMMDD")
    names = [x for x in (c[6], c[16], c[layout.action_geo]) if x]
    if not names:
        return Rejection(name, n, f"event {c[0]}: no actor or place names to count")
    url = c[layout.source_url] if layout.source_url is not None else ""
    meta = {"event_code": c[26], "event_base_code": c[27], "event_root_code": c[28], "quad_class": c[29],
            "goldstein": c[30], "num_mentions": c[31], "num_sources": c[32], "num_articles": c[33],
            "avg_tone": c[34], "actor1_code": c[5], "actor2_code": c[15], "date_added": c[layout.date_added],
            "url": url, "text_is_names": True, "gdelt_version": layout.version}
    data = {"id": c[0], "text": " | ".join(names), "date": f"{c[1][:4]}-{c[1][4:6]}-{c[1][6:]}",
            "source": urlparse(url).netloc or "gdelt"}
    return RawRecord(name, n, data, meta={k: v for k, v in meta.items() if v != ""})


def _gkg(name: str, n: int, c: list[str]) -> Item:
    # 0 GKGRECORDID 1 DATE 3 SourceCommonName 4 DocumentIdentifier 7 V1Themes 11 V1Persons
    # 13 V1Organizations 15 V1.5Tone 26 Extras
    if not _GKG_ID.match(c[0]) or not re.fullmatch(r"\d{14}", c[1]):
        return Rejection(name, n, f"GKG record {c[0]!r}: not a GKGRECORDID / DATE (YYYYMMDDHHMMSS)")
    title = _PAGE_TITLE.search(c[26])
    persons = [p for p in c[11].split(";") if p]
    orgs = [o for o in c[13].split(";") if o]
    themes = [t for t in c[7].split(";") if t]
    parts = ([title[1].strip()] if title and title[1].strip() else []) + persons + orgs
    if not parts:
        return Rejection(name, n, f"GKG record {c[0]}: no page title, persons or organisations to count")
    d = c[1]
    meta: dict[str, Any] = {"url": c[4], "themes": ";".join(themes[:50]), "tone": c[15].split(",")[0] if c[15] else None,
                            "translated": "-T" in c[0], "text_is_names": not title}
    data = {"id": c[0], "text": " | ".join(parts), "title": title[1].strip() if title else None,
            "date": f"{d[:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z", "source": c[3] or "gdelt"}
    return RawRecord(name, n, {k: v for k, v in data.items() if v}, meta={k: v for k, v in meta.items() if v not in (None, "")})
