"""Parsing document dates with their precision; never inventing a day that the input did not give."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

MIN_YEAR = 1000

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
            value = value.astimezone(dt.timezone.utc)
        return _check(value.date(), value, today), "day"
    if isinstance(value, dt.date):
        return _check(value, value, today), "day"
    if isinstance(value, int):
        if MIN_YEAR <= value <= 2999:
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
                stamp = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            except ValueError:
                raise DateError(f"invalid timestamp {raw!r}") from None
            return _check(stamp.astimezone(dt.timezone.utc).date(), raw, today), "day"
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
