"""Queries past their bounds are usage errors (CLI exit 2, web 400 JSON), at and below them they run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import policypulse
from policypulse.errors import QuerySyntaxError
from policypulse.query import parser
from policypulse.query.parser import MAX_DEPTH, MAX_NEAR, MAX_TOKEN_CHARS, MAX_WORDS, parse
from policypulse.web.app import create_app
from conftest import POLICYPULSE

TOO_MUCH = [
    ("NEAR/99999999999(big, society)", "NEAR distance 99999999999 is too large (at most NEAR/1000) at column 1"),
    (f"NEAR/{MAX_NEAR + 1}(big, society)", f"NEAR distance {MAX_NEAR + 1} is too large"),
    ("NEAR/" + "9" * 5000 + "(a, b)", "NEAR distance 999999999999... is too large"),
    ("(" * (MAX_DEPTH + 1) + "big" + ")" * (MAX_DEPTH + 1), f"nested too deeply (more than {MAX_DEPTH} levels"),
    ("(" * 3000 + "big" + ")" * 3000, "nested too deeply"),
    ("NOT " * (MAX_DEPTH + 1) + "big", "nested too deeply"),
    ("x" * (MAX_TOKEN_CHARS + 1), f"is too long ({MAX_TOKEN_CHARS + 1} characters; at most {MAX_TOKEN_CHARS})"),
    (" ".join(f"w{i}" for i in range(MAX_WORDS + 1)), f"too many words in the query (more than {MAX_WORDS})"),
    (" OR ".join(f'"w{i}"' for i in range(MAX_WORDS + 1)), "too many words"),
    ("big " * 3000, "query too long (12,000 characters; at most 10,000)"),
]


@pytest.mark.parametrize("query, message", TOO_MUCH)
def test_parser_refuses_past_each_bound(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert message in str(info.value)
    assert len(str(info.value)) < 300  # one readable line, however long the query


def test_each_bound_itself_is_allowed() -> None:
    assert parse(f"NEAR/{MAX_NEAR}(big, society)") == parser.Near(parser.Phrase(("big",)), parser.Phrase(("society",)),
                                                                 MAX_NEAR)
    parse("(" * MAX_DEPTH + "big" + ")" * MAX_DEPTH)
    parse("NOT " * (MAX_DEPTH - 1) + "(big)")
    parse("x" * MAX_TOKEN_CHARS)
    parse(" ".join(f"w{i}" for i in range(MAX_WORDS)))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("limits")
    filler = " ".join(f"f{i}" for i in range(MAX_NEAR))  # exactly MAX_NEAR words between the two
    rows = [{"id": "near", "date": "2001-01-01", "text": f"big {filler} society"},
            {"id": "far", "date": "2002-01-01", "text": f"big {filler} one more society"},
            {"id": "plain", "date": "2003-01-01", "text": "the big society"}]
    src = root / "docs.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert policypulse.ingest(root / "store", [src]).accepted == 3
    return str(root / "store")


def test_near_at_its_bound_counts_right(store: str) -> None:
    with policypulse.open(store) as corpus:
        rows = corpus.track(f"NEAR/{MAX_NEAR}(big, society)", by="year")
    assert dict(zip(rows["period"].dt.year, rows["docs"], strict=True)) == {2001: 1, 2002: 0, 2003: 1}


@pytest.mark.parametrize("query, message", TOO_MUCH[:8])
def test_cli_usage_error_exit_2(store: str, query: str, message: str) -> None:
    for command in (["track", store, query], ["kwic", store, query]):
        proc = subprocess.run([POLICYPULSE, *command], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_ideas_file_alias_past_a_bound_names_the_idea(store: str, tmp_path: Path) -> None:
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text('ideas:\n  - {name: Loose, aliases: ["NEAR/5000(big, society)"]}\n', encoding="utf-8")
    proc = subprocess.run([POLICYPULSE, "track", store, "--ideas", str(ideas)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "idea 'Loose': NEAR distance 5000 is too large" in proc.stderr


@pytest.mark.parametrize("query, message", [q for q in TOO_MUCH if len(q[0]) <= 500])
def test_web_400_json_then_the_next_request_works(store: str, query: str, message: str) -> None:
    client = TestClient(create_app(store))
    for path in ("/api/track", "/api/lifecycle", "/api/kwic"):
        r = client.get(path, params={"q": query})
        assert r.status_code == 400 and set(r.json()) == {"error"} and message in r.json()["error"], path
        ok = client.get(path, params={"q": "big society"})
        assert ok.status_code == 200, path
    page = client.get("/idea", params={"q": query})
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]
