"""The embedded engine with the store's token index: tantivy finds the documents, numpy counts them.

Every query is turned into a tantivy query that returns a superset of its matching documents (exactly
its documents for phrases and their AND/OR/NOT); mentions of phrases come from tantivy's scores (also in
AND/NOT queries, and for phrases that can overlap themselves outside the few documents where they do), and
where they cannot (NEAR, a trailing ``*``, ambiguous scores) the ``norm`` of each candidate is recomputed from its
stored text to count mentions and keep the documents the matching rule accepts (``compile.Matcher``). Dates, sources and folding are looked up in
per-document arrays of the version, loaded once. A query the index cannot narrow (a lone NOT, an
over-long token) goes to the scan of the parent engine, so every query is answered, and exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from policypulse.corpus import index as token_index
from policypulse.corpus import norms as norms_mod
from policypulse.corpus.store import Store
from policypulse.query.compile import Matcher, near_regex
from policypulse.query.engines.base import PERIODS, PRECISIONS_FOR, periods_of
from policypulse.query.engines.duckdb import DuckDBEngine
from policypulse.query.ideas import Idea
from policypulse.text import phrase_pattern
from policypulse.query.parser import And, Near, Node, Not, Or, Phrase, positive_leaves

_PRECISIONS = token_index.PRECISIONS
_OPEN_FILES = 64  # segments whose text is kept open (decoded row groups are cached apart, by bytes)
_PERIOD_DTYPE = "datetime64[us]"  # what the scan (DuckDB) returns, so that results of both engines compare equal
_K1, _B = np.float32(1.2), np.float32(0.75)  # tantivy's BM25 constants (query/bm25.rs)
_MAX_RUN = 64  # the longest run of one repeated token counted by phrase queries; longer runs are read


def _fieldnorm_table() -> np.ndarray:
    """tantivy's decoded document lengths by fieldnorm id: exact up to 40, then 8 steps per doubling of the step.

    Checked against tantivy's own explanations for hundreds of lengths in tests/test_index.py.
    """
    table, step = list(range(41)), 2
    while len(table) < 256:
        last = table[-1]
        table.extend(last + step * (i + 1) for i in range(min(8, 256 - len(table))))
        step *= 2
    return np.array(table, dtype=np.int64)


_FIELDNORMS = _fieldnorm_table()


def _decoded_length(words: np.ndarray | int) -> np.ndarray:
    """The document length tantivy's BM25 uses for a token count (its fieldnorm bucket)."""
    return _FIELDNORMS[np.searchsorted(_FIELDNORMS, words, side="right") - 1]


def _explained(node: dict[str, Any], prefix: str) -> float | None:
    """The value of the first explanation line whose description starts with ``prefix``."""
    if str(node.get("description", "")).startswith(prefix):
        return float(node["value"])
    for child in node.get("details", []) or []:
        found = _explained(child, prefix)
        if found is not None:
            return found
    return None


def frequencies_from_scores(scores: np.ndarray, words: np.ndarray, explanation: dict[str, Any]
                            ) -> tuple[np.ndarray, np.ndarray]:
    """``(tf, exact)``: each hit's phrase frequency recovered from its BM25 score, and where that is certain.

    tantivy scores a hit ``w * tf / (tf + norm)`` in float32, with ``w`` from the query's idf and ``norm``
    from the document's length (quantised to one of 256 fieldnorm values) and the average length; the
    explanation of one hit gives the idf and the average. Solving for ``tf`` and recomputing the score
    exactly as tantivy does keeps a hit only when that integer, and no neighbour, reproduces the score bit
    for bit; the caller reads the other documents.
    """
    idf, avg = _explained(explanation, "idf"), _explained(explanation, "avgdl")
    if idf is None or avg is None or not len(scores):
        return np.zeros(len(scores), np.int64), np.zeros(len(scores), bool)
    return _solve_tf(scores, words, np.float32(idf), np.float32(avg))


def _solve_tf(scores: np.ndarray, words: np.ndarray, idf: np.ndarray | np.float32, avg: np.ndarray | np.float32
              ) -> tuple[np.ndarray, np.ndarray]:
    """``frequencies_from_scores`` with the idf and average length given (a value, or one per hit: the hits of
    several shards at once), both float32 as tantivy computes them."""
    weight = idf * (np.float32(1) + _K1)
    length = _decoded_length(words).astype(np.float32)
    norm = _K1 * (np.float32(1) - _B + _B * length / avg)
    s64 = scores.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.rint(s64 * norm / (np.asarray(weight, np.float64) - s64))
    est = np.where(np.isfinite(est) & (est >= 1) & (est < 2**24), est, 0)

    def score(tf: np.ndarray) -> np.ndarray:
        t = tf.astype(np.float32)
        return weight * (t / (t + norm))

    exact = (est >= 1) & (score(est) == scores)
    for step in (-1, 1):
        other = est + step
        exact &= (other < 1) | (score(other) != scores)
    return est.astype(np.int64), exact


def _pairable(tokens: list[str]) -> bool:
    """Whether the pair index answers a phrase: two different tokens whose pair term tantivy keeps."""
    return (len(tokens) == 2 and tokens[0] != tokens[1]
            and len(tokens[0].encode()) + len(tokens[1].encode()) + 1 <= token_index.MAX_TERM_BYTES)


def _self_overlapping(tokens: list[str]) -> bool:
    """Whether a phrase can overlap itself ("no no"): tantivy counts such overlaps, the matching rule does not."""
    return any(tokens[k:] == tokens[: len(tokens) - k] for k in range(1, len(tokens)))


@dataclass
class _Meta:
    """Per-document arrays of one version, in segment order (segment offsets by index key)."""

    offsets: dict[int, int]  # segment key -> position of its first document
    day: np.ndarray  # datetime64[D]
    precision: np.ndarray  # int8 index into _PRECISIONS
    fallback: np.ndarray  # bool: the date is the ingest's fallback date
    folded: np.ndarray  # bool: a near-duplicate or retweet counted as its representative
    source: np.ndarray  # int32 code into sources
    sources: list[str]
    words: np.ndarray  # int64
    long: np.ndarray  # bool: norm longer than MAX_TERM_BYTES (could hold a token tantivy skipped)


def _load_meta(store: Store, version: int) -> _Meta:
    # Segment by segment, straight into small numpy arrays: holding the Arrow columns of a whole 1M-document
    # version at once (hashes above all) would cost more memory than the counting itself. The index keeps
    # these arrays per segment (corpus/index.py); segments indexed before it did are read from Parquet.
    folded = store.folded(version).column("hash")
    offsets: dict[int, int] = {}
    days, precisions, fallbacks, folds, codes, words, longs = [], [], [], [], [], [], []
    source_code: dict[str, int] = {}
    position = 0
    for path in store.segment_paths(version):
        part = token_index.read_segment_meta(store, path.name)
        if part is None or "long" not in part:
            table = norms_mod.read_segment(path, ["norm", *token_index.META_COLUMNS])
            part = token_index.segment_meta(table, table.column("norm"))
        n = len(part["day"])
        offsets[token_index.segment_key(path.name)] = position
        position += n
        days.append(part["day"])
        precisions.append(part["precision"])
        fallbacks.append(part["fallback"])
        words.append(part["words"])
        longs.append(part["long"])
        local = np.array([source_code.setdefault(str(v), len(source_code)) for v in part["sources"]], dtype=np.int32)
        codes.append(local[part["source"]] if len(local) else np.zeros(0, np.int32))
        if len(folded):
            hashes = pq.read_table(path, columns=["hash"]).column("hash")
            folds.append(pc.is_in(hashes, value_set=folded).to_numpy(zero_copy_only=False).astype(bool))
        else:
            folds.append(np.zeros(n, bool))
    pa.default_memory_pool().release_unused()

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    return _Meta(offsets=offsets, day=cat(days, "datetime64[D]"), precision=cat(precisions, np.int8),
                 fallback=cat(fallbacks, bool), folded=cat(folds, bool), source=cat(codes, np.int32),
                 sources=list(source_code), words=cat(words, np.int64), long=cat(longs, bool))


class IndexedEngine(DuckDBEngine):
    """Counts with the token index; scans (the parent) only what the index cannot narrow."""

    name = "duckdb"

    def __init__(self, store: Store, version: int | None = None, index: Any | None = None) -> None:
        super().__init__(store, version)
        index = index if index is not None else token_index.open_index(store)
        if index is None:
            raise ValueError(f"{store.path}: no token index")
        self.index: token_index.Shards = index
        self.schema = index.schema
        self._meta: _Meta | None = None
        self._totals: dict[tuple[Any, ...], pd.DataFrame] = {}
        self._total_arrays: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._masks: dict[tuple[Any, ...], np.ndarray] = {}
        self._texts: dict[int, norms_mod.TextRows] = {}
        self._text_cache = norms_mod.GroupCache()
        self._paths = {token_index.segment_key(p.name): p.name for p in store.segment_paths(self.version)}
        # Mentions of phrases from tantivy's BM25 scores (frequencies_from_scores), else from reading every
        # matching document; both are exact, the first reads only documents whose score is ambiguous.
        self.use_scores = True
        # Two-word phrases from the word-pair index where the store has one (query/pairs.py): one term's
        # postings instead of a positional intersection; the same frequencies, exact the same way.
        self.use_pairs = True
        self._pairs: Any = False  # not looked up yet
        self._seg_table: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def meta(self) -> _Meta:
        """The version's per-document arrays (loaded on first use)."""
        if self._meta is None:
            self._meta = _load_meta(self.store, self.version)
        return self._meta

    def _segment_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Segment keys of the version, sorted, and the position of each one's first document."""
        if self._seg_table is None:
            items = sorted(self.meta.offsets.items())
            self._seg_table = (np.array([k for k, _ in items], dtype=np.int64),
                               np.array([f for _, f in items], dtype=np.int64))
        return self._seg_table

    # -- queries -------------------------------------------------------------------------------
    def _candidates(self, node: Node) -> tuple[Any, bool] | None:
        """A tantivy query for a superset of the node's documents and whether it is exact (None: all)."""
        import tantivy

        if isinstance(node, Phrase):
            toks = list(node.tokens)
            if any(len(t.encode()) > token_index.MAX_TERM_BYTES for t in toks):
                return None
            if node.prefix:
                # The prefix token's expansions are unbounded (a phrase_prefix_query caps them): find the
                # whole words and the prefix separately, and let the matcher check the order.
                head = toks[:-1]
                parts = [tantivy.Query.regex_query(self.schema, "norm", _regex_escape(toks[-1]) + ".*")]
                if head:
                    parts.insert(0, self._phrase(head))
                q = parts[0] if len(parts) == 1 else _all(parts)
                return q, False
            return self._phrase(toks), True
        if isinstance(node, Near):
            a, b = self._candidates(node.a), self._candidates(node.b)
            if a is None or b is None:
                return None
            return _all([a[0], b[0]]), False
        if isinstance(node, Not):
            inner = self._candidates(node.item)
            if inner is None or not inner[1]:
                return None
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                (tantivy.Occur.MustNot, inner[0])]), True
        if isinstance(node, And):
            must, must_not, exact = [], [], True
            for item in node.items:
                if isinstance(item, Not):
                    inner = self._candidates(item.item)
                    if inner is not None and inner[1]:
                        must_not.append(inner[0])
                    else:
                        exact = False  # this exclusion is checked by the matcher
                    continue
                sub = self._candidates(item)
                if sub is None:
                    exact = False
                    continue
                must.append(sub[0])
                exact = exact and sub[1]
            if not must:
                return None
            clauses = [(tantivy.Occur.Must, q) for q in must] + [(tantivy.Occur.MustNot, q) for q in must_not]
            return tantivy.Query.boolean_query(clauses), exact
        if isinstance(node, Or):
            subs = [self._candidates(i) for i in node.items]
            if any(s is None for s in subs):
                return None
            return (tantivy.Query.boolean_query([(tantivy.Occur.Should, s[0]) for s in subs if s]),
                    all(s[1] for s in subs if s))
        raise TypeError(f"unknown query node {node!r}")

    def _scorable(self, node: Node) -> list[list[str]] | None:
        """The positive phrases of an idea when tantivy's scores give its mentions: every mention-counting
        leaf (not under a NOT) a whole-word phrase of tokens tantivy indexes; None otherwise (NEAR, ``*``)."""
        out: list[list[str]] = []
        for leaf in positive_leaves(node):
            if not isinstance(leaf, Phrase) or leaf.prefix or not leaf.tokens or any(
                    len(t.encode()) > token_index.MAX_TERM_BYTES for t in leaf.tokens):
                return None
            out.append(list(leaf.tokens))
        return out or None

    def _overlapping(self, toks: list[str]) -> np.ndarray:
        """Sorted positions of the documents where two occurrences of the phrase overlap ("no no no").

        Only there does tantivy's frequency (every occurrence) differ from the matching rule's
        (non-overlapping, leftmost first). Occurrences at i and i + k overlap exactly where the phrase
        extended by its last k tokens occurs, for a shift k at which the phrase repeats itself, so the
        index finds these documents by phrase queries: no text is read to rule an overlap out.
        """
        n, found = len(toks), []
        for k in range(1, n):
            if toks[k:] == toks[: n - k]:
                ext = toks + toks[n - k:]
                found.append(self._hits(self._phrase(ext), min(self.index.doc_freq(t) for t in ext))[0])
        return np.unique(np.concatenate(found)) if found else np.empty(0, np.int64)

    def _frequencies(self, toks: list[str], within: Any = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(pos, seg, row, tf, exact)`` of a phrase's hits: tantivy's frequency (every occurrence, overlapping
        ones too) from each hit's score, and whether the score gave it for certain.

        ``within``: a tantivy query the documents must also match (an idea's exact candidate query), added
        with a zero constant score so that each hit's score stays the phrase's own.
        """
        import tantivy

        m = self.meta
        pairs = self._pair_index() if within is None and _pairable(toks) else None
        if pairs is not None:
            return self._pair_frequencies(pairs, toks)
        query = self._phrase(toks)
        if within is not None:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (
                tantivy.Occur.Must, tantivy.Query.const_score_query(within, 0.0))])
        parts = []
        for segs, rows, scores, explanation in self._scored_hits(query, toks):
            pos = self._positions(segs, rows)
            keep = pos >= 0
            tf, exact = frequencies_from_scores(scores, m.words[np.where(keep, pos, 0)], explanation)
            # A self-check on the explained hit: tantivy's own frequency and length for it.
            if (_explained(explanation, "freq,") != tf[0] or not exact[0] or
                    _explained(explanation, "dl,") != _decoded_length(m.words[max(pos[0], 0)])):
                exact[:] = False
            exact &= ~self._long_norms(segs, rows)  # no token tantivy skipped, so its length is ours
            parts.append((pos[keep], segs[keep], rows[keep], tf[keep], exact[keep]))
        return _joined(parts)

    def _scored_hits(self, query: Any, terms: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]]:
        """Per token-index shard with hits of a phrase of ``terms``: ``(seg, row, BM25 score, explanation of the
        first hit)``; ``Shards.scored_hits`` with the cheaper conversion of hits (``pairs.hit_arrays``)."""
        from policypulse.query.pairs import hit_arrays

        return self.index.scored_hits(query, terms, hit_arrays)

    def _pair_index(self) -> Any:
        """The store's word-pair index for this version (query/pairs.py), or None; looked up once."""
        if not self.use_pairs:
            return None
        if self._pairs is False:
            from policypulse.query import pairs

            self._pairs = pairs.open_pairs(self.store, self.version)
        return self._pairs

    def _pair_frequencies(self, pairs: Any, toks: list[str]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``_frequencies`` of a phrase of two different tokens, from the pair index's term (one posting list,
        no positions) instead of a phrase query. The pair field of a document of n words holds n - 1 terms,
        its length in the BM25 score that gives each hit's frequency back. Every shard's hits are solved in
        one pass (each hit with its shard's idf and average length): per shard, numpy's per-call costs were
        most of the time of a rare phrase."""
        m = self.meta
        found = pairs.scored_hits(toks[0], toks[1])
        if not found:
            return _joined([])
        explained = [(_explained(e, "idf"), _explained(e, "avgdl"), e) for *_, e in found]
        if any(idf is None or avg is None for idf, avg, _ in explained):
            return self._pair_frequencies_by_shard(found)
        sizes = [len(f[0]) for f in found]
        segs = np.concatenate([f[0] for f in found]) if len(found) > 1 else found[0][0]
        rows = np.concatenate([f[1] for f in found]) if len(found) > 1 else found[0][1]
        scores = np.concatenate([f[2] for f in found]) if len(found) > 1 else found[0][2]
        idf = np.repeat(np.array([x[0] for x in explained], np.float32), sizes)
        avg = np.repeat(np.array([x[1] for x in explained], np.float32), sizes)
        pos = self._positions(segs, rows)
        keep = pos >= 0
        safe = np.where(keep, pos, 0)
        lengths = np.maximum(m.words[safe] - 1, 0)
        tf, exact = _solve_tf(scores, lengths, idf, avg)
        # A self-check per shard on its explained hit (the first): tantivy's own frequency and length for it.
        first = 0
        for size, (_, _, e) in zip(sizes, explained):
            if (_explained(e, "freq,") != tf[first] or not exact[first] or
                    _explained(e, "dl,") != _decoded_length(lengths[first])):
                exact[first:first + size] = False
            first += size
        exact &= ~(keep & m.long[safe])  # a pair tantivy skipped changes the length
        return pos[keep], segs[keep], rows[keep], tf[keep], exact[keep]

    def _pair_frequencies_by_shard(self, found: list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]]
                                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``_pair_frequencies`` shard by shard (an explanation without idf or average: no hit is certain)."""
        m = self.meta
        parts = []
        for segs, rows, scores, explanation in found:
            pos = self._positions(segs, rows)
            keep = pos >= 0
            lengths = np.maximum(m.words[np.where(keep, pos, 0)] - 1, 0)
            tf, exact = frequencies_from_scores(scores, lengths, explanation)
            parts.append((pos[keep], segs[keep], rows[keep], tf[keep], exact[keep]))
        return _joined(parts)

    def _repeats(self, token: str, n: int, pos: np.ndarray, tf: np.ndarray, exact: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Non-overlapping mentions of ``token`` repeated ``n`` times, from tantivy's frequencies of longer runs.

        In a run of L copies, the phrase occurs L - n + 1 times overlapping and floor(L / n) times under the
        matching rule. With c_j the frequency of j copies, c_j - c_(j+1) runs are at least j long, so the
        rule's count is the sum over t >= 1 of c_(tn) - c_(tn+1): a few phrase queries on the rare documents
        holding longer runs. Returns the counts and where they are certain (elsewhere the text is read).
        """
        order = np.argsort(pos, kind="stable")
        sorted_pos = pos[order]

        def lookup(found: np.ndarray, values: np.ndarray, default: Any) -> np.ndarray:
            out = np.full(len(pos), default, dtype=values.dtype)
            if len(found):
                at = order[np.searchsorted(sorted_pos, found).clip(0, max(len(pos) - 1, 0))]
                ok = pos[at] == found  # a longer run sits inside a document holding the phrase
                out[at[ok]] = values[ok]
            return out

        count, sure, c_tn, t = np.zeros(len(pos), np.int64), exact.copy(), tf, 1
        while True:
            longer = self._frequencies([token] * (t * n + 1))
            c_next = lookup(longer[0], longer[3], 0)
            sure &= lookup(longer[0], longer[4], True)
            count += c_tn - c_next
            if not len(longer[0]):
                return count, sure
            if (t + 1) * n + 1 > _MAX_RUN:
                # a longer run than any phrase query we make: read those documents
                return count, sure & (c_next == 0)
            t += 1
            again = self._frequencies([token] * (t * n))
            c_tn = lookup(again[0], again[3], 0)
            sure &= lookup(again[0], again[4], True)
            if not len(again[0]):
                return count, sure

    def _phrase_mentions(self, toks: list[str], within: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions of a phrase's documents and its mentions under the matching rule (non-overlapping)."""
        pos, segs, rows, tf, exact = self._frequencies(toks, within)
        if len(pos) and _self_overlapping(toks):
            if len(set(toks)) == 1:
                tf, exact = self._repeats(toks[0], len(toks), pos, tf, exact)
            else:
                exact = exact & ~np.isin(pos, self._overlapping(toks))  # tantivy counted the overlaps there
        unsure = np.flatnonzero(~exact)
        if len(unsure):
            count = _Mentions(Phrase(tuple(toks)))
            tf = tf.copy()
            tf[unsure] = [count(b) for b in self._norm_bytes(segs[unsure], rows[unsure])]
        return pos, tf

    def _scored(self, phrases: list[list[str]], within: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the documents holding any of the phrases (within ``within``), and their summed mentions."""
        found = [self._phrase_mentions(toks, within) for toks in phrases]
        found = [f for f in found if len(f[0])]
        if not found:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        pos, tf = np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])
        if len(phrases) > 1:  # a document holding several aliases is one document; its mentions add up
            pos, inverse = np.unique(pos, return_inverse=True)
            tf = np.bincount(inverse, weights=tf, minlength=len(pos)).astype(np.int64)
        return pos, tf

    def _scored_query(self, node: Node, phrases: list[list[str]]) -> tuple[np.ndarray, np.ndarray] | None:
        """Documents and mentions of a query whose positive leaves are ``phrases``, all from the index.

        A phrase or an OR of phrases is the union of its phrases' hits. Any other query (AND, NOT, an
        idea's exclusions) needs an exact candidate query: its hits are the documents, and each positive
        phrase's frequency is scored within them (the matching rule counts every positive phrase of a
        matching document, as ``Matcher.mentions``). None: no exact candidate query (then text is read).
        """
        if _union_of_phrases(node):
            return self._scored(phrases)
        plan = self._candidates(node)
        if plan is None or not plan[1]:
            return None
        pos = np.sort(self._hits(plan[0], self._bound(node))[0])
        mentions = np.zeros(len(pos), np.int64)
        if len(pos):
            leaf_pos, leaf_tf = self._scored(phrases, within=plan[0])
            at = np.searchsorted(pos, leaf_pos).clip(0, len(pos) - 1)
            if len(at) and not np.array_equal(pos[at], leaf_pos):
                return None  # every scored hit matched the plan; if one is missing, count another way
            np.add.at(mentions, at, leaf_tf)
        return pos, mentions

    def _bound(self, node: Node) -> int | None:
        """An upper bound on the hits of the node's candidate query, from term document frequencies.

        None: no cheap bound (then a first search counts the hits). A bound must hold for the candidate
        query itself, not only for the true matches, so items the candidate query leaves out give none.
        """
        if self._candidates(node) is None:
            return None
        if isinstance(node, Phrase):
            toks = list(node.tokens[:-1] if node.prefix else node.tokens)
            return min((self.index.doc_freq(t) for t in toks), default=None)
        if isinstance(node, Near):
            return min((b for b in (self._bound(node.a), self._bound(node.b)) if b is not None), default=None)
        if isinstance(node, And):
            return min((b for b in (self._bound(i) for i in node.items if not isinstance(i, Not)) if b is not None),
                       default=None)
        if isinstance(node, Or):
            bounds = [self._bound(i) for i in node.items]
            return None if any(b is None for b in bounds) else sum(b for b in bounds if b is not None)
        return None  # NOT alone: everything but something

    def _phrase(self, toks: list[str]) -> Any:
        import tantivy

        if len(toks) == 1:
            return tantivy.Query.term_query(self.schema, "norm", toks[0])
        # tantivy types the words as an invariant list[str | tuple[int, str]]; a list of plain words is valid.
        return tantivy.Query.phrase_query(self.schema, "norm", toks)  # type: ignore[arg-type]

    def _positions(self, segs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each (segment, row)'s position in the version's arrays; -1 for segments outside the version."""
        keys, firsts = self._segment_table()
        i = np.searchsorted(keys, segs).clip(0, max(len(keys) - 1, 0))
        base = np.where(keys[i] == segs, firsts[i], -1) if len(keys) else np.full(len(segs), -1)
        return np.where(base >= 0, base + rows, -1)

    def _hits(self, query: Any, bound: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions (into the version's arrays), segment keys and rows of the query's documents."""
        segs, rows = self.index.hits(query, bound)
        pos = self._positions(segs, rows)
        keep = pos >= 0  # documents of segments outside this version
        return pos[keep], segs[keep], rows[keep]

    def _text_rows(self, key: int) -> norms_mod.TextRows:
        rows = self._texts.get(key)
        if rows is None:
            if len(self._texts) >= _OPEN_FILES:
                self._close_texts()
            rows = self._texts[key] = norms_mod.TextRows(self.store.path / "segments" / self._paths[key],
                                                         self._text_cache)
        return rows

    def _norm_bytes(self, segs: np.ndarray, rows: np.ndarray) -> list[bytes]:
        """The UTF-8 ``norm`` of each (segment, row), recomputed from the stored text."""
        out: list[bytes] = [b""] * len(segs)
        for key in np.unique(segs):
            at = np.flatnonzero(segs == key)
            for i, b in zip(at.tolist(), self._text_rows(int(key)).norms(rows[at])):
                out[i] = b
        return out

    def _long_norms(self, segs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Which (segment, row)s have a ``norm`` longer than MAX_TERM_BYTES (only those can hold a token
        tantivy skipped); from the per-document arrays."""
        pos = self._positions(segs, rows)
        return np.where(pos >= 0, self.meta.long[np.where(pos >= 0, pos, 0)], False)

    def _close_texts(self) -> None:
        for f in self._texts.values():
            f.close()
        self._texts.clear()

    def close(self) -> None:
        """Forget the open segments and their decoded text."""
        self._close_texts()
        self._text_cache.clear()

    def _mask(self, by: str, include_fallback: bool, date_from: dt.date | None, date_to: dt.date | None,
              dedup: bool) -> np.ndarray:
        """Which documents may be counted in periods of ``by`` (engines/base.where_sql, in numpy)."""
        key = (PRECISIONS_FOR[by], include_fallback, date_from, date_to, dedup)
        if key not in self._masks:
            self._masks[key] = self._make_mask(by, include_fallback, date_from, date_to, dedup)
        return self._masks[key]

    def _make_mask(self, by: str, include_fallback: bool, date_from: dt.date | None, date_to: dt.date | None,
                   dedup: bool) -> np.ndarray:
        m = self.meta
        allowed = [_PRECISIONS.index(p) for p in PRECISIONS_FOR[by]]
        mask = np.isin(m.precision, allowed)
        if dedup:
            mask &= ~m.folded
        if not include_fallback:
            mask &= ~m.fallback
        if date_from is not None:
            mask &= m.day >= np.datetime64(date_from, "D")
        if date_to is not None:
            mask &= m.day <= np.datetime64(date_to, "D")
        return mask

    def _idea_groups(self, idea: Idea, by: str, mask: np.ndarray, by_source: bool
                     ) -> tuple[str, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray] | None | Literal[False]:
        """One idea's ``_group`` from the index (None: no document counts), or False when only the scan can
        count it (the index cannot narrow its query)."""
        m = self.meta
        node = idea.query
        phrases = self._scorable(node) if self.use_scores else None
        scored = self._scored_query(node, phrases) if phrases is not None else None
        if scored is not None:
            pos, mentions = scored
            ok = mask[pos]
            if not ok.any():
                return None
            return _group(idea.name, periods_of(m.day[pos[ok]], by), mentions[ok],
                          m.source[pos[ok]] if by_source else None)
        plan = self._candidates(node)
        if plan is None:
            return False
        pos, segs, rows = self._hits(plan[0], self._bound(node))
        ok = mask[pos]
        pos, segs, rows = pos[ok], segs[ok], rows[ok]
        norms = self._norm_bytes(segs, rows)
        if plan[1]:
            count = _Mentions(node)
            mentions = np.fromiter((count(b) for b in norms), np.int64, len(norms))
        else:
            matcher = Matcher(node)
            texts = [b.decode() for b in norms]
            keep = np.fromiter((matcher.matches(t) for t in texts), bool, len(texts))
            pos = pos[keep]
            mentions = np.fromiter((matcher.mentions(t) for t, k in zip(texts, keep) if k), np.int64,
                                   int(keep.sum()))
        if not len(pos):
            return None
        return _group(idea.name, periods_of(m.day[pos], by), mentions, m.source[pos] if by_source else None)

    def idea_counts(self, idea: Idea, by: str, *, include_fallback: bool = False, date_from: dt.date | None = None,
                    date_to: dt.date | None = None, dedup: bool = True
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``counts`` of one idea as arrays, without a DataFrame: ``(periods datetime64[D], docs, mentions)``
        of the periods it was said in, in order; None when only the scan can count it (then use ``counts``).

        The dashboard's cold ``/api/track`` takes this path: the same numbers as ``counts`` (one code path
        behind both), without the pandas frames that cost as much as counting a rare phrase.
        """
        if by not in PERIODS:
            raise ValueError(f"unknown period {by!r}")
        found = self._idea_groups(idea, by, self._mask(by, include_fallback, date_from, date_to, dedup), False)
        if found is False:
            return None
        if found is None:
            return np.empty(0, "datetime64[D]"), np.empty(0, np.int64), np.empty(0, np.int64)
        return found[1], found[3], found[4]

    def total_arrays(self, by: str, *, include_fallback: bool = False, date_from: dt.date | None = None,
                     date_to: dt.date | None = None, dedup: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``totals`` as arrays: ``(periods datetime64[D], total_docs, total_words)`` of every period holding a
        document, in order (the same numbers as ``totals``, from the same cached frame)."""
        key = (by, include_fallback, date_from, date_to, dedup)
        if key not in self._total_arrays:
            frame = self.totals(by, include_fallback=include_fallback, date_from=date_from, date_to=date_to,
                                dedup=dedup)
            self._total_arrays[key] = (frame["period"].to_numpy().astype("datetime64[D]"),
                                       frame["total_docs"].to_numpy(np.int64), frame["total_words"].to_numpy(np.int64))
        return self._total_arrays[key]

    def counts(self, ideas: list[Idea], by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        if by not in PERIODS:
            raise ValueError(f"unknown period {by!r}")
        mask = self._mask(by, include_fallback, date_from, date_to, dedup)
        m = self.meta
        parts: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]] = []
        scan: list[Idea] = []
        cols = ["idea", "period"] + (["source"] if by_source else []) + ["docs", "mentions"]
        for idea in ideas:
            found = self._idea_groups(idea, by, mask, by_source)
            if found is False:
                scan.append(idea)
            elif found is not None:
                parts.append(found)
        out = _frame(parts, m.sources, by_source)  # columns in the order of ``cols``
        if scan:
            more = super().counts(scan, by, by_source=by_source, include_fallback=include_fallback,
                                  date_from=date_from, date_to=date_to, dedup=dedup)
            out = pd.concat([f for f in (out, more) if not f.empty] or [out], ignore_index=True)[cols]
        return out

    def totals(self, by: str, *, by_source: bool = False, include_fallback: bool = False,
               date_from: dt.date | None = None, date_to: dt.date | None = None, dedup: bool = True) -> pd.DataFrame:
        if by not in PERIODS:
            raise ValueError(f"unknown period {by!r}")
        key = (by, by_source, include_fallback, date_from, date_to, dedup)
        if key not in self._totals:
            m = self.meta
            mask = self._mask(by, include_fallback, date_from, date_to, dedup)
            frame = pd.DataFrame({"period": periods_of(m.day[mask], by), "total_docs": 1,
                                  "total_words": m.words[mask]})
            keys = ["period"]
            if by_source:
                frame["source"] = np.asarray(m.sources, dtype=object)[m.source[mask]]
                keys.append("source")
            out = frame.groupby(keys, sort=True, as_index=False)[["total_docs", "total_words"]].sum()
            out[["total_docs", "total_words"]] = out[["total_docs", "total_words"]].astype("int64")
            out["period"] = pd.to_datetime(out["period"]).astype(_PERIOD_DTYPE)
            self._totals[key] = out
        return self._totals[key].copy()

    def matching_documents(self, idea: Idea, *, limit: int, date_from: dt.date | None = None,
                           date_to: dt.date | None = None) -> pd.DataFrame:
        plan = self._candidates(idea.query)
        if plan is None:
            return super().matching_documents(idea, limit=limit, date_from=date_from, date_to=date_to)
        m = self.meta
        pos, segs, rows = self._hits(plan[0], self._bound(idea.query))
        ok = np.ones(len(pos), bool)
        if date_from is not None:
            ok &= m.day[pos] >= np.datetime64(date_from, "D")
        if date_to is not None:
            ok &= m.day[pos] <= np.datetime64(date_to, "D")
        if not plan[1]:
            matcher = Matcher(idea.query)
            idx = np.flatnonzero(ok)
            for i, b in zip(idx, self._norm_bytes(segs[idx], rows[idx])):
                ok[i] = matcher.matches(b.decode())
        pos = pos[ok]
        if len(pos) > limit:
            # The oldest ``limit`` documents and every one sharing the last date (ties break on doc_id).
            days = np.sort(m.day[pos])
            pos = pos[m.day[pos] <= days[limit - 1]]
        return self._rows(np.sort(pos), limit)

    def _rows(self, pos: np.ndarray, limit: int) -> pd.DataFrame:
        """The stored documents at these positions, oldest first."""
        cols = ["doc_id", "date", "date_precision", "source", "title", "text", "norm"]
        if not len(pos):
            return pd.DataFrame(columns=cols)
        starts = sorted((first, key) for key, first in self.meta.offsets.items())
        first_of = np.array([s for s, _ in starts])
        paths = {token_index.segment_key(p.name): p for p in self.store.segment_paths(self.version)}
        seg_ix = np.searchsorted(first_of, pos, side="right") - 1
        parts = []
        for ix in np.unique(seg_ix):
            first, key = starts[ix]
            rows = pos[seg_ix == ix] - first
            # Only the row groups holding the rows (ingest writes groups of ROW_GROUP documents): a few
            # documents never cost a whole segment's text. norm is recomputed from the text read.
            pf = pq.ParquetFile(paths[key])
            ends = np.cumsum([pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)])
            groups = np.unique(np.searchsorted(ends, rows, side="right"))
            part_table = pf.read_row_groups(groups.tolist(), columns=cols[:-1])
            group_first = np.concatenate([[0], ends])[groups]
            local = np.concatenate([np.arange(a, b) for a, b in zip(group_first, ends[groups])])
            part_table = part_table.take(pa.array(np.searchsorted(local, rows)))
            part_table = part_table.append_column("norm", norms_mod.norms_array(part_table.column("text")))
            parts.append(self.con.execute("SELECT * FROM part_table").df())
        out = pd.concat(parts, ignore_index=True).sort_values(["date", "doc_id"], kind="stable")
        return out.head(limit).reset_index(drop=True)


class _Mentions:
    """Mentions of a query's positive phrases in a UTF-8 ``norm`` (as ``Matcher.mentions``, on bytes)."""

    def __init__(self, node: Node) -> None:
        self.phrases = [phrase_pattern(list(leaf.tokens), leaf.prefix).encode()
                        for leaf in positive_leaves(node) if isinstance(leaf, Phrase)]
        # UTF-8 keeps every multi-byte character a run of non-space bytes, so the regex means the same on bytes.
        self.near = [re.compile(near_regex(leaf).encode()) for leaf in positive_leaves(node)
                     if isinstance(leaf, Near)]

    def __call__(self, norm: bytes) -> int:
        return sum(norm.count(p) for p in self.phrases) + sum(len(r.findall(norm)) for r in self.near)


def _union_of_phrases(node: Node) -> bool:
    """Whether a query is a phrase or an OR of such (its documents are exactly its phrases' hits)."""
    if isinstance(node, Phrase):
        return True
    return isinstance(node, Or) and all(_union_of_phrases(i) for i in node.items)


def _group(name: str, periods: np.ndarray, mentions: np.ndarray, sources: np.ndarray | None
           ) -> tuple[str, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """``(idea, periods, source codes, docs, mentions)`` per period (and source) of one idea's documents."""
    if sources is None:
        keys, inverse = np.unique(periods, return_inverse=True)
        codes = None
    else:
        # One int64 key per (period, source): days since 1970 times a stride larger than any source code.
        stride = int(sources.max()) + 1
        combined, inverse = np.unique(periods.astype(np.int64) * stride + sources, return_inverse=True)
        keys, codes = (combined // stride).astype("datetime64[D]"), (combined % stride).astype(np.int32)
    docs = np.bincount(inverse, minlength=len(keys)).astype(np.int64)
    ments = np.bincount(inverse, weights=mentions, minlength=len(keys)).astype(np.int64)
    return name, keys, codes, docs, ments


def _frame(parts: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]], source_names: list[str],
           by_source: bool) -> pd.DataFrame:
    """One DataFrame from every idea's grouped counts (built once: pandas costs per call, not per row)."""
    names = np.repeat(np.array([p[0] for p in parts], dtype=object), [len(p[1]) for p in parts])
    def cat(i: int, dtype: Any) -> np.ndarray:
        return np.concatenate([p[i] for p in parts]) if parts else np.empty(0, dtype)
    data: dict[str, Any] = {"idea": names, "period": cat(1, "datetime64[D]").astype(_PERIOD_DTYPE)}
    if by_source:
        data["source"] = np.asarray(source_names, dtype=object)[cat(2, np.int32)]
    data["docs"] = cat(3, np.int64)
    data["mentions"] = cat(4, np.int64)
    return pd.DataFrame(data, copy=False)  # fresh arrays: no copy into blocks


def _all(queries: list[Any]) -> Any:
    import tantivy

    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _regex_escape(token: str) -> str:
    # Tokens hold letters, digits, combining marks and '#'; escape anything else the regex syntax knows.
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$&-~" else c for c in token)


def _joined(parts: Sequence[tuple[np.ndarray, ...]]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-shard (positions, segments, rows, frequencies, exact) joined into one array each."""
    if not parts:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, empty, np.empty(0, bool)
    cols = list(zip(*parts))
    return tuple(np.concatenate(c) for c in cols)  # type: ignore[return-value]
