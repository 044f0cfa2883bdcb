"""The exceptions policypulse raises; each message says what went wrong and what to try."""

from __future__ import annotations


class PolicyPulseError(Exception):
    """Base class: a failure the user can act on (exit code 1 on the command line)."""


class UsageError(PolicyPulseError):
    """The request itself is wrong: a bad option value or argument (exit code 2)."""


class StoreError(PolicyPulseError):
    """The store is missing, locked, damaged or of an unsupported schema version."""


class StoreDamagedError(StoreError):
    """A store file is missing, truncated or does not match the checksum its manifest records."""


class QuerySyntaxError(UsageError):
    """A query could not be parsed; ``column`` is 1-based."""

    def __init__(self, message: str, query: str, column: int) -> None:
        shown = query
        if len(query) > 100:  # a long query is shown around the column, so the message stays one readable line
            start = max(0, min(column - 40, len(query) - 80))
            shown = ("..." if start else "") + query[start:start + 80] + ("..." if start + 80 < len(query) else "")
        super().__init__(f"{message} at column {column} in query {shown!r}")
        self.query = query
        self.column = column


class MissingExtraError(PolicyPulseError):
    """An optional dependency is not installed; the message names the install command."""
