"""Keyword in context: the matched words with the text around them, so a user can check the counts."""

from __future__ import annotations

import unicodedata

import pandas as pd

from policypulse.query.matching import _CF_RE, TOKEN_RE
from policypulse.query.parser import Near, Node, Phrase, positive_leaves


def _phrases(node: Node) -> list[Phrase]:
    out: list[Phrase] = []
    for leaf in positive_leaves(node):
        out.extend([leaf.a, leaf.b] if isinstance(leaf, Near) else [leaf])
    return out


def display_text(text: str) -> str:
    """The text as KWIC shows it: invisible format characters dropped, NFC (as the matching rule reads it)."""
    text = _CF_RE.sub("", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _token_spans(text: str) -> list[tuple[str, int, int]]:
    # Tokens of a display text with their character spans. The rule tokenises the casefolded text, and
    # casefolding may lengthen a character ("ß" -> "ss", "İ" -> "i" + combining dot), so spans found in
    # the folded text are mapped back to the characters they came from.
    folded = text.casefold()
    if len(folded) == len(text):  # casefold never shortens a character: here each maps to exactly one
        return [(m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(folded)]
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(ch.casefold()))
    return [(m.group(0), origin[m.start()], origin[m.end() - 1] + 1) for m in TOKEN_RE.finditer(folded)]


def find_spans(text: str, node: Node) -> list[tuple[int, int]]:
    """Character spans in ``text`` (a ``display_text``) where the query's positive phrases occur
    (non-overlapping)."""
    spans = _token_spans(text)
    toks = [t for t, _, _ in spans]
    hits: list[tuple[int, int]] = []
    for phrase in _phrases(node):
        want = list(phrase.tokens)
        n = len(want)
        i = 0
        while i + n <= len(toks):
            ok = toks[i : i + n - 1] == want[:-1] and (
                toks[i + n - 1].startswith(want[-1]) if phrase.prefix else toks[i + n - 1] == want[-1])
            if ok:
                hits.append((spans[i][1], spans[i + n - 1][2]))
                i += n
            else:
                i += 1
    return sorted(set(hits))


def kwic_lines(docs: pd.DataFrame, node: Node, *, width: int = 60, limit: int = 50) -> pd.DataFrame:
    """One row per occurrence: doc_id, date, source, left, match, right."""
    rows = []
    for doc in docs.itertuples(index=False):
        text = display_text(doc.text)
        for start, end in find_spans(text, node):
            left = " ".join(text[max(0, start - width) : start].split())
            right = " ".join(text[end : end + width].split())
            rows.append({
                "doc_id": doc.doc_id,
                "date": pd.Timestamp(doc.date).date().isoformat(),
                "source": doc.source,
                "title": doc.title,
                "left": left,
                "match": " ".join(text[start:end].split()),
                "right": right,
            })
            if len(rows) >= limit:
                return pd.DataFrame(rows)
    return pd.DataFrame(rows, columns=["doc_id", "date", "source", "title", "left", "match", "right"])
