"""The word-pair index (query/pairs.py) that makes the dashboard's two-word queries fast (issue 16).

With it, a phrase of two different tokens is counted from one term's postings; every count must equal the
scan's and the token index's own (without pairs), the mentions must come from scores (no text read), and a
store ingested again after the build must not use a pair index that lacks its new documents.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest

import policypulse
from policypulse.corpus.readers import ReaderOptions
from policypulse.corpus.store import Store
from policypulse.query import pairs
from policypulse.query.engines.duckdb import DuckDBEngine
from policypulse.query.engines.indexed import IndexedEngine
from policypulse.report import measures
from policypulse.query.ideas import Idea
from synthetic import SyntheticCorpus

CORPUS = SyntheticCorpus(n_docs=1200, start="2009-01-01", end="2013-12-31", seed=5, month_precision=0.05,
                         undated=0.02, near_miss_rate=0.2)
QUERIES = ["big society", "third way", "the big", "society the", "no no", "society OR third way",
           "big society AND NOT #bigsociety", '"big society" AND "third way"', "nothing here", "big soc*",
           "NEAR/2(big, society)", "the"]


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)


def _build(path: Path) -> int:
    st = Store(path)
    with st.writer_lock():
        return pairs.build(st)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pairs")
    src = CORPUS.write_jsonl(root / "corpus.jsonl")
    policypulse.ingest(root / "store", [src], fmt="jsonl", batch_docs=200,
                       options=ReaderOptions(default_date=dt.date(2011, 6, 1)))
    assert _build(root / "store") == 1200
    return root / "store"


def _ideas() -> list[Idea]:
    return [Idea(f"q{i}", (q,)) for i, q in enumerate(QUERIES)] + [
        Idea(p.name, p.aliases, p.exclude) for p in CORPUS.planted]


def _count_pair_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that grows by one pair term each time the engine searches the pair index."""
    seen: list[str] = []
    real = pairs.PairShards.scored_hits

    def counting(self: pairs.PairShards, a: str, b: str) -> Any:
        seen.append(pairs.pair_term(a, b))
        return real(self, a, b)

    monkeypatch.setattr(pairs.PairShards, "scored_hits", counting)
    return seen


@pytest.mark.parametrize("by", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize("by_source", [False, True])
def test_counts_with_the_pair_index_equal_the_scan(store: Path, by: str, by_source: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    searched = _count_pair_searches(monkeypatch)
    reads: list[int] = []
    real = IndexedEngine._norm_bytes
    monkeypatch.setattr(IndexedEngine, "_norm_bytes", lambda self, s, r: reads.append(len(s)) or real(self, s, r))
    st = Store(store)
    ix, scan = IndexedEngine(st), DuckDBEngine(st)
    keys = ["idea", "period"] + (["source"] if by_source else [])
    phrase_ideas = [i for i in _ideas() if i.name in ("q0", "q1", "q2", "q3", "q5")]
    got = ix.counts(phrase_ideas, by, by_source=by_source)
    assert sum(reads) == 0  # two-word phrases: mentions from the pair term's scores, no text read
    assert {"big_society", "third_way", "the_big", "society_the"} <= set(searched)
    everything = ix.counts(_ideas(), by, by_source=by_source)
    pd.testing.assert_frame_equal(_sorted(everything, keys), _sorted(scan.counts(_ideas(), by, by_source=by_source), keys))
    pd.testing.assert_frame_equal(_sorted(got, keys), _sorted(everything[everything["idea"].isin(
        [i.name for i in phrase_ideas])], keys))
    assert got["docs"].sum() > 100 and (got["mentions"] > got["docs"]).any()
    assert "no_no" not in searched  # a phrase that can overlap itself is left to the token index
    ix.use_pairs = False
    pd.testing.assert_frame_equal(_sorted(ix.counts(_ideas(), by, by_source=by_source), keys), _sorted(everything, keys))


def test_track_and_api_track_agree_with_the_pair_index(store: Path) -> None:
    from fastapi.testclient import TestClient

    from policypulse.web.app import create_app

    with policypulse.open(store) as corpus:
        assert corpus.engine._pair_index() is not None  # type: ignore[attr-defined]
        want = corpus.track("the big", by="month")
        corpus.engine.use_pairs = False  # type: ignore[attr-defined]
        without = corpus.track("the big", by="month")
    pd.testing.assert_frame_equal(want, without)
    with TestClient(create_app(str(store))) as client:
        rows = client.get("/api/track", params={"q": "the big", "by": "month"}).json()
    assert [r["docs"] for r in rows] == want["docs"].tolist()
    assert [r["mentions"] for r in rows] == want["mentions"].tolist()
    assert sum(r["docs"] for r in rows) > 0


@pytest.mark.parametrize("by", ["day", "week", "month", "quarter", "year"])
def test_the_dashboards_array_path_equals_corpus_track(store: Path, by: str) -> None:
    """The dashboard counts an idea with IndexedEngine.idea_counts and zero-fills it without frames
    (web.app.track_rows): every column equal to Corpus.track's for every query shape and period, with and
    without the pair index, and a query only the scan can count falls back to Corpus.track."""
    from policypulse.web.app import records_json, rows_frame, track_columns, track_json_bytes, track_rows

    queries = [*QUERIES, "zzzz nothing", "society", "NOT society"] + [
        " OR ".join(f'"{a}"' for a in p.aliases) + "".join(f' AND NOT "{x}"' for x in p.exclude)
        for p in CORPUS.planted]
    with policypulse.open(store) as corpus:
        for use_pairs in (True, False):
            corpus.engine.use_pairs = use_pairs  # type: ignore[attr-defined]
            for q in queries:
                want = corpus.track(q, by=by)
                want.attrs = {}
                rows = track_rows(corpus, q, by)
                pd.testing.assert_frame_equal(rows_frame(rows), want, check_dtype=True)
                value = track_columns(rows, by, "share", 3)["value"]
                assert np.array_equal(value, measures.values(want, "share", 3), equal_nan=True)
                for measure, smooth in (("share", 1), ("words", 3), ("mentions", 1)):
                    cols = track_columns(rows, by, measure, smooth)
                    # the JSON written from a template is the JSON of one dict per row
                    assert orjson.loads(track_json_bytes(cols)) == orjson.loads(records_json(cols))
        # an idea the index cannot count (idea_counts None: the engine's scan) goes through Corpus.track
        engine = corpus.engine
        engine.idea_counts = lambda *a, **k: None  # type: ignore[attr-defined]
        try:
            want = corpus.track("big society", by=by)
            want.attrs = {}
            pd.testing.assert_frame_equal(rows_frame(track_rows(corpus, "big society", by)), want)
        finally:
            del engine.idea_counts  # type: ignore[attr-defined]
        assert track_rows(corpus, "society", by)["docs"].sum() > 0


def test_a_new_ingest_is_counted_without_the_stale_pair_index_until_it_is_rebuilt(store: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"date": f"2014-0{m}-02", "source": "new", "text": "the big society " * m})
                            + "\n" for m in range(1, 8)))
    policypulse.ingest(copy, [more], fmt="jsonl")
    st = Store(copy)
    assert not pairs.covers(st)
    searched = _count_pair_searches(monkeypatch)
    idea = [Idea("bs", ("big society",))]
    want = DuckDBEngine(st).counts(idea, "month")
    pd.testing.assert_frame_equal(_sorted(IndexedEngine(st).counts(idea, "month"), ["idea", "period"]),
                                  _sorted(want, ["idea", "period"]))
    assert searched == []  # the partial pair index was not used
    assert _build(copy) == 7  # only the new documents are added
    st = Store(copy)
    assert pairs.covers(st)
    pd.testing.assert_frame_equal(_sorted(IndexedEngine(st).counts(idea, "month"), ["idea", "period"]),
                                  _sorted(want, ["idea", "period"]))
    assert searched == ["big_society"]
    assert want.loc[want["period"] >= pd.Timestamp("2014-01-01"), "mentions"].sum() == sum(range(1, 8))


def test_a_shard_a_killed_build_left_unlisted_is_removed_and_an_unsealed_index_is_not_used(store: Path,
                                                                                           tmp_path: Path) -> None:
    import shutil

    from policypulse.corpus import integrity

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    stray = copy / "pairs" / "tantivy" / "999"
    stray.mkdir()
    (stray / "junk").write_text("half a shard")
    st = Store(copy)
    with st.writer_lock():
        integrity.unseal(st, pairs.ARTIFACT)
    assert pairs.open_pairs(Store(copy), Store(copy).version) is None  # unsealed: not used
    assert _build(copy) == 0  # nothing to add: sealed again, the stray shard gone
    assert not stray.exists()
    assert pairs.open_pairs(Store(copy), Store(copy).version) is not None


def test_pair_strings() -> None:
    norms = pa.array([" a  b  c ", "", None, " solo ", " #tag  x  x "], pa.large_string())
    assert pairs.pair_strings(norms).to_pylist() == ["a_b b_c", "", "", "", "#tag_x x_x"]
    assert pairs.pair_strings(pa.array([" a "], pa.large_string())).to_pylist() == [""]


def test_index_pairs_command(store: Path, tmp_path: Path) -> None:
    run = [str(Path(sys.executable).with_name("policypulse")), "index-pairs"]
    missing = subprocess.run(run + [str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2
    assert "no such store" in missing.stderr and "Traceback" not in missing.stderr
    ok = subprocess.run(run + [str(store)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "fully covered" in ok.stderr


def test_track_json_bytes_writes_any_idea_name_and_no_rows() -> None:
    from policypulse.web.app import records_json, track_json_bytes

    for name in ['50% "off", again', "a,b", "%s", "ünï ☃"]:
        cols = {"idea": np.array([name] * 3, dtype=object), "period": np.array(["2001-01-01", "2002-01-01",
                "2003-01-01"], dtype=object), "docs": np.array([1, 0, 2]), "rate": np.array([0.5, np.nan, 1e-7]),
                "coverage": np.array(["ok", "gap", "ok"], dtype=object), "measure": "share", "smooth": 3}
        assert orjson.loads(track_json_bytes(cols)) == orjson.loads(records_json(cols))
        assert orjson.loads(track_json_bytes(cols))[1]["rate"] is None
    empty = {"idea": np.array([], dtype=object), "period": np.array([], dtype=object), "docs": np.array([], np.int64),
             "measure": "share"}
    assert orjson.loads(track_json_bytes(empty)) == [] == orjson.loads(records_json(empty))
