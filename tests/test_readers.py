"""Unit tests per reader, format detection by content, dates and text decoding."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policypulse.corpus.dates import DateError, date_from_filename, parse_date
from policypulse.corpus.ingest import ingest
from policypulse.corpus.readers import READERS, RawRecord, ReaderOptions, Rejection, detect, reader_for
from policypulse.corpus.readers.sotu import read_sotu
from policypulse.corpus.readers.textdir import iter_files, split_header
from policypulse.corpus.store import Store
from policypulse.corpus.text import clean_text, decode, sniff_encoding
from policypulse.errors import UsageError

TODAY = dt.date(2024, 6, 1)
OPTS = ReaderOptions()


def _read(fmt: str, path: Path, options: ReaderOptions = OPTS) -> list[RawRecord | Rejection]:
    return list(READERS[fmt](path, options))


def _docs(store: Path) -> list[dict]:
    return sorted(Store(store).documents().to_pylist(), key=lambda d: (d["origin_file"], d["origin_record"]))


def _docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        # commas, tabs and semicolons in the first "line" would fool a text sniffer into CSV
        z.writestr("[Content_Types].xml", '<Types><Default Extension="xml" ContentType="a,b;c\td"/></Types>')
        z.writestr("word/document.xml", "<w:document><w:t>Big Society, again</w:t></w:document>")
    return buf.getvalue()


# -- JSON Lines ---------------------------------------------------------------------------------------

def test_jsonl_records_are_numbered_by_line_and_blank_lines_are_not_records(ingest_fixtures: Path) -> None:
    items = _read("jsonl", ingest_fixtures / "sample.jsonl")
    name = str(ingest_fixtures / "sample.jsonl")
    assert [(type(i).__name__, i.record) for i in items] == [
        ("RawRecord", 1), ("RawRecord", 3), ("RawRecord", 4), ("Rejection", 5)]
    assert items[0].data == {"id": "j1", "date": "2014-03-04", "source": "The Times", "title": "Big Society",
                             "text": "The Big Society is launched."}
    assert items[2].data["section"] == "politics"
    assert items[3] == Rejection(name, 5, "invalid JSON at column 44: Unterminated string starting at")
    assert all(i.file == name for i in items)


def test_jsonl_ingest_maps_fields_and_keeps_extra_fields_as_meta(ingest_fixtures: Path, tmp_path: Path) -> None:
    report = ingest(tmp_path / "s", [ingest_fixtures / "sample.jsonl"], today=TODAY)
    assert (report.accepted, report.duplicates, len(report.rejected)) == (3, 0, 1)
    docs = {d["doc_id"]: d for d in _docs(tmp_path / "s")}
    assert set(docs) == {"j1", "j2", "j3"}
    assert (docs["j1"]["date"], docs["j1"]["source"], docs["j1"]["title"]) == (
        dt.date(2014, 3, 4), "The Times", "Big Society")
    assert docs["j2"]["date"] == dt.date(2014, 3, 5) and docs["j2"]["title"] is None
    assert (docs["j3"]["date"], docs["j3"]["date_precision"]) == (dt.date(2014, 3, 5), "day")
    assert docs["j3"]["meta"] == '{"section": "politics"}'
    assert docs["j1"]["norm"].split() == ["the", "big", "society", "is", "launched"]
    assert docs["j1"]["n_words"] == 5
    assert [docs[k]["origin_record"] for k in ("j1", "j2", "j3")] == [1, 3, 4]
    assert all(d["date_source"] == "field" for d in docs.values())


def test_jsonl_field_mapping_options(write_jsonl, tmp_path: Path) -> None:
    path = write_jsonl([
        {"meta": {"when": "2014-01-02"}, "words": "Mapped text one", "paper": "Daily", "key": "k1"},
        {"meta": {"when": "2014-01-03"}, "words": "Mapped text two", "paper": "Weekly", "key": "k2"},
    ])
    opts = ReaderOptions(date_field="meta.when", text_field="words", source_field="paper", id_field="key")
    report = ingest(tmp_path / "s", [path], options=opts, today=TODAY)
    assert (report.accepted, report.rejected) == (2, [])
    got = [(d["doc_id"], d["date"], d["source"], d["text"]) for d in _docs(tmp_path / "s")]
    assert got == [("k1", dt.date(2014, 1, 2), "Daily", "Mapped text one"),
                   ("k2", dt.date(2014, 1, 3), "Weekly", "Mapped text two")]


# -- JSON array -----------------------------------------------------------------------------------------

def test_json_array_records_are_numbered_from_one(ingest_fixtures: Path, tmp_path: Path) -> None:
    items = _read("json", ingest_fixtures / "array.json")
    assert [i.record for i in items] == [1, 2, 3]
    assert [i.data["id"] for i in items] == ["a1", "a2", "a3"]
    ingest(tmp_path / "s", [ingest_fixtures / "array.json"], today=TODAY)
    got = [(d["doc_id"], d["date"], d["date_precision"], d["source"], d["text"]) for d in _docs(tmp_path / "s")]
    assert got == [
        ("a1", dt.date(2014, 3, 4), "day", "Hansard", "Localism and the Big Society."),
        ("a2", dt.date(2014, 3, 1), "month", "The Economist", "A month-only date."),
        ("a3", dt.date(2014, 1, 1), "year", "Hansard", "A year-only date."),
    ]


def test_json_array_non_objects_and_wrappers(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.json"
    mixed.write_text('[{"date": "2014-01-01", "text": "one"}, 5, "x", null, {"date": "2014-01-02", "text": "two"}]')
    items = _read("json", mixed)
    assert [(type(i).__name__, i.record) for i in items] == [
        ("RawRecord", 1), ("Rejection", 2), ("Rejection", 3), ("Rejection", 4), ("RawRecord", 5)]
    assert [i.reason for i in items if isinstance(i, Rejection)] == [
        "expected a JSON object, got a number", "expected a JSON object, got a string",
        "expected a JSON object, got null"]

    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text('{\n "data": [{"date": "2014-01-01", "text": "one"}, {"date": "2014-01-02", "text": "two"}]\n}')
    assert detect(wrapped) == "json"
    assert [i.data["text"] for i in _read("json", wrapped)] == ["one", "two"]

    single = tmp_path / "single.json"
    single.write_text('{\n  "date": "2014-01-01",\n  "text": "one pretty object"\n}\n')
    assert detect(single) == "json"
    assert [(i.record, i.data["text"]) for i in _read("json", single)] == [(1, "one pretty object")]

    scalar = tmp_path / "scalar.json"
    scalar.write_text("[1, 2")
    assert _read("json", scalar) == [
        Rejection(str(scalar), 0, "invalid JSON file at line 1 column 6: Expecting ',' delimiter")]


# -- CSV / TSV --------------------------------------------------------------------------------------------

def test_csv_quoted_multiline_fields_are_one_record_numbered_by_starting_line(ingest_fixtures: Path) -> None:
    items = _read("csv", ingest_fixtures / "multiline.csv")
    assert [i.record for i in items] == [2, 6, 7]
    assert items[0].data == {
        "date": "2014-03-04", "source": "The Times", "title": "Partnerships, again",
        "text": 'First line of the story,\r\nsecond line with a "quoted" phrase.\r\n\r\nA new paragraph.'}
    assert items[2].data["text"] == "Last record, with a comma."


def test_csv_ingest_keeps_multiline_text(ingest_fixtures: Path, tmp_path: Path) -> None:
    report = ingest(tmp_path / "s", [ingest_fixtures / "multiline.csv"], today=TODAY)
    assert (report.accepted, report.rejected) == (3, [])
    docs = _docs(tmp_path / "s")
    assert [(d["origin_record"], d["title"], d["date"]) for d in docs] == [
        (2, "Partnerships, again", dt.date(2014, 3, 4)), (6, "Plain", dt.date(2014, 3, 5)),
        (7, "Last", dt.date(2014, 3, 6))]
    assert docs[0]["norm"].split() == ["first", "line", "of", "the", "story", "second", "line", "with", "a",
                                       "quoted", "phrase", "a", "new", "paragraph"]


def test_semicolon_csv_with_dotted_dmy_dates_and_field_mapping(ingest_fixtures: Path, tmp_path: Path) -> None:
    path = ingest_fixtures / "semicolon.csv"
    assert detect(path) == "csv"
    assert [i.data["tekst"] for i in _read("csv", path)] == ["Grote samenleving; een idee, met komma.",
                                                             "Tweede artikel."]
    opts = ReaderOptions(date_field="datum", text_field="tekst", source_field="bron")
    # 04.03.2014 is ambiguous without a date order ...
    report = ingest(tmp_path / "a", [path], options=opts, today=TODAY)
    assert report.accepted == 0
    assert [r.reason for r in report.rejected] == [
        "ambiguous day/month in '04.03.2014': give --date-order DMY or --date-order MDY",
        "ambiguous day/month in '05.03.2014': give --date-order DMY or --date-order MDY"]
    # ... and read day-first with DMY
    opts.date_order = "DMY"
    report = ingest(tmp_path / "b", [path], options=opts, today=TODAY)
    assert report.accepted == 2
    assert [(d["date"], d["source"]) for d in _docs(tmp_path / "b")] == [
        (dt.date(2014, 3, 4), "NRC"), (dt.date(2014, 3, 5), "Trouw")]


def test_tsv_keeps_commas_and_semicolons_in_fields(ingest_fixtures: Path) -> None:
    path = ingest_fixtures / "sample.tsv"
    assert detect(path) == "csv"
    items = _read("csv", path)
    assert [(i.record, i.data["source"], i.data["text"]) for i in items] == [
        (2, "AP", "Tabs, commas; and semicolons stay in the text."), (3, "Reuters", "Second record.")]


def test_csv_blank_rows_are_skipped_and_line_numbers_stay_true(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text('date,text\n2014-01-01,one\n\n,\n2014-01-02,"two\nlines"\n2014-01-03,three\n')
    items = _read("csv", path)
    assert [(i.record, i.data["text"]) for i in items] == [(2, "one"), (5, "two\nlines"), (7, "three")]


# -- Parquet --------------------------------------------------------------------------------------------

def test_parquet_reader_streams_batches_and_numbers_rows(tmp_path: Path) -> None:
    n = 5000  # more than one reader batch (2048 rows)
    table = pa.table({
        "date": [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "text": [f"document number {i}" for i in range(n)],
        "source": [f"s{i % 3}" for i in range(n)],
    })
    path = tmp_path / "docs.parquet"
    pq.write_table(table, path, row_group_size=1000)
    items = _read("parquet", path)
    assert [i.record for i in items] == list(range(1, n + 1))
    assert items[4999].data == {"date": dt.date(2013, 9, 8), "text": "document number 4999", "source": "s1"}

    report = ingest(tmp_path / "s", [path], today=TODAY)
    assert (report.accepted, report.duplicates, report.rejected) == (n, 0, [])
    docs = Store(tmp_path / "s").documents(columns=["date", "text"]).to_pylist()
    assert sorted((d["date"], d["text"]) for d in docs) == sorted(zip(table["date"].to_pylist(),
                                                                     table["text"].to_pylist()))


def test_parquet_damaged_file_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 64)
    items = _read("parquet", path)
    assert len(items) == 1 and isinstance(items[0], Rejection)
    assert (items[0].record, items[0].reason.startswith("unreadable Parquet file: ")) == (0, True)


# -- folders of text files -----------------------------------------------------------------------------

def test_textdir_dates_from_front_matter_header_lines_and_file_names(ingest_fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    shutil.copytree(ingest_fixtures / "textdir", folder)
    assert detect(folder) == "textdir"
    report = ingest(tmp_path / "s", [folder], today=TODAY)
    assert (report.accepted, report.duplicates, report.rejected) == (4, 0, [])
    got = [(Path(d["origin_file"]).relative_to(folder).as_posix(), d["origin_record"], d["date"],
            d["date_precision"], d["date_source"], d["source"], d["title"], d["text"]) for d in _docs(tmp_path / "s")]
    assert got == [
        ("2015-07-monthly-digest.md", 1, dt.date(2015, 7, 1), "month", "filename", "unknown", None,
         "A digest dated by month only.\n"),
        ("front-matter.txt", 2, dt.date(2014, 3, 4), "day", "field", "The Times", "Front matter title",
         "The Big Society is launched, says the front matter.\n"),
        ("guardian/2014-03-06-budget.txt", 3, dt.date(2014, 3, 6), "day", "filename", "guardian", None,
         "The budget mentions partnerships. Its date comes from the file name.\n"),
        ("header-lines.txt", 4, dt.date(2014, 3, 5), "day", "field", "BBC", "Header line title",
         "Ministers spoke of the Big Society again.\nDate: this line is body text, not a header.\n"),
    ]


def test_textdir_skips_hidden_and_office_lock_files(tmp_path: Path) -> None:
    (tmp_path / "sub" / ".git").mkdir(parents=True)
    for name in ("2014-01-01.txt", "sub/2014-01-02.txt", ".DS_Store", "Thumbs.db", "desktop.ini",
                 "~$draft.docx", ".hidden.txt", "sub/.git/HEAD"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)] == ["2014-01-01.txt",
                                                                                 "sub/2014-01-02.txt"]


def test_split_header_forms() -> None:
    assert split_header("---\ndate: 2014-03-04\nTitle: T\n---\n\nBody\n") == (
        {"date": dt.date(2014, 3, 4), "title": "T"}, "Body\n")
    assert split_header("Date: 4 March 2014\nSource: X\n\nBody\nmore") == (
        {"date": "4 March 2014", "source": "X"}, "Body\nmore")
    # no blank line after the header lines: nothing is taken as a header
    assert split_header("Date: 4 March 2014\nBody") == ({}, "Date: 4 March 2014\nBody")
    # a colon in the first line is not a header ("Brexit: what now")
    assert split_header("Brexit: what now\n\nBody") == ({}, "Brexit: what now\n\nBody")
    # broken YAML is left as text
    assert split_header("---\n: [\n---\nBody") == ({}, "---\n: [\n---\nBody")


def test_single_text_file_path(tmp_path: Path) -> None:
    path = tmp_path / "speech-1999-05-17.txt"
    path.write_text("Dated by the file name only.\n", encoding="utf-8")
    assert detect(path) == "text"
    report = ingest(tmp_path / "s", [path], today=TODAY)
    assert report.accepted == 1
    (doc,) = _docs(tmp_path / "s")
    assert (doc["date"], doc["date_precision"], doc["date_source"], doc["origin_record"]) == (
        dt.date(1999, 5, 17), "day", "filename", 1)


# -- SOTU reader ------------------------------------------------------------------------------------------

def test_sotu_reader_yields_dated_records_in_date_order() -> None:
    items = list(read_sotu(None, OPTS))
    assert len(items) == 249
    first = items[0]
    assert (first.record, first.date, first.date_precision, first.date_source) == (1, dt.date(1790, 1, 8), "day",
                                                                                 "field")
    assert first.data["id"] == "1790-Washington-1" and first.meta["president"] == "George Washington"
    assert first.data["text"].strip()
    dates = [i.date for i in items]
    assert dates == sorted(dates)


# -- detection by content ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "expected"), [
    ("notes.txt", b'{"date": "2014-01-01", "text": "JSONL in a .txt"}\n{"date": "2014-01-02", "text": "x"}\n',
     "jsonl"),
    ("data.csv", b'{"date": "2014-01-01", "text": "JSONL named .csv"}\n', "jsonl"),
    ("export.txt", b'[{"date": "2014-01-01", "text": "a JSON array"}]', "json"),
    ("pretty.json", (b'[\n{"date": "2014-01-01", "text": "a"},\n{"date": "2014-01-02", "text": "b"},\n'
                     b'{"date": "2014-01-03", "text": "c"}\n]\n'), "json"),
    ("wrapper.json", b'{"data": [\n{"date": "2014-01-01", "text": "a"},\n{"date": "2014-01-02", "text": "b"}\n]}\n',
     "json"),
    ("broken-first.jsonl", b'{"date": "2014-01-01", "text": \n{"date": "2014-01-02", "text": "b"}\n', "jsonl"),
    ("array-first.jsonl", b'[1, 2]\n{"date": "2014-01-02", "text": "b"}\n', "jsonl"),
    ("huge-first-line.jsonl", b'{"date": "2014-01-01", "text": "' + b"x" * 70000 + b'"}\n', "jsonl"),
    ("utf16.txt", '{"date": "2014-01-01", "text": "UTF-16 JSONL"}\n'.encode("utf-16-le"), "jsonl"),
    ("bom.txt", '\ufeff{"date": "2014-01-01", "text": "BOM JSONL"}\n'.encode(), "jsonl"),
    ("table.txt", b"date,text\n2014-01-01,csv in a txt\n", "csv"),
    ("table.dat", b"date\ttext\n2014-01-01\ttsv\n", "csv"),
    ("story.csv", b"Date: 2014-01-01\n\nA text file with a header, named .csv\n", "text"),
    ("story.json", b"Just prose without delimiters\n", "text"),
    ("report.txt", b"%PDF-1.4\n%...", "text"),
    ("report.rtf", b"{\\rtf1\\ansi hello}", "text"),
])
def test_detect_by_content_not_extension(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect(path) == expected


def test_detect_parquet_named_dat(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    pq.write_table(pa.table({"date": ["2014-01-01"], "text": ["parquet named .dat"]}), path)
    assert detect(path) == "parquet"
    report = ingest(tmp_path / "s", [path], today=TODAY)
    assert report.accepted == 1 and _docs(tmp_path / "s")[0]["text"] == "parquet named .dat"


def test_detect_txt_that_is_a_docx_is_rejected_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(_docx_bytes())
    assert detect(path) == "text"
    report = ingest(tmp_path / "s", [path], today=TODAY)
    assert (report.accepted, report.duplicates) == (0, 0)
    assert report.rejected == [Rejection(str(path), 1, "file is a ZIP/DOCX container, not plain text")]


def test_reader_for_unknown_and_planned_formats() -> None:
    with pytest.raises(UsageError, match=r"^unknown --format 'xml'; choose one of auto, jsonl, json, csv"):
        reader_for("xml", Path("x"))
    assert reader_for("csv", Path("whatever.jsonl"))[0] == "csv"


def test_unknown_format_does_not_create_a_store(tmp_path: Path, write_jsonl) -> None:
    path = write_jsonl([{"date": "2014-01-01", "text": "x"}])
    with pytest.raises(UsageError):
        ingest(tmp_path / "never", [path], fmt="xml")
    assert not (tmp_path / "never").exists()


# -- dates -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2014-03-04", (dt.date(2014, 3, 4), "day")),
    ("2014/03/04", (dt.date(2014, 3, 4), "day")),
    ("2014-03", (dt.date(2014, 3, 1), "month")),
    ("2014", (dt.date(2014, 1, 1), "year")),
    (2014, (dt.date(2014, 1, 1), "year")),
    ("December 2015", (dt.date(2015, 12, 1), "month")),
    ("Dec 2015", (dt.date(2015, 12, 1), "month")),
    ("March 3, 2014", (dt.date(2014, 3, 3), "day")),
    ("3 mars 2019", (dt.date(2019, 3, 3), "day")),
    ("July 1, 2019 Monday 9:20 AM GMT", (dt.date(2019, 7, 1), "day")),
    ("13/04/2014", (dt.date(2014, 4, 13), "day")),
    ("04/13/2014", (dt.date(2014, 4, 13), "day")),
    ("04/04/2014", (dt.date(2014, 4, 4), "day")),
    ("2014-03-04T23:30:00-05:00", (dt.date(2014, 3, 5), "day")),
    ("2014-03-05T01:30:00+02:00", (dt.date(2014, 3, 4), "day")),
    ("2014-03-04T23:30:00Z", (dt.date(2014, 3, 4), "day")),
    ("2014-03-04 23:30:00", (dt.date(2014, 3, 4), "day")),
    (dt.datetime(2014, 3, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))), (dt.date(2014, 3, 5), "day")),
    (dt.date(2014, 3, 4), (dt.date(2014, 3, 4), "day")),
    ("2024-06-02", (dt.date(2024, 6, 2), "day")),  # one day of clock skew is allowed
])
def test_parse_date(value: object, expected: tuple[dt.date, str]) -> None:
    assert parse_date(value, today=TODAY) == expected


@pytest.mark.parametrize(("value", "reason"), [
    ("03/04/2014", "ambiguous day/month in '03/04/2014': give --date-order DMY or --date-order MDY"),
    ("2024-06-03", "date 2024-06-03 is in the future (quarantined)"),
    ("0000-12-31", "invalid date '0000-12-31' (year 0 is out of range)"),
    ("2014-13-01", "invalid date '2014-13-01' (month must be in 1..12)"),
    ("", "empty date"),
    ("   ", "empty date"),
    ("sometime soon", "unparseable date 'sometime soon'"),
    ("yesterday", ("relative date 'yesterday' and no capture time to resolve it against (a field such as "
                  "retrieved_at, scraped_at, collected_at or indexed_date)")),
    ("20140304", "date is a bare number '20140304', expected a date"),
    (20140304, "date is a number (20140304), expected a date string"),
    (True, "date is a boolean (True), expected a date string"),
    (["2014-01-01"], "date is a list, expected a date string"),
    (None, "missing date"),
])
def test_parse_date_errors(value: object, reason: str) -> None:
    with pytest.raises(DateError) as err:
        parse_date(value, today=TODAY)
    assert str(err.value) == reason


def test_date_order_option() -> None:
    assert parse_date("03/04/2014", date_order="DMY", today=TODAY) == (dt.date(2014, 4, 3), "day")
    assert parse_date("03/04/2014", date_order="MDY", today=TODAY) == (dt.date(2014, 3, 4), "day")


@pytest.mark.parametrize(("name", "expected"), [
    ("2014-03-06-budget", (dt.date(2014, 3, 6), "day")),
    ("debates20140306a", (dt.date(2014, 3, 6), "day")),
    ("digest_2014_03", (dt.date(2014, 3, 1), "month")),
    ("annual-report-2014", (dt.date(2014, 1, 1), "year")),
    ("notes", None),
    ("covid-19-part-1", None),
    ("1234567890-page", None),  # ten digits are not a Unix timestamp
])
def test_date_from_filename(name: str, expected: tuple[dt.date, str] | None) -> None:
    assert date_from_filename(name, today=TODAY) == expected


# -- text -------------------------------------------------------------------------------------------------

def test_sniff_encoding_and_decode() -> None:
    text = "Café “quoted” – ok"
    assert sniff_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert sniff_encoding(text.encode("utf-16")) == "utf-16"
    assert sniff_encoding(text.encode("utf-16-le")) == "utf-16-le"
    assert sniff_encoding(text.encode("utf-16-be")) == "utf-16-be"
    assert sniff_encoding(text.encode()) == "utf-8"
    for enc in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"):
        assert decode(text.encode(enc)).removeprefix("\ufeff") == text, enc
    assert decode("Café façade".encode("latin-1")) == "Café façade"


def test_clean_text() -> None:
    # control characters separate words (as the matching rule reads them): each becomes a space
    assert clean_text("a\x00b\x07c\x1bd\ne\tf\r\n") == "a b c d\ne\tf\r\n"
    assert clean_text("It doesnâ€™t matter") == "It doesn’t matter"
    plain = "Curly “quotes”, the ﬁ ligature and naïve café stay as written."
    assert clean_text(plain) == plain


_AWKWARD_JSONL = (
    b"\xef\xbb\xbf" + '{"date": "2014-01-01", "text": "caf\u00e9 \u2014 first"}\r\n'.encode()
    + b"\n   \n"
    + b'{"date": "2014-01-02", "text": "stray \xe9 byte"}\n'
    + b'{"date": "2014-01-03", "text": ' + b"\n"  # truncated: its error names the column of the line end
    + ('{"date": "2014-01-04", "text": "' + "long " * 400 + '"}\n').encode()
    + '{"date": "2014-01-05", "text": "\u4e2d\u6587 \U0001f600"}\n'.encode()
    + b'{"date": "2014-01-06", "text": "no line end"}'
)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_jsonl_blocks_give_the_lines_of_line_by_line_reading(tmp_path: Path, block: int) -> None:
    from policypulse.corpus.readers.jsonl import JsonBlock, block_lines, read_jsonl_blocks, read_jsonl_lines

    path = tmp_path / "awkward.jsonl"
    path.write_bytes(_AWKWARD_JSONL)
    blocks = list(read_jsonl_blocks(path, block_bytes=block))
    assert all(isinstance(b, JsonBlock) and b.data for b in blocks)
    assert b"".join(b.data for b in blocks) == _AWKWARD_JSONL  # every byte once, cut only at line ends
    got = [ln for b in blocks for ln in block_lines(b)]  # type: ignore[arg-type]
    want = list(read_jsonl_lines(path))
    assert [(ln.record, ln.line) for ln in got] == [(ln.record, ln.line) for ln in want]
    assert [ln.record for ln in want] == [1, 4, 5, 6, 7, 8]


def test_jsonl_in_another_encoding_is_read_line_by_line(tmp_path: Path) -> None:
    from policypulse.corpus.readers.jsonl import JsonLine, read_jsonl_blocks

    path = tmp_path / "utf16.jsonl"
    path.write_bytes('{"date": "2014-01-01", "text": "caf\u00e9"}\n'.encode("utf-16"))
    got = list(read_jsonl_blocks(path))
    assert [type(x) for x in got] == [JsonLine] and got[0].line.startswith('{"date"')
