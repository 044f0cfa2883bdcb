"""Checksums, ``check``, ``repair`` and ``remove`` (issue 17), and the damage test: every file of a small store
truncated, zeroed in the middle and deleted in turn, and every query either gives the undamaged answer or fails
with the "store damaged" error, never a different answer with exit code 0."""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

import policypulse
from policypulse.cli import main
from policypulse.corpus import integrity
from policypulse.corpus.maintenance import remove
from policypulse.corpus.store import Store
from policypulse.corpus.where import parse_where
from policypulse.errors import StoreDamagedError, UsageError

WORDS = ("policy council budget reform housing police school health transport energy market labour "
         "community local national minister debate report plan growth").split()


def _docs(seed: int, n: int, year: int) -> list[dict[str, object]]:
    """News-like documents with planted phrases ("zebrafish mandate", "big society") on known dates."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        if i % 3 == 0:
            words.insert(rng.randint(0, len(words)), "zebrafish mandate")
        if i % 5 == 0:
            words.insert(rng.randint(0, len(words)), "big society")
        if i % 7 == 0:
            words.insert(rng.randint(0, len(words)), "zebrafishes")
        month, day = 1 + i % 12, 1 + i % 28
        out.append({"id": f"d{year}-{i}", "date": f"{year}-{month:02d}-{day:02d}", "source": f"src{i % 4}",
                    "text": " ".join(words)})
    # syndicated copies: the same long text in two other sources a day later (folded near-duplicates)
    for k in range(3):
        base = out[k * 11]
        for s in ("wire", "agency"):
            out.append({**base, "id": f"{base['id']}-{s}", "source": s,
                        "date": str(base["date"])[:8] + f"{int(str(base['date'])[8:]) + 1:02d}"})
    return out


def _write(path: Path, docs: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions: two ingests (one with a record from 1066) and a removal; token index and dups."""
    root = tmp_path_factory.mktemp("integrity")
    store = root / "store"
    a = _write(root / "a.jsonl", _docs(1, 150, 2013) + [{"id": "hastings", "date": "1066-10-14",
                                                          "source": "chron", "text": "zebrafish mandate at Hastings"}])
    b = _write(root / "b.jsonl", _docs(2, 120, 2014))
    policypulse.ingest(store, [a], fmt="jsonl", batch_docs=200)
    r = policypulse.ingest(store, [b], fmt="jsonl", batch_docs=200)
    assert r.near_duplicates > 0
    remove(store, where="source = src3 AND date < 2014-03-01")
    return store


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


QUERIES = [  # each kind of reader: totals, phrase, prefix, NEAR, NOT, raw (folded copies), an older version, kwic
    ("stats", "{s}", "--format", "json"),
    ("track", "{s}", "zebrafish mandate", "zebrafi*", "NEAR/5(zebrafish, big)", '"big society" AND NOT zebrafishes',
     "--by", "quarter", "--format", "csv"),
    ("track", "{s}", "big society", "--by", "year", "--raw", "--format", "csv"),
    ("track", "{s}", "zebrafish mandate", "--by", "year", "--version", "1", "--format", "csv"),
    ("kwic", "{s}", "zebrafish mandate", "--limit", "500", "--format", "csv"),
    ("lifecycle", "{s}", "zebrafish mandate", "--by", "year", "--format", "json"),
]


def _answers(store: Path) -> list[tuple[int, str, str]]:
    out = []
    for q in QUERIES:
        code, stdout, stderr = run(*(a.format(s=store) for a in q))
        out.append((code, stdout.replace(str(store), "STORE"), stderr))
    return out


def _damage(path: Path, how: str) -> None:
    if how == "delete":
        path.unlink()
        return
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        if how == "truncate":
            fh.truncate(size // 2)
        else:  # zero a block of up to 4 KB inside the file
            start = size // 3
            fh.seek(start)
            fh.write(b"\0" * min(4096, size - start))


def test_every_store_file_has_a_checksum(small_store: Path) -> None:
    s = Store(small_store)
    sealed = set(s.manifest.files) | set(s.manifest.derived["index"]["files"])
    on_disk = {str(p.relative_to(small_store)) for p in small_store.rglob("*")
               if p.is_file() and p.name != "manifest.json" and not p.name.endswith(".lock")}
    assert on_disk == sealed
    assert len(s.manifest.versions) == 3 and any(r.startswith("dups/") for r in sealed)
    report = integrity.check(s)
    assert report.ok and report.files == len(sealed) and not report.unrecorded and not report.unsealed


def test_damage_to_any_file_is_an_error_never_a_different_answer(small_store: Path, tmp_path: Path) -> None:
    baseline = _answers(small_store)
    assert all(code == 0 for code, _, _ in baseline), baseline
    assert "zebrafi*" in baseline[1][1] and len(baseline[4][1].splitlines()) > 50
    files = sorted(p for p in small_store.rglob("*") if p.is_file())
    assert len(files) > 25
    outcomes = {"same": 0, "damaged": 0}
    for n, original in enumerate(files):
        rel = original.relative_to(small_store)
        for how in ("truncate", "zero", "delete"):
            copy = tmp_path / f"c{n}-{how}"  # a new path each time: no cache of an earlier copy can answer
            shutil.copytree(small_store, copy)
            _damage(copy / rel, how)
            for q, want, got in zip(QUERIES, baseline, _answers(copy)):
                if got[0] == 0:
                    assert got[1] == want[1], (str(rel), how, q)  # an answer is the undamaged answer
                    outcomes["same"] += 1
                else:
                    assert got[0] == 1, (str(rel), how, q, got[2])
                    assert "store damaged" in got[2] and "policypulse repair" in got[2], (str(rel), how, q, got[2])
                    assert got[2].count("\n") == 1, got[2]  # one line
                    outcomes["damaged"] += 1
            shutil.rmtree(copy)
    assert outcomes["damaged"] > outcomes["same"] / 4  # most damage is caught, not merely harmless


@pytest.mark.parametrize(("pattern", "how"), [("index/tantivy/000/*.idx", "truncate"), ("index/tantivy/000/*.pos", "zero"),
                                              ("index/tantivy/000/meta.json", "delete"), ("totals/v3.parquet", "zero"),
                                              ("index/meta/*.npz", "delete")])
def test_repair_rebuilds_derived_files_to_the_same_answers(small_store: Path, tmp_path: Path, pattern: str,
                                                          how: str) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    damaged = list(copy.glob(pattern))
    assert damaged, pattern
    for p in damaged:
        _damage(p, how)
    code, _, err = run("check", str(copy))
    assert code == 1 and "store damaged" in err and f"policypulse repair {copy}" in err
    code, _, err = run("repair", str(copy))
    assert code == 0, err
    assert "rebuilt:" in err
    assert run("check", str(copy))[0] == 0
    assert _answers(copy) == _answers(small_store)


def test_repair_says_when_documents_are_damaged(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    seg = sorted((copy / "segments").iterdir())[0]
    _damage(seg, "zero")
    code, _, err = run("repair", str(copy))
    assert code == 1 and err.count("\n") == 1
    assert f"segments/{seg.name}" in err and "not rebuildable" in err and "backup" in err
    (copy / "manifest.json").unlink()
    code, _, err = run("stats", str(copy))
    assert code == 1 and "store damaged: manifest.json is missing" in err
    code, _, err = run("repair", str(copy))
    assert code == 1 and "cannot be rebuilt" in err and "backup" in err


def test_repair_completes_an_index_build_that_was_killed(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    s = Store(copy)
    with s.writer_lock():
        integrity.unseal(s, "index")  # what a build killed half-way leaves: an unsealed index
    with policypulse.open(copy) as c:  # readers scan meanwhile: the same counts
        assert type(c.engine).__name__ == "DuckDBEngine"
    code, _, err = run("check", str(copy))
    assert code == 0 and "not complete" in err
    assert run("repair", str(copy))[0] == 0
    with policypulse.open(copy) as c:
        assert type(c.engine).__name__ == "IndexedEngine"
    assert _answers(copy) == _answers(small_store)


def test_store_from_before_checksums_opens_and_repair_records_them(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    m = json.loads((copy / "manifest.json").read_text())
    for key in ("checksum", "files", "derived"):
        m.pop(key)
    (copy / "manifest.json").write_text(json.dumps(m))
    assert _answers(copy)[1:] == _answers(small_store)[1:]  # scans (no sealed index) to the same numbers
    code, _, err = run("check", str(copy))
    assert code == 0 and "have no checksum" in err
    code, _, err = run("repair", str(copy))
    assert code == 0 and "checksums recorded" in err, err
    assert integrity.check(Store(copy)).ok and not integrity.check(Store(copy)).unrecorded
    assert _answers(copy) == _answers(small_store)


# -- remove -----------------------------------------------------------------------------------------------

def test_remove_writes_a_new_version_and_keeps_older_ones(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    with policypulse.open(copy) as c:
        before = c.track("zebrafish mandate", by="year")
        docs = c.store.documents(c.version, ["doc_id", "date", "source"]).to_pandas()
    ids = tmp_path / "ids.txt"
    gone = ["hastings", "d2014-0", "d2014-3", "no-such-id"]
    ids.write_text("# takedown request\n" + "\n".join(gone) + "\n\n", encoding="utf-8")
    code, _, err = run("remove", str(copy), "--ids", str(ids))
    assert code == 0, err
    assert "removed 3 documents" in err and "version 4 written" in err and "no-such-id" in err
    with policypulse.open(copy) as c, policypulse.open(copy, version=3) as old:
        assert type(c.engine).__name__ == "IndexedEngine" and type(old.engine).__name__ == "IndexedEngine"
        pd.testing.assert_frame_equal(old.track("zebrafish mandate", by="year"), before)
        after = c.track("zebrafish mandate", by="year")
        left = set(c.store.documents(c.version, ["doc_id"]).column("doc_id").to_pylist())
        assert left == set(docs["doc_id"]) - set(gone)
        # hastings (1066), d2014-0 and d2014-3 (i % 3 == 0) all mention the phrase; d2014-0 represented two
        # syndicated copies, one of which now stands for the cluster: deduplicated counts fall by two, raw by three
        assert after["docs"].sum() == before["docs"].sum() - 2
        assert (c.track("zebrafish mandate", by="year", raw=True)["docs"].sum()
                == old.track("zebrafish mandate", by="year", raw=True)["docs"].sum() - 3)
        assert 1066 not in set(after["period"].dt.year)
        assert c.stats(by="year")["documents"] == len(docs) - 3
    scan = tmp_path / "scan"
    shutil.copytree(copy, scan)
    shutil.rmtree(scan / "index")
    with policypulse.open(scan) as c:  # the scan agrees with the index on the new version
        m = json.loads((scan / "manifest.json").read_text())
        assert type(c.engine).__name__ == "DuckDBEngine" or "index" in m["derived"]
        pd.testing.assert_frame_equal(c.track("zebrafish mandate", by="year"), after)


def test_remove_where_by_date_and_source(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    with policypulse.open(copy) as c:
        docs = c.store.documents(c.version, ["doc_id", "date", "source"]).to_pandas()
    expr = "date < 1800-01-01 OR (source IN (wire, 'agency') AND date >= 2014-01-01)"
    code, out, err = run("remove", str(copy), "--where", expr, "--format", "json")
    assert code == 0, err
    gone = docs[(docs["date"].map(lambda d: d.year) < 1800)
                | (docs["source"].isin(["wire", "agency"]) & (docs["date"].map(lambda d: d.year) >= 2014))]
    assert json.loads(out)["removed"] == len(gone) > 2
    with policypulse.open(copy) as c:
        left = set(c.store.documents(c.version, ["doc_id"]).column("doc_id").to_pylist())
        assert left == set(docs["doc_id"]) - set(gone["doc_id"])
        # a removed representative's copies are not lost: each cluster keeps one counted document
        raw = c.track("big society", by="year", raw=True)["docs"].sum()
        assert raw >= c.track("big society", by="year")["docs"].sum()
    assert run("check", str(copy))[0] == 0


def test_remove_refuses_bad_requests(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    versions = Store(copy).version
    ids = tmp_path / "none.txt"
    ids.write_text("nothing-like-this\n")
    for argv, code, message in [
        (["remove", str(copy)], 2, "exactly one of --ids FILE or --where EXPR"),
        (["remove", str(copy), "--where", "date < 2014-01-01", "--ids", str(ids)], 2, "exactly one"),
        (["remove", str(copy), "--ids", str(ids)], 1, "nothing removed"),
        (["remove", str(copy), "--where", "date < 1000-01-01"], 1, "nothing removed"),
        (["remove", str(copy), "--where", "date < 14/03/2014"], 2, "YYYY-MM-DD"),
        (["remove", str(copy), "--where", "source = 'x'; DROP TABLE docs; --"], 2, "cannot read"),
        (["remove", str(copy), "--where", "text = 'x'"], 2, "expected a field"),
        (["remove", str(copy), "--where", "source == x"], 2, "expected a value"),
        (["remove", str(copy), "--where", "(" * 100 + "source = x" + ")" * 100], 2, "nested"),
        (["remove", str(copy), "--ids", str(tmp_path / "missing.txt")], 2, "cannot read the ids file"),
    ]:
        got, _, err = run(*argv)
        assert (got, err.count("\n")) == (code, 1), (argv, err)
        assert message in err, (argv, err)
    assert Store(copy).version == versions  # nothing was written


def test_where_quotes_are_values_never_syntax() -> None:
    import datetime as dt

    import pyarrow as pa

    from policypulse.corpus.where import evaluate

    t = pa.table({"source": ["a'b", "x", None], "date": pa.array([dt.date(1066, 10, 14), dt.date(2014, 1, 1),
                                                                  dt.date(2014, 1, 2)], pa.date32()),
                  "title": ["t", None, "u"]})
    assert evaluate(parse_where("source = 'a''b'"), t).to_pylist() == [True, False, False]
    assert evaluate(parse_where('source = "x" or date = 1066-10-14'), t).to_pylist() == [True, True, False]
    assert evaluate(parse_where("source NOT IN (x)"), t).to_pylist() == [True, False, False]
    assert evaluate(parse_where("NOT source = x AND date > 2014-01-01"), t).to_pylist() == [False, False, True]
    with pytest.raises(UsageError, match="unexpected"):
        parse_where("source = x y")


def test_manifest_damage_is_reported(small_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    raw = (copy / "manifest.json").read_bytes()
    (copy / "manifest.json").write_bytes(raw.replace(b'"created": "2', b'"created": "3', 1))
    with pytest.raises(StoreDamagedError, match="manifest.json does not match its checksum"):
        Store(copy)


def test_dashboard_reports_damage_done_while_it_serves(small_store: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from policypulse.web.app import create_app

    copy = tmp_path / "s"
    shutil.copytree(small_store, copy)
    client = TestClient(create_app(copy))
    assert client.get("/api/track", params={"q": "zebrafish mandate"}).status_code == 200
    for p in (copy / "index" / "tantivy" / "000").glob("*.idx"):
        _damage(p, "truncate")
    time.sleep(1.1)  # the dashboard re-checks an open corpus at most once a second
    r = client.get("/api/track", params={"q": "zebrafi*"})  # not cached: it needs the damaged files
    assert r.status_code == 422 and "store damaged" in r.json()["error"] and "policypulse repair" in r.json()["error"]
