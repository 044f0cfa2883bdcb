"""The scale-out engine: Apache Spark (PySpark) scanning the same Parquet segments as DuckDB.

The matching rule runs inside Spark's JVM with built-in functions only (``contains``, ``replace``,
``length``, ``rlike``, ``regexp_extract_all``), compiled from the same AST and the same phrase patterns as
the DuckDB engine (``query.compile`` with ``dialect='spark'``). No Python UDF touches a document: the
executors scan, filter and aggregate, and only the per-period counts (a few thousand rows) come back to
the driver, where ``timeline`` and the lifecycle analyses run unchanged. See docs/scaling.md.

PySpark is optional (``pip install 'policypulse[spark]'``) and needs a Java runtime (17 or newer for
Spark 4); both are checked when the engine starts, with the install command in the error.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from policypulse.corpus.store import Store
from policypulse.errors import MissingExtraError, PolicyPulseError
from policypulse.query.compile import mentions_sql, to_sql
from policypulse.query.engines.base import PERIODS, PRECISIONS_FOR, periods_of, where_sql
from policypulse.query.ideas import Idea

DEFAULT_MASTER = "local[*]"
INSTALL_PYSPARK = "pip install 'policypulse[spark]'"
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17+ runtime)"

# Ideas per scan. Each idea adds two expressions to one projection; Spark splits large generated
# methods, and a few hundred ideas per pass keep the JVM's code cache and the plan small. A watchlist
# of N ideas reads the columns ceil(N / CHUNK) times.
CHUNK = 200

# The only columns a count needs; Parquet column pruning keeps ``text`` on disk.
_COUNT_COLUMNS = ("date", "date_precision", "date_source", "source", "norm")
_TOTAL_COLUMNS = ("date", "date_precision", "date_source", "source", "n_words")

# The driver's Log4j 2 configuration, shipped in the package: errors only (see the file).
LOG4J2_RESOURCE = "spark-log4j2.properties"

# Lines the JVM writes to stderr that are no error of the user's and that no Log4j setting silences:
# the JVM's own notice about the incubator module Spark 4 always adds (--add-modules=jdk.incubator.vector),
# and Spark's shell banner about log levels (printed with System.err, around Log4j). Everything else the
# JVM prints (a crash, an OutOfMemoryError, a site's own log lines) is passed through.
_JVM_NOISE = re.compile(
    r"^(WARNING: Using incubator modules|Setting default log level to|To adjust logging level use sc\.setLogLevel|"
    r"Using Spark's default log4j profile)")

def _import_pyspark() -> Any:
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingExtraError(f"the Spark engine needs PySpark: {INSTALL_PYSPARK}") from None
    return SparkSession


def java_available() -> str | None:
    """The java executable Spark would start (JAVA_HOME first, then PATH), or None."""
    home = os.environ.get("JAVA_HOME")
    if home:
        exe = Path(home) / "bin" / "java"
        return str(exe) if exe.exists() else None
    return shutil.which("java")


def _check_java() -> None:
    if java_available() is None:
        where = f"JAVA_HOME={os.environ['JAVA_HOME']} has no bin/java" if os.environ.get("JAVA_HOME") else (
            "no 'java' on PATH")
        raise MissingExtraError(f"the Spark engine needs a Java runtime ({where}): {INSTALL_JAVA}")


def log4j2_config() -> Path:
    """The packaged Log4j 2 file as a path the JVM can open (copied out if the package is zipped)."""
    res = resources.files("policypulse.query.engines") / LOG4J2_RESOURCE
    if isinstance(res, Path) and res.exists():
        return res
    text = res.read_text(encoding="utf-8")
    copy = Path(tempfile.gettempdir()) / f"policypulse-spark-log4j2-{os.getuid()}.properties"
    if not copy.exists() or copy.read_text(encoding="utf-8") != text:
        copy.write_text(text, encoding="utf-8")
    return copy


def _forward_stderr(stream: IO[bytes], sink: Any) -> None:
    """Copy the JVM's stderr to ours line by line, leaving out the known noise (``_JVM_NOISE``)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        if not _JVM_NOISE.match(line):
            try:
                sink.write(line)
                sink.flush()
            except (OSError, ValueError):  # our stderr closed (the process is exiting): keep draining the pipe
                pass
    stream.close()


def _start_gateway(conf: Any) -> None:
    """Start the driver JVM with its stderr filtered, unless this process already has one.

    PySpark starts the JVM (spark-submit) with our stderr inherited; the JVM then prints a notice about
    incubator modules before any Java code runs, which no configuration turns off. Started here instead,
    through PySpark's own launcher with a pipe for stderr, the notice is dropped and everything else passed on.
    """
    from pyspark import SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # a JVM from an earlier (stopped) session is reused by PySpark
        return
    gateway = launch_gateway(conf, popen_kwargs={"stderr": subprocess.PIPE})
    proc = getattr(gateway, "proc", None)  # None when PySpark joined a JVM that spark-submit started
    if proc is not None and proc.stderr is not None:
        # The thread writes to whatever sys.stderr is at each line (a test's capture, a redirected stream).
        threading.Thread(target=_forward_stderr, args=(proc.stderr, _StderrProxy()), name="spark-stderr",
                         daemon=True).start()
    SparkContext._gateway = gateway
    SparkContext._jvm = gateway.jvm


class _StderrProxy:
    """Writes to whatever ``sys.stderr`` is at the moment of writing."""

    def write(self, text: str) -> None:
        sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def spark_session(master: str | None = None, *, app_name: str = "policypulse",
                  conf: dict[str, str] | None = None) -> tuple[Any, bool]:
    """The active SparkSession, or a new one on ``master`` (default ``local[*]``).

    Returns ``(session, created)``; a session that was already running (a notebook's, a test's, a
    ``spark-submit`` job's) is reused as it is, and only a session created here is stopped by the engine.
    A session created here is quiet: no progress bars, the driver's Log4j at ERROR from its first line
    (the packaged ``spark-log4j2.properties``), and the JVM's start-up notices left out of stderr.
    """
    SparkSession = _import_pyspark()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    _check_java()
    from pyspark import SparkConf

    settings = {
        "spark.master": master or DEFAULT_MASTER,
        "spark.app.name": app_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        # Dates before 1582 (chronicles, early modern records) are read and written as stored, in the proleptic
        # Gregorian calendar that Python, pyarrow and DuckDB use, never rebased to the Julian one or refused.
        "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    }
    if not os.environ.get("SPARK_CONF_DIR"):
        # A site's own Spark configuration (log4j2.properties, spark-defaults.conf) is left alone. Both
        # property names: log4j 2.x reads either, and Spark's launcher passes the option to the driver JVM
        # at its start, so even the first lines are filtered.
        cfg = log4j2_config().resolve().as_uri()
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={cfg} -Dlog4j.configurationFile={cfg}"
    if (master or DEFAULT_MASTER).startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        # Local Python workers (the ingest's one pandas UDF) run this interpreter, with its packages;
        # PySpark reads the variable when the context starts.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    settings.update(conf or {})
    spark_conf = SparkConf(loadDefaults=False)
    for key, value in settings.items():
        spark_conf.set(key, value)
    try:
        _start_gateway(spark_conf)
        builder = SparkSession.builder
        for key, value in settings.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001  (the JVM did not start: PySparkRuntimeError, Py4JError, OSError)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MissingExtraError(
            f"Spark could not start on master {master or DEFAULT_MASTER!r} ({first}); it needs Java 17+: "
            f"{INSTALL_JAVA}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def _period_col(by: str) -> str:
    """Spark SQL truncating ``date`` to the first day of its period (weeks start on Monday, as in DuckDB)."""
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}")
    return "date" if by == "day" else f"trunc(date, '{by.upper()}')"


def _dates(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    # The same dtype as DuckDB's DATE -> pandas (microseconds), so both engines' frames compare equal. Through
    # numpy, not pd.to_datetime: that converts to nanoseconds first, which hold only the years 1677 to 2262.
    values = frame[col].to_numpy()
    if values.dtype == object:
        values = np.array(values, dtype="datetime64[D]")
    frame[col] = values.astype("datetime64[us]")
    return frame


class SparkEngine:
    """Counts with Spark over one store version's segments (or any Parquet corpus Spark can read).

    ``SparkEngine(store, version, master=...)`` reads the segments the store's manifest names for that
    version, and the version's folded near-duplicates (``STORE/dups/v{N}.parquet``), so that counts are
    deduplicated by default exactly as the embedded engine's are (``dedup=False``: every stored copy).
    ``data_uri`` (or the environment variable ``POLICYPULSE_SPARK_DATA_URI``) replaces the store
    directory in those paths, for executors that reach the same files under another name (a copy of the
    store on HDFS, S3 or DBFS): ``s3a://bucket/stores/news`` + ``/segments/seg-....parquet``.
    ``SparkEngine.from_parquet(paths, dups=...)`` reads a Parquet corpus with the store's columns, no store
    needed (``dups``: an optional Parquet file of ``hash, dup_of`` rows to leave out when deduplicating).
    """

    name = "spark"
    dedup_aware = True  # counts and totals take dedup= (False: raw, every stored copy counted)

    def __init__(self, store: Store | None, version: int | None = None, *, master: str | None = None,
                 data_uri: str | None = None, paths: list[str] | None = None, dups: str | None = None,
                 session: Any = None) -> None:
        self.store = store
        if paths is None:
            if store is None:
                raise ValueError("SparkEngine needs a store or paths")
            self.version = store.version if version is None else version
            base = data_uri or os.environ.get("POLICYPULSE_SPARK_DATA_URI")
            local = store.segment_paths(self.version)
            folded = store.dups_path(self.version) if local else None
            if base:
                paths = [f"{base.rstrip('/')}/segments/{p.name}" for p in local]
                if folded is not None:
                    dups = f"{base.rstrip('/')}/{folded.relative_to(store.path).as_posix()}"
            else:
                paths = [p.resolve().as_uri() for p in local]
                if folded is not None:
                    dups = folded.resolve().as_uri()
        else:
            self.version = version if version is not None else 0
        self.paths = list(paths)
        self.dups = dups
        if session is not None:
            self.spark, self._owns_session = session, False
        else:
            self.spark, self._owns_session = spark_session(master)
        self._docs: Any = None

    @classmethod
    def from_parquet(cls, paths: str | list[str], *, dups: str | None = None, master: str | None = None,
                     session: Any = None) -> SparkEngine:
        """An engine over Parquet files or folders at any path Spark reads (local, HDFS, S3, GCS, DBFS)."""
        return cls(None, master=master, paths=[paths] if isinstance(paths, str) else list(paths), dups=dups,
                   session=session)

    # -- the documents -------------------------------------------------------------------------------
    def _frame(self) -> Any:
        if self._docs is None:
            if self.paths:
                from policypulse.corpus.spark_ingest import read_documents

                self._docs = read_documents(self.spark, self.paths)  # norm derived where not stored
            else:
                from policypulse.corpus.schema import DOCUMENT_SCHEMA

                empty = DOCUMENT_SCHEMA.empty_table().to_pandas()
                schema = ("doc_id string, date date, date_precision string, date_source string, source string, "
                          "title string, text string, norm string, n_words int, hash string, origin_file string, "
                          "origin_record bigint, meta string")
                self._docs = self.spark.createDataFrame(empty, schema=schema)
        return self._docs

    def _dedup(self, dedup: bool) -> bool:
        """Whether folded near-duplicates must be left out: asked for, and the version has some."""
        return dedup and self.dups is not None

    def _not_folded(self, frame: Any) -> Any:
        """``frame`` (with a ``hash`` column) without the documents folded into a representative.

        The store's ``docs`` view of the embedded engine, in Spark: a LEFT JOIN of the version's folded
        near-duplicates on ``hash``, then ``dup_of IS NULL`` (the dedup clause of ``base.where_sql``). The
        join comes after the per-document work, so only the few small columns of the result are shuffled
        (or none: Spark broadcasts a folded list below ``spark.sql.autoBroadcastJoinThreshold``).
        """
        folded = self.spark.read.parquet(self.dups).select("hash", "dup_of")
        return frame.join(folded, on="hash", how="left").where("dup_of IS NULL").drop("dup_of", "hash")

    def _run(self, df: Any) -> pd.DataFrame:
        try:
            return df.toPandas()
        except Exception as exc:
            text = str(exc)
            if "PATH_NOT_FOUND" in text or "FileNotFoundException" in text or "does not exist" in text:
                raise PolicyPulseError(
                    "Spark cannot read the store's segments (a path does not exist for the executors); "
                    "on a cluster, put the store where every node reads it and set POLICYPULSE_SPARK_DATA_URI"
                ) from None
            raise

    # -- the Engine protocol -------------------------------------------------------------------------
    def counts(self, ideas: list[Idea], by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        """Columns ``idea, period, [source,] docs, mentions`` for periods with at least one match."""
        from pyspark.sql import functions as F

        keys = ["period", "source"] if by_source else ["period"]
        cols = ["idea"] + keys + ["docs", "mentions"]
        if not ideas or not self.paths:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("docs", "mentions") else "object")
                                 for c in cols}).pipe(_dates, "period")
        folded = self._dedup(dedup)
        base = (self._frame().select(*_COUNT_COLUMNS, *(["hash"] if folded else []))
                .where(where_sql(by, include_fallback, date_from, date_to, dedup=False))
                .selectExpr(f"{_period_col(by)} AS period", *(["source"] if by_source else []),
                            *(["hash"] if folded else []), "norm"))
        frames = []
        for start in range(0, len(ideas), CHUNK):
            chunk = ideas[start : start + CHUNK]
            # One struct per matching idea: (index, mentions); the mentions expression (a replace over the
            # whole string) is evaluated only where the match condition holds. array_compact drops the
            # non-matching ideas and explode gives one row per (document, matching idea).
            hits = [
                F.expr(f"CASE WHEN {to_sql(idea.query, dialect='spark')} "
                       f"THEN named_struct('i', {start + i}, 'm', CAST({mentions_sql(idea.query, dialect='spark')} "
                       "AS BIGINT)) END")
                for i, idea in enumerate(chunk)
            ]
            per_doc = base.select(*keys, *(["hash"] if folded else []),
                                  F.array_compact(F.array(*hits)).alias("hits")).where("size(hits) > 0")
            if folded:
                per_doc = self._not_folded(per_doc)
            long = (per_doc.select(*keys, F.explode("hits").alias("h"))
                    .groupBy(*keys, F.col("h.i").alias("i"))
                    .agg(F.count(F.lit(1)).alias("docs"), F.sum("h.m").alias("mentions")))
            frames.append(self._run(long))
        out = pd.concat(frames, ignore_index=True)
        names = [idea.name for idea in ideas]
        out.insert(0, "idea", [names[int(i)] for i in out["i"]])
        out["docs"] = out["docs"].astype("int64")
        out["mentions"] = out["mentions"].astype("int64")
        out = _dates(out, "period")
        out = out.sort_values(["i"] + keys, kind="stable").reset_index(drop=True)
        return out[cols]

    def totals(self, by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        """Columns ``period, [source,] total_docs, total_words`` for periods with documents."""
        keys = ["period", "source"] if by_source else ["period"]
        if not self.paths:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c.startswith("total") else "object")
                                 for c in keys + ["total_docs", "total_words"]}).pipe(_dates, "period")
        folded = self._dedup(dedup)
        # The ingest's totals file counts every stored copy: it answers raw totals, and deduplicated ones
        # only where the version folded nothing.
        small = None if folded else self._totals_file()
        if small is not None:
            return self._totals_from_file(small, by, keys, include_fallback, date_from, date_to)
        df = (self._frame().select(*_TOTAL_COLUMNS, *(["hash"] if folded else []))
              .where(where_sql(by, include_fallback, date_from, date_to, dedup=False))
              .selectExpr(f"{_period_col(by)} AS period", *(["source"] if by_source else []),
                          *(["hash"] if folded else []), "n_words"))
        if folded:
            df = self._not_folded(df)
        df = (df.groupBy(*keys)
              .agg({"*": "count", "n_words": "sum"})
              .withColumnsRenamed({"count(1)": "total_docs", "sum(n_words)": "total_words"}))
        out = self._run(df)
        out["total_docs"] = out["total_docs"].astype("int64")
        out["total_words"] = out["total_words"].astype("int64")
        out = _dates(out, "period").sort_values(keys).reset_index(drop=True)
        return out[keys + ["total_docs", "total_words"]]

    def _totals_file(self) -> Path | None:
        # Every completed store version has its corpus totals per day, source, precision and date origin
        # (written by the ingest, a few thousand rows): the driver aggregates them without a Spark job.
        if self.store is None or self.version == 0:
            return None
        path = self.store.path / "totals" / f"v{self.version}.parquet"
        return path if path.exists() else None

    @staticmethod
    def _totals_from_file(path: Path, by: str, keys: list[str], include_fallback: bool,
                          date_from: dt.date | None, date_to: dt.date | None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        t = table.to_pandas()
        day = table.column("date").to_numpy().astype("datetime64[D]")  # numpy days: any year 1 to 9999
        keep = t["date_precision"].isin(PRECISIONS_FOR[by])
        if not include_fallback:
            keep &= t["date_source"] != "fallback"
        if date_from is not None:
            keep &= t["date"] >= date_from
        if date_to is not None:
            keep &= t["date"] <= date_to
        t = t[keep]
        period = periods_of(day[keep.to_numpy()], by)
        frame = pd.DataFrame({"period": period, "source": t["source"], "docs": t["docs"], "words": t["words"]})
        out = (frame.groupby(keys, sort=True).agg(total_docs=("docs", "sum"), total_words=("words", "sum"))
               .reset_index())
        out["total_docs"] = out["total_docs"].astype("int64")
        out["total_words"] = out["total_words"].astype("int64")
        return _dates(out, "period")[keys + ["total_docs", "total_words"]]

    def matching_documents(self, idea: Idea, *, limit: int, date_from: dt.date | None = None,
                           date_to: dt.date | None = None) -> pd.DataFrame:
        """Up to ``limit`` matching documents (``doc_id, date, ..., text, norm``), oldest first (as DuckDB's)."""
        parts = [to_sql(idea.query, dialect="spark")]
        if date_from is not None:
            parts.append(f"date >= DATE '{date_from.isoformat()}'")
        if date_to is not None:
            parts.append(f"date <= DATE '{date_to.isoformat()}'")
        cols = ["doc_id", "date", "date_precision", "source", "title", "text", "norm"]
        if not self.paths:
            return pd.DataFrame(columns=cols)
        df = (self._frame().where(" AND ".join(parts)).select(*cols)
              .orderBy("date", "doc_id").limit(int(limit)))
        return _dates(self._run(df), "date")

    def close(self) -> None:
        """Stop the Spark session if this engine started it; a session it found running is left running."""
        self._docs = None
        if self._owns_session and self.spark is not None:
            self.spark.stop()
            self._owns_session = False
