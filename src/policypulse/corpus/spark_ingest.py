"""The large-corpus ingest: raw JSON Lines or Parquet -> the store's Parquet layout, on Apache Spark.

``policypulse ingest`` reads, validates and normalises documents in one Python process (about 1-3 MB/s of
text per core). A corpus of hundreds of millions of documents is ingested instead by this Spark job,
which does the same work on every executor with Spark's built-in functions and writes segments and a
manifest version that :class:`~policypulse.corpus.store.Store` (and so every engine) opens::

    python -m policypulse.corpus.spark_ingest STORE INPUT... [--format jsonl|parquet] [--master URL]
        [--date-field F --text-field F --source-field F --id-field F --title-field F]
        [--default-date YYYY-MM-DD] [--default-source NAME] [--records-per-segment N]
        [--verify-sample N] [--report FILE.json] [--rejected-out DIR]

    spark-submit --master yarn "$(python -c 'import policypulse.corpus.spark_ingest as m; print(m.__file__)')" \\
        /shared/stores/news s3a://bucket/raw/news/*.jsonl.gz

INPUT is any path Spark reads (local, HDFS, S3, GCS; globs and compressed JSON Lines included). STORE is a
directory the driver writes (local disk, NFS, DBFS's /dbfs FUSE mount, ...); the executors write the
segments into it too, so on a cluster it must be a shared file system (docs/scaling.md).

What is the same as ``policypulse ingest`` (and checked on a sample at the end of every run, see
:func:`verify_sample`): the stored normalised string ``norm`` and ``n_words`` (the matching rule), the
date and its precision for ISO 8601 dates, the exact-duplicate key (BLAKE2b of date, source and norm, so
a later ``policypulse ingest`` into the same store deduplicates against these documents), ``doc_id``
defaults, the segment schema, the totals file and the manifest's version entry.

The matching rule in Spark built-ins (no Python on the normalisation path):

* control characters become spaces (``text.clean_text``) and invisible format characters are removed
  (``text.prepare``), with ``regexp_replace`` over the character classes that ``policypulse.text`` defines
  for Python and Java alike;
* non-ASCII text is NFC-composed and *casefolded* with ICU4J, which Spark 4 ships
  (``reflect('com.ibm.icu.text.Normalizer', 'compose', ...)`` and ``UCharacter.foldCase``: full Unicode
  case folding, so ``ß`` -> ``ss`` and final ``ς`` -> ``σ`` as in Python's ``str.casefold``); ASCII text
  takes ``lower``. Without ICU4J on the classpath (Spark 3.5), ``lower`` plus fixes for ``ß``, ``ẞ``, ``ς``
  and the Latin ligatures is used and NFC is skipped: the verification sample then reports documents
  whose tokens differ (decomposed accents, rare case-folding expansions);
* tokens are ``regexp_extract_all(text, '#?[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}]*', 0)``: a Unicode letter or
  number (what Python's ``[^\\W_]`` matches), then letters, numbers and combining marks (the categories of
  ``_marks.py``), up to the Unicode versions of Java and Python; ASCII text takes
  ``'#?[a-z0-9]+'`` after ``lower``, as ``text.tokens`` takes its ASCII fast path;
  ``i`` + combining dot above (casefolded ``İ``) becomes ``i`` as in ``text.prepare``;
* ``norm`` is ``' ' || concat_ws('  ', tokens) || ' '`` (each token in its own pair of spaces).

What differs, by design (and why):

* mojibake repair (``ftfy.fix_encoding``) is Python only: not applied here. The verification sample counts
  the documents it would have changed; run ``policypulse ingest`` on inputs with broken encodings;
* dates: ISO 8601 only (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY/MM/DD``, timestamps with or without
  zone -> their UTC date), plus Parquet date/timestamp columns and integer years. Other spellings
  (``03/04/2014``, ``4 March 2014``) are rejected with a reason naming ``policypulse ingest``, whose
  ``dateparser`` reads them;
* field mapping: the first candidate field present in the input's (merged) schema is used for every
  record, where ``policypulse ingest`` looks per record;
* ``origin_record``: the 0-based row index for Parquet inputs; -1 for JSON Lines, where Spark has no
  line numbers (``origin_file`` and ``doc_id`` identify the record). Rejections name the file and the
  ``doc_id`` candidate instead of a line;
* invalid JSON lines are rejected as a whole with the reason ``invalid JSON``.

The one Python function in the job computes the BLAKE2b duplicate key (a vectorised pandas UDF on
``date``, ``source`` and ``norm``): BLAKE2b is not a Spark built-in, and the same key is what keeps a
store deduplicated across ingests. Counting never runs Python on documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from policypulse.corpus.readers.base import DATE_FIELDS, ID_FIELDS, SOURCE_FIELDS, TEXT_FIELDS, TITLE_FIELDS
from policypulse.corpus.store import Store
from policypulse.errors import PolicyPulseError, UsageError
from policypulse.text import (
    JAVA_ASCII_TOKEN_RE,
    JAVA_CONTROL_RE,
    JAVA_FORMAT_RE,
    JAVA_TOKEN_RE,
)

RECORDS_PER_SEGMENT = 200_000
_META_MAX = 1000

# The text rules' character classes as Java regexes (policypulse.text): one definition for Python and Spark.
CONTROL_RE = JAVA_CONTROL_RE
FORMAT_RE = JAVA_FORMAT_RE
TOKEN_RE = JAVA_TOKEN_RE
ASCII_TOKEN_RE = JAVA_ASCII_TOKEN_RE
NON_ASCII_RE = "[^\\x{0}-\\x{7f}]"
# ISO 8601 as corpus.dates reads it: year, month, day, then an optional time and zone.
ISO_RE = (r"^(\d{4})(?:-(\d{2})(?:-(\d{2})([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$")
YEAR_FIRST_SLASH_RE = r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$"
MIN_YEAR = 1  # as corpus.dates: any year 1 to 9999
NUMBER_YEARS = (1000, 2999)  # as corpus.dates: a bare number is a year only in this window

# Casefold without ICU4J: lower() and the full foldings that lower() does not do for common scripts.
_FOLD_FIXES = (("ß", "ss"), ("ẞ", "ss"), ("ς", "σ"), ("ﬀ", "ff"), ("ﬁ", "fi"), ("ﬂ", "fl"), ("ﬃ", "ffi"),
               ("ﬄ", "ffl"), ("ﬅ", "st"), ("ﬆ", "st"))


@dataclass
class SparkIngestReport:
    """What became of the input: accepted, duplicate or rejected (reasons counted; a sample listed)."""

    accepted: int = 0
    duplicates: int = 0
    rejected_total: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    store: str = ""
    segments: int = 0
    seconds: float = 0.0
    casefold: str = ""
    verification: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``--report`` JSON (the contract's keys, plus totals by reason and the verification)."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_total": self.rejected_total,
            "rejected_by_reason": self.rejected_by_reason,
            "version": self.version,
            "segments": self.segments,
            "seconds": round(self.seconds, 3),
            "casefold": self.casefold,
            "verification": self.verification,
        }

    def summary(self) -> str:
        """One line for stderr."""
        v = self.verification
        check = f"; sample check {v.get('checked', 0)} documents, {v.get('mismatches', 0)} differ" if v else ""
        return (f"ingested {self.accepted} documents ({self.duplicates} duplicates, {self.rejected_total} rejected) "
                f"into {self.store} with Spark, now at version {self.version}{check}")


# -- column expressions ----------------------------------------------------------------------------------


def icu_available(spark: Any) -> bool:
    """Whether ICU4J (shipped with Spark 4) is on the JVM classpath for NFC and full case folding."""
    try:
        row = spark.sql("SELECT reflect('com.ibm.icu.lang.UCharacter', 'foldCase', 'Straße', true) AS f").first()
    except Exception:  # noqa: BLE001  (a missing class surfaces as a JVM error of any kind)
        return False
    return row is not None and row["f"] == "strasse"


def matching_view(col: Any, icu: bool) -> Any:
    """``text.prepare`` in Spark: format characters removed, NFC, casefolded (ASCII: lower)."""
    from pyspark.sql import functions as F

    cleaned = F.regexp_replace(col, FORMAT_RE, "")
    if icu:
        nfc = F.reflect(F.lit("com.ibm.icu.text.Normalizer"), F.lit("compose"), cleaned, F.lit(False))
        folded = F.reflect(F.lit("com.ibm.icu.lang.UCharacter"), F.lit("foldCase"), nfc, F.lit(True))
    else:
        folded = F.lower(cleaned)
        for a, b in _FOLD_FIXES:
            folded = F.replace(folded, F.lit(a), F.lit(b))
    # casefold turns the Turkish capital I with dot into "i" + a combining dot; text.prepare drops the dot.
    folded = F.replace(folded, F.lit("i\u0307"), F.lit("i"))
    return F.when(col.rlike(NON_ASCII_RE), folded).otherwise(F.lower(col))


def _clean_controls(col: Any) -> Any:
    """``text.clean_text``'s control characters in Spark: each becomes a space."""
    from pyspark.sql import functions as F

    return F.regexp_replace(col, CONTROL_RE, " ")


def tokens_col(text: Any, icu: bool) -> Any:
    """The tokens of the (cleaned) text under the matching rule, as an array of strings."""
    from pyspark.sql import functions as F

    ascii_text = ~text.rlike(NON_ASCII_RE)
    return F.when(ascii_text, F.regexp_extract_all(F.lower(text), F.lit(ASCII_TOKEN_RE), 0)).otherwise(
        F.regexp_extract_all(matching_view(text, icu), F.lit(TOKEN_RE), 0))


def norm_col(tokens: Any) -> Any:
    """The stored normalised string: each token in its own pair of spaces; '' without tokens."""
    from pyspark.sql import functions as F

    return F.when(F.size(tokens) == 0, F.lit("")).otherwise(
        F.concat(F.lit(" "), F.concat_ws("  ", tokens), F.lit(" ")))


def read_documents(spark: Any, paths: list[str]) -> Any:
    """Segments as a Spark DataFrame with ``norm``: stored (schema 1 and 2) or derived from ``text`` (schema 3),
    with the same built-ins that Spark ingest tokenises with."""
    from pyspark.sql import functions as F

    docs = spark.read.option("mergeSchema", "true").parquet(*paths)
    derived = norm_col(tokens_col(F.col("text"), icu_available(spark)))
    return docs.withColumn("norm", F.coalesce(F.col("norm"), derived) if "norm" in docs.columns else derived)


def _date_cols(raw: Any, dtype: str, today: dt.date) -> tuple[Any, Any, Any]:
    """(date, precision, reason) from a raw date column of Spark type ``dtype``; reason is null when valid."""
    from pyspark.sql import functions as F

    def checked(d: Any, precision: str, shown: Any) -> tuple[Any, Any, Any]:
        reason = (F.when(d.isNull(), F.concat(F.lit("invalid date '"), shown, F.lit("'")))
                  .when(F.year(d) < MIN_YEAR,
                        F.concat(F.lit("implausible date '"), shown, F.lit(f"' (before year {MIN_YEAR})")))
                  .when(d > F.lit(today + dt.timedelta(days=1)),
                        F.concat(F.lit("date "), d.cast("string"), F.lit(" is in the future (quarantined)"))))
        return d, F.lit(precision), reason

    if dtype == "date":
        return checked(raw, "day", raw.cast("string"))
    if dtype.startswith("timestamp"):
        return checked(F.to_date(raw), "day", raw.cast("string"))
    if dtype in ("int", "bigint", "smallint", "tinyint"):
        year_ok = (raw >= NUMBER_YEARS[0]) & (raw <= NUMBER_YEARS[1])
        d = F.when(year_ok, F.make_date(raw.cast("int"), F.lit(1), F.lit(1)))
        d0, p0, r0 = checked(d, "year", raw.cast("string"))
        reason = F.when(~year_ok, F.concat(F.lit("date is a number ("), raw.cast("string"),
                                           F.lit("), expected a date string"))).otherwise(r0)
        return d0, p0, reason
    if dtype != "string":
        return F.lit(None).cast("date"), F.lit(None).cast("string"), F.lit(f"date is a {dtype}, expected a date string")

    s = F.trim(raw)
    y, m, d, tm, tz = (F.regexp_extract(s, ISO_RE, i) for i in range(1, 6))
    iso = s.rlike(ISO_RE)
    slash = s.rlike(YEAR_FIRST_SLASH_RE)
    sy, sm, sd = (F.regexp_extract(s, YEAR_FIRST_SLASH_RE, i) for i in range(1, 4))

    def ymd(yy: Any, mm: Any, dd: Any) -> Any:
        text = F.concat_ws("-", F.lpad(yy, 4, "0"), F.lpad(mm, 2, "0"), F.lpad(dd, 2, "0"))
        return F.to_date(F.try_to_timestamp(text, F.lit("yyyy-MM-dd")))

    # A zone given with a time: the UTC date of that instant (the session time zone is UTC).
    zoned = F.to_date(F.try_to_timestamp(F.regexp_replace(
        F.regexp_replace(s, "Z$", "+00:00"), r"([+-]\d{2})(\d{2})$", "$1:$2")))
    date = (F.when(iso & (m == ""), ymd(y, F.lit("01"), F.lit("01")))
            .when(iso & (d == ""), ymd(y, m, F.lit("01")))
            .when(iso & (tm != "") & (tz != ""), zoned)
            .when(iso, ymd(y, m, d))
            .when(slash, ymd(sy, sm, sd)))
    precision = (F.when(iso & (m == ""), F.lit("year")).when(iso & (d == ""), F.lit("month"))
                 .when(iso | slash, F.lit("day")))
    _, _, bad = checked(date, "day", s)
    reason = (F.when(s == "", F.lit("empty date"))
              .when(~(iso | slash), F.concat(
                  F.lit("date '"), s, F.lit("' is not ISO 8601; the Spark ingest reads YYYY, YYYY-MM, YYYY-MM-DD and "
                                            "timestamps (use policypulse ingest for other spellings)")))
              .otherwise(bad))
    return date, precision, reason


def _pick(columns: dict[str, str], explicit: str | None, candidates: tuple[str, ...], what: str) -> str | None:
    if explicit:
        if explicit.split(".")[0] not in columns and explicit not in columns:
            raise UsageError(f"--{what}-field {explicit!r} is not a field of the input "
                             f"(fields: {', '.join(sorted(columns)) or 'none'})")
        return explicit
    lowered = {k.lower(): k for k in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    return None


def _blake2b_udf() -> Any:
    """corpus.ingest's duplicate key as a vectorised pandas UDF: BLAKE2b-128 of ``date \\x1f source \\x1f norm``.

    Defined inside this function so that cloudpickle ships it by value: executors need pandas and pyarrow
    (PySpark's own requirements for pandas UDFs), not policypulse.
    """
    from pyspark.sql.functions import pandas_udf

    def doc_hash(date, source, norm):  # type: ignore[no-untyped-def]
        import hashlib as _hashlib

        import pandas as _pd

        return _pd.Series([
            _hashlib.blake2b(f"{d}\x1f{s}\x1f{n}".encode(), digest_size=16).hexdigest()
            for d, s, n in zip(date, source, norm)
        ])

    # Real classes, not the strings of ``from __future__ import annotations``: PySpark infers the UDF kind.
    doc_hash.__annotations__ = {"date": pd.Series, "source": pd.Series, "norm": pd.Series, "return": pd.Series}
    return pandas_udf(doc_hash, "string")  # type: ignore[call-overload]


# -- the job ---------------------------------------------------------------------------------------------


def read_input(spark: Any, inputs: list[str], fmt: str) -> tuple[Any, bool]:
    """The raw records and whether they carry Parquet row indexes."""
    from pyspark.sql import functions as F

    if fmt == "auto":
        exts = {Path(str(p).split("?")[0]).suffix.lower() for p in inputs}
        fmt = "parquet" if exts <= {".parquet", ".pq"} and exts else "jsonl"
    if fmt == "parquet":
        df = spark.read.parquet(*inputs)
        return df.select("*", F.col("_metadata.file_path").alias("_pp_file"),
                         F.col("_metadata.row_index").alias("_pp_row")), True
    if fmt in ("jsonl", "json"):
        df = (spark.read.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt_record")
              .json(list(inputs)))
        return df.select("*", F.col("_metadata.file_path").alias("_pp_file")), False
    raise UsageError(f"the Spark ingest reads --format jsonl or parquet, not {fmt!r}")


def normalise_frame(raw: Any, *, icu: bool, today: dt.date, row_index: bool, date_field: str | None = None,
                    text_field: str | None = None, source_field: str | None = None, id_field: str | None = None,
                    title_field: str | None = None, default_date: dt.date | None = None,
                    default_source: str | None = None) -> Any:
    """Raw records -> document rows of the store's schema plus ``_reason`` (null: accepted) and ``_raw_date``."""
    from pyspark.sql import functions as F

    types = dict(raw.dtypes)
    columns = {k: v for k, v in types.items() if k not in ("_corrupt_record", "_pp_file", "_pp_row")}
    text_key = _pick(columns, text_field, TEXT_FIELDS, "text")
    date_key = _pick(columns, date_field, DATE_FIELDS, "date")
    source_key = _pick(columns, source_field, SOURCE_FIELDS, "source")
    id_key = _pick(columns, id_field, ID_FIELDS, "id")
    title_key = _pick(columns, title_field, TITLE_FIELDS, "title")
    if text_key is None:
        raise UsageError(f"no text field in the input (tried {', '.join(TEXT_FIELDS)}); map one with --text-field")

    def typ(key: str) -> str:
        return str(types.get(key, types.get(key.split(".")[0], "string")))

    text = _clean_controls(F.col(text_key).cast("string"))
    toks = tokens_col(text, icu)

    if date_key is not None:
        d, p, date_reason = _date_cols(F.col(date_key), typ(date_key), today)
        raw_date = F.col(date_key).cast("string")
        missing_date = F.col(date_key).isNull() | (F.trim(raw_date) == "")
    else:
        d, p, date_reason = F.lit(None).cast("date"), F.lit(None).cast("string"), F.lit(None).cast("string")
        raw_date, missing_date = F.lit(None).cast("string"), F.lit(True)
    if default_date is not None:
        date = F.when(missing_date, F.lit(default_date)).otherwise(d)
        precision = F.when(missing_date, F.lit("day")).otherwise(p)
        date_source = F.when(missing_date, F.lit("fallback")).otherwise(F.lit("field"))
        date_reason = F.when(missing_date, F.lit(None).cast("string")).otherwise(date_reason)
    else:
        date, precision, date_source = d, p, F.lit("field")
        where = f"field '{date_key}' is empty" if date_key else (
            f"no field {', '.join(DATE_FIELDS[:6])}; map one with --date-field")
        date_reason = F.when(missing_date, F.lit(f"missing date ({where})")).otherwise(date_reason)

    fallback_source = default_source or "unknown"
    if source_key is not None:
        src = F.trim(_clean_controls(F.col(source_key).cast("string")))
        source = F.when(F.col(source_key).isNull() | (F.trim(F.col(source_key).cast("string")) == ""),
                        F.lit(fallback_source)).otherwise(src)
    else:
        source = F.lit(fallback_source)
    if title_key is not None:
        t = F.trim(_clean_controls(F.col(title_key).cast("string")))
        title = F.when(t == "", F.lit(None).cast("string")).otherwise(t)
    else:
        title = F.lit(None).cast("string")

    used = {text_key, date_key, source_key, title_key, id_key, *DATE_FIELDS}
    scalars = [k for k, v in columns.items() if k not in used and v in (
        "string", "int", "bigint", "double", "float", "boolean", "smallint", "tinyint")]
    meta_fields = [F.when(F.length(F.col(k).cast("string")) <= _META_MAX, F.col(k)).alias(k) for k in scalars]
    meta = F.to_json(F.struct(*meta_fields)) if meta_fields else F.lit(None).cast("string")

    # Text and tokens are computed once, in a first projection, and referred to by name below.
    staged = raw.select("*", text.alias("_text"), toks.alias("_tokens"))
    text, toks = F.col("_text"), F.col("_tokens")
    corrupt = F.col("_corrupt_record").isNotNull() if "_corrupt_record" in types else F.lit(False)
    reason = (F.when(corrupt, F.lit("invalid JSON"))
              .when(F.col(text_key).isNull(), F.lit(f"missing text (field '{text_key}' is null or absent)"))
              .when(F.trim(text) == "", F.lit("empty text"))
              .when(F.size(toks) == 0, F.lit("text has no words (only punctuation or symbols)"))
              .otherwise(date_reason))
    out = staged.select(
        (F.col(id_key).cast("string") if id_key else F.lit(None).cast("string")).alias("_id"),
        date.alias("date"),
        precision.alias("date_precision"),
        date_source.alias("date_source"),
        source.alias("source"),
        title.alias("title"),
        text.alias("text"),
        norm_col(toks).alias("norm"),
        F.size(toks).cast("int").alias("n_words"),
        F.regexp_replace(F.col("_pp_file"), "^file:(//)?", "").alias("origin_file"),
        (F.col("_pp_row") if row_index else F.lit(-1)).cast("bigint").alias("origin_record"),
        meta.alias("meta"),
        reason.alias("_reason"),
        raw_date.alias("_raw_date"),
    )
    return out


_SPARK_TYPES = {"string": "string", "large_string": "string", "date32[day]": "date", "int32": "int",
                "int64": "bigint", "binary": "binary", "large_binary": "binary", "double": "double", "bool": "boolean"}


def _store_columns(have: list[str]) -> list[Any]:
    """The segment columns in the store schema's order; a column this job does not compute (e.g. the
    near-duplicate ``minhash`` of schema 2) is written as NULL of its type, as in segments of older stores."""
    from pyspark.sql import functions as F

    from policypulse.corpus.schema import STORED_SCHEMA

    out = []
    for f in STORED_SCHEMA:  # norm is not stored: every reader derives it from the text (corpus/norms.py)
        if f.name in have:
            out.append(F.col(f.name))
        else:
            out.append(F.lit(None).cast(_SPARK_TYPES.get(str(f.type), "string")).alias(f.name))
    return out


def _finish(spark: Any, store: Store, new: list[tuple[str, int]], ingest_id: str, report: SparkIngestReport,
            inputs: list[str]) -> int:
    """Commit new segments and a version (same manifest and totals layout as corpus.ingest)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    manifest = store.read_manifest()
    for name, rows in new:
        manifest.segments[name] = {"rows": rows, "ingest": ingest_id}
        manifest.pending.append(name)
    store.write_manifest(manifest)  # commit point of the segments (a killed job completes on any re-run)
    manifest = store.read_manifest()
    previous = manifest.versions[-1]["segments"] if manifest.versions else []
    segments = previous + [s for s in manifest.pending if s not in previous]
    version = (manifest.versions[-1]["version"] if manifest.versions else 0) + 1
    totals = store.path / "totals" / f"v{version}.parquet"
    if segments:
        files = [(store.path / "segments" / s).resolve().as_uri() for s in segments]
        agg = (spark.read.parquet(*files).groupBy("date", "date_precision", "date_source", "source")
               .agg(F.count(F.lit(1)).alias("docs"), F.sum("n_words").cast("bigint").alias("words"))
               .toPandas())
        agg = agg.sort_values(["date", "date_precision", "date_source", "source", "docs", "words"])
        schema = pa.schema([("date", pa.date32()), ("date_precision", pa.string()), ("date_source", pa.string()),
                            ("source", pa.string()), ("docs", pa.int64()), ("words", pa.int64())])
        table = pa.Table.from_pandas(agg, schema=schema, preserve_index=False)
        tmp = totals.with_name(totals.name + ".tmp")
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, totals)
        fd = os.open(totals.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    manifest.versions.append({
        "version": version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "segments": segments,
        "documents": sum(manifest.segments[s]["rows"] for s in segments),
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": report.rejected_total,
        "inputs": inputs,
        "engine": "spark",
    })
    manifest.pending = []
    store.write_manifest(manifest)
    return version


def verify_sample(rows: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """Check Spark's work on sampled rows against Python's rules: ``normalise(clean_text(text))`` for
    accepted documents, ``parse_date`` for their dates and for dates Spark rejected (Python must reject
    them too; the wording of the reasons may differ). Rows: ``text, norm, n_words, _raw_date, date,
    date_precision, date_source, _reason``. Returns counts and the first differences with their cause."""
    import ftfy

    from policypulse.corpus.dates import DateError, parse_date
    from policypulse.text import clean_text, normalise

    out: dict[str, Any] = {"checked": len(rows), "mismatches": 0, "mojibake": 0, "examples": []}
    for r in rows:
        problems = []
        want_date: Any
        if r.get("_raw_date") is not None and r.get("date_source") != "fallback":
            try:
                want_date = parse_date(r["_raw_date"], today=today)
            except DateError:
                want_date = None
            got_date = None if r.get("_reason") else (r["date"], r["date_precision"])
            if want_date != got_date:
                problems.append({"what": "date", "raw": r["_raw_date"], "python": str(want_date),
                                 "spark": r.get("_reason") or str(got_date)})
        if not r.get("_reason"):
            text = r["text"]
            norm, n = normalise(clean_text(text))
            if (norm, n) != (r["norm"], r["n_words"]):
                fixed = not text.isascii() and ftfy.is_bad(text)
                out["mojibake"] += int(fixed)
                py, sp = norm.split(), r["norm"].split()
                first = next((i for i, (a, b) in enumerate(zip(py, sp)) if a != b), min(len(py), len(sp)))
                problems.append({"what": "mojibake repaired by Python only" if fixed else "tokens",
                                 "python": py[first: first + 3], "spark": sp[first: first + 3]})
        if problems:
            out["mismatches"] += 1
            if len(out["examples"]) < 10:
                out["examples"].append({"origin_file": r.get("origin_file"), "problems": problems})
    return out


def spark_ingest(store_path: str | os.PathLike[str], inputs: list[str], *, fmt: str = "auto", spark: Any = None,
                 master: str | None = None, date_field: str | None = None, text_field: str | None = None,
                 source_field: str | None = None, id_field: str | None = None, title_field: str | None = None,
                 default_date: dt.date | None = None, default_source: str | None = None,
                 records_per_segment: int = RECORDS_PER_SEGMENT, verify: int = 1000,
                 rejected_out: str | None = None, max_rejections: int = 1000,
                 today: dt.date | None = None) -> SparkIngestReport:
    """Ingest raw JSON Lines or Parquet into a store (created if missing) on Spark; returns the report.

    ``spark``: a running SparkSession (else one is started on ``master``, default ``local[*]``).
    ``verify``: how many accepted documents (and rejected dates) to re-check with Python's rules.
    ``rejected_out``: a folder to write every rejected record's ``origin_file, origin_record, doc id,
    reason`` as JSON Lines (the report lists the first ``max_rejections``).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from policypulse.query.engines.spark import spark_session

    if not inputs:
        raise UsageError("the Spark ingest needs at least one input PATH")
    t0 = time.perf_counter()
    today = today or dt.date.today()
    owns = False
    if spark is None:
        spark, owns = spark_session(master, app_name="policypulse-ingest")
    try:
        store = Store(store_path, create=True)
        report = SparkIngestReport(store=str(store_path))
        icu = icu_available(spark)
        report.casefold = "icu4j (NFC + full case folding)" if icu else "lower() + fixes (no ICU4J: no NFC)"
        with store.writer_lock():
            store.refresh()
            for old in store.path.glob(".spark-staging-*"):
                shutil.rmtree(old, ignore_errors=True)
            ingest_id = uuid.uuid4().hex[:12]
            staging = store.path / f".spark-staging-{ingest_id}"

            raw, row_index = read_input(spark, inputs, fmt)
            rows = normalise_frame(raw, icu=icu, today=today, row_index=row_index, date_field=date_field,
                                   text_field=text_field, source_field=source_field, id_field=id_field,
                                   title_field=title_field, default_date=default_date,
                                   default_source=default_source)
            rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
            rejected = rows.where(F.col("_reason").isNotNull())
            by_reason = {r["_reason"]: int(r["n"]) for r in rejected.groupBy("_reason").agg(
                F.count(F.lit(1)).alias("n")).collect()}
            report.rejected_by_reason = dict(sorted(by_reason.items(), key=lambda kv: -kv[1]))
            report.rejected_total = sum(by_reason.values())
            rej_cols = [F.col("origin_file").alias("file"), F.col("origin_record").alias("record"),
                        F.col("_id").alias("doc_id"), F.col("_reason").alias("reason")]
            report.rejected = [r.asDict() for r in rejected.select(*rej_cols).limit(max_rejections).collect()]
            if rejected_out and report.rejected_total:
                rejected.select(*rej_cols).write.mode("overwrite").json(rejected_out)

            valid = rows.where(F.col("_reason").isNull())
            hashed = valid.withColumn("hash", _blake2b_udf()(F.col("date").cast("string"), F.col("source"),
                                                           F.col("norm")))
            # Exact duplicates: keep one copy per key (the first by origin, deterministically), and none
            # whose key an earlier version of the store already holds.
            from pyspark.sql.window import Window

            first = Window.partitionBy("hash").orderBy("origin_file", "origin_record", "_id", "title")
            unique = (hashed.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n"))
            known = [(store.path / "segments" / s).resolve().as_uri() for s in store.manifest.segments]
            if known:
                unique = unique.join(spark.read.parquet(*known).select("hash"), on="hash", how="left_anti")
            docs = unique.withColumn("doc_id", F.coalesce(F.when(F.trim(F.col("_id")) != "", F.col("_id")),
                                                          F.substring("hash", 1, 16)))
            docs = docs.select(*_store_columns(docs.columns))
            n_valid = valid.count()
            # Segments ordered by date: each file covers a date range, so date filters skip whole row groups.
            n_parts = max(1, -(-n_valid // max(1, records_per_segment)))
            (docs.repartitionByRange(n_parts, "date", "source", "hash").sortWithinPartitions("date", "source", "hash")
             .write.option("compression", "zstd").option("maxRecordsPerFile", records_per_segment)
             .parquet(staging.resolve().as_uri()))

            import pyarrow.parquet as pq

            new: list[tuple[str, int]] = []
            for part in sorted(staging.glob("part-*.parquet")):
                rows_in = pq.ParquetFile(part).metadata.num_rows
                if rows_in == 0:
                    continue
                name = f"seg-{uuid.uuid4().hex}.parquet"
                with open(part, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(part, store.path / "segments" / name)
                new.append((name, rows_in))
            report.accepted = sum(n for _, n in new)
            report.duplicates = n_valid - report.accepted
            report.segments = len(new)
            report.version = _finish(spark, store, new, ingest_id, report, [str(p) for p in inputs])
            shutil.rmtree(staging, ignore_errors=True)

            if verify > 0:
                fraction = min(1.0, 2.0 * verify / max(1, n_valid + report.rejected_total))
                sample = (rows.where(F.col("_reason").isNull() | F.col("_reason").contains("date"))
                          .sample(fraction=fraction, seed=7).limit(verify)
                          .select("text", "norm", "n_words", "_raw_date", "date", "date_precision", "date_source",
                                  "origin_file", "_reason").collect())
                report.verification = verify_sample([r.asDict() for r in sample], today)
            rows.unpersist()
        store.close()
    finally:
        if owns:
            spark.stop()
    report.seconds = time.perf_counter() - t0
    return report


# -- command line ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m policypulse.corpus.spark_ingest`` (or ``spark-submit`` this file)."""
    parser = argparse.ArgumentParser(prog="python -m policypulse.corpus.spark_ingest",
                                     description="Ingest raw JSON Lines or Parquet into a policypulse store on Spark.")
    parser.add_argument("store")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--format", default="auto", choices=["auto", "jsonl", "parquet"])
    parser.add_argument("--master", default=None, help="Spark master URL (default: the running session, else local[*])")
    for name in ("date", "text", "source", "id", "title"):
        parser.add_argument(f"--{name}-field", default=None)
    parser.add_argument("--default-date", default=None, help="date for undated records (stored as a fallback date)")
    parser.add_argument("--default-source", default=None)
    parser.add_argument("--records-per-segment", type=int, default=RECORDS_PER_SEGMENT)
    parser.add_argument("--verify-sample", type=int, default=1000)
    parser.add_argument("--report", default=None, help="write the report JSON here")
    parser.add_argument("--rejected-out", default=None, help="write every rejected record here (JSON Lines folder)")
    args = parser.parse_args(argv)
    try:
        default_date = dt.date.fromisoformat(args.default_date) if args.default_date else None
        report = spark_ingest(args.store, args.inputs, fmt=args.format, master=args.master,
                              date_field=args.date_field, text_field=args.text_field,
                              source_field=args.source_field, id_field=args.id_field, title_field=args.title_field,
                              default_date=default_date, default_source=args.default_source,
                              records_per_segment=args.records_per_segment, verify=args.verify_sample,
                              rejected_out=args.rejected_out)
    except (PolicyPulseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (UsageError, ValueError)) else 1
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_dict(), indent=1, default=str), encoding="utf-8")
    print(report.summary(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
