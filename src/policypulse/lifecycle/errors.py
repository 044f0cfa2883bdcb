"""Warning and error classes of the lifecycle library."""

from __future__ import annotations


class StatisticalWarning(UserWarning):
    """A result rests on thin, gappy or otherwise weak evidence; it is returned, but read it with care."""


class LifecycleInputError(ValueError):
    """The series handed to the lifecycle library is malformed (missing columns, bad frequency, ...)."""


class CountsFileError(LifecycleInputError):
    """A pre-aggregated counts CSV has a bad row or header; the message names the file and line."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
