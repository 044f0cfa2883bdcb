"""Splitting documents into passages: paragraphs, or windows of a few sentences.

A precedent is usually one paragraph of a longer text (a 1993 team described in two sentences of a
council report), so documents are searched passage by passage and a document is ranked by its best
passage. The rule, written once here and used by the index, the tests and the benchmark:

1. Paragraphs are separated by blank lines. A text with no blank line but many line breaks (transcripts,
   some exports) is split at line breaks instead.
2. A paragraph longer than ``MAX_WORDS`` words is cut into windows of whole sentences of about
   ``TARGET_WORDS`` words; a single sentence longer than ``MAX_WORDS`` (no punctuation) is cut by words.
3. A passage shorter than ``MIN_WORDS`` words (a heading, a dateline, "Thank you.") is merged into the next
   one, as long as the merged passage stays within ``MAX_WORDS``; the last short passage joins the one
   before it.

Passages keep their character span in the document text, so a snippet is always the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MIN_WORDS = 25
TARGET_WORDS = 80
MAX_WORDS = 140

_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_RE = re.compile(r"\n\s*")
# A sentence ends at . ! ? (and a closing quote or bracket) followed by white space.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+")
_WORD_RE = re.compile(r"\S+")


@dataclass(frozen=True)
class Passage:
    """A span ``[start, end)`` of a document's text, the ``ordinal``-th passage of that document."""

    ordinal: int
    start: int
    end: int
    words: int


def _spans(text: str, sep: re.Pattern[str], start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-empty spans of ``text[start:end]`` between matches of ``sep``, stripped of white space."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    for m in sep.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    stripped = []
    for a, b in out:
        piece = text[a:b]
        body = piece.strip()
        if body:
            a += len(piece) - len(piece.lstrip())
            stripped.append((a, a + len(body)))
    return stripped


def _count_words(text: str, a: int, b: int) -> int:
    return len(text[a:b].split())


def _split_long(text: str, a: int, b: int) -> list[tuple[int, int, int]]:
    """Windows of whole sentences of about TARGET_WORDS words over a long paragraph."""
    pieces: list[tuple[int, int, int]] = []
    for sa, sb in _spans(text, _SENTENCE_END_RE, a, b):
        n = _count_words(text, sa, sb)
        if n <= MAX_WORDS:
            pieces.append((sa, sb, n))
            continue
        words = list(_WORD_RE.finditer(text, sa, sb))  # a run-on "sentence": cut by words
        for i in range(0, len(words), TARGET_WORDS):
            chunk = words[i:i + TARGET_WORDS]
            pieces.append((chunk[0].start(), chunk[-1].end(), len(chunk)))
    windows: list[tuple[int, int, int]] = []
    cur: list[int] | None = None
    for sa, sb, n in pieces:
        if cur is not None and cur[2] + n <= TARGET_WORDS:
            cur[1], cur[2] = sb, cur[2] + n
            continue
        if cur is not None:
            windows.append((cur[0], cur[1], cur[2]))
        cur = [sa, sb, n]
    if cur is not None:
        windows.append((cur[0], cur[1], cur[2]))
    return windows


def split_passages(text: str) -> list[Passage]:
    """The passages of a document's text, in order (see the module docstring for the rule)."""
    if not text or text.isspace():
        return []
    paragraphs = _spans(text, _BLANK_LINE_RE)
    if len(paragraphs) == 1 and text.count("\n") >= 3:
        paragraphs = _spans(text, _LINE_RE)
    units: list[tuple[int, int, int]] = []
    for a, b in paragraphs:
        n = _count_words(text, a, b)
        if n > MAX_WORDS:
            units.extend(_split_long(text, a, b))
        elif n:
            units.append((a, b, n))
    merged: list[list[int]] = []
    pending: list[int] | None = None  # a short unit waiting to be joined to the next one
    for a, b, n in units:
        if pending is not None:
            if pending[2] + n <= MAX_WORDS:
                a, n = pending[0], pending[2] + n
            else:
                merged.append(pending)
            pending = None
        if n < MIN_WORDS:
            pending = [a, b, n]
        else:
            merged.append([a, b, n])
    if pending is not None:
        if merged and merged[-1][2] + pending[2] <= MAX_WORDS:
            merged[-1][1], merged[-1][2] = pending[1], merged[-1][2] + pending[2]
        else:
            merged.append(pending)
    return [Passage(i, a, b, n) for i, (a, b, n) in enumerate(merged)]


def iter_passage_texts(text: str) -> Iterator[tuple[Passage, str]]:
    """Each passage with its text."""
    for p in split_passages(text):
        yield p, text[p.start:p.end]
