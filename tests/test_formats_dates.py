"""Relative dates resolved against the capture time, at an honest precision; future dates quarantined (issue 9)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from policypulse.corpus.dates import DateError, is_relative, parse_date, relative_date
from test_formats import F, _ingest

CAPTURED = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)  # a Tuesday


@pytest.mark.parametrize(("value", "expected"), [
    ("3 hours ago", ("2024-03-05", "day")),
    ("10 hours ago", ("2024-03-04", "day")),  # 23:00 the day before
    ("3h", ("2024-03-05", "day")),
    ("45 minutes ago", ("2024-03-05", "day")),
    ("just now", ("2024-03-05", "day")),
    ("yesterday", ("2024-03-04", "day")),
    ("Gestern", ("2024-03-04", "day")),
    ("2 days ago", ("2024-03-03", "day")),
    ("a day ago", ("2024-03-04", "day")),
    ("2d", ("2024-03-03", "day")),
    ("vor 3 Tagen", ("2024-03-02", "day")),
    ("il y a 2 jours", ("2024-03-03", "day")),
    # a week is a span of seven days: stored at the finest precision that holds all of it, never a day
    ("last week", ("2024", "year")),  # Monday 26 February to Sunday 3 March
    ("1 week ago", ("2024-02", "month")),  # 21 to 27 February
    ("2 weeks ago", ("2024-02", "month")),  # 14 to 20 February
    ("la semaine dernière", ("2024", "year")),
    ("last month", ("2024-02", "month")),
    ("3 months ago", ("2023-12", "month")),
    ("last year", ("2023", "year")),
    ("vor 2 Jahren", ("2022", "year")),
])
def test_relative_dates_and_their_precision(value: str, expected: tuple[str, str]) -> None:
    assert is_relative(value)
    assert relative_date(value, CAPTURED) == expected


def test_a_week_is_dated_to_its_month_or_year_and_refused_across_a_new_year() -> None:
    assert relative_date("last week", dt.datetime(2024, 3, 14, 12, tzinfo=dt.UTC)) == ("2024-03", "month")  # 4-10
    assert relative_date("last week", dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)) == ("2023-12", "month")  # 25-31
    with pytest.raises(DateError) as err:
        relative_date("last week", dt.datetime(2025, 1, 8, 12, tzinfo=dt.UTC))
    assert str(err.value) == ("relative date 'last week' means a week from 2024-12-30 to 2025-01-05, across a new "
                              "year: it cannot be dated to a day, a month or a year")
    with pytest.raises(DateError, match="^relative date '1 week ago' means a week from 2023-12-28 to 2024-01-03"):
        relative_date("1 week ago", dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC))


def test_absolute_dates_are_not_relative() -> None:
    for value in ("2024-03-01", "2024-03-01T10:00:00Z", "March 3, 2024", "3 March 2024", "03/03/2024"):
        assert not is_relative(value) and relative_date(value, CAPTURED) is None


def test_a_relative_date_without_a_capture_time_is_refused_with_the_reason() -> None:
    with pytest.raises(DateError) as err:
        parse_date("3 hours ago", today=dt.date(2024, 6, 1))
    assert str(err.value) == ("relative date '3 hours ago' and no capture time to resolve it against (a field such "
                              "as retrieved_at, scraped_at, collected_at or indexed_date)")


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_scraped_records_resolve_against_their_capture_field(tmp_path: Path) -> None:
    scraped = "2024-03-05T09:00:00Z"
    rows = [
        {"id": "a", "text": "The big society is back", "date": "3 hours ago", "scraped_at": scraped},
        {"id": "b", "text": "Whatever happened to the big society", "date": "yesterday", "scraped_at": scraped},
        {"id": "c", "text": "Big society, ten years on", "date": "last month", "scraped_at": scraped},
        {"id": "d", "text": "The big society, a retrospective", "date": "2 weeks ago", "scraped_at": scraped},
        {"id": "e", "text": "No capture time here", "date": "2 days ago"},
        {"id": "f", "text": "Captured by a clock set in the future", "date": "yesterday",
         "retrieved_at": "2031-01-02T00:00:00Z"},
        {"id": "g", "text": "An absolute date stays as it is", "date": "2024-03-01", "scraped_at": scraped},
    ]
    path = _write_jsonl(tmp_path / "scrape.jsonl", rows)
    report, docs = _ingest(tmp_path, [path], today=dt.date(2024, 6, 1))
    got = {d["doc_id"]: (d["date"], d["date_precision"], d["date_source"], d["meta"].get("date_relative"))
           for d in docs.values()}
    assert got == {
        "a": (dt.date(2024, 3, 5), "day", "field", "3 hours ago"),
        "b": (dt.date(2024, 3, 4), "day", "field", "yesterday"),
        "c": (dt.date(2024, 2, 1), "month", "field", "last month"),  # month precision: no day invented
        "d": (dt.date(2024, 2, 1), "month", "field", "2 weeks ago"),
        "g": (dt.date(2024, 3, 1), "day", "field", None),
    }
    assert docs["a"]["meta"]["date_captured"] == "scraped_at 2024-03-05T09:00:00+00:00"
    assert [(r.record, r.reason) for r in report.rejected] == [
        (5, ("relative date '2 days ago' and no capture time to resolve it against (a field such as retrieved_at, "
            "scraped_at, collected_at or indexed_date)")),
        (6, "date 2031-01-01 is in the future (quarantined)")]


def test_csv_and_media_cloud_and_twarc_capture_times(tmp_path: Path) -> None:
    csv_path = tmp_path / "scrape.csv"
    csv_path.write_text("url,title,text,published,collected_at\n"
                        "u1,One,The big society returns,2 days ago,2024-03-05 09:00:00\n"
                        "u2,Two,The big society again,last week,2024-03-14 12:00:00\n", encoding="utf-8")
    mc = tmp_path / "mc.csv"
    mc.write_text("id,indexed_date,language,media_name,media_url,publish_date,title,url\n"
                  "s1,2024-03-14 12:00:00,en,bbc.co.uk,https://www.bbc.co.uk,last week,Big society last week,https://b/1\n"
                  "s2,2025-01-08 12:00:00,en,bbc.co.uk,https://www.bbc.co.uk,last week,Big society at new year,"
                  "https://b/2\n", encoding="utf-8")
    twarc = _write_jsonl(tmp_path / "flat.jsonl", [
        {"id": "1700000000000000001", "text": "The #BigSociety is back", "created_at": "3h", "author_id": "9",
         "author": {"id": "9", "username": "scraper"}, "__twarc": {"retrieved_at": "2024-03-05T01:00:00+00:00"}}])
    report, docs = _ingest(tmp_path, [csv_path, mc, twarc], today=dt.date(2025, 6, 1))
    got = {d["title"] or d["doc_id"]: (d["date"], d["date_precision"], d["meta"].get("date_relative")) for d in docs.values()}
    assert got == {
        "One": (dt.date(2024, 3, 3), "day", "2 days ago"),
        "Two": (dt.date(2024, 3, 1), "month", "last week"),  # 4 to 10 March
        "Big society last week": (dt.date(2024, 3, 1), "month", "last week"),
        "1700000000000000001": (dt.date(2024, 3, 4), "day", "3h"),  # 22:00 UTC the day before
    }
    assert [(Path(r.file).name, r.record, r.reason) for r in report.rejected] == [
        ("mc.csv", 3, ("story s2: relative date 'last week' means a week from 2024-12-30 to 2025-01-05, across a new "
                      "year: it cannot be dated to a day, a month or a year"))]


def test_future_dates_are_quarantined_across_archive_formats(tmp_path: Path) -> None:
    """Ingested "on" 15 July 2010, everything dated after 16 July is in the future and quarantined."""
    today = dt.date(2010, 7, 15)
    files = [F / "factiva-indexed.html", F / "factiva.xml", F / "debates2010-07-19b.xml", F / "nexis-uni-fr.txt",
             F / "gdelt-events.export.CSV"]
    report, docs = _ingest(tmp_path, files, today=today)
    future = sorted((Path(r.file).name, r.record, r.reason) for r in report.rejected if "future" in r.reason)
    assert future == [
        ("debates2010-07-19b.xml", 1, "date 2010-07-19 is in the future (quarantined)"),
        ("debates2010-07-19b.xml", 2, "date 2010-07-19 is in the future (quarantined)"),
        ("debates2010-07-19b.xml", 3, "date 2010-07-19 is in the future (quarantined)"),
        ("debates2010-07-19b.xml", 4, "date 2010-07-19 is in the future (quarantined)"),
        ("factiva-indexed.html", 1, "date 2010-07-19 is in the future (quarantined)"),
        ("factiva-indexed.html", 2, "date 2010-07-20 is in the future (quarantined)"),
        ("factiva.xml", 1, "date 2010-07-19 is in the future (quarantined)"),
        ("factiva.xml", 2, "date 2010-07-20 is in the future (quarantined)"),
        ("gdelt-events.export.CSV", 1, "date 2025-05-10 is in the future (quarantined)"),
        ("gdelt-events.export.CSV", 3, "date 2025-05-11 is in the future (quarantined)"),
        ("nexis-uni-fr.txt", 1, "date 2010-07-20 is in the future (quarantined)"),
        ("nexis-uni-fr.txt", 2, "date 2011-08-01 is in the future (quarantined)"),
    ]
    assert docs == {}
