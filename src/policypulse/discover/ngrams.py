"""Phrase counting for one store segment: document frequency of 1- to 4-token phrases per period.

Vectorised with pyarrow (tokenising the stored normalised strings) and numpy/pandas (n-gram keys,
hash-based de-duplication, counting). A hand-written pipeline: no library counts n-gram document
frequencies per period with bounded memory; DuckDB can (``string_split``, list lambdas, ``unnest``,
``GROUP BY``) but measured 2-5x slower on the same segment (``bench/bench_discover.py --compare``).

How (``count_segment``):

1. Tokens: the stored ``norm`` string (``" tok1  tok2 "``) split on the double space; tokens are
   dictionary-encoded to segment-local integer ids ``0..V-1``.
2. Candidate positions of an n-gram: it lies inside one document and neither its first nor its last token
   is a boundary stopword (``stopwords.is_boundary``).
3. Keys: a unigram's key is its id; a bigram's ``id1 * V + id2``; longer n-grams extend the dense rank
   (``pandas.factorize``) of their (n-1)-gram prefix by ``* V + id_n``, so every key is exact (no hashing
   collisions) and fits in 64 bits.
4. Document frequency: distinct ``(phrase, document)`` pairs (hash-based ``pandas.unique``), counted per
   phrase and per period bucket (month of day/month-precision documents, year of year-precision ones).
5. Pruning (lossy counting, Manku & Motwani 2002): a phrase is kept only when it occurs in at least
   ``m = 1 + floor(EPSILON * documents)`` documents of the segment. So any phrase's count is low by at most
   ``m - 1`` documents per segment, and by at most ``EPSILON`` times the corpus size in total, whatever
   the segmentation; segments under ``1 / EPSILON`` documents are counted exactly.

Besides the phrase rows, every token's occurrence total (stopwords included) is returned: the collocation
test needs it. Rows of the empty phrase (``n = 0``, in every document) carry the documents per period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from policypulse.discover import context
from policypulse.discover.stopwords import is_boundary

MAX_N = 4  # longest phrase, in tokens
EPSILON = 2e-4  # lossy-counting error bound: per-segment threshold 1 + floor(EPSILON * documents)

PHRASE_SCHEMA = pa.schema(
    [
        pa.field("phrase", pa.string(), nullable=False),
        pa.field("n", pa.int8(), nullable=False),
        pa.field("period", pa.date32(), nullable=False),
        pa.field("precision", pa.string(), nullable=False),
        pa.field("docs", pa.int32(), nullable=False),
        pa.field("occ", pa.int32(), nullable=False),
    ]
)
TOKEN_SCHEMA = pa.schema([pa.field("token", pa.string(), nullable=False), pa.field("occ", pa.int64(), nullable=False)])


SKETCH_SCHEMA = pa.schema(
    [
        pa.field("phrase", pa.string(), nullable=False),
        pa.field("docs", pa.int32(), nullable=False),
        pa.field("vec", pa.list_(pa.float32(), context.DIM), nullable=False),
    ]
)


@dataclass
class SegmentCounts:
    """Phrase rows, token totals and context sketches of one segment, with what is needed to judge them."""

    phrases: pa.Table  # PHRASE_SCHEMA
    tokens: pa.Table  # TOKEN_SCHEMA
    docs: int  # documents counted (fallback-dated ones are left out)
    n_tokens: int
    min_docs: int  # the pruning threshold m used
    sketches: pa.Table = field(default_factory=SKETCH_SCHEMA.empty_table)  # SKETCH_SCHEMA


def prune_threshold(docs: int) -> int:
    """Documents a phrase needs in a segment of ``docs`` documents to be kept (lossy counting)."""
    return 1 + math.floor(EPSILON * docs)


def _buckets(table: pa.Table) -> tuple[np.ndarray, list[tuple[Any, str]]]:
    """Per document, the index of its (period, precision) bucket; and the buckets."""
    dates = table.column("date").to_numpy().astype("datetime64[D]")
    precision = np.asarray(table.column("date_precision").to_pylist(), dtype=object)
    is_year = precision == "year"
    starts = np.where(is_year, dates.astype("datetime64[Y]").astype("datetime64[D]"),
                      dates.astype("datetime64[M]").astype("datetime64[D]"))
    code = starts.astype(np.int64) * 2 + is_year
    uniq, inv = np.unique(code, return_inverse=True)
    buckets = [(np.datetime64(int(c // 2), "D"), "year" if c % 2 else "month") for c in uniq]
    return inv.astype(np.int64), buckets


def count_table(table: pa.Table, *, min_docs: int | None = None, sketches: bool = True) -> SegmentCounts:
    """Count the phrases of a table with columns norm, date, date_precision (one segment's documents).

    With ``sketches``, phrases in at least ``context.MIN_DOCS`` documents also get a context sketch.
    """
    ndocs = table.num_rows
    m = prune_threshold(ndocs) if min_docs is None else min_docs
    if ndocs == 0:
        return SegmentCounts(PHRASE_SCHEMA.empty_table(), TOKEN_SCHEMA.empty_table(), 0, 0, m)
    norm = table.column("norm").combine_chunks()
    lists = pc.split_pattern(pc.utf8_trim(norm, " "), "  ")
    offsets = lists.offsets.to_numpy().astype(np.int64)
    flat = lists.flatten()
    enc = pc.dictionary_encode(flat)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    ids = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = enc.dictionary.cast(pa.string())
    V = max(len(vocab), 1)
    T = len(ids)
    words = vocab.to_pylist()
    boundary = np.fromiter((is_boundary(w) or not w for w in words), dtype=bool, count=len(words))
    occ_tok = np.bincount(ids, minlength=len(words))
    keep_tok = np.array([bool(w) for w in words], dtype=bool)
    tokens = pa.table({"token": pa.array(np.asarray(words, dtype=object)[keep_tok], pa.string()),
                       "occ": pa.array(occ_tok[keep_tok], pa.int64())}, schema=TOKEN_SCHEMA)
    lens = np.diff(offsets)
    doc = np.repeat(np.arange(ndocs, dtype=np.int64), lens)
    doc_end = np.repeat(offsets[1:], lens)  # first position after the token's document
    doc_start = np.repeat(offsets[:-1], lens)
    idf = np.zeros(len(words), dtype=np.float64)  # per token id, set from the unigram document frequencies
    sk_pos: list[np.ndarray] = []
    sk_len: list[np.ndarray] = []
    sk_row: list[np.ndarray] = []
    sk_phrase: list[pa.Array] = []
    sk_docs: list[np.ndarray] = []
    n_sk = 0
    bucket_of_doc, buckets = _buckets(table)
    nb = len(buckets)
    bnd = boundary[ids]
    pos = np.arange(T, dtype=np.int64)

    parts: list[pa.Table] = []
    key_all = ids  # key of the n-gram starting at every position (n = current order - 1 after the loop step)
    for n in range(1, MAX_N + 1):
        span = T - n + 1
        if span <= 0:
            break
        if n == 2:
            key_all = ids[:-1] * V + ids[1:]
        elif n == 3:
            if V < 2_000_000:  # V**3 < 2**63: extend the bigram key directly
                key_all = key_all[:-1] * V + ids[2:]
            else:
                rank, _ = pd.factorize(key_all[:-1])
                key_all = rank.astype(np.int64) * V + ids[2:]
        ok = (pos[:span] + n <= doc_end[:span]) & ~bnd[:span] & ~bnd[n - 1 : n - 1 + span]
        p = np.flatnonzero(ok)
        if p.size == 0:
            continue
        if n <= 3:
            keys = key_all[p]
        else:  # 4-grams: dense rank of the 3-gram prefix at these positions, extended by the 4th token
            rank, _ = pd.factorize(key_all[p])
            keys = rank.astype(np.int64) * V + ids[p + 3]
        g, uniq = pd.factorize(keys)
        g = g.astype(np.int64)
        G = len(uniq)
        pairs = pd.unique(g * ndocs + doc[p])
        df = np.bincount(pairs // ndocs, minlength=G)
        if n == 1:
            idf[uniq] = np.log(ndocs / np.maximum(df, 1))
        kept = df >= m
        if sketches:  # occurrences of phrases frequent enough to have a context sketch
            worth = kept & (df >= context.MIN_DOCS) & (df <= context.MAX_SHARE * ndocs)
            if n > 1:  # not for juxtapositions no more frequent than chance (a quick PMI screen)
                occ_g = np.bincount(g, minlength=G)
                first_w = np.empty(G, dtype=np.int64)
                first_w[g[::-1]] = p[::-1]
                logp = np.log(np.maximum(occ_tok, 1) / T)
                expect = T * np.exp(sum(logp[ids[first_w + j]] for j in range(n)))
                with np.errstate(divide="ignore", invalid="ignore"):
                    llr = occ_g * np.log(occ_g / expect) - (occ_g - expect)
                worth &= (occ_g >= 2.0 * expect) & (llr >= context.MIN_LLR)
            sk = np.flatnonzero(worth)
            if sk.size:
                row_of = np.full(G, -1, dtype=np.int64)
                row_of[sk] = np.arange(n_sk, n_sk + sk.size)
                occ_sel = row_of[g] >= 0
                sk_pos.append(p[occ_sel])
                sk_len.append(np.full(int(occ_sel.sum()), n, dtype=np.int8))
                sk_row.append(row_of[g[occ_sel]])
                first_sk = np.empty(G, dtype=np.int64)
                first_sk[g[::-1]] = p[::-1]
                st = first_sk[sk]
                sk_phrase.append(pc.binary_join_element_wise(
                    *[vocab.take(pa.array(ids[st + j])) for j in range(n)], " ") if n > 1
                    else vocab.take(pa.array(ids[st])))
                sk_docs.append(df[sk])
                n_sk += sk.size
        if not kept.any():
            continue
        kp = pairs[kept[pairs // ndocs]]
        gb_docs, docs_count = np.unique((kp // ndocs) * nb + bucket_of_doc[kp % ndocs], return_counts=True)
        sel = kept[g]
        gb_occ, occ_count = np.unique(g[sel] * nb + bucket_of_doc[doc[p[sel]]], return_counts=True)
        # gb_docs and gb_occ hold the same (phrase, bucket) keys: a bucket with an occurrence has a document
        assert gb_docs.shape == gb_occ.shape
        first = np.empty(G, dtype=np.int64)
        first[g[::-1]] = p[::-1]  # some position of each phrase
        rows_g = gb_docs // nb
        start = first[rows_g]
        if n == 1:
            phrase = vocab.take(pa.array(ids[start]))
        else:
            cols = [vocab.take(pa.array(ids[start + j])) for j in range(n)]
            phrase = pc.binary_join_element_wise(*cols, " ")
        b = gb_docs % nb
        periods = np.array([buckets[i][0] for i in range(nb)], dtype="datetime64[D]")[b]
        precisions = np.array([buckets[i][1] for i in range(nb)], dtype=object)[b]
        parts.append(pa.table({
            "phrase": phrase.cast(pa.string()),
            "n": pa.array(np.full(len(b), n, dtype=np.int8)),
            "period": pa.array(periods, pa.date32()),
            "precision": pa.array(precisions, pa.string()),
            "docs": pa.array(docs_count.astype(np.int32)),
            "occ": pa.array(occ_count.astype(np.int32)),
        }, schema=PHRASE_SCHEMA))
    # The empty phrase (n = 0) occurs in every document: its rows are the documents per period, the
    # exposure that rates are computed against (the same documents the engine's totals count).
    per_bucket = np.bincount(bucket_of_doc, minlength=nb)
    parts.append(pa.table({
        "phrase": pa.array([""] * nb, pa.string()),
        "n": pa.array(np.zeros(nb, dtype=np.int8)),
        "period": pa.array(np.array([b[0] for b in buckets], dtype="datetime64[D]"), pa.date32()),
        "precision": pa.array([b[1] for b in buckets], pa.string()),
        "docs": pa.array(per_bucket.astype(np.int32)),
        "occ": pa.array(per_bucket.astype(np.int32)),
    }, schema=PHRASE_SCHEMA))
    phrases = pa.concat_tables(parts)
    sketch_table = SKETCH_SCHEMA.empty_table()
    if n_sk:
        vectors = context.token_vectors(words) * (idf * ~boundary)[:, None].astype(np.float32)
        sums = context.segment_sketches(ids, vectors, doc_start, doc_end, np.concatenate(sk_pos),
                                        np.concatenate(sk_len), np.concatenate(sk_row), n_sk)
        flat_vec = pa.array(sums.astype(np.float32).ravel(), pa.float32())
        sketch_table = pa.table({
            "phrase": pa.concat_arrays([a.cast(pa.string()) for a in sk_phrase]),
            "docs": pa.array(np.concatenate(sk_docs).astype(np.int32)),
            "vec": pa.FixedSizeListArray.from_arrays(flat_vec, context.DIM),
        }, schema=SKETCH_SCHEMA)
    return SegmentCounts(phrases, tokens, ndocs, T, m, sketch_table)


def read_segment(path: str, *, include_fallback: bool = False, columns_extra: list[str] | None = None) -> pa.Table:
    """The columns phrase counting needs from a segment file (fallback-dated documents left out)."""
    table = pq.read_table(path, columns=["norm", "date", "date_precision", "date_source", *(columns_extra or [])])
    if not include_fallback:
        table = table.filter(pc.not_equal(table.column("date_source"), "fallback"))
    return table
