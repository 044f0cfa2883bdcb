"""Option values shared by the Python API, the analyses and the dashboard, parsed one way everywhere."""

from __future__ import annotations

import datetime as dt

from policypulse.errors import UsageError


def as_date(value: str | dt.date | None, what: str) -> dt.date | None:
    """An ISO date option, or None; a clear usage error naming the option otherwise."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{what} must be an ISO date (YYYY-MM-DD), got {value!r}") from None
