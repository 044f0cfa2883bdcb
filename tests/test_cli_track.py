"""``policypulse track`` and ``kwic`` through the installed console script: the contract's CSV and JSON,
``--out`` with its provenance sidecar, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import policypulse

EXE = Path(sys.executable).with_name("policypulse")
CONTRACT = ["idea", "period", "docs", "mentions", "total_docs", "rate"]

DOCS = [
    {"id": "a", "date": "2011-01-05", "source": "s1", "text": "The Big Society plan."},
    {"id": "b", "date": "2011-01-20", "source": "s2", "text": "Budget cuts."},
    {"id": "c", "date": "2011-02-10", "source": "s1", "text": "big-society again, and BIG\nSOCIETY"},
    # no document at all in March 2011: a coverage gap
    {"id": "d", "date": "2011-04-02", "source": "s2", "text": "Nothing."},
    {"id": "e", "date": "2011-05-09", "source": "s1", "text": "#BigSociety trending; forward guidance"},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("cli")
    src = root / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    report = policypulse.ingest(root / "store", [src], fmt="jsonl")
    assert report.accepted == len(DOCS)
    return str(root / "store")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EXE.exists(), EXE
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=120, check=False)


def test_track_csv_header_and_rows(store: str) -> None:
    r = run("track", store, "big society", "--format", "csv")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = lines[0].split(",")
    assert header[:6] == CONTRACT  # the contract's six columns first, in order
    assert set(header[6:]) <= {"total_words", "coverage", "rate_smoothed"}  # extras only after them
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    got = [(x["period"], x["docs"], x["mentions"], x["total_docs"], x["rate"]) for x in rows]
    assert got == [
        ("2011-01-01", "1", "1", "2", "0.5"),
        ("2011-02-01", "1", "2", "1", "1"),
        ("2011-03-01", "0", "0", "0", ""),  # a gap: no exposure, no rate
        ("2011-04-01", "0", "0", "1", "0"),  # silence with exposure: a zero
        ("2011-05-01", "0", "0", "1", "0"),  # "#BigSociety" is the hashtag token, not the phrase
    ]
    assert {x["idea"] for x in rows} == {"big society"}
    assert [x["coverage"] for x in rows] == ["ok", "ok", "gap", "ok", "ok"]


def test_track_csv_several_ideas_and_sources(store: str) -> None:
    r = run("track", store, "big society", "#bigsociety", "--source", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    header = r.stdout.splitlines()[0].split(",")
    assert [c for c in header if c in CONTRACT] == CONTRACT and "source" in header
    assert len(rows) == 2 * 5 * 2  # ideas x months x sources
    tag = [x for x in rows if x["idea"] == "#bigsociety" and x["docs"] == "1"]
    assert [(x["period"], x["source"]) for x in tag] == [("2011-05-01", "s1")]


def test_track_out_writes_file_and_provenance_sidecar(store: str, tmp_path: Path) -> None:
    out = tmp_path / "bs.csv"
    r = run("track", store, "big society", "--by", "quarter", "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",")[:6] == CONTRACT
    assert [line.split(",")[1] for line in text.splitlines()[1:]] == ["2011-01-01", "2011-04-01"]
    prov = json.loads(out.with_name("bs.csv.provenance.json").read_text(encoding="utf-8"))
    assert prov["store_version"] == 1
    assert prov["software"] == f"policypulse {policypulse.__version__}"
    assert prov["parameters"]["ideas"] == [{"name": "big society", "aliases": ["big society"], "exclude": []}]
    assert prov["parameters"]["by"] == "quarter" and prov["parameters"]["per"] == "docs"
    assert Path(prov["store"]) == Path(store).resolve()


def test_track_json(store: str) -> None:
    r = run("track", store, "big society", "--format", "json", "--per", "words")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert isinstance(rows, list) and len(rows) == 5
    for row in rows:
        assert set(CONTRACT) <= set(row)
    assert rows[0]["period"] == "2011-01-01" and rows[0]["docs"] == 1
    assert rows[1]["rate"] == pytest.approx(2 / 6 * 1e6)  # 2 mentions in 6 words
    assert rows[2]["rate"] is None and rows[2]["coverage"] == "gap" and rows[2]["total_docs"] == 0


def test_track_wide_csv(store: str) -> None:
    r = run("track", store, "big society", "forward guidance", "--wide", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.stdout.splitlines()[0] == "period,total_docs,coverage,big society,forward guidance"
    assert [x["period"] for x in rows] == ["2011-01-01", "2011-02-01", "2011-03-01", "2011-04-01", "2011-05-01"]
    assert [x["forward guidance"] for x in rows] == ["0", "0", "", "0", "1"]


def test_track_ideas_file_with_exclusion(store: str, tmp_path: Path) -> None:
    f = tmp_path / "ideas.yaml"
    f.write_text("ideas:\n  - name: Big Society\n    aliases: [\"big society\", \"#bigsociety\"]\n"
                 "    exclude: [\"again\"]\n", encoding="utf-8")
    r = run("track", store, "--ideas", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr
    docs = {row["period"]: row["docs"] for row in json.loads(r.stdout)}
    assert docs == {"2011-01-01": 1, "2011-02-01": 0, "2011-03-01": 0, "2011-04-01": 0, "2011-05-01": 1}


@pytest.mark.parametrize(
    ("query", "column"),
    [('"big society', 13), ("big OR", 7), ("big*society", 4), ('NEAR/2("a" "b")', 12)],
)
def test_syntax_error_exits_2_with_the_column_on_one_line(store: str, query: str, column: int) -> None:
    r = run("track", store, query, "--format", "csv")
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"at column {column}" in lines[0] and "Traceback" not in r.stderr


def test_bad_option_value_exits_2(store: str) -> None:
    r = run("track", store, "big society", "--by", "fortnight")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_missing_store_is_one_line_without_traceback(tmp_path: Path) -> None:
    r = run("track", str(tmp_path / "nope"), "big society")
    assert r.returncode in (1, 2)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_kwic_json(store: str) -> None:
    r = run("kwic", store, "big society", "--format", "json", "--from", "2011-02-01", "--limit", "5")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["doc_id"], x["date"], x["source"], x["match"]) for x in rows] == [
        ("c", "2011-02-10", "s1", "big-society"), ("c", "2011-02-10", "s1", "BIG SOCIETY")]
