"""Spark engine benchmark (issue 8): Spark local mode at 1 and 2 cores beside DuckDB, on the seeded corpus.

    python bench/bench_spark.py                    # 200,000 documents (generated and ingested if missing)
    python bench/bench_spark.py --docs 1000000 --repeat 3
    python bench/bench_spark.py --ingest-docs 25000  # also time the Spark ingest job at 1 and 2 cores
    python bench/bench_spark.py --phrase-docs 20000  # also time discovery's phrase counting, embedded vs Spark

Each configuration runs in its own process (a JVM's core count is fixed when Spark starts): DuckDB with
``SET threads`` 1 and 2, Spark with ``local[1]`` and ``local[2]``. In every process: start-up (open the
store; for Spark the JVM and session), then one warm-up and ``--repeat`` timed runs of each workload:

* ``one idea``: ``engine.counts`` of one alias by month (a full scan of ``norm``);
* ``watchlist``: ``engine.counts`` of the corpus's 50 planted ideas by month (one scan, 50 patterns);
* ``track``: ``Corpus.track`` of one idea (counts + totals + timeline), what a user waits for.

With ``--phrase-docs N``, the first N documents are ingested into a store of their own and discovery's
per-segment phrase counting is timed: ``ngrams.count_table`` (embedded, numpy; one process) against
``spark_phrases.count_phrases`` (Spark built-ins, written to Spark's ``noop`` sink) at 1 and 2 cores; the
row counts of the two are compared.

Counts are checked against DuckDB's, and DuckDB's against the generator's truth sidecar. Throughput is
documents per second of wall time (median run) and per core. Results: ``bench/results/spark-<size>.md``
and ``.json``; the cost model in docs/scaling.md is computed from them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
PY = sys.executable
sys.path.insert(0, str(BENCH))


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def log(msg: str) -> None:
    print(f"[bench_spark {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_store(n: int) -> tuple[Path, dict[str, Any]]:
    """The seeded corpus of ``n`` documents (bench/corpus.py) and a store of it (policypulse ingest)."""
    import corpus as gen

    src = DATA / f"corpus-{n}.jsonl"
    truth_path = Path(str(src) + ".truth.json")
    if not src.exists() or not truth_path.exists():
        log(f"generating {n:,} documents -> {src}")
        DATA.mkdir(parents=True, exist_ok=True)
        gen.generate(n, src)
    store = DATA / f"store-{label(n)}"
    if not (store / "manifest.json").exists():
        import policypulse

        log(f"ingesting {src.name} -> {store}")
        shutil.rmtree(store, ignore_errors=True)
        t0 = time.perf_counter()
        report = policypulse.ingest(store, [src], fmt="jsonl")
        log(f"ingested {report.accepted:,} documents in {time.perf_counter() - t0:.0f} s")
    return store, json.loads(truth_path.read_text())


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its children (Spark's JVM): on a machine shared with
    other work, documents per CPU-second is the per-core throughput that wall time cannot show."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


# -- one configuration, in its own process -------------------------------------------------------------


def worker(engine: str, cores: int, store: str, ideas_json: str, repeat: int) -> dict[str, Any]:
    import policypulse
    from policypulse.query.ideas import idea_from_query

    aliases = json.loads(ideas_json)
    ideas = [idea_from_query(a) for a in aliases]
    t0 = time.perf_counter()
    if engine == "duckdb":
        from policypulse.query.engines.duckdb import DuckDBEngine

        corpus = policypulse.open(store)
        # The scan, not the token index: the same full pass over norm that Spark makes, so that the two
        # compare per core (the index's figures are in bench/results/track-*.md).
        corpus.engine = DuckDBEngine(corpus.store, corpus.version)
        corpus.store.connection(corpus.version).execute(f"SET threads = {cores}")
    else:
        from policypulse.query.engines.spark import spark_session

        spark_session(f"local[{cores}]", app_name="policypulse-bench", conf={
            "spark.ui.enabled": "false", "spark.driver.memory": "4g",
            "spark.sql.shuffle.partitions": str(max(2, 2 * cores))})
        corpus = policypulse.open(store, engine="spark")
    startup = time.perf_counter() - t0
    out: dict[str, Any] = {"engine": engine, "cores": cores, "startup_s": startup, "docs": corpus.store.count()}
    workloads = {
        "one idea": lambda: corpus.engine.counts(ideas[:1], "month"),
        "watchlist": lambda: corpus.engine.counts(ideas, "month"),
        "track": lambda: corpus.track(ideas[0], by="month"),
    }
    results = {}
    for name, fn in workloads.items():
        t = time.perf_counter()
        frame = fn()  # warm-up (JIT, page cache, Spark's code generation)
        first = time.perf_counter() - t
        runs, cpu = [], []
        for _ in range(repeat):
            c, t = cpu_seconds(), time.perf_counter()
            frame = fn()
            runs.append(time.perf_counter() - t)
            cpu.append(cpu_seconds() - c)
        sums = frame.groupby("idea")["docs"].sum().astype(int).to_dict() if name != "track" else {}
        results[name] = {"first_s": first, "runs_s": runs, "median_s": statistics.median(runs), "cpu_s": cpu,
                         "median_cpu_s": statistics.median(cpu), "docs_by_idea": sums}
    out["workloads"] = results
    out["load"] = [round(x, 2) for x in os.getloadavg()]
    corpus.close()
    return out


def run_worker(engine: str, cores: int, store: Path, ideas: list[str], repeat: int) -> dict[str, Any]:
    cmd = [PY, __file__, "--worker", engine, "--cores", str(cores), "--store", str(store),
           "--ideas-json", json.dumps(ideas), "--repeat", str(repeat)]
    env = dict(os.environ, PYSPARK_PYTHON=PY)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} x{cores} failed:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_wall_s"] = time.perf_counter() - t0
    return res


def phrases_worker(engine: str, cores: int, store: str) -> dict[str, Any]:
    """Discovery's phrase counting of every segment of ``store``: embedded (numpy) or Spark (built-ins)."""
    from policypulse.corpus.store import Store

    paths = Store(store).segment_paths()
    t0 = time.perf_counter()
    c0 = cpu_seconds()
    if engine == "embedded":
        from policypulse.discover.ngrams import count_table, read_segment

        counted = [count_table(read_segment(str(p)), sketches=False) for p in paths]
        rows, docs = sum(c.phrases.num_rows for c in counted), sum(c.docs for c in counted)
        startup = 0.0
    else:
        from policypulse.discover.spark_phrases import count_phrases
        from policypulse.query.engines.spark import spark_session

        spark, _ = spark_session(f"local[{cores}]", app_name="policypulse-bench-phrases", conf={
            "spark.ui.enabled": "false", "spark.driver.memory": "4g",
            "spark.sql.shuffle.partitions": str(max(2, 2 * cores))})
        startup = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), cpu_seconds()
        phrases, _, sizes = count_phrases(spark, [p.resolve().as_uri() for p in paths])
        phrases.write.format("noop").mode("overwrite").save()  # every row computed, nothing collected
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        rows, docs = phrases.count(), int(sizes.groupBy().sum("docs").collect()[0][0])
        return {"engine": engine, "cores": cores, "startup_s": startup, "wall_s": wall, "cpu_s": cpu, "rows": rows,
                "docs": docs}
    return {"engine": engine, "cores": cores, "startup_s": startup, "wall_s": time.perf_counter() - t0,
            "cpu_s": cpu_seconds() - c0, "rows": rows, "docs": docs}


def ingest_worker(cores: int, src: str, out: str) -> dict[str, Any]:
    from policypulse.corpus.spark_ingest import spark_ingest

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    report = spark_ingest(out, [src], master=f"local[{cores}]", verify=200)
    return {"cores": cores, "wall_s": time.perf_counter() - t0, "accepted": report.accepted,
            "mismatches": report.verification.get("mismatches"), "bytes": os.path.getsize(src)}


# -- the report ----------------------------------------------------------------------------------------


def write_report(n: int, rows: list[dict[str, Any]], ingest: list[dict[str, Any]], meta: dict[str, Any],
                 phrases: list[dict[str, Any]] | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"spark-{label(n)}"
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "runs": rows, "ingest": ingest,
                                                      "phrases": phrases or []}, indent=1))
    lines = [
        f"# Spark engine benchmark (issue 8), {n:,} documents",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        (f"- load: other engineers run tests on this machine concurrently; 1/5/15-min load average "
        f"{meta['load_start']} at the start, {meta['load_end']} at the end (2 cores: figures are lower bounds)"),
        (f"- corpus: `bench/corpus.py` seed 20140101, {n:,} documents, store `{meta['store']}` "
        f"({meta['store_gb']:.2f} GB of Parquet, {meta['segments']} segments); ideas: the corpus's "
        f"{meta['n_ideas']} planted aliases"),
        ("- each configuration in its own process; times are the median of "
        f"{meta['repeat']} runs after one warm-up; docs/s = documents / median wall time"),
        "",
        ("| engine | cores | start-up | workload | first run | median wall | docs/s (wall) | docs/s per core (wall) "
        "| median CPU | docs per CPU-second |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for w, v in r["workloads"].items():
            dps = r["docs"] / v["median_s"]
            cpu = v.get("median_cpu_s")
            cpu_cols = f"{cpu:.2f} s | {r['docs'] / cpu:,.0f}" if cpu else "n/a | n/a"
            lines.append(f"| {r['engine']} | {r['cores']} | {r['startup_s']:.1f} s | {w} | {v['first_s']:.2f} s | "
                         f"{v['median_s']:.2f} s | {dps:,.0f} | {dps / r['cores']:,.0f} | {cpu_cols} |")
    lines += ["", "## Scaling", "", "| engine | workload | 1 core | 2 cores | speed-up (2 vs 1) |", "|---|---|---|---|---|"]
    by = {(r["engine"], r["cores"]): r for r in rows}
    for eng in ("duckdb", "spark"):
        if (eng, 1) in by and (eng, 2) in by:
            for w in by[(eng, 1)]["workloads"]:
                a, b = by[(eng, 1)]["workloads"][w]["median_s"], by[(eng, 2)]["workloads"][w]["median_s"]
                lines.append(f"| {eng} | {w} | {a:.2f} s | {b:.2f} s | {a / b:.2f}x |")
    if ("duckdb", 2) in by and ("spark", 2) in by:
        lines += ["", "Spark / DuckDB time ratio at 2 cores: " + ", ".join(
            f"{w} {by[('spark', 2)]['workloads'][w]['median_s'] / by[('duckdb', 2)]['workloads'][w]['median_s']:.1f}x"
            for w in by[("spark", 2)]["workloads"])]
    lines += ["", (f"Counts: Spark equals DuckDB on every workload: **{meta['counts_equal']}**; "
              f"DuckDB equals the generator's truth: **{meta['truth_equal']}**.")]
    if ingest:
        lines += ["", "## Spark ingest job (JSONL -> store)", "", ("| cores | documents | MB | wall | docs/s | MB/s | "
                  "sample mismatches |"), "|---|---|---|---|---|---|---|"]
        for g in ingest:
            lines.append(f"| {g['cores']} | {g['accepted']:,} | {g['bytes'] / 1e6:.0f} | {g['wall_s']:.1f} s | "
                         f"{g['accepted'] / g['wall_s']:,.0f} | {g['bytes'] / 1e6 / g['wall_s']:.1f} | {g['mismatches']} |")
    if phrases:
        lines += ["", "## Discovery's phrase counting (1-4-token phrases per segment and month)", "",
                  "| counter | cores | documents | start-up | wall | CPU | docs/s (wall) | docs per CPU-second | rows |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for g in phrases:
            lines.append(f"| {g['engine']} | {g['cores']} | {g['docs']:,} | {g['startup_s']:.1f} s | {g['wall_s']:.1f} s | "
                         f"{g['cpu_s']:.1f} s | {g['docs'] / g['wall_s']:,.0f} | {g['docs'] / max(g['cpu_s'], 1e-9):,.0f} | "
                         f"{g['rows']:,} |")
        lines.append(f"\nRow counts equal: **{len({g['rows'] for g in phrases}) == 1}**.")
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ideas", type=int, default=50, help="watchlist size (planted aliases)")
    ap.add_argument("--ingest-docs", type=int, default=0, help="also time the Spark ingest on this many documents")
    ap.add_argument("--phrase-docs", type=int, default=0,
                    help="also time discovery's phrase counting (embedded vs Spark) on this many documents")
    ap.add_argument("--only", default="duckdb,spark")
    ap.add_argument("--cores-list", default="1,2", help="core counts to run (comma-separated)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--cores", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--store", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ideas-json", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--src", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker in ("phrases-embedded", "phrases-spark"):
        print(json.dumps(phrases_worker(args.worker.removeprefix("phrases-"), args.cores, args.store)))
        return
    if args.worker == "ingest":
        print(json.dumps(ingest_worker(args.cores, args.src, args.store)))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.cores, args.store, args.ideas_json, args.repeat)))
        return

    load_start = [round(x, 2) for x in os.getloadavg()]
    store, truth = ensure_store(args.docs)
    ideas = list(truth["ideas"])[: args.ideas]
    rows = []
    for eng in args.only.split(","):
        for cores in (int(c) for c in args.cores_list.split(",")):
            log(f"{eng} x{cores}")
            rows.append(run_worker(eng, cores, store, ideas, args.repeat))
            log(json.dumps({w: round(v["median_s"], 2) for w, v in rows[-1]["workloads"].items()}))
    ref = next((r for r in rows if r["engine"] == "duckdb"), rows[0])
    counts_equal = all(r["workloads"][w]["docs_by_idea"] == ref["workloads"][w]["docs_by_idea"]
                       for r in rows for w in ("one idea", "watchlist"))
    truth_equal = all(ref["workloads"]["watchlist"]["docs_by_idea"].get(a, 0) == truth["ideas"][a]["total_docs"]
                      for a in ideas)
    ingest = []
    if args.ingest_docs:
        src = DATA / f"corpus-{args.docs}.jsonl"
        part = DATA / f"corpus-{args.docs}-first{args.ingest_docs}.jsonl"
        if not part.exists():
            with open(src, "rb") as fi, open(part, "wb") as fo:
                for i, line in enumerate(fi):
                    if i >= args.ingest_docs:
                        break
                    fo.write(line)
        for cores in (1, 2):
            log(f"spark ingest x{cores} ({args.ingest_docs:,} documents)")
            cmd = [PY, __file__, "--worker", "ingest", "--cores", str(cores), "--src", str(part),
                   "--store", str(DATA / f"spark-ingest-{label(args.ingest_docs)}")]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYSPARK_PYTHON=PY), check=False)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            ingest.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    phrases = []
    if args.phrase_docs:
        src = DATA / f"corpus-{args.docs}.jsonl"
        part = DATA / f"corpus-{args.docs}-first{args.phrase_docs}.jsonl"
        if not part.exists():
            with open(src, "rb") as fi, open(part, "wb") as fo:
                for i, line in enumerate(fi):
                    if i >= args.phrase_docs:
                        break
                    fo.write(line)
        pstore = DATA / f"store-phrases-{label(args.phrase_docs)}"
        if not (pstore / "manifest.json").exists():
            import policypulse

            policypulse.ingest(pstore, [part], fmt="jsonl")
        for eng, cores in (("embedded", 1), ("spark", 1), ("spark", 2)):
            log(f"phrase counting: {eng} x{cores} ({args.phrase_docs:,} documents)")
            cmd = [PY, __file__, "--worker", f"phrases-{eng}", "--cores", str(cores), "--store", str(pstore)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYSPARK_PYTHON=PY),
                                  timeout=7200, check=False)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            phrases.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    from policypulse.corpus.store import Store

    s = Store(store)
    import importlib.metadata as md

    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; Python "
                   f"{platform.python_version()}, PySpark {md.version('pyspark')}, DuckDB {md.version('duckdb')}, "
                   f"Java {subprocess.run(['java', '-version'], capture_output=True, text=True, check=False).stderr.split(chr(34))[1]}",
        "load_start": load_start, "load_end": [round(x, 2) for x in os.getloadavg()],
        "store": str(store.relative_to(BENCH.parent)), "segments": len(s.segment_paths()),
        "store_gb": sum(p.stat().st_size for p in s.segment_paths()) / 2**30,
        "n_ideas": len(ideas), "repeat": args.repeat, "counts_equal": counts_equal, "truth_equal": truth_equal,
    }
    path = write_report(args.docs, rows, ingest, meta, phrases)
    print(path.read_text())


if __name__ == "__main__":
    main()
