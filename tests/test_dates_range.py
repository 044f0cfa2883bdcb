"""Dates from year 1 to 9999 through the whole stack (issue 17): store, both embedded engines, timelines,
lifecycle, figures, precedents, the CLI's CSV and JSON and the dashboard.

pandas' default datetime64[ns] holds only 1677-09-21 to 2262-04-11; a record dated 1066 used to be accepted
at ingest and then break ``stats``, ``track`` and ``lifecycle`` for the whole store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import policypulse
from policypulse.corpus.dates import DateError, parse_date
from policypulse.lifecycle.series import period_start, shift_periods
from policypulse.timeline import period_grid
from policypulse.web.app import create_app

EXE = Path(sys.executable).with_name("policypulse")
PERIODS = ("day", "week", "month", "quarter", "year")

DOCS = [
    {"id": "y1", "date": "0001-01-01", "source": "chron", "text": "In the first year the big society began."},
    {"id": "y800", "date": "0800", "source": "chron", "text": "A year-dated mention of the big society."},
    {"id": "hastings", "date": "1066-10-14", "source": "chron",
     "text": "The battle of Hastings: the Norman conquest began."},
    {"id": "y1500", "date": "1500-01-01", "source": "chron", "text": "The Norman conquest and the big society."},
    {"id": "h1803", "date": "1803-05-01", "source": "hansard", "text": "The big society is debated."},
    {"id": "n2014", "date": "2014-02-03", "source": "news", "text": "The big society lasted 1000 days."},
    {"id": "n2015", "date": "2015-02-03", "source": "news", "text": "Nobody mentions it now."},
    {"id": "far", "date": "9999-12-31", "source": "chron", "text": "The end of the big society."},
]
# Documents mentioning "big society", by (date, precision): the expected counts of every --by.
BIG = [("0001-01-01", "day"), ("0800-01-01", "year"), ("1500-01-01", "day"), ("1803-05-01", "day"),
       ("2014-02-03", "day")]


def expected(by: str) -> dict[str, int]:
    """Documents mentioning "big society" per period start, for documents precise enough for ``by``."""
    fine = {"day": ("day",), "week": ("day",), "month": ("day", "month"), "quarter": ("day", "month"),
            "year": ("day", "month", "year")}[by]
    out: dict[str, int] = {}
    for date, precision in BIG:
        if precision in fine:
            key = period_start(dt.date.fromisoformat(date), by).date().isoformat()
            out[key] = out.get(key, 0) + 1
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dates")
    src = root / "old.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    out = {}
    for name, index in (("indexed", True), ("scan", False)):
        report = policypulse.ingest(root / name, [src], fmt="jsonl", build_index=index)
        assert report.accepted == len(DOCS) - 1
        # 9999-12-31 is refused at ingest, with its reason, as every date after tomorrow is
        assert [(r.record, r.reason) for r in report.rejected] == [(8, "date 9999-12-31 is in the future (quarantined)")]
        out[name] = root / name
    return out


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=300, check=False)


def test_parse_date_reads_every_year_from_1_and_refuses_year_0() -> None:
    today = dt.date(2026, 1, 1)
    assert parse_date("0001-01-01", today=today) == (dt.date(1, 1, 1), "day")
    assert parse_date("0999-12-31", today=today) == (dt.date(999, 12, 31), "day")
    assert parse_date("0800", today=today) == (dt.date(800, 1, 1), "year")
    with pytest.raises(DateError, match="invalid date '0000-01-01'"):
        parse_date("0000-01-01", today=today)
    with pytest.raises(DateError, match="is in the future"):
        parse_date("9999-12-31", today=today)
    with pytest.raises(DateError, match="a number"):  # a bare number is a year only from 1000 to 2999
        parse_date(5, today=today)


def test_period_arithmetic_spans_years_1_to_9999() -> None:
    assert period_start(dt.date(1, 1, 3), "week").date() == dt.date(1, 1, 1)  # 0001-01-01 was a Monday
    assert period_start(dt.date(9999, 12, 31), "quarter").date() == dt.date(9999, 10, 1)
    assert shift_periods(pd.Timestamp(dt.date(1066, 10, 14)), 1, "month").date() == dt.date(1066, 11, 1)
    assert shift_periods(pd.Timestamp(dt.date(9999, 1, 1)), -1, "year").date() == dt.date(9998, 1, 1)
    grid = period_grid(pd.Timestamp(dt.date(1, 1, 1)).to_datetime64(), pd.Timestamp(dt.date(9999, 12, 31)).to_datetime64(),
                       "year")
    assert len(grid) == 9999
    assert str(grid[0])[:10] == "0001-01-01" and str(grid[-1])[:10] == "9999-01-01"


@pytest.mark.parametrize("by", PERIODS)
def test_track_counts_old_dates_in_both_engines(stores: dict[str, Path], by: str) -> None:
    frames = []
    for name in ("indexed", "scan"):
        with policypulse.open(stores[name]) as c:
            assert type(c.engine).__name__ == ("IndexedEngine" if name == "indexed" else "DuckDBEngine")
            t = c.track("big society", by=by)
        got = {p.date().isoformat(): int(d) for p, d in zip(t["period"], t["docs"]) if d}
        assert got == expected(by), name
        # 0001-01-01 (a Monday) starts a period of every size; the last document is from 2015-02-03
        assert t["period"].iloc[0].date().isoformat() == "0001-01-01"
        assert t["period"].iloc[-1].date() == period_start(dt.date(2015, 2, 3), by).date()
        # every period between the first and last document, zeros included
        assert t["period"].is_monotonic_increasing and t["period"].is_unique
        frames.append(t)
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)


def test_cli_track_csv_writes_iso_periods_for_year_1(stores: dict[str, Path]) -> None:
    r = run("track", str(stores["indexed"]), "big society", "--by", "year", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["period"] == "0001-01-01" and rows[-1]["period"] == "2015-01-01"
    assert len(rows) == 2015
    assert {row["period"]: int(row["docs"]) for row in rows if row["docs"] != "0"} == expected("year")


def test_cli_stats_kwic_lifecycle_and_plot_work_on_old_dates(stores: dict[str, Path], tmp_path: Path) -> None:
    store = str(stores["indexed"])
    r = run("stats", store, "--format", "json")
    assert r.returncode == 0, r.stderr
    r = run("kwic", store, "norman conquest", "--format", "json", "--from", "1000-01-01", "--to", "1499-12-31")
    assert r.returncode == 0, r.stderr
    assert [(k["doc_id"], k["date"]) for k in json.loads(r.stdout)] == [("hastings", "1066-10-14")]
    for by in ("month", "quarter", "year"):
        r = run("lifecycle", store, "big society", "--by", by, "--format", "json")
        assert r.returncode == 0, (by, r.stderr)
        lc = json.loads(r.stdout)[0]
        assert lc["first_mention"] == "0001-01-01" and lc["series_start"] == "0001-01-01", by
    # days and weeks in process without the bootstrap: 735,000 days from year 1 take a minute to resample
    with policypulse.open(store) as c:
        for by in ("day", "week"):
            lc = c.lifecycle("big society", by=by, n_boot=0).to_dicts()[0]
            assert str(lc["first_mention"])[:10] == "0001-01-01" and str(lc["last_mention"])[:10] == "2014-02-03"
    png = tmp_path / "lc.png"
    r = run("lifecycle", store, "norman conquest", "--by", "year", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 10_000


def test_precedents_finds_a_passage_from_1066(stores: dict[str, Path]) -> None:
    r = run("precedents", str(stores["indexed"]), "the norman conquest battle", "--before", "1600-01-01",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert hits[0]["doc_id"] == "hastings" and hits[0]["date"] == "1066-10-14"
    assert {h["doc_id"] for h in hits} <= {"hastings", "y1500", "y1"}  # nothing from 1600 or later


def test_lifecycle_counts_file_from_1500(tmp_path: Path) -> None:
    path = tmp_path / "ngram.csv"
    path.write_text("date,count,total\n1500,3,100\n1501,5,100\n1503,2,90\n1700,1,50\n", encoding="utf-8")
    r = run("lifecycle", "--counts", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    lc = json.loads(r.stdout)[0]
    assert (lc["first_mention"], lc["last_mention"], lc["series_end"]) == ("1500-01-01", "1700-01-01", "1700-01-01")


def test_dashboard_serves_old_dates(stores: dict[str, Path]) -> None:
    client = TestClient(create_app(stores["scan"]))
    rows = client.get("/api/track", params={"q": "big society", "by": "quarter"}).json()
    assert rows[0]["period"] == "0001-01-01"
    assert {r["period"]: r["docs"] for r in rows if r["docs"]} == expected("quarter")
    text = client.get("/api/track", params={"q": "big society", "by": "year", "format": "csv"}).text
    assert text.splitlines()[1].split(",")[1] == "0001-01-01"
    assert client.get("/api/lifecycle", params={"q": "big society", "by": "year"}).json()["first_mention"] == \
        "0001-01-01"
    assert [k["doc_id"] for k in client.get("/api/kwic", params={"q": "big society"}).json()][:2] == ["y1", "y800"]
    for page in ("/", "/idea?q=big+society", "/doc/hastings", "/api/figure?q=big+society&by=quarter&format=png"):
        assert client.get(page).status_code == 200, page


@pytest.mark.spark
def test_spark_ingest_and_engine_count_old_dates_as_the_embedded_engine(stores: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    from policypulse.query.engines import spark as spark_engine

    if spark_engine.java_available() is None:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless (or set JAVA_HOME)")
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'policypulse[spark]'")
    from policypulse.corpus.spark_ingest import spark_ingest

    session, created = spark_engine.spark_session("local[2]", app_name="policypulse-tests", conf={
        "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "1g"})
    try:
        src = tmp_path / "old.jsonl"
        src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
        report = spark_ingest(tmp_path / "spark", [str(src)], spark=session)
        assert (report.accepted, report.rejected_total) == (len(DOCS) - 1, 1)
        with policypulse.open(stores["scan"]) as duck, policypulse.open(stores["scan"], engine="spark") as spk, \
                policypulse.open(tmp_path / "spark", engine="spark") as spk2:
            for by in ("week", "year"):
                a = duck.track("big society", by=by)
                pd.testing.assert_frame_equal(a, spk.track("big society", by=by), check_exact=True)
                pd.testing.assert_frame_equal(a, spk2.track("big society", by=by), check_exact=True)
            assert list(spk.kwic("norman conquest")["doc_id"]) == ["hastings", "y1500"]
    finally:
        if created:
            session.stop()
