"""Helpers shared by the archive readers (issue 9): safe XML, written dates, capture times, lenient JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

from policypulse.corpus.dates import DateError, is_relative, relative_date
from policypulse.corpus.readers.base import DATE_FIELDS, Rejection, pick
from policypulse.corpus.text import decode

# -- safe XML ----------------------------------------------------------------------------------------


class UnsafeXML(ValueError):
    """An XML document declaring entities that could harm (billion laughs, external files): refused, not parsed."""


# An internal entity is expanded only when its text is short and plain (characters and character references,
# no reference to another entity): then every reference expands once, to at most this many characters, and
# no declaration can multiply another (the billion-laughs shape). ParlParse's entities are one character.
MAX_ENTITY_CHARS = 32
_OTHER_ENTITY_REF = re.compile(r"&(?!#[0-9]+;|#x[0-9a-fA-F]+;)")


def _entity_problem(name: str, is_parameter: bool, value: str | None, sysid: str | None,
                    notation: str | None) -> str | None:
    """Why an entity declaration is refused, or None for a short plain internal entity (expanded)."""
    if is_parameter:
        return f"declares the parameter entity %{name}; (DTD tricks are refused)"
    if value is None or sysid is not None or notation is not None:
        return f"declares the external entity &{name}; ({sysid or notation}): external resources are never read"
    if "<" in value or _OTHER_ENTITY_REF.search(value):
        return (f"declares the entity &{name}; whose text holds markup or other entities (the shape of a "
                "'billion laughs' attack)")
    if len(value) > MAX_ENTITY_CHARS:
        return f"declares the entity &{name}; of {len(value):,} characters (at most {MAX_ENTITY_CHARS} are expanded)"
    return None


def parse_xml(data: bytes) -> Any:
    """Parse untrusted XML with defusedxml: no external entities, no DTD retrieval, no network.

    Internal entities of short plain text (``<!DOCTYPE publicwhip [<!ENTITY ndash "&#8211;">]>``, as
    ParlParse writes every Hansard file) are expanded; any other entity declaration is refused. Returns the
    root element; raises :class:`UnsafeXML` for a refused declaration and ``ValueError`` (with the parser's
    message) for XML that is not well formed.
    """
    import defusedxml
    import defusedxml.ElementTree as SafeET

    class Parser(SafeET.DefusedXMLParser):  # type: ignore[misc,name-defined]
        def defused_entity_decl(self, name: str, is_parameter_entity: bool, value: str | None, base: str | None,
                                sysid: str | None, pubid: str | None, notation_name: str | None) -> None:
            problem = _entity_problem(name, is_parameter_entity, value, sysid, notation_name)
            if problem is not None:
                raise UnsafeXML(f"refused: the XML {problem}")

    try:
        parser = Parser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
        parser.feed(data)
        return parser.close()
    except UnsafeXML:
        raise
    except (defusedxml.EntitiesForbidden, defusedxml.DTDForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise UnsafeXML(f"refused: the XML declares entities or external references ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text_of(elem: Any) -> str:
    """All text inside an element, whitespace collapsed."""
    return " ".join("".join(elem.itertext()).split()) if elem is not None else ""


# -- written dates in English, German and French ----------------------------------------------------

MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    # German (with the ASCII spellings exports use: Maerz, Marz)
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "marz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "okt": 10, "dez": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12, "janv": 1,
    "févr": 2, "fevr": 2, "avr": 4, "juil": 7, "déc": 12,
}
WEEKDAYS = ("monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag|"
            "freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche")
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_W = rf"(?:(?:{WEEKDAYS}),?\s+)?"
# "July 1, 2019", "1 July 2019", "1. Juli 2019", "1er juillet 2019", "July 2019" -- at the start of the line
_DMY = re.compile(rf"^{_W}(?P<d>\d{{1,2}})(?:\.|er)?\s+(?P<m>{_MONTH_RE})\.?\s+(?P<y>\d{{4}})\b", re.IGNORECASE)
_MDY = re.compile(rf"^{_W}(?P<m>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b", re.IGNORECASE)
_MY = re.compile(rf"^{_W}(?P<m>{_MONTH_RE})\.?\s+(?P<y>\d{{4}})\b", re.IGNORECASE)
# what may follow the date on a Nexis date line: weekday, time, zone, edition ("Final Edition")
_REST = re.compile(rf"^[\s,;]*((?:{WEEKDAYS})\b)?[\s,;]*(\d{{1,2}}[:.]\d{{2}}(\s*[AP]\.?M\.?)?(\s*[A-Z]{{2,4}})?)?"
                   r"[\s,;]*(.*)$", re.IGNORECASE)


def written_date(line: str, *, whole_line: bool = True) -> tuple[str, str] | None:
    """``(ISO date, precision)`` from a written date at the start of ``line`` (en/de/fr month names).

    With ``whole_line`` only a line that is a date line (date, then weekday/time/zone/edition words) counts,
    so a headline like "Covid-19, part 1" is never read as a date. Returns None if there is none.
    """
    s = " ".join(line.replace("\u00a0", " ").split())
    for rx, precision in ((_MDY, "day"), (_DMY, "day"), (_MY, "month")):
        m = rx.match(s)
        if not m:
            continue
        month = MONTHS.get(m["m"].lower().rstrip("."))
        if month is None:
            continue
        rest = s[m.end():]
        if whole_line and not _date_line_rest(rest):
            continue
        y = int(m["y"])
        if precision == "month":
            return f"{y:04d}-{month:02d}", "month"
        d = int(m["d"])
        try:
            dt.date(y, month, d)
        except ValueError:
            return None
        return f"{y:04d}-{month:02d}-{d:02d}", "day"
    return None


def _date_line_rest(rest: str) -> bool:
    """What follows a date on a date line: nothing, a weekday, a time and zone, or a short edition."""
    m = _REST.match(rest)
    if m is None:
        return False
    tail = m.group(5).strip()
    return len(tail) <= 40 and not re.search(r"[.!?]\s", tail)


# -- capture times: what a relative date ("3 hours ago") is resolved against ----------------------------

# Fields in which scrapers and collection tools record when a page or post was captured (twarc: __twarc; Media
# Cloud: indexed_date; Bluesky AppView: indexedAt), tried in this order.
CAPTURE_FIELDS = ("retrieved_at", "scraped_at", "collected_at", "captured_at", "crawled_at", "fetched_at",
                  "downloaded_at", "indexed_date", "indexed_at", "indexedat", "__twarc.retrieved_at")


def capture_time(data: dict[str, Any]) -> tuple[str, dt.datetime] | None:
    """``(field, instant)`` of the first capture-time field of a record holding an ISO 8601 time, or None."""
    lowered = {k.lower(): k for k in data if isinstance(k, str)}
    for name in CAPTURE_FIELDS:
        if "." in name:
            head, tail = name.split(".", 1)
            value = data.get(head, {}).get(tail) if isinstance(data.get(head), dict) else None
        else:
            value = data.get(lowered[name]) if name in lowered else None
        stamp = parse_instant(value)
        if stamp is not None:
            return name, stamp
    return None


def resolve_relative(rec: Any, date_field: str | None) -> Any:
    """The record with a relative date ("3 hours ago") resolved against its capture time, or a Rejection.

    The date field is chosen as ingest chooses it (``--date-field``, else the usual names); its value is
    replaced by the ISO date at its honest precision and the original kept in ``meta.date_relative``, so that
    ingest still parses it (and quarantines it if the capture time lies in the future). Records without a
    relative date, or without a capture time, pass unchanged (ingest then says why it cannot date them).
    """
    if date_field is None and "date" in rec.data and not is_relative(rec.data["date"]):
        return rec  # the common case, checked without building pick()'s case-folded key map
    key, value = pick(rec.data, date_field, DATE_FIELDS)
    if key is None or not is_relative(value):
        return rec
    captured = capture_time(rec.data)
    if captured is None:
        return rec
    field, stamp = captured
    try:
        resolved = relative_date(value, stamp)
    except DateError as exc:
        return Rejection(rec.file, rec.record, str(exc))
    if resolved is None:  # unreachable: is_relative said it was relative
        return rec
    rec.data[key] = resolved[0]
    rec.meta["date_relative"] = value
    rec.meta["date_captured"] = f"{field} {stamp.isoformat()}"
    return rec


def parse_instant(value: Any) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 string (``Z`` or offset; naive read as UTC), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        stamp = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


# -- lenient JSON (GDELT's DOC API escapes) ---------------------------------------------------------------

_BAD_ESCAPE = re.compile(r'(?:\\x[0-9a-fA-F]{2})+|\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})')


def _repair(m: re.Match[str]) -> str:
    s = m.group(0)
    if s.startswith("\\x") and len(s) >= 4:  # "\xc3\xa7": escaped UTF-8 bytes, as the API writes mojibake
        raw = bytes(int(s[i + 2 : i + 4], 16) for i in range(0, len(s), 4))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return ""  # a backslash that starts no JSON escape (\' ...): dropped, as gdeltdoc does


def loads_lenient(raw: bytes | str, max_repairs: int = 1000) -> tuple[Any, int]:
    """``(value, repairs)``: JSON with invalid backslash escapes and raw control characters repaired.

    GDELT's DOC API emits backslashes that start no JSON escape (``\\'``) and escaped bytes (``\\xc3\\xa7``):
    a stray backslash is dropped and escaped UTF-8 bytes are decoded, at most ``max_repairs`` times; raises
    ``ValueError`` naming the offset of the first error when the text still does not parse.
    """
    text = decode(raw) if isinstance(raw, bytes) else raw
    text = text.lstrip("\ufeff")
    try:
        return json.loads(text, strict=False), 0
    except json.JSONDecodeError as first:
        fixed, n = _BAD_ESCAPE.subn(_repair, text, count=max_repairs)
        if n == 0:
            raise ValueError(f"invalid JSON at offset {first.pos}: {first.msg}") from None
        try:
            return json.loads(fixed, strict=False), n
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON at offset {exc.pos} after repairing {n} bad escapes: {exc.msg}") from None


# -- a small HTML tree (exports such as Factiva's HTML), built on the standard library's tolerant parser ---


class HtmlNode:
    """An HTML element: tag, attributes, and children (elements or text), with its parent."""

    __slots__ = ("attrs", "children", "parent", "tag")

    def __init__(self, tag: str, attrs: dict[str, str], parent: HtmlNode | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[HtmlNode | str] = []
        self.parent = parent

    @property
    def classes(self) -> list[str]:
        """The tokens of the ``class`` attribute."""
        return (self.attrs.get("class") or "").split()

    def iter(self, tag: str | None = None) -> Iterator[HtmlNode]:
        """This element and every element below it, in document order (only ``tag`` ones if given)."""
        stack: list[HtmlNode] = [self]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, HtmlNode))

    def elements(self) -> list[HtmlNode]:
        """The child elements (not text)."""
        return [c for c in self.children if isinstance(c, HtmlNode)]

    def text(self) -> str:
        """All text inside, whitespace (and non-breaking spaces) collapsed; ``<br>`` counts as a space."""
        parts: list[str] = []

        def walk(node: HtmlNode) -> None:
            for c in node.children:
                if isinstance(c, str):
                    parts.append(c)
                elif c.tag == "br":
                    parts.append(" ")
                elif c.tag in _BLOCK:  # a cell or paragraph ends a word even where the markup has no space
                    parts.append(" ")
                    walk(c)
                    parts.append(" ")
                elif c.tag not in ("script", "style"):
                    walk(c)

        walk(self)
        return " ".join("".join(parts).replace("\u00a0", " ").split())


_BLOCK = frozenset({"p", "div", "td", "th", "tr", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
# An open <p> ends where a block starts (HTML's implied end tags), so that a sloppy export still nests right.
_CLOSES_P = frozenset({"p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"})


def parse_html(text: str) -> HtmlNode:
    """The tree of an HTML document (tolerant: unclosed and stray end tags are absorbed, never an error)."""
    from html.parser import HTMLParser

    root = HtmlNode("#document", {}, None)

    class _Builder(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.cur = root

        def _close(self, tag: str) -> bool:
            node: HtmlNode | None = self.cur
            while node is not None and node is not root:
                if node.tag == tag:
                    self.cur = node.parent or root
                    return True
                node = node.parent
            return False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in _CLOSES_P and self.cur.tag == "p":
                self.cur = self.cur.parent or root
            if tag in ("td", "th") and self.cur.tag in ("td", "th"):
                self.cur = self.cur.parent or root
            if tag == "tr" and self.cur.tag in ("td", "th", "tr"):
                self._close("tr")
            node = HtmlNode(tag, {k: v or "" for k, v in attrs}, self.cur)
            self.cur.children.append(node)
            if tag not in _VOID:
                self.cur = node

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.cur.children.append(HtmlNode(tag, {k: v or "" for k, v in attrs}, self.cur))

        def handle_endtag(self, tag: str) -> None:
            if tag not in _VOID:
                self._close(tag)

        def handle_data(self, data: str) -> None:
            self.cur.children.append(data)

    builder = _Builder()
    builder.feed(text)
    builder.close()
    return root
