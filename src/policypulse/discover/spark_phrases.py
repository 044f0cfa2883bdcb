"""Phrase statistics on Apache Spark: the per-segment tables that ``discover.index`` merges, counted in Spark.

``discover.ngrams.count_table`` counts one segment in one Python process (numpy over the segment's
tokens). Here the same counts come from Spark's built-in functions only (``split``, ``sequence``,
``filter``, ``transform``, ``slice``, ``array_join``, ``explode``, ``rlike``, ``IN``, ``GROUP BY``;
no Python UDF touches a document), one segment per input file, so that a corpus beyond one machine gets its
discovery statistics from the executors::

    from policypulse.discover.spark_phrases import index_phrases_spark
    index_phrases_spark(Store("news"), master="spark://head:7077")   # or: policypulse index-phrases news --engine spark

What is counted, row for row as ``count_table`` does (``test_spark.py`` checks equality):

* tokens: the stored ``norm`` split on its double space; a phrase is 1 to ``MAX_N`` consecutive tokens
  of one document whose first and last tokens are not boundary stopwords (``stopwords.is_boundary``:
  the stopword list, one character after a leading ``#``, or digits only in Python's ``str.isdigit``
  sense, superscripts included; the character class is generated from Python at import);
* rows ``phrase, n, period, precision, docs, occ`` per segment: distinct documents and occurrences per
  period bucket (the month of day- and month-precision documents, the year of year-precision ones), for
  phrases in at least ``m = 1 + floor(EPSILON * documents)`` documents of the segment (lossy counting);
  plus the empty phrase (``n = 0``) with the documents per bucket;
* token totals (every token, stopwords included) and the segment's documents and tokens, which the merge
  reads from the phrase file's metadata. Fallback-dated documents are left out, as ``read_segment`` does.

Context sketches (``discover/context.py``) are the one part not in built-ins: each word's vector is the
bits of its BLAKE2b hash, which Spark lacks, and a sketch sums windows around a hashed sample of
occurrences. ``index_phrases_spark`` therefore computes the sketch files with the embedded code, one
segment per Spark task (a Python function over segment *paths*, reading each file itself): correct and
distributed, but that task counts its segment again in numpy, so a Spark build costs about one embedded
count per segment on the executors besides the built-in counting. See docs/scaling.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from policypulse.corpus.store import Store
from policypulse.discover.ngrams import EPSILON, MAX_N, PHRASE_SCHEMA, PROPS_COLUMNS, SKETCH_SCHEMA, TOKEN_SCHEMA
from policypulse.discover.stopwords import STOPWORDS


def _digit_class() -> str:
    """A Java regex character class of every character Python's ``str.isdigit`` accepts (as literals)."""
    ranges: list[list[int]] = []
    for c in range(sys.maxunicode + 1):
        if chr(c).isdigit():
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    # Digits are never regex metacharacters inside a class, so the characters stand as themselves.
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


DIGITS_ONLY = "^" + _digit_class() + "+$"


def is_boundary_col(w: Any) -> Any:
    """Spark Column: ``stopwords.is_boundary`` of a token column (built-ins only)."""
    from pyspark.sql import functions as F

    # IN with many literals becomes a hash-set lookup (Spark's InSet), not a scan of the list.
    return (w.isin(*sorted(STOPWORDS)) | (F.char_length(F.regexp_replace(w, "^#+", "")) <= 1)
            | w.rlike(DIGITS_ONLY))


def _docs_frame(spark: Any, paths: list[str], include_fallback: bool) -> Any:
    """One row per counted document: segment (file name), bucket, tokens, boundary flags."""
    from pyspark.sql import functions as F

    from policypulse.corpus.spark_ingest import read_documents

    docs = read_documents(spark, paths).select("norm", "date", "date_precision", "date_source",
                                               F.col("_metadata.file_name").alias("segment"))
    if not include_fallback:
        docs = docs.where("date_source <> 'fallback'")
    is_year = F.col("date_precision") == "year"
    return (docs
            .withColumn("period", F.when(is_year, F.trunc("date", "YEAR")).otherwise(F.trunc("date", "MONTH")))
            .withColumn("precision", F.when(is_year, F.lit("year")).otherwise(F.lit("month")))
            # trim and split as the embedded tokeniser: an empty norm is one empty token (a boundary)
            .withColumn("toks", F.split(F.trim(F.col("norm")), "  "))
            .withColumn("bnd", F.transform("toks", is_boundary_col))
            .drop("norm", "date", "date_precision", "date_source"))


def _grams(docs: Any) -> Any:
    """Candidate phrases per document: ``segment, period, precision, phrase, occ`` (one row per distinct phrase)."""
    from pyspark.sql import functions as F

    def ends_free(n: int) -> Any:
        # (a factory, not a default argument: PySpark passes a second argument, the index, to
        # two-parameter lambdas)
        return lambda i: ~F.element_at("bnd", i + 1) & ~F.element_at("bnd", i + n)

    def gram(n: int) -> Any:
        return lambda i: F.array_join(F.slice("toks", i + 1, n), " ")

    per_n = []
    for n in range(1, MAX_N + 1):
        # start indexes (0-based) of the n-grams inside the document whose ends are not boundaries;
        # sequence(0, size - n) runs backwards when the document is shorter than n, hence the guard.
        starts = F.when(F.size("toks") >= n, F.sequence(F.lit(0), F.size("toks") - n)).otherwise(
            F.array().cast("array<int>"))
        per_n.append(F.transform(F.filter(starts, ends_free(n)), gram(n)))
    # Phrases as plain strings (tokens hold no spaces, so the string is the key and n its word count).
    # A document's phrases are sorted and collapsed into runs inside the document's row (occurrences of a
    # phrase = the length of its run), so one row per (document, distinct phrase) leaves the task instead
    # of one per occurrence: about 4x less to aggregate than exploding occurrences and counting distinct.
    sorted_grams = F.array_sort(F.flatten(F.array(*per_n)))
    size = F.size("s")
    # 1-based ends of the runs: the last position, and every position whose successor differs
    # (CASE, not OR: the successor of the last position does not exist)
    ends = F.filter(F.sequence(F.lit(1), size), lambda i: F.when(i == size, F.lit(True)).otherwise(
        F.element_at("s", i) != F.element_at("s", i + 1)))
    runs = (docs.select("segment", "period", "precision", sorted_grams.alias("s")).where(size > 0)
            .withColumn("ends", ends)
            .withColumn("prev", F.concat(F.array(F.lit(0)), F.slice("ends", 1, F.size("ends") - 1))))
    return (runs.select("segment", "period", "precision", F.explode(F.arrays_zip(
                F.transform("ends", lambda e: F.element_at("s", e)).alias("phrase"),
                F.zip_with("ends", "prev", lambda e, p: e - p).alias("occ"))).alias("r"))
            .select("segment", "period", "precision", "r.phrase", "r.occ"))


def count_phrases(spark: Any, paths: list[str], *, min_docs: int | None = None,
                  include_fallback: bool = False) -> tuple[Any, Any, Any]:
    """Spark DataFrames of the phrase rows, token totals and sizes of each segment (one per file of ``paths``).

    ``phrases``: ``segment`` plus the columns of ``ngrams.PHRASE_SCHEMA`` (what ``count_table(...).phrases``
    gives per segment); ``tokens``: ``segment, token, occ``; ``sizes``: ``segment, docs, tokens, min_docs``.
    ``min_docs`` replaces the lossy-counting threshold (``count_table``'s parameter of the same name).
    """
    from pyspark.sql import functions as F

    docs = _docs_frame(spark, paths, include_fallback)
    sizes = docs.groupBy("segment").agg(F.count(F.lit(1)).alias("docs"),
                                        F.sum(F.size("toks")).cast("bigint").alias("tokens"))
    threshold = F.lit(min_docs) if min_docs is not None else 1 + F.floor(F.col("docs") * F.lit(EPSILON))
    sizes = sizes.withColumn("min_docs", threshold.cast("bigint"))
    tokens = (docs.select("segment", F.explode("toks").alias("token")).where("token <> ''")
              .groupBy("segment", "token").agg(F.count(F.lit(1)).cast("bigint").alias("occ")))
    buckets = (_grams(docs).groupBy("segment", "phrase", "period", "precision")
               .agg(F.count(F.lit(1)).alias("docs"), F.sum("occ").alias("occ"))
               .withColumn("n", F.size(F.split("phrase", " ")).cast("tinyint")))
    # a phrase is kept in a segment when it occurs in at least min_docs of the segment's documents
    kept = (buckets.groupBy("segment", "phrase").agg(F.sum("docs").alias("df"))
            .join(F.broadcast(sizes.select("segment", "min_docs")), "segment")
            .where("df >= min_docs").select("segment", "phrase"))
    counted = buckets.join(kept, ["segment", "phrase"], "left_semi")
    # the empty phrase (n = 0) occurs in every document: its rows are the documents per bucket (exposure)
    empty = (docs.groupBy("segment", "period", "precision").agg(F.count(F.lit(1)).alias("docs"))
             .select("segment", F.lit(0).cast("tinyint").alias("n"), F.lit("").alias("phrase"), "period",
                     "precision", "docs", F.col("docs").alias("occ")))
    cols = ["segment", "phrase", "n", "period", "precision", "docs", "occ"]
    phrases = (counted.select(*cols).unionByName(empty.select(*cols))
               .withColumn("docs", F.col("docs").cast("int")).withColumn("occ", F.col("occ").cast("int")))
    return phrases, tokens, sizes


def _sketch_rows(batches: Any) -> Any:
    """Context sketches of whole segments (``segment, path`` rows in, sketch rows out), on an executor."""
    from policypulse.discover.ngrams import count_table, read_segment

    for batch in batches:
        for segment, path in zip(batch.column("segment").to_pylist(), batch.column("path").to_pylist()):
            sk = count_table(read_segment(path)).sketches
            yield pa.RecordBatch.from_pydict({
                "segment": pa.array([segment] * sk.num_rows, pa.string()),
                "phrase": sk.column("phrase").combine_chunks().cast(pa.string()),
                "docs": sk.column("docs").combine_chunks().cast(pa.int32()),
                "vec": sk.column("vec").combine_chunks().cast(pa.list_(pa.float32())),
                **{c: sk.column(c).combine_chunks().cast(pa.int32()) for c in PROPS_COLUMNS},
            })


def _one_file(parts: Path, schema: pa.Schema, segment: str) -> pa.Table:
    """The rows of one segment from a Spark output partitioned by segment (empty if Spark wrote none)."""
    folder = parts / f"segment={segment}"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return schema.empty_table()
    # (pyarrow may add the partition column from the directory name: select leaves it out)
    table = pa.concat_tables([pq.read_table(f).select(schema.names) for f in files])
    return table.cast(schema)


def _sketch_file(parts: Path, segment: str) -> pa.Table:
    """One segment's sketch rows as ``SKETCH_SCHEMA`` (Spark writes the vectors as variable-size lists)."""
    folder = parts / f"segment={segment}"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return SKETCH_SCHEMA.empty_table()
    table = pa.concat_tables([pq.read_table(f, columns=["phrase", "docs", "vec", *PROPS_COLUMNS])
                              for f in files]).combine_chunks()
    values = table.column("vec").chunk(0).flatten() if table.num_rows else pa.array([], pa.float32())
    vec = pa.FixedSizeListArray.from_arrays(values.cast(pa.float32()), SKETCH_SCHEMA.field("vec").type.list_size)
    return pa.table({"phrase": table.column("phrase"), "docs": table.column("docs"), "vec": vec,
                     **{c: table.column(c) for c in PROPS_COLUMNS}}, schema=SKETCH_SCHEMA)


def index_phrases_spark(store: Store, version: int | None = None, *, spark: Any = None, master: str | None = None,
                        force: bool = False, progress: Any = None) -> Any:
    """``discover.index_phrases`` with the segments counted on Spark; the merge is the embedded one.

    Writes, for every segment of ``version`` without phrase files (all with ``force``), the same three files
    the embedded builder writes, then merges the version (``discover.index._merge``: DuckDB on the driver,
    reading the per-segment files). The store must be on a file system the executors read and the driver
    writes (local mode; a shared mount on a cluster), as for the Spark ingest.
    """
    from policypulse.discover import index as ix
    from policypulse.query.engines.spark import spark_session

    v = store.version if version is None else version
    info = store.version_info(v)
    pdir = ix.phrase_dir(store)
    vdir = ix.version_dir(pdir, v)
    segments = list(info["segments"])
    if (vdir / "meta.json").exists() and not force:
        meta = json.loads((vdir / "meta.json").read_text())
        return ix.BuildReport(v, len(segments), 0, meta["documents"], meta["tokens"], meta["phrases"], meta["rows"],
                              0.0, 0.0, str(vdir), False)
    todo = [s for s in segments if force or not ix.segment_files(pdir, s)[0].exists()]
    owns = False
    if todo and spark is None:
        spark, owns = spark_session(master, app_name="policypulse-phrases")
    t0 = time.perf_counter()
    per_segment: list[dict[str, Any]] = []
    try:
        if todo:
            if progress:
                progress(f"counting phrases in {len(todo)} segment(s) on Spark")
            per_segment = _count_to_files(spark, store, pdir, todo)
    finally:
        if owns:
            spark.stop()
    t1 = time.perf_counter()
    if progress:
        progress("merging phrase statistics")
    meta = ix._merge(store, pdir, segments, vdir, v)
    t2 = time.perf_counter()
    return ix.BuildReport(v, len(segments), len(todo), meta["documents"], meta["tokens"], meta["phrases"],
                          meta["rows"], t1 - t0, t2 - t1, str(vdir), True, per_segment)


def _count_to_files(spark: Any, store: Store, pdir: Path, todo: list[str]) -> list[dict[str, Any]]:
    """Count ``todo`` segments on Spark and write their phrase, token and sketch files; per-segment facts."""
    from policypulse.discover import index as ix

    paths = [(store.path / "segments" / s).resolve() for s in todo]
    phrases, tokens, sizes = count_phrases(spark, [p.as_uri() for p in paths])
    # Spark writes the (large) phrase and token rows partitioned by segment beside the phrase files; the
    # driver turns each segment's parts into the one file (with metadata) that the merge reads.
    work = pdir / f".spark-{uuid.uuid4().hex}"
    try:
        phrases.write.partitionBy("segment").parquet((work / "phrases").as_uri())
        tokens.write.partitionBy("segment").parquet((work / "tokens").as_uri())
        facts = {r["segment"]: r.asDict() for r in sizes.collect()}
        # The context sketches: the embedded code, one segment per task (see the module's docstring).
        jobs = spark.createDataFrame([(s, str(p)) for s, p in zip(todo, paths)], "segment string, path string")
        jobs = jobs.repartition(len(todo))
        out = jobs.mapInArrow(_sketch_rows, "segment string, phrase string, docs int, vec array<float>, "
                                + ", ".join(f"{c} int" for c in PROPS_COLUMNS))
        out.write.partitionBy("segment").parquet((work / "sketches").as_uri())
        result = []
        for seg in todo:
            t = time.perf_counter()
            fact = facts.get(seg, {"docs": 0, "tokens": 0, "min_docs": 1})
            meta = {"method": ix.METHOD, "docs": int(fact["docs"]), "tokens": int(fact["tokens"] or 0),
                    "min_docs": int(fact["min_docs"]), "epsilon": EPSILON, "max_n": MAX_N, "counted": "spark"}
            stamp = {"policypulse": json.dumps(meta)}
            ph_path, tok_path, sk_path = ix.segment_files(pdir, seg)
            sk = _sketch_file(work / "sketches", seg)
            ix._atomic_parquet(_one_file(work / "tokens", TOKEN_SCHEMA, seg).replace_schema_metadata(stamp), tok_path)
            ix._atomic_parquet(sk, sk_path)
            table = _one_file(work / "phrases", PHRASE_SCHEMA, seg)
            ix._atomic_parquet(table.replace_schema_metadata(stamp), ph_path)  # written last: the segment is done
            result.append({**meta, "rows": table.num_rows, "seconds": time.perf_counter() - t})
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["DIGITS_ONLY", "count_phrases", "index_phrases_spark", "is_boundary_col"]
