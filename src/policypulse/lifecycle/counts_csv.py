"""Read pre-aggregated `date,count[,total]` CSVs (Nexis, Google Trends, Ngram, Media Cloud) into a count series."""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CountsFileError, StatisticalWarning
from policypulse.timeline import period_grid

from .series import FREQUENCIES, period_start

_DATE_RE = re.compile(r"^\d{4}(-\d{1,2}(-\d{1,2})?)?$")
# A day with a time of day, as Media Cloud writes its dates ("2024-03-01 00:00:00"): the day is kept.
_STAMP_RE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
# Header names of the total column, best first: Media Cloud's attention CSV (date,count,total_count,ratio),
# ours, GDELT's timelinevolraw ("norm").
_TOTAL_NAMES = ("total_count", "total", "total_docs", "norm")
_RATIO_TOLERANCE = 0.01  # relative; Media Cloud rounds ratio
# Median spacing (days) -> frequency.
_SPACING: tuple[tuple[float, float, str], ...] = (
    (0.5, 1.5, "day"),
    (6.0, 8.0, "week"),
    (27.0, 32.0, "month"),
    (88.0, 93.0, "quarter"),
    (360.0, 367.0, "year"),
)
CONSTANT_EXPOSURE_MIN = 1000  # documents per period assumed when the file has no total column


def _parse_date(text: str, path: str, line: int) -> pd.Timestamp:
    """ISO date, year-month or year; anything else is a CountsFileError naming the line."""
    t = text.strip()
    stamp = _STAMP_RE.match(t)
    if stamp:
        t = stamp[1]
    if not _DATE_RE.match(t):
        raise CountsFileError(path, line, f"cannot read date {text!r}; use YYYY-MM-DD, YYYY-MM or YYYY")
    try:
        return pd.Timestamp(t if len(t) > 4 else f"{t}-01-01")
    except ValueError as exc:
        raise CountsFileError(path, line, f"invalid date {text!r} ({exc})") from None


def _parse_int(text: str, what: str, path: str, line: int) -> int:
    """A non-negative whole number (a trailing '.0' is accepted)."""
    t = text.strip().replace(",", "")
    try:
        value = float(t)
    except ValueError:
        raise CountsFileError(path, line, f"{what} {text!r} is not a number") from None
    if not np.isfinite(value) or value < 0 or value != int(value):
        raise CountsFileError(
            path,
            line,
            f"{what} {text!r} must be a whole number >= 0 (for relative "
            "frequencies such as Ngram shares, export match and volume counts instead)",
        )
    return int(value)


def _total_column(header: list[str], path: str, line: int) -> tuple[int | None, int | None]:
    """(total column, ratio column) of a named header; the third column is the total unless named otherwise."""
    names = [h.strip().lower() for h in header]
    ratio = names.index("ratio") if "ratio" in names else None
    for name in _TOTAL_NAMES:
        if name in names[2:]:
            return names.index(name, 2), ratio
    if len(names) < 3:
        return None, ratio
    if names[2] == "ratio":
        # a share is not a total: the counts would be divided by the wrong thing
        raise CountsFileError(path, line, "the third column is 'ratio' and no total column (total_count or "
                                          "total) is named; export the counts with their totals")
    return 2, ratio


def _check_ratio(text: str, count: int, total: int, path: str, line: int) -> None:
    """A Media Cloud ratio must equal count/total_count: a mismatch means shifted or mislabelled columns."""
    t = text.strip()
    if not t or total == 0:
        return
    try:
        ratio = float(t)
    except ValueError:
        raise CountsFileError(path, line, f"ratio {text!r} is not a number") from None
    expected = count / total
    if abs(ratio - expected) > _RATIO_TOLERANCE * max(expected, 1.0 / total):
        raise CountsFileError(path, line, f"ratio {t} disagrees with count/total_count = {count}/{total} = "
                                          f"{expected:.6g}: are the columns shifted?")


def infer_frequency(dates: pd.DatetimeIndex) -> str:
    """Frequency from the spacing of sorted dates; ValueError when no frequency fits."""
    if len(dates) < 2:
        raise ValueError("need at least two dates to infer the frequency")
    # The smallest positive spacing, not the median: missing rows (gaps) only ever widen spacings.
    diffs = np.diff(dates.sort_values().values).astype("timedelta64[D]").astype(float)
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        raise ValueError("all rows have the same date")
    spacing = float(diffs.min())
    for lo, hi, by in _SPACING:
        if lo <= spacing <= hi:
            return by
    raise ValueError(
        f"the closest dates are {spacing:g} days apart; expected the spacing of one of "
        f"{', '.join(FREQUENCIES)}"
    )


IDEA_COLUMNS = ("idea", "term", "keyword", "query", "phrase", "search term")


def read_counts_by_idea(path: str | Path, by: str | None = None) -> tuple[dict[str, pd.DataFrame], str]:
    """Read a counts CSV with one series or, with a leading idea column (`idea,date,count[,total]`, the long
    form of multi-term exports), one series per idea; returns ({idea: series}, frequency).

    A file without an idea column is one series named after the file. With one, every idea's rows are read
    as their own `date,count[,total]` table (same rules, errors name the file and line), at one frequency
    inferred from all the dates unless `by` is given.
    """
    p = str(path)
    rows = _rows(path)
    header_line, header = rows[0]
    if header[0].strip().lower() not in IDEA_COLUMNS:
        frame, freq = read_counts(path, by)
        return {Path(p).stem: frame}, freq
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    for line, row in rows[1:]:
        name = row[0].strip()
        if not name:
            raise CountsFileError(p, line, "empty idea name")
        groups.setdefault(name, []).append((line, row[1:]))
    if not groups:
        raise CountsFileError(p, None, "the file has a header but no data rows")
    if by is None:
        dates = [_parse_date(r[0], p, line) for g in groups.values() for line, r in g if r]
        try:
            by = infer_frequency(pd.DatetimeIndex(sorted(set(dates))))
        except ValueError as exc:
            raise CountsFileError(p, None, str(exc)) from None
    out = {}
    for name, group in groups.items():
        frame, _ = _read_rows(p, [(header_line, header[1:])] + group, by)
        out[name] = frame
    return out, by


def _rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """Non-empty CSV rows with their line numbers, preamble lines (fewer than two columns) dropped."""
    p = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise CountsFileError(p, None, f"cannot open ({exc.strerror})") from None
    with handle:
        rows = list(enumerate(csv.reader(handle), start=1))
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    while rows and len(rows[0][1]) < 2:  # preamble such as "Category: All categories"
        rows.pop(0)
    if not rows:
        raise CountsFileError(p, None, "no rows with at least two columns (expected date,count[,total])")
    return rows


def read_counts(path: str | Path, by: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a `date,count[,total]` CSV into (series DataFrame, frequency).

    The header may use other names (e.g. Google Trends' "Week,term: (Worldwide)"); single-column
    preamble lines before it are skipped. The frequency is inferred from the date spacing unless `by`
    is given. Dates missing between the first and last row become coverage gaps (total_docs = 0).
    Named columns are found by name: Media Cloud's attention CSV (``date,count,total_count,ratio``, dates
    possibly with a time of day) takes ``total_count`` as the total and checks ``ratio`` against it.
    Without a total column exposure is taken as constant — rates are then relative and the death test
    treats every period as equally searched; a note in `frame.attrs["notes"]` and a StatisticalWarning
    say so. Bad rows raise CountsFileError (a ValueError) naming the file and line.
    """
    p = str(path)
    return _read_rows(p, _rows(path), by)


def _read_rows(p: str, rows: list[tuple[int, list[str]]], by: str | None) -> tuple[pd.DataFrame, str]:
    """`read_counts` on rows already read (header first)."""
    header_line, header = rows[0]
    notes: list[str] = []
    if _DATE_RE.match(header[0].strip()) or _STAMP_RE.match(header[0].strip()):
        data, total_col, ratio_col = rows, (2 if len(header) >= 3 else None), None
    else:
        if not header[0].strip():
            raise CountsFileError(
                p, header_line, f"unrecognised header {header!r}; expected date,count[,total]"
            )
        data = rows[1:]
        total_col, ratio_col = _total_column(header, p, header_line)
        if total_col is not None and data and all(len(row) == 2 for _, row in data):
            # Media Cloud writes its 4-column header but only date,count where the platform cannot give totals
            total_col = ratio_col = None
        if total_col is not None and header[total_col].strip().lower() == "total_count":
            notes.append("Media Cloud attention CSV: total_count (stories in the collection per period) is the "
                         "exposure" + ("; ratio checked against count/total_count" if ratio_col is not None else ""))
    has_total = total_col is not None
    if not data:
        raise CountsFileError(p, None, "the file has a header but no data rows")
    need = 1 + max(1, total_col or 0, ratio_col or 0)
    dates, counts, totals, lines = [], [], [], []
    for line, row in data:
        if len(row) < need:
            raise CountsFileError(p, line, f"expected {need} columns, got {len(row)}")
        dates.append(_parse_date(row[0], p, line))
        counts.append(_parse_int(row[1], "count", p, line))
        if total_col is not None:
            total = _parse_int(row[total_col], "total", p, line)
            if total < counts[-1]:
                raise CountsFileError(p, line, f"count {counts[-1]} exceeds total {total}")
            totals.append(total)
            if ratio_col is not None:
                _check_ratio(row[ratio_col], counts[-1], total, p, line)
        lines.append(line)
    # microseconds: pandas' default nanoseconds end in 1677 (Google Ngram series start in 1500)
    idx = pd.DatetimeIndex(np.array([d.to_datetime64() for d in dates], dtype="datetime64[us]"))
    try:
        freq = by or infer_frequency(idx)
    except ValueError as exc:
        raise CountsFileError(p, None, str(exc)) from None
    if freq == "week" and (idx.dayofweek == 6).all():  # Google Trends weeks run Sunday-Saturday
        idx = idx + pd.Timedelta(days=1).as_unit("us")
        notes.append("weeks dated by their Sunday were moved to the Monday that starts policypulse weeks")
    starts = pd.DatetimeIndex(np.array([period_start(d, freq).to_datetime64() for d in idx], dtype="datetime64[us]"))
    seen: dict[pd.Timestamp, int] = {}
    for s, line in zip(starts, lines):
        if s in seen:
            raise CountsFileError(
                p, line, f"second row for the {freq} starting {s.date().isoformat()} (first on line {seen[s]})"
            )
        seen[s] = line
    full = pd.DatetimeIndex(period_grid(starts.min().to_datetime64(), starts.max().to_datetime64(), freq))
    docs = pd.Series(counts, index=starts).reindex(full)
    if has_total:
        total_s = pd.Series(totals, index=starts).reindex(full)
    else:
        constant = max(CONSTANT_EXPOSURE_MIN, 100 * max(counts))
        total_s = pd.Series(constant, index=starts).reindex(full)
        notes.append(
            f"no total column: exposure taken as constant ({constant} documents per period); rates "
            "are relative and periods without data cannot be told from silence"
        )
    missing = int(docs.isna().sum())
    if missing:
        notes.append(f"{missing} period(s) missing from the file were treated as coverage gaps")
    frame = pd.DataFrame(
        {
            "period": full,
            "docs": docs.fillna(0).astype(np.int64).to_numpy(),
            "mentions": docs.fillna(0).astype(np.int64).to_numpy(),
            "total_docs": total_s.fillna(0).astype(np.int64).to_numpy(),
        }
    )
    frame.attrs["notes"] = notes
    frame.attrs["source"] = p
    for note in notes:
        if note.startswith("no total"):
            warnings.warn(f"{p}: {note}", StatisticalWarning, stacklevel=2)
    return frame, freq
