"""Parsing document dates with their precision; never inventing a day that the input did not give."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

MIN_YEAR = 1  # any year a date can hold (1 to 9999): chronicles and court rolls go back centuries
# A bare number is read as a year only in this window: 5 or 20140304 in a date field is not a date.
NUMBER_YEARS = (1000, 2999)

_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_YEAR_FIRST_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")


class DateError(ValueError):
    """A date that cannot be read, with the reason as its message."""


def _check(d: dt.date, raw: object, today: dt.date) -> dt.date:
    if d.year < MIN_YEAR:
        raise DateError(f"implausible date {raw!r} (before year {MIN_YEAR})")
    if d > today + dt.timedelta(days=1):
        raise DateError(f"date {d.isoformat()} is in the future (quarantined)")
    return d


def _make(y: int, m: int, d: int, raw: object) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError as exc:
        raise DateError(f"invalid date {raw!r} ({exc})") from None


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    # dateparser takes ~0.5 s to import and build its language data: only written dates pay for it.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dateparser.date import DateDataParser

        return DateDataParser(
            languages=["en", "de", "fr", "es", "it", "nl", "pt"],
            settings={
                "PREFER_DAY_OF_MONTH": "first",
                "PARSERS": ["custom-formats", "absolute-time"],
                "RETURN_TIME_AS_PERIOD": False,
                "TO_TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )


def parse_date(
    value: Any, *, date_order: str | None = None, today: dt.date | None = None
) -> tuple[dt.date, str]:
    """Parse a date value to ``(date, precision)``; precision is ``day``, ``month`` or ``year``.

    Month- and year-precision dates are stored on their first day and flagged, never given a day.
    Timestamps with a zone are converted to their UTC date. Raises :class:`DateError` with the reason.
    """
    today = today or dt.date.today()
    if value is None:
        raise DateError("missing date")
    if isinstance(value, bool):
        raise DateError(f"date is a boolean ({value!r}), expected a date string")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return _check(value.date(), value, today), "day"
    if isinstance(value, dt.date):
        return _check(value, value, today), "day"
    if isinstance(value, int):
        if NUMBER_YEARS[0] <= value <= NUMBER_YEARS[1]:
            return _check(dt.date(value, 1, 1), value, today), "year"
        raise DateError(f"date is a number ({value!r}), expected a date string")
    if not isinstance(value, str):
        raise DateError(f"date is a {type(value).__name__}, expected a date string")
    raw = value
    s = value.strip()
    if not s:
        raise DateError("empty date")
    m = _ISO.match(s)
    if m:
        y, mo, d = int(m["y"]), m["m"], m["d"]
        if mo is None:
            return _check(_make(y, 1, 1, raw), raw, today), "year"
        if d is None:
            return _check(_make(y, int(mo), 1, raw), raw, today), "month"
        if m["tz"] and m["time"]:
            try:
                stamp = dt.datetime.fromisoformat(s)  # Python 3.11+ reads "Z"
            except ValueError:
                raise DateError(f"invalid timestamp {raw!r}") from None
            return _check(stamp.astimezone(dt.UTC).date(), raw, today), "day"
        return _check(_make(y, int(mo), int(d), raw), raw, today), "day"
    m = _YEAR_FIRST_SLASH.match(s)
    if m:
        return _check(_make(int(m[1]), int(m[2]), int(m[3]), raw), raw, today), "day"
    m = _NUMERIC.match(s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        if date_order is None:
            if a > 12 and b <= 12:
                date_order = "DMY"
            elif b > 12 and a <= 12:
                date_order = "MDY"
            elif a == b:
                date_order = "DMY"
            else:
                raise DateError(
                    f"ambiguous day/month in {raw!r}: give --date-order DMY or --date-order MDY"
                )
        day, month = (a, b) if date_order == "DMY" else (b, a)
        return _check(_make(y, month, day, raw), raw, today), "day"
    if is_relative(s):
        # "3 hours ago" is a date only next to the time it was captured; readers resolve it where the record
        # carries that time, so reaching here means it does not
        raise DateError(f"relative date {raw!r} and no capture time to resolve it against (a field such as "
                        "retrieved_at, scraped_at, collected_at or indexed_date)")
    if s.isdigit():
        raise DateError(f"date is a bare number {raw!r}, expected a date")
    if not re.search(r"\d", s):
        raise DateError(f"unparseable date {raw!r}")
    data = _dateparser().get_date_data(s)
    if data is None or data.date_obj is None:
        raise DateError(f"unparseable date {raw!r}")
    precision = data.period if data.period in ("day", "month", "year") else "day"
    d0 = data.date_obj.date()
    if precision == "month":
        d0 = d0.replace(day=1)
    elif precision == "year":
        d0 = d0.replace(month=1, day=1)
    return _check(d0, raw, today), precision


_FILENAME_PATTERNS = (
    (re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)"), "day"),
    (re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})(?!\d)"), "month"),
    (re.compile(r"(?<!\d)(\d{4})(?!\d)"), "year"),
)


def date_from_filename(name: str, today: dt.date | None = None) -> tuple[dt.date, str] | None:
    """A date read from explicit patterns in a file name (YYYY-MM-DD, YYYYMMDD, YYYY-MM, YYYY), or None."""
    today = today or dt.date.today()
    for pattern, precision in _FILENAME_PATTERNS:
        for m in pattern.finditer(name):
            parts = [int(g) for g in m.groups()]
            y, mo, d = (parts + [1, 1])[:3]
            try:
                value = dt.date(y, mo, d)
                return _check(value, name, today), precision
            except (ValueError, DateError):
                continue
    return None


# -- relative dates ("3 hours ago", "yesterday", "last week"), resolved against the capture time -----------
#
# A relative date means something only next to the time the page was captured (Media Cloud's indexed_date,
# twarc's retrieved_at, a scraper's scraped_at). Counts of days or finer ("2 days ago", "10 hours ago") are
# taken as exact, the convention of dateparser and of the sites that print them: the day is known. A week is
# not a day: "last week" and "N weeks ago" name a 7-day span, stored at the finest precision that holds the
# whole span (the month, else the year) so that no day is invented. Months and years are calendar units.

_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "ein": 1, "einem": 1, "einer": 1, "einen": 1, "zwei": 2,
                "drei": 3, "un": 1, "une": 1, "deux": 2, "trois": 3}
# unit word (en/de/fr, singular and plural, and the one-letter forms social sites print: "3h", "5m") -> unit
_UNIT_WORDS = {
    "second": ["s", "sec", "secs", "second", "seconds", "sekunde", "sekunden", "seconde", "secondes"],
    "minute": ["m", "min", "mins", "minute", "minutes", "minuten"],
    "hour": ["h", "hr", "hrs", "hour", "hours", "stunde", "stunden", "heure", "heures"],
    "day": ["d", "day", "days", "tag", "tage", "tagen", "jour", "jours"],
    "week": ["w", "wk", "wks", "week", "weeks", "woche", "wochen", "semaine", "semaines"],
    "month": ["mo", "month", "months", "monat", "monate", "monaten", "mois"],
    "year": ["y", "yr", "yrs", "year", "years", "jahr", "jahre", "jahren", "an", "ans", "année", "années"],
}
_UNIT = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_N = r"(?P<n>\d+|[a-zäöüéû]+)"
_RELATIVE = (
    re.compile(rf"^(?:about\s+|ca\.?\s+|environ\s+)?{_N}\s*(?P<u>[a-zäöüéû]+)\.?\s+ago$"),  # "3 hours ago", "a day ago"
    re.compile(r"^(?P<n>\d+)\s*(?P<u>[smhdwy]|min|mins|hr|hrs|wk|wks|mo|yr|yrs)$"),  # "3h", "5m", "2d"
    re.compile(rf"^vor\s+(?:etwa\s+)?{_N}\s+(?P<u>[a-zäöüéû]+)$"),  # "vor 2 Tagen"
    re.compile(rf"^il\s+y\s+a\s+(?:environ\s+)?{_N}\s+(?P<u>[a-zäöüéû]+)$"),  # "il y a 2 jours"
)
_NAMED_DAYS = {"now": 0, "just now": 0, "today": 0, "heute": 0, "gerade eben": 0, "jetzt": 0,
               "aujourd'hui": 0, "à l'instant": 0, "maintenant": 0, "yesterday": 1, "gestern": 1, "hier": 1}
_NAMED_PERIODS = {"last week": ("week", 1), "letzte woche": ("week", 1), "vergangene woche": ("week", 1),
                  "la semaine dernière": ("week", 1), "la semaine derniere": ("week", 1),
                  "last month": ("month", 1), "letzten monat": ("month", 1), "vergangenen monat": ("month", 1),
                  "le mois dernier": ("month", 1), "last year": ("year", 1), "letztes jahr": ("year", 1),
                  "vergangenes jahr": ("year", 1), "l'année dernière": ("year", 1), "l'an dernier": ("year", 1)}


def _relative_parts(value: str) -> tuple[str, int] | None:
    """``(unit, count)`` of a relative date ("3 hours ago" -> ("hour", 3)), ``("calendar-week", 1)`` for
    "last week", or None when ``value`` is not a relative date."""
    s = " ".join(value.strip().lower().replace("\u2019", "'").split())
    if len(s) > 4 and s[:4].isdigit() and s[4] in "-/.":  # the usual case, an absolute date: no regex needed
        return None
    if s in _NAMED_DAYS:
        return "day", _NAMED_DAYS[s]
    if s in _NAMED_PERIODS:
        period, k = _NAMED_PERIODS[s]
        return ("calendar-week" if period == "week" else period), k
    for rx in _RELATIVE:
        m = rx.match(s)
        if not m:
            continue
        count = int(m["n"]) if m["n"].isdigit() else _COUNT_WORDS.get(m["n"])
        unit = _UNIT.get(m["u"])
        if count is not None and unit is not None:
            return unit, count
    return None


def is_relative(value: Any) -> bool:
    """Whether ``value`` is a relative date such as "3 hours ago", "gestern" or "last week"."""
    return isinstance(value, str) and _relative_parts(value) is not None


def _span(lo: dt.date, hi: dt.date, raw: str) -> tuple[str, str]:
    """The finest precision holding every day from ``lo`` to ``hi``: never a day the input did not give."""
    if lo == hi:
        return lo.isoformat(), "day"
    if (lo.year, lo.month) == (hi.year, hi.month):
        return f"{lo.year:04d}-{lo.month:02d}", "month"
    if lo.year == hi.year:
        return f"{lo.year:04d}", "year"
    raise DateError(f"relative date {raw!r} means a week from {lo} to {hi}, across a new year: it cannot be "
                    "dated to a day, a month or a year")


def relative_date(value: str, captured: dt.datetime) -> tuple[str, str] | None:
    """``(ISO date, precision)`` for a relative date resolved against the capture time, None if not relative.

    The ISO text has the precision's length (``2024-03-03``, ``2024-02``, ``2024``), so that
    :func:`parse_date` stores it at that precision and quarantines it if it lies in the future. Raises
    :class:`DateError` for a week that straddles a new year.
    """
    parts = _relative_parts(value)
    if parts is None:
        return None
    unit, n = parts
    if captured.tzinfo is not None:  # the UTC day, as for every timestamp with a zone (parse_date)
        captured = captured.astimezone(dt.UTC)
    if unit in _SECONDS:
        return (captured - dt.timedelta(seconds=n * _SECONDS[unit])).date().isoformat(), "day"
    day = captured.date()
    if unit == "week":  # "2 weeks ago": between 14 and 20 days before the capture
        hi = day - dt.timedelta(days=7 * n)
        return _span(hi - dt.timedelta(days=6), hi, value)
    if unit == "calendar-week":  # "last week": Monday to Sunday of the week before the capture's
        monday = day - dt.timedelta(days=day.weekday() + 7 * n)
        return _span(monday, monday + dt.timedelta(days=6), value)
    if unit == "month":
        months = day.year * 12 + day.month - 1 - n
        return f"{months // 12:04d}-{months % 12 + 1:02d}", "month"
    return f"{day.year - n:04d}", "year"
