"""The dashboard and the report in a real headless Chromium (Debian's chromium + chromium-driver).

The charts are read back from the page (the uPlot instance's data) and compared with /api/track, so a
period the chart fails to draw, or draws with another number, fails here. Screenshots of every page
are kept in tests/artifacts/ (CI keeps them as artifacts).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webdata import GAP_YEARS, NEW_DEAL, SUCCESSOR, build_gap_store, build_indexes, build_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="Chromium not found: apt-get install chromium chromium-driver (.ci/run does)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(store: str) -> Iterator[str]:
    import uvicorn

    from policypulse.web.app import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = build_store(tmp_path_factory.mktemp("browser"))
    build_indexes(store)  # as `policypulse index-phrases` and `index-passages` would: the dashboard never builds
    yield from _serve(store)


@pytest.fixture(scope="module")
def gap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(build_gap_store(tmp_path_factory.mktemp("gaps")))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1366,1000"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver: Any, css: str, attr: str | None = None, timeout: float = 90) -> Any:
    # Generous: under heavy load (two runs at load 20+ on 2 cores) a period's quotes took over 30 s.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    el = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    if attr:
        wait.until(lambda d: el.get_attribute(attr))
    return el


def _shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def _api(base: str, path: str, **params: Any) -> Any:
    with urllib.request.urlopen(f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}") as r:
        return json.loads(r.read())


def _plotted(driver: Any, chart_id: str, series: int = 1) -> dict[str, Any]:
    """What the chart holds: x (seconds), y per period, and which lone points it draws as dots."""
    return driver.execute_script(  # type: ignore[no-any-return]
        "var u = PP.charts[arguments[0]], s = u.series[arguments[1]];"
        "var f = s.points.filter ? s.points.filter(u, arguments[1], true, null) : null;"
        "return {x: Array.from(u.data[0]), y: Array.from(u.data[arguments[1]]), dots: f, min: u.scales.x.min,"
        " max: u.scales.x.max, n: u.data[0].length};", chart_id, series)


def _seconds(day: str) -> float:
    import datetime as dt

    d = dt.date.fromisoformat(day)
    return (d - dt.date(1970, 1, 1)).days * 86400.0


def test_chart_draws_every_covered_period_beside_gaps_and_zooms_to_the_life(gap_server: str, browser: Any) -> None:
    d = browser
    d.get(gap_server + "/idea?q=new+deal&by=year")
    _wait(d, "#timeline", "data-lifecycle")
    got = _plotted(d, "timeline")
    rows = _api(gap_server, "/api/track", q="new deal", by="year")
    assert got["n"] == len(rows) == 16  # 1960..1975, gaps included as periods
    assert got["x"] == [_seconds(r["period"]) for r in rows]
    for y, r in zip(got["y"], rows):
        if r["coverage"] == "gap":
            assert y is None, r["period"]  # a gap is a break, never a zero
        else:
            assert y == pytest.approx(r["value"]) and r["value"] == pytest.approx(100 * r["docs"] / r["total_docs"])
    by_year = {int(r["period"][:4]): y for r, y in zip(rows, got["y"])}
    for year, n in NEW_DEAL.items():  # every year it was said is on the chart, those beside gaps too
        assert by_year[year] == pytest.approx(100 * (n + (year == 1966)) / (4 + (year == 1966))), year
    assert {y for y, v in by_year.items() if v is None} == set(GAP_YEARS)
    # zoomed to its life (1962-1974, padded), not the whole corpus
    assert got["min"] >= _seconds("1960-01-01") and got["max"] <= _seconds("1976-01-01")
    legend = d.find_element("id", "phase-legend").text
    assert "no documents collected" in legend
    # the chart's own legend names the idea alone away from the cursor (no empty "Period:"), values under it
    key = d.find_element("css selector", "#timeline .u-legend")
    assert "pp-idle" in (key.get_attribute("class") or "") and "new deal" in key.text and "Period" not in key.text
    d.execute_script("var u = PP.charts['timeline']; u.setCursor({left: u.valToPos(u.data[0][3], 'x'), top: 10});")
    assert "pp-idle" not in (key.get_attribute("class") or "") and "Period" in key.text and "1963" in key.text
    verdict = d.find_element("id", "verdict").text
    assert verdict and "None" not in verdict and "NaT" not in verdict and not re.search(r"\de-\d", verdict)
    facts = d.find_element("id", "facts").text
    assert "Last mention" in facts and "NaT" not in facts and "None" not in facts
    _shot(d, "idea-new-deal-gaps")


def test_month_chart_marks_a_lone_period_between_gaps(gap_server: str, browser: Any) -> None:
    d = browser
    d.get(gap_server + "/idea?q=new+deal&by=month")
    _wait(d, "#timeline", "data-points")
    got = _plotted(d, "timeline")
    rows = _api(gap_server, "/api/track", q="new deal", by="month")
    assert len(got["y"]) == len(rows) == 15 * 12 + 4  # January 1960 to April 1975
    covered = [i for i, r in enumerate(rows) if r["coverage"] == "ok"]
    assert [got["y"][i] for i in covered] == pytest.approx([rows[i]["value"] for i in covered])
    # a covered month between two empty months has no line to draw: the chart draws it as a dot
    lone = [i for i in covered if (i == 0 or rows[i - 1]["coverage"] == "gap")
            and (i == len(rows) - 1 or rows[i + 1]["coverage"] == "gap")]
    assert [rows[i]["period"] for i in lone] == ["1966-10-01"] and got["dots"] == lone
    assert got["y"][lone[0]] == pytest.approx(100.0)
    # the headroom above the data (for the phase strip) is not labelled: a share never reads above 100%
    labels = d.execute_script("return PP.charts.timeline.axes[1]._values;")
    shown = [float(v.replace(",", "")) for v in labels if v]
    assert shown and max(shown) == 100
    _shot(d, "idea-new-deal-by-month")


def test_click_a_period_lists_its_documents_and_a_quote_opens_the_highlighted_match(gap_server: str,
                                                                                      browser: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    d = browser
    d.get(gap_server + "/idea?q=new+deal&by=year")
    _wait(d, "#timeline", "data-lifecycle")  # the page has settled: the verdict card above is filled in
    # the period 1966 sits right after the 1965 gap: click its point, the chart scrolled to the middle of the
    # window first (with a longer verdict card above it, the point sat at the window's lower edge and the
    # click was lost whenever the page had been visited before: three full runs failed here)
    d.execute_script("document.querySelector('#timeline').scrollIntoView({block: 'center'})")
    x, y = d.execute_script(
        "var u = PP.charts.timeline, i = u.data[0].indexOf(arguments[0]);"
        "return [u.valToPos(u.data[0][i], 'x'), u.valToPos(u.data[1][i], 'y')];", _seconds("1966-01-01"))
    over = d.find_element(By.CSS_SELECTOR, "#timeline .u-over")
    w, h = over.size["width"], over.size["height"]
    ActionChains(d).move_to_element_with_offset(over, int(x - w / 2), int(y - h / 2)).click().perform()
    box = _wait(d, "#period-docs[data-loaded]")
    assert box.get_attribute("data-period") == "1966-01-01"
    assert "4 of the 5 documents of 1966 mention it" in box.text
    dates = [a.text for a in box.find_elements(By.CSS_SELECTOR, "a.kwic-link")]
    assert dates and all(t.startswith("1966-") for t in dates)
    assert len(dates) == 3 * 3 + 1  # three documents with three counted matches each, and the lone one
    _shot(d, "idea-period-clicked")
    box.find_elements(By.CSS_SELECTOR, "a.kwic-link")[0].click()
    _wait(d, "article.doc-text")
    marks = d.find_elements(By.CSS_SELECTOR, "article.doc-text mark.hit")
    assert [m.text for m in marks] == ["New Deal", "new-deal", "NEW DEAL"]  # every counted match
    assert d.find_element(By.ID, "original-link").get_attribute("href") == "https://example.org/addresses/1966/0"
    assert "3 matches" in d.find_element(By.ID, "match-count").text
    _shot(d, "document-highlighted")


def test_measure_and_smoothing_agree_in_url_csv_and_chart(gap_server: str, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    d = browser
    d.get(gap_server + "/idea?q=new+deal&by=year")
    _wait(d, "#timeline", "data-points")
    Select(d.find_element("id", "measure")).select_by_value("docs")
    Select(d.find_element("id", "smooth")).select_by_value("3")
    _wait(d, "#timeline[data-smooth='3']")
    time.sleep(0.5)
    d.execute_script("return 1")
    for _ in range(50):
        got = _plotted(d, "timeline")
        rows = _api(gap_server, "/api/track", q="new deal", by="year", measure="docs", smooth=3)
        if got["y"] == [r["value"] for r in rows]:
            break
        time.sleep(0.2)
    assert got["y"] == pytest.approx([r["value"] for r in rows], nan_ok=True) or got["y"] == [r["value"] for r in rows]
    assert "measure=docs" in d.current_url and "smooth=3" in d.current_url
    csv_href = d.find_element("id", "export-csv").get_attribute("href")
    assert "measure=docs" in csv_href and "smooth=3" in csv_href
    with urllib.request.urlopen(csv_href) as r:
        disposition = r.headers["Content-Disposition"]
        lines = r.read().decode().splitlines()
    assert "new-deal-per-year-docs-smoothed-3.csv" in disposition
    header = lines[0].split(",")
    vi = header.index("value")
    csv_values = [float(x.split(",")[vi]) if x.split(",")[vi] else None for x in lines[1:]]
    assert csv_values == [None if v is None else pytest.approx(v) for v in got["y"]]
    # smoothing never gives a value to a year nobody said it
    said = {int(r["period"][:4]) for r in rows if r["docs"] > 0}
    for r, v in zip(rows, got["y"]):
        if int(r["period"][:4]) not in said and v is not None:
            assert v == 0
    caption = d.find_element("id", "chart-caption").text
    assert "documents mentioning it" in caption and "3-year centred moving average" in caption
    _shot(d, "idea-docs-smoothed")


def test_echoes_are_told_apart_from_uses(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/idea?q=big+society&by=year")
    _wait(d, "#timeline", "data-lifecycle")
    lc = _api(server, "/api/lifecycle", q="big society", by="year")
    assert lc["echoes"] == 1 and lc["echo_dates"] == ["2015-01-01"]  # the lone 2015 mention (webdata's hostile doc)
    assert "Last use" in d.find_element(By.ID, "facts").text
    _wait(d, "#kwic-body tr[data-date]")  # the first 20 quotes, all uses (2009-2011)
    assert not d.find_elements(By.CSS_SELECTOR, "#kwic-body tr.echo")
    # the documents of 2015 (the period's own list, as a click on its point opens it)
    d.execute_script("var rows = PP.rows.timeline; PP.showPeriod('big society', rows[rows.length - 1], 'year');")
    box = _wait(d, "#period-docs[data-loaded]")
    assert "echoes" in box.find_element(By.CSS_SELECTOR, ".period-note").text
    tagged = [tr.get_attribute("data-date") for tr in box.find_elements(By.CSS_SELECTOR, "tr.echo")]
    assert tagged == ["2015-06-01"] and "echo" in box.find_element(By.CSS_SELECTOR, "tr.echo .echo-tag").text
    assert lc["last_use"] < "2015-06-01"
    _shot(d, "idea-echo")


def test_overview_search_typo_suggestion_and_error_page(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/")
    overview = _wait(d, "#overview-chart", "data-points")
    assert int(overview.get_attribute("data-points")) == 16  # 2000..2015, one bar a year
    assert d.find_element(By.ID, "query-help").text.startswith("Query syntax")
    _shot(d, "overview")
    d.find_element(By.TAG_NAME, "body").send_keys("/")
    box = d.switch_to.active_element
    assert box.get_attribute("id") == "q"
    box.send_keys("big socety", Keys.ENTER)
    _wait(d, "a.suggestion")
    assert [a.text for a in d.find_elements(By.CSS_SELECTOR, "a.suggestion")][0] == "big society"
    _shot(d, "idea-did-you-mean")
    d.get(server + "/no-such-page")
    assert "There is no page at /no-such-page" in d.find_element(By.ID, "error-message").text
    _shot(d, "error-page")


def test_compare_draws_the_good_terms_and_flags_the_bad_one(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    terms = ["big society", '"broken', "service integration", "third way", "budgets", "housing", "report",
             "localism", "charities", "neverever"]
    d.get(server + "/compare?" + urllib.parse.urlencode({"q": terms, "by": "year"}, doseq=True))
    chart = _wait(d, "#compare-chart", "data-failed")
    assert chart.get_attribute("data-failed") == "1"
    labels = d.execute_script("return PP.charts['compare-chart'].series.slice(1).map(function (s) { return s.label; })")
    assert labels == [t for t in terms if t != '"broken']
    flags = [f.text for f in d.find_elements(By.CSS_SELECTOR, "[data-term-flag]")]
    assert "closing quote" in flags[1] and flags[0] == "" and flags[9] == "never mentioned"
    got = _plotted(d, "compare-chart", 1)
    rows = _api(server, "/api/track", q="big society", by="year")
    assert got["y"] == pytest.approx([r["value"] for r in rows])
    _wait(d, "#compare-body td.status-dead, #compare-body td.status-dormant, #compare-body td.status-declining")
    _shot(d, "compare")


def test_emerging_and_successors_pages_render_their_results(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/emerging?from=2012-01-01&to=2013-12-31")
    chart = _wait(d, "#compare-chart", "data-points")
    assert int(chart.get_attribute("data-points")) == 15 * 12 + 9  # every month from 2000-01 to 2015-09
    first = d.find_element(By.CSS_SELECTOR, "#emerging-table tbody tr td.phrase a")
    assert first.text == "service integration"
    labels = d.execute_script("return PP.charts['compare-chart'].series.slice(1).map(function (s) { return s.label; })")
    assert labels[0] == "service integration"
    drawn = d.execute_script("return PP.charts['compare-chart'].data[1].filter(function (v) { return v > 0; }).length")
    months = {(y, 1 + i % 9) for y, n in SUCCESSOR.items() for i in range(10 - n, 10)}
    assert drawn == len(months)
    _shot(d, "emerging")
    d.find_element(By.CSS_SELECTOR, "nav a[href='/successors']").click()
    box = _wait(d, "#successors-q")
    assert d.switch_to.active_element == box
    box.send_keys("big society", Keys.ENTER)
    _wait(d, "#successors-list li.candidate")
    cards = d.find_elements(By.CSS_SELECTOR, "#successors-list li.candidate")
    names = [c.find_element(By.CSS_SELECTOR, "h2 a").text for c in cards]
    assert "service integration" in names
    _wait(d, "#compare-chart", "data-points")
    labels = d.execute_script("return PP.charts['compare-chart'].series.slice(1).map(function (s) { return s.label; })")
    assert labels[0] == "big society" and "service integration" in labels
    _shot(d, "successors")
    d.get(server + "/obituaries")
    _wait(d, "#obituaries-table")
    _shot(d, "obituaries")


def test_obituaries_judge_more_than_four_ideas_typed_in_the_form(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/obituaries")
    boxes = _wait(d, "form.tool-form") and d.find_elements(By.CSS_SELECTOR, "form.tool-form input[name=q]")
    assert len(boxes) == 10  # as many as Compare takes (the form once held four)
    typed = ["big society", "service integration", "budgets", "housing", "report", "third way"]
    for box, idea in zip(boxes, typed):
        box.send_keys(idea)
    d.find_element(By.CSS_SELECTOR, "form.tool-form button[type=submit]").click()
    _wait(d, "#obituaries-table")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(d.current_url).query)
    assert [q for q in query["q"] if q] == typed
    judged = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#obituaries-table td.phrase a")]
    assert "third way" in judged  # the sixth idea, dead since 2004, was judged
    assert "budgets" not in judged  # said every year: alive
    kept = [b.get_attribute("value") for b in d.find_elements(By.CSS_SELECTOR, "form.tool-form input[name=q]")]
    assert kept[:6] == typed and kept[6:] == [""] * 4
    _shot(d, "obituaries-six-ideas")
    too_many = [("q", f"idea {i}") for i in range(11)]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{server}/api/obituaries?{urllib.parse.urlencode(too_many)}")
    assert err.value.code == 400 and "at most 10 ideas" in json.loads(err.value.read())["error"]


def test_no_line_stub_stands_beside_a_coverage_gap(gap_server: str, browser: Any) -> None:
    """A steep rise across a gap (zero, a gap, then 100%) draws nothing at the gap's edges.

    uPlot draws the line through the gap and clips the gap away; the clip stopped at the last covered
    period's x, and the stroke's width left a stub of the rising segment standing there (New Deal in the
    SOTU demo, 2024 beside the 2025 gap) and another under the next point.
    """
    d = browser
    d.get(gap_server + "/idea?q=new+deal&by=year")
    _wait(d, "#timeline", "data-points")
    d.execute_script("""
      var el = document.createElement('div'); el.id = 'stub-test'; el.dataset.by = 'year';
      el.dataset.measure = 'share'; el.style.width = '1000px'; document.querySelector('main').appendChild(el);
      var rows = [];
      for (var y = 1800; y <= 1998; y++) {  // over 120 periods: only lone points get dots
        var gap = y === 1997;
        rows.push({period: y + '-01-01', period_end: y + '-12-31', value: gap ? null : (y === 1998 ? 100 : 0),
                   coverage: gap ? 'gap' : 'ok'});
      }
      PP.lifeChart(el, rows, {name: 'stub'});
    """)
    _wait(d, "#stub-test canvas")
    time.sleep(0.5)  # uPlot sets its scales and draws after the task that made it
    got = d.execute_script("""
      var u = PP.charts['stub-test'], pr = devicePixelRatio || 1, ctx = u.ctx;
      var x0 = Math.round(u.valToPos(PP.ts('1996-01-01'), 'x', true));
      var x1 = Math.round(u.valToPos(PP.ts('1998-01-01'), 'x', true));
      var yZero = u.valToPos(0, 'y', true), yTop = u.valToPos(100, 'y', true);
      function blue(x, ya, yb) {  // pixels of the series' colour (#1f5fa8) in column x between ya and yb
        var n = 0, h = Math.floor(yb - ya);
        if (!(h > 0)) return 0;
        var px = ctx.getImageData(x, Math.ceil(ya), 1, h).data;
        for (var i = 0; i < px.length; i += 4) if (px[i + 2] - px[i] > 60 && px[i + 2] > 100 && px[i + 3] > 0) n++;
        return n;
      }
      var beside = 0, under = 0, k;
      for (k = x0 - 4; k <= x0 + 4; k++) beside += blue(k, yTop - 2, yZero - 5 * pr);
      for (k = x1 - 2; k <= x1 + 2; k++) under += blue(k, yTop + 6 * pr, yZero - 5 * pr);
      var line = blue(x0 - 20 * pr, yZero - 3 * pr, yZero + 3 * pr);  // the covered line itself is still drawn
      return {beside: beside, under: under, line: line, drawn: u.root.parentNode.getAttribute('data-drawn'),
              x0: x0, x1: x1, yZero: yZero, yTop: yTop};
    """)
    assert got["line"] > 0 and got["drawn"] == "198"
    assert got["beside"] == 0, got  # before: 20 pixels of a stub rising from 1996
    assert got["under"] == 0, got


def test_precedents_search_by_keyboard_draws_the_timeline(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/precedents")
    area = _wait(d, "textarea#text")
    assert d.switch_to.active_element == area
    area.send_keys("big society volunteers")
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    bars = _wait(d, "#bars-chart", "data-points")
    assert int(bars.get_attribute("data-points")) == 16
    summary = d.find_element(By.ID, "precedents-summary").text
    assert summary.startswith("Earliest strong match: 2010-02-15")  # the first document with all three words
    assert d.find_element(By.TAG_NAME, "body").text.count("Ranking:") == 1  # said once, in the summary
    assert d.execute_script("return document.querySelectorAll('main script, main img').length") == 0
    _shot(d, "precedents")


def test_hostile_document_does_not_run_script(server: str, browser: Any) -> None:
    d = browser
    d.get(server + "/doc/hostile?q=big+society")
    _wait(d, "article.doc-text")
    assert d.execute_script("return document.querySelectorAll('article script, article img').length") == 0
    assert "<script>" in d.execute_script("return document.querySelector('article').textContent")
    assert d.execute_script("return document.querySelectorAll('article mark.hit').length") == 1


def test_report_draws_every_chart_offline(tmp_path: Path, server: str, browser: Any) -> None:
    import policypulse
    from policypulse.query.ideas import idea_from_query
    from policypulse.report.html import write_report

    store = build_gap_store(tmp_path)
    with policypulse.open(store) as corpus:
        out = write_report(corpus, [idea_from_query("new deal"), idea_from_query("schools")], tmp_path / "report.html")
        rows = corpus.track("new deal", by="year")
    html = out.read_text(encoding="utf-8")
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) is None  # nothing is fetched
    assert "<link" not in html and '<script src' not in html
    assert "NaT" not in html and ">None<" not in html and not re.search(r"\d\.\d+e-\d\d", html.split("report-data")[0])
    settings = re.search(r"<dt>Lifecycle settings</dt><dd>([^<]*)</dd>", html).group(1)  # in words, not a dump
    assert "alpha 0.05" in settings and "as of the corpus" in settings and not re.search(r"\b(None|none|False|True)\b",
                                                                                           settings), settings
    assert "What was counted (all 3 quotes)" in html or "What was counted (the first 5 quotes)" in html
    d = browser
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        d.get(out.as_uri())
        _wait(d, ".report-chart[data-index='1']", "data-points")
        points = d.execute_script("return Array.from(document.querySelectorAll('.chart')).map(function (c) {"
                                  " return Number(c.getAttribute('data-points') || 0); });")
        assert points == [16, 16, 16]
        got = _plotted(d, "report-chart-0")
        want = [None if t == 0 else 100 * n / t for n, t in zip(rows["docs"], rows["total_docs"])]
        assert got["y"] == [None if w is None else pytest.approx(w) for w in want]
        assert "How this was produced" in d.page_source and "store version 1" in d.find_element("id", "provenance").text
        _shot(d, "report")
    finally:
        d.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_embeddable_chart_draws_alone_with_its_verdict(gap_server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(gap_server + "/embed?q=new+deal&by=year&measure=docs")
    _wait(d, "#timeline", "data-lifecycle")
    got = _plotted(d, "timeline")
    rows = _api(gap_server, "/api/track", q="new deal", by="year", measure="docs")
    assert got["y"] == [r["value"] for r in rows]
    assert d.find_element(By.ID, "verdict").text.startswith(("Declining", "Alive", "Gone quiet", "Probably dead",
                                                              "Called dead", "Dead", "Emerging", "Never"))
    assert not d.find_elements(By.CSS_SELECTOR, "header, nav")  # the chart alone, for an <iframe>
    _shot(d, "embed")
