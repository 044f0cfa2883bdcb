"""The dashboard's JSON API and pages, in process through FastAPI's TestClient, on a store of known counts."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import policypulse
from policypulse.errors import UsageError
from policypulse.web.app import create_app
from policypulse.web.cache import CorpusPool, ResultCache
from webdata import HOSTILE_SOURCE, PLANTED, build_indexes, build_store  # noqa: F401


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
                "forecast_last_mention", "forecast_interval", "phases", "first_doc_id", "last_doc_id",
                "death_probability", "echoes", "verdict_text"):
        assert key in lc, key
    # the first document's own day (the planted corpus dates its documents mid-month), not the period's start
    assert lc["first_mention"] == "2009-01-15" and lc["first_doc_id"]
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


def test_idea_page_first_paint_has_the_frame_and_the_evidence_follows(client: TestClient) -> None:
    html = client.get("/idea", params={"q": "big society", "by": "year"}).text
    # the page paints at once; verdict, chart rows and quotes are fetched after it (the browser tests draw them)
    assert 'id="verdict"' in html and 'id="timeline"' in html and 'id="kwic-body"' in html
    # the first paint counts nothing: the page fetches its summary (matches, the span to zoom to) after
    assert "2006" not in html and 'id="no-match"' in html
    s = client.get("/api/summary", params={"q": "big society", "by": "year"}).json()
    assert s["window"] == ["2006-01-01", "2015-01-01"]  # zoomed to its life, padded
    assert s["matches"] > 0 and s["documents"] >= s["matches"] and s["warning"] is None
    never = client.get("/api/summary", params={"q": "never said anywhere", "by": "year"}).json()
    assert never["matches"] == 0 and never["window"] is None
    bad = client.get("/api/summary", params={"q": '"big society'})
    assert bad.status_code == 400 and "closing quote" in bad.json()["error"]
    assert '<a id="successors-link" href="/successors?q=big%20society">' in html
    lines = client.get("/api/kwic", params={"q": "big society"}).json()
    assert lines[0]["doc_id"] == "d2009-0"


@pytest.mark.parametrize("path", ["/static/../pyproject.toml", "/static/..%2f..%2fapi.py", "/static/%2e%2e/app.py",
                                  "/static/vendor/../../app.py", "/static//etc/passwd"])
def test_path_traversal_is_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "def create_app" not in r.text and "root:" not in r.text


def test_static_assets_are_served(client: TestClient) -> None:
    r = client.get("/static/vendor/uPlot.iife.min.js")
    assert r.status_code == 200 and "uPlot" in r.text[:200]
    assert "MIT" in client.get("/static/vendor/uPlot-LICENSE").text


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


# -- discovery and precedents pages ------------------------------------------------------------------
DISCOVERY_APIS = [
    ("/api/emerging", {}, "index-phrases"),
    ("/api/successors", {"q": "big society"}, "index-phrases"),
    ("/api/obituaries", {}, "index-phrases"),
    ("/api/precedents", {"text": "big society volunteers"}, "index-passages"),
]
DISCOVERY_PAGES = [
    ("/emerging", {}, "index-phrases"),
    ("/successors", {}, "index-phrases"),
    ("/successors", {"q": "big society"}, "index-phrases"),
    ("/obituaries", {}, "index-phrases"),
    ("/precedents", {}, "index-passages"),
    ("/precedents", {"text": "big society volunteers"}, "index-passages"),
]


def tree(root: str) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time (to prove nothing was written)."""
    base = Path(root)
    return {str(p.relative_to(base)): (p.stat().st_size, p.stat().st_mtime_ns) for p in base.rglob("*")}


def private_phrase_cache(store: str) -> Path:
    """Where the library would keep phrase statistics of a read-only store (it must not appear either)."""
    key = hashlib.sha1(str(Path(store).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"policypulse-phrases-{key}"


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = build_store(tmp_path_factory.mktemp("built"))
    build_indexes(store)
    return store


@pytest.fixture(scope="module")
def built(built_store: str) -> TestClient:
    return TestClient(create_app(built_store))


def test_status_says_what_is_built_and_names_the_commands(client: TestClient, built: TestClient,
                                                          web_store: str, built_store: str) -> None:
    s = client.get("/api/status").json()
    assert s["store_version"] == 1
    assert s["phrases"]["built"] is False and s["phrases"]["built_versions"] == []
    assert s["phrases"]["command"] == f"policypulse index-phrases {Path(web_store).resolve()}"
    assert s["passages"]["built"] is False and s["passages"]["missing"] == s["passages"]["segments"] == 1
    assert s["passages"]["command"] == f"policypulse index-passages {Path(web_store).resolve()}"
    b = built.get("/api/status").json()
    assert b["phrases"]["built"] is True and b["phrases"]["built_versions"] == [1]
    assert b["passages"]["built"] is True and b["passages"]["missing"] == 0


@pytest.mark.parametrize("path, params, command", DISCOVERY_APIS)
def test_discovery_api_not_built_is_409_naming_the_command(client: TestClient, web_store: str, path: str,
                                                           params: dict, command: str) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 409
    body = r.json()
    assert set(body) == {"error"}
    assert "not built for store version 1" in body["error"]
    assert f"policypulse {command} {Path(web_store).resolve()}" in body["error"]


def test_discovery_never_builds_an_index(client: TestClient, web_store: str) -> None:
    before = tree(web_store)
    for path, params, _ in DISCOVERY_APIS + DISCOVERY_PAGES:
        client.get(path, params=params)
    client.get("/api/status")
    assert tree(web_store) == before  # nothing added, nothing rewritten
    assert not (Path(web_store) / "phrases").exists() and not (Path(web_store) / "passages").exists()
    assert not private_phrase_cache(web_store).exists()


@pytest.mark.parametrize("path, params, command", DISCOVERY_PAGES)
def test_discovery_pages_not_built_say_so_and_name_the_command(client: TestClient, web_store: str, path: str,
                                                               params: dict, command: str) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 200
    notice = r.text[r.text.index('id="not-built"'):]
    notice = notice[: notice.index("</section>")]
    assert "not built for store version 1" in notice
    assert "<p>The " in notice  # the message begins its sentence with a capital letter
    assert f"<code>policypulse {command} {Path(web_store).resolve()}</code>" in notice


def test_obituaries_of_named_ideas_need_no_phrase_statistics(client: TestClient) -> None:
    r = client.get("/api/obituaries", params={"q": ["big society", "third way"], "by": "year"})
    assert r.status_code == 200
    rows = r.json()
    # third way fell silent in 2004 and stayed so for 11 years. Big society was used 19 times in 2009-2012,
    # then silent for two years where about 9 uses were expected; its one mention in 2015 is an echo
    # (far below the rate of use, after a silence already judged dead), so it is dead too, less notably.
    assert [row["idea"] for row in rows] == ["third way", "big society"]
    assert rows[0]["status"] == "dead" and rows[0]["last_mention"] == "2004-03-15"
    assert rows[1]["status"] == "dead" and rows[1]["echoes"] == 1 and rows[1]["last_mention"] == "2015-06-01"
    assert rows[0]["death_p_value"] < 0.05 and rows[0]["score"] > 0


def test_an_ingest_after_the_build_is_reported_as_not_built(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    build_indexes(store)
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps({"id": "late", "date": "2016-01-15", "source": "paper0",
                                 "text": "Service integration again."}) + "\n", encoding="utf-8")
    policypulse.ingest(store, [extra])
    c = TestClient(create_app(store))
    err = c.get("/api/emerging").json()["error"]
    assert "not built for store version 2 (they are built for version 1" in err
    err = c.get("/api/precedents", params={"text": "service integration"}).json()["error"]
    assert "not built for store version 2 (1 of its 2 segments are not indexed)" in err


def test_api_emerging_finds_the_phrase_born_in_the_window(built: TestClient) -> None:
    r = built.get("/api/emerging", params={"from": "2012-01-01", "to": "2013-12-31", "by": "month"})
    assert r.status_code == 200
    rows = r.json()
    assert rows[0]["phrase"] == "service integration"
    assert "2012-01-01" <= rows[0]["onset"] <= "2013-12-31"
    assert rows[0]["first_mention"] == "2012-01-01" and rows[0]["status"] == "alive"
    for row in rows:
        assert {"phrase", "score", "onset", "status", "peak", "last_mention", "phases"} <= set(row)
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)
    # the big society's own birth falls in 2009-2010, not in this window
    assert "big society" not in [row["phrase"] for row in rows]
    earlier = built.get("/api/emerging", params={"from": "2009-01-01", "to": "2010-12-31"}).json()
    assert "big society" in [row["phrase"] for row in earlier]


def test_api_obituaries_screens_every_phrase(built: TestClient) -> None:
    rows = built.get("/api/obituaries", params={"by": "month"}).json()
    assert rows[0]["phrase"] == "third way"
    assert rows[0]["status"] == "dead" and rows[0]["last_mention"] == "2004-03-01"
    assert all(row["status"] == "dead" for row in rows)
    assert "big society" not in [row["phrase"] for row in rows]


def test_api_successors_explain_each_score(built: TestClient) -> None:
    r = built.get("/api/successors", params={"q": "big society", "by": "month", "limit": 5})
    assert r.status_code == 200
    rows = r.json()
    assert 1 <= len(rows) <= 5
    by_phrase = {row["phrase"]: row for row in rows}
    si = by_phrase["service integration"]
    assert si["handover"] > 0.5 and si["pickup"] == pytest.approx(1.0) and si["rate_correlation"] < 0
    assert si["onset"] >= "2011-01-01"
    for row in rows:
        assert row["score"] == pytest.approx(row["context"] * (1 + max(row["handover"], 0)) / 2)
        assert "hand-over" in row["explanation"] and "context" in row["explanation"]
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_api_precedents_contract_and_before_cut(built: TestClient) -> None:
    r = built.get("/api/precedents", params={"text": "big society volunteers", "before": "2011-01-01"})
    assert r.status_code == 200
    rows = r.json()
    assert rows and all(set(row) == {"doc_id", "date", "source", "score", "snippet"} for row in rows)
    assert all(row["date"] < "2011-01-01" for row in rows)
    assert {row["doc_id"] for row in rows} == {f"d{y}-{i}" for y, n in PLANTED.items() if y < 2011 for i in range(n)}
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_discovery_pages_render_the_results(built: TestClient) -> None:
    html = built.get("/emerging", params={"from": "2012-01-01", "to": "2013-12-31"}).text
    assert 'id="emerging-table"' in html
    assert '<a href="/idea?q=%22service%20integration%22&amp;by=month">service integration</a>' in html
    assert "data-qs='[\"\\\"service integration\\\"\"" in html  # the chart tracks the phrase exactly, quoted
    html = built.get("/successors", params={"q": "big society"}).text
    card = html[html.index(">service integration</a>"):]
    card = card[: card.index("</li>")]
    assert "score " in card and "√(" in card and "Hand-over" in card and "Context" in card
    assert card.index("<dt>Status</dt>") < card.index("<dt>Hand-over</dt>")  # its verdict first
    assert "picks up 100% of the lost rate" in card
    html = built.get("/obituaries").text
    assert ">third way</a>" in html and "Probably dead" in html and "last used March 2004" in html
    # the verdict first on every page: beside the phrase, before the numbers behind it
    for page, table in (("/obituaries", "obituaries-table"), ("/emerging", "emerging-table")):
        head = built.get(page, params={"from": "2012-01-01", "to": "2013-12-31"} if page == "/emerging" else {}).text
        head = head[head.index(f'id="{table}"'):]
        assert re.search(r"<thead><tr><th>[^<]*</th><th>verdict</th>", head), page
    html = built.get("/precedents", params={"text": "big society volunteers", "before": "2011-01-01"}).text
    # 2009's documents say "big society" but not "volunteers" (null p 8.5e-4, above 0.05 / 110 passages);
    # d2010-1 holds all three words
    assert "Earliest strong match before 2011-01-01: 2010-02-15" in html
    assert 'class="doc-link" href="/doc/d2009-0"' in html and 'id="bars-chart"' in html
    # "strong" belongs to a document (any of its passages), so it is said beside the document, never beside
    # the one passage shown, whose own share of the words can be lower
    table = html[html.index('id="precedents-table"'):]
    assert "(strong)" not in table and "· a strong match</span>" in table


@pytest.mark.parametrize("path, params, fragment", [
    ("/api/emerging", {"from": "2012-13-01"}, "from must be an ISO date (YYYY-MM-DD)"),
    ("/api/emerging", {"from": "2016-01-01"}, "the window is empty: from must not be after to"),
    ("/api/emerging", {"by": "week"}, "discovery works per month, quarter or year"),
    ("/api/emerging", {"limit": 0}, "limit"),
    ("/api/obituaries", {"as_of": "2010-02-30"}, "as_of must be an ISO date"),
    ("/api/obituaries", {"as_of": "1990-01-01"}, "as_of 1990-01-01 is before the corpus starts"),
    ("/api/successors", {}, "q"),
    ("/api/successors", {"q": "   "}, "empty query"),
    ("/api/successors", {"q": '"big society'}, "column 13"),
    ("/api/successors", {"q": "never said"}, "'never said' is never mentioned"),
    ("/api/precedents", {"text": " "}, "empty description"),
    ("/api/precedents", {"text": "x" * 5001}, "too long"),
    ("/api/precedents", {"text": "volunteers", "before": "yesterday"}, "before must be an ISO date"),
])
def test_discovery_api_errors_are_json_400(built: TestClient, path: str, params: dict, fragment: str) -> None:
    r = built.get(path, params=params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"error"} and fragment in body["error"]


def test_discovery_pages_show_errors_on_the_page(built: TestClient) -> None:
    r = built.get("/emerging", params={"from": "2012-13-01"})
    assert r.status_code == 400 and 'class="error" role="alert">From must be an ISO date' in r.text


def test_discovery_pages_escape_hostile_text(built: TestClient) -> None:
    # the hostile document mentions big society: it is among the precedents, source and text shown
    html = built.get("/precedents", params={"text": "big society", "limit": 30}).text
    assert 'href="/doc/hostile"' in html
    assert "&lt;script&gt;evil()&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    payload = '<script>alert("q")</script><img src=x onerror=alert(2)>'
    pages = [("/precedents", {"text": "big society", "limit": 30}), ("/precedents", {"text": payload, "before": payload}),
             ("/emerging", {"from": payload, "to": payload}), ("/successors", {"q": payload}),
             ("/successors", {"q": "big society"}), ("/obituaries", {"q": [payload, "big society"]}),
             ("/obituaries", {}), ("/emerging", {"from": "2009-01-01", "to": "2010-12-31"})]
    for path, params in pages:
        r = built.get(path, params=params)
        assert r.status_code in (200, 400), (path, params)
        assert "<script>alert" not in r.text and "<script>evil" not in r.text, (path, params)
        assert "<img src=x onerror" not in r.text, (path, params)


def test_navigation_links_every_page(client: TestClient) -> None:
    html = client.get("/").text
    for href in ("/", "/compare", "/emerging", "/obituaries", "/successors", "/precedents"):
        assert f'<a href="{href}"' in html
    assert '<a href="/" aria-current="page">Overview</a>' in html
    assert '<a href="/emerging" aria-current="page">' in client.get("/emerging").text


def test_discovery_endpoints_do_not_accept_writes(built: TestClient) -> None:
    for path in ("/api/emerging", "/api/obituaries", "/api/successors", "/api/precedents", "/api/status",
                 "/emerging", "/obituaries", "/successors", "/precedents"):
        assert built.post(path, params={"q": "x", "text": "x"}).status_code == 405, path


def test_built_store_is_not_written_by_the_dashboard(built: TestClient, built_store: str) -> None:
    before = tree(built_store)
    for path, params in [("/api/emerging", {"from": "2011-01-01"}), ("/api/successors", {"q": "third way"}),
                         ("/api/obituaries", {"by": "quarter"}), ("/api/precedents", {"text": "third way"})]:
        assert built.get(path, params=params).status_code in (200, 400)
    assert tree(built_store) == before


# -- the result cache and the corpus pool -------------------------------------------------------------
def test_result_cache_computes_a_key_once_for_requests_arriving_together() -> None:
    cache = ResultCache(maxsize=2)
    calls: list[str] = []
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        calls.append("x")
        started.set()
        release.wait(5)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    assert started.wait(5)
    time.sleep(0.05)  # the other seven are waiting for the first computation
    release.set()
    for t in threads:
        t.join(5)
    assert results == ["value"] * 8 and calls == ["x"]


def test_result_cache_does_not_keep_errors_and_evicts_the_oldest() -> None:
    cache = ResultCache(maxsize=2)
    attempts = []

    def failing() -> int:
        attempts.append(1)
        raise UsageError("bad")

    for _ in range(2):
        with pytest.raises(UsageError):
            cache.get("bad", failing)
    assert len(attempts) == 2  # an error is not an answer: the next request tries again
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: -1)  # a hit makes "a" the most recent
    cache.get("c", lambda: 3)
    assert cache.get("a", lambda: -1) == 1  # kept
    assert cache.get("b", lambda: 20) == 20  # evicted, so computed again
    assert len(cache) == 2


def test_corpus_pool_reuses_corpora_and_closes_stale_versions(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    pool = CorpusPool(store, size=2)
    with pool.borrow(1) as first:
        pass
    with pool.borrow(1) as again:
        assert again is first  # kept open between requests
        with pool.borrow(1) as other:
            assert other is not first  # lent to one request at a time
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps({"id": "late", "date": "2016-01-15", "source": "p", "text": "x"}) + "\n")
    policypulse.ingest(store, [extra])
    with pool.borrow(2) as newer:
        assert newer.version == 2
    # version 1's corpora were closed when version 2 was asked for, and are not lent again
    assert pool._free.get(1) is None and first.store._con is None
    pool.close()


def test_discovery_pages_export_csv_and_show_no_raw_numbers(built: TestClient) -> None:
    import html as html_lib
    import io
    import re

    import pandas as pd

    r = built.get("/api/obituaries", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "policypulse-obituaries-all-phrases-per-month.csv" in r.headers["content-disposition"]
    assert r.text.splitlines()[0].startswith("phrase,") and "third way" in r.text
    for path, params in (("/obituaries", {}), ("/emerging", {"from": "2012-01-01", "to": "2013-12-31"}),
                         ("/successors", {"q": "big society"}), ("/obituaries", {"q": ["third way", "big society"]}),
                         ("/precedents", {"text": "big society volunteers", "before": "2011-01-01"})):
        html = built.get(path, params=params).text
        assert not re.search(r"\de-\d\d|NaT|>None<|\d{4}-\d\d-\d\d \d\d:", html), path
        # the page's CSV link asks for the table the page shows (it once held unrendered template code)
        href = html_lib.unescape(re.search(r'class="export-csv" href="([^"]+)"', html).group(1))
        assert "{" not in href and href.startswith(f"/api{path}?") and href.endswith("format=csv"), href
        got = built.get(href)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv"), href
        api = built.get(f"/api{path}", params=params).json()
        rows = api if isinstance(api, list) else api.get("rows", api.get("records"))
        assert len(pd.read_csv(io.StringIO(got.text))) == len(rows), href  # the rows the page shows
    csv = built.get("/api/successors", params={"q": "big society", "format": "csv"})
    assert "policypulse-successors-of-big-society-per-month.csv" in csv.headers["content-disposition"]
