"""Benchmark of precedents (issue 6): passage index build time and size, query latency.

Runs on a store ingested from the seeded benchmark corpus (bench/corpus.py, seed 20140101), by default
``bench/data/store-100k``. The store is not modified: a shadow store (its manifest copied, its files
hard-linked, so that it survives the original being re-ingested meanwhile) receives the passage index.

Queries are of two kinds, 50 of each, drawn with a fixed seed:

- *descriptions*: a paragraph of the corpus with half its words dropped at random (40-60 words, the
  length of a news item describing a "new" initiative), with ``--before`` a random date;
- *short*: a planted idea's alias from the corpus truth file (2-3 words), with a random ``--before``.

Each query runs ``find_precedents`` end to end through the public API (index reconcile check, BM25 with the
date and version filters, best passage per document, strength, earliest strong match, timeline with its
per-year denominators from DuckDB, episodes), lexical only. Reported: wall time of the index build,
passages, bytes on disk, and per-query latency (median, p95, max) after one warm-up query.

    python bench/bench_precedents.py [--store bench/data/store-100k] [--label 100k] [--out bench/results]
    python bench/bench_precedents.py --compare-engines 10000   # why tantivy: vs SQLite FTS5 and bm25s

``--compare-engines N`` indexes the passages of the first N documents with tantivy, SQLite FTS5 and (when
installed) bm25s, and times 20 description queries with a date filter on each: the measurement behind the
choice of tantivy in docs/methods.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def shadow_store(src: Path, dst: Path) -> Path:
    """A copy of ``src`` made of hard links (no data copied; immune to ``src`` being re-ingested meanwhile)
    that gets its own passage index directory."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    shutil.copy2(src / "manifest.json", dst / "manifest.json")
    for name in ("segments", "totals", "dups"):
        if not (src / name).is_dir():
            continue
        (dst / name).mkdir()
        for f in (src / name).iterdir():
            try:
                os.link(f, dst / name / f.name)
            except OSError:
                shutil.copy2(f, dst / name / f.name)
    return dst


def make_queries(store: Path, truth: Path | None, n: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, text, before) triples."""
    import duckdb

    rng = random.Random(seed)
    from policypulse.corpus.store import Store

    files = [str(p) for p in Store(store).segment_paths()]
    con = duckdb.connect()
    texts = [r[0] for r in con.execute(
        f"SELECT text FROM read_parquet({files!r}) USING SAMPLE reservoir({n} ROWS) REPEATABLE ({seed})").fetchall()]
    out = []
    for text in texts:
        paras = [p for p in text.split("\n\n") if 60 <= len(p.split()) <= 140] or [text]
        words = rng.choice(paras).split()
        kept = [w for w in words if rng.random() < 0.5][:60]
        out.append(("description", " ".join(kept), _random_date(rng)))
    if truth and truth.exists():
        aliases = sorted(json.loads(truth.read_text())["ideas"])
        for _ in range(n):
            out.append(("short", rng.choice(aliases), _random_date(rng)))
    return out


def _random_date(rng: random.Random) -> str:
    return dt.date(rng.randint(2001, 2026), rng.randint(1, 12), rng.randint(1, 28)).isoformat()


def compare_engines(store: Path, n_docs: int, seed: int) -> dict[str, dict[str, float]]:
    """Build time, size and median query time of tantivy, SQLite FTS5 and bm25s on the same passages."""
    import sqlite3
    import tempfile

    import duckdb

    from policypulse.corpus.store import Store
    from policypulse.precedents.index import STOPWORDS
    from policypulse.precedents.passages import split_passages
    from policypulse.text import tokens

    files = [str(p) for p in Store(store).segment_paths()]
    rows = duckdb.connect().execute(
        f"SELECT doc_id, date, text FROM read_parquet({files!r}) LIMIT {int(n_docs)}").fetchall()
    passages = [(d, date, text[p.start:p.end]) for d, date, text in rows for p in split_passages(text)]
    rng = random.Random(seed)
    queries = [" ".join(w for w in rng.choice(passages)[2].split() if rng.random() < 0.5) for _ in range(20)]
    cut = dt.date(2015, 1, 1)
    out: dict[str, dict[str, float]] = {}

    def med(fn) -> float:
        ts = []
        for q in queries:
            t = time.perf_counter()
            fn(q)
            ts.append(time.perf_counter() - t)
        return round(1000 * statistics.median(ts), 1)

    def terms(q: str) -> list[str]:
        return list(dict.fromkeys(t for t in tokens(q) if t not in STOPWORDS))

    with tempfile.TemporaryDirectory() as tmp:
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("text", stored=True, tokenizer_name="en_stem", index_option="freq")
        sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
        sb.add_date_field("date", stored=True, fast=True, indexed=True)
        schema = sb.build()
        path = Path(tmp) / "tantivy"
        path.mkdir()
        index = tantivy.Index(schema, str(path))
        t = time.perf_counter()
        w = index.writer(heap_size=256_000_000, num_threads=2)
        for d, date, text in passages:
            w.add_document(tantivy.Document(text=text, doc_id=d, date=dt.datetime(date.year, date.month, date.day)))
        w.commit()
        w.wait_merging_threads()
        build = time.perf_counter() - t
        index.reload()
        searcher = index.searcher()
        date_q = tantivy.Query.range_query(schema, "date", tantivy.FieldType.Date, None,
                                           dt.datetime(cut.year, cut.month, cut.day), include_upper=False)

        def tq(q: str) -> None:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, index.parse_query(" ".join(terms(q)), ["text"])),
                                                 (tantivy.Occur.Must, date_q)])
            [searcher.doc(a)["doc_id"] for _s, a in searcher.search(query, 50, count=False).hits]

        out["tantivy"] = {"build_s": round(build, 2), "mb": round(sum(f.stat().st_size for f in path.iterdir()) / 1e6, 1),
                          "query_median_ms": med(tq)}

        db = Path(tmp) / "fts.db"
        con = sqlite3.connect(db)
        con.execute("CREATE VIRTUAL TABLE p USING fts5(text, doc_id UNINDEXED, date UNINDEXED, "
                    "tokenize='porter unicode61', detail=column)")
        t = time.perf_counter()
        con.executemany("INSERT INTO p(text, doc_id, date) VALUES (?, ?, ?)",
                        ((x[2], x[0], x[1].isoformat()) for x in passages))
        con.commit()
        con.execute("INSERT INTO p(p) VALUES('optimize')")
        con.commit()
        build = time.perf_counter() - t

        def fq(q: str) -> None:
            match = " OR ".join(f'"{x}"' for x in terms(q))
            con.execute("SELECT doc_id, bm25(p) AS s FROM p WHERE p MATCH ? AND date < ? ORDER BY s LIMIT 50",
                        (match, cut.isoformat())).fetchall()

        out["sqlite_fts5"] = {"build_s": round(build, 2), "mb": round(db.stat().st_size / 1e6, 1),
                              "query_median_ms": med(fq)}
        try:
            import bm25s
            import numpy as np
        except ImportError:
            return out
        t = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize([x[2] for x in passages], stopwords="en", show_progress=False),
                        show_progress=False)
        build = time.perf_counter() - t
        mask = np.array([x[1] < cut for x in passages], dtype=np.float32)

        def bq(q: str) -> None:
            retriever.retrieve(bm25s.tokenize([q], stopwords="en", show_progress=False), k=50, weight_mask=mask,
                               show_progress=False)

        out["bm25s"] = {"build_s": round(build, 2), "mb": None, "query_median_ms": med(bq)}  # type: ignore[dict-item]
    return out


# ------------------------------------------------------------------------------------ real text (issue 18)
SPLITS = ("tuning", "heldout")


def _doc_passage(hit) -> tuple[str | None, int | None]:
    """(document id, passage ordinal) of a result row or an earliest-match dict, (None, None) for none."""
    if hit is None:
        return None, None
    return str(hit["doc_id"]), int(hit["passage"])


def real_precedents(name: str, store: Path, splits: tuple[str, ...] = SPLITS, dense: bool = False) -> dict:
    """The precedents checks of bench/eval/<name>.yaml (rules in its header) on one real corpus.

    With ``dense``, the store's passage vectors are computed first (once: they are kept in the store's
    passage index under bench/data, keyed by segment and passage text) and every query is fused.
    """
    import policypulse
    from policypulse.precedents import build_index, find_precedents

    sys.path.insert(0, str(HERE))
    import realtext

    ref = realtext.reference(name)
    entries = [e for e in ref.get("precedents", []) if e.get("split", "tuning") in splits]
    load0, t_start = os.getloadavg(), time.perf_counter()
    rows = []
    method = None
    with policypulse.open(store) as c:
        if dense:
            t0 = time.perf_counter()
            info = build_index(c, dense=True)
            realtext.log(f"dense vectors: {info['passages_embedded_now']} passages embedded now, "
                         f"{time.perf_counter() - t0:.0f} s")
        counts = realtext.yearly_docs(c, [e["name"] for e in entries])
        for e in entries:
            years = sorted(int(k[:4]) for k in counts[e["name"]])
            split = e.get("split", "tuning")
            if not years:
                rows.append({**e, "split": split, "skipped": "the name is not in the corpus"})
                continue
            first = years[0]
            t0 = time.perf_counter()
            res = find_precedents(c, e["description"], before=f"{first + 10}-01-01", limit=10, dense=dense)
            method = res.method
            top = res.results.iloc[0] if not res.results.empty else None
            top_year = int(top["date"].year) if top is not None else None
            # right: an address of the programme's first decade in the corpus that uses its name, or one of the
            # years between the encyclopaedia's date and that first use (announced before it was named)
            lo = min(first, int(e["year"]))
            best_right = top_year is not None and lo <= top_year <= first + 9 and (top_year in years or top_year < first)
            want = e.get("precedent_before")
            early = int(res.earliest["date"][:4]) if res.earliest else None
            if want is None:
                earliest_right = early is not None and lo - 5 <= early <= first + 9
            else:  # a documented forerunner: the earliest strong match is that forerunner
                earliest_right = early is not None and abs(early - int(want)) <= 5
            ceiling = _ceiling(res.pool, (lo - 5, first + 9) if want is None else (int(want) - 5, int(want) + 5))
            before = find_precedents(c, e["description"], before=f"{lo}-01-01", limit=10, dense=dense)
            prior = int(before.earliest["date"][:4]) if before.earliest else None
            none_right = prior is None if want is None else (prior is not None and abs(prior - int(want)) <= 5)
            # asked by name (a user who knows it): the earliest strong match is the first address that says it
            by_name = find_precedents(c, e["name"], before=f"{first + 10}-01-01", limit=10, dense=dense)
            name_before = find_precedents(c, e["name"], before=f"{lo}-01-01", limit=10, dense=dense)
            name_early = int(by_name.earliest["date"][:4]) if by_name.earliest else None
            name_prior = int(name_before.earliest["date"][:4]) if name_before.earliest else None
            top_doc, top_passage = _doc_passage(top)
            earliest_doc, earliest_passage = _doc_passage(res.earliest)
            before_doc, before_passage = _doc_passage(before.earliest)
            rows.append({"name": e["name"], "split": split, "year": e["year"], "first_in_corpus": first,
                         "precedent_before": want, "top_year": top_year,
                         "top_doc": top_doc, "top_passage": top_passage, "earliest_doc": earliest_doc,
                         "earliest_passage": earliest_passage, "before_doc": before_doc,
                         "before_passage": before_passage,
                         "best_right": bool(best_right), "earliest": early, "earliest_right": bool(earliest_right),
                         "earliest_before_first": prior, "none_right": bool(none_right),
                         "summary": res.summary, "summary_before": before.summary, **ceiling,
                         "name_earliest": name_early, "name_earliest_right": name_early == first,
                         "name_before": name_prior, "name_none_right": name_prior is None,
                         "seconds": round(time.perf_counter() - t0, 2)})
    unjudged = read_by_hand(name, rows)
    return {"corpus": name, "method": method, "dense": dense, "rows": rows, "unjudged": unjudged,
            "seconds": round(time.perf_counter() - t_start, 1),
            "load_average_start_end": [round(x, 2) for x in load0] + [round(x, 2) for x in os.getloadavg()]}


def _ceiling(pool, window: tuple[int, int]) -> dict:
    """How far the pool lets any rule on (strength, null probability) go for check (2).

    The strongest passage of the right window and the strongest one before it (each by its null probability,
    then its strength), and ``separable``: some passage of the window is ahead of every earlier passage in
    strength or in null probability. When it is not, every earlier passage that matters holds at least as much
    of the description, at least as improbably, as anything in the window, and no rule that calls a passage
    strong for more strength or a smaller probability can name the window without naming that earlier
    passage first: the most any such rule (one per programme, even) could reach.
    """
    import math

    lo, hi = window
    if pool is None or pool.empty:
        return {"window_best": None, "earlier_best": None, "separable": False}
    years = pool["date"].map(lambda d: d.year)
    lp = -pool["p_null"].clip(lower=1e-300).map(math.log10)
    good = pool.assign(lp=lp)[(years >= lo) & (years <= hi)]
    bad = pool.assign(lp=lp)[years < lo]

    def best(df):
        if df.empty:
            return None
        row = df.sort_values(["lp", "strength"], ascending=False).iloc[0]
        return {"year": int(row["date"].year), "strength": round(float(row["strength"]), 3),
                "log10_p": round(-float(row["lp"]), 2)}

    bs, bl = bad["strength"].to_numpy(), bad["lp"].to_numpy()
    separable = any(bool(((s > bs) | (q > bl)).all()) for s, q in zip(good["strength"], good["lp"]))
    return {"window_best": best(good), "earlier_best": best(bad), "separable": separable}


READ_OK = ("programme", "forerunner")


def read_by_hand(name: str, rows: list[dict]) -> list[str]:
    """Add the by-hand verdicts of bench/eval/<name>-precedents-read.yaml to each row (rule in its header);
    return the passages returned but not yet judged."""
    import yaml

    path = HERE / "eval" / f"{name}-precedents-read.yaml"
    judged = yaml.safe_load(path.read_text()) if path.exists() else {}
    unjudged = []
    for r in rows:
        verdicts = {(j["doc"], int(j["passage"])): j["verdict"] for j in (judged or {}).get(r["name"], [])}
        for part in ("top", "earliest", "before"):
            key = (r.get(f"{part}_doc"), r.get(f"{part}_passage"))
            if key[0] is None:
                r[f"{part}_read"] = None
                continue
            r[f"{part}_read"] = verdicts.get(key, "unjudged")
            if key not in verdicts:
                unjudged.append(f"{r['name']}: {key[0]} passage {key[1]}")
        r["read_best_right"] = r["top_read"] in READ_OK
        r["read_earliest_right"] = r["earliest_read"] in READ_OK
        # asked before the first use: nothing earlier is strong, or what is strong is a forerunner
        r["read_none_right"] = r["before_read"] is None or r["before_read"] == "forerunner"
    return unjudged


CHECKS = (("best_right", "best-ranked passage right", lambda r: True),
          ("earliest_right", "earliest strong match in the right decade (or at the documented forerunner)",
           lambda r: True),
          ("none_right", "'no earlier strong match' asked before the first use, schemes with no forerunner",
           lambda r: r.get("precedent_before") is None),
          ("none_right", "forerunner found (within 5 years) asked before the first use, schemes with one",
           lambda r: r.get("precedent_before") is not None))
READ_CHECKS = (("read_best_right", "best-ranked passage, read by hand: the programme or a forerunner"),
               ("read_earliest_right", "earliest strong match, read by hand: the programme or a forerunner"),
               ("read_none_right", "asked before the first use, read by hand: no earlier strong match, or a "
                "forerunner"))


def share_line(rows: list[dict], key: str, target: float | None = 0.9) -> str:
    """'0.62 +- 0.08 (10 of 16)': the share, its binomial standard error and the counts."""
    n = len(rows)
    if not n:
        return "n/a (0 programmes)"
    k = sum(bool(r[key]) for r in rows)
    p = k / n
    se = (p * (1 - p) / n) ** 0.5
    out = f"{p:.2f} +- {se:.2f} ({k} of {n})"
    if target is not None:
        out += " (target 0.9: " + ("pass" if p >= target else f"FAIL by {target - p:.2f}") + ")"
    return out


def _best_cell(b: dict | None) -> str:
    return "-" if not b else f"{b['year']} {b['strength']:.2f} {b['log10_p']:.1f}"


def real_report(results: list[dict]) -> str:
    """Markdown for the precedents evaluation on real text."""
    lines = ["# Precedents on real text (issue 18)", "", f"Date {time.strftime('%Y-%m-%d %H:%M')}. Rules: "
             "bench/eval/sotu.yaml (header) and bench/eval/README.md. Target for each check: >= 0.9 of the "
             "reference programmes. Shares are given +- their binomial standard error, sqrt(p(1-p)/n). "
             "*tuning*: the programmes looked at while the method was developed; *held out*: written before "
             "any run and used only to report.", ""]
    for res in results:
        rows = [r for r in res["rows"] if "skipped" not in r]
        load = res.get("load_average_start_end")
        took = (f" The run took {res['seconds']} s of wall time (two shared cores; load average 1/5/15 min "
                f"{load[0]}/{load[1]}/{load[2]} at the start, {load[3]}/{load[4]}/{load[5]} at the end)."
                if load else "")
        lines += [f"## {res['corpus']}", "", f"Ranking: {res.get('method')}.{took}", "",
                  "| programme | split | first in corpus | best-ranked (year) | right | earliest strong | right | "
                  "asked before its first use (forerunner) | right | read by hand: best / earliest / before | "
                  "strongest in the window / before it (year strength log10 p) | separable | "
                  "asked by name: earliest / before it |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            fore = f" ({r['precedent_before']})" if r.get("precedent_before") else ""
            read = " / ".join(r.get(f"{p}_read") or "-" for p in ("top", "earliest", "before"))
            lines.append(f"| {r['name']} | {r['split']} | {r['first_in_corpus']} | {r['top_year']} | "
                         f"{'yes' if r['best_right'] else 'NO'} | {r['earliest'] or 'none'} | "
                         f"{'yes' if r['earliest_right'] else 'NO'} | "
                         f"{r['earliest_before_first'] or 'no earlier strong match'}{fore} | "
                         f"{'yes' if r['none_right'] else 'NO'} | {read} | {_best_cell(r.get('window_best'))} / "
                         f"{_best_cell(r.get('earlier_best'))} | {'yes' if r.get('separable') else 'no'} | "
                         f"{r.get('name_earliest') or 'none'} / {r.get('name_before') or 'none'} |")
        for split, label in (("heldout", "held out"), ("tuning", "tuning"), (None, "all")):
            part = [r for r in rows if split is None or r["split"] == split]
            if not part:
                continue
            lines.append(f"\n**{label}** ({len(part)} programmes):\n")
            for key, text, keep in CHECKS:
                sub = [r for r in part if keep(r)]
                target = 0.9 if "forerunner found" not in text else None
                lines.append(f"- {text}: {share_line(sub, key, target)}")
            if any("separable" in r for r in part):
                lines.append("- ceiling of check (2) for any rule on strength and null probability (some passage of "
                             "the window ahead of every earlier one in either): " + share_line(part, "separable", None))
            if any("name_earliest_right" in r for r in part):
                lines.append("- asked by name (the name as the query; not a target: a user who knows it): earliest "
                             "strong match is the first address using the name: "
                             + share_line(part, "name_earliest_right", None) + "; asked before it: no earlier "
                             "strong match: " + share_line(part, "name_none_right", None))
            if any("read_best_right" in r for r in part):
                for key, text in READ_CHECKS:
                    lines.append(f"- {text}: {share_line(part, key, None)}")
        if res.get("unjudged"):
            lines.append("\nReturned but not yet read by hand (count as not right): " + "; ".join(res["unjudged"]))
        skipped = [f"{r['name']} ({r['split']})" for r in res["rows"] if "skipped" in r]
        if skipped:
            lines.append(f"\nNot in the corpus (left out by the rule): {', '.join(skipped)}")
        lines.append("")
    return "\n".join(lines)


def real_main(corpora: list[str], splits: tuple[str, ...] = SPLITS, dense: bool = False) -> int:
    """Run the real-text precedents evaluation; write bench/results/precedents-real[-dense].md (and .json)."""
    sys.path.insert(0, str(HERE))
    import realtext

    stores = {"sotu": realtext.sotu_store, "news": realtext.news_store}
    results = [real_precedents(n, stores[n](), splits, dense) for n in corpora]
    text = real_report(results)
    if splits == SPLITS:  # only a full run is a result
        out = HERE / "results"
        out.mkdir(exist_ok=True)
        stem = "precedents-real-dense" if dense else "precedents-real"
        (out / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str))
        (out / f"{stem}.md").write_text(text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="precedents benchmark")
    ap.add_argument("--store", default=str(HERE / "data" / "store-100k"))
    ap.add_argument("--truth", default=str(HERE / "data" / "corpus-100000.jsonl.truth.json"))
    ap.add_argument("--label", default="100k")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--keep", action="store_true", help="reuse an existing shadow store and its index")
    ap.add_argument("--shadow-dir", default=str(HERE / "data"), help="where the shadow store goes")
    ap.add_argument("--compare-engines", type=int, metavar="N", help="compare tantivy, FTS5 and bm25s on the "
                    "passages of N documents, then stop")
    ap.add_argument("--real", default=None, metavar="CORPORA",
                    help="instead: the real-text evaluation (issue 18) on these corpora, e.g. sotu")
    ap.add_argument("--split", choices=["all", *SPLITS], default="all",
                    help="with --real: only these reference programmes (a partial run writes no result file)")
    ap.add_argument("--dense", action="store_true",
                    help="with --real: fuse with all-MiniLM-L6-v2 (embeds the corpus's passages once, ~15 CPU minutes "
                    "for the SOTU; results in precedents-real-dense.md)")
    args = ap.parse_args(argv)
    if args.real:
        return real_main([c.strip() for c in args.real.split(",") if c.strip()],
                         SPLITS if args.split == "all" else (args.split,), dense=args.dense)
    if args.compare_engines:
        res = compare_engines(Path(args.store), args.compare_engines, args.seed)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"precedents-engines-{args.compare_engines}.json").write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res, indent=1))
        return 0

    import policypulse
    from policypulse import __version__
    from policypulse.precedents import build_index, find_precedents

    src = Path(args.store)
    shadow = Path(args.shadow_dir) / f"precedents-{args.label}"
    if not (args.keep and shadow.exists()):
        shadow_store(src, shadow)
    load0 = os.getloadavg()
    with policypulse.open(shadow) as corpus:
        n_docs = corpus.store.count()
        t0 = time.perf_counter()
        info = build_index(corpus)
        build_s = time.perf_counter() - t0
        queries = make_queries(shadow, Path(args.truth), args.queries, args.seed)
        find_precedents(corpus, queries[0][1], before=queries[0][2])  # warm-up: open the index, DuckDB
        lat: dict[str, list[float]] = {}
        found = 0
        for kind, text, before in queries:
            t = time.perf_counter()
            res = find_precedents(corpus, text, before=before, limit=10)
            lat.setdefault(kind, []).append(time.perf_counter() - t)
            found += not res.results.empty
    load1 = os.getloadavg()

    def stats(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {"n": len(xs), "median_ms": round(1000 * statistics.median(xs), 1),
                "p95_ms": round(1000 * xs[min(len(xs) - 1, int(0.95 * len(xs)))], 1),
                "max_ms": round(1000 * xs[-1], 1)}

    result = {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(), "policypulse": __version__,
        "load_average_start_end": [round(x, 2) for x in load0] + [round(x, 2) for x in load1],
        "store": str(src), "documents": n_docs, "passages": info["passages"],
        "build_seconds": round(build_s, 1 if build_s > 10 else 3), "index_bytes": info["index_bytes"],
        "index_mb": round(info["index_bytes"] / 1e6, 1),
        "queries_with_results": found, "latency": {k: stats(v) for k, v in lat.items()},
        "latency_all": stats([x for v in lat.values() for x in v]),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"precedents-{args.label}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
