"""The bad-input suite: malformed records and files from the field (formats-reliability.md section 2).

Every case asserts the exact reason of each rejection (or the exact decoded text, date and precision), that
every good record in the same input survived (count and content), and that every input record is exactly
one of accepted, duplicate or rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from policypulse.corpus.ingest import ingest
from policypulse.corpus.readers import ReaderOptions
from policypulse.corpus.store import Store

TODAY = dt.date(2024, 6, 1)

GOOD_A = {"date": "2014-01-01", "source": "good", "text": "Good record before the bad one."}
GOOD_B = {"date": "2014-12-31", "source": "good", "text": "Good record after the bad one."}
ACC_A = ("Good record before the bad one.", "2014-01-01", "day")
ACC_B = ("Good record after the bad one.", "2014-12-31", "day")
GOOD_CSV_A = "2014-01-01,good,Good record before the bad one."
GOOD_CSV_B = "2014-12-31,good,Good record after the bad one."

MISSING_DATE = ("missing date (no field date, publish_date, published, published_at, pubdate, created_at; "
                "map one with --date-field)")
MISSING_TEXT = "missing text (no field text, body, content, full_text, article, story; map one with --text-field)"
AMBIGUOUS = "ambiguous day/month in '03/04/2014': give --date-order DMY or --date-order MDY"
NO_WORDS = "text has no words (only punctuation or symbols)"
HUGE_TEXT = "".join(f"Paragraph {i} of a very long document about the Big Society.\n" for i in range(330_000))
HOSTILE = '<script>alert("pwn")</script><img src=x onerror=alert(1)> <b>Big Society</b> &amp; more'


def _json_lines(*records: object) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


def jl(*bad: object) -> bytes:
    """A UTF-8 JSONL file: a good record on line 1, the bad ones, a good record last."""
    return _json_lines(GOOD_A, *bad, GOOD_B)


_DROP = object()  # a field left out of the record


def rec(date: object = "2014-06-01", text: object = "Bad record text.", **more: object) -> dict:
    """The record under test; fields given as _DROP are absent."""
    out = {"date": date, "source": "bad", "text": text}
    out.update(more)
    return {k: v for k, v in out.items() if v is not _DROP}


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Default Extension="xml" ContentType="a,b;c"/></Types>')
        z.writestr("word/document.xml", "<w:document><w:t>The Big Society</w:t></w:document>")
    return buf.getvalue()


@dataclass
class Case:
    """Input files (name -> bytes; None for a path that does not exist) and what must come out."""

    files: dict[str, bytes | None]
    rejected: list[tuple[str, int, str]]  # (file relative to the input folder, record, reason)
    accepted: list[tuple[str, str, str]]  # (text, ISO date, precision) of every document, in input order
    records: int  # input records: every one is accepted, duplicate or rejected
    duplicates: int = 0
    options: dict = field(default_factory=dict)
    fmt: str = "auto"
    folder: bool = False  # ingest the folder rather than the files


CASES: dict[str, Case] = {
    # -- JSON structure ------------------------------------------------------------------------------
    "broken_json_line": Case(
        {"in.jsonl": jl('{"date": "2014-03-04", "text": "unterminated', '{"date": "2014-03-04" "text": "x"}',
                        '{"date": "2014-03-04", "text": "x",}', '{"date": "2014-03-04", "text": "x"} trailing')},
        [("in.jsonl", 2, "invalid JSON at column 32: Unterminated string starting at"),
         ("in.jsonl", 3, "invalid JSON at column 23: Expecting ',' delimiter"),
         ("in.jsonl", 4, "invalid JSON at column 36: Expecting property name enclosed in double quotes"),
         ("in.jsonl", 5, "invalid JSON at column 37: Extra data")],
        [ACC_A, ACC_B], records=6),
    "non_object_json_lines": Case(
        {"in.jsonl": jl("[1, 2]", '"just a string"', "42", "null", "true")},
        [("in.jsonl", 2, "expected a JSON object, got an array"),
         ("in.jsonl", 3, "expected a JSON object, got a string"),
         ("in.jsonl", 4, "expected a JSON object, got a number"),
         ("in.jsonl", 5, "expected a JSON object, got null"),
         ("in.jsonl", 6, "expected a JSON object, got a boolean")],
        [ACC_A, ACC_B], records=7),
    "bad_first_line_does_not_hide_the_file": Case(
        {"broken.jsonl": _json_lines('{"date": "2014-03-04", "text": ', GOOD_A, GOOD_B),
         "array-first.txt": _json_lines("[1, 2]", GOOD_A, GOOD_B)},
        [("broken.jsonl", 1, "invalid JSON at column 33: Expecting value"),
         ("array-first.txt", 1, "expected a JSON object, got an array")],
        [ACC_A, ACC_B], records=6, duplicates=2),
    "broken_json_array_file": Case(
        {"bad.json": b'[{"date": "2014-03-04", "text": "a"}, {"date": ', "good.jsonl": jl()},
        [("bad.json", 0, "invalid JSON file at line 1 column 48: Expecting value")],
        [ACC_A, ACC_B], records=3),
    # -- dates -------------------------------------------------------------------------------------------
    "missing_date": Case(
        {"in.jsonl": jl(rec(date=_DROP))}, [("in.jsonl", 2, MISSING_DATE)], [ACC_A, ACC_B], records=3),
    "empty_date": Case(
        {"in.jsonl": jl(rec(date=""), rec(date="   "), rec(date=None))},
        [("in.jsonl", 2, "missing date (field 'date' is empty)"),
         ("in.jsonl", 3, "missing date (field 'date' is empty)"),
         ("in.jsonl", 4, "missing date (field 'date' is empty)")],
        [ACC_A, ACC_B], records=5),
    "unparseable_date": Case(
        {"in.jsonl": jl(rec(date="banana"), rec(date="not a date 5"), rec(date="12345"))},
        [("in.jsonl", 2, "unparseable date 'banana'"), ("in.jsonl", 3, "unparseable date 'not a date 5'"),
         ("in.jsonl", 4, "date is a bare number '12345', expected a date")],
        [ACC_A, ACC_B], records=5),
    "impossible_calendar_date": Case(
        {"in.jsonl": jl(rec(date="2014-02-30"), rec(date="31/04/2014"))},
        [("in.jsonl", 2, "invalid date '2014-02-30' (day is out of range for month)"),
         ("in.jsonl", 3, "invalid date '31/04/2014' (day is out of range for month)")],
        [ACC_A, ACC_B], records=4),
    "ambiguous_day_month_rejected": Case(
        {"in.jsonl": jl(rec(date="03/04/2014"), rec(date="13/04/2014", text="Unambiguous day first."))},
        [("in.jsonl", 2, AMBIGUOUS)],
        [ACC_A, ("Unambiguous day first.", "2014-04-13", "day"), ACC_B], records=4),
    "ambiguous_day_month_with_dmy": Case(
        {"in.jsonl": jl(rec(date="03/04/2014"))}, [],
        [ACC_A, ("Bad record text.", "2014-04-03", "day"), ACC_B], records=3, options={"date_order": "DMY"}),
    "ambiguous_day_month_with_mdy": Case(
        {"in.jsonl": jl(rec(date="03/04/2014"))}, [],
        [ACC_A, ("Bad record text.", "2014-03-04", "day"), ACC_B], records=3, options={"date_order": "MDY"}),
    "future_date_quarantined": Case(
        {"in.jsonl": jl(rec(date="2030-01-01"), rec(date="2024-07"), rec(date="2024-06-02", text="Skew ok."))},
        [("in.jsonl", 2, "date 2030-01-01 is in the future (quarantined)"),
         ("in.jsonl", 3, "date 2024-07-01 is in the future (quarantined)")],
        [ACC_A, ("Skew ok.", "2024-06-02", "day"), ACC_B], records=5),
    "year_0_and_bare_small_numbers": Case(
        {"in.jsonl": jl(rec(date="0000-05-01"), rec(date=999))},
        [("in.jsonl", 2, "invalid date '0000-05-01' (year 0 is out of range)"),
         ("in.jsonl", 3, "date is a number (999), expected a date string")],
        [ACC_A, ACC_B], records=4),
    "date_wrong_type": Case(
        {"in.jsonl": jl(rec(date=True), rec(date=["2014-03-04"]), rec(date={"y": 2014}), rec(date=3.5))},
        [("in.jsonl", 2, "date is a boolean (True), expected a date string"),
         ("in.jsonl", 3, "date is a list, expected a date string"),
         ("in.jsonl", 4, "date is a dict, expected a date string"),
         ("in.jsonl", 5, "date is a float, expected a date string")],
        [ACC_A, ACC_B], records=6),
    "month_and_year_precision_kept": Case(
        {"in.jsonl": jl(rec(date="December 2015", text="Month written."), rec(date="2015-12", text="Month ISO."),
                        rec(date="2015", text="Year string."), rec(date=2015, text="Year number."))},
        [],
        [ACC_A, ("Month written.", "2015-12-01", "month"), ("Month ISO.", "2015-12-01", "month"),
         ("Year string.", "2015-01-01", "year"), ("Year number.", "2015-01-01", "year"), ACC_B], records=6),
    "timestamps_with_zones_to_utc_date": Case(
        {"in.jsonl": jl(rec(date="2014-03-04T23:30:00-05:00", text="New York late evening."),
                        rec(date="2014-03-05T01:30:00+02:00", text="Athens small hours."),
                        rec(date="2014-03-04T23:59:59Z", text="UTC just before midnight."),
                        rec(date="2014-03-04T22:00:00+0000", text="Compact offset."))},
        [],
        [ACC_A, ("New York late evening.", "2014-03-05", "day"), ("Athens small hours.", "2014-03-04", "day"),
         ("UTC just before midnight.", "2014-03-04", "day"), ("Compact offset.", "2014-03-04", "day"), ACC_B],
        records=6),
    "written_date_forms": Case(
        {"in.jsonl": jl(rec(date="July 1, 2019 Monday 9:20 AM GMT", text="Nexis date line."),
                        rec(date="3 mars 2019", text="French month."), rec(date="4. März 2019", text="German."))},
        [],
        [ACC_A, ("Nexis date line.", "2019-07-01", "day"), ("French month.", "2019-03-03", "day"),
         ("German.", "2019-03-04", "day"), ACC_B], records=5),
    # -- text ----------------------------------------------------------------------------------------
    "text_missing": Case(
        {"in.jsonl": jl(rec(text=_DROP), rec(text=None))},
        [("in.jsonl", 2, MISSING_TEXT), ("in.jsonl", 3, "missing text (field 'text' is null)")],
        [ACC_A, ACC_B], records=4),
    "text_empty_or_whitespace": Case(
        {"in.jsonl": jl(rec(text=""), rec(text="  \n\t \r\n "), rec(text="\u0000\u0007"))},
        [("in.jsonl", 2, "empty text"), ("in.jsonl", 3, "empty text"), ("in.jsonl", 4, "empty text")],
        [ACC_A, ACC_B], records=5),
    "text_wrong_type": Case(
        {"in.jsonl": jl(rec(text=42), rec(text=["a", "b"]), rec(text={"p": "x"}), rec(text=False))},
        [("in.jsonl", 2, "text field 'text' is a number, expected a string"),
         ("in.jsonl", 3, "text field 'text' is a list, expected a string"),
         ("in.jsonl", 4, "text field 'text' is an object, expected a string"),
         ("in.jsonl", 5, "text field 'text' is a boolean, expected a string")],
        [ACC_A, ACC_B], records=6),
    "text_only_punctuation": Case(
        {"in.jsonl": jl(rec(text="!!! ... ???"), rec(text="— – • ★"), rec(text="\u200b\u00ad\u200b"))},
        [("in.jsonl", 2, NO_WORDS), ("in.jsonl", 3, NO_WORDS), ("in.jsonl", 4, NO_WORDS)],
        [ACC_A, ACC_B], records=5),
    "source_wrong_type": Case(
        {"in.jsonl": jl(rec(source={"name": "x"}), rec(source=["x"]))},
        [("in.jsonl", 2, "source field 'source' is an object, expected a string"),
         ("in.jsonl", 3, "source field 'source' is a list, expected a string")],
        [ACC_A, ACC_B], records=4),
    "nul_and_control_characters_separate_words": Case(
        {"in.jsonl": jl(rec(text="Big\u0000 Soc\u0007iety\u001b is back."))[:-1]
         + b'\n{"date": "2014-06-02", "source": "raw", "text": "Raw\x00 NUL\x01 bytes\x1f."}\n'},
        [],
        [ACC_A, ("Big  Soc iety  is back.", "2014-06-01", "day"), ACC_B,
         ("Raw  NUL  bytes .", "2014-06-02", "day")],  # each control character becomes a space (a word break)
        records=4),
    "html_and_script_kept_as_text": Case(
        {"in.jsonl": jl(rec(text=HOSTILE))}, [], [ACC_A, (HOSTILE, "2014-06-01", "day"), ACC_B], records=3),
    "very_large_document": Case(
        {"in.jsonl": jl(rec(text=HUGE_TEXT))}, [], [ACC_A, (HUGE_TEXT, "2014-06-01", "day"), ACC_B], records=3),
    "exact_duplicates_in_one_file": Case(
        {"in.jsonl": jl(rec(), rec(), dict(rec(), id="another-id"), rec(text="Bad  record TEXT!"))},
        [], [ACC_A, ("Bad record text.", "2014-06-01", "day"), ACC_B], records=6, duplicates=3),
    # -- encodings ----------------------------------------------------------------------------------
    "latin1_jsonl": Case(
        {"in.jsonl": jl(rec(text="Café à la carte, naïve façade, £5")).decode().encode("latin-1")},
        [], [ACC_A, ("Café à la carte, naïve façade, £5", "2014-06-01", "day"), ACC_B], records=3),
    "latin1_csv": Case(
        {"in.csv": f"date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,Señor Müller's café\n{GOOD_CSV_B}\n"
         .encode("latin-1")},
        [], [ACC_A, ("Señor Müller's café", "2014-06-01", "day"), ACC_B], records=3),
    "windows1252_csv": Case(
        {"in.csv": f'date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,"“Smart” quotes – dashes, €5 … ‘ok’"\n'
         f"{GOOD_CSV_B}\n".encode("cp1252")},
        [], [ACC_A, ("“Smart” quotes – dashes, €5 … ‘ok’", "2014-06-01", "day"), ACC_B], records=3),
    "utf16le_bom_jsonl": Case(
        {"in.jsonl": jl(rec(text="Ünïcödé “text” ✓")).decode().encode("utf-16")},
        [], [ACC_A, ("Ünïcödé “text” ✓", "2014-06-01", "day"), ACC_B], records=3),
    "utf16le_no_bom_jsonl": Case(
        {"in.jsonl": jl(rec(text="Ünïcödé “text” ✓")).decode().encode("utf-16-le")},
        [], [ACC_A, ("Ünïcödé “text” ✓", "2014-06-01", "day"), ACC_B], records=3),
    "utf16be_bom_csv": Case(
        {"in.csv": b"\xfe\xff" + f"date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,Ünïcödé ✓\n{GOOD_CSV_B}\n"
         .encode("utf-16-be")},
        [], [ACC_A, ("Ünïcödé ✓", "2014-06-01", "day"), ACC_B], records=3),
    "utf16be_no_bom_csv": Case(
        {"in.csv": f"date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,Ünïcödé ✓\n{GOOD_CSV_B}\n".encode("utf-16-be")},
        [], [ACC_A, ("Ünïcödé ✓", "2014-06-01", "day"), ACC_B], records=3),
    "utf16_with_bad_line": Case(
        {"in.jsonl": jl("{not json").decode().encode("utf-16")},
        [("in.jsonl", 2, "invalid JSON at column 2: Expecting property name enclosed in double quotes")],
        [ACC_A, ACC_B], records=3),
    "utf8_bom_jsonl_first_record_survives": Case(
        {"in.jsonl": jl().decode().encode("utf-8-sig")}, [], [ACC_A, ACC_B], records=2),
    "utf8_bom_csv_header_recognised": Case(
        {"in.csv": f"date,source,text\n{GOOD_CSV_A}\n{GOOD_CSV_B}\n".encode("utf-8-sig")},
        [], [ACC_A, ACC_B], records=2),
    "mojibake_repaired": Case(
        {"in.jsonl": jl(rec(text="It doesnâ€™t matter"), rec(text="faÃ§ade and Ã©tÃ©", date="2014-06-02"))},
        [], [ACC_A, ("It doesn’t matter", "2014-06-01", "day"), ("façade and été", "2014-06-02", "day"), ACC_B],
        records=4),
    "stray_invalid_utf8_byte": Case(
        {"in.jsonl": jl(rec(text="placeholder")).replace(b"placeholder", b"caf\xe9 in UTF-8 \xe2\x9c\x93")},
        [], [ACC_A, ("café in UTF-8 ✓", "2014-06-01", "day"), ACC_B], records=3),
    # -- CSV structure ----------------------------------------------------------------------------------
    "csv_wrong_column_count": Case(
        {"in.csv": f"date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,too,many\n2014-06-01,bad\n"
         f'2014-06-02,bad,"quoted, with comma"\n{GOOD_CSV_B}\n'.encode()},
        [("in.csv", 3, "expected 3 fields (as in the header), found 4"),
         ("in.csv", 4, "expected 3 fields (as in the header), found 2")],
        [ACC_A, ("quoted, with comma", "2014-06-02", "day"), ACC_B], records=5),
    "csv_quoted_multiline_and_nul": Case(
        {"in.csv": f'date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,"two\nlines ""quoted"""\n'
         f'2014-06-02,bad,"nul\x00 byte"\n{GOOD_CSV_B}\n'.encode()},
        [], [ACC_A, ('two\nlines "quoted"', "2014-06-01", "day"), ("nul  byte", "2014-06-02", "day"), ACC_B],
        records=4),
    "csv_broken_quotes": Case(
        {"in.csv": f'date,source,text\n{GOOD_CSV_A}\n2014-06-01,bad,"closed"then more\n'
         f'2014-06-02,bad,He said "hi" unquoted\n{GOOD_CSV_B}\n2014-06-03,bad,"never closed\n2014-06-04,bad,x\n'
         .encode()},
        [("in.csv", 3, "malformed CSV: ',' expected after '\"'"),
         ("in.csv", 6, ("malformed CSV: a quoted field opened here is never closed (the rest of the file could "
                        "not be read)"))],
        [ACC_A, ('He said "hi" unquoted', "2014-06-02", "day"), ACC_B], records=5),
    "csv_empty_file": Case(
        {"empty.csv": b"", "good.csv": f"date,source,text\n{GOOD_CSV_A}\n{GOOD_CSV_B}\n".encode()},
        [("empty.csv", 0, "the file is empty (0 bytes): no records to read")], [ACC_A, ACC_B], records=3, fmt="csv"),
    # -- files and folders ------------------------------------------------------------------------------
    "office_lock_and_ds_store_ignored": Case(
        {"2014-01-01.txt": b"Good record before the bad one.", ".DS_Store": b"\x00\x00\x00\x01Bud1\x00",
         "~$draft.docx": b"PK\x03\x04lock", "Thumbs.db": b"\xd0\xcf\x11\xe0", "desktop.ini": b"[x]",
         "2014-12-31.txt": b"Good record after the bad one."},
        [], [("Good record before the bad one.", "2014-01-01", "day"),
             ("Good record after the bad one.", "2014-12-31", "day")], records=2, folder=True),
    "txt_that_is_a_zip_in_folder": Case(
        {"2014-01-01.txt": b"Good record before the bad one.", "2014-06-01-article.txt": _docx(),
         "2014-12-31.txt": b"Good record after the bad one."},
        [("2014-06-01-article.txt", 2, "file is a ZIP/DOCX container, not plain text")],
        [("Good record before the bad one.", "2014-01-01", "day"),
         ("Good record after the bad one.", "2014-12-31", "day")], records=3, folder=True),
    "txt_that_is_a_zip_or_pdf_given_directly": Case(
        {"article.txt": _docx(), "scan.txt": b"%PDF-1.7\n%\xe2\xe3", "good.jsonl": jl()},
        [("article.txt", 1, "file is a ZIP/DOCX container, not plain text"),
         ("scan.txt", 1, "file is a PDF file, not plain text")],
        [ACC_A, ACC_B], records=4),
    "text_file_without_a_date": Case(
        {"2014-01-01.txt": b"Good record before the bad one.", "notes.txt": b"No date anywhere.",
         "undated.txt": b"Title: x\n\nNo date header either."},
        [("notes.txt", 2, "missing date (no date header, front matter date or date in the file name)"),
         ("undated.txt", 3, "missing date (no date header, front matter date or date in the file name)")],
        [("Good record before the bad one.", "2014-01-01", "day")], records=3, folder=True),
    "text_files_in_legacy_encodings": Case(
        {"2014-01-01.txt": "Date: 2 January 2014\n\nCafé “1252” – ok".encode("cp1252"),
         "2014-01-02.txt": "Ünïcödé in UTF-16".encode("utf-16"),
         "2014-01-03.txt": "\ufeffUTF-8 with a BOM".encode()},
        [], [("Café “1252” – ok", "2014-01-02", "day"), ("Ünïcödé in UTF-16", "2014-01-02", "day"),
             ("UTF-8 with a BOM", "2014-01-03", "day")], records=3, folder=True),
    "nonexistent_path": Case(
        {"good.jsonl": jl(), "missing.jsonl": None},
        [("missing.jsonl", 0, "no such file or directory")], [ACC_A, ACC_B], records=3),
}


def _short(text: str) -> str:
    if len(text) <= 2000:
        return text
    return f"<{len(text)} chars, sha256 {hashlib.sha256(text.encode()).hexdigest()}>"


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for name, content in case.files.items():
        path = folder / name
        if content is not None:
            path.write_bytes(content)
        paths.append(path)
    inputs = [folder] if case.folder else paths

    report = ingest(tmp_path / "store", inputs, fmt=case.fmt, options=ReaderOptions(**case.options), today=TODAY)

    got_rejected = [(Path(r.file).relative_to(folder).as_posix(), r.record, r.reason) for r in report.rejected]
    assert got_rejected == case.rejected
    docs = sorted(Store(tmp_path / "store").documents().to_pylist(),
                  key=lambda d: (d["origin_file"], d["origin_record"]))
    got = [(_short(d["text"]), d["date"].isoformat(), d["date_precision"]) for d in docs]
    assert got == [(_short(t), d, p) for t, d, p in case.accepted]
    assert (report.accepted, report.duplicates) == (len(case.accepted), case.duplicates)
    assert report.accepted + report.duplicates + len(report.rejected) == case.records


def test_suite_has_enough_distinct_cases() -> None:
    assert len(CASES) >= 25
