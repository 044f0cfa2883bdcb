"""The token index (corpus/index.py) and the engine that counts with it (query/engines/indexed.py).

The indexed engine must give exactly the scan's answers (the scan is checked against an independent
reference in test_matching.py): counts, totals and matching documents, for every query shape, every
period, with and without folding; and a store whose index is missing or half-built must still count
right (by scan) and be completed by the next ingest or `policypulse index`.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import policypulse
from policypulse.errors import QuerySyntaxError
from policypulse.corpus import index as token_index
from policypulse.corpus.readers import ReaderOptions
from policypulse.corpus.store import Store
from policypulse.query.engines.duckdb import DuckDBEngine
from policypulse.query.engines.indexed import IndexedEngine
from policypulse.query.ideas import Idea, idea_from_query
from synthetic import SyntheticCorpus

CORPUS = SyntheticCorpus(n_docs=1500, start="2009-01-01", end="2013-12-31", seed=11, month_precision=0.05,
                         undated=0.02, near_miss_rate=0.2)

QUERIES = [
    "big society", "#bigsociety", "big soc*", "society*", "NEAR/3(big, society)", "NEAR/0(big, soc*)",
    "big society AND NOT #bigsociety", "NOT big", "society OR \"third way\"", "(big society OR third way) "
    "AND NOT society", "big AND NOT NEAR/2(big, society)", "nothingatall", "the",
]


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("indexed")
    src = CORPUS.write_jsonl(root / "corpus.jsonl")
    # Small batches: many segments, so that hits are mapped back across segment boundaries.
    policypulse.ingest(root / "store", [src], fmt="jsonl", batch_docs=200,
                       options=ReaderOptions(default_date=dt.date(2011, 6, 1)))
    return root / "store"


@pytest.fixture(scope="module")
def engines(store: Path) -> tuple[IndexedEngine, DuckDBEngine]:
    assert token_index.covers(Store(store))
    return IndexedEngine(Store(store)), DuckDBEngine(Store(store))


@pytest.mark.parametrize("by", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize("by_source", [False, True])
def test_counts_and_totals_equal_the_scan(engines: tuple[IndexedEngine, DuckDBEngine], by: str,
                                          by_source: bool) -> None:
    ix, scan = engines
    ideas = [Idea(f"q{i}", (q,)) for i, q in enumerate(QUERIES)] + [
        Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted]
    keys = ["idea", "period"] + (["source"] if by_source else [])
    got, want = ix.counts(ideas, by, by_source=by_source), scan.counts(ideas, by, by_source=by_source)
    pd.testing.assert_frame_equal(_sorted(got, keys), _sorted(want, keys))
    assert got["docs"].sum() > 100  # the queries do match things
    tkeys = keys[1:]
    pd.testing.assert_frame_equal(_sorted(ix.totals(by, by_source=by_source), tkeys),
                                  _sorted(scan.totals(by, by_source=by_source), tkeys))


@pytest.mark.parametrize("options", [
    {"include_fallback": True},
    {"date_from": dt.date(2010, 3, 15), "date_to": dt.date(2012, 2, 1)},
    {"dedup": False},
])
def test_filters_equal_the_scan(engines: tuple[IndexedEngine, DuckDBEngine], options: dict) -> None:
    ix, scan = engines
    ideas = [Idea(f"q{i}", (q,)) for i, q in enumerate(QUERIES)]
    keys = ["idea", "period"]
    pd.testing.assert_frame_equal(_sorted(ix.counts(ideas, "month", **options), keys),
                                  _sorted(scan.counts(ideas, "month", **options), keys))
    pd.testing.assert_frame_equal(ix.totals("month", **options), scan.totals("month", **options))


@pytest.mark.parametrize("query", ["big society", "big soc*", "NEAR/3(big, society)", "NOT big", "the"])
@pytest.mark.parametrize("limit", [1, 7, 40])
def test_matching_documents_equal_the_scan(engines: tuple[IndexedEngine, DuckDBEngine], query: str,
                                           limit: int) -> None:
    ix, scan = engines
    idea = idea_from_query(query)
    got = ix.matching_documents(idea, limit=limit, date_from=dt.date(2010, 1, 1))
    want = scan.matching_documents(idea, limit=limit, date_from=dt.date(2010, 1, 1))
    assert list(got["doc_id"]) == list(want["doc_id"])
    assert list(got["text"]) == list(want["text"])
    assert len(got) == limit


def test_folded_near_duplicates_count_once(tmp_path: Path) -> None:
    story = ("The minister said the big society would transform how local services are run across the "
             "country, with charities and volunteers taking over from councils in every town and city ")
    records = [{"id": f"c{i}", "date": "2012-05-0" + str(1 + i % 2), "source": f"paper{i}",
                "text": story * 3 + f" reported by paper {i}"} for i in range(6)]
    records.append({"id": "other", "date": "2012-05-01", "source": "x", "text": "the big society is over"})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    policypulse.ingest(tmp_path / "s", [src])
    with policypulse.open(tmp_path / "s") as corpus:
        assert isinstance(corpus.engine, IndexedEngine)
        t = corpus.track("big society", by="month", with_raw=True)
    row = t[t["docs_raw"] > 0].iloc[0]
    assert (row["docs"], row["docs_raw"], row["total_docs"], row["total_docs_raw"]) == (2, 7, 2, 7)


def test_missing_or_partial_index_falls_back_to_the_scan_and_is_completed(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    covered = copy / "index" / "covered.json"
    body = json.loads(covered.read_text())
    body["segments"] = body["segments"][:2]  # as if an index build was killed after two segments
    covered.write_text(json.dumps(body))
    with policypulse.open(copy) as corpus:
        assert type(corpus.engine) is DuckDBEngine
        partial = corpus.track("big society", by="month")
    exe = Path(sys.executable).with_name("policypulse")
    run = subprocess.run([str(exe), "index", str(copy)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "version 1 is fully indexed" in run.stderr
    with policypulse.open(copy) as corpus:
        assert isinstance(corpus.engine, IndexedEngine)
        full = corpus.track("big society", by="month")
    pd.testing.assert_frame_equal(partial.drop(columns=[]), full)
    # No document was indexed twice: the segments re-indexed were cleared of what a killed run left.
    idx = token_index.open_index(Store(copy))
    assert idx.num_docs == Store(copy).count()


def test_ingest_without_index_then_a_second_ingest_indexes_everything(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    second = tmp_path / "b.jsonl"
    first.write_text(json.dumps({"date": "2010-01-01", "text": "the big society begins"}) + "\n")
    second.write_text(json.dumps({"date": "2011-01-01", "text": "big society again, big society"}) + "\n")
    policypulse.ingest(tmp_path / "s", [first], build_index=False)
    assert not token_index.covers(Store(tmp_path / "s"))
    policypulse.ingest(tmp_path / "s", [second])
    st = Store(tmp_path / "s")
    assert token_index.covers(st) and token_index.covers(st, 1)
    with policypulse.open(tmp_path / "s") as corpus:
        t = corpus.track("big society", by="year")
    assert list(t["mentions"]) == [1, 2]
    with policypulse.open(tmp_path / "s", version=1) as corpus:
        # Version 1 through the shared index sees only its own document.
        assert isinstance(corpus.engine, IndexedEngine)
        t1 = corpus.track("big society", by="year")
    assert list(t1["docs"]) == [1]


def test_overlong_tokens_in_documents_keep_their_place(tmp_path: Path) -> None:
    word = "x" * 70_000  # longer than tantivy keeps a term
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"date": "2010-01-01", "text": f"a {word} b"}) + "\n")
    policypulse.ingest(tmp_path / "s", [src])
    with policypulse.open(tmp_path / "s") as corpus:
        assert isinstance(corpus.engine, IndexedEngine)
        # the dropped term still counts as one token between its neighbours
        near = corpus.track("NEAR/1(a, b)", by="year")
        touching = corpus.track("NEAR/0(a, b)", by="year")
        both = corpus.track("b AND a", by="year")
        # a query cannot name such a word: past MAX_TOKEN_CHARS it is a usage error, not a scan of minutes
        with pytest.raises(QuerySyntaxError, match="too long"):
            corpus.track(word, by="year")
    assert list(near["docs"]) == [1]
    assert list(touching["docs"]) == [0]
    assert list(both["docs"]) == [1]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sharded")
    src = CORPUS.write_jsonl(root / "corpus.jsonl")
    mp = pytest.MonkeyPatch()
    mp.setattr(token_index, "SHARD_BYTES", 60_000)  # a few segments of 200 documents per shard
    try:
        policypulse.ingest(root / "store", [src], fmt="jsonl", batch_docs=200,
                           options=ReaderOptions(default_date=dt.date(2011, 6, 1)))
    finally:
        mp.undo()
    return root / "store"


def test_a_sharded_index_counts_exactly_as_the_scan(sharded: Path) -> None:
    st = Store(sharded)
    shards = json.loads((sharded / "index" / "covered.json").read_text())["shards"]
    assert len(shards) >= 3 and all(b > 0 for _, b in shards)
    idx = token_index.open_index(st)
    assert idx is not None and len(idx.searchers) == len(shards)
    assert idx.num_docs == st.count()  # each document in exactly one shard
    ideas = [Idea(f"q{i}", (q,)) for i, q in enumerate(QUERIES)] + [
        Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted]
    ix, scan = IndexedEngine(st), DuckDBEngine(st)
    for by_source in (False, True):
        keys = ["idea", "period"] + (["source"] if by_source else [])
        got = ix.counts(ideas, "month", by_source=by_source)
        pd.testing.assert_frame_equal(_sorted(got, keys), _sorted(scan.counts(ideas, "month", by_source=by_source), keys))
        assert got["docs"].sum() > 100
    planted = CORPUS.planted[0]
    want = scan.matching_documents(Idea(planted.name, planted.aliases, planted.exclude), limit=50)
    got_docs = ix.matching_documents(Idea(planted.name, planted.aliases, planted.exclude), limit=50)
    assert list(got_docs["doc_id"]) == list(want["doc_id"]) and len(want) > 0


def test_a_killed_build_leaves_no_document_twice_in_any_shard(sharded: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "store"
    shutil.copytree(sharded, copy)
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"date": f"2012-03-{d:02d}", "text": f"big society day {d}"}) + "\n"
                            for d in range(1, 21)))
    policypulse.ingest(copy, [more], build_index=False)
    st = Store(copy)
    (victim,) = [s for s in st.version_info()["segments"] if s not in token_index.covered(st)]
    monkeypatch.setattr(token_index, "SHARD_BYTES", 1)  # every segment opens a shard of its own
    from policypulse.corpus import norms

    # A build is killed after tantivy committed the segment's shard, before the segment was listed.
    b = token_index.Builder(st)
    b.add(victim, norms.read_segment(copy / "segments" / victim, ["norm"]).column("norm"))
    b._flush()
    killed_shard = b.shard[0]
    assert [victim, killed_shard] in json.loads((copy / "index" / "covered.json").read_text())["pending"]
    b.writer.wait_merging_threads()
    del b
    assert not token_index.covers(st)
    # The next build puts the segment in a new shard (the killed one is full) and clears the killed copy.
    assert token_index.update(st) == 20
    after = json.loads((copy / "index" / "covered.json").read_text())
    assert after["pending"] == [] and token_index.covers(st)
    assert [name for name, _ in after["shards"]][-2:] == [killed_shard, f"{int(killed_shard) + 1:03d}"]
    assert token_index.open_index(st).num_docs == st.count()
    ideas = [Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted] + [Idea("bs", ("big society",))]
    pd.testing.assert_frame_equal(_sorted(IndexedEngine(st).counts(ideas, "month"), ["idea", "period"]),
                                  _sorted(DuckDBEngine(st).counts(ideas, "month"), ["idea", "period"]))


def test_an_index_of_the_previous_format_is_rebuilt(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    covered = copy / "index" / "covered.json"
    body = json.loads(covered.read_text())
    covered.write_text(json.dumps({"format": 3, "segments": body["segments"]}))
    assert not token_index.covers(Store(copy))  # an older layout is never read
    assert token_index.update(Store(copy)) == Store(copy).count()
    assert token_index.covers(Store(copy)) and token_index.open_index(Store(copy)).num_docs == Store(copy).count()


def test_the_fieldnorm_table_is_tantivys() -> None:
    """The document lengths BM25 uses (frequencies_from_scores) are those tantivy explains, at every bucket."""
    import random

    import tantivy

    from policypulse.query.engines.indexed import _FIELDNORMS

    assert len(_FIELDNORMS) == 256 and _FIELDNORMS[-1] == 2_013_265_944 and (np.diff(_FIELDNORMS) > 0).all()
    rng = random.Random(3)
    lengths = sorted(set(range(1, 130)) | {rng.randint(130, 40_000) for _ in range(150)})
    index = token_index._register(tantivy.Index(token_index._schema()))
    writer = index.writer(50_000_000, 1)
    for length in lengths:
        doc = tantivy.Document()
        doc.add_text("norm", " big " + "  x" * (length - 1) + " ")
        doc.add_integer("seg", 1)
        doc.add_integer("row", length)
        writer.add_document(doc)
    writer.commit()
    index.reload()
    searcher = index.searcher()
    query = tantivy.Query.term_query(index.schema, "norm", "big")
    hits = searcher.search(query, len(lengths)).hits
    assert len(hits) == len(lengths)
    from policypulse.query.engines.indexed import _explained

    for _, address in hits:
        (length,) = searcher.fast_field_values("row", [address])
        explained = _explained(json.loads(query.explain(searcher, address).to_json()), "dl,")
        assert explained == _FIELDNORMS[np.searchsorted(_FIELDNORMS, length, side="right") - 1], length


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by the number of segments each time the indexed engine reads documents' text."""
    reads: list[int] = []
    real = IndexedEngine._norm_bytes

    def counting(self: IndexedEngine, segs: Any, rows: Any) -> list[bytes]:
        reads.append(len(segs))
        return real(self, segs, rows)

    monkeypatch.setattr(IndexedEngine, "_norm_bytes", counting)
    return reads


def test_mentions_from_scores_are_exact_without_reading_documents(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(5)
    records = []
    for i in range(400):
        n = rng.choice([3, 10, 41, 57, 300, 2000, 9000])
        words = [rng.choice(["alpha", "beta", "gamma", "no", "delta"]) for _ in range(n)]
        for _ in range(rng.choice([0, 1, 1, 2, 5, 40, 150])):  # planted phrase counts, up to 150 in a document
            at = rng.randrange(len(words) + 1)
            words[at:at] = ["big", "society"]
        records.append({"date": f"20{10 + i % 10}-0{1 + i % 9}-15", "source": f"s{i % 3}", "text": " ".join(words)})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    policypulse.ingest(tmp_path / "s", [src], near_duplicates=None)
    st = Store(tmp_path / "s")
    ix, scan = IndexedEngine(st), DuckDBEngine(st)
    reads = _count_reads(monkeypatch)
    ideas = [Idea("bs", ("big society",)), Idea("either", ("big society", "alpha beta")), Idea("one", ("gamma",))]
    got = ix.counts(ideas, "month")
    assert sum(reads) == 0  # every mention came from a score
    want = scan.counts(ideas, "month")
    pd.testing.assert_frame_equal(_sorted(got, ["idea", "period"]), _sorted(want, ["idea", "period"]))
    assert got["mentions"].max() > 100 and (got["mentions"] > got["docs"]).any()
    # exclusions and AND: the documents from the exact candidate query, each phrase's mentions scored within it
    combined = [Idea("bs-not", ("big society",), ("gamma",)), Idea("and", ('"big society" AND "alpha beta"',)),
                Idea("or-not", ('("big society" OR delta) AND NOT "beta gamma"',))]
    got = ix.counts(combined, "month")
    assert sum(reads) == 0
    pd.testing.assert_frame_equal(_sorted(got, ["idea", "period"]), _sorted(scan.counts(combined, "month"),
                                                                             ["idea", "period"]))
    assert got["docs"].sum() > 0 and (got["mentions"] > got["docs"]).any()
    # "no no" can overlap itself, where tantivy counts every occurrence and the matching rule leftmost
    # non-overlapping ones: runs of "no" are counted from the frequencies of longer runs, not by reading.
    # "no alpha no" overlaps itself another way: only the documents where it does are read.
    overlap = [Idea("nono", ("no no",)), Idea("nonono", ("no no no",)), Idea("noalphano", ("no alpha no",))]
    got = ix.counts(overlap, "month")
    want_overlap = scan.counts(overlap, "month")
    pd.testing.assert_frame_equal(_sorted(got, ["idea", "period"]), _sorted(want_overlap, ["idea", "period"]))
    by_idea = want_overlap.groupby("idea")[["docs", "mentions"]].sum()
    assert (by_idea["mentions"] > by_idea["docs"]).all()  # documents with several mentions
    assert 0 < sum(reads) < by_idea.loc["noalphano", "docs"]  # only the overlapping documents were read
    # the same answers when every document is read
    ix.use_scores = False
    pd.testing.assert_frame_equal(_sorted(ix.counts(ideas, "month"), ["idea", "period"]),
                                  _sorted(want, ["idea", "period"]))


def test_runs_of_a_repeated_token_count_as_the_matching_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs of every length from 1 to 9, one of 150 (longer than any run counted by phrase queries: read), and
    # runs beside other words; "no no" counts floor(L / 2) in a run of L, as the scan's leftmost
    # non-overlapping count does.
    texts = [" ".join(["no"] * n) for n in range(1, 10)] + ["yes " + "no " * 150 + "yes",
                                                            "no no yes no no no yes no", "yes no yes no no no no"]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"date": f"2015-0{1 + i % 9}-01", "text": t}) + "\n"
                           for i, t in enumerate(texts)))
    policypulse.ingest(tmp_path / "s", [src], near_duplicates=None)
    st = Store(tmp_path / "s")
    ix, scan = IndexedEngine(st), DuckDBEngine(st)
    reads = _count_reads(monkeypatch)
    ideas = [Idea(q, (q,)) for q in ("no", "no no", "no no no", "no no no no")]
    got, want = ix.counts(ideas, "month"), scan.counts(ideas, "month")
    pd.testing.assert_frame_equal(_sorted(got, ["idea", "period"]), _sorted(want, ["idea", "period"]))
    assert int(want.loc[want["idea"] == "no no", "mentions"].sum()) == sum(n // 2 for n in range(1, 10)) + 75 + 1 + 1 + 2
    assert sum(reads) == 3  # the run of 150, once for each phrase of two to four copies; nothing else read


def test_shards_searched_in_parallel_count_as_in_turn(sharded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st = Store(sharded)
    ideas = [Idea(f"q{i}", (q,)) for i, q in enumerate(QUERIES)] + [
        Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted]
    monkeypatch.setattr(token_index, "PARALLEL_MIN_BOUND", 10**12)
    serial = IndexedEngine(st).counts(ideas, "month")
    monkeypatch.setattr(token_index, "PARALLEL_MIN_BOUND", 0)  # every phrase on the thread pool
    calls: list[int] = []
    real = token_index._pool

    def counted() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(token_index, "_pool", counted)
    parallel = IndexedEngine(st).counts(ideas, "month")
    assert calls  # the pool was used
    pd.testing.assert_frame_equal(_sorted(parallel, ["idea", "period"]), _sorted(serial, ["idea", "period"]))
    assert serial["docs"].sum() > 100


def test_cached_per_document_arrays_equal_the_parquet_columns(store: Path, tmp_path: Path) -> None:
    from policypulse.query.engines.indexed import _load_meta

    st = Store(store)
    names = [p.name for p in st.segment_paths()]
    assert all(token_index.meta_path(st, n).exists() for n in names)  # ingest wrote them
    cached = _load_meta(st, st.version)
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    shutil.rmtree(copy / "index" / "meta")  # as an index built before the cache existed
    plain = _load_meta(Store(copy), Store(copy).version)
    for field in ("day", "precision", "fallback", "folded", "source", "words"):
        assert np.array_equal(getattr(cached, field), getattr(plain, field)), field
    assert cached.sources == plain.sources and cached.offsets == plain.offsets
    ideas = [Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted]
    for by_source in (False, True):
        keys = ["idea", "period"] + (["source"] if by_source else [])
        pd.testing.assert_frame_equal(_sorted(IndexedEngine(Store(copy)).counts(ideas, "month", by_source=by_source), keys),
                                      _sorted(IndexedEngine(st).counts(ideas, "month", by_source=by_source), keys))
    # `policypulse index` completes the cache too
    assert token_index.update(Store(copy)) == 0  # nothing to index: the cache is only written with a segment
    orphan = token_index.meta_path(Store(copy), "seg-orphan.parquet")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x")
    token_index.remove_orphans(Store(copy))
    assert not orphan.exists()


def test_cached_arrays_are_stored_narrow_and_read_as_computed(store: Path, tmp_path: Path) -> None:
    from policypulse.corpus import norms as norms_mod

    st = Store(store)
    name = st.segment_paths()[0].name
    table = norms_mod.read_segment(st.path / "segments" / name, ["norm", *token_index.META_COLUMNS])
    want = token_index.segment_meta(table, table.column("norm"))
    with np.load(token_index.meta_path(st, name)) as z:  # on disk: 32-bit days and word counts
        assert z["day"].dtype == np.int32 and z["words"].dtype == np.int32
    got = token_index.read_segment_meta(st, name)
    assert got is not None and set(got) == set(want)
    for key, arr in want.items():
        assert got[key].dtype == arr.dtype and np.array_equal(got[key], arr), key
    # a cache written before (np.savez, 64-bit arrays) reads the same
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    with open(token_index.meta_path(Store(copy), name), "wb") as fh:
        np.savez(fh, **want)  # type: ignore[arg-type]
    old = token_index.read_segment_meta(Store(copy), name)
    assert old is not None
    for key, arr in want.items():
        assert old[key].dtype == arr.dtype and np.array_equal(old[key], arr), key
