"""Precedents (capability 5): passages, the passage index in the store, retrieval, the CLI contract."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policypulse
import policypulse.cli.precedents_cmds
import precedents_eval as pe
from policypulse.cli import main
from policypulse.corpus.ingest import ingest
from policypulse.precedents import build_index, dense, find_precedents
from policypulse.precedents.index import STATE, PassageIndex, date_end
from policypulse.precedents.passages import MAX_WORDS, MIN_WORDS, split_passages

# --- passages -------------------------------------------------------------------------------------


def test_paragraphs_are_passages_and_spans_are_the_original_text():
    paras = [" ".join(f"w{i}x{j}" for j in range(40)) for i in range(3)]
    text = "\n\n".join(paras)
    ps = split_passages(text)
    assert [text[p.start:p.end] for p in ps] == paras
    assert [p.ordinal for p in ps] == [0, 1, 2]


def test_long_paragraphs_become_sentence_windows_and_short_ones_merge():
    sentence = "The team diverted people from custody to care with two nurses and an inspector. "
    long_para = sentence * 40  # about 560 words, one paragraph
    text = "Headline words\n\n" + long_para + "\n\nThank you."
    ps = split_passages(text)
    assert all(p.words <= MAX_WORDS for p in ps)
    assert all(p.words >= MIN_WORDS for p in ps)
    assert len(ps) > 3
    assert text[ps[0].start:].startswith("Headline words")  # a heading joins the next passage
    assert text[:ps[-1].end].endswith("Thank you.")  # a short tail joins the one before it
    # Windows end at sentence ends; nothing is lost between them.
    words = sum(p.words for p in ps)
    assert words == len(text.split())


def test_run_on_text_is_cut_by_words_and_line_broken_text_by_lines():
    run_on = " ".join(["word"] * 1000)
    assert all(p.words <= MAX_WORDS for p in split_passages(run_on))
    lines = "\n".join(" ".join(f"l{i}w{j}" for j in range(30)) for i in range(5))
    assert len(split_passages(lines)) == 5
    assert split_passages("") == [] and split_passages(" \n\n ") == []


def test_date_end_covers_the_whole_precision():
    assert date_end(dt.date(2013, 12, 1), "month") == dt.date(2013, 12, 31)
    assert date_end(dt.date(2012, 2, 1), "month") == dt.date(2012, 2, 29)
    assert date_end(dt.date(1993, 1, 1), "year") == dt.date(1993, 12, 31)
    assert date_end(dt.date(1993, 5, 4), "day") == dt.date(1993, 5, 4)


# --- the evaluation set ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eval_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("precedents-eval")
    path, queries = pe.write(root)
    ingest(str(root / "store"), [str(path)], fmt="jsonl")
    return root / "store", queries


def test_evaluation_set_is_big_enough_and_hard():
    records, queries = pe.build()
    assert len(queries) >= 30
    by_id = {r["id"]: r for r in records}
    for q in queries:
        assert q["relevant"] and all(r in by_id for r in q["relevant"])
        distractors = [r for r in records if r["id"].startswith(q["key"] + "-distractor")]
        assert len(distractors) >= 5
        # Distractors share the topic's words: most of them hold at least two of the query's nouns.
        topic = next(t for t in pe.TOPICS if t.key == q["key"])
        assert sum(sum(n in d["text"] for n in topic.nouns) >= 2 for d in distractors) >= 5


def test_lexical_recall_at_5_is_at_least_0_8_and_nothing_leaks(eval_store):
    store, queries = eval_store
    with policypulse.open(store) as corpus:
        res = pe.evaluate(corpus, queries, dense=False)
    assert res["recall@5"] >= 0.8, res
    assert res["mrr"] >= 0.65, res
    assert res["leaked"] == 0


def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deterministic bag-of-words hashing 'embedding': exercises the dense code path without the model."""

    class Hashing:
        def encode(self, texts, batch_size=32):
            out = np.zeros((len(texts), dense.DIM), dtype=np.float32)
            for i, t in enumerate(texts):
                for w in t.lower().split():
                    h = int(hashlib.blake2b(w.strip(".,;:").encode(), digest_size=4).hexdigest(), 16)
                    out[i, h % dense.DIM] += 1.0
            return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    monkeypatch.setattr(dense, "available", lambda: True)
    monkeypatch.setattr(dense, "encoder", lambda backend="auto": Hashing())


def test_nothing_dated_on_or_after_before_is_ever_returned(eval_store, tmp_path, monkeypatch):
    """Random cut dates and queries, lexical and fused: every document returned ends before the cut."""
    src, queries = eval_store
    store = tmp_path / "store"
    shutil.copytree(src, store)
    _fake_encoder(monkeypatch)
    rng = random.Random(7)
    records, _ = pe.build()
    meta = {r["id"]: r["date"] for r in records}
    with policypulse.open(store) as corpus:
        build_index(corpus, dense=True)
        for _ in range(25):
            q = rng.choice(queries)
            before = dt.date(rng.randint(1988, 2016), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.2:
                before = dt.date(2014, 1, rng.choice([1, 2, 15, 31]))  # inside the month-dated leaks' month
            for mode in (False, True):
                res = find_precedents(corpus, q["text"], before=before, limit=50, dense=mode)
                for doc_id, date in zip(res.results["doc_id"], res.results["date"]):
                    raw = meta[doc_id]
                    precision = "month" if len(raw) == 7 else "day"
                    assert date_end(date, precision) < before, (doc_id, raw, before)
                if res.earliest:
                    assert dt.date.fromisoformat(res.earliest["date"]) < before
                assert res.timeline.empty or res.timeline["year"].max() <= before.year
        # The month-dated copies of a query (2014-01) are never "before" 2014-01-15, however strong.
        res = find_precedents(corpus, queries[0]["text"], before="2014-01-15", limit=50, dense=True)
        assert not set(res.results["doc_id"]) & set(queries[0]["leaks"])
        res = find_precedents(corpus, queries[0]["text"], before="2014-02-01", limit=50)
        assert queries[0]["key"] + "-leak-month" in set(res.results["doc_id"])  # after the month ends: fair


def test_fused_path_ranks_by_reciprocal_rank_fusion(eval_store, tmp_path, monkeypatch):
    src, queries = eval_store
    store = tmp_path / "store"
    shutil.copytree(src, store)
    _fake_encoder(monkeypatch)
    with policypulse.open(store) as corpus:
        info = build_index(corpus, dense=True)
        assert info["dense"] is True
        res = find_precedents(corpus, queries[0]["text"], before=pe.BEFORE, limit=10, dense="auto")
        assert "fused" in res.method
        assert res.results["score"].is_monotonic_decreasing
        assert res.results["cosine"].notna().any()
        # A passage found only by the dense list is fetched from the index and ranked too.
        res = find_precedents(corpus, "zzz unknownword " + queries[0]["text"], before=pe.BEFORE, limit=50)
        assert res.results["bm25"].isna().any() or res.results["cosine"].notna().all()


@pytest.mark.slow
@pytest.mark.skipif(not dense.available() or not os.environ.get("POLICYPULSE_DENSE_EVAL"),
                    reason="needs the all-MiniLM-L6-v2 extra and POLICYPULSE_DENSE_EVAL=1 (minutes of CPU)")
def test_fused_with_minilm_is_no_worse_than_lexical(eval_store, tmp_path):
    src, queries = eval_store
    store = tmp_path / "store"
    shutil.copytree(src, store)
    with policypulse.open(store) as corpus:
        build_index(corpus, dense=True)
        lexical = pe.evaluate(corpus, queries, dense=False)
        fused = pe.evaluate(corpus, queries, dense=True)
    assert fused["recall@5"] >= lexical["recall@5"]
    assert fused["mrr"] >= lexical["mrr"]
    assert fused["leaked"] == 0


@pytest.mark.skipif(not dense.available(), reason="needs the all-MiniLM-L6-v2 extra")
def test_numpy_minilm_matches_sentence_transformers():
    # First values of the vector sentence-transformers 6.2 (PyTorch 2.14) gives for this sentence.
    expected = [-0.03922, -0.0107, -0.01575, 0.02813, 0.05296, 0.04557, 0.00357, 0.00495]
    v = dense.NumpyMiniLM(dense.model_dir()).encode(
        ["In 1993 a multi-agency team diverted people with mental health problems from police custody."])[0]
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert np.allclose(v[:8], expected, atol=2e-4)


# --- the index in the store: versions, reconciliation ---------------------------------------------


def _records(n: int, start: int, year: int, text: str) -> list[dict]:
    return [{"id": f"d{start + i}", "date": f"{year}-03-{1 + i % 28:02d}", "source": "Gazette",
             "text": text + f" Item number {start + i} of the series, with some words about nothing much."}
            for i in range(n)]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_index_follows_store_versions_and_queries_are_filtered_to_the_version(tmp_path):
    store = tmp_path / "store"
    text = "Community psychiatric nurses and a police inspector divert people with mental illness from custody."
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", _records(5, 0, 1993, text)))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        assert build_index(corpus)["passages"] == 5
        v1 = corpus.version
    ingest(str(store), [str(_write(tmp_path / "b.jsonl", _records(5, 100, 2003, text)))], fmt="jsonl")
    with policypulse.open(store) as corpus:  # latest: the index reconciles itself on first use
        res = find_precedents(corpus, "psychiatric nurses divert mentally ill people from police custody",
                              limit=20)
        assert len(res.results) == 10
        assert PassageIndex(corpus.store).missing(corpus.version) == []
    with policypulse.open(store, version=v1) as corpus:  # an older version sees only its own documents
        res = find_precedents(corpus, "psychiatric nurses divert people from police custody", limit=20)
        assert sorted(res.results["doc_id"]) == sorted(f"d{i}" for i in range(5))
        assert res.provenance["store_version"] == v1


def test_a_build_killed_between_the_two_commits_is_completed_without_doubles(tmp_path):
    store = tmp_path / "store"
    text = "Electronic tags enforce a night curfew on offenders released early from prison."
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", _records(8, 0, 2001, text)))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        build_index(corpus)
        index = PassageIndex(corpus.store)
        # Simulate a crash after tantivy committed but before state.json recorded the segment.
        state_path = index.root / STATE
        state = json.loads(state_path.read_text())
        state["segments"] = {}
        state_path.write_text(json.dumps(state))
        info = build_index(corpus)
        assert info["segments_indexed_now"] == 1
        searcher = index._open().searcher()
        assert searcher.num_docs == 8  # deleted by term, then added again: no doubles
        res = find_precedents(corpus, "electronic tag curfew for offenders released early", limit=20)
        assert len(res.results) == 8 and res.results["doc_id"].is_unique


def test_an_index_of_another_release_is_rebuilt(tmp_path):
    store = tmp_path / "store"
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", _records(3, 0, 2001, "Walk-in health centres.")))],
           fmt="jsonl")
    with policypulse.open(store) as corpus:
        build_index(corpus)
        state_path = PassageIndex(corpus.store).root / STATE
        state = json.loads(state_path.read_text())
        state["index_version"] = -1
        state_path.write_text(json.dumps(state))
        info = build_index(corpus)
        assert info["segments_indexed_now"] == 1 and info["passages"] == 3


def test_dense_vectors_are_embedded_once_and_survive_an_index_rebuild(tmp_path, monkeypatch):
    """Embedding is the cost: a rebuild reuses the vectors of unchanged passages; a new ingest embeds only
    its own passages."""
    _fake_encoder(monkeypatch)
    calls: list[int] = []
    hashing = dense.encoder()

    class Counting:
        def encode(self, texts, batch_size=16):
            calls.append(len(texts))
            return hashing.encode(texts)

    monkeypatch.setattr(dense, "encoder", lambda backend="auto": Counting())
    store = tmp_path / "store"
    text = "Electronic tags enforce a night curfew on offenders released early from prison."
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", _records(6, 0, 2001, text)))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        info = build_index(corpus, dense=True)
        assert info["passages_embedded_now"] == 6 and sum(calls) == 6
        index = PassageIndex(corpus.store)
        seg = corpus.store.segment_paths(corpus.version)[0].name
        with np.load(index.root / "dense" / (seg + ".npz")) as z:
            before = z["vectors"].copy()
        state_path = index.root / STATE
        state = json.loads(state_path.read_text())
        state["index_version"] = -1  # an index of another release: rebuilt from nothing
        state_path.write_text(json.dumps(state))
        info = build_index(corpus, dense=True)
        assert info["segments_indexed_now"] == 1 and info["dense"] is True
        assert info["passages_embedded_now"] == 0 and sum(calls) == 6  # every vector reused by its text
        with np.load(index.root / "dense" / (seg + ".npz")) as z:
            assert np.array_equal(z["vectors"], before)
        assert not (index.root / "dense-previous" / (seg + ".npz")).exists()
    ingest(str(store), [str(_write(tmp_path / "b.jsonl", _records(4, 100, 2003, text)))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        info = build_index(corpus, dense=True)
        assert info["passages_embedded_now"] == 4 and sum(calls) == 10


@pytest.mark.skipif(not dense.available() or not dense._has("tokenizers"), reason="needs the all-MiniLM-L6-v2 extra")
def test_numpy_minilm_gives_the_same_vectors_in_worker_processes_and_in_any_batch():
    texts = [f"Passage {i}: the {w} scheme pays {i} dollars to {w} families in need." for i, w in
             enumerate(["housing", "school", "farm", "health", "veterans", "rural", "urban"])]
    model = dense.NumpyMiniLM(dense.model_dir())
    one = model.encode(texts, batch_size=1, workers=1)
    batched = model.encode(texts, batch_size=16, workers=1)
    assert np.allclose(one, batched, atol=1e-5)
    old_chunk = dense.CHUNK
    try:
        dense.CHUNK = 3  # three tasks for two worker processes
        pooled = model.encode(texts, workers=2)
    finally:
        dense.CHUNK = old_chunk
    assert pooled.shape == one.shape and np.allclose(one, pooled, atol=1e-5)


def test_fallback_dates_are_not_before_anything(tmp_path):
    store = tmp_path / "store"
    recs = [{"id": "dated", "date": "1995-05-05", "text": "Drop-in clinics staffed by nurses open at weekends."},
            {"id": "undated", "text": "Drop-in clinics staffed by nurses open at weekends, no appointment."}]
    from policypulse.corpus.readers.base import ReaderOptions

    ingest(str(store), [str(_write(tmp_path / "a.jsonl", recs))], fmt="jsonl",
           options=ReaderOptions(default_date=dt.date(1990, 1, 1)))
    with policypulse.open(store) as corpus:
        got = set(find_precedents(corpus, "drop-in clinics with nurses", before="2000-01-01").results["doc_id"])
        assert got == {"dated"}
        got = set(find_precedents(corpus, "drop-in clinics with nurses").results["doc_id"])
        assert got == {"dated", "undated"}


# --- results: earliest strong match, timeline, episodes ---------------------------------------------


def test_earliest_strong_match_timeline_and_episodes(tmp_path):
    store = tmp_path / "store"
    scheme = ("A multi-agency team of community psychiatric nurses, a probation officer and a police inspector "
              "diverts people with mental health problems from police custody to treatment.")
    noise = "The council discussed the budget for road repairs and the new library opening hours this spring."
    recs = [{"id": f"s{y}", "date": f"{y}-06-01", "source": "Herald", "text": scheme} for y in (1993, 1994, 2003, 2013)]
    recs += [{"id": f"n{y}", "date": f"{y}-02-01", "source": "Herald", "text": noise} for y in range(1990, 2014)]
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", recs))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        res = find_precedents(corpus, "Police officers and psychiatric nurses will work together to divert "
                                      "people with mental health problems from custody", before="2014-01-01")
    assert res.earliest["doc_id"] == "s1993"
    assert list(res.episodes["start"]) == [dt.date(1993, 6, 1), dt.date(2003, 6, 1), dt.date(2013, 6, 1)]
    assert res.re_announcements == 2
    tl = res.timeline.set_index("year")
    assert tl.loc[1993, "documents"] == 1 and tl.loc[1995, "documents"] == 0
    assert tl.loc[1993, "total_docs"] == 2 and tl.loc[1993, "rate"] == 0.5
    assert list(tl.index) == list(range(1990, 2014))  # zeros included, no year after the cut
    assert "re-announced 2 times" in res.summary
    with policypulse.open(store) as corpus:
        once = find_precedents(corpus, "Police officers and psychiatric nurses will work together to divert "
                                       "people with mental health problems from custody", before="2004-01-01")
    assert "in 2 separate episodes (1993-1994, 2003): re-announced once." in once.summary
    assert set(res.results["doc_id"]) >= {"s1993", "s1994", "s2003", "s2013"}
    assert not res.results.loc[res.results["doc_id"].str.startswith("n"), "strong"].any()
    # the pool the summary was read from: every pooled passage judged, the strong ones those of the scheme
    pool = res.pool
    assert len(pool) >= 4 and set(pool.loc[pool["strong"], "doc_id"]) == {"s1993", "s1994", "s2003", "s2013"}
    assert (pool.loc[pool["strong"], "strength"] >= 0.45).all() and (pool["date"] < dt.date(2014, 1, 1)).all()
    assert list(pool["score"]) == sorted(pool["score"], reverse=True)


def test_a_name_is_matched_as_said_not_as_scattered_words(tmp_path):
    # "peace" and "corps" in one 1813 passage (a corps raised to keep the peace) are not the Peace Corps: a short
    # query that the corpus says as a phrase is a name, and a passage matches it only when it says it.
    store = tmp_path / "store"
    scattered = ("A corps of mounted volunteers was raised on the frontier of Georgia, and the peace of that "
                 "border has been kept by it through the whole of the season.")
    named = ("A newly conceived Peace Corps is winning friends and helping people in fourteen countries, "
             "supplying trained and dedicated young men and women.")
    keywords = ("The mounted corps sent volunteers to the border; the frontier towns now enjoy peace and trade "
                "with the settlers of the interior.")
    noise = "The tariff on iron and the revenue of the customs houses were discussed at length this year."
    recs = [{"id": "y1813", "date": "1813-12-07", "text": scattered},
            {"id": "y1962", "date": "1962-01-11", "text": named},
            {"id": "y1820", "date": "1820-11-14", "text": keywords}]
    recs += [{"id": f"n{y}", "date": f"{y}-03-01", "text": noise} for y in range(1800, 1990, 5)]
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", recs))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        res = find_precedents(corpus, "Peace Corps", before="1970-01-01")
        early = find_precedents(corpus, "peace corps", before="1961-01-01")
        loose = find_precedents(corpus, "corps volunteers peace", before="1970-01-01")
    assert res.earliest["doc_id"] == "y1962" and res.provenance["parameters"]["name"] == "peac corp"
    assert set(res.results["doc_id"]) >= {"y1813", "y1962"}  # the ranked list is as before: only "strong" changed
    assert not res.results.set_index("doc_id").loc["y1813", "strong"]
    assert early.earliest is None and not early.results.empty
    assert "no passage found among the" in early.summary and "says this name" in early.summary
    # keywords the corpus never says together are matched as before: every term anywhere in the passage
    assert loose.provenance["parameters"]["name"] is None and loose.earliest["doc_id"] == "y1813"


def test_a_strong_match_covers_much_of_the_description_at_the_family_level(tmp_path):
    # An earlier passage that shares a few of the description's rarest words (improbable under its era's null:
    # p ~ 3e-7) but under half its weight shares a topic, not the scheme: "no earlier strong match" before
    # the real description, which is strong. Under the old rule (strength >= 0.25, p <= 1e-6) it was strong.
    from policypulse.precedents import retrieve

    store = tmp_path / "store"
    desc = ("Mobile dental vans will visit rural primary schools to paint sealants and fluoride varnish on "
            "the pupils' back teeth, with a hygienist teaching brushing.")
    early = ("The county health committee heard that a hygienist applying dental sealants and fluoride varnish "
             "costs less than fillings. Members asked officers for the figures again next year and moved on.")
    later = ("Dental vans now visit rural primary schools, where a hygienist paints sealants and fluoride "
             "varnish on pupils' back teeth and teaches brushing.")
    noise = ["The council met to discuss the library roof, the bus timetable and a new car park near the market.",
             "Parents at the primary school raised money for a trip to the coast and a new climbing frame.",
             "Rural bus routes will be cut next spring unless the county finds money for the contract.",
             "A new teacher joined the school this term and pupils visited the museum in the city."]
    recs = [{"id": "early1990", "date": "1990-05-01", "text": early},
            {"id": "later2000", "date": "2000-05-01", "text": later}]
    recs += [{"id": f"n{y}-{k}", "date": f"{y}-{k + 1:02d}-11", "text": noise[k % 4]}
             for y in range(1988, 2013) for k in range(12)]
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", recs))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        res = find_precedents(corpus, desc, before="2013-01-01", limit=20)
        before_later = find_precedents(corpus, desc, before="2000-01-01", limit=20)
    rows = res.results.set_index("doc_id")
    assert 0.25 <= rows.loc["early1990", "strength"] < retrieve.STRONG and rows.loc["early1990", "p_null"] <= 1e-6
    assert not rows.loc["early1990", "strong"] and rows.loc["later2000", "strong"]
    assert res.earliest["doc_id"] == "later2000"
    assert before_later.earliest is None
    n_before = sum(r["date"] < "2000" for r in recs)
    assert (f"No earlier strong match before 2000-01-01: none of the {n_before:,} earlier passages says most of "
            "what this description says (45% of its weight)") in before_later.summary
    # The level is Bonferroni's over every passage before the cut (one passage per document here).
    params = res.provenance["parameters"]
    assert params["passages_tested"] == len(recs)
    assert params["strong_p"] == pytest.approx(retrieve.FAMILY_ALPHA / len(recs))
    assert before_later.provenance["parameters"]["passages_tested"] == sum(r["date"] < "2000" for r in recs)
    for r in res.results.itertuples():  # every row labelled by the documented rule
        assert r.strong == (r.strength >= 1 - 1e-9 or (r.strength >= params["strong"]
                                                     and r.p_null <= params["strong_p"]))


def test_a_description_in_british_spelling_finds_an_american_corpus_and_back(tmp_path):
    # "programme" and "labour" share no term with "program" and "labor": before the corpus chose the spelling,
    # the British description's heaviest terms matched nothing (or only the odd British passage) and the
    # scheme's own passage was neither ranked first nor strong.
    from policypulse.precedents.index import spelling_variants

    assert spelling_variants("programme") == ["program"] and "labour" in spelling_variants("labor")
    assert spelling_variants("defence") == ["defense"] and "organisation" in spelling_variants("organization")
    store = tmp_path / "store"
    scheme = ("The new labor program sends organizers to help farm workers form cooperatives and defend their "
              "wages in the county labor center.")
    odd = "A programme of concerts in the county hall was announced by the festival committee this summer."
    noise = ["The council met to discuss the library roof, the bus timetable and a car park near the market.",
             "Parents at the primary school raised money for a trip to the coast and a new climbing frame.",
             "A labor dispute at the port ended when the union accepted the offer of the shipping company.",
             "The city program of road repairs was delayed by the wet spring and the cost of asphalt."]
    recs = [{"id": "scheme1950", "date": "1950-05-01", "text": scheme},
            {"id": "odd1951", "date": "1951-05-01", "text": odd}]
    recs += [{"id": f"n{y}-{k}", "date": f"{y}-{k + 1:02d}-11", "text": noise[k % 4]}
             for y in range(1945, 1960) for k in range(12)]
    ingest(str(store), [str(_write(tmp_path / "a.jsonl", recs))], fmt="jsonl")
    with policypulse.open(store) as corpus:
        index = PassageIndex(corpus.store)
        index.ensure(corpus.version)
        british = "labour organisers and a labour programme for the county centre"
        assert index.query_terms(british) == [("labor", 2), ("organiz", 1), ("program", 1), ("counti", 1),
                                              ("center", 1)]
        assert index.corpus_spelling("programme") == "program"  # 1 passage against 16
        assert PassageIndex(corpus.store).corpus_spelling("labour") == "labor"  # on a fresh index object too
        res = find_precedents(corpus, british, before="1960-01-01", limit=5)
    # without the corpus's spelling, the concert "programme" held every remaining term and was the strong match
    assert res.results.iloc[0]["doc_id"] == "scheme1950"
    assert res.earliest is not None and res.earliest["doc_id"] == "scheme1950"
    assert not res.results.set_index("doc_id").loc["odd1951", "strong"]


# --- the command line ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("precedents-cli")
    recs = [{"id": "team93", "date": "1993-05-04", "source": "Post",
             "text": "A team of community psychiatric nurses and a police inspector diverted people with "
                     "mental illness from police custody."},
            {"id": "budget", "date": "1999-01-01", "source": "Post",
             "text": "Police budget cuts will close three stations; nurses strike over pay."},
            {"id": "new2014", "date": "2014-01-30", "source": "Post",
             "text": "New: police and mental health nurses work together to keep mentally ill people out "
                     "of police cells."}]
    ingest(str(root / "store"), [str(_write(root / "a.jsonl", recs))], fmt="jsonl")
    return root / "store"


def test_cli_json_follows_the_contract(cli_store, capsys):
    code = main(["precedents", str(cli_store), "police and mental health nurses keep people out of police cells",
                 "--before", "2014-01-01", "--limit", "5", "--format", "json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(set(r) == {"doc_id", "date", "source", "score", "snippet"} for r in rows)
    assert all(r["date"] < "2014-01-01" for r in rows)
    assert "new2014" not in {r["doc_id"] for r in rows}
    assert rows[0]["doc_id"] == "team93"
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_cli_table_csv_out_timeline_and_stdin(cli_store, tmp_path, capsys, monkeypatch):
    assert main(["precedents", str(cli_store), "psychiatric nurses divert people from custody"]) == 0
    out = capsys.readouterr().out
    assert "team93" in out and "Earliest strong match" in out
    dest = tmp_path / "p.csv"
    assert main(["precedents", str(cli_store), "psychiatric nurses", "--format", "csv", "--out", str(dest)]) == 0
    frame = pd.read_csv(dest)
    assert list(frame.columns) == ["doc_id", "date", "source", "score", "snippet"]
    assert (tmp_path / "p.csv.provenance.json").exists()
    assert main(["precedents", str(cli_store), "psychiatric nurses divert people from custody", "--show",
                 "timeline", "--format", "json"]) == 0
    tl = json.loads(capsys.readouterr().out)
    assert {"year", "documents", "total_docs", "rate"} <= set(tl[0])
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("psychiatric nurses divert people from custody"))
    assert main(["precedents", str(cli_store), "-", "--format", "json", "--limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["doc_id"] == "team93"


def test_cli_errors_are_one_line_with_exit_codes(cli_store, tmp_path, capsys):
    cases = [(["precedents", str(cli_store), "x", "--before", "2014-13-01"], 2),
             (["precedents", str(cli_store), "   "], 2),
             (["precedents", str(cli_store), "x", "--limit", "0"], 2),
             (["precedents", str(cli_store), "x", "--dense", "maybe"], 2),
             (["precedents", str(cli_store), "@" + str(tmp_path / "missing.txt")], 2),
             (["precedents", str(tmp_path / "nostore"), "x"], 1)]
    for argv, code in cases:
        assert main(argv) == code, argv
        err = capsys.readouterr().err
        assert err.startswith("policypulse: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_cli_index_passages(cli_store, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(cli_store, store)
    shutil.rmtree(store / "passages", ignore_errors=True)
    assert main(["index-passages", str(store), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["passages"] == 3 and info["segments_indexed_now"] == 1 and info["index_bytes"] > 0


# --- real data: the State of the Union ------------------------------------------------------------------


def test_sotu_smoke(sotu_store, tmp_path):
    store = tmp_path / "sotu"
    shutil.copytree(sotu_store[0], store)
    with policypulse.open(store) as corpus:
        res = find_precedents(corpus, "health insurance for the aged through social security, so that older "
                                      "Americans can pay their hospital bills", before="1965-01-04", limit=5)
    assert len(res.results) == 5
    assert (res.results["date"] < dt.date(1965, 1, 4)).all()
    # Medicare (1965) was proposed before: by Truman (national health insurance) and Kennedy (for the aged).
    assert res.results["doc_id"].str.contains("Kennedy|Truman").any()
    assert res.earliest is not None and res.summary
