"""KWIC links built by the idea page's script open their own document, whatever the id (URLs, dot segments,
percent signs), in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test_web_browser import CHROMIUM, DRIVER, _serve, _wait, browser  # noqa: F401 - browser is a fixture
from test_web_safety import ODD_IDS, build_odd_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="Chromium not found: apt-get install chromium chromium-driver (.ci/run does)"),
]


@pytest.fixture(scope="module")
def odd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(build_odd_store(tmp_path_factory.mktemp("oddlinks")))


def test_every_kwic_link_opens_its_own_document(odd_server: str, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    d = browser
    d.get(odd_server + "/idea?q=big+society&by=year")
    _wait(d, "#kwic-body a.kwic-link")
    anchors = d.find_elements(By.CSS_SELECTOR, "#kwic-body a.kwic-link")
    # each document is alone in its year (2000 + its index in ODD_IDS): the link's date names the id it must open
    links = {a.text[:4]: a.get_attribute("href") for a in anchors}
    assert len(anchors) == len(links) == len(ODD_IDS)
    for year, href in sorted(links.items()):
        expected = ODD_IDS[int(year) - 2000]
        d.get(href)
        _wait(d, "article.doc-text")
        shown = d.find_element(By.CSS_SELECTOR, "p.meta code").text
        assert shown == expected, (href, expected)
