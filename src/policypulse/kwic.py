"""Keyword in context: the matched words with the text around them, so a user can check the counts."""

from __future__ import annotations

import pandas as pd

from policypulse.query.parser import Near, Node, Phrase, positive_leaves
from policypulse.text import display_text, token_spans

__all__ = ["display_text", "find_spans", "kwic_lines"]


def _phrases(node: Node) -> list[Phrase]:
    out: list[Phrase] = []
    for leaf in positive_leaves(node):
        out.extend([leaf.a, leaf.b] if isinstance(leaf, Near) else [leaf])
    return out


def find_spans(text: str, node: Node) -> list[tuple[int, int]]:
    """Character spans in ``text`` (a ``display_text``) where the query's positive phrases occur
    (non-overlapping)."""
    spans = token_spans(text)
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
            left = " ".join(text[_word_start(text, max(0, start - width), start) : start].split())
            right = " ".join(text[end : _word_end(text, end, end + width)].split())
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


def _word_start(text: str, cut: int, limit: int) -> int:
    """``cut`` moved forward past a word it splits ("ecommend" of "recommend"), not beyond ``limit``."""
    if 0 < cut < limit and text[cut - 1].isalnum() and text[cut].isalnum():
        space = next((i for i in range(cut, limit) if text[i].isspace()), None)
        return cut if space is None else space  # a context that is one long word is kept as it is
    return cut


def _word_end(text: str, begin: int, cut: int) -> int:
    """``cut`` moved back before a word it splits, not before ``begin``."""
    if begin < cut < len(text) and text[cut - 1].isalnum() and text[cut].isalnum():
        space = next((i for i in range(cut - 1, begin - 1, -1) if text[i].isspace()), None)
        return cut if space is None else space
    return cut
