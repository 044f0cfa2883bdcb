"""Near-duplicate detection at ingest: its cost, and its precision and recall on planted copies (issue 9).

    python bench/bench_neardup.py                      # 100,000 originals of bench/corpus.py + planted copies
    python bench/bench_neardup.py --docs 20000 --repeat 1

Corpus: the seeded benchmark corpus of ``bench/corpus.py`` (``corpus-<N>.jsonl``, generated if missing)
as the originals, plus, from this script's own seeded generator:

* **planted copies**: a fraction of the originals (``--stories``, default 8 %) is reprinted 1-6 times by
  other sources, 0-2 days later, each copy edited the way papers edit wire copy: a credit line on top,
  0-8 words replaced, with probability 0.3 one sentence dropped, with probability 0.3 the end cut off
  (75-95 % kept);
* **hard negatives**: 1.5 % of originals get a *follow-up* by another source within a day that reuses
  one fifth to one third of the original's text and is otherwise half of another, unrelated document:
  they must not fold.

The copies and follow-ups go in a second file, in shuffled order (so ingest sees them out of date order).

Measured, each ingest in a fresh subprocess (wall and CPU seconds, peak RSS), alternating with and
without near-duplicate detection, ``--repeat`` times each: the cost ratio (target <= 1.5x); then the
precision and recall of the folding against the planted truth (targets >= 0.95 each), where a folded
document is correct when it and its representative belong to the same planted story, recall counts the
documents that should fold (each planted story's size minus one) and precision all folded documents.
Also the incremental case: the originals in one ingest, the copies in a later one (stored
representatives), and the plain-dict band index as a comparison for datasketch's MinHashLSH.
Results: ``bench/results/neardup-<size>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
SEED = 20140101


def plant(originals: Path, out_copies: Path, seed: int, stories: float, negatives: float) -> dict[str, Any]:
    """Write copies and follow-ups of ``originals`` to ``out_copies``; return the truth."""
    rng = random.Random(seed)
    sources: list[str] = []
    docs: list[dict[str, Any]] = []
    with open(originals, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs.append({"id": d["id"], "date": d["date"], "source": d["source"], "text": d["text"]})
            if d["source"] not in sources:
                sources.append(d["source"])
    extra: list[dict[str, Any]] = []
    story_of: dict[str, str] = {}  # doc id -> planted story id (originals and their copies)
    negative_ids: list[str] = []
    picks = rng.sample(range(len(docs)), int(len(docs) * stories))
    for k in picks:
        d = docs[k]
        story_of[d["id"]] = d["id"]
        for c in range(rng.randint(1, 6)):
            src = rng.choice([s for s in sources if s != d["source"]])
            day = dt.date.fromisoformat(d["date"]) + dt.timedelta(days=rng.choice((0, 0, 1, 2)))
            cid = f"{d['id']}-copy{c}"
            extra.append({"id": cid, "date": day.isoformat(), "source": src, "text": _edit(rng, d["text"], src)})
            story_of[cid] = d["id"]
    taken = set(picks)
    for k in rng.sample(range(len(docs)), int(len(docs) * negatives)):
        if k in taken:
            continue
        d, other = docs[k], docs[rng.randrange(len(docs))]
        words = d["text"].split(" ")
        share = rng.uniform(0.2, 0.33)
        start = rng.randrange(0, max(1, int(len(words) * (1 - share))))
        reused = " ".join(words[start : start + int(len(words) * share)])
        own = other["text"].split(" ")
        own = own[: len(own) // 2]  # half of an unrelated document: the follow-up is a copy of neither
        text = " ".join(own[: len(own) // 2]) + " " + reused + " " + " ".join(own[len(own) // 2 :])
        day = dt.date.fromisoformat(d["date"]) + dt.timedelta(days=rng.choice((0, 1)))
        nid = f"{d['id']}-followup"
        extra.append({"id": nid, "date": day.isoformat(), "source": rng.choice(sources), "text": text})
        negative_ids.append(nid)
    rng.shuffle(extra)
    with open(out_copies, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(e) + "\n" for e in extra)
    return {"story_of": story_of, "negatives": negative_ids, "originals": len(docs), "copies": len(extra) - len(negative_ids),
            "stories": len(picks)}


def _edit(rng: random.Random, text: str, source: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(0, 8)):
        i = rng.randrange(len(words))
        words[i] = rng.choice(words)
    body = " ".join(words)
    if rng.random() < 0.3:
        sentences = body.split(". ")
        if len(sentences) > 3:
            del sentences[rng.randrange(1, len(sentences))]
            body = ". ".join(sentences)
    if rng.random() < 0.3:
        cut = int(len(body) * rng.uniform(0.75, 0.95))
        body = body[: body.rfind(" ", 0, cut)] + "."
    return f"Copyright {source}, distributed by Press Association.\n\n{body}"


def run_one(args: argparse.Namespace) -> None:
    """In a subprocess: one ingest; print timings and the report as JSON."""
    from policypulse.corpus.ingest import ingest
    from policypulse.corpus.neardup import NearDupConfig

    cfg = NearDupConfig(enabled=args.run != "off", index="datasketch" if args.run == "datasketch" else "bands")
    w0, c0 = time.perf_counter(), time.process_time()
    # The token index is left out of both sides: the ratio is the cost of near-duplicate folding alone.
    report = ingest(args.store, [Path(p) for p in args.inputs], near_duplicates=cfg, build_index=False)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0 + report.worker_cpu_s
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # GB (ru_maxrss is KiB on Linux)
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_gb": rss, "accepted": report.accepted,
                      "duplicates": report.duplicates, "rejected": len(report.rejected),
                      "near_duplicates": report.near_duplicates}))


def _ingest(store: Path, inputs: list[Path], mode: str, fresh: bool = True) -> dict[str, Any]:
    if fresh:
        shutil.rmtree(store, ignore_errors=True)
    cmd = [sys.executable, __file__, "--run", mode, "--store", str(store), "--inputs", *map(str, inputs)]
    sys.path.insert(0, str(BENCH))
    import run as common

    # Peak RSS of the ingest's process tree, sampled: the child's own ru_maxrss is useless here, Linux keeps
    # it across fork and exec, so it reports this (large) benchmark process's size instead.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with common.PeakRSS(proc.pid) as mon:
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1]) | {"rss_gb": mon.peak / 2**30}


def score(store: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Precision and recall of the folding against the planted stories."""
    from policypulse.corpus.store import Store

    s = Store(store)
    rows = s.documents(columns=["doc_id", "hash", "dup_of"]).to_pylist()
    by_hash = {r["hash"]: r["doc_id"] for r in rows}
    story_of = truth["story_of"]
    folded = [r for r in rows if r["dup_of"]]
    correct = sum(1 for r in folded if story_of.get(r["doc_id"]) is not None
                  and story_of.get(r["doc_id"]) == story_of.get(by_hash.get(r["dup_of"], "")))
    should = truth["copies"]  # every planted story of n documents should fold n - 1 of them
    negatives_folded = sum(1 for r in folded if r["doc_id"].endswith("-followup"))
    fp_examples = [r["doc_id"] + " -> " + by_hash.get(r["dup_of"], r["dup_of"]) for r in folded
                   if not (story_of.get(r["doc_id"]) and story_of.get(r["doc_id"]) == story_of.get(by_hash.get(r["dup_of"], "")))][:5]
    folded_ids = {r["doc_id"] for r in folded}  # once: built inside the loop it made 1M scoring quadratic
    fn_examples = [d for d, st in story_of.items() if d != st and d not in folded_ids][:5]
    return {"folded": len(folded), "correct": correct, "should_fold": should,
            "precision": correct / len(folded) if folded else 1.0, "recall": correct / should if should else 1.0,
            "negatives": len(truth["negatives"]), "negatives_folded": negatives_folded,
            "false_positive_examples": fp_examples, "missed_examples": fn_examples}


def _same_clusters(a: Path, b: Path) -> bool:
    from policypulse.corpus.store import Store

    def fold(p: Path) -> dict[str, str]:
        return {r["hash"]: r["dup_of"] for r in Store(p).folded().to_pylist()}

    return fold(a) == fold(b)


def jaccard_profile(copies: Path, originals: Path, truth: dict[str, Any], n: int = 400) -> dict[str, float]:
    """True word-5-gram Jaccard of a sample of planted copies to their originals (how hard the task is)."""
    from policypulse.text import normalise

    want = {}
    with open(copies, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if "-copy" in d["id"] and len(want) < n:
                want[d["id"]] = d["text"]
    orig_ids = {truth["story_of"][i] for i in want}
    texts = {}
    with open(originals, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["id"] in orig_ids:
                texts[d["id"]] = d["text"]

    def sh(t: str) -> set[str]:
        toks = normalise(t)[0].split()
        return {" ".join(toks[i : i + 5]) for i in range(len(toks) - 4)}

    js = sorted(len(sh(t) & sh(texts[truth["story_of"][i]])) / len(sh(t) | sh(texts[truth["story_of"][i]]))
                for i, t in want.items())
    return {"min": js[0], "p05": js[len(js) // 20], "median": js[len(js) // 2], "max": js[-1],
            "below_0.5": sum(j < 0.5 for j in js) / len(js)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--stories", type=float, default=0.08)
    ap.add_argument("--negatives", type=float, default=0.015)
    ap.add_argument("--score-only", action="store_true",
                    help="reuse the stores and timings (runs.json) of an earlier run; score and report only")
    ap.add_argument("--core-only", action="store_true",
                    help="only the off/on pair and the quality scores (skip the datasketch index and the incremental "
                         "and re-ingest runs: at 1M documents each is another full ingest)")
    ap.add_argument("--run", choices=["on", "off", "datasketch"], help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--inputs", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run:
        run_one(args)
        return
    sys.path.insert(0, str(BENCH))
    from corpus import generate  # bench/corpus.py: the one seeded generator of every benchmark

    originals = DATA / f"corpus-{args.docs}.jsonl"
    if not originals.exists():
        generate(args.docs, originals, seed=SEED)
    copies = DATA / f"neardup-{args.docs}-copies.jsonl"
    truth = plant(originals, copies, SEED, args.stories, args.negatives)
    work = DATA / f"neardup-{args.docs}"
    work.mkdir(exist_ok=True)
    size_mb = (originals.stat().st_size + copies.stat().st_size) / 1e6
    load0 = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    saved = work / "runs.json"
    if args.score_only:
        runs = json.loads(saved.read_text())  # the ingests of an earlier invocation, stores kept
    else:
        for _ in range(args.repeat):
            for mode in ("off", "on"):
                runs[mode].append(_ingest(work / f"store-{mode}", [originals, copies], mode))
                print(mode, runs[mode][-1], file=sys.stderr)
                saved.write_text(json.dumps(runs))
    quality = score(work / "store-on", truth)
    if args.core_only:
        nan = float("nan")
        bands = {"wall": nan, "cpu": nan, "rss_gb": nan}
        quality_bands = quality_inc = {"precision": nan, "recall": nan}
        same = "not run (--core-only)"
        inc1 = inc2 = {"accepted": 0, "wall": nan, "cpu": nan}
        again = {"accepted": nan, "duplicates": nan}
    else:
        bands = _ingest(work / "store-datasketch", [originals, copies], "datasketch")
        quality_bands = score(work / "store-datasketch", truth)
        same = _same_clusters(work / "store-on", work / "store-datasketch")
        inc1 = _ingest(work / "store-inc", [originals], "on")
        inc2 = _ingest(work / "store-inc", [copies], "on", fresh=False)
        quality_inc = score(work / "store-inc", truth)
        again = _ingest(work / "store-inc", [copies], "on", fresh=False)
    load1 = os.getloadavg()
    profile = jaccard_profile(copies, originals, truth)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    def store_mb(p: Path) -> float:
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 1e6

    ratio_wall, ratio_cpu = med("on", "wall") / med("off", "wall"), med("on", "cpu") / med("off", "cpu")
    out = {
        "date": dt.datetime.now().isoformat(timespec="minutes"), "docs": args.docs, "input_mb": size_mb,
        "truth": {k: v for k, v in truth.items() if k not in ("story_of", "negatives")} | {"negatives": len(truth["negatives"])},
        "runs": runs, "ratio_wall": ratio_wall, "ratio_cpu": ratio_cpu, "quality": quality,
        "datasketch_index": {"run": bands, "quality": quality_bands, "same_clusters": same}, "incremental": {"first": inc1, "second": inc2,
                                                                                  "quality": quality_inc, "reingest": again},
        "copy_jaccard": profile, "store_mb": {"off": store_mb(work / "store-off"), "on": store_mb(work / "store-on")},
        "load": [load0, load1], "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"neardup-{args.docs // 1000}k"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1))
    n_in = runs["on"][0]["accepted"] + runs["on"][0]["duplicates"]
    lines = [
        "# Near-duplicate benchmark (issue 9)", "",
        f"- date: {out['date']}; machine: {out['machine']}; Python {platform.python_version()}",
        f"- load average (1/5/15 min) at start {tuple(round(x, 2) for x in load0)}, at end {tuple(round(x, 2) for x in load1)} "
        "(other engineers share the machine: wall times are noisy, CPU times less so)",
        f"- corpus: `bench/corpus.py` seed {SEED}, {truth['originals']:,} originals + {truth['copies']:,} planted copies of "
        f"{truth['stories']:,} stories + {len(truth['negatives']):,} follow-ups (hard negatives) = {n_in:,} documents, "
        f"{size_mb:.0f} MB JSONL",
        f"- true word-5-gram Jaccard of planted copies to their original (sample of 400): min {profile['min']:.2f}, "
        f"5th percentile {profile['p05']:.2f}, median {profile['median']:.2f}; share below 0.5: {profile['below_0.5']:.1%}",
        "- settings: defaults (threshold 0.5, window 3 days, scope all, OPH signatures K=128, datasketch MinHashLSH "
        "banding b=42 r=3); each ingest a fresh subprocess without the token index; runs alternate off/on; CPU = "
        "the ingest process plus its conversion workers; peak RSS of the ingest's process tree (workers included), "
        "sampled every 50 ms" + ("; `--core-only`: the datasketch, incremental and re-ingest rows were not run" if args.core_only else ""),
        "",
        "| ingest | wall s (median) | CPU s (median) | peak RSS GB | store MB |", "|---|---|---|---|---|",
        f"| without near-duplicates | {med('off', 'wall'):.1f} | {med('off', 'cpu'):.1f} | "
        f"{max(r['rss_gb'] for r in runs['off']):.2f} | {out['store_mb']['off']:.0f} |",
        f"| with near-duplicates (default: band dicts) | {med('on', 'wall'):.1f} | {med('on', 'cpu'):.1f} | "
        f"{max(r['rss_gb'] for r in runs['on']):.2f} | {out['store_mb']['on']:.0f} |",
    ] + ([] if args.core_only else [
        f"| with near-duplicates (datasketch MinHashLSH) | {bands['wall']:.1f} | {bands['cpu']:.1f} | {bands['rss_gb']:.2f} | |",
    ]) + [
        "", "| check | target | measured | result |", "|---|---|---|---|",
        f"| cost ratio (wall) | <= 1.5x | {ratio_wall:.2f}x | **{'pass' if ratio_wall <= 1.5 else 'FAIL'}** |",
        f"| cost ratio (CPU) | <= 1.5x | {ratio_cpu:.2f}x | **{'pass' if ratio_cpu <= 1.5 else 'FAIL'}** |",
        f"| precision | >= 0.95 | {quality['precision']:.4f} ({quality['correct']:,} of {quality['folded']:,} folded) | "
        f"**{'pass' if quality['precision'] >= 0.95 else 'FAIL'}** |",
        f"| recall | >= 0.95 | {quality['recall']:.4f} ({quality['correct']:,} of {quality['should_fold']:,}) | "
        f"**{'pass' if quality['recall'] >= 0.95 else 'FAIL'}** |",
        f"| hard negatives folded | 0 | {quality['negatives_folded']} of {quality['negatives']} | "
        f"**{'pass' if quality['negatives_folded'] == 0 else 'FAIL'}** |",
    ] + ([
        "| incremental (copies ingested after their originals) precision / recall | >= 0.95 | not run at this size "
        "(`--core-only`; see the 100k results) | — |",
        "| re-ingest of the copies | adds 0, no error | not run at this size (`--core-only`) | — |",
    ] if args.core_only else [
        f"| incremental (copies ingested after their originals) precision / recall | >= 0.95 | "
        f"{quality_inc['precision']:.4f} / {quality_inc['recall']:.4f} | "
        f"**{'pass' if min(quality_inc['precision'], quality_inc['recall']) >= 0.95 else 'FAIL'}** |",
        f"| re-ingest of the copies | adds 0, no error | accepted {again['accepted']}, duplicates {again['duplicates']} | "
        f"**{'pass' if again['accepted'] == 0 else 'FAIL'}** |",
        "", f"Incremental second ingest ({inc2['accepted']:,} copies against {inc1['accepted']:,} stored): "
        f"{inc2['wall']:.1f} s wall, {inc2['cpu']:.1f} s CPU.",
        f"datasketch MinHashLSH index: precision {quality_bands['precision']:.4f}, recall {quality_bands['recall']:.4f}; "
        f"same clusters as the default index: {same}.",
    ]) + [
        "", f"Missed examples: {quality['missed_examples']}", f"False-positive examples: {quality['false_positive_examples']}",
    ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
