"""Helpers shared by the archive readers (issue 9): safe XML, written dates, relative dates, lenient JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from policypulse.corpus.text import decode

# -- safe XML ----------------------------------------------------------------------------------------


class UnsafeXML(ValueError):
    """An XML document declaring entities (billion laughs) or external resources: refused, not parsed."""


def parse_xml(data: bytes) -> Any:
    """Parse untrusted XML with defusedxml: no entity expansion, no DTD retrieval, no network.

    Returns the root element; raises :class:`UnsafeXML` for entity/DTD tricks and ``ValueError`` (with
    the parser's message) for XML that is not well formed.
    """
    import defusedxml
    import defusedxml.ElementTree as SafeET

    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
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


# -- relative dates, resolved against the capture time -------------------------------------------------

_UNITS = {"minute": 60, "min": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
          "minuten": 60, "stunde": 3600, "stunden": 3600, "tag": 86400, "tagen": 86400,
          "woche": 7 * 86400, "wochen": 7 * 86400, "heure": 3600, "heures": 3600, "jour": 86400,
          "jours": 86400, "semaine": 7 * 86400, "semaines": 7 * 86400}
_AGO = re.compile(r"^(?:(?P<n>\d+|an?|one)\s+(?P<u>[a-zà-ü]+?)s?\s+ago|vor\s+(?P<n2>\d+|einem|einer)\s+"
                  r"(?P<u2>[a-zà-ü]+)|il\s+y\s+a\s+(?P<n3>\d+|une?)\s+(?P<u3>[a-zà-ü]+))$", re.IGNORECASE)
_TODAY = {"today": 0, "heute": 0, "aujourd'hui": 0, "yesterday": 1, "gestern": 1, "hier": 1}


def relative_date(value: str, captured: dt.datetime) -> tuple[str, str] | None:
    """An ISO date for "3 days ago", "yesterday", "vor 2 Tagen", "il y a 2 jours", relative to ``captured``.

    Hours and minutes give the day of the resulting instant; None if ``value`` is not a relative date.
    """
    s = " ".join(value.strip().lower().split())
    if s in _TODAY:
        return (captured.date() - dt.timedelta(days=_TODAY[s])).isoformat(), "day"
    m = _AGO.match(s)
    if not m:
        return None
    n_raw = m["n"] or m["n2"] or m["n3"]
    unit = (m["u"] or m["u2"] or m["u3"]).lower()
    n = int(n_raw) if n_raw.isdigit() else 1
    seconds = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s")) or _UNITS.get(unit.rstrip("n"))
    if seconds is None:
        return None
    return (captured - dt.timedelta(seconds=n * seconds)).date().isoformat(), "day"


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
