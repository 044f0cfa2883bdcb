"""`policypulse ingest` and `stats` through the real entry point: exit codes, one-line errors, the report."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policypulse.cli import main
from policypulse.corpus.store import Store

POLICYPULSE = str(Path(sys.executable).with_name("policypulse"))


def run(*args: object) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([POLICYPULSE, *map(str, args)], capture_output=True, text=True, timeout=120,
                          check=False)


def call(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """policypulse.cli.main in this process (fast); returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("policypulse: error: ")


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    lines = [
        '{"id": "m1", "date": "2014-03-04", "source": "Times", "text": "The Big Society."}',
        '{"id": "m2", "date": "2014-03-05", "source": "Times", "text": "Partnerships again."}',
        "",
        '{"id": "m3", "date": "2014-03-04", "source": "Times", "text": "The Big Society."}',
        '{"id": "m4", "date": "03/04/2014", "source": "Times", "text": "Ambiguous date."}',
        '{"id": "m5", "date": "2014-03-06", "text": ""}',
        '{broken',
        '{"id": "m6", "date": "2014-03-07", "source": "Guardian", "text": "Service integration."}',
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ingest_writes_the_contract_report_and_a_summary(tmp_path: Path, mixed: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    store, report_path = tmp_path / "store", tmp_path / "report.json"
    proc = run("ingest", store, mixed, "--report", report_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report) >= {"accepted", "duplicates", "rejected"}
    assert (report["accepted"], report["duplicates"]) == (3, 1)
    assert report["rejected"] == [
        {"file": str(mixed), "record": 5,
         "reason": "ambiguous day/month in '03/04/2014': give --date-order DMY or --date-order MDY"},
        {"file": str(mixed), "record": 6, "reason": "empty text"},
        {"file": str(mixed), "record": 7,
         "reason": "invalid JSON at column 2: Expecting property name enclosed in double quotes"},
    ]
    records = sum(1 for line in mixed.read_text().splitlines() if line.strip())
    assert report["accepted"] + report["duplicates"] + len(report["rejected"]) == records == 7
    assert proc.stderr.splitlines() == [
        f"rejected {mixed}:5: ambiguous day/month in '03/04/2014': give --date-order DMY or --date-order MDY",
        f"rejected {mixed}:6: empty text",
        f"rejected {mixed}:7: invalid JSON at column 2: Expecting property name enclosed in double quotes",
        f"ingested 3 documents (1 duplicates, 3 rejected) into {store}, now at version 1",
    ]
    assert Store(store).count() == 3

    code, out, err = call(capsys, "ingest", store, mixed, "--report", report_path)
    assert (code, out) == (0, "")
    report2 = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report2["accepted"], report2["duplicates"], report2["rejected"]) == (0, 4, report["rejected"])
    assert err.splitlines()[-1] == f"ingested 0 documents (4 duplicates, 3 rejected) into {store}, now at version 2"


def test_report_record_is_the_line_number_for_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text('date,text\n2014-01-01,"two\nlines"\n2014-01-02,one,extra\n\n2014-01-03,ok\n')
    code, _, _ = call(capsys, "ingest", tmp_path / "s", src, "--report", tmp_path / "r.json")
    assert code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["accepted"], report["duplicates"]) == (2, 0)
    assert report["rejected"] == [{"file": str(src), "record": 4,
                                   "reason": "expected 2 fields (as in the header), found 3"}]
    assert sorted(d["origin_record"] for d in Store(tmp_path / "s").documents().to_pylist()) == [2, 6]


def test_more_than_five_rejections_are_summarised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text("".join(f'{{"date": "someday {i}", "text": "x"}}\n' for i in range(8)))
    code, out, err = call(capsys, "ingest", tmp_path / "s", src)
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert len(lines) == 7
    assert lines[5] == "... and 3 more rejected (see --report)"
    assert lines[6] == f"no documents to ingest (8 rejected): {tmp_path / 's'} stays at version 0, no new version written"


def test_date_order_and_field_mapping_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "mapped.csv"
    src.write_text("when;body;paper;key\n03/04/2014;Mapped one;Trouw;k1\n04/05/2014;Mapped two;NRC;k2\n")
    code, _, err = call(capsys, "ingest", tmp_path / "s", src, "--date-order", "dmy", "--date-field", "when",
                        "--text-field", "body", "--source-field", "paper", "--id-field", "key")
    assert code == 0, err
    docs = sorted(Store(tmp_path / "s").documents().to_pylist(), key=lambda d: d["doc_id"])
    assert [(d["doc_id"], d["date"], d["source"], d["text"]) for d in docs] == [
        ("k1", dt.date(2014, 4, 3), "Trouw", "Mapped one"), ("k2", dt.date(2014, 5, 4), "NRC", "Mapped two")]


@pytest.mark.parametrize(("args", "message"), [
    (["--date-order", "YMD"], "policypulse: error: --date-order must be DMY or MDY, got 'YMD'"),
    (["--format", "xml"], ("policypulse: error: unknown --format 'xml'; choose one of auto, jsonl, json, csv, "
                           "parquet, textdir, sotu, nexis, factiva, mediacloud, gdelt, twitter, bluesky, hansard, zip")),
    (["--default-date", "yesterday"], "policypulse: error: --default-date must be YYYY-MM-DD, got 'yesterday'"),
    (["--no-such-option"], "policypulse: error: No such option: --no-such-option"),
])
def test_usage_errors_exit_2_with_one_line_and_touch_nothing(tmp_path: Path, mixed: Path,
                                                             capsys: pytest.CaptureFixture[str], args: list[str],
                                                             message: str) -> None:
    code, out, err = call(capsys, "ingest", tmp_path / "store", mixed, *args)
    assert code == 2
    assert_one_line_error(err)
    assert err.strip() == message
    assert out == ""
    assert not (tmp_path / "store").exists()


def test_usage_errors_without_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, "ingest")
    assert code == 2
    assert_one_line_error(err)
    assert err.strip() == "policypulse: error: Missing argument 'store'."
    code, _, err = call(capsys, "ingest", tmp_path / "store")
    assert (code, err.strip()) == (2, "policypulse: error: ingest needs at least one input PATH (or --format sotu)")
    assert not (tmp_path / "store").exists()


def test_exit_codes_through_the_console_script(tmp_path: Path, mixed: Path) -> None:
    proc = run("ingest", tmp_path / "store", mixed, "--format", "nope")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert_one_line_error(proc.stderr)
    assert not (tmp_path / "store").exists()
    proc = run("stats", tmp_path / "missing")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert_one_line_error(proc.stderr)


def test_failures_exit_1_with_one_line(tmp_path: Path, mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "stats", tmp_path / "missing")
    assert (code, out) == (1, "")
    assert err == f"policypulse: error: {tmp_path / 'missing'}: no store here; create one with 'policypulse ingest'\n"

    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "thesis.docx").write_bytes(b"x")
    for argv in (["stats", folder], ["ingest", folder, mixed], ["ingest", mixed, mixed]):
        code, out, err = call(capsys, *argv)
        assert code == 1, argv
        assert_one_line_error(err)
        assert "not a policypulse store (no manifest.json)" in err
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]


def test_stats_after_ingest(tmp_path: Path, mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert call(capsys, "ingest", tmp_path / "s", mixed)[0] == 0
    code, out, err = call(capsys, "stats", tmp_path / "s", "--format", "json")
    assert (code, err) == (0, "")
    stats = json.loads(out)
    assert (stats["documents"], stats["store_version"]) == (3, 1)
    assert (stats["first_date"], stats["last_date"]) == ("2014-03-04", "2014-03-07")


def test_sotu_through_the_cli(sotu_store: tuple[Path, dict], capsys: pytest.CaptureFixture[str]) -> None:
    # the fixture ran `policypulse ingest STORE --format sotu --report FILE` (see conftest.py)
    store, report = sotu_store
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (249, 0, [])
    assert (Store(store).version, Store(store).count()) == (1, 249)
    code, out, err = call(capsys, "stats", store, "--format", "json")
    assert (code, err) == (0, "")
    stats = json.loads(out)
    assert (stats["documents"], stats["first_date"], stats["last_date"]) == (249, "1790-01-08", "2026-02-24")
