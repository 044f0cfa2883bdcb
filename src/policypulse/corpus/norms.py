"""The normalised token string of stored documents, recomputed from their text instead of stored again.

Segments of schema 3 keep each document's text once; its ``norm`` (text.normalise of the stored, already
cleaned text) is derived where it is needed:

* in DuckDB, as a column of the ``docs`` view: pure-ASCII texts (nearly every English document) with SQL
  built-ins that give exactly ``text.tokens``' ASCII result (``#?[a-z0-9]+`` over the lower-cased text),
  other texts with ``text.normalise`` itself as a vectorised Python function;
* in Python, a document at a time for the token index's rare reads (``TextRows``) or a segment at a time
  (``read_segment``) for the index rebuild and the phrase statistics.

Segments of schema 1 and 2 still hold a ``norm`` column; it is used as stored.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from policypulse.text import normalise

# text.tokens for ASCII text in SQL: lower-case, then the maximal runs of letters and digits with one
# optional '#' before them (a '#' inside a run starts a new token, as TOKEN_RE re-splits it in Python).
ASCII_TOKENS_SQL = "regexp_extract_all(lower({text}), '#?[a-z0-9]+')"


def norm_sql(text: str = "text") -> str:
    """A DuckDB expression for ``text.normalise(<text>)[0]`` (``register`` must have run on the connection)."""
    toks = ASCII_TOKENS_SQL.format(text=text)
    return (f"(CASE WHEN strlen({text}) = length({text}) "  # bytes == characters: ASCII
            f"THEN (CASE WHEN len({toks}) = 0 THEN '' ELSE ' ' || array_to_string({toks}, '  ') || ' ' END) "
            f"ELSE pp_norm({text}) END)")


def norms_array(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.Array:
    """``text.normalise`` of each text (None stays None), as a large_string array."""
    values = texts.to_pylist() if not isinstance(texts, list) else texts
    return pa.array([None if t is None else normalise(t)[0] for t in values], pa.large_string())


def register(con: Any) -> None:
    """Define ``pp_norm(text)`` (``text.normalise``, vectorised) on a DuckDB connection."""
    import duckdb

    try:
        con.create_function("pp_norm", norms_array, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False)
    except (duckdb.CatalogException, duckdb.NotImplementedException):
        pass  # already defined on this connection


def has_norm(path: str | Path) -> bool:
    """Whether a segment stores ``norm`` (schema 1 and 2) rather than leaving it to be derived."""
    return "norm" in pq.read_schema(path).names


def read_segment(path: str | Path, columns: list[str]) -> pa.Table:
    """A segment's columns, ``norm`` derived from ``text`` where the segment does not store it."""
    if "norm" not in columns or has_norm(path):
        return pq.read_table(path, columns=columns)
    read = [c for c in columns if c != "norm"]
    table = pq.read_table(path, columns=read + ([] if "text" in read else ["text"]))
    norm = norms_array(table.column("text"))
    table = table.append_column(pa.field("norm", pa.large_string()), norm)
    return table.select(columns)


class GroupCache:
    """Decoded row groups of text, least recently used dropped first, within a byte budget (shared by the
    segments of one engine, so repeated reads of the same documents decode them once)."""

    def __init__(self, budget: int = 256 * 1024 * 1024) -> None:
        self.budget, self.used = budget, 0
        self.items: OrderedDict[tuple[str, int], pa.Array] = OrderedDict()

    def get(self, key: tuple[str, int]) -> pa.Array | None:
        got = self.items.get(key)
        if got is not None:
            self.items.move_to_end(key)
        return got

    def put(self, key: tuple[str, int], value: pa.Array) -> None:
        self.items[key] = value
        self.used += value.nbytes
        while self.used > self.budget and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.used -= old.nbytes

    def clear(self) -> None:
        self.items.clear()
        self.used = 0


class TextRows:
    """Documents of one segment read by row: the row groups holding them, decoded once (``GroupCache``).

    The token index reads a document's text only where its counts cannot come from tantivy alone (NEAR,
    prefixes, ambiguous scores).
    """

    def __init__(self, path: Path, cache: GroupCache | None = None) -> None:
        self.path = path
        self.file = pq.ParquetFile(path)
        md = self.file.metadata
        self.ends = np.cumsum([md.row_group(g).num_rows for g in range(md.num_row_groups)])
        self.stored_norm = "norm" in self.file.schema_arrow.names
        self.cache = cache if cache is not None else GroupCache()

    def _group(self, g: int) -> pa.Array:
        key = (self.path.name, g)
        got = self.cache.get(key)
        if got is None:
            col = "norm" if self.stored_norm else "text"
            got = self.file.read_row_group(g, columns=[col]).column(0).combine_chunks()
            self.cache.put(key, got)
        return got

    def norms(self, rows: np.ndarray) -> list[bytes]:
        """The UTF-8 ``norm`` of each row (each row group read once)."""
        groups = np.searchsorted(self.ends, rows, side="right")
        firsts = np.concatenate([[0], self.ends])[groups]
        out: list[bytes] = [b""] * len(rows)
        for g in np.unique(groups).tolist():
            at = np.flatnonzero(groups == g)
            # only the documents asked for become Python strings, not the whole row group
            values = self._group(g).take(pa.array(rows[at] - firsts[at])).to_pylist()
            for i, v in zip(at.tolist(), values):
                out[i] = (v if self.stored_norm else normalise(v)[0]).encode()
        return out

    def close(self) -> None:
        """Release the file."""
        self.file.close()
