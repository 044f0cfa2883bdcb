"""Compiling a query AST once into the two forms every engine needs: SQL and a Python predicate.

Both use the same phrase patterns of ``text.phrase_pattern``, so DuckDB, Spark and Python agree.
"""

from __future__ import annotations

import re

from policypulse.text import phrase_pattern
from policypulse.query.parser import And, Near, Node, Not, Or, Phrase, positive_leaves

DIALECTS = ("duckdb", "spark")


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")


def _sql_str(s: str, dialect: str = "duckdb") -> str:
    if dialect == "spark":
        # Spark SQL string literals take C-style backslash escapes (spark.sql.parser.escapedStringLiterals
        # is false by default); patterns never hold a backslash or a quote, but escape them all the same.
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + s.replace("'", "''") + "'"


# Java's java.util.regex (Spark's rlike and regexp_extract_all) treats ' ' and '#' as literals, as do RE2 and
# Python; letters and digits never need escaping. Escaping nothing else keeps the Spark pattern free of
# backslashes, so it reads the same whatever a cluster sets for escapedStringLiterals.
_JAVA_META = set("\\.[]{}()<>*+-=!?^$|&~:")


def _java_escape(s: str) -> str:
    return "".join("\\" + c if c in _JAVA_META else c for c in s)


def near_regex(node: Near, dialect: str = "duckdb") -> str:
    """A regular expression (RE2 and Java compatible) for a NEAR/k pair in a normalised string.

    ``dialect='duckdb'`` (and Python) escape with ``re.escape``; ``'spark'`` escapes for Java without
    the needless backslashes before spaces and ``#``: the two match the same strings.
    """
    _check_dialect(dialect)
    escape = re.escape if dialect == "duckdb" else _java_escape
    a = escape(phrase_pattern(list(node.a.tokens), node.a.prefix))
    b = escape(phrase_pattern(list(node.b.tokens), node.b.prefix))
    # A prefix phrase's last token continues with non-space characters before its closing space.
    a_end = "[^ ]* " if node.a.prefix else ""
    b_end = "[^ ]* " if node.b.prefix else ""
    # Lazy: each mention is a pair with the nearest partner, so "a b a b" holds two pairs, not one long match.
    gap = f"(?: [^ ]+ ){{0,{node.k}}}?"
    return f"(?:{a}{a_end}{gap}{b}{b_end}|{b}{b_end}{gap}{a}{a_end})"


def _prefilter(pattern: str, col: str) -> str:
    """A DuckDB test that every document holding ``pattern`` passes, and that is cheap to evaluate.

    DuckDB's ``contains`` finds candidate positions by the needle's first byte. Every phrase pattern starts
    with a space, the commonest byte of a normalised string, so it stops at every word; the same needle
    without its leading space starts with a letter and skips most of the text (at 1M documents: 2.4 s
    instead of 4.9 s, about the cost of decompressing the column). The exact test then runs on the few
    documents left.
    """
    return f"contains({col}, {_sql_str(pattern[1:])})"


def to_sql(node: Node, col: str = "norm", dialect: str = "duckdb") -> str:
    """A boolean SQL expression over the normalised-token column, in DuckDB or Spark SQL (3.3+)."""
    _check_dialect(dialect)
    if isinstance(node, Phrase):
        pattern = phrase_pattern(list(node.tokens), node.prefix)
        exact = f"contains({col}, {_sql_str(pattern, dialect)})"
        return exact if dialect == "spark" else f"({_prefilter(pattern, col)} AND {exact})"
    if isinstance(node, Near):
        if dialect == "spark":
            return f"({col} RLIKE {_sql_str(near_regex(node, dialect), dialect)})"
        # both phrases must be present for a pair: two cheap substring tests before the regular expression
        a = _prefilter(phrase_pattern(list(node.a.tokens), node.a.prefix), col)
        b = _prefilter(phrase_pattern(list(node.b.tokens), node.b.prefix), col)
        return f"({a} AND {b} AND regexp_matches({col}, {_sql_str(near_regex(node))}))"
    if isinstance(node, Not):
        return f"(NOT {to_sql(node.item, col, dialect)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(to_sql(i, col, dialect) for i in node.items) + ")"


def text_prefilter_sql(node: Node, col: str = "text") -> str:
    """A necessary condition of the node on the stored text, cheap to test before ``norm`` is derived.

    Stores of schema 3 derive ``norm`` from the text (corpus/norms.py), which costs far more than a
    substring test: a pure-ASCII text whose lower-cased form lacks one of a phrase's tokens cannot hold the
    phrase (its tokens are runs of that lower-cased text). Other texts always pass (casefolding may
    lengthen them: "Straße" holds the token "strasse"). A NOT passes everything.
    """
    low = f"lower({col})"

    def need(n: Node) -> str | None:
        if isinstance(n, Phrase):
            return " AND ".join(f"contains({low}, {_sql_str(t)})" for t in n.tokens)
        if isinstance(n, Near):
            return f"{need(n.a)} AND {need(n.b)}"
        if isinstance(n, Not):
            return None
        parts = [need(i) for i in n.items]
        if isinstance(n, And):
            kept = [p for p in parts if p is not None]
            return " AND ".join(f"({p})" for p in kept) if kept else None
        return None if any(p is None for p in parts) else " OR ".join(f"({p})" for p in parts)

    cond = need(node)
    return "TRUE" if cond is None else f"(strlen({col}) <> length({col}) OR ({cond}))"


def mentions_sql(node: Node, col: str = "norm", dialect: str = "duckdb") -> str:
    """An integer SQL expression: occurrences of the query's positive phrases in a document."""
    _check_dialect(dialect)
    div = " div " if dialect == "spark" else " // "
    parts = []
    for leaf in positive_leaves(node):
        if isinstance(leaf, Phrase):
            pat = _sql_str(phrase_pattern(list(leaf.tokens), leaf.prefix), dialect)
            parts.append(f"((length({col}) - length(replace({col}, {pat}, ''))){div}length({pat}))")
        elif dialect == "spark":
            # Spark's third argument defaults to group 1: ask for the whole match (group 0).
            parts.append(f"size(regexp_extract_all({col}, {_sql_str(near_regex(leaf, dialect), dialect)}, 0))")
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
