"""lifecycle, compare, backtest, report and demo through the real entry point, on SOTU and planted series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import policypulse

POLICYPULSE = str(Path(sys.executable).with_name("policypulse"))
CONTRACT_FIELDS = ("idea", "first_mention", "emergence", "peak", "peak_interval", "half_life_days", "relaunches",
                   "resurrections", "last_mention", "lifespan_days", "status", "death_p_value",
                   "forecast_last_mention", "forecast_interval", "phases")


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([POLICYPULSE, *args], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def sotu_lifecycles(sotu_store: tuple[Path, dict]) -> dict[str, dict]:
    store, _ = sotu_store
    proc = run("lifecycle", str(store), "great society", "strategic defense initiative", "affordable care act",
               "war on poverty", "axis of evil", "--by", "year", "--format", "json")
    return {d["idea"]: d for d in json.loads(proc.stdout)}


def test_sotu_real_history(sotu_lifecycles: dict[str, dict]) -> None:
    gs = sotu_lifecycles["great society"]
    assert gs["status"] == "dead" and gs["death_p_value"] < 0.05
    # first and last mention are the addresses' own days (4 January 1965, 14 January 1969), with their ids
    assert gs["emergence"] == "1965-01-01" and gs["first_mention"] == "1965-01-04"
    assert gs["last_mention"] == "1969-01-14" and gs["first_doc_id"] and gs["last_doc_id"]
    assert "1969" in gs["last_doc_id"] and "14 January 1969" in gs["verdict_text"]
    assert 0.5 < gs["death_probability"] <= 1.0 and gs["echoes"] == 0
    assert sotu_lifecycles["strategic defense initiative"]["status"] == "dead"
    assert sotu_lifecycles["affordable care act"]["status"] not in ("dead", "dormant", "unborn")
    # said once, in 2002: no rate to test a silence against, so silent but never significantly dead
    assert sotu_lifecycles["axis of evil"]["status"] == "dormant"
    assert sotu_lifecycles["axis of evil"]["first_mention"] == sotu_lifecycles["axis of evil"]["last_mention"] \
        == "2002-01-29"


def test_lifecycle_json_has_every_contract_field(sotu_lifecycles: dict[str, dict]) -> None:
    for lc in sotu_lifecycles.values():
        for key in CONTRACT_FIELDS:
            assert key in lc, key
        assert lc["status"] in ("unborn", "emerging", "alive", "declining", "dormant", "dead")
        assert isinstance(lc["phases"], list) and all({"phase", "start", "end"} <= set(p) for p in lc["phases"])
        for key in ("peak_interval", "forecast_interval"):
            assert lc[key] is None or len(lc[key]) == 2


def test_as_of_gives_the_verdict_of_that_time(sotu_store: tuple[Path, dict]) -> None:
    store, _ = sotu_store
    then = json.loads(run("lifecycle", str(store), "great society", "--by", "year", "--as-of", "1967-12-31",
                          "--format", "json").stdout)[0]
    assert then["status"] != "dead" and then["last_mention"] == "1967-01-10"


def test_lifecycle_plot_writes_png_and_rejects_unknown_suffix(sotu_store: tuple[Path, dict], tmp_path: Path) -> None:
    store, _ = sotu_store
    png = tmp_path / "gs.png"
    run("lifecycle", str(store), "great society", "--by", "year", "--plot", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    bad = run("lifecycle", str(store), "great society", "--by", "year", "--plot", str(tmp_path / "x.gif"), ok=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and ".gif" in bad.stderr


def test_lifecycle_from_counts_csv(tmp_path: Path) -> None:
    rows = ["date,count,total"]
    months = pd.date_range("2010-01-01", periods=60, freq="MS")
    for i, m in enumerate(months):
        count = [0, 0, 5, 20, 40, 30, 20, 10, 5, 2][i] if i < 10 else 0
        rows.append(f"{m.date()},{count},1000")
    path = tmp_path / "nexis.csv"
    path.write_text("\n".join(rows) + "\n")
    lc = json.loads(run("lifecycle", "--counts", str(path), "--format", "json").stdout)[0]
    assert lc["first_mention"] == "2010-03-01" and lc["last_mention"] == "2010-10-01"
    assert lc["peak"] in ("2010-05-01", "2010-06-01") and lc["status"] == "dead"


def test_lifecycle_from_a_long_counts_csv_with_an_idea_column(tmp_path: Path) -> None:
    # The long form of multi-term exports: one analysis per idea, each read by the same rules.
    rows = ["idea,date,count,total"]
    months = pd.date_range("2010-01-01", periods=60, freq="MS")
    for i, m in enumerate(months):
        fading = [0, 0, 5, 20, 40, 30, 20, 10, 5, 2][i] if i < 10 else 0
        rows.append(f"flash,{m.date()},{fading},1000")
        rows.append(f"steady,{m.date()},{10 + (i % 3)},1000")
    path = tmp_path / "trends-long.csv"
    path.write_text("\n".join(rows) + "\n")
    out = {lc["idea"]: lc for lc in json.loads(run("lifecycle", "--counts", str(path), "--format", "json").stdout)}
    assert set(out) == {"flash", "steady"}
    assert out["flash"]["status"] == "dead" and out["flash"]["last_mention"] == "2010-10-01"
    assert out["steady"]["status"] == "alive" and out["steady"]["last_mention"] == "2014-12-01"
    bad = tmp_path / "bad-long.csv"
    bad.write_text("idea,date,count,total\nflash,2010-01-01,3,100\nflash,2010-02-01,x,100\n")
    proc = run("lifecycle", "--counts", str(bad), ok=False)
    assert proc.returncode == 2 and "bad-long.csv" in proc.stderr and "line 3" in proc.stderr


def test_counts_csv_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,count\n2010-01-01,3\nnot a date,4\n")
    proc = run("lifecycle", "--counts", str(path), ok=False)
    assert proc.returncode == 2 and "bad.csv" in proc.stderr and "line 3" in proc.stderr


def test_compare_and_backtest(sotu_store: tuple[Path, dict], tmp_path: Path) -> None:
    store, _ = sotu_store
    cmp = json.loads(run("compare", str(store), "great society", "strategic defense initiative", "--by", "year",
                         "--format", "json", "--plot", str(tmp_path / "c.svg")).stdout)
    assert [r["idea"] for r in cmp] == ["great society", "strategic defense initiative"]
    assert (tmp_path / "c.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    one = run("compare", str(store), "great society", ok=False)
    assert one.returncode == 2 and "at least two" in one.stderr
    bt = json.loads(run("backtest", str(store), "great society", "strategic defense initiative", "war on poverty",
                        "--by", "year", "--cuts", "8", "--format", "json").stdout)
    rows = json.loads(run("backtest", str(store), "great society", "strategic defense initiative", "war on poverty",
                          "--by", "year", "--cuts", "8", "--verdicts", "--format", "json").stdout)
    # a verdict for every (idea, cut) at which the idea had been born: 8 cuts from 1849 to 2024
    assert 0 < len(rows) <= 24
    ours = next(r for r in bt["summary"] if r["method"] == "policypulse")
    assert [r["method"] for r in bt["summary"]] == ["policypulse", "naive", "solow", "ole"]
    assert ours["scored_cuts"] == sum(r["scored"] for r in rows) and bt["horizon_periods"] == 20
    dead = {(r["idea"], r["silence_since"]) for r in rows if r["policypulse"] and r["scored"]}
    assert ours["dead_silences"] == len(dead)


def test_api_lifecycle_result_object(sotu_store: tuple[Path, dict]) -> None:
    store, _ = sotu_store
    with policypulse.open(store) as corpus:
        res = corpus.lifecycle(["great society", "axis of evil"], by="year")
    assert list(res.summary["idea"]) == ["great society", "axis of evil"]
    assert res.provenance["store_version"] == 1 and res.provenance["parameters"]["by"] == "year"
    ax = res[0].plot()
    ys = ax.lines[0].get_ydata()
    assert max(ys) > 0  # the plotted rate is the real series, not an empty axis


def test_report_is_self_contained(sotu_store: tuple[Path, dict], tmp_path: Path) -> None:
    store, _ = sotu_store
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text("ideas:\n  - name: Great Society\n    aliases: [\"great society\"]\n"
                     "  - name: SDI\n    aliases: [\"strategic defense initiative\", \"star wars\"]\n")
    out = tmp_path / "r.html"
    run("report", str(store), "--ideas", str(ideas), "--out", str(out))
    html = out.read_text()
    assert html.count("report-chart\" id=") == 2 and "uPlot" in html and "Probably dead" in html \
        and "14 January 1969" in html


def test_a_single_mention_reads_in_plain_words(sotu_store: tuple[Path, dict]) -> None:
    """Said once in a yearly series: a lifespan of 'at least 1 year' (not '12 months') and a note that one
    mention gives no rate of use, not 'rests on 0 mentions'."""
    store, _ = sotu_store
    proc = run("lifecycle", str(store), "axis of evil", "--by", "year")
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "at least 1 year" in out and "12 months" not in out
    assert "one mention gives no rate of use" in out and "rests on 0" not in out
