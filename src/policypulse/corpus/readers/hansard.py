"""UK Hansard as ParlParse / TheyWorkForYou XML (``debatesYYYY-MM-DD[a-z].xml``): one document per speech.

Root ``<publicwhip scraperversion="b" latest="yes">``; ``<major-heading>``, ``<minor-heading>``,
``<oral-heading>``; ``<speech id="uk.org.publicwhip/debate/2003-06-26.1219.2" person_id=... speakername=...
colnum time url><p>...</p></speech>`` (older files: ``speakerid=".../member/931"``), ``nospeaker="true"`` for
procedural text. The date is the sitting's date (from the speech ids, else the file name), never the
wall-clock time, which wraps past midnight. Parsed with defusedxml: the internal DTD subset ParlParse writes at
the top of every file (``<!DOCTYPE publicwhip [<!ENTITY ndash "&#8211;"> ...]>``) is expanded, since its
entities are single characters; entities that refer to other entities (billion laughs), external and
parameter entities are refused (``_util.parse_xml``).

**Versions, never counted twice** (ParlParse ``pyscraper/gidmatching.py``). A re-scraped day is written to the
next letter suffix and the older file is rewritten with ``latest="no"``: for every old speech a
``<gidredirect oldgid newgid matchtype>`` pointing into the new file, followed by the old text when it
changed. So:

* a ``latest="no"`` file is refused whole (its speeches live on, redirected, in the later file);
* a file with a later-letter scrape of the same sitting beside it (``debates2010-07-19b.xml`` next to
  ``...a.xml``) is refused too, whatever its ``latest`` says (a copy taken before the rewrite);
* in a file that is read, a speech whose id is the ``oldgid`` of a ``gidredirect`` is reported, not read:
  it is counted under its new id only.

**Speakers.** ``person_id`` (or the older member ``speakerid``) and ``speakername`` are kept in the metadata;
``person_id="unknown"`` (``error="No match"``) keeps the printed name and leaves the id empty. When a ParlParse
members file (``people.json``, Popolo: ``persons`` with ``other_names``, ``memberships`` mapping member ids to
person ids) is given (``ReaderOptions.hansard_people``) or sits beside the XML (in its folder or up to three
folders above, also as ``members/people.json``), the speaker's name on the day of the sitting is taken from it
(as ParlParse's ``name_on_date``): ``meta.speaker`` is that name, ``meta.speaker_printed`` the name as printed
when it differs ("Mr Speaker", "The Prime Minister").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from policypulse.corpus.readers._util import UnsafeXML, local, parse_xml, text_of
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection

_GID_DATE = re.compile(r"/(\d{4}-\d{2}-\d{2})[a-z]?\.")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})[a-z]?\.xml$")
_FILE_NAME = re.compile(r"^(?P<stem>[A-Za-z_-]*\d{4}-\d{2}-\d{2})(?P<letter>[a-z]?)\.xml$")
_LATEST = re.compile(rb"<publicwhip\b[^>]*\blatest=[\"'](\w+)[\"']")
HOUSES = {"debate": "House of Commons", "lords": "House of Lords", "westminhall": "Westminster Hall",
          "wrans": "Written Answers", "wms": "Written Ministerial Statements", "ni": "Northern Ireland Assembly",
          "sp": "Scottish Parliament", "senedd": "Senedd", "standing": "Public Bill Committee"}
PEOPLE_LOOKUP_DEPTH = 3  # parldata/scrapedxml/debates/x.xml -> parldata/members/people.json


def read_hansard(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Speeches of one ParlParse file, numbered from 1 in document order (gidredirects are not records)."""
    name = str(path)
    data = path.read_bytes()
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        yield _members_file(name, data)
        return
    try:
        root = parse_xml(data)
    except UnsafeXML as exc:
        yield Rejection(name, 0, str(exc))
        return
    except ValueError as exc:
        yield Rejection(name, 0, f"unreadable Hansard XML: {exc}")
        return
    if local(root.tag) != "publicwhip":
        yield Rejection(name, 0, f"not a ParlParse file: the root element is <{local(root.tag)}>, not <publicwhip>")
        return
    redirects = {el.get("oldgid"): el for el in root if local(el.tag) == "gidredirect" and el.get("oldgid")}
    if root.get("latest", "yes").lower() == "no":
        moved = f" ({len(redirects)} of its items redirected there by gidredirect)" if redirects else ""
        yield Rejection(name, 0, 'superseded scrape (latest="no"): the later version of this sitting is read '
                                 f"instead, so no speech is counted twice{moved}")
        return
    newer = _later_scrape(path)
    if newer is not None:
        yield Rejection(name, 0, f"superseded scrape: {newer} beside it is a later scrape of the same sitting and "
                                 "is read instead, so no speech is counted twice")
        return
    people, problem = _people_for(path, options)
    if problem is not None:
        yield problem
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
            continue  # divisions, gidredirects, ...
        n += 1
        gid = el.get("id") or ""
        if gid in redirects:
            to = redirects[gid]
            yield Rejection(name, n, f"speech {gid} is redirected to {to.get('newgid')} (gidredirect, matchtype "
                                     f"{to.get('matchtype')}): counted under its new id only")
            continue
        yield _speech(name, n, el, major, minor, file_date[1] if file_date else None, people)


def _later_scrape(path: Path) -> str | None:
    """The name of a later-letter scrape of the same sitting beside ``path`` that is not itself superseded."""
    m = _FILE_NAME.match(path.name)
    if m is None:
        return None
    try:
        siblings = sorted(path.parent.glob(f"{m['stem']}?.xml"))
    except OSError:
        return None
    for sib in reversed(siblings):
        sm = _FILE_NAME.match(sib.name)
        if sm is None or sm["stem"] != m["stem"] or sm["letter"] <= m["letter"]:
            continue
        try:
            with open(sib, "rb") as fh:
                head = fh.read(16384)  # past the DOCTYPE entity list ParlParse writes first
        except OSError:
            continue
        latest = _LATEST.search(head)
        if latest is None or latest[1].lower() != b"no":
            return sib.name
    return None


def _speech(name: str, n: int, el: Any, major: str | None, minor: str | None, file_date: str | None,
            people: People | None) -> Item:
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
    printed = el.get("speakername")
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
    if printed:
        meta["speaker"] = printed
    if people is not None and (meta.get("person_id") or meta.get("member_id")):
        pid = meta.get("person_id") or people.member_person.get(meta["member_id"])
        resolved = people.name_on(pid, date) if pid else None
        if resolved:
            meta["person_id"] = pid
            meta["speaker"] = resolved
            if printed and printed != resolved:
                meta["speaker_printed"] = printed
        else:
            meta["speaker_unresolved"] = (f"{pid or meta['member_id']} has no name in {people.source} on {date}")
    title = " — ".join(h for h in (major, minor) if h) or None
    data = {"id": gid or f"{Path(name).name}#{n}", "text": text, "date": date,
            "source": HOUSES.get(kind, "Hansard")}
    if title:
        data["title"] = title
    return RawRecord(name, n, data, date_precision="day", meta={k: v for k, v in meta.items() if v is not None})


# -- people.json: speaker names -------------------------------------------------------------------------


@dataclass
class People:
    """The parts of a ParlParse ``people.json`` that name a speaker: member -> person, person -> main names."""

    source: str
    member_person: dict[str, str] = field(default_factory=dict)
    names: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def name_on(self, person_id: str, date: str) -> str | None:
        """The person's main name on ``date`` (ISO), as ParlParse's ``name_on_date`` builds it; None if none."""
        mains = self.names.get(person_id) or []
        for nm in mains:
            if _day(nm.get("start_date"), "0000-00-00") <= date <= _day(nm.get("end_date"), "9999-12-31", end=True):
                return _full_name(nm)
        return None


def _day(value: Any, default: str, end: bool = False) -> str:
    """A people.json date as YYYY-MM-DD (a bare year is its first or, for an end, its last day)."""
    if not isinstance(value, str) or not value:
        return default
    if len(value) == 4:
        return f"{value}-12-31" if end else f"{value}-01-01"
    return value


def _full_name(nm: dict[str, Any]) -> str | None:
    if nm.get("family_name"):
        parts = [nm.get("honorific_prefix"), nm.get("given_name"), nm["family_name"]]
    elif nm.get("lordname") or nm.get("lordofname"):  # "Lord Hill of Oareford"
        parts = [nm.get("honorific_prefix"), nm.get("lordname"),
                 f"of {nm['lordofname']}" if nm.get("lordofname") else None]
    else:
        parts = [nm.get("name")]
    text = " ".join(str(p) for p in parts if p)
    return text or None


def parse_people(raw: bytes, source: str) -> People:
    """A :class:`People` from the bytes of a ParlParse ``people.json``; ValueError says what is wrong."""
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("persons"), list):
        raise ValueError("not a ParlParse members file: no 'persons' list")  # noqa: TRY004 - bad data, not a bug
    people = People(source)
    for m in doc.get("memberships") or []:
        if isinstance(m, dict) and isinstance(m.get("id"), str) and isinstance(m.get("person_id"), str):
            people.member_person[m["id"]] = m["person_id"]
    for p in doc["persons"]:
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            continue
        mains = [nm for nm in p.get("other_names") or [] if isinstance(nm, dict) and nm.get("note") == "Main"]
        if mains:
            people.names[p["id"]] = mains
    return people


@lru_cache(maxsize=4)
def _load_people(path: str, mtime_ns: int, size: int) -> People | str:
    """The members file at ``path`` (cached while unchanged: one file serves thousands of sittings), or why
    it cannot be used."""
    try:
        return parse_people(Path(path).read_bytes(), Path(path).name)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    except ValueError as exc:
        return str(exc)


_REPORTED: set[tuple[str, int]] = set()  # a broken members file is reported once, not once per sitting


def _people_for(path: Path, options: ReaderOptions) -> tuple[People | None, Rejection | None]:
    """The members file for ``path`` (given, or found beside it) and a rejection if it cannot be used."""
    given = Path(options.hansard_people) if options.hansard_people else None
    found = given or _find_people(path)
    if found is None:
        return None, None
    # a people.json found further up that is not ParlParse's belongs to something else: not ours to report
    quiet = given is None and found.parent != path.parent and found.parent.name != "members"
    try:
        st = found.stat()
        loaded: People | str = _load_people(str(found), st.st_mtime_ns, st.st_size)
        key = (str(found), st.st_mtime_ns)
    except OSError as exc:
        loaded, key = f"unreadable: {exc.strerror}", (str(found), -1)
    if isinstance(loaded, People):
        return loaded, None
    if key in _REPORTED or quiet:
        return None, None
    _REPORTED.add(key)
    return None, Rejection(str(found), 0, f"ParlParse members file not used ({loaded}): Hansard speakers keep "
                                          "their printed names")


def _find_people(path: Path) -> Path | None:
    folder = path.parent
    for _ in range(PEOPLE_LOOKUP_DEPTH + 1):
        for candidate in (folder / "people.json", folder / "members" / "people.json"):
            if candidate.is_file():
                return candidate
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def _members_file(name: str, raw: bytes) -> Rejection:
    """A people.json handed to ingest: accounted for (it names speakers), not read as documents."""
    try:
        people = parse_people(raw, Path(name).name)
    except ValueError as exc:
        return Rejection(name, 0, f"not a Hansard file: a JSON file that is {exc}")
    return Rejection(name, 0, f"a ParlParse members file ({len(people.names)} people): it names Hansard speakers "
                              "when it sits beside the debates XML, and holds no speeches to count")
