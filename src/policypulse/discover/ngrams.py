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

from policypulse.corpus import norms
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


PROPS_COLUMNS = ("occ", "mid", "cap", "title", "det", "verbal", "cross", "edge", "edge_occ", "src_docs", "src_size",
                 "ctx")
CONTEXT_TOKENS = 2  # an occurrence's context: the two tokens before it and the two after it (in its document)
SKETCH_SCHEMA = pa.schema(
    [
        pa.field("phrase", pa.string(), nullable=False),
        pa.field("docs", pa.int32(), nullable=False),
        pa.field("vec", pa.list_(pa.float32(), context.DIM), nullable=False),
        # phrase props (see token_flags): occurrences; of them, not at a sentence start; of those, with
        # every content word capitalised; after a title word; after a determiner ("the Peace Corps": names
        # of people take none); after a word that puts a verb after it ("to", "will", "we"); crossing a
        # sentence end; documents with an occurrence in their opening or sign-off (the first or last
        # EDGE_TOKENS tokens, at most EDGE_FRACTION of the document each); such occurrences; documents of
        # the source that has most of the phrase's documents, and that source's documents; distinct contexts
        # (the two tokens before and after an occurrence)
        *[pa.field(c, pa.int32(), nullable=False)
          for c in PROPS_COLUMNS],
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


# ------------------------------------------------------------------------------------------------ phrase props
# What the stored ``norm`` string has lost and a reader sees: where sentences end and which words are
# capitalised. Both come from the original text, tokenised here by a vectorised approximation of the
# matching rule (RE2 in pyarrow) that is checked document by document against the stored tokens: a
# document whose tokens differ (a rare non-ASCII case) gets no flags rather than misaligned ones.
SENTENCE_MARK = "QQSENTENCEQQ"  # stands for a sentence end between two tokens (upper case: never a norm token)
_SENTENCE_END = "[.!?;:]+[\"'\u201d\u2019)\\]]*(?:\\s|$)|\\n"
_SPLIT = r"[^\p{L}\p{N}\p{M}#]+"
# A full stop after these is an abbreviation, not the end of a sentence ("Mr. Speaker", "U.S. Congress").
ABBREVIATIONS: frozenset[str] = frozenset(
    "mr mrs ms messrs dr st jr sr gen sen rep reps gov lt col capt maj sgt adm hon rev prof no nos vs etc co "
    "inc ltd corp dept univ jan feb mar apr jun jul aug sep sept oct nov dec fig art sec ch vol pp".split())
# Words that put a person's name after them ("President Kennedy", "First Lady Melania Trump", "my wife Hillary").
TITLES: frozenset[str] = frozenset(
    "mr mrs ms miss messrs dr president senator governor secretary general admiral colonel captain sergeant "
    "lieutenant major congressman congresswoman representative speaker leader justice judge lady pope king "
    "queen prince princess chancellor minister premier ambassador bishop reverend pastor father sister "
    "officer detective chief director commissioner mayor sheriff prof professor sir lord dame sen rep gov "
    "gen lt col capt maj sgt adm wife husband son daughter mother father brother sister mom dad grandmother "
    "grandfather uncle aunt friend widow".split())
EDGE_TOKENS = 40  # an occurrence this close to a document's start or end is in its opening or sign-off ...
EDGE_FRACTION = 0.05  # ... and within the first or last 5% of it (a short text has no room for a preamble)

_ABBREV_ARRAY = pa.array(sorted(ABBREVIATIONS), pa.string())
DETERMINERS: frozenset[str] = frozenset("the a an this that these those our its their my your his her".split())
# Words that put a verb after them: a phrase used mostly after one is a verb phrase ("to finish the job").
VERBAL: frozenset[str] = frozenset(
    "to will would can could should must shall may might we you they i let s not never also just is are was were "
    "be been being has have had who which".split())


def token_flags(table: pa.Table, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per token of the segment (aligned with ``ids``): a sentence starts at it; it is capitalised.

    A document's first token starts a sentence. Without a ``text`` column, or for a document whose
    text does not tokenise to its stored tokens, only that is known (and no token counts as capitalised).
    """
    T = int(offsets[-1])
    brk = np.zeros(T, dtype=bool)
    starts = offsets[:-1][np.diff(offsets) > 0]
    brk[starts] = True
    cap = np.zeros(T, dtype=bool)
    if "text" not in table.column_names or T == 0:
        return brk, cap
    ndocs = table.num_rows
    text = pc.fill_null(table.column("text").combine_chunks(), "").cast(pa.large_string())
    marked = pc.replace_substring_regex(text, pattern=_SENTENCE_END, replacement=f" {SENTENCE_MARK} ")
    pieces = pc.split_pattern_regex(marked, pattern=_SPLIT)
    flat = pieces.flatten()
    parent = pc.list_parent_indices(pieces).to_numpy()
    nonempty = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    flat = flat.filter(pa.array(nonempty))
    parent = parent[nonempty]
    is_mark = pc.equal(flat, SENTENCE_MARK).to_numpy(zero_copy_only=False)
    lower = pc.utf8_lower(flat)
    real = ~is_mark
    words = lower.filter(pa.array(real))
    wparent = parent[real]
    # each document's tokens, joined as the stored norm string is: equal -> the flags are aligned
    counts = np.bincount(wparent, minlength=ndocs)
    woff = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    words = words.cast(pa.large_string())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(woff), words), pa.scalar("  ", pa.large_string()))
    stored = pc.utf8_trim(pc.fill_null(table.column("norm").combine_chunks(), ""), " ").cast(pa.large_string())
    same = pc.equal(joined, stored).to_numpy(zero_copy_only=False) & (counts == np.diff(offsets))
    if not same.any():
        return brk, cap
    first = pc.utf8_slice_codeunits(flat, 0, 1)
    upper = pc.and_(pc.utf8_is_upper(first), pc.invert(pc.utf8_is_lower(first))).to_numpy(zero_copy_only=False)
    # a mark starts a sentence at the next word of its document, unless the word before it is an
    # abbreviation or a single letter ("Mr. Speaker", "U.S. Congress")
    widx = np.cumsum(real) - 1  # per piece: index (among words) of the last word at or before it
    m = np.flatnonzero(is_mark)
    pw, nw = widx[m], widx[m] + 1
    doc_m = parent[m]
    valid = nw < len(wparent)
    valid[valid] &= wparent[nw[valid]] == doc_m[valid]
    has_prev = pw >= 0
    has_prev[has_prev] &= wparent[pw[has_prev]] == doc_m[has_prev]
    hp = np.flatnonzero(has_prev)
    if hp.size:
        before = words.take(pa.array(pw[hp]))
        short = pc.or_(pc.is_in(before, value_set=_ABBREV_ARRAY), pc.less_equal(pc.utf8_length(before), 1))
        valid[hp[short.to_numpy(zero_copy_only=False)]] = False
    wbrk = np.zeros(len(wparent), dtype=bool)
    wbrk[nw[valid]] = True
    wcap = upper[real]
    # scatter the aligned documents' flags onto the segment's token positions
    doc_ok = np.repeat(same, counts)
    seg_pos = np.repeat(offsets[:-1], counts) + (np.arange(len(wparent)) - np.repeat(woff[:-1], counts))
    brk[seg_pos[doc_ok]] |= wbrk[doc_ok]
    cap[seg_pos[doc_ok]] = wcap[doc_ok]
    return brk, cap


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

    With ``sketches``, phrases in at least ``context.MIN_DOCS`` documents also get props (from the
    ``text`` column when there is one) and, when not too common or too loose, a context sketch (zeros
    where none).
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
    sk_props: list[np.ndarray] = []
    n_sk = 0
    brk, cap = token_flags(table, offsets) if sketches else (np.zeros(T, bool), np.zeros(T, bool))
    is_title = np.fromiter((w in TITLES for w in words), dtype=bool, count=len(words))
    is_det = np.fromiter((w in DETERMINERS for w in words), dtype=bool, count=len(words))
    is_verbal = np.fromiter((w in VERBAL for w in words), dtype=bool, count=len(words))
    if "source" in table.column_names:
        src_codes, src_uniq = pd.factorize(np.asarray(table.column("source").to_pylist(), dtype=object))
        src_of_doc = np.asarray(src_codes, dtype=np.int64)
    else:
        src_of_doc = np.zeros(ndocs, dtype=np.int64)
    src_size = np.bincount(np.maximum(src_of_doc, 0), minlength=1)
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
        if sketches:  # rows of phrases frequent enough for props; a context sketch for some of them
            rows_ok = kept & (df >= context.MIN_DOCS)
            worth = rows_ok & (df <= context.MAX_SHARE * ndocs)
            if n > 1:  # not for juxtapositions no more frequent than chance (a quick PMI screen)
                occ_g = np.bincount(g, minlength=G)
                first_w = np.empty(G, dtype=np.int64)
                first_w[g[::-1]] = p[::-1]
                logp = np.log(np.maximum(occ_tok, 1) / T)
                expect = T * np.exp(sum(logp[ids[first_w + j]] for j in range(n)))
                with np.errstate(divide="ignore", invalid="ignore"):
                    llr = occ_g * np.log(occ_g / expect) - (occ_g - expect)
                worth &= (occ_g >= 2.0 * expect) & (llr >= context.MIN_LLR)
            sk = np.flatnonzero(rows_ok)
            if sk.size:
                row_of = np.full(G, -1, dtype=np.int64)
                row_of[sk] = np.arange(n_sk, n_sk + sk.size)
                occ_all = row_of[g] >= 0
                occ_sel = occ_all & worth[g]  # the occurrences that make sketches
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
                sk_props.append(_occurrence_props(p[occ_all], n, row_of[g[occ_all]] - n_sk, sk.size, ids, bnd, brk,
                                                  cap, is_title[ids], is_det[ids], is_verbal[ids], doc, doc_start,
                                                  doc_end, ndocs, src_of_doc, src_size))
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
        props = np.concatenate(sk_props, axis=0).astype(np.int32)
        sketch_table = pa.table({
            "phrase": pa.concat_arrays([a.cast(pa.string()) for a in sk_phrase]),
            "docs": pa.array(np.concatenate(sk_docs).astype(np.int32)),
            "vec": pa.FixedSizeListArray.from_arrays(flat_vec, context.DIM),
            **{c: pa.array(props[:, k]) for k, c in enumerate(PROPS_COLUMNS)},
        }, schema=SKETCH_SCHEMA)
    return SegmentCounts(phrases, tokens, ndocs, T, m, sketch_table)


def _occurrence_props(pos: np.ndarray, n: int, row: np.ndarray, n_rows: int, ids: np.ndarray, bnd: np.ndarray,
                      brk: np.ndarray, cap: np.ndarray, title_at: np.ndarray, det_at: np.ndarray, verbal_at: np.ndarray,
                      doc: np.ndarray, doc_start: np.ndarray, doc_end: np.ndarray, ndocs: int,
                      src_of_doc: np.ndarray, src_size: np.ndarray) -> np.ndarray:
    """PROPS_COLUMNS summed per row over the occurrences at ``pos`` of rows' n-token phrases."""
    mid = ~brk[pos]
    cross = np.zeros(len(pos), dtype=bool)
    capall = np.ones(len(pos), dtype=bool)
    for j in range(n):
        if j:
            cross |= brk[pos + j]
        capall &= cap[pos + j] | bnd[pos + j]
    has_before = pos > doc_start[pos]
    title = mid & has_before & title_at[np.maximum(pos - 1, 0)]
    det = mid & has_before & det_at[np.maximum(pos - 1, 0)]
    verbal = has_before & verbal_at[np.maximum(pos - 1, 0)]
    zone = np.minimum(EDGE_TOKENS, np.floor(EDGE_FRACTION * (doc_end[pos] - doc_start[pos])))
    edge = (pos < doc_start[pos] + zone) | (pos + n > doc_end[pos] - zone)
    out = np.zeros((n_rows, len(PROPS_COLUMNS)), dtype=np.int64)
    out[:, 0] = np.bincount(row, minlength=n_rows)
    out[:, 1] = np.bincount(row, weights=mid, minlength=n_rows)
    out[:, 2] = np.bincount(row, weights=mid & capall, minlength=n_rows)
    out[:, 3] = np.bincount(row, weights=title, minlength=n_rows)
    out[:, 4] = np.bincount(row, weights=det, minlength=n_rows)
    out[:, 5] = np.bincount(row, weights=verbal, minlength=n_rows)
    out[:, 6] = np.bincount(row, weights=cross, minlength=n_rows)
    pairs = pd.unique(row[edge] * ndocs + doc[pos[edge]])
    out[:, 7] = np.bincount(pairs // ndocs, minlength=n_rows)
    out[:, 8] = np.bincount(row, weights=edge, minlength=n_rows)
    # the source holding most of each phrase's documents: its share of them, and of that source
    rd = pd.unique(row * ndocs + doc[pos])
    n_src = max(len(src_size), 1)
    rs, cnt = np.unique((rd // ndocs) * n_src + np.maximum(src_of_doc[rd % ndocs], 0), return_counts=True)
    r_of, s_of = rs // n_src, rs % n_src
    order = np.lexsort((-cnt, r_of))  # per row, its biggest source first
    first = np.ones(len(order), dtype=bool)
    first[1:] = r_of[order][1:] != r_of[order][:-1]
    top = order[first]
    out[r_of[top], 9] = cnt[top]
    out[r_of[top], 10] = src_size[s_of[top]]
    # distinct contexts: a phrase said afresh each time has (nearly) as many as occurrences; a piece of a
    # passage repeated word for word in several documents (a message reprinting last year's text, a wire
    # story's paragraph) has one
    key = np.zeros(len(pos), dtype=np.uint64)
    for off in [-j for j in range(CONTEXT_TOKENS, 0, -1)] + [n + j for j in range(CONTEXT_TOKENS)]:
        at = pos + off
        inside = (at >= doc_start[pos]) & (at < doc_end[pos])
        tok = np.where(inside, ids[np.clip(at, 0, len(ids) - 1)] + 1, 0).astype(np.uint64)
        key = key * np.uint64(1_000_003) + tok  # wraps modulo 2**64: a hash of the four tokens
    with np.errstate(over="ignore"):
        key = key + row.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # (row, context) as one 64-bit hash
    first_ctx = ~pd.Index(key).duplicated()
    out[:, 11] = np.bincount(row[first_ctx], minlength=n_rows)
    return out


def read_segment(path: str, *, include_fallback: bool = False, columns_extra: list[str] | None = None) -> pa.Table:
    """The columns phrase counting needs from a segment file (fallback-dated documents left out)."""
    table = norms.read_segment(path, ["norm", "text", "source", "date", "date_precision", "date_source",
                                      *(columns_extra or [])])
    if not include_fallback:
        table = table.filter(pc.not_equal(table.column("date_source"), "fallback"))
    return table

