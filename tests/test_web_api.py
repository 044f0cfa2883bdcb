"""The dashboard's JSON API and pages, in process through FastAPI's TestClient, on a store of known counts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from policypulse.web.app import create_app

from webdata import HOSTILE_SOURCE, PLANTED, build_store  # noqa: F401


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(web_store: str) -> TestClient:
    return TestClient(create_app(web_store))


def test_api_track_rows_have_contract_fields_and_known_counts(client: TestClient) -> None:
    r = client.get("/api/track", params={"q": "big society", "by": "year"})
    assert r.status_code == 200
    rows = r.json()
    assert [row["period"] for row in rows] == [f"{y}-01-01" for y in range(2000, 2016)]
    for row in rows:
        assert {"idea", "period", "docs", "mentions", "total_docs", "rate"} <= set(row)
        year = int(row["period"][:4])
        expected = PLANTED.get(year, 0) + (1 if year == 2015 else 0)  # the hostile document says it once
        assert row["docs"] == expected
        assert row["total_docs"] == (11 if year == 2015 else 10)
        assert row["rate"] == pytest.approx(expected / row["total_docs"])
    assert sum(row["mentions"] for row in rows) == 2 * sum(PLANTED.values()) + 1


def test_api_track_csv_export(client: TestClient) -> None:
    r = client.get("/api/track", params={"q": "big society", "by": "year", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("idea,period,docs,mentions,total_docs,rate")


def test_api_lifecycle_has_every_contract_field(client: TestClient) -> None:
    r = client.get("/api/lifecycle", params={"q": "big society", "by": "year"})
    assert r.status_code == 200
    lc = r.json()
    for key in ("idea", "first_mention", "emergence", "peak", "peak_interval", "half_life_days", "relaunches",
                "resurrections", "last_mention", "lifespan_days", "status", "death_p_value",
                "forecast_last_mention", "forecast_interval", "phases"):
        assert key in lc, key
    assert lc["first_mention"] == "2009-01-01"
    assert lc["peak"] == "2011-01-01"
    assert lc["status"] in ("unborn", "emerging", "alive", "declining", "dormant", "dead")


def test_api_kwic_lines(client: TestClient) -> None:
    r = client.get("/api/kwic", params={"q": "big society", "limit": 3})
    assert r.status_code == 200
    lines = r.json()
    assert len(lines) == 3
    assert lines[0]["date"].startswith("2009") and lines[0]["match"].lower().startswith("big")


@pytest.mark.parametrize("params, fragment", [
    ({"q": '"big society', "by": "year"}, "column 13"),
    ({"q": "big society", "by": "decade"}, "unknown period"),
    ({"q": "   ", "by": "year"}, "empty query"),
    ({"by": "year"}, "q"),
])
def test_api_errors_are_json_4xx(client: TestClient, params: dict, fragment: str) -> None:
    for path in ("/api/track", "/api/lifecycle"):
        r = client.get(path, params=params)
        assert 400 <= r.status_code < 500
        body = r.json()
        assert set(body) == {"error"} and fragment in body["error"]


def test_pages_render_and_escape_hostile_text(client: TestClient) -> None:
    for path, params in (("/", {}), ("/idea", {"q": "big society", "by": "year"}), ("/doc/hostile", {}),
                         ("/compare", {"q": ["big society", "budgets"]})):
        r = client.get(path, params=params)
        assert r.status_code == 200, path
        html = r.text
        assert "<script>alert" not in html and "<script>evil" not in html, path
        assert "<img src=x onerror" not in html, path
    doc = client.get("/doc/hostile").text
    assert "&lt;script&gt;alert" in doc and "&lt;img src=x onerror=alert(1)&gt;" in doc


def test_query_is_escaped_on_the_idea_page(client: TestClient) -> None:
    r = client.get("/idea", params={"q": '"<script>x()</script>"'})
    assert "<script>x()" not in r.text


def test_idea_page_shows_verdict_and_kwic_links(client: TestClient) -> None:
    html = client.get("/idea", params={"q": "big society", "by": "year"}).text
    assert 'id="verdict"' in html and 'class="kwic-link" href="/doc/d2009-0"' in html


@pytest.mark.parametrize("path", ["/static/../pyproject.toml", "/static/..%2f..%2fapi.py", "/static/%2e%2e/app.py",
                                  "/static/vendor/../../app.py", "/static//etc/passwd"])
def test_path_traversal_is_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "def create_app" not in r.text and "root:" not in r.text


def test_static_assets_are_served(client: TestClient) -> None:
    r = client.get("/static/vendor/chart.umd.min.js")
    assert r.status_code == 200 and "Chart.js" in r.text[:200]


def test_foreign_host_header_is_refused(client: TestClient) -> None:
    r = client.get("/api/track", params={"q": "x"}, headers={"host": "evil.example:8000"})
    assert r.status_code == 400 and "not allowed" in r.json()["error"]


def test_token_is_required_when_set(web_store: str) -> None:
    guarded = TestClient(create_app(web_store, token="s3cret"))
    assert guarded.get("/api/track", params={"q": "x"}).status_code == 401
    assert guarded.get("/api/track", params={"q": "x", "token": "wrong"}).status_code == 401
    assert guarded.get("/api/track", params={"q": "x", "token": "s3cret"}).status_code == 200
    assert guarded.get("/api/track", params={"q": "x"}, headers={"authorization": "Bearer s3cret"}).status_code == 200


def test_no_endpoint_writes(client: TestClient) -> None:
    for path in ("/api/track", "/api/lifecycle", "/", "/idea"):
        assert client.post(path, params={"q": "x"}).status_code == 405


def test_unknown_document_is_json_404(client: TestClient) -> None:
    r = client.get("/api/doc/nope")
    assert r.status_code == 404 and r.json() == {"error": "no document 'nope'"}
