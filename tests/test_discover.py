"""Discovery (capability 4): phrase statistics, emerging, obituaries, successors, and their commands."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import policypulse
import policypulse.cli.discover_cmds
from discover_sim import DiscoverSim
from policypulse.cli import main
from policypulse.corpus.ingest import ingest
from policypulse.corpus.neardup import NearDupConfig
from policypulse.corpus.store import Store
from policypulse.discover import emerging, index_phrases, obituaries, successors
from policypulse.discover.index import PhraseIndex, phrase_dir, segment_files
from policypulse.discover.ngrams import count_table, prune_threshold
from policypulse.discover.stopwords import is_boundary
from policypulse.lifecycle.result import CONTRACT_FIELDS
from policypulse.text import normalise

# --- counting --------------------------------------------------------------------------------------

def _table(docs: list[tuple[str, str, str]]) -> pa.Table:
    """(date, precision, text) -> the columns phrase counting reads."""
    return pa.table({
        "norm": pa.array([normalise(t)[0] for _, _, t in docs], pa.large_string()),
        "date": pa.array([dt.date.fromisoformat(d) for d, _, _ in docs], pa.date32()),
        "date_precision": pa.array([p for _, p, _ in docs]),
        "date_source": pa.array(["field"] * len(docs)),
    })


def _brute_force(docs: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[int, int]]:
    df: collections.Counter[tuple[str, str, str]] = collections.Counter()
    occ: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for d, prec, text in docs:
        day = dt.date.fromisoformat(d)
        period = (day.replace(month=1, day=1) if prec == "year" else day.replace(day=1)).isoformat()
        bucket = "year" if prec == "year" else "month"
        toks = normalise(text)[0].split()
        seen = set()
        for n in range(1, 5):
            for i in range(len(toks) - n + 1):
                if is_boundary(toks[i]) or is_boundary(toks[i + n - 1]):
                    continue
                key = (" ".join(toks[i : i + n]), period, bucket)
                occ[key] += 1
                seen.add(key)
        for key in seen:
            df[key] += 1
    return {k: (df[k], occ[k]) for k in df}


def test_counting_matches_brute_force_document_frequency_per_month() -> None:
    rng = np.random.default_rng(3)
    words = ["big", "society", "the", "of", "war", "on", "poverty", "#bigsociety", "2011", "a", "great", "deal"]
    docs = []
    for i in range(120):
        text = " ".join(rng.choice(words, size=int(rng.integers(0, 30))))
        docs.append((f"2011-{1 + i % 12:02d}-{1 + i % 27:02d}", "year" if i % 10 == 0 else "day",
                     text.replace("big society", "Big-Society's")))
    got = count_table(_table(docs), min_docs=1).phrases.to_pylist()
    counted = {(r["phrase"], r["period"].isoformat(), r["precision"]): (r["docs"], r["occ"])
               for r in got if r["n"] > 0}
    assert counted == _brute_force(docs)
    # the empty phrase carries the documents per period (the exposure)
    exposure = {(r["period"].isoformat(), r["precision"]): r["docs"] for r in got if r["n"] == 0}
    assert sum(exposure.values()) == len(docs)
    assert all(n <= 4 for _, n in ((r["phrase"], r["n"]) for r in got))


def test_stopword_bounded_phrases_and_pruning() -> None:
    assert is_boundary("the") and is_boundary("of") and is_boundary("s") and is_boundary("1963")
    assert not is_boundary("no") and not is_boundary("one") and not is_boundary("#metoo")
    docs = [("2012-01-05", "day", "War on Poverty, the war on poverty!")] * 3 + [("2012-02-05", "day", "rare words here")]
    rows = count_table(_table(docs), min_docs=2).phrases.to_pylist()
    phrases = {r["phrase"] for r in rows if r["n"] > 0}
    assert "war on poverty" in phrases and "poverty" in phrases
    assert not any(p.startswith(("the ", "on ")) or p.endswith((" the", " on")) for p in phrases)
    assert "rare words" not in phrases  # one document: below the segment threshold of 2
    assert prune_threshold(4_999) == 1 and prune_threshold(5_000) == 2 and prune_threshold(20_000) == 5


# --- the synthetic corpus: planted births, deaths, a renaming and a distractor ---------------------------

@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DiscoverSim]:
    root = tmp_path_factory.mktemp("discover")
    sim = DiscoverSim(seed=7)
    # no near-duplicates in it by construction: skip the search (the dedup test below covers folding)
    ingest(root / "store", [sim.write_jsonl(root / "sim.jsonl")], near_duplicates=NearDupConfig(enabled=False))
    return root / "store", sim


@pytest.fixture(scope="module")
def corpus(sim: tuple[Path, DiscoverSim]):
    with policypulse.open(sim[0]) as c:
        yield c


def test_index_is_kept_per_segment_and_merged_per_version(sim: tuple[Path, DiscoverSim]) -> None:
    store = Store(sim[0])
    report = index_phrases(store)
    seg = store.version_info()["segments"][0]
    assert segment_files(phrase_dir(store), seg)[0].exists()
    assert report.documents == 12_000 and report.phrases_kept > 0
    again = index_phrases(store)
    assert not again.built  # already there: nothing recounted
    phrases = set(PhraseIndex(policypulse.open(sim[0])).phrases["phrase"])
    for p in ["service integration", "partnership working", "garden bridge", "knife crime taskforce"]:
        assert p in phrases
    assert not any(p.split()[0] in ("the", "of", "and") for p in phrases)


def test_planted_births_are_in_the_top_20_of_emerging(corpus, sim: tuple[Path, DiscoverSim]) -> None:
    df = emerging(corpus, date_from="2008-01-01", date_to="2012-12-31", limit=20)
    top = list(df["phrase"])
    for phrase, born in sim[1].truth["births"].items():
        assert phrase in top, (phrase, top)
        onset = df.loc[df["phrase"] == phrase, "onset"].iloc[0]
        assert 0 <= (onset - dt.date.fromisoformat(born)).days <= 366, (phrase, onset, born)
    assert list(df["score"]) == sorted(df["score"], reverse=True)
    for field in CONTRACT_FIELDS[1:]:
        assert field in df.columns


def test_planted_deaths_are_in_the_top_30_of_obituaries(corpus, sim: tuple[Path, DiscoverSim]) -> None:
    df = obituaries(corpus, limit=30)
    top = list(df["phrase"])
    for phrase, last in sim[1].truth["deaths"].items():
        assert phrase in top, (phrase, top)
        row = df[df["phrase"] == phrase].iloc[0]
        assert row["last_mention"] == last and row["status"] == "dead" and row["death_p_value"] < 0.01
        assert row["evidence"] == "strong" and row["q_value"] <= 0.05
    # every entry's silence is unlikely at one look; how strongly is said per entry, never overstated
    assert set(df["status"]) <= {"dead", "dormant"} and (df["death_p_value"] < 0.05).all()
    strong = df[df["evidence"] == "strong"]
    assert (strong["status"] == "dead").all() and (strong["q_value"] <= 0.05).all()
    assert (df.loc[df["status"] == "dormant", "evidence"] != "strong").all()
    assert all(("evidence " + ev) in text for ev, text in zip(df["evidence"], df["explanation"]))
    # as of a date before they died, the late deaths are not dead yet
    early = obituaries(corpus, as_of="2009-12-31", limit=30)
    assert "partnership working" not in set(early["phrase"]) and "third way" in set(early["phrase"])


def test_the_true_successor_ranks_above_the_distractor(corpus, sim: tuple[Path, DiscoverSim]) -> None:
    old, new = sim[1].truth["renaming"]
    df = successors(corpus, old, limit=30)
    ranked = list(df["phrase"])
    assert ranked[0] == new, ranked
    distractor = sim[1].truth["distractor"]
    assert distractor in ranked  # born in the same month, rising the same way: a candidate ...
    assert ranked.index(new) < ranked.index(distractor)  # ... ranked below the true successor
    row_new, row_d = (df[df["phrase"] == p].iloc[0] for p in (new, distractor))
    assert row_new["context"] > row_d["context"] + 0.3  # the words decide between two similar hand-overs
    top = df.iloc[0]
    assert 0 < top["handover"] <= 1 and 0 < top["context"] <= 1
    assert "council" in top["shared_context"] or "health" in top["shared_context"]
    assert old in top["explanation"] and "context" in top["explanation"]
    # born as the period reads ("born 2008-01" by month), never a day the data cannot give ("2008-01-01")
    assert re.match(r"born \d{4}-\d{2} ", top["explanation"]) and "-01-01" not in top["explanation"]


def test_successors_with_a_watchlist(corpus, sim: tuple[Path, DiscoverSim], tmp_path: Path) -> None:
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text("ideas:\n  - name: Partnerships\n    aliases: [partnership working]\n"
                     "  - name: Service Integration\n    aliases: [service integration]\n"
                     "  - name: Garden Bridge\n    aliases: [garden bridge]\n"
                     "  - name: Third Way\n    aliases: [third way]\n", encoding="utf-8")
    df = successors(corpus, "Partnerships", ideas_file=ideas)
    assert list(df["idea"])[:2] == ["Service Integration", "Garden Bridge"]
    assert next(iter(df["phrase"])) == "service integration"
    dead = obituaries(corpus, ideas_file=ideas)
    assert set(dead["idea"]) == {"Partnerships", "Third Way"}


# --- the commands ----------------------------------------------------------------------------------

def test_json_output_follows_the_contract(sim: tuple[Path, DiscoverSim], tmp_path: Path) -> None:
    store = str(sim[0])
    for args in (["emerging", store, "--from", "2008-01-01", "--to", "2012-12-31", "--limit", "5"],
                 ["obituaries", store, "--limit", "5"],
                 ["successors", store, "partnership working", "--limit", "3"]):
        out = tmp_path / f"{args[0]}.json"
        assert main([*args, "--format", "json", "--out", str(out)]) == 0
        rows = json.loads(out.read_text())
        assert rows and isinstance(rows, list)
        scores = [r["score"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        for r in rows:
            assert r["phrase"] == " ".join(r["phrase"].casefold().split())
            for field in ("first_mention", "peak", "last_mention", "status", "death_p_value", "phases"):
                assert field in r
        assert (tmp_path / f"{args[0]}.json.provenance.json").exists()
    csv = tmp_path / "e.csv"
    assert main(["emerging", store, "--from", "2008-01-01", "--to", "2012-12-31", "--format", "csv",
                 "--out", str(csv)]) == 0
    assert csv.read_text().splitlines()[0].startswith("phrase,score,onset")


def test_usage_errors_are_one_line_with_exit_2(sim: tuple[Path, DiscoverSim], capsys: pytest.CaptureFixture[str]) -> None:
    store = str(sim[0])
    cases = [["emerging", store, "--by", "week"], ["emerging", store, "--from", "2012-01-01", "--to", "2010-01-01"],
             ["emerging", store, "--from", "2000-01-01"], ["emerging", store, "--from", "yesterday"],
             ["obituaries", store, "--limit", "0"]]
    for args in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("policypulse: error:") and err.count("\n") == 1, err
    assert main(["successors", store, "never said phrase"]) == 2


# --- dedup and incremental updates -------------------------------------------------------------------

def test_counts_are_deduplicated_and_updated_when_documents_are_added(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(300)]
    recs = []
    for i in range(160):
        day = dt.date(2010, 1, 1) + dt.timedelta(days=int(i * 6))
        words = list(rng.choice(vocab, size=60))
        if i >= 80:
            words[10:12] = ["green", "deal"]
        recs.append({"id": f"a{i}", "date": day.isoformat(), "source": "A", "title": f"t{i}", "text": " ".join(words)})
    # a syndicated copy: same text and day, another source; folded into its original at ingest
    recs.append({**recs[120], "id": "copy", "source": "B", "title": "reprint"})
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in recs[:100]) + json.dumps(recs[-1]) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text("".join(json.dumps(r) + "\n" for r in recs[100:160]))
    store = tmp_path / "store"
    ingest(store, [first])
    ingest(store, [second])

    with policypulse.open(store) as c:
        report = index_phrases(c.store)
        assert report.segments == 2
        ix = PhraseIndex(c)
        g = ix.grid("month")
        track = c.track(["green deal", "w1"], by="month")
        for phrase in ("green deal", "w1"):
            pid = ix.phrase_id(phrase)
            assert pid is not None
            mine = g.series(pid)
            theirs = track[track["idea"] == phrase]
            assert list(mine["docs"]) == list(theirs["docs"]), phrase
            assert list(mine["total_docs"]) == list(theirs["total_docs"])
        assert g.exposure.sum() == 160  # 161 stored, one folded into its near-duplicate
        assert ix.meta["folded"] == 1
    with policypulse.open(store, version=1) as c:  # the older version keeps its own numbers
        g1 = PhraseIndex(c).grid("month")
        assert g1.exposure.sum() == 101 == int(c.engine.totals("month")["total_docs"].sum())


# --- real history ----------------------------------------------------------------------------------

def test_sotu_emerging_1961_1965_finds_kennedy_and_johnson(sotu_store: tuple[Path, dict]) -> None:
    store, _ = sotu_store
    with policypulse.open(store) as c:
        df = emerging(c, date_from="1961-01-01", date_to="1965-12-31", by="year", limit=20)
    top = set(df["phrase"])
    assert "alliance for progress" in top or "great society" in top, sorted(top)


def test_context_sketch_is_the_centred_window_sum() -> None:
    from policypulse.discover import context

    rng = np.random.default_rng(5)
    V, T = 12, 300
    ids = rng.integers(0, V, size=T)
    vectors = rng.normal(size=(V, context.DIM)).astype(np.float32)
    vectors[0] = 0.0  # a word that is no context (a stopword)
    doc_start = np.repeat([0, 120], [120, 180])
    doc_end = np.repeat([120, 300], [120, 180])
    occ_pos = np.array([3, 50, 115, 130, 290])
    occ_len = np.array([1, 2, 2, 1, 3], dtype=np.int8)
    occ_row = np.array([0, 1, 1, 0, 1])
    got = context.segment_sketches(ids, vectors, doc_start, doc_end, occ_pos, occ_len, occ_row, 2)
    mean = vectors[ids].astype(np.float64).mean(axis=0)
    want = np.zeros((2, context.DIM))
    for p, n, r in zip(occ_pos, occ_len, occ_row):
        window = [q for q in range(p - context.WINDOW, p + n + context.WINDOW)
                  if doc_start[p] <= q < doc_end[p] and not p <= q < p + n]
        want[r] += vectors[ids[window]].astype(np.float64).sum(axis=0) - len(window) * mean
    assert np.allclose(got, want, atol=1e-4)
    assert context.cosine(got[0], got[0]) == pytest.approx(1.0)
