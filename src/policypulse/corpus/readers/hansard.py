"""UK Hansard as ParlParse / TheyWorkForYou XML (``debatesYYYY-MM-DD[a-z].xml``): one document per speech.

Root ``<publicwhip scraperversion="b" latest="yes">``; ``<major-heading>``, ``<minor-heading>``,
``<oral-heading>``; ``<speech id="uk.org.publicwhip/debate/2003-06-26.1219.2" person_id=... speakername=...
colnum time url><p>...</p></speech>`` (older files: ``speakerid=".../member/931"``), ``nospeaker="true"`` for
procedural text. A re-scraped day is written to the next letter suffix and the older file is rewritten with
``latest="no"``: only ``latest="yes"`` files are read (the others are reported, so nothing is counted
twice). The date is the sitting's date (from the speech ids, else the file name), never the wall-clock
time, which wraps past midnight. ``person_id="unknown"`` (``error="No match"``) keeps the speaker's name
and leaves the id empty. Parsed with defusedxml: entity declarations (billion laughs) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policypulse.corpus.readers._util import UnsafeXML, local, parse_xml, text_of
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection

_GID_DATE = re.compile(r"/(\d{4}-\d{2}-\d{2})[a-z]?\.")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})[a-z]?\.xml$")
HOUSES = {"debate": "House of Commons", "lords": "House of Lords", "westminhall": "Westminster Hall",
          "wrans": "Written Answers", "wms": "Written Ministerial Statements", "ni": "Northern Ireland Assembly",
          "sp": "Scottish Parliament", "senedd": "Senedd", "standing": "Public Bill Committee"}


def read_hansard(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Speeches of one ParlParse file, numbered from 1 in document order."""
    name = str(path)
    try:
        root = parse_xml(path.read_bytes())
    except UnsafeXML as exc:
        yield Rejection(name, 0, str(exc))
        return
    except ValueError as exc:
        yield Rejection(name, 0, f"unreadable Hansard XML: {exc}")
        return
    if local(root.tag) != "publicwhip":
        yield Rejection(name, 0, f"not a ParlParse file: the root element is <{local(root.tag)}>, not <publicwhip>")
        return
    if root.get("latest", "yes").lower() == "no":
        yield Rejection(name, 0, 'superseded scrape (latest="no"): the later version of this sitting is read '
                                 "instead, so no speech is counted twice")
        return
    file_date = _FILE_DATE.search(path.name)
    major = minor = None
    n = 0
    for el in root:
        tag = local(el.tag)
        if tag in ("major-heading", "oral-heading"):
            major, minor = text_of(el) or None, None
            continue
        if tag == "minor-heading":
            minor = text_of(el) or None
            continue
        if tag not in ("speech", "ques", "reply"):
            continue  # divisions, gidredirect, ...
        n += 1
        yield _speech(name, n, el, major, minor, file_date[1] if file_date else None)


def _speech(name: str, n: int, el: Any, major: str | None, minor: str | None, file_date: str | None) -> Item:
    gid = el.get("id") or ""
    m = _GID_DATE.search(gid)
    date = m[1] if m else file_date
    paras = [text_of(p) for p in el if local(p.tag) == "p"]
    text = "\n\n".join(p for p in paras if p) or text_of(el)
    if not date:
        return Rejection(name, n, f"speech {gid or n}: no sitting date (in its id or the file name)")
    if not text.strip():
        return Rejection(name, n, f"speech {gid or n}: no text")
    kind = gid.split("/")[1] if gid.count("/") >= 2 else "debate"
    meta: dict[str, Any] = {"gid": gid, "heading": major, "subheading": minor, "colnum": el.get("colnum"),
                            "time": el.get("time") or None, "url": el.get("url") or None}
    speaker = el.get("speakername")
    person = el.get("person_id") or ""
    member = el.get("speakerid") or ""
    if el.get("nospeaker") == "true":
        meta["nospeaker"] = True
    if person and person != "unknown":
        meta["person_id"] = person
    if member and member != "unknown":
        meta["member_id"] = member
    if (person == "unknown" or member == "unknown") and el.get("error"):
        meta["speaker_error"] = el.get("error")
    if speaker:
        meta["speaker"] = speaker
    title = " — ".join(h for h in (major, minor) if h) or None
    data = {"id": gid or f"{Path(name).name}#{n}", "text": text, "date": date,
            "source": HOUSES.get(kind, "Hansard")}
    if title:
        data["title"] = title
    return RawRecord(name, n, data, date_precision="day", meta={k: v for k, v in meta.items() if v is not None})
