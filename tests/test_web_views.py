"""What the charts, exports and help of the dashboard say, in process: one definition of each number
across the chart's JSON, the CSV and the figure; periods, documents and errors a researcher can read."""

from __future__ import annotations

import asyncio
import json
import io
import math
import re
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import policypulse
from policypulse.errors import UsageError
from policypulse.report import measures, present
from policypulse.web.app import create_app
from policypulse.web.help import common_words_warning, suggest
from policypulse.web.slow import SlowWork
from webdata import GAP_YEARS, NEW_DEAL, build_gap_store


@pytest.fixture(scope="module")
def gap_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_gap_store(tmp_path_factory.mktemp("views"))


@pytest.fixture(scope="module")
def client(gap_store: str) -> TestClient:
    return TestClient(create_app(gap_store))


def _docs(year: int) -> tuple[int, int]:
    """(documents saying 'new deal', documents) of a year of the gap corpus."""
    if year in GAP_YEARS:
        return 0, 0
    extra = 1 if year == 1966 else 0  # the lone October document
    return NEW_DEAL.get(year, 0) + extra, 4 + extra


@pytest.mark.parametrize("measure", ["share", "words", "docs", "mentions"])
def test_each_measure_has_one_definition_and_gaps_have_no_value(client: TestClient, measure: str) -> None:
    rows = client.get("/api/track", params={"q": "new deal", "by": "year", "measure": measure}).json()
    assert [r["period"] for r in rows] == [f"{y}-01-01" for y in range(1960, 1976)]
    for r in rows:
        year = int(r["period"][:4])
        said, total = _docs(year)
        assert r["docs"] == said and r["total_docs"] == total and r["period_end"] == f"{year}-12-31"
        assert r["measure"] == measure and r["smooth"] == 1
        if year in GAP_YEARS:
            assert r["value"] is None and r["coverage"] == "gap"
            continue
        want = {"share": 100 * said / total, "docs": said, "mentions": r["mentions"],
                "words": 1e6 * r["mentions"] / r["total_words"]}[measure]
        assert r["value"] == pytest.approx(want)
    assert sum(r["mentions"] for r in rows) == 3 * sum(NEW_DEAL.values()) + 1


def test_smoothing_never_gives_a_value_where_it_was_not_said(client: TestClient) -> None:
    raw = client.get("/api/track", params={"q": "new deal", "by": "year", "measure": "docs"}).json()
    sm = client.get("/api/track", params={"q": "new deal", "by": "year", "measure": "docs", "smooth": 3}).json()
    for i, (r, s) in enumerate(zip(raw, sm)):
        if r["coverage"] == "gap":
            assert s["value"] is None
        elif r["docs"] == 0:
            assert s["value"] == 0  # not said: no smoothed talk
        else:  # said: the centred mean of the covered neighbours
            window = [x["value"] for x in raw[max(0, i - 1): i + 2] if x["value"] is not None]
            assert s["value"] == pytest.approx(sum(window) / len(window))


def test_csv_carries_the_same_values_and_says_what_it_holds(client: TestClient) -> None:
    params = {"q": "new deal", "by": "year", "measure": "words", "smooth": 3}
    rows = client.get("/api/track", params=params).json()
    r = client.get("/api/track", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="policypulse-new-deal-per-year-words-smoothed-3.csv"' in r.headers["content-disposition"]
    df = pd.read_csv(io.StringIO(r.text))
    assert list(df.columns[:7]) == ["idea", "period", "docs", "mentions", "total_docs", "rate", "coverage"]
    assert {"value", "measure", "smooth", "corpus"} <= set(df.columns)
    want = [np.nan if x["value"] is None else x["value"] for x in rows]
    np.testing.assert_allclose(df["value"].to_numpy(float), want, equal_nan=True)
    assert set(df["measure"]) == {"words"} and set(df["smooth"]) == {3}


def test_compare_exports_every_idea_in_one_named_csv(client: TestClient) -> None:
    r = client.get("/api/track", params={"q": ["new deal", "schools"], "by": "year", "format": "csv"})
    assert "policypulse-new-deal-vs-schools-per-year-share.csv" in r.headers["content-disposition"]
    df = pd.read_csv(io.StringIO(r.text))
    assert list(dict.fromkeys(df["idea"])) == ["new deal", "schools"] and len(df) == 32
    too_many = client.get("/api/track", params={"q": [f"w{i}" for i in range(11)]})
    assert too_many.status_code == 400 and "at most 10" in too_many.json()["error"]


def test_kwic_narrows_to_a_period(client: TestClient) -> None:
    lines = client.get("/api/kwic", params={"q": "new deal", "from": "1966-01-01", "to": "1966-12-31",
                                            "limit": 100}).json()
    assert {x["date"][:4] for x in lines} == {"1966"} and len(lines) == 3 * 3 + 1
    assert client.get("/api/kwic", params={"q": "new deal", "from": "1965-01-01", "to": "1965-12-31"}).json() == []
    bad = client.get("/api/kwic", params={"q": "new deal", "from": "last spring"})
    assert bad.status_code == 400 and "from=" in bad.json()["error"]


def test_document_page_highlights_every_counted_match_and_links_the_original(client: TestClient) -> None:
    html = client.get("/doc/g1964-0", params={"q": "new deal"}).text
    assert re.findall(r'<mark class="hit" id="m\d">([^<]*)</mark>', html) == ["New Deal", "new-deal", "NEW DEAL"]
    assert 'id="original-link" href="https://example.org/addresses/1964/0"' in html
    # with a query that uses operators, only the positive phrases are counted and marked
    html = client.get("/doc/g1964-0", params={"q": '"new deal" AND roads'}).text
    assert html.count('class="hit"') == 4
    assert client.get("/doc/g1964-0").text.count('class="hit"') == 0


def test_browsers_get_html_error_pages_and_the_api_gets_json(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at /no/such/page" in page.text and "<form" in page.text
    doc = client.get("/doc/missing-id")
    assert doc.status_code == 404 and "text/html" in doc.headers["content-type"] and "missing-id" in doc.text
    api = client.get("/api/no/such")
    assert api.status_code == 404 and api.json() == {"error": "There is no page at /api/no/such."}
    idea = client.get("/idea", params={"q": '"new deal'})
    assert idea.status_code == 400 and "closing quote" in idea.text and "text/html" in idea.headers["content-type"]
    assert client.get("/api/track", params={"q": "x", "measure": "loudness"}).json()["error"].startswith(
        "unknown measure='loudness'")
    assert "smooth must be between" in client.get("/api/track", params={"q": "x", "smooth": 99}).json()["error"]


def test_did_you_mean_comes_from_the_corpus_vocabulary(client: TestClient) -> None:
    h = client.get("/api/help", params={"q": "new dael"}).json()
    assert h["matches"] == 0 and h["suggestions"][0] == {"query": "new deal", "documents": sum(NEW_DEAL.values()) + 1}
    # the idea page holds the notice, shown by the page when /api/summary finds no match (browser tests)
    html = client.get("/idea", params={"q": "nwe deal"}).text
    assert 'id="no-match" role="status" hidden' in html and "No document in this corpus contains" in html
    assert client.get("/api/summary", params={"q": "nwe deal"}).json()["matches"] == 0
    assert suggest("grate socity", {"great": 10, "society": 20, "grate": 1, "": 30})[:2] == ["grate society",
                                                                                           "great society"]


def test_a_query_of_common_words_is_warned_about() -> None:
    assert "very common words" in (common_words_warning("of the", 90, 100) or "")
    assert "50%" in (common_words_warning("schools", 50, 100) or "")
    assert common_words_warning("new deal", 10, 100) is None


def test_query_syntax_help_is_beside_the_search_box(client: TestClient) -> None:
    html = client.get("/").text
    assert 'id="query-help"' in html and "NEAR/5" in html and "trailing *" in html


def test_lifecycle_display_has_no_raw_values(client: TestClient) -> None:
    for q, by in (("new deal", "year"), ("new deal", "month"), ("schools", "year"), ("never said", "year")):
        lc = client.get("/api/lifecycle", params={"q": q, "by": by}).json()
        text = " ".join([lc["verdict_text"]] + [f"{a} {b}" for a, b in lc["display"]["facts"]] +
                        [p["span"] for p in lc["display"]["phases"]] + [lc["display"]["forecast"]])
        assert not re.search(r"NaT|None|nan|\de[-+]\d", text), text


def test_present_formats_periods_intervals_and_p_values() -> None:
    assert present.period_label("1965-01-01", "year") == "1965"
    assert present.period_label("2014-03-01", "month") == "Mar 2014"
    assert present.period_label("2014-04-01", "quarter") == "Q2 2014"
    assert present.period_label(None, "year") == present.period_label(pd.NaT, "year") == "—"
    assert present.interval_label(["1966-01-01", "1966-01-01"], "year") == ""  # degenerate: nothing to say
    assert present.interval_label(["1988-01-01", None], "year") == ""
    assert present.interval_label(["1965-01-01", "1967-01-01"], "year") == "1965 to 1967"
    assert present.p_label(1.15e-17) == "p < 0.001" and present.p_label(0.0312) == "p = 0.031"
    fc = present.forecast_label({"forecast_last_mention": "2065-01-01", "forecast_interval": ["1988-01-01", None],
                                 "status": "dormant", "last_mention": "1988-01-01"}, "year")
    # No upper end: the bound only, not a central date that would look sharper than the model is.
    assert fc == "cannot be dated: not before 1988, and the fading is too slow to set a latest date"
    fc = present.forecast_label({"forecast_last_mention": "1988-01-01", "forecast_interval": ["1988-01-01", None],
                                 "status": "dormant", "last_mention": "1988-01-25"}, "year")
    assert fc == "no more uses expected after the last one (1988); the model cannot rule out later ones (no upper bound)"
    assert present.verdict({"verdict_text": "Dead since 1969.", "status": "dead"}) == "Dead since 1969."
    assert [present.number_label(x) for x in (1234.5, 45.53, 0.0123, 2e-5, None, 0)] == [
        "1,234", "45.5", "0.0123", "< 0.001", "—", "0"]


def test_figures_are_white_titled_and_say_measure_corpus_and_verdict(client: TestClient) -> None:
    import matplotlib.image as mpimg

    png = client.get("/api/figure", params={"q": "new deal", "by": "year", "measure": "docs", "smooth": 3})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert "policypulse-new-deal-per-year-docs-smoothed-3.png" in png.headers["content-disposition"]
    img = mpimg.imread(io.BytesIO(png.content), format="png")
    assert img.shape[2] in (3, 4) and (img[:5, :5, :3] == 1.0).all()  # white, not transparent
    if img.shape[2] == 4:
        assert (img[..., 3] == 1.0).all()
    svg = client.get("/api/figure", params={"q": "new deal", "by": "year", "measure": "docs", "smooth": 3,
                                            "format": "svg"}).text
    lc = client.get("/api/lifecycle", params={"q": "new deal", "by": "year"}).json()
    for needle in ("new deal", "documents mentioning it, per year, 3-year centred moving average", "gapstore",
                   lc["verdict_text"].split(":")[0] + ":", lc["verdict_text"].split("; ")[0][-40:]):
        assert needle in svg, needle


def test_figure_plots_the_same_values_as_the_chart(gap_store: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import policypulse
    from policypulse.report.figures import figure

    with policypulse.open(gap_store) as c:
        track = c.track("new deal", by="year")
    fig = figure(track, [], by="year", measure="share", smooth=3, corpus_label="gaps")
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "% of documents")
    np.testing.assert_allclose(line.get_ydata(), measures.values(track, "share", 3), equal_nan=True)
    assert np.isnan(line.get_ydata()[[y - 1960 for y in GAP_YEARS]]).all()
    # a year where every document says it: the headroom above 100% holds the phase strip, and its ticks
    # are not labelled (no "120%")
    full = track.copy()
    top = full["docs"].idxmax()
    full.loc[top, "docs"] = full.loc[top, "total_docs"]
    ax = figure(full, [], by="year", measure="share", smooth=1, corpus_label="gaps").axes[0]
    assert ax.get_ylim()[1] > 100 and max(ax.get_yticks()) == 100


def test_pages_render_with_every_measure_and_compare_ten(client: TestClient) -> None:
    for m in measures.MEASURES:
        r = client.get("/idea", params={"q": "new deal", "measure": m, "smooth": 5})
        assert r.status_code == 200 and f'data-measure="{m}"' in r.text
    ten = [f"idea {i}" for i in range(10)]
    r = client.get("/compare", params={"q": ten})
    assert r.status_code == 200 and r.text.count("data-term-flag") == 10 and r.text.count('tr data-index=') == 10
    assert client.get("/embed", params={"q": "new deal"}).headers["content-security-policy"].endswith(
        "frame-ancestors *")
    assert client.get("/idea", params={"q": "new deal"}).headers["content-security-policy"].endswith(
        "frame-ancestors 'none'")


def test_every_page_offers_exports(client: TestClient) -> None:
    assert 'id="export-csv" href="/api/overview?by=year&amp;format=csv"' in client.get("/").text
    r = client.get("/api/overview", params={"format": "csv"})
    assert "policypulse-gapstore-documents-per-year.csv" in r.headers["content-disposition"]
    idea = client.get("/idea", params={"q": "new deal"}).text
    for key in ("export-csv", "export-png", "export-svg", "export-kwic", "embed-code"):
        assert f'id="{key}"' in idea
    assert "data-copy-link" in idea


def test_slow_work_is_computed_once_cached_and_errors_are_not_kept() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def job(x: int) -> int:
        calls.append(x)
        gate.wait(5)
        if x < 0:
            raise ValueError("bad")
        return 2 * x

    work = SlowWork(workers=1, processes=False)

    async def main() -> None:
        tasks = [asyncio.create_task(work.get(("k", 1), job, 1)) for _ in range(3)]
        await asyncio.sleep(0.05)
        gate.set()
        assert await asyncio.gather(*tasks) == [2, 2, 2]
        assert work.cached(("k", 1)) == 2
        with pytest.raises(ValueError):
            await work.get(("k", -1), job, -1)
        with pytest.raises(ValueError):
            await work.get(("k", -1), job, -1)

    asyncio.run(main())
    work.close()
    assert calls == [1, -1, -1]


def test_cheap_requests_are_answered_while_a_slow_one_runs(gap_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from policypulse.web import slow

    def stuck(store: str, version: int, q: str, by: str) -> dict:
        time.sleep(3)
        return {}

    monkeypatch.setattr(slow, "lifecycle_job", stuck)
    app = create_app(gap_store, slow_processes=False)
    with TestClient(app) as c:
        done: list[float] = []
        t = threading.Thread(target=lambda: (c.get("/api/lifecycle", params={"q": "schools"}),
                                             done.append(time.perf_counter())))
        t0 = time.perf_counter()
        t.start()
        time.sleep(0.2)
        r = c.get("/api/track", params={"q": "farms", "by": "month"})
        cheap = time.perf_counter()
        assert r.status_code == 200
        t.join()
    assert cheap - t0 < 2.5 and done and done[0] - t0 >= 3  # the cheap answer did not wait for the slow one


def test_measure_checks() -> None:
    with pytest.raises(UsageError, match="choose one of share, words, docs, mentions"):
        measures.check_measure("percent")
    assert measures.describe("share", 1, "year") == "% of documents mentioning it, per year, not smoothed"
    rows = pd.DataFrame({"docs": [0, 2, 0, 0], "mentions": [0, 3, 0, 0], "total_docs": [5, 4, 0, 2],
                         "total_words": [50, 40, 0, 20]})
    v = measures.values(rows, "share", 3)
    assert v[0] == 0 and v[1] == pytest.approx(25.0) and math.isnan(v[2]) and v[3] == 0


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in fh)
    except (FileNotFoundError, ProcessLookupError):  # the process was reaped between open and read
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_slow_worker_process_stops_with_the_server() -> None:
    import os

    work = SlowWork(workers=1, processes=True)

    async def main() -> int:
        return int(await work.get(("pid",), os.getpid))

    pid = asyncio.run(main())
    assert pid != os.getpid() and _alive(pid)  # the job ran in the worker process
    work.close()
    deadline = time.time() + 15
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_compare_plot_draws_the_dashboards_chart(gap_store: str, client: TestClient, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`policypulse compare --plot` draws what the compare page plots: each idea's /api/track values."""
    import matplotlib

    matplotlib.use("Agg")
    from typer.testing import CliRunner

    import policypulse.lifecycle
    from policypulse.cli import app as cli

    saved: list = []
    real = policypulse.lifecycle.save_figure
    monkeypatch.setattr(policypulse.lifecycle, "save_figure", lambda fig, path: saved.append(fig) or real(fig, path))
    out = tmp_path / "cmp.svg"
    res = CliRunner().invoke(cli, ["compare", gap_store, "new deal", "schools", "--by", "year", "--measure", "docs",
                                   "--smooth", "3", "--plot", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    ax = saved[0].axes[0]
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    for q in ("new deal", "schools"):
        rows = client.get("/api/track", params={"q": q, "by": "year", "measure": "docs", "smooth": 3}).json()
        want = [np.nan if r["value"] is None else r["value"] for r in rows]
        np.testing.assert_allclose(lines[q], want, equal_nan=True)
    svg = out.read_text()
    assert "new deal vs schools" in svg and "documents mentioning it, per year, 3-year centred moving average" in svg
    assert "no documents (coverage gap)" in svg  # the gaps are shaded as on the page
    from policypulse.cli import main

    assert main(["compare", gap_store, "new deal", "schools", "--measure", "loud", "--plot", str(out)]) == 2
    table = CliRunner().invoke(cli, ["compare", gap_store, "new deal", "schools", "--by", "year"])
    assert table.exit_code == 0 and "verdict" in table.output and "new deal" in table.output
    assert not re.search(r"NaT|None|nan\b|\de[-+]\d", table.output), table.output  # people's words, not raw values


def test_discovery_pages_default_to_a_period_the_corpus_covers(client: TestClient, gap_store: str,
                                                                tmp_path: Path) -> None:
    """Four documents a year: per month nearly every period would be a gap, so the pages default to years."""
    from policypulse.web.discovery import Discovery

    assert Discovery(gap_store).fitting_by(1) == "year"
    monthly = tmp_path / "monthly.jsonl"  # a document every month but one in three: months are covered enough
    monthly.write_text("".join(json.dumps({"id": f"m{i}", "date": f"{2000 + i // 12}-{i % 12 + 1:02d}-15",
                                           "text": f"the budget debate number {i}"}) + "\n"
                               for i in range(36) if i % 3 != 1), encoding="utf-8")
    policypulse.ingest(tmp_path / "monthly", [monthly])
    assert Discovery(str(tmp_path / "monthly")).fitting_by(1) == "month"
    for path in ("/successors", "/obituaries", "/emerging"):
        html = client.get(path).text
        assert re.search(r'<option value="year"\s+selected', html), path
        assert client.get(path, params={"by": "quarter"}).text.count('value="quarter" selected') >= 1, path


def _placeholders(html: str) -> dict[str, str]:
    """The placeholder of the header's search box and of the Successors and Precedents boxes."""
    found = {}
    for name, pattern in (("idea", r'<input id="q"[^>]*placeholder="([^"]*)"'),
                          ("successor", r'<input id="successors-q"[^>]*placeholder="([^"]*)"'),
                          ("precedent", r'<textarea id="text"[^>]*placeholder="([^"]*)"')):
        m = re.search(pattern, html)
        if m:
            found[name] = m.group(1)
    return found


def test_search_boxes_offer_no_other_corpus_s_ideas(client: TestClient) -> None:
    """A store that is not the demo gets neutral examples: no American demo idea, no British one."""
    from policypulse.web.help import NEUTRAL_EXAMPLES

    shown = {**_placeholders(client.get("/successors").text), **_placeholders(client.get("/precedents").text)}
    assert shown == {"idea": NEUTRAL_EXAMPLES.idea + "   (press / to search)", "successor": NEUTRAL_EXAMPLES.successor,
                     "precedent": NEUTRAL_EXAMPLES.precedent}
    html = client.get("/").text
    for foreign in ("great society", "war on poverty", "big society", "mental health", "troubled families"):
        assert foreign not in html.casefold(), foreign


def test_every_syntax_example_parses() -> None:
    """The help shows only queries the parser accepts ('"a" NOT "b"' was shown once: a syntax error)."""
    from policypulse.query.parser import parse
    from policypulse.web.help import NEUTRAL_EXAMPLES, SOTU_EXAMPLES

    for ex in (NEUTRAL_EXAMPLES, SOTU_EXAMPLES):
        for example, _ in ex.syntax:
            parse(example)


def test_demo_store_s_examples_are_its_own_ideas(sotu_store: tuple[Path, dict]) -> None:
    """On the State of the Union store every example of the boxes and the syntax help is in the addresses."""
    from policypulse.web.help import SOTU_EXAMPLES

    sotu = TestClient(create_app(str(sotu_store[0])))
    shown = {**_placeholders(sotu.get("/successors").text), **_placeholders(sotu.get("/precedents").text)}
    assert shown["successor"] == SOTU_EXAMPLES.successor and shown["precedent"] == SOTU_EXAMPLES.precedent
    assert shown["idea"].startswith(SOTU_EXAMPLES.idea)
    html = sotu.get("/").text
    assert "big society" not in html.casefold() and "mental health" not in html.casefold()
    asked = [SOTU_EXAMPLES.idea.split("e.g. ")[1], SOTU_EXAMPLES.successor.split("e.g. ")[1]]
    asked += [example for example, _ in SOTU_EXAMPLES.syntax if not example.startswith("#")]
    for q in asked:
        rows = sotu.get("/api/track", params={"q": q, "by": "year"}).json()
        assert sum(r["docs"] for r in rows) >= 2, q  # the corpus says it (and a query that fails would be a dict)
    words = set(SOTU_EXAMPLES.precedent.removeprefix("e.g. ").split()) - {"a", "to", "for"}
    for w in words:  # every word of the description is in the addresses
        assert sum(r["docs"] for r in sotu.get("/api/track", params={"q": w, "by": "year"}).json()) > 0, w


@pytest.mark.parametrize("path", ["/api/lifecycle", "/api/figure", "/api/help"])
def test_a_slow_request_s_own_count_never_holds_the_event_loop(gap_store: str, path: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The count a lifecycle, a figure or 'did you mean' makes first (to refuse a bad query at once) runs on a
    thread: on the event loop it held every other request for its whole time (5-50 ms at 1M, seconds for a
    pair of common words), and a cheap count waited behind four slow requests (bench/bench_web.py, slow)."""
    from policypulse.web import app as web_app, slow

    real = web_app.track_rows

    def rows(corpus: policypulse.Corpus, q: str, by: str) -> dict:
        if q == "schools":
            time.sleep(2)  # an expensive count
        return real(corpus, q, by)

    monkeypatch.setattr(web_app, "track_rows", rows)
    monkeypatch.setattr(slow, "lifecycle_job", lambda *a: {})
    monkeypatch.setattr(slow, "figure_job", lambda *a: b"")
    with TestClient(create_app(gap_store, slow_processes=False)) as c:
        done: list[float] = []
        t = threading.Thread(target=lambda: (c.get(path, params={"q": "schools", "by": "month"}),
                                             done.append(time.perf_counter())))
        t0 = time.perf_counter()
        t.start()
        time.sleep(0.3)
        r = c.get("/api/track", params={"q": "farms", "by": "year"})
        cheap = time.perf_counter() - t0
        assert r.status_code == 200
        t.join()
    assert done and done[0] - t0 >= 2  # the slow request did count
    assert cheap < 1.5, f"the cheap count waited {cheap:.2f} s behind {path}'s count"
