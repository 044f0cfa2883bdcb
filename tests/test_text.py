"""The text rules (policypulse.text): documents and queries tokenise alike, control characters included.

A document's tokens come from ingest's own path (``corpus.ingest.to_document``: clean, then normalise);
a query's from the query parser. Both must give the same tokens for any text, and the tokens of the stored
(cleaned) text must be the tokens ingest counted, since KWIC and discovery re-read the stored text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import policypulse
from policypulse.corpus.ingest import to_document
from policypulse.corpus.neardup import NearDupConfig
from policypulse.corpus.readers.base import RawRecord, ReaderOptions
from policypulse.errors import QuerySyntaxError
from policypulse.query.parser import Phrase, parse
from policypulse.text import CONTROL_RE, clean_text, display_text, normalise, token_spans, tokens

TODAY = dt.date(2026, 1, 1)
CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]

# Any Unicode text (surrogates cannot be encoded), with control and format characters made common.
any_text = st.text(st.one_of(
    st.characters(exclude_categories=["Cs"]),
    st.sampled_from(CONTROLS),
    st.sampled_from(["\u00ad", "\u200b", "\u200d", "\ufeff", "#", " ", "İ", "ß", "\u0301", "\u0307", "e"]),
    st.sampled_from("abcXYZ019"),
), max_size=40)


def _document_tokens(text: str) -> list[str] | None:
    """The tokens ingest stores for a document with this text, or None when it rejects the text."""
    raw = RawRecord(file="t.jsonl", record=1, data={"date": "2014-01-01", "source": "s", "text": text})
    doc = to_document(raw, ReaderOptions(), TODAY)
    return doc["norm"].split() if isinstance(doc, dict) else None


def _query_tokens(text: str) -> list[str] | None:
    """The tokens the query parser reads from this text as one quoted phrase, or None when it has none."""
    try:
        node = parse('"' + text + '"')
    except QuerySyntaxError:
        return None
    assert isinstance(node, Phrase)
    return list(node.tokens)


@settings(max_examples=400, deadline=None)
@given(any_text.filter(lambda s: '"' not in s and "*" not in s))
@example("zebrafish\x00mandate")
@example("zebrafish\x0cmandate")
@example("big\x1fsoc\x07iety")
@example("#\x00tag a\x00#b")
@example("İSTANBUL\x00x")
def test_documents_and_queries_tokenise_alike(text: str) -> None:
    doc = _document_tokens(text)
    query = _query_tokens(text)
    assert doc == query
    if doc is not None:
        assert doc == tokens(clean_text(text))


@settings(max_examples=400, deadline=None)
@given(any_text)
@example("a\x00b\x0bc\x1cd\x7fe")
def test_stored_text_keeps_the_tokens_that_were_counted(text: str) -> None:
    # KWIC and discovery tokenise the stored text again: cleaning must not change its tokens (apart from
    # mojibake repair, which is the point of cleaning and is checked in test_readers).
    import ftfy

    cleaned = clean_text(text)
    controls_only = CONTROL_RE.sub(" ", text)  # clean_text before mojibake repair
    if cleaned == controls_only:
        assert tokens(cleaned) == tokens(text)
    else:
        assert ftfy.is_bad(controls_only)
    assert normalise(cleaned) == normalise(clean_text(cleaned))  # cleaning twice changes nothing


@settings(max_examples=400, deadline=None)
@given(any_text)
@example("İstanbul and İi\u0307\u0307")
@example("Straße #Tag\x00s")
def test_kwic_spans_are_the_rule_tokens(text: str) -> None:
    shown = display_text(text)
    spans = token_spans(shown)
    assert [t for t, _, _ in spans] == tokens(text)
    assert all(0 <= a < b <= len(shown) for _, a, b in spans)
    assert [a for _, a, _ in spans] == sorted(a for _, a, _ in spans)


@pytest.mark.parametrize("sep", CONTROLS)
def test_every_control_character_separates_words_in_both(sep: str) -> None:
    text = f"zebrafish{sep}mandate"
    assert _document_tokens(text) == _query_tokens(text)
    if ord(sep) < 0x80:  # C1 controls are cp1252 bytes read as Latin-1: mojibake repair decides, in both
        assert _document_tokens(text) == ["zebrafish", "mandate"]


def test_control_characters_count_the_same_end_to_end(tmp_path: Path) -> None:
    docs = [
        {"id": "nul", "date": "2014-01-02", "source": "a", "text": "The zebrafish\x00mandate was debated."},
        {"id": "ff", "date": "2014-01-03", "source": "a", "text": "A zebrafish\x0cmandate, page two."},
        {"id": "plain", "date": "2014-01-04", "source": "a", "text": "No fish here at all."},
    ]
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    report = policypulse.ingest(tmp_path / "store", [src], fmt="jsonl",
                                near_duplicates=NearDupConfig(enabled=False))
    assert report.accepted == 3
    with policypulse.open(tmp_path / "store") as corpus:
        counts = corpus.track(["zebrafish mandate", "zebrafishmandate", "zebrafish\x00mandate"], by="year")
        got = counts.groupby("idea")["docs"].sum().to_dict()
        assert got == {"zebrafish mandate": 2, "zebrafishmandate": 0, "zebrafish\x00mandate": 2}
        lines = corpus.kwic("zebrafish\x00mandate")
        assert lines["doc_id"].tolist() == ["nul", "ff"]
        assert lines["match"].tolist() == ["zebrafish mandate"] * 2  # the control character shown as a space
