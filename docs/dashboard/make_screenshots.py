"""Screenshots of the walkthrough (docs/dashboard/walkthrough.md), taken on the demo store.

    make demo && .venv/bin/python docs/dashboard/make_screenshots.py policypulse-demo

Starts the dashboard in process on a free loopback port, drives Debian's headless Chromium with
Selenium, and writes docs/dashboard/*.png.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(store: str) -> None:
    """Take every screenshot of the walkthrough."""
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from policypulse.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--window-size=1280,1000", "--hide-scrollbars"):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    wait = WebDriverWait(d, 60)

    def idea(q: str, name: str, by: str = "year") -> None:
        d.get(f"{base}/idea?q={q.replace(' ', '+')}&by={by}")
        wait.until(lambda x: x.find_element(By.ID, "timeline").get_attribute("data-lifecycle"))
        time.sleep(0.5)
        d.save_screenshot(str(HERE / f"{name}.png"))

    try:
        d.get(base + "/")
        wait.until(lambda x: x.find_element(By.ID, "overview-chart").get_attribute("data-points"))
        d.save_screenshot(str(HERE / "1-overview.png"))
        idea("great society", "2-great-society")
        x, y = d.execute_script(
            "var u = PP.charts.timeline, i = u.data[0].indexOf(PP.ts('1966-01-01'));"
            "return [u.valToPos(u.data[0][i], 'x'), u.valToPos(u.data[1][i], 'y')];")
        over = d.find_element(By.CSS_SELECTOR, "#timeline .u-over")
        # wholly in view: an element cut by the window's edge is clicked relative to its visible part
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", over)
        w, h = over.size["width"], over.size["height"]
        ActionChains(d).move_to_element_with_offset(over, int(x - w / 2), int(y - h / 2)).click().perform()
        wait.until(lambda x: x.find_element(By.ID, "period-docs").get_attribute("data-loaded"))
        d.execute_script("document.getElementById('period-docs').scrollIntoView()")
        d.save_screenshot(str(HERE / "3-great-society-1966.png"))
        d.find_element(By.CSS_SELECTOR, "#period-docs a.kwic-link").click()
        wait.until(lambda x: x.find_elements(By.CSS_SELECTOR, "mark.hit"))
        d.execute_script("window.scrollTo(0, 0)")  # the page opens at the first match; show its header too
        d.save_screenshot(str(HERE / "4-document.png"))
        idea("war on poverty", "5-war-on-poverty")
        idea("affordable care act", "6-affordable-care-act")
        d.get(base + "/compare?q=great+society&q=war+on+poverty&q=affordable+care+act&q=%22new+deal&by=year")
        wait.until(lambda x: x.find_element(By.ID, "compare-chart").get_attribute("data-failed"))
        time.sleep(3)
        d.set_window_size(1280, 1400)  # the verdicts come first: the chart below them in the picture too
        time.sleep(1)
        d.save_screenshot(str(HERE / "7-compare.png"))
        d.set_window_size(1280, 1000)
        d.get(base + "/idea?q=grate+socity")
        wait.until(lambda x: x.find_elements(By.CSS_SELECTOR, "a.suggestion"))
        d.save_screenshot(str(HERE / "8-did-you-mean.png"))
        import urllib.request

        with urllib.request.urlopen(base + "/api/figure?q=great+society&by=year&format=png") as r:
            (HERE / "9-figure-great-society.png").write_bytes(r.read())
    finally:
        d.quit()
        srv.should_exit = True


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "policypulse-demo")
