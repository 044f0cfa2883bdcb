"""Compiling a query AST once into the two forms every engine needs: SQL and a Python predicate.

Both use the same phrase patterns of ``matching.phrase_pattern``, so DuckDB, Spark and Python agree.
"""

from __future__ import annotations

import re

from policypulse.query.matching import phrase_pattern
from policypulse.query.parser import And, Near, Node, Not, Or, Phrase, positive_leaves


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def near_regex(node: Near) -> str:
    """A regular expression (RE2 and Java compatible) for a NEAR/k pair in a normalised string."""
    a = re.escape(phrase_pattern(list(node.a.tokens), node.a.prefix))
    b = re.escape(phrase_pattern(list(node.b.tokens), node.b.prefix))
    # A prefix phrase's last token continues with non-space characters before its closing space.
    a_end = "[^ ]* " if node.a.prefix else ""
    b_end = "[^ ]* " if node.b.prefix else ""
    gap = f"(?: [^ ]+ ){{0,{node.k}}}"
    return f"(?:{a}{a_end}{gap}{b}{b_end}|{b}{b_end}{gap}{a}{a_end})"


def to_sql(node: Node, col: str = "norm") -> str:
    """A boolean SQL expression over the normalised-token column (DuckDB and Spark SQL)."""
    if isinstance(node, Phrase):
        return f"contains({col}, {_sql_str(phrase_pattern(list(node.tokens), node.prefix))})"
    if isinstance(node, Near):
        return f"regexp_matches({col}, {_sql_str(near_regex(node))})"
    if isinstance(node, Not):
        return f"(NOT {to_sql(node.item, col)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(to_sql(i, col) for i in node.items) + ")"


def mentions_sql(node: Node, col: str = "norm") -> str:
    """An integer SQL expression: occurrences of the query's positive phrases in a document."""
    parts = []
    for leaf in positive_leaves(node):
        if isinstance(leaf, Phrase):
            pat = _sql_str(phrase_pattern(list(leaf.tokens), leaf.prefix))
            parts.append(f"((length({col}) - length(replace({col}, {pat}, ''))) // length({pat}))")
        else:
            parts.append(f"len(regexp_extract_all({col}, {_sql_str(near_regex(leaf))}))")
    return " + ".join(parts) if parts else "0"


class Matcher:
    """A compiled query for Python: ``matches(norm)`` and ``mentions(norm)`` on normalised strings."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._near = {id(n): re.compile(near_regex(n)) for n in _walk(node) if isinstance(n, Near)}

    def matches(self, norm: str) -> bool:
        """Whether a document with this normalised string matches."""
        return self._eval(self.node, norm)

    def _eval(self, node: Node, norm: str) -> bool:
        if isinstance(node, Phrase):
            return phrase_pattern(list(node.tokens), node.prefix) in norm
        if isinstance(node, Near):
            return self._near[id(node)].search(norm) is not None
        if isinstance(node, Not):
            return not self._eval(node.item, norm)
        if isinstance(node, And):
            return all(self._eval(i, norm) for i in node.items)
        return any(self._eval(i, norm) for i in node.items)

    def mentions(self, norm: str) -> int:
        """Occurrences of the positive phrases (non-overlapping, as in SQL)."""
        total = 0
        for leaf in positive_leaves(self.node):
            if isinstance(leaf, Phrase):
                total += norm.count(phrase_pattern(list(leaf.tokens), leaf.prefix))
            else:
                total += len(self._near[id(leaf)].findall(norm))
        return total


def _walk(node: Node) -> list[Node]:
    out: list[Node] = [node]
    if isinstance(node, Not):
        out += _walk(node.item)
    elif isinstance(node, (And, Or)):
        for i in node.items:
            out += _walk(i)
    return out
