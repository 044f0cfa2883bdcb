"""The query language: phrases, OR, AND, NOT, parentheses, NEAR/k(a, b), a trailing * -> an AST.

Grammar (operators are upper case; anything else is words)::

    query  := or
    or     := and ("OR" and)*
    and    := unary ("AND" unary)*
    unary  := "NOT" unary | atom
    atom   := '"' words '"' | words | "(" or ")" | "NEAR/" k "(" phrase "," phrase ")"

Consecutive unquoted words form one phrase, so a query with no operators is one phrase.

A query is bounded (``MAX_*`` below): past a bound it is a usage error naming the bound, never an internal
error or a query that runs for minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from policypulse.errors import QuerySyntaxError
from policypulse.text import clean_text
from policypulse.text import tokens as match_tokens


@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens; ``prefix`` when the last token ended in ``*``."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def __str__(self) -> str:
        return '"' + " ".join(self.tokens) + ("*" if self.prefix else "") + '"'


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class Not:
    item: Node

    def __str__(self) -> str:
        return f"NOT {self.item}"


@dataclass(frozen=True)
class Near:
    """``a`` and ``b`` with at most ``k`` tokens between them, in either order."""

    a: Phrase
    b: Phrase
    k: int

    def __str__(self) -> str:
        return f"NEAR/{self.k}({self.a}, {self.b})"


Node = Phrase | And | Or | Not | Near

# DuckDB's regular expressions (RE2) refuse a repetition above 1000, and NEAR/k compiles to one: the same
# bound everywhere keeps DuckDB, Spark and Python agreeing on what a query means.
MAX_NEAR = 1000
MAX_DEPTH = 32  # nested parentheses and NOTs; each level is a Python frame and a level of SQL
MAX_WORDS = 256  # words in all the phrases of one query
MAX_TOKEN_CHARS = 200  # one word's length (longer than any real word, hashtag or compound)
MAX_QUERY_CHARS = 10_000

_LEX = re.compile(
    r'(?P<ws>\s+)|(?P<quote>")|(?P<lpar>\()|(?P<rpar>\))|(?P<comma>,)'
    r"|(?P<near>NEAR/(?P<k>\d+)(?![^\s()\",]))|(?P<op>(?:OR|AND|NOT)(?![^\s()\",]))|(?P<word>[^\s()\",]+)"
)


@dataclass
class _Tok:
    kind: str
    text: str
    col: int  # 1-based


def _lex(query: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(query):
        m = _LEX.match(query, pos)
        assert m is not None  # the word alternative matches any other character
        kind = m.lastgroup or "word"
        if kind == "k":
            kind = "near"
        if kind == "quote":
            end = query.find('"', pos + 1)
            if end == -1:
                raise QuerySyntaxError("expected a closing quote", query, len(query) + 1)
            out.append(_Tok("phrase", query[pos + 1 : end], pos + 1))
            pos = end + 1
            continue
        if kind != "ws":
            out.append(_Tok("near" if m.group("near") else kind, m.group(0), pos + 1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        if len(query) > MAX_QUERY_CHARS:
            raise QuerySyntaxError(f"query too long ({len(query):,} characters; at most {MAX_QUERY_CHARS:,})",
                                   query, MAX_QUERY_CHARS + 1)
        self.toks = _lex(query)
        self.i = 0
        self.depth = 0
        self.words = 0

    def enter(self, tok: _Tok) -> None:
        """One level deeper (a parenthesis or a NOT); past MAX_DEPTH a usage error, not a RecursionError."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"query nested too deeply (more than {MAX_DEPTH} levels of parentheses and NOT)",
                             tok.col)

    def error(self, message: str, col: int | None = None) -> QuerySyntaxError:
        if col is None:
            col = self.toks[self.i].col if self.i < len(self.toks) else len(self.query) + 1
        return QuerySyntaxError(message, self.query, col)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, what: str) -> _Tok:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise self.error(f"expected {what}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise QuerySyntaxError("empty query", self.query, 1)
        node = self.parse_or()
        if self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            if tok.kind == "near":
                raise self.error(f"unexpected {tok.text!r} (write {tok.text}(a, b))")
            raise self.error(f"unexpected {tok.text!r}")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.i += 1
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "AND":
            self.i += 1
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "NOT":
            self.i += 1
            self.enter(tok)
            node = Not(self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_atom()

    def parse_atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("expected a phrase")
        if tok.kind == "lpar":
            self.i += 1
            self.enter(tok)
            node = self.parse_or()
            self.take("rpar", "a closing parenthesis")
            self.depth -= 1
            return node
        if tok.kind == "near":
            self.i += 1
            digits = tok.text.split("/", 1)[1]
            # compared as text first: int() of thousands of digits is itself an error in Python 3.11+
            if len(digits.lstrip("0")) > len(str(MAX_NEAR)) or int(digits) > MAX_NEAR:
                shown = digits if len(digits) <= 15 else digits[:12] + "..."
                raise self.error(f"NEAR distance {shown} is too large (at most NEAR/{MAX_NEAR})", tok.col)
            k = int(digits)
            self.take("lpar", "'(' after NEAR/k")
            a = self.parse_phrase()
            self.take("comma", "',' between the two phrases of NEAR")
            b = self.parse_phrase()
            self.take("rpar", "a closing parenthesis")
            return Near(a, b, k)
        if tok.kind in ("phrase", "word"):
            return self.parse_phrase()
        raise self.error(f"expected a phrase, found {tok.text!r}")

    def parse_phrase(self) -> Phrase:
        tok = self.peek()
        if tok is None or tok.kind not in ("phrase", "word"):
            raise self.error("expected a phrase")
        if tok.kind == "phrase":
            self.i += 1
            return self._phrase(tok.text, tok.col + 1, tok.col)  # the text starts after the opening quote
        start = end = tok
        while (t := self.peek()) is not None and t.kind == "word":
            end = t
            self.i += 1
        # The words as typed (not re-joined), so that columns inside the phrase stay right.
        return self._phrase(self.query[start.col - 1 : end.col - 1 + len(end.text)], start.col, start.col)

    def _phrase(self, text: str, col: int, at: int) -> Phrase:
        """A phrase from ``text``, which starts at column ``col``; ``at`` is the phrase's column in errors."""
        stripped = text.rstrip()
        prefix = stripped.endswith("*")
        if "*" in stripped[:-1] if prefix else "*" in stripped:
            raise self.error("'*' is allowed only at the end of the last word", col + text.index("*"))
        # The same path as a document's text at ingest (clean, then tokens), so both tokenise alike.
        toks = match_tokens(clean_text(stripped[:-1] if prefix else text))
        if not toks:
            raise self.error("expected words in the phrase", at)
        if prefix and not re.search(r"[^\W_]\*$", stripped):
            raise self.error("'*' must follow a word", col + len(stripped) - 1)
        long = next((t for t in toks if len(t) > MAX_TOKEN_CHARS), None)
        if long is not None:
            raise self.error(f"word {long[:20]!r}... is too long ({len(long):,} characters; at most "
                             f"{MAX_TOKEN_CHARS})", at)
        self.words += len(toks)
        if self.words > MAX_WORDS:
            raise self.error(f"too many words in the query (more than {MAX_WORDS})", at)
        return Phrase(tuple(toks), prefix)


@lru_cache(maxsize=8192)  # the AST is immutable; a watchlist or a dashboard asks for the same queries again
def parse(query: str) -> Node:
    """Parse a query string into an AST; raises QuerySyntaxError naming the column."""
    return _Parser(query).parse()


def positive_leaves(node: Node) -> list[Phrase | Near]:
    """The phrases (and NEAR pairs) whose occurrences count as mentions: those not under a NOT."""
    if isinstance(node, (Phrase, Near)):
        return [node]
    if isinstance(node, Not):
        return []
    out: list[Phrase | Near] = []
    for item in node.items:
        out.extend(positive_leaves(item))
    return out
