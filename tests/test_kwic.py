"""Keyword in context: what was counted, in its raw surface form, with doc id, date and source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import policypulse

DOCS = [
    {"id": "k1", "date": "2010-05-01", "source": "The Guardian", "title": "Champions",
     "text": "Yesterday the Big-Society's champions met in Leeds. Critics said the big society was a slogan."},
    {"id": "k2", "date": "2011-02-03", "source": "The Telegraph",
     "text": "BIG\nSOCIETY returns; #BigSociety trends online."},
    {"id": "k3", "date": "2012-07-04", "source": "The Times",
     "text": "A bigger society? No. The Big Soci\u00adety is dead, say big societies of critics."},
    {"id": "k4", "date": "2013-01-01", "source": "The Times", "text": "Nothing about it at all."},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("kwic")
    src = root / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    policypulse.ingest(root / "store", [src], fmt="jsonl")
    with policypulse.open(root / "store") as c:
        yield c


def test_lines_show_the_raw_surface_with_doc_date_and_source(corpus: Any) -> None:
    lines = corpus.kwic("big society")
    assert list(lines.columns) == ["doc_id", "date", "source", "title", "left", "match", "right"]
    assert lines[["doc_id", "date", "source", "match"]].values.tolist() == [
        ["k1", "2010-05-01", "The Guardian", "Big-Society"],
        ["k1", "2010-05-01", "The Guardian", "big society"],
        ["k2", "2011-02-03", "The Telegraph", "BIG SOCIETY"],  # the line break shown as a space
        ["k3", "2012-07-04", "The Times", "Big Society"],  # soft hyphen dropped, as the rule reads it
    ]
    first = lines.iloc[0]
    assert (first["match"] + first["right"]).startswith("Big-Society's champions")
    assert first["left"] == "Yesterday the"
    assert first["title"] == "Champions"
    # near-misses are not lines: "bigger society", "big societies"
    assert not any("bigger" in m or "societies" in m for m in lines["match"])


def test_every_counted_mention_is_a_line(corpus: Any) -> None:
    track = corpus.track("big society", by="year")
    lines = corpus.kwic("big society", limit=100)
    assert track["mentions"].sum() == len(lines) == 4
    assert track["docs"].sum() == lines["doc_id"].nunique() == 3


def test_hashtag_lines(corpus: Any) -> None:
    lines = corpus.kwic("#bigsociety")
    assert lines[["doc_id", "match"]].values.tolist() == [["k2", "#BigSociety"]]


def test_boolean_query_lines_come_from_matching_documents_only(corpus: Any) -> None:
    lines = corpus.kwic('"big society" AND NOT bigger')
    assert sorted(set(lines["doc_id"])) == ["k1", "k2"]
    assert "bigger" not in set(lines["match"].str.casefold())


def test_from_and_to_are_inclusive(corpus: Any) -> None:
    assert set(corpus.kwic("big society", date_from="2011-01-01", date_to="2011-12-31")["doc_id"]) == {"k2"}
    assert set(corpus.kwic("big society", date_from="2010-05-01", date_to="2010-05-01")["doc_id"]) == {"k1"}
    assert set(corpus.kwic("big society", date_from="2011-02-04")["doc_id"]) == {"k3"}
    assert set(corpus.kwic("big society", date_to="2011-02-03")["doc_id"]) == {"k1", "k2"}
    assert corpus.kwic("big society", date_from="2013-01-01").empty


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10])
def test_limit_is_the_maximum_number_of_lines(corpus: Any, limit: int) -> None:
    lines = corpus.kwic("big society", limit=limit)
    assert len(lines) == min(limit, 4)
    assert lines["date"].tolist() == sorted(lines["date"])  # oldest first


def test_width_bounds_the_context(corpus: Any) -> None:
    lines = corpus.kwic("big society", width=10)
    assert all(len(x) <= 10 for x in lines["left"]) and all(len(x) <= 10 for x in lines["right"])
    # the context ends at whole words: "Yesterday the" at 10 characters is "the", not "terday the"
    assert lines[["left", "right"]].values.tolist() == [
        ["the", "'s"], ["said the", "was a"], ["", "returns;"], ["? No. The", "is dead,"]]


def test_kwic_carries_provenance(corpus: Any) -> None:
    lines = corpus.kwic("big society", limit=3)
    prov = lines.attrs["provenance"]
    assert prov["store_version"] == 1 and prov["software"] == f"policypulse {policypulse.__version__}"
    assert prov["parameters"]["idea"]["aliases"] == ["big society"] and prov["parameters"]["limit"] == 3
