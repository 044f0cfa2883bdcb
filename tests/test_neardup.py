"""Near-duplicates at ingest: syndicated copies fold into one story, distinct stories stay apart."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import policypulse
from policypulse.corpus import neardup
from policypulse.corpus.ingest import ingest
from policypulse.corpus.neardup import NearDupConfig
from policypulse.corpus.store import Store
from policypulse.text import normalise

TODAY = dt.date(2024, 6, 1)
WORDS = ["council", "minister", "budget", "report", "plan", "reform", "funding", "scheme", "party", "vote", "election", "spending", "tax", "health", "services", "education", "housing", "transport", "police", "crime", "court", "trade", "industry", "market", "bank", "prices", "growth", "jobs", "workers", "union", "pay", "pension", "welfare", "hospital", "doctors", "teachers", "schools", "university", "energy", "climate", "farmers", "water", "rail", "roads", "bridge", "port", "treaty", "border", "campaign", "charity", "volunteers", "leaders", "critics", "opposition", "official", "agency", "inquiry", "review", "figures", "survey", "data", "research", "evidence", "statement", "local", "community", "public", "national", "people", "government", "country", "week", "year", "today", "city", "county", "town", "village", "morning", "evening", "plans", "said", "told", "warned", "claimed", "announced", "promised", "argued", "added"]


def story(rng: random.Random, n_words: int, topic: str = "big society") -> str:
    """A news-like text of about n_words words in sentences, mentioning the topic twice."""
    words: list[str] = []
    while len(words) < n_words:
        sentence = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        words.extend(sentence)
        words[-1] += "."
    words[5:5] = topic.split()
    words[len(words) // 2 : len(words) // 2] = topic.split()
    return " ".join(words)


def reprint(rng: random.Random, text: str, credit: str) -> str:
    """A syndicated copy: a credit line, a few words changed, the last sentence cut."""
    words = text.split()
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(10, len(words) - 10)
        words[i] = rng.choice(WORDS)
    body = " ".join(words)
    if body.count(".") > 3:
        body = body[: body.rstrip(".").rfind(".") + 1]
    return f"{credit}\n\n{body}"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _syndication(tmp_path: Path, n_copies: int = 12) -> tuple[Path, dict]:
    rng = random.Random(42)
    base = dt.date(2011, 7, 19)
    original = story(rng, 400)
    rows = [{"id": "wire", "date": base.isoformat(), "source": "Press Association", "text": original}]
    for i in range(n_copies):
        day = base + dt.timedelta(days=rng.randint(0, 2))
        rows.append({"id": f"copy{i}", "date": day.isoformat(), "source": f"Regional Paper {i}",
                     "text": reprint(rng, original, f"By PA reporters, published by Regional Paper {i}")})
    # Distinct stories about the same event: the same quote and names, otherwise their own words.
    quote = ('"The big society is about giving people more power over their own lives," the prime minister '
             "said in Liverpool on Tuesday.")
    for j in range(3):
        text = story(random.Random(100 + j), 350)
        cut = text.find(".", len(text) // 3) + 1
        rows.append({"id": f"own{j}", "date": (base + dt.timedelta(days=j)).isoformat(),
                     "source": f"Broadsheet {j}", "text": text[:cut] + " " + quote + text[cut:]})
    # The same wire story reprinted a fortnight later: outside the window, a story of its own again.
    rows.append({"id": "late", "date": (base + dt.timedelta(days=14)).isoformat(), "source": "Weekly Echo",
                 "text": reprint(rng, original, "From the archive")})
    path = _write(tmp_path / "syndication.jsonl", rows)
    return path, {"copies": n_copies, "distinct": 3, "rows": rows}


def test_a_story_reprinted_by_many_sources_counts_once_deduplicated_and_n_times_raw(tmp_path: Path) -> None:
    path, info = _syndication(tmp_path)
    report = ingest(tmp_path / "s", [path], today=TODAY)
    n = len(info["rows"])
    assert (report.accepted, report.duplicates, report.rejected) == (n, 0, [])
    assert report.near_duplicates == info["copies"]  # every reprint folded, nothing else
    docs = Store(tmp_path / "s").documents(columns=["doc_id", "hash", "dup_of"]).to_pylist()
    by_id = {d["doc_id"]: d for d in docs}
    wire = by_id["wire"]["hash"]
    assert {d["doc_id"] for d in docs if d["dup_of"] == wire} == {f"copy{i}" for i in range(info["copies"])}
    assert all(by_id[k]["dup_of"] is None for k in ("wire", "own0", "own1", "own2", "late"))

    with policypulse.open(tmp_path / "s") as corpus:
        dedup = corpus.track("big society", by="year")
        raw = corpus.track("big society", by="year", raw=True)
        both = corpus.track("big society", by="year", with_raw=True)
        stats = corpus.stats()
    assert dedup["docs"].sum() == 1 + info["distinct"] + 1  # the wire story, 3 own stories, the late reprint
    assert raw["docs"].sum() == n
    assert dedup["total_docs"].sum() == 5 and raw["total_docs"].sum() == n
    assert list(both.columns[-3:]) == ["docs_raw", "mentions_raw", "total_docs_raw"]
    assert both[["docs", "docs_raw", "total_docs_raw"]].iloc[0].tolist() == [5, n, n]
    assert stats["documents"] == n and stats["folded"]["near_duplicates"] == info["copies"]
    assert stats["folded"]["documents_deduplicated"] == 5 and stats["folded"]["clusters"] == 1


def test_reingest_is_idempotent_and_later_ingests_find_copies_of_stored_documents(tmp_path: Path) -> None:
    path, info = _syndication(tmp_path)
    rows = info["rows"]
    first = _write(tmp_path / "first.jsonl", rows[:1] + rows[-4:])  # wire story, own stories, late reprint
    second = _write(tmp_path / "second.jsonl", rows[1:-4])  # the copies arrive later
    r1 = ingest(tmp_path / "s", [first], today=TODAY)
    assert r1.near_duplicates == 0
    r2 = ingest(tmp_path / "s", [second], today=TODAY)
    assert r2.accepted == info["copies"] and r2.near_duplicates == info["copies"]
    s = Store(tmp_path / "s")
    folded = s.folded().to_pylist()
    wire = next(d["hash"] for d in s.documents(columns=["doc_id", "hash"]).to_pylist() if d["doc_id"] == "wire")
    assert {f["dup_of"] for f in folded} == {wire}
    # Re-ingesting everything adds nothing and folds nothing new; no LSH key errors.
    r3 = ingest(tmp_path / "s", [path], today=TODAY)
    assert (r3.accepted, r3.duplicates, r3.near_duplicates) == (0, len(rows), 0)
    s = Store(tmp_path / "s")
    assert s.folded().num_rows == info["copies"] and s.version == 3
    # Version 1 still has nothing folded, version 2 the copies: earlier versions' numbers never change.
    assert s.folded(1).num_rows == 0 and s.folded(2).num_rows == info["copies"]
    with policypulse.open(tmp_path / "s", version=1) as c1, policypulse.open(tmp_path / "s") as c3:
        assert c1.track("big society", by="year")["docs"].sum() == 5
        assert c3.track("big society", by="year")["docs"].sum() == 5
        assert c3.track("big society", by="year", raw=True)["docs"].sum() == len(rows)


def test_window_and_scope(tmp_path: Path) -> None:
    path, info = _syndication(tmp_path)
    r = ingest(tmp_path / "w0", [path], today=TODAY, near_duplicates=NearDupConfig(window_days=0))
    # With a window of 0 days, copies fold only into a representative of their own day.
    other_days = {row["date"] for row in info["rows"][1:13]} - {info["rows"][0]["date"]}
    assert r.near_duplicates == info["copies"] - len(other_days)
    docs = Store(tmp_path / "w0").documents(columns=["date", "hash", "dup_of"]).to_pylist()
    day_of = {d["hash"]: d["date"] for d in docs}
    assert all(day_of[d["dup_of"]] == d["date"] for d in docs if d["dup_of"])
    # Per-source scope: syndication across papers is not folded, an updated article in one paper is.
    rows = info["rows"][:1] + [dict(info["rows"][1], source="Press Association", id="update")]
    p2 = _write(tmp_path / "update.jsonl", rows + info["rows"][2:5])
    r2 = ingest(tmp_path / "src", [p2], today=TODAY, near_duplicates=NearDupConfig(scope="source"))
    assert r2.near_duplicates == 1
    assert Store(tmp_path / "src").folded().to_pylist()[0]["reason"] == "near"
    r3 = ingest(tmp_path / "off", [p2], today=TODAY, near_duplicates=NearDupConfig(enabled=False))
    assert r3.near_duplicates == 0 and Store(tmp_path / "off").dups_path() is None
    # Source groups: papers of one group are compared with each other only.
    groups = {"Press Association": "wire", "Regional Paper 1": "wire", "Regional Paper 2": "wire"}
    r4 = ingest(tmp_path / "grp", [p2], today=TODAY, near_duplicates=NearDupConfig(source_groups=groups))
    assert r4.near_duplicates == 3  # the update and Regional Papers 1 and 2; Regional Paper 3 is alone


def test_datasketch_index_gives_the_same_clusters(tmp_path: Path) -> None:
    path, _ = _syndication(tmp_path)
    extra = [{"date": f"2011-07-{d:02d}", "source": f"S{i}", "text": story(random.Random(d * 10 + i % 3), 120)}
             for d in range(15, 25) for i in range(6)]  # small clusters of identical and distinct texts
    p2 = _write(tmp_path / "extra.jsonl", extra)
    ingest(tmp_path / "a", [path, p2], today=TODAY)
    ingest(tmp_path / "b", [path, p2], today=TODAY, near_duplicates=NearDupConfig(index="datasketch"))
    fa, fb = Store(tmp_path / "a").folded().to_pylist(), Store(tmp_path / "b").folded().to_pylist()
    assert len(fa) > 12 and sorted(map(str, fa)) == sorted(map(str, fb))


def test_threshold_keeps_follow_up_stories_apart(tmp_path: Path) -> None:
    rng = random.Random(7)
    a = story(rng, 500)
    sentences = a.split(". ")
    follow = ". ".join(sentences[: len(sentences) // 3]) + ". " + story(random.Random(8), 350)  # reuses a third
    rows = [{"date": "2012-03-01", "source": "A", "text": a}, {"date": "2012-03-02", "source": "B", "text": follow}]
    r = ingest(tmp_path / "s", [_write(tmp_path / "f.jsonl", rows)], today=TODAY)
    assert r.near_duplicates == 0
    r = ingest(tmp_path / "t", [_write(tmp_path / "f.jsonl", rows)], today=TODAY,
               near_duplicates=NearDupConfig(threshold=0.15))
    assert r.near_duplicates == 1


def _shingles(text: str) -> set[tuple[str, ...]]:
    toks = normalise(text)[0].split()
    return {tuple(toks[i : i + 5]) for i in range(max(1, len(toks) - 4))}


def test_signatures_estimate_jaccard_and_are_stable() -> None:
    rng = random.Random(3)
    errors = []
    for _ in range(40):
        a = story(rng, rng.randint(20, 600))
        b = reprint(rng, a, "credit") if rng.random() < 0.7 else story(rng, 300)
        sa, sb = _shingles(a), _shingles(b)
        true = len(sa & sb) / len(sa | sb)
        sig = neardup.signatures([normalise(a)[0], normalise(b)[0]])
        errors.append(abs(neardup.jaccard(sig[0], sig[1]) - true))
    assert np.mean(errors) < 0.05 and max(errors) < 0.2
    norms = [normalise(story(random.Random(i), 50))[0] for i in range(5)] + [" tiny  text "]
    one = neardup.signatures(norms)
    assert (one == neardup.signatures(list(reversed(norms)))[::-1]).all()  # batch composition does not matter
    assert (neardup.from_arrow(neardup.to_arrow(one))[0] == one).all()
    # Known values pin the scheme: changing it silently would make stored signatures incomparable
    # (change neardup.SCHEME with it, so that stored signatures are recomputed).
    pinned = neardup.signatures([" the  big  society  is  about  giving  people  more  power  over  their  own  lives "])
    assert pinned[0][:6].tolist() == [32758, 40462, 33316, 26798, 33316, 40462]
    assert int(pinned[0].astype(np.uint64).sum()) == 3985622 and neardup.SCHEME == "oph-w5-k128-u16-v1"


def test_schema_1_store_still_opens_and_gets_its_signatures_recomputed(tmp_path: Path) -> None:
    _, info = _syndication(tmp_path)
    rows = info["rows"]
    store = tmp_path / "old"
    ingest(store, [_write(tmp_path / "a.jsonl", rows[:1])], today=TODAY,
           near_duplicates=NearDupConfig(enabled=False))
    # Turn it into a schema-1 store: segments without the minhash column and with a stored norm (as schemas 1
    # and 2 wrote), manifest version 1.
    from policypulse.corpus import norms
    from policypulse.corpus.schema import DOCUMENT_SCHEMA, SCHEMA_VERSION

    for seg in (store / "segments").iterdir():
        t = norms.read_segment(seg, DOCUMENT_SCHEMA.names)
        pq.write_table(t.drop_columns(["minhash"]), seg)
    manifest = json.loads((store / "manifest.json").read_text())
    manifest["schema_version"] = 1
    for key in ("checksum", "files", "derived"):  # schema-1 stores kept no checksums
        manifest.pop(key)
    for entry in manifest["segments"].values():
        entry.pop("minhash", None)
    for v in manifest["versions"]:
        v.pop("neardup", None)
    (store / "manifest.json").write_text(json.dumps(manifest))
    with policypulse.open(store) as c:
        assert c.track("big society", by="year")["docs"].sum() == 1
    assert Store(store).documents().column("minhash").null_count == 1
    r = ingest(store, [_write(tmp_path / "b.jsonl", rows[1:4])], today=TODAY)
    assert r.near_duplicates == 3
    s = Store(store)
    assert s.manifest.schema_version == SCHEMA_VERSION
    with policypulse.open(store) as c:
        assert c.track("big society", by="year")["docs"].sum() == 1
        assert c.track("big society", by="year", raw=True)["docs"].sum() == 4


def test_newer_store_schema_is_refused(tmp_path: Path) -> None:
    from policypulse.errors import StoreError

    ingest(tmp_path / "s", [_write(tmp_path / "a.jsonl", [{"date": "2014-01-01", "text": "x"}])], today=TODAY)
    m = json.loads((tmp_path / "s" / "manifest.json").read_text())
    m["schema_version"] = 99
    (tmp_path / "s" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path / "s")


def test_cli_track_raw_and_stats(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from policypulse.cli import app

    path, info = _syndication(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(tmp_path / "s"), str(path), "--dup-window", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["track", str(tmp_path / "s"), "big society", "--by", "year", "--format", "csv"])
    assert res.stdout.splitlines()[0].startswith("idea,period,docs,mentions,total_docs,rate")
    assert res.stdout.splitlines()[1].split(",")[2] == "5"
    res = runner.invoke(app, ["track", str(tmp_path / "s"), "big society", "--by", "year", "--format", "csv", "--raw"])
    assert res.stdout.splitlines()[1].split(",")[2] == str(len(info["rows"]))
    res = runner.invoke(app, ["stats", str(tmp_path / "s")])
    assert "near-duplicates folded: 12" in res.stdout
    from policypulse.cli import main

    assert main(["ingest", str(tmp_path / "t"), str(path), "--dup-scope", "paper"]) == 2
    assert not (tmp_path / "t").exists()


def _random_rows(seed: int, n: int, days: int = 36) -> list[dict]:
    """Documents over a few dozen days with planted copy clusters, near misses, retweets and undated rows."""
    rng = random.Random(seed)
    base = dt.date(2013, 3, 1)
    sources = [f"Paper {k}" for k in range(8)]
    rows: list[dict] = []

    def add(d: int, source: str, text: str, month: bool = False, **extra: str) -> dict:
        date = (base + dt.timedelta(days=d)).isoformat()
        row = {"id": f"s{seed}-{len(rows)}", "date": date[:7] if month else date, "source": source, "text": text}
        rows.append(row | extra)
        return row

    while len(rows) < n:
        d, src = rng.randrange(days), rng.choice(sources)
        text = story(rng, rng.randint(25, 160))
        orig = add(d, src, text, month=rng.random() < 0.03)
        kind = rng.random()
        if kind < 0.25:  # copies 0-5 days later (some outside the window), some by the same source
            for _ in range(rng.randint(1, 4)):
                add(d + rng.randint(0, 5), src if rng.random() < 0.3 else rng.choice(sources),
                    reprint(rng, text, rng.choice(["", "By wire staff", "From our partners"])))
        elif kind < 0.33:  # a near miss: the start of the text, then its own (some fold, most do not)
            words = text.split()
            k = int(len(words) * rng.uniform(0.4, 0.9))
            add(d + rng.randint(-1, 2), rng.choice(sources), " ".join(words[:k]) + " " + story(rng, len(words) - k))
        elif kind < 0.42:  # retweets: the same words or a comment, dated to the day or only to the month
            add(d + rng.randint(0, 4), rng.choice(sources), text if rng.random() < 0.6 else story(rng, rng.randint(5, 60)),
                month=rng.random() < 0.3, retweet_of=orig["id"])
        elif kind < 0.45:  # too short to take part
            add(d, rng.choice(sources), story(rng, 8))
    rng.shuffle(rows)
    return rows


def _both_indexes(store: Path, new: list[str], stored: list[str], dups: Path | None,
                  **cfg: object) -> neardup.NearDupStats:
    """Cluster with index="bands" and index="datasketch" (the reference): the same folds, in the same order."""
    manifest = Store(store).read_manifest()

    def with_sig(names: list[str]) -> list[tuple[str, bool]]:
        return [(s, manifest.segments[s].get("minhash") == neardup.SCHEME) for s in names]

    a, b = (neardup.cluster(store / "segments", with_sig(new), with_sig(stored), str(dups) if dups else None,
                            NearDupConfig(index=index, **cfg)) for index in ("bands", "datasketch"))  # type: ignore[arg-type]
    assert a.folded == b.folded, cfg
    counts = ("compared", "near_duplicates", "retweets", "candidates", "stored_loaded")
    assert [getattr(a, c) for c in counts] == [getattr(b, c) for c in counts], cfg
    return a


@pytest.mark.parametrize("seed,batch_rows", [(1, 4096), (2, 61), (3, 250)])
def test_band_index_folds_exactly_as_datasketch_on_random_corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   seed: int, batch_rows: int) -> None:
    # Small Arrow batches spread windows, live representatives and read-ahead stored rows over many batches.
    monkeypatch.setattr(neardup, "BATCH_ROWS", batch_rows)
    rows = _random_rows(seed, 1800)
    store = tmp_path / "s"
    ingest(store, [_write(tmp_path / "a.jsonl", rows[:700])], today=TODAY)
    # the second ingest's segments without signatures: the clustering recomputes them
    ingest(store, [_write(tmp_path / "b.jsonl", rows[700:])], today=TODAY,
           near_duplicates=NearDupConfig(enabled=False))
    s = Store(store)
    v1, v2 = s.manifest.versions
    first, dups = v1["segments"], (store / v1["dups"] if v1.get("dups") else None)
    second = [x for x in v2["segments"] if x not in first]
    groups = {f"Paper {k}": "even" if k % 2 else "odd" for k in range(6)}  # Papers 6 and 7 alone
    for cfg in ({}, {"scope": "source"}, {"source_groups": groups}, {"window_days": 0},
                {"window_days": 1, "threshold": 0.8}, {"threshold": 0.3}):  # r = 3, 3, 3, 3, 8 (hashed keys), 2
        if not cfg or "threshold" in cfg:
            _both_indexes(store, first, [], None, **cfg)  # one ingest of everything new
        later = _both_indexes(store, second, first, dups, **cfg)  # against stored representatives
        if not cfg:
            assert later.near_duplicates > 100 and later.retweets > 25 and later.stored_loaded > 300
            assert later.candidates > later.near_duplicates
            assert any(d.startswith("retweet:") for _, d, _ in later.folded)


def test_documents_without_a_shared_band_key_never_touch_the_band_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inserted: list[str] = []
    queries: list[int] = []

    class Counting(neardup._BandIndex):
        def insert(self, key: str, bandkeys: list[int]) -> None:
            inserted.append(key)
            super().insert(key, bandkeys)

        def query(self, bands, bandkeys):  # type: ignore[no-untyped-def]
            queries.append(1)
            return super().query(bands, bandkeys)

    monkeypatch.setattr(neardup, "_BandIndex", Counting)
    monkeypatch.setattr(neardup, "BATCH_ROWS", 300)
    rng = random.Random(11)
    rows = [{"date": f"2015-04-{rng.randint(1, 28):02d}", "source": f"P{i % 5}", "text": story(rng, 60)}
            for i in range(1200)]
    for r in rng.sample(rows, 30):  # 30 stories reprinted once
        rows.append(dict(r, source="Wire", text=reprint(rng, r["text"], "Wire copy")))
    store = tmp_path / "s"
    ingest(store, [_write(tmp_path / "a.jsonl", rows)], today=TODAY, near_duplicates=NearDupConfig(enabled=False))
    docs = Store(store).documents(columns=["hash", "norm"])  # stored without signatures: computed here
    keys = neardup.band_keys(neardup.signatures(docs.column("norm")), NearDupConfig().bands())
    hashes = docs.column("hash").to_pylist()
    # the documents sharing a band key with any other document, anywhere in the corpus
    seen: dict[tuple[int, int], int] = {}
    shared: set[str] = set()
    for i, row in enumerate(keys.tolist()):
        for band, k in enumerate(row):
            j = seen.setdefault((band, k), i)
            if j != i:
                shared.update((hashes[i], hashes[j]))
    assert 30 <= len(shared) <= 100
    segs = [(p.name, False) for p in (store / "segments").iterdir()]
    stats = neardup.cluster(store / "segments", segs, [], None, NearDupConfig())
    assert stats.compared == len(rows) and stats.near_duplicates >= 25
    assert inserted and set(inserted) <= shared  # only representatives an involved document may meet
    assert 0 < len(queries) <= len(shared)  # and only involved documents look candidates up
