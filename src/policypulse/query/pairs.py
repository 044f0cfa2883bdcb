"""The word-pair index: every document's adjacent token pairs as terms, so that a two-word phrase is one term.

A phrase query of two common words ("are with") makes tantivy intersect two long position lists: 25-110 ms
of CPU per shard of the token index at 1M documents (profiled for issue 16), where the phrase has a few
thousand documents. Indexed as one term per adjacent pair (``are_with``), the same phrase is a term query
whose postings are exactly the documents holding the phrase, and whose term frequency is its number of
occurrences: under a millisecond per shard. For two different tokens occurrences never overlap, so that
frequency is also the matching rule's count of mentions (a pair of one token twice, "no no", is left to
the token index, which handles overlaps). Lucene's shingle and CommonGrams filters do the same.

Layout::

    STORE/pairs/tantivy/NNN/   tantivy shards (field ``pairs``: term frequencies, no positions; ``seg``, ``row``)
    STORE/pairs/covered.json   the shards, each with the store segments it holds completely; replaced atomically

Built by ``policypulse index-pairs STORE`` after an ingest (``build``); it is a derived artifact sealed in the
manifest (``pairs``) like the token index. A shard is listed only once it is committed, so a killed build
leaves an unlisted directory (deleted by the next build) and never a document twice. Readers use the index
for a version only when it is sealed and holds every segment of the version (an ingest since the last
build adds segments it does not hold: two-word phrases are then counted by the token index, exactly too).
"""

from __future__ import annotations

import array
import json
import operator
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policypulse.corpus import index as token_index
from policypulse.corpus import integrity
from policypulse.corpus import norms as norms_mod
from policypulse.corpus.store import Store, atomic_write_bytes

PAIRS_DIR = "pairs"
ARTIFACT = "pairs"  # the manifest's name of the derived artifact
FORMAT = 1
FIELD = "pairs"
JOIN = "_"  # never inside a token (letters, digits, marks and a leading '#'), so a pair term is unambiguous
SHARD_DOCS = 250_000  # documents per shard: merges stay about the size of the token index's shards
WRITER_HEAP = 256_000_000


def pair_term(a: str, b: str) -> str:
    """The index term of the phrase ``a b``."""
    return a + JOIN + b


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field(FIELD, stored=False, tokenizer_name=token_index.TOKENIZER, index_option="freq")
    sb.add_integer_field("seg", stored=False, indexed=True, fast=True)
    sb.add_integer_field("row", stored=False, indexed=False, fast=True)
    return sb.build()


def pair_strings(norms: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each ``norm`` (" a  b  c ") as the string of its adjacent pairs ("a_b b_c"), vectorised in Arrow.

    A document of n tokens has n - 1 pairs, so the pair field's length is the document's words minus one
    (what BM25 scores use to give back frequencies).
    """
    arr = norms.combine_chunks() if isinstance(norms, pa.ChunkedArray) else norms
    arr = arr.cast(pa.large_string()).fill_null("")
    lists = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(arr))
    flat = pc.list_flatten(lists)
    offsets = np.asarray(lists.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    n = len(flat)
    lengths = np.diff(offsets)
    if n < 2:
        return pa.array([""] * len(arr), pa.large_string())
    joined = pc.binary_join_element_wise(flat.slice(0, n - 1), flat.slice(1), pa.scalar(JOIN, pa.large_string()))
    keep = np.ones(n - 1, bool)
    last = offsets[1:][lengths > 0] - 1  # each document's last token starts no pair
    keep[last[last < n - 1]] = False
    pairs = joined.filter(pa.array(keep))
    pair_offsets = np.concatenate([[0], np.cumsum(np.maximum(lengths - 1, 0))])
    return pc.binary_join(pa.LargeListArray.from_arrays(pa.array(pair_offsets, pa.int64()), pairs),
                          pa.scalar(" ", pa.large_string()))


# -- state ----------------------------------------------------------------------------------------------

def _root(store: Store) -> Path:
    return store.path / PAIRS_DIR


def _state(store: Store) -> dict[str, Any]:
    """``covered.json``: ``shards``, a list of ``{"name", "segments"}`` (empty when there is no index)."""
    try:
        body = json.loads((_root(store) / "covered.json").read_bytes())
    except (OSError, ValueError):
        body = {}
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        body = {}
    return {"format": FORMAT, "shards": [dict(s) for s in body.get("shards", [])]}


def covered(store: Store) -> set[str]:
    """Store segments the pair index holds."""
    return {seg for shard in _state(store)["shards"] for seg in shard["segments"]}


def covers(store: Store, version: int | None = None) -> bool:
    """Whether the pair index is complete (sealed) and holds every document of a version."""
    segments = store.version_info(version)["segments"]
    return bool(segments) and integrity.sealed(store, ARTIFACT) and set(segments) <= covered(store)


# -- building -------------------------------------------------------------------------------------------

def build(store: Store, progress: Callable[[int], None] | None = None) -> int:
    """Add every segment of the latest version that the pair index lacks; returns documents added.

    The caller holds the store's writer lock.
    """
    import tantivy

    state = _state(store)
    root = _root(store)
    (root / "tantivy").mkdir(parents=True, exist_ok=True)
    listed = {s["name"] for s in state["shards"]}
    for path in (root / "tantivy").iterdir():
        if path.name not in listed:
            shutil.rmtree(path, ignore_errors=True)  # a shard a killed build never listed
    done = covered(store)
    todo = [s for s in store.version_info()["segments"] if s not in done]
    if not todo:
        if not integrity.sealed(store, ARTIFACT) and state["shards"]:
            integrity.seal(store, ARTIFACT, PAIRS_DIR)
        return 0
    integrity.unseal(store, ARTIFACT)
    added, writer = 0, None
    shard: dict[str, Any] | None = None

    def close_shard() -> None:
        nonlocal writer, shard
        if writer is None or shard is None:
            return
        writer.commit()
        writer.wait_merging_threads()
        state["shards"].append(shard)  # listed only once committed
        atomic_write_bytes(root / "covered.json", json.dumps(state).encode())
        writer, shard = None, None

    for name in todo:
        if shard is not None and shard["docs"] >= SHARD_DOCS:
            close_shard()
        if writer is None:
            names = {s["name"] for s in state["shards"]}
            shard = {"name": next(f"{i:03d}" for i in range(len(names) + 1) if f"{i:03d}" not in names),
                     "segments": [], "docs": 0}
            path = root / "tantivy" / shard["name"]
            path.mkdir(parents=True, exist_ok=True)
            index = token_index._register(tantivy.Index(_schema(), path=str(path), reuse=False))
            writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
        assert shard is not None
        norms = norms_mod.read_segment(store.path / "segments" / name, ["norm"]).column("norm")
        key = token_index.segment_key(name)
        rows = 0
        for text in pair_strings(norms).to_pylist():
            doc = tantivy.Document()
            doc.add_text(FIELD, text)
            doc.add_integer("seg", key)
            doc.add_integer("row", rows)
            writer.add_document(doc)
            rows += 1
        shard["segments"].append(name)
        shard["docs"] += rows
        added += rows
        if progress is not None:
            progress(rows)
    close_shard()
    integrity.seal(store, ARTIFACT, PAIRS_DIR)
    return added


# -- reading --------------------------------------------------------------------------------------------

_SCORE, _ADDRESS = operator.itemgetter(0), operator.itemgetter(1)


def hit_arrays(searcher: Any, query: Any, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any] | None:
    """``(seg, row, score, address of the first hit)`` of up to ``limit`` hits in one shard; None without any.

    tantivy-py hands every hit over as a Python ``(score, DocAddress)`` tuple; what follows is what costs per
    hit on our side, so it is done in C: addresses and scores taken out with ``map``/``itemgetter``, the fast
    fields' lists of ints packed by ``array.array`` (about 360 against 620 ns a hit for ``zip`` and
    ``np.asarray`` over the lists, measured on a term of 7,918 hits at 1M). Same arrays as before.
    """
    if limit <= 0:
        return None
    hits = searcher.search(query, limit, count=False).hits
    if not hits:
        return None
    addresses = list(map(_ADDRESS, hits))
    scores = np.fromiter(map(_SCORE, hits), np.float32, len(hits))
    segs = np.frombuffer(array.array("q", searcher.fast_field_values("seg", addresses)), np.int64)
    rows = np.frombuffer(array.array("q", searcher.fast_field_values("row", addresses)), np.int64)
    return segs, rows, scores, addresses[0]


class PairShards:
    """The pair index's shards opened for reading."""

    def __init__(self, store: Store) -> None:
        import tantivy

        self.indexes = []
        for shard in _state(store)["shards"]:
            path = _root(store) / "tantivy" / shard["name"]
            if (path / "meta.json").exists():
                self.indexes.append(token_index._register(tantivy.Index.open(str(path))))
        self.schema = self.indexes[0].schema if self.indexes else _schema()
        self.searchers = [ix.searcher() for ix in self.indexes]

    def query(self, a: str, b: str) -> Any:
        """The term query of the phrase ``a b``."""
        import tantivy

        return tantivy.Query.term_query(self.schema, FIELD, pair_term(a, b))

    def scored_hits(self, a: str, b: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]]:
        """Per shard with hits of the phrase ``a b``: ``(seg, row, BM25 score, explanation of the first hit)``."""
        query, term, out = self.query(a, b), pair_term(a, b), []
        for searcher in self.searchers:
            bound = searcher.doc_freq(FIELD, term)  # exact: the index never deletes documents
            found = hit_arrays(searcher, query, bound)
            if found is not None:
                segs, rows, scores, first = found
                out.append((segs, rows, scores, json.loads(query.explain(searcher, first).to_json())))
        return out


def open_pairs(store: Store, version: int) -> PairShards | None:
    """The pair index for reading a version (None when it is missing, unsealed, partial or damaged)."""
    if not covers(store, version):
        return None
    try:
        integrity.verify(store, [p for p in integrity.open_plan(store, version, derived=[ARTIFACT])
                                 if p[1].startswith(PAIRS_DIR + "/")])
    except Exception:  # noqa: BLE001 - a damaged optional index is not used; the token index counts the same
        return None
    shards = PairShards(store)
    return shards if shards.searchers else None
