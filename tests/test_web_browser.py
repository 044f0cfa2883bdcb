"""The dashboard and the report in a real headless Chromium (Debian's chromium + chromium-driver)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from webdata import SUCCESSOR, build_indexes, build_store

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from policypulse.web.app import create_app

    store = build_store(tmp_path_factory.mktemp("browser"))
    build_indexes(store)  # as `policypulse index-phrases` and `index-passages` would: the dashboard never builds
    port = _free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
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
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1366,900"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver: object, css: str, attr: str | None = None, timeout: float = 20) -> object:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    el = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    if attr:
        wait.until(lambda d: el.get_attribute(attr))
    return el


def test_overview_search_idea_chart_verdict_and_kwic_link(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/")  # type: ignore[attr-defined]
    overview = _wait(d, "#overview-chart", "data-points")
    assert int(overview.get_attribute("data-points")) == 16  # 2000..2015, one bar a year
    # keyboard-friendly search: "/" focuses the box
    d.find_element(By.TAG_NAME, "body").send_keys("/")  # type: ignore[attr-defined]
    box = d.switch_to.active_element  # type: ignore[attr-defined]
    assert box.get_attribute("id") == "q"
    box.send_keys("big society", Keys.ENTER)
    chart = _wait(d, "#timeline", "data-points")
    assert int(chart.get_attribute("data-points")) == 16
    # the chart really drew: Chart.js registered an instance with our data
    n = d.execute_script("var c = Chart.getChart(document.getElementById('timeline'));"  # type: ignore[attr-defined]
                         "return c ? c.data.datasets[1].data.reduce(function (a, b) { return a + b; }, 0) : -1;")
    assert n == 2 + 6 + 8 + 3 + 1
    verdict = d.find_element(By.ID, "verdict").text  # type: ignore[attr-defined]
    assert any(word in verdict for word in ("dead", "dormant", "declining", "alive", "emerging"))
    ARTIFACTS.mkdir(exist_ok=True)
    d.save_screenshot(str(ARTIFACTS / "idea-page.png"))  # type: ignore[attr-defined]
    assert (ARTIFACTS / "idea-page.png").stat().st_size > 10_000
    first = d.find_element(By.CSS_SELECTOR, "a.kwic-link")  # type: ignore[attr-defined]
    first.click()
    _wait(d, "article.doc-text")
    assert "/doc/d2009-0" in d.current_url  # type: ignore[attr-defined]
    assert "big society" in d.find_element(By.CSS_SELECTOR, "article.doc-text").text.lower()  # type: ignore[attr-defined]


def test_hostile_document_does_not_run_script(server: str, browser: object) -> None:
    d = browser
    d.get(server + "/doc/hostile")  # type: ignore[attr-defined]
    _wait(d, "article.doc-text")
    assert d.execute_script("return document.querySelectorAll('article script, article img').length") == 0  # type: ignore[attr-defined]
    assert "<script>" in d.execute_script("return document.querySelector('article').textContent")  # type: ignore[attr-defined]


def test_emerging_and_successors_pages_render_their_results(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/emerging?from=2012-01-01&to=2013-12-31")  # type: ignore[attr-defined]
    chart = _wait(d, "#compare-chart", "data-points")
    assert int(chart.get_attribute("data-points")) == 15 * 12 + 9  # every month from 2000-01 to 2015-09, gaps too
    first = d.find_element(By.CSS_SELECTOR, "#emerging-table tbody tr td.phrase a")  # type: ignore[attr-defined]
    assert first.text == "service integration"
    labels = d.execute_script(  # type: ignore[attr-defined]
        "return Chart.getChart(document.getElementById('compare-chart')).data.datasets.map(function (s) {"
        " return s.label; });")
    assert labels[0] == "service integration"
    drawn = d.execute_script(  # type: ignore[attr-defined]
        "return Chart.getChart(document.getElementById('compare-chart')).data.datasets[0].data"
        ".filter(function (v) { return v > 0; }).length;")
    # document i of a year is dated in month 1 + i % 9; the successor's documents are the last n of the year
    months = {(y, 1 + i % 9) for y, n in SUCCESSOR.items() for i in range(10 - n, 10)}
    assert drawn == len(months)
    # from the navigation to the successors page, by keyboard: type the idea and press Enter
    d.find_element(By.CSS_SELECTOR, "nav a[href='/successors']").click()  # type: ignore[attr-defined]
    box = _wait(d, "#successors-q")
    assert d.switch_to.active_element == box  # type: ignore[attr-defined]  # autofocus: ready to type
    box.send_keys("big society", Keys.ENTER)
    _wait(d, "#successors-list li.candidate")
    cards = d.find_elements(By.CSS_SELECTOR, "#successors-list li.candidate")  # type: ignore[attr-defined]
    names = [c.find_element(By.CSS_SELECTOR, "h2 a").text for c in cards]
    assert "service integration" in names
    card = cards[names.index("service integration")]
    assert "picks up 100% of the lost rate" in card.text and "Context" in card.text and "√(" in card.text
    assert card.find_element(By.CSS_SELECTOR, "meter").get_attribute("value")
    chart = _wait(d, "#compare-chart", "data-points")
    labels = d.execute_script(  # type: ignore[attr-defined]
        "return Chart.getChart(document.getElementById('compare-chart')).data.datasets.map(function (s) {"
        " return s.label; });")
    assert labels[0] == "big society" and "service integration" in labels
    assert "dormant" in d.find_element(By.CSS_SELECTOR, "#old-idea .verdict").text  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    d.save_screenshot(str(ARTIFACTS / "successors-page.png"))  # type: ignore[attr-defined]


def test_precedents_search_by_keyboard_draws_the_timeline(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/precedents")  # type: ignore[attr-defined]
    area = _wait(d, "textarea#text")
    assert d.switch_to.active_element == area  # type: ignore[attr-defined]
    area.send_keys("big society volunteers")
    area.send_keys(Keys.CONTROL, Keys.ENTER)  # Ctrl+Enter searches from the description
    bars = _wait(d, "#bars-chart", "data-points")
    assert int(bars.get_attribute("data-points")) == 16  # strong matches per year, 2000-2015
    summary = d.find_element(By.ID, "precedents-summary").text  # type: ignore[attr-defined]
    assert summary.startswith("Earliest strong match: 2009-01-15")
    assert d.execute_script("return document.querySelectorAll('main script, main img').length") == 0  # type: ignore[attr-defined]


def test_report_draws_every_chart_offline(tmp_path: Path, server: str, browser: object) -> None:
    import policypulse
    from policypulse.query.ideas import idea_from_query
    from policypulse.report.html import write_report

    store = build_store(tmp_path)
    with policypulse.open(store) as corpus:
        out = write_report(corpus, [idea_from_query("big society"), idea_from_query("housing")],
                           tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    # nothing is fetched: no element loads a remote address (license comments may name web sites)
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) is None
    assert "<link" not in html and '<script src' not in html
    d = browser
    d.execute_cdp_cmd("Network.enable", {})  # type: ignore[attr-defined]
    d.execute_cdp_cmd("Network.emulateNetworkConditions", {  # type: ignore[attr-defined]
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        d.get(out.as_uri())  # type: ignore[attr-defined]
        _wait(d, "canvas.report-chart[data-index='1']", "data-points")
        points = d.execute_script(  # type: ignore[attr-defined]
            "return Array.from(document.querySelectorAll('canvas')).map(function (c) {"
            " return Number(c.getAttribute('data-points') || 0); });")
        assert points == [16, 16, 16]
        ARTIFACTS.mkdir(exist_ok=True)
        d.save_screenshot(str(ARTIFACTS / "report.png"))  # type: ignore[attr-defined]
    finally:
        d.execute_cdp_cmd("Network.emulateNetworkConditions", {  # type: ignore[attr-defined]
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
