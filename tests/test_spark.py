"""The Spark engine and the Spark ingest: identical results to DuckDB and to Python's ingest (issue 8).

Spark runs in local mode in this process: one SparkSession for the whole session (``local[2]``, two shuffle
partitions, no UI), reused by every engine (an engine stops only a session it started itself). The tests
skip, saying why, only when PySpark or Java is missing; CI installs both (``.ci/run``).
"""

from __future__ import annotations

import builtins
import datetime as dt
import importlib.util
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import policypulse
from policypulse.corpus.readers.base import ReaderOptions
from policypulse.corpus.store import Store
from policypulse.errors import MissingExtraError
from policypulse.query.compile import mentions_sql, near_regex, to_sql
from policypulse.query.engines import spark as spark_engine
from policypulse.query.ideas import Idea, idea_from_query, load_ideas
from policypulse.query.parser import parse
from synthetic import SyntheticCorpus

PERIODS = ("day", "week", "month", "quarter", "year")
HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None
HAVE_JAVA = spark_engine.java_available() is not None
_skip_without_spark = pytest.mark.skipif(
    not (HAVE_PYSPARK and HAVE_JAVA),
    reason=("PySpark is not installed (pip install 'policypulse[spark]')" if not HAVE_PYSPARK else
            "no Java runtime (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"),
)


def needs_spark(test):  # type: ignore[no-untyped-def]
    """Marked ``spark`` (pyproject's marker) and skipped, saying why, without PySpark or Java."""
    return pytest.mark.spark(_skip_without_spark(test))

# Every query form of the language, on the planted-idea corpus: phrases, hashtags, prefixes, OR/AND/NOT,
# NEAR/k (both orders, a prefix inside, k = 0), exclusions, and words frequent enough to repeat in a document.
EXTRA_QUERIES = [
    "big society", "#bigsociety", "forward guid*", "integrat*", "levelling up OR leveling up",
    '"big society" OR "forward guidance"', '"forward guidance" AND NOT "levelling up"',
    "government AND police", "housing AND NOT (police OR crime)", "NEAR/3(big, society)",
    "NEAR/0(forward, guidance)", "NEAR/5(government, poli*)", "NEAR/2(#bigsociety, the)", "the", "énergie citoyenne",
]
SOTU_QUERIES = [
    "great society", "war on poverty", "strategic defense initiative", "no child left behind", "axis of evil",
    "affordable care act", "fair deal", "econom*", '"great society" OR "war on poverty"',
    '"united states" AND NOT congress', "NEAR/5(tax, cut*)", "NEAR/0(health, care)",
]


@pytest.fixture(scope="session")
def spark() -> object:
    if not HAVE_PYSPARK:
        pytest.skip("PySpark is not installed: pip install 'policypulse[spark]'")
    if not HAVE_JAVA:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless (or set JAVA_HOME)")
    session, created = spark_engine.spark_session("local[2]", app_name="policypulse-tests", conf={
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.driver.memory": "1g",
    })
    yield session
    if created:
        session.stop()


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticCorpus, Path, Path]:
    """A planted-idea corpus with month-precision and undated documents and a coverage gap, in a store."""
    root = tmp_path_factory.mktemp("spark-planted")
    corpus = SyntheticCorpus(n_docs=1500, seed=8, start="2009-01-01", end="2014-12-31", n_sources=4,
                             words=(30, 80), month_precision=0.1, undated=0.03,
                             gaps=[("2012-03-01", "2012-05-31")])
    src = corpus.write_jsonl(root / "corpus.jsonl")
    report = policypulse.ingest(root / "store", [src], fmt="jsonl",
                                options=ReaderOptions(default_date=dt.date(2013, 6, 1)))
    assert report.accepted == 1500 and not report.rejected
    return corpus, src, root / "store"


@pytest.fixture(scope="session")
def sotu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-sotu")
    report = policypulse.ingest(root / "store", [], fmt="sotu")
    assert report.accepted > 200
    return root / "store"


def planted_ideas(corpus: SyntheticCorpus, tmp: Path) -> list[Idea]:
    path = tmp / "ideas.yaml"
    path.write_text(corpus.ideas_yaml(), encoding="utf-8")
    return load_ideas(path) + [idea_from_query(q) for q in EXTRA_QUERIES] + [
        Idea("bs without network", ("big society", "#bigsociety"), ("big society network", "NEAR/1(big, network)")),
    ]


def both(store: Path, spark: object) -> tuple[policypulse.Corpus, policypulse.Corpus]:
    return policypulse.open(store), policypulse.open(store, engine="spark", spark_master="local[2]")


# -- compiling to Spark SQL (no Spark needed) ------------------------------------------------------------


def test_duckdb_sql_is_unchanged_by_the_dialect_parameter() -> None:
    node = parse('("big society" OR #bigsociety) AND NOT NEAR/2("big soc*", network)')
    # each phrase test is prefixed by the same needle without its leading space (compile._prefilter)
    assert to_sql(node) == to_sql(node, dialect="duckdb") == (
        "(((contains(norm, 'big  society ') AND contains(norm, ' big  society ')) OR "
        "(contains(norm, '#bigsociety ') AND contains(norm, ' #bigsociety '))) AND "
        "(NOT (contains(norm, 'big  soc') AND contains(norm, 'network ') AND "
        "regexp_matches(norm, '(?:\\ big\\ \\ soc[^ ]* (?: [^ ]+ ){0,2}?\\ network\\ |"
        "\\ network\\ (?: [^ ]+ ){0,2}?\\ big\\ \\ soc[^ ]* )'))))")
    assert mentions_sql(node) == (
        "((length(norm) - length(replace(norm, ' big  society ', ''))) // length(' big  society ')) + "
        "((length(norm) - length(replace(norm, ' #bigsociety ', ''))) // length(' #bigsociety '))")


def test_spark_dialect_uses_spark_builtins_and_a_backslash_free_java_regex() -> None:
    node = parse('NEAR/3("big soc*", #reform) OR levelling up')
    sql = to_sql(node, dialect="spark")
    assert sql == ("((norm RLIKE '(?: big  soc[^ ]* (?: [^ ]+ ){0,3}? #reform | #reform (?: [^ ]+ ){0,3}? big  soc[^ ]* )')"
                   " OR contains(norm, ' levelling  up '))")
    m = mentions_sql(node, dialect="spark")
    assert "size(regexp_extract_all(norm, '(?: big  soc" in m and m.endswith(" div length(' levelling  up '))")
    assert "\\" not in sql + m
    near = node.items[0]
    import re

    for text in [" big  society  x  #reform ", " #reform  big  soc ", " big  social  a  b  c  d  #reform "]:
        assert bool(re.search(near_regex(near), text)) == bool(re.search(near_regex(near, "spark"), text))
    with pytest.raises(ValueError, match="dialect"):
        to_sql(node, dialect="postgres")


# -- clear errors when the extra or Java is missing (no Spark needed) -------------------------------------


def test_missing_pyspark_names_the_install_command(monkeypatch: pytest.MonkeyPatch, sotu: Path) -> None:
    real_import = builtins.__import__

    def no_pyspark(name: str, *args: object, **kwargs: object) -> object:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(MissingExtraError, match=r"pip install 'policypulse\[spark\]'"):
        policypulse.open(sotu, engine="spark")


def test_missing_java_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    assert spark_engine.java_available() is None
    with pytest.raises(MissingExtraError, match="openjdk-17-jre-headless"):
        spark_engine._check_java()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingExtraError, match="no 'java' on PATH"):
        spark_engine._check_java()


def test_cli_names_the_install_command_in_one_line_when_java_or_pyspark_is_missing(
        monkeypatch: pytest.MonkeyPatch, sotu: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from policypulse.cli import main

    cmd = ["track", str(sotu), "axis of evil", "--engine", "spark"]
    if HAVE_PYSPARK:
        # No Java: an empty PATH and no JAVA_HOME. A session another test left running would be reused
        # (no Java needed then): pretend there is none, as in a fresh process.
        from pyspark.sql import SparkSession

        monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
        monkeypatch.delenv("JAVA_HOME", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        assert main(cmd) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith("policypulse: error: the Spark engine needs a Java runtime (no 'java' on PATH)")
        assert "apt-get install openjdk-17-jre-headless" in err
        monkeypatch.undo()
    real_import = builtins.__import__

    def no_pyspark(name: str, *args: object, **kwargs: object) -> object:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    assert main(cmd) == 1
    err = capsys.readouterr().err
    assert err == "policypulse: error: the Spark engine needs PySpark: pip install 'policypulse[spark]'\n"


def test_jvm_stderr_is_passed_through_without_the_start_up_noise() -> None:
    jvm = io.BytesIO(b"WARNING: Using incubator modules: jdk.incubator.vector\n"
                     b'Setting default log level to "WARN".\n'
                     b"To adjust logging level use sc.setLogLevel(newLevel). For SparkR, use setLogLevel(newLevel).\n"
                     b"Using Spark's default log4j profile: org/apache/spark/log4j2-defaults.properties\n"
                     b"spark: ERROR Executor: Exception in task 0.0\n"
                     b"java.lang.OutOfMemoryError: Java heap space\n")
    sink = io.StringIO()
    spark_engine._forward_stderr(jvm, sink)
    assert sink.getvalue() == "spark: ERROR Executor: Exception in task 0.0\njava.lang.OutOfMemoryError: Java heap space\n"
    assert spark_engine.log4j2_config().read_text().count("rootLogger.level = error") == 1


@needs_spark
def test_policypulse_track_engine_spark_is_quiet_on_stderr(sotu: Path, tmp_path: Path) -> None:
    """The real entry point in a fresh process (its own JVM): stdout is the table, stderr has no JVM chatter."""
    exe = Path(sys.executable).with_name("policypulse")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from policypulse.cli import run; run()"]
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONF_DIR", "PYSPARK_SUBMIT_ARGS", "SPARK_HOME")}
    args = [str(sotu), "axis of evil", "great society", "--by", "year", "--format", "csv"]
    spark = subprocess.run([*cmd, "track", *args, "--engine", "spark", "--spark-master", "local[1]"], check=False,
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert spark.returncode == 0, spark.stderr
    noise = [line for line in spark.stderr.splitlines() if "WARN" in line or "log4j" in line.lower()
             or "NativeCodeLoader" in line or "Stage " in line]
    assert noise == [] and spark.stderr == ""
    duck = subprocess.run([*cmd, "track", *args], check=False, capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=600)
    assert duck.returncode == 0 and spark.stdout == duck.stdout
    assert spark.stdout.startswith("idea,period,docs,mentions,total_docs,rate")


# -- the engine: identical to DuckDB ---------------------------------------------------------------------


@needs_spark
def test_track_is_identical_on_the_planted_corpus_for_every_period(spark: object, planted, tmp_path: Path) -> None:
    corpus, _, store = planted
    ideas = planted_ideas(corpus, tmp_path)
    duck, spk = both(store, spark)
    with duck, spk:
        for by in PERIODS:
            a, b = duck.track(ideas, by=by), spk.track(ideas, by=by)
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert len(a) > 0 and (a["docs"] > 0).any()
        # The counts are also right, not merely equal: the planted truth, exclusions applied.
        truth = corpus.expected("month", exclusions=True)
        got = spk.engine.counts(ideas[: len(corpus.planted)], "month")
        got["period"] = got["period"].dt.date
        got = got.sort_values(["idea", "period"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, truth, check_dtype=False)


@needs_spark
def test_track_options_are_identical(spark: object, planted, tmp_path: Path) -> None:
    corpus, _, store = planted
    ideas = planted_ideas(corpus, tmp_path)[:8]
    duck, spk = both(store, spark)
    with duck, spk:
        for kwargs in ({"by": "quarter", "by_source": True}, {"by": "month", "include_fallback": True, "per": "words"},
                       {"by": "week", "date_from": "2010-02-03", "date_to": "2013-11-30", "smooth": 3}):
            pd.testing.assert_frame_equal(duck.track(ideas, **kwargs), spk.track(ideas, **kwargs), check_exact=True)
        # Month-precision documents: in months and coarser, never in weeks or days (the tool never invents a day).
        month_docs = duck.engine.totals("month")["total_docs"].sum()
        assert month_docs > spk.engine.totals("week")["total_docs"].sum()
        assert month_docs == spk.engine.totals("year")["total_docs"].sum()
        a = duck.kwic("big society", limit=5)
        b = spk.kwic("big society", limit=5)
        pd.testing.assert_frame_equal(a, b)


@needs_spark
def test_track_and_lifecycle_are_identical_on_sotu(spark: object, sotu: Path) -> None:
    duck, spk = both(sotu, spark)
    with duck, spk:
        for by in PERIODS:
            pd.testing.assert_frame_equal(duck.track(SOTU_QUERIES, by=by), spk.track(SOTU_QUERIES, by=by),
                                          check_exact=True)
        lifecycle = SOTU_QUERIES[:4] + ["fair deal"]
        a = duck.lifecycle(lifecycle, by="year", n_boot=40).to_dicts()
        b = spk.lifecycle(lifecycle, by="year", n_boot=40).to_dicts()
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    fields = {"idea", "first_mention", "emergence", "peak", "peak_interval", "half_life_days", "relaunches",
              "resurrections", "last_mention", "lifespan_days", "status", "death_p_value",
              "forecast_last_mention", "forecast_interval", "phases"}
    assert fields <= set(a[0])
    great = next(x for x in b if x["idea"] == "great society")
    assert great["first_mention"].startswith("1965")


@needs_spark
def test_cli_track_and_lifecycle_with_engine_spark(spark: object, sotu: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from policypulse.cli import main

    outputs = {}
    for engine in ("duckdb", "spark"):
        for cmd in (["track", str(sotu), "axis of evil", "war on poverty", "--by", "year", "--format", "csv"],
                    ["lifecycle", str(sotu), "great society", "--by", "year", "--format", "json"]):
            code = main(cmd + ["--engine", engine, "--spark-master", "local[2]"])
            out, err = capsys.readouterr()
            assert code == 0, err
            assert err == ""
            outputs[(engine, cmd[0])] = out
    assert outputs[("duckdb", "track")] == outputs[("spark", "track")]
    assert outputs[("duckdb", "track")].startswith("idea,period,docs,mentions,total_docs,rate")
    strip = [{k: v for k, v in x.items() if k != "provenance"} for x in json.loads(outputs[("spark", "lifecycle")])]
    ref = [{k: v for k, v in x.items() if k != "provenance"} for x in json.loads(outputs[("duckdb", "lifecycle")])]
    assert strip == ref


@pytest.fixture(scope="session")
def syndicated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A store with planted near-duplicates: wire stories reprinted by regional papers (test_neardup's copies).

    Eight wire stories over 2010-2013 (two topics), each reprinted 2-7 times within two days by other
    papers, plus stories of their own on the same topics and a reprint outside the folding window.
    Returns the store and the planted truth: documents raw, deduplicated, and folded copies.
    """
    from policypulse.corpus.ingest import ingest
    from test_neardup import reprint, story

    rng = random.Random(8)
    rows: list[dict[str, str]] = []
    copies = 0
    for k in range(8):
        topic = "big society" if k % 2 == 0 else "forward guidance"
        day = dt.date(2010 + k // 2, 1 + (k * 5) % 12, 3 + k)
        original = story(rng, 300, topic)
        rows.append({"id": f"wire{k}", "date": day.isoformat(), "source": "Press Association", "text": original})
        for c in range(2 + k % 6):
            copies += 1
            rows.append({"id": f"copy{k}-{c}", "date": (day + dt.timedelta(days=rng.randint(0, 2))).isoformat(),
                         "source": f"Regional Paper {c}", "text": reprint(rng, original, f"By PA reporters ({c})")})
        rows.append({"id": f"own{k}", "date": (day + dt.timedelta(days=1)).isoformat(), "source": "Broadsheet",
                     "text": story(random.Random(1000 + k), 250, topic)})
    rows.append({"id": "late", "date": "2013-12-20", "source": "Weekly Echo",
                 "text": reprint(rng, rows[0]["text"], "From the archive")})
    root = tmp_path_factory.mktemp("spark-syndicated")
    src = root / "syndicated.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ingest(root / "store", [src], today=dt.date(2024, 6, 1))
    assert (report.accepted, report.near_duplicates) == (len(rows), copies)
    return root / "store", {"raw": len(rows), "dedup": len(rows) - copies, "copies": copies}


@needs_spark
def test_spark_counts_near_duplicates_once_like_duckdb(spark: object, syndicated) -> None:
    store, truth = syndicated
    assert Store(store).dups_path() is not None
    ideas = ["big society", "forward guidance", '"big society" OR "forward guidance"', "NEAR/3(pa, reporters)"]
    duck, spk = both(store, spark)
    with duck, spk:
        assert spk.engine.dedup_aware and spk.engine.dups is not None
        for by in ("month", "year"):
            for kwargs in ({}, {"raw": True}, {"with_raw": True}, {"by_source": True}, {"by_source": True, "raw": True}):
                a, b = duck.track(ideas, by=by, **kwargs), spk.track(ideas, by=by, **kwargs)
                pd.testing.assert_frame_equal(a, b, check_exact=True)
        dedup, raw = spk.track(ideas, by="year"), spk.track(ideas, by="year", raw=True)
        both_topics = '"big society" OR "forward guidance"'
        # The planted truth: every document mentions one topic; copies count raw, never deduplicated.
        assert dedup.loc[dedup["idea"] == both_topics, "docs"].sum() == truth["dedup"]
        assert raw.loc[raw["idea"] == both_topics, "docs"].sum() == truth["raw"]
        assert dedup.groupby("period")["total_docs"].first().sum() == truth["dedup"]
        # The credit line is in the copies only (the late reprint is a story of its own again).
        credit = dedup[dedup["idea"] == "NEAR/3(pa, reporters)"]
        assert credit["docs"].sum() == 0 and raw.loc[raw["idea"] == "NEAR/3(pa, reporters)", "docs"].sum() == truth["copies"]
        # Totals straight from the engine (the ingest's totals file is raw; deduplicated ones are a Spark job).
        for dedup_flag in (True, False):
            pd.testing.assert_frame_equal(duck.engine.totals("week", by_source=True, dedup=dedup_flag),
                                          spk.engine.totals("week", by_source=True, dedup=dedup_flag))
        lc_a = duck.lifecycle(["big society"], by="month", n_boot=20).to_dicts()
        lc_b = spk.lifecycle(["big society"], by="month", n_boot=20).to_dicts()
    assert json.dumps(lc_a, sort_keys=True, default=str) == json.dumps(lc_b, sort_keys=True, default=str)


@needs_spark
def test_cli_track_dedup_and_raw_are_identical_across_engines(spark: object, syndicated,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from policypulse.cli import main

    store, truth = syndicated
    out = {}
    for engine in ("duckdb", "spark"):
        for raw in ([], ["--raw"]):
            code = main(["track", str(store), "big society", "forward guidance", "--by", "quarter", "--format", "csv",
                         "--engine", engine, *raw])
            text, err = capsys.readouterr()
            assert code == 0 and err == "", err
            out[(engine, bool(raw))] = text
    assert out[("duckdb", False)] == out[("spark", False)] and out[("duckdb", True)] == out[("spark", True)]
    assert out[("spark", False)] != out[("spark", True)]
    frame = pd.read_csv(io.StringIO(out[("spark", True)]))
    assert frame["docs"].sum() == truth["raw"]


@needs_spark
def test_engine_reads_a_parquet_corpus_without_a_store(spark: object, sotu: Path) -> None:
    store = Store(sotu)
    eng = spark_engine.SparkEngine.from_parquet([str(p) for p in store.segment_paths()], session=spark)
    duck = policypulse.open(sotu)
    with duck:
        ideas = [idea_from_query(q) for q in SOTU_QUERIES]
        a, b = eng.counts(ideas, "year"), duck.engine.counts(ideas, "year")
        pd.testing.assert_frame_equal(a, _sorted(b, a))
        pd.testing.assert_frame_equal(eng.totals("month"), duck.engine.totals("month"))
    eng.close()
    assert not spark.sparkContext._jsc.sc().isStopped()  # a session the engine did not start keeps running


def _sorted(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s rows in ``like``'s order (engines promise rows, not an order)."""
    keys = ["idea", "period"]
    return like[keys].merge(frame, on=keys, how="left")


# -- the Spark ingest: the same store as policypulse ingest ----------------------------------------------

TRICKY = [
    {"id": "t1", "date": "2014-01-02", "source": "Die Zeit", "title": "Straße",
     "text": "Die GROSSE Straße: STRASSE und Straße, ΣΊΣΥΦΟΣ σίσυφος, ﬁne ﬁnance, İstanbul"},
    {"id": "t2", "date": "2014-01-02T23:30:00-05:00", "source": "Le Monde",
     "text": "e\u0301nergie citoyenne, Énergie-Citoyenne; Big Soci\u00adety\u200b#BigSociety a#b ##c x_y 𝐀bc ½ ٣"},
    {"id": "t3", "date": "2014-03", "text": "Month only: big society", "source": "  Spaced  "},
    {"id": "t4", "date": 2013, "text": "Year only: big society\u0000 with a NUL, zebra\u0000fish, page\u000cbreak,"
     " unit\u001fseparator, bell\u0007rings"},
    {"id": "t5", "date": "03/04/2014", "text": "an ambiguous date"},
    {"id": "t6", "date": "2014-02-30", "text": "an impossible date"},
    {"id": "t7", "date": "2999-01-01", "text": "a future date"},
    {"id": "t8", "date": "2014-05-06", "text": "!!! ... ???"},
    {"id": "t9", "date": "2014-05-06", "text": "   "},
    {"id": "t10", "text": "no date at all"},
    {"id": "t11", "date": "2014-01-02", "source": "Die Zeit", "text": "Die GROSSE Straße: STRASSE und Straße, "
     "ΣΊΣΥΦΟΣ σίσυφος, ﬁne ﬁnance, İstanbul"},  # an exact duplicate of t1 (same date, source, norm)
]


@needs_spark
def test_spark_ingest_writes_the_same_store_as_policypulse_ingest(spark: object, planted, tmp_path: Path) -> None:
    from policypulse.corpus.spark_ingest import spark_ingest

    corpus, src, py_store = planted
    extra = tmp_path / "tricky.jsonl"
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TRICKY) + "{not json\n",
                     encoding="utf-8")
    opts = {"default_date": dt.date(2013, 6, 1)}
    py_extra = policypulse.ingest(tmp_path / "py-extra", [extra], fmt="jsonl", options=ReaderOptions(**opts))
    assert (py_extra.accepted, py_extra.duplicates, len(py_extra.rejected)) == (5, 1, 6)
    report = spark_ingest(tmp_path / "spark", [str(src), str(extra)], spark=spark, records_per_segment=700,
                          **opts)
    assert (report.accepted, report.duplicates, report.rejected_total) == (1505, 1, 6)
    assert report.casefold.startswith("icu4j") and report.segments >= 2
    reasons = report.rejected_by_reason
    assert sum(reasons.values()) == 6 and "invalid JSON" in reasons
    assert any("03/04/2014" in r and "not ISO 8601" in r for r in reasons)
    # Python's rules re-applied to a sample: same tokens, same dates, and dates rejected by both.
    assert report.verification["checked"] > 500 and report.verification["mismatches"] == 0

    py = {d["doc_id"]: d for d in Store(py_store).documents().to_pylist()}
    py.update({d["doc_id"]: d for d in Store(tmp_path / "py-extra").documents().to_pylist()})
    sp = {d["doc_id"]: d for d in Store(tmp_path / "spark").documents().to_pylist()}
    assert set(sp) <= set(py) and len(sp) == report.accepted
    for doc_id, got in sp.items():
        want = py[doc_id]
        for col in ("date", "date_precision", "date_source", "source", "title", "text", "norm", "n_words", "hash"):
            assert got[col] == want[col], (doc_id, col, got[col], want[col])
    assert sp["t1"]["norm"].startswith(" die  grosse  strasse  strasse  und  strasse  σίσυφοσ  σίσυφοσ  fine ")
    assert sp["t2"]["date"] == dt.date(2014, 1, 3)  # the UTC date of a zoned timestamp

    # The store opens, and both engines count on it what they count on Python's store.
    spark_store = Store(tmp_path / "spark")
    assert spark_store.version == 1 and (tmp_path / "spark" / "totals" / "v1.parquet").exists()
    ideas = planted_ideas(corpus, tmp_path)[:6]
    with policypulse.open(tmp_path / "spark") as a, policypulse.open(tmp_path / "spark", engine="spark") as c:
        pd.testing.assert_frame_equal(a.track(ideas, by="year"), c.track(ideas, by="year"), check_exact=True)

    # Re-running adds nothing (duplicates of the store's documents), and a Python ingest on top dedupes too.
    again = spark_ingest(tmp_path / "spark", [str(src)], spark=spark, verify=0, **opts)
    assert again.accepted == 0 and again.duplicates == 1500 and again.version == 2
    on_top = policypulse.ingest(tmp_path / "spark", [src], fmt="jsonl", options=ReaderOptions(**opts))
    assert on_top.accepted == 0 and on_top.duplicates == 1500


@needs_spark
def test_spark_ingest_reads_parquet_with_row_indexes(spark: object, tmp_path: Path) -> None:
    from policypulse.corpus.spark_ingest import main

    rows = [{"doc_id": f"p{i}", "published": f"2020-0{1 + i % 9}-1{i % 10}", "body": f"Doc {i}: levelling up!",
             "outlet": "Paper"} for i in range(30)]
    path = tmp_path / "in.parquet"
    pd.DataFrame(rows).to_parquet(path)
    shutil.rmtree(tmp_path / "s", ignore_errors=True)
    assert main([str(tmp_path / "s"), str(path), "--report", str(tmp_path / "r.json"), "--verify-sample", "30"]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["accepted"] == 30 and report["verification"]["mismatches"] == 0
    docs = Store(tmp_path / "s").documents().to_pylist()
    assert sorted(d["origin_record"] for d in docs) == list(range(30))
    assert {d["source"] for d in docs} == {"Paper"} and docs[0]["norm"].endswith("  levelling  up ")


# -- phrase statistics of discovery, counted on Spark ----------------------------------------------------

PHRASE_EXTRA = TRICKY[:4] + [
    {"id": "d1", "date": "2014-05-06", "text": "Fiscal ²² rules 1984 rules x fiscal ²² rules; #ab #a ٣٣ kids"},
    {"id": "d2", "date": "2014-05-07", "text": "fiscal rules fiscal rules fiscal rules the fiscal rules of the day"},
    {"id": "d3", "date": "2014-05-08", "text": "!!! ... ???"},  # no tokens: an empty norm
    {"id": "d4", "date": "2014", "text": "Year precision: fiscal rules of the big society"},
    {"id": "d5", "text": "Undated: fiscal rules (fallback date, left out of phrase statistics)"},
]


@pytest.fixture(scope="session")
def phrase_store(tmp_path_factory: pytest.TempPathFactory, planted) -> Path:
    """The planted corpus in three segments plus a version of tricky tokens (digits, hashtags, empty texts)."""
    from policypulse.corpus.ingest import ingest

    _, src, _ = planted
    root = tmp_path_factory.mktemp("spark-phrases")
    opts = ReaderOptions(default_date=dt.date(2013, 6, 1))
    first = ingest(root / "store", [src], fmt="jsonl", options=opts, batch_docs=600, today=dt.date(2024, 6, 1))
    extra = root / "extra.jsonl"
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in PHRASE_EXTRA), encoding="utf-8")
    ingest(root / "store", [extra], fmt="jsonl", options=opts, today=dt.date(2024, 6, 1))
    assert len(Store(root / "store").segment_paths()) == len(Store(root / "store").segment_paths(1)) + 1 >= 4
    assert first.accepted == 1500
    return root / "store"


def test_boundary_tokens_in_spark_match_is_boundary() -> None:
    import re

    from policypulse.discover.spark_phrases import DIGITS_ONLY
    from policypulse.discover.stopwords import is_boundary

    # Java and Python agree on this class for the characters it lists (it is made of them).
    pattern = re.compile(DIGITS_ONLY)
    for tok in ["1984", "²²", "٣٣", "①②", "12a", "x²", "", "ab"]:
        assert bool(pattern.match(tok)) == (tok.isdigit()), tok
    assert is_boundary("²²") and is_boundary("#a") and not is_boundary("#ab")


@needs_spark
def test_phrase_counts_on_spark_equal_the_embedded_segment_tables(spark: object, phrase_store: Path) -> None:
    from policypulse.discover.ngrams import count_table, read_segment
    from policypulse.discover.spark_phrases import count_phrases

    store = Store(phrase_store)
    paths = store.segment_paths()
    results = {}
    for min_docs in (None, 2):
        phrases, tokens, sizes = count_phrases(spark, [p.resolve().as_uri() for p in paths], min_docs=min_docs)
        got, tok, size = phrases.toPandas(), tokens.toPandas(), sizes.toPandas().set_index("segment")
        for path in paths:
            want = count_table(read_segment(str(path)), min_docs=min_docs, sketches=False)
            keys = ["n", "phrase", "period", "precision"]
            a = want.phrases.to_pandas().sort_values(keys).reset_index(drop=True)
            b = got[got["segment"] == path.name][a.columns].sort_values(keys).reset_index(drop=True)
            b["period"] = b["period"].astype(a["period"].dtype)
            pd.testing.assert_frame_equal(a, b.astype(a.dtypes.to_dict()), check_exact=True)
            assert len(a) > 10
            t_a = want.tokens.to_pandas().sort_values("token").reset_index(drop=True)
            t_b = tok[tok["segment"] == path.name][["token", "occ"]].sort_values("token").reset_index(drop=True)
            pd.testing.assert_frame_equal(t_a, t_b, check_dtype=False)
            assert (size.at[path.name, "docs"], size.at[path.name, "tokens"], size.at[path.name, "min_docs"]) == (
                want.docs, want.n_tokens, want.min_docs)
        results[min_docs] = got[got["segment"] == paths[-1].name]
    exact, pruned = results[None], results[2]
    assert set(exact["n"]) == {0, 1, 2, 3, 4}
    # d2 four times (month bucket) and the year-dated d4 (year bucket); the undated d5 is left out, and d1
    # has "fiscal ²² rules" (a digit token inside a phrase is fine, at its ends it is not)
    fiscal = exact[exact["phrase"] == "fiscal rules"].set_index("precision")
    assert (fiscal.at["month", "docs"], fiscal.at["month", "occ"], fiscal.at["year", "docs"]) == (1, 4, 1)
    assert exact.loc[exact["phrase"] == "fiscal ²² rules", ["docs", "occ"]].values.tolist() == [[1, 2]]
    assert {"fiscal rules", "rules of the day"} <= set(exact["phrase"])
    assert not {"²² rules", "#a", "1984", "x fiscal"} & set(exact["phrase"])  # boundary tokens end no phrase
    # lossy counting with m = 2: phrases of a single document of the segment are left out
    assert "fiscal rules" in set(pruned["phrase"]) and "rules of the day" not in set(pruned["phrase"])
    assert pruned[pruned["n"] > 0].groupby("phrase")["docs"].sum().min() >= 2


@needs_spark
def test_index_phrases_on_spark_builds_the_embedded_statistics(spark: object, phrase_store: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from policypulse.cli import main
    from policypulse.discover import index_phrases

    shutil.copytree(phrase_store, tmp_path / "a", ignore=shutil.ignore_patterns("phrases"))
    shutil.copytree(phrase_store, tmp_path / "b", ignore=shutil.ignore_patterns("phrases"))
    emb = index_phrases(Store(tmp_path / "a"))
    # Through the command line: policypulse index-phrases STORE --engine spark (the session of the tests).
    assert main(["index-phrases", str(tmp_path / "b"), "--engine", "spark", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    (spk,) = json.loads(out)
    assert spk["built"] and spk["segments_counted"] == emb.segments_counted >= 4
    assert (spk["documents"], spk["tokens"], spk["phrases_kept"], spk["rows"]) == (
        emb.documents, emb.tokens, emb.phrases_kept, emb.rows)
    da, db = Path(emb.directory), Path(spk["directory"])
    assert db.is_relative_to(tmp_path / "b")
    for name in ("phrases.parquet", "counts.parquet", "totals.parquet"):
        assert pd.read_parquet(da / name).equals(pd.read_parquet(db / name)), name
    assert np.array_equal(np.load(da / "sketch.npy"), np.load(db / "sketch.npy"))
    assert len(pd.read_parquet(db / "phrases.parquet")) == emb.phrases_kept > 50
    # Discovery reads either the same way (here: the Spark-built statistics, through the Spark engine).
    with policypulse.open(tmp_path / "a") as a, policypulse.open(tmp_path / "b", engine="spark") as b:
        ea = a.emerging(date_from="2012-01-01", by="quarter", limit=5)
        eb = b.emerging(date_from="2012-01-01", by="quarter", limit=5)
    pd.testing.assert_frame_equal(ea, eb)
    assert len(ea) > 0
