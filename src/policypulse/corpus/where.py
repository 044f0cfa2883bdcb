"""``policypulse remove --where EXPR``: a small expression language over document fields, evaluated with Arrow.

Grammar (keywords in any case)::

    expr       := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" expr ")" | comparison
    comparison := FIELD OP VALUE | FIELD ["NOT"] "IN" "(" VALUE ("," VALUE)* ")"
    FIELD      := date | source | doc_id | date_precision | date_source | origin_file | title
    OP         := = | != | < | <= | > | >=
    VALUE      := 'text' | "text" | a bare word or date (letters, digits, - _ . : / @ +)

``date`` values are ISO dates (YYYY-MM-DD) compared as dates; every other field compares as text. A field
that is missing on a document (a title) matches no comparison. Examples::

    date < 1800-01-01
    source = 'Daily Mail' AND date >= 2014-01-01 AND date <= 2014-03-31
    origin_file = 'batch-7.jsonl' OR source IN (wire, 'agency feed')

Nothing here builds SQL: a parsed expression becomes ``pyarrow.compute`` calls on a segment's columns, so no
text a user types can run as a query (there is no quoting to escape).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from policypulse.errors import UsageError

FIELDS = ("date", "source", "doc_id", "date_precision", "date_source", "origin_file", "title")
OPS = ("=", "!=", "<", "<=", ">", ">=")
MAX_LENGTH = 10_000
MAX_DEPTH = 50
_TOKEN = re.compile(r"""\s*(?:(?P<op><=|>=|!=|=|<|>)|(?P<punct>[(),])|'(?P<sq>(?:[^']|'')*)'|"(?P<dq>(?:[^"]|"")*)"|"""
                    r"""(?P<word>[\w\-.:/@+]+))""", re.UNICODE)


@dataclass(frozen=True)
class Compare:
    """``field op value`` (``op`` one of OPS)."""

    field: str
    op: str
    value: str | dt.date


@dataclass(frozen=True)
class In:
    """``field IN (values)``, negated with ``negate``."""

    field: str
    values: tuple[str | dt.date, ...]
    negate: bool = False


@dataclass(frozen=True)
class Not:
    """``NOT expr``."""

    expr: Any


@dataclass(frozen=True)
class BoolOp:
    """``AND`` / ``OR`` of two or more expressions."""

    op: str
    parts: tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise UsageError(f"--where: cannot read {text[pos:].strip()[:30]!r} at column {pos + 1} of {text!r}")
        if m["op"]:
            out.append(("op", m["op"]))
        elif m["punct"]:
            out.append((m["punct"], m["punct"]))
        elif m["sq"] is not None:
            out.append(("str", m["sq"].replace("''", "'")))
        elif m["dq"] is not None:
            out.append(("str", m["dq"].replace('""', '"')))
        else:
            out.append(("word", m["word"]))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def keyword(self, word: str) -> bool:
        t = self.peek()
        if t is not None and t[0] == "word" and t[1].upper() == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, what: str) -> str:
        t = self.peek()
        if t is None or t[0] != kind:
            got = "the end" if t is None else repr(t[1])
            raise UsageError(f"--where: expected {what}, found {got} in {self.text!r}")
        self.i += 1
        return t[1]

    def parse(self) -> Any:
        expr = self.or_expr()
        if self.peek() is not None:
            raise UsageError(f"--where: unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return expr

    def or_expr(self) -> Any:
        parts = [self.and_expr()]
        while self.keyword("OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def and_expr(self) -> Any:
        parts = [self.not_expr()]
        while self.keyword("AND"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def not_expr(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise UsageError(f"--where: nested more than {MAX_DEPTH} deep")
        try:
            if self.keyword("NOT"):
                return Not(self.not_expr())
            t = self.peek()
            if t is not None and t[0] == "(":
                self.i += 1
                expr = self.or_expr()
                self.expect(")", "')'")
                return expr
            return self.comparison()
        finally:
            self.depth -= 1

    def value(self, field: str) -> str | dt.date:
        t = self.peek()
        if t is None or t[0] not in ("str", "word"):
            raise UsageError(f"--where: expected a value after {field}, found "
                             f"{'the end' if t is None else repr(t[1])} in {self.text!r}")
        self.i += 1
        if field != "date":
            return t[1]
        try:
            return dt.date.fromisoformat(t[1])
        except ValueError:
            raise UsageError(f"--where: date values are YYYY-MM-DD (year 0001 to 9999), got {t[1]!r}") from None

    def comparison(self) -> Any:
        t = self.peek()
        if t is None or t[0] != "word" or t[1].lower() not in FIELDS:
            got = "the end" if t is None else repr(t[1])
            raise UsageError(f"--where: expected a field ({', '.join(FIELDS)}), found {got} in {self.text!r}")
        self.i += 1
        field = t[1].lower()
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            self.expect("(", "'(' after IN")
            values = [self.value(field)]
            while self.peek() is not None and self.peek()[0] == ",":  # type: ignore[index]
                self.i += 1
                values.append(self.value(field))
            self.expect(")", "')' closing the IN list")
            return In(field, tuple(values), negate)
        if negate:
            raise UsageError(f"--where: NOT after a field must be followed by IN, in {self.text!r}")
        op = self.expect("op", f"an operator ({' '.join(OPS)}) after {field}")
        return Compare(field, op, self.value(field))


def parse_where(text: str) -> Any:
    """Parse a ``--where`` expression; a UsageError says what is wrong and where."""
    if not text.strip():
        raise UsageError("--where: empty expression")
    if len(text) > MAX_LENGTH:
        raise UsageError(f"--where: expression longer than {MAX_LENGTH:,} characters")
    return _Parser(text).parse()


_PC_OPS = {"=": pc.equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal, ">": pc.greater,
           ">=": pc.greater_equal}


def _scalar(field: str, value: str | dt.date) -> pa.Scalar:
    return pa.scalar(value, pa.date32()) if field == "date" else pa.scalar(value, pa.string())


def evaluate(expr: Any, table: pa.Table) -> pa.Array:
    """The documents of ``table`` the expression selects, as a boolean array without nulls."""
    if isinstance(expr, Compare):
        col = table.column(expr.field)
        if expr.field != "date":
            col = pc.cast(col, pa.string())
        return pc.fill_null(_PC_OPS[expr.op](col, _scalar(expr.field, expr.value)), False).combine_chunks()
    if isinstance(expr, In):
        col = table.column(expr.field)
        typ = pa.date32() if expr.field == "date" else pa.string()
        if expr.field != "date":
            col = pc.cast(col, pa.string())
        hit = pc.fill_null(pc.is_in(col, value_set=pa.array(list(expr.values), typ)), False)
        if expr.negate:  # a missing value is in no list and outside none: it matches neither
            hit = pc.and_(pc.invert(hit), pc.is_valid(col))
        return hit.combine_chunks() if isinstance(hit, pa.ChunkedArray) else hit
    if isinstance(expr, Not):
        return pc.invert(evaluate(expr.expr, table))
    if isinstance(expr, BoolOp):
        out = evaluate(expr.parts[0], table)
        for part in expr.parts[1:]:
            out = (pc.and_ if expr.op == "AND" else pc.or_)(out, evaluate(part, table))
        return out
    raise TypeError(f"not a --where expression: {expr!r}")


def fields_of(expr: Any) -> set[str]:
    """The document fields an expression reads (the columns to load)."""
    if isinstance(expr, (Compare, In)):
        return {expr.field}
    if isinstance(expr, Not):
        return fields_of(expr.expr)
    if isinstance(expr, BoolOp):
        return set().union(*(fields_of(p) for p in expr.parts))
    return set()
