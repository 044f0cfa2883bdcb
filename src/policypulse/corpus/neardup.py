"""Near-duplicates (syndicated copies, updated articles, retweets) clustered at ingest.

One wire story reprinted by forty papers is one story: it should count once by default, and forty times
when the raw count is asked for. This module finds such copies among the documents of an ingest, and
between them and the documents already in the store, and folds each copy into a *representative*.

Method (parameters are reported in every version's manifest entry):

* **Shingles**: word 5-grams of the stored normalised token string ``norm`` (so a signature computed now
  from ``norm`` equals one computed at ingest). A document of fewer than five tokens is one shingle.
* **Signature**: one-permutation MinHash with optimal densification (Shrivastava, ICML 2017): each
  shingle's 64-bit hash picks one of ``K = 128`` bins and the bin keeps its minimum; empty bins borrow
  from a bin chosen by a fixed probe sequence. The probability that two signatures agree in a bin is
  their Jaccard similarity, as for K-permutation MinHash, but the cost is one hash per shingle instead
  of K. Written by hand (vectorised with numpy and pyarrow over a whole segment batch) because
  ``datasketch.MinHash.update_batch`` costs about 2 ms per 500-word document here, more than the whole
  rest of ingest; the signatures feed datasketch's ``MinHashLSH`` unchanged. Signatures (16 bits per bin,
  256 bytes) are stored in each segment's ``minhash`` column so later ingests need not recompute them.
* **Candidates**: MinHash LSH banding, ``b`` bands of ``r`` rows chosen for recall: the most rows per
  band such that a pair exactly at the threshold is a candidate with probability >= 0.9 (threshold 0.5:
  ``b = 42, r = 3``; a pair at 0.5 is then a candidate with probability 0.996, at 0.2 with 0.28, at 0.05
  with 0.005). The index is ``datasketch.MinHashLSH`` with ``index="datasketch"`` (the reference: every
  document queries it); the default ``index="bands"`` is the same banding in plain dicts keyed by
  integers, because the benchmark (bench/bench_neardup.py) measured datasketch's per-band Python work at
  about as much as the whole rest of ingest, and it is consulted only where it can find something (see
  Clustering); both give the same clusters, in the same order (tested).
* **Verification**: a candidate is a copy when the estimated Jaccard similarity of the two signatures
  (the fraction of agreeing bins) is at least ``threshold`` (default 0.5).
* **Time window and scope**: only documents dated within ``window_days`` (default 3) of each other are
  compared (LexisNexisTools compares the same day only; RNewsflow uses a window), and, with
  ``scope="source"`` or a ``source_groups`` mapping, only documents of the same source (group).
* **Clustering**: documents are visited in date order; a document that matches a representative within
  the window is folded into it (the most similar one: most agreeing bins, then the earliest day, then
  the smallest hash); otherwise it becomes a representative. Stored representatives are never
  re-parented, so earlier versions' numbers never change. Only documents dated to the day take part (a
  month-precision date cannot be placed in a window of days). With ``index="bands"`` the documents are
  read in Arrow batches and, before a batch is visited, one numpy sort finds the documents sharing a
  band key with another document of the batch, a live representative or a stored representative about
  to be admitted. Most documents share none (about 70 % of a 1.3M-document corpus): they have no
  candidate, so they become representatives (or, retweets, are folded) without touching the band
  index. The index holds only the representatives an involved document may meet, and a document is
  inserted only once it is a representative, so a folded one costs no removal (``_run_bands``).
* **Short documents** (fewer than ``min_words`` tokens, default 20) are left alone: "Hear, hear." said by
  two members, or two identical five-word posts, are independent utterances, not syndicated copies, and
  a Jaccard estimate over a handful of shingles is too coarse (exact copies are still exact duplicates).
* **Retweets** (``meta.retweet_of``) are amplification: always folded (into the original when it is in
  the window, else into ``retweet:<id>``), never representatives.

Memory is bounded by the window: the new documents and the stored representatives near their dates are
streamed from DuckDB in date order, and the representatives (and the LSH) are those of the last few
windows (evicted as the dates move on; the band index is rebuilt from the live ones every few weeks).
Re-ingesting adds no documents and so no keys (no datasketch "key already exists" errors).
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
import hashlib
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policypulse.corpus import norms

SHINGLE = 5
K = 128
RECALL_AT_THRESHOLD = 0.9
SCHEME = f"oph-w{SHINGLE}-k{K}-u16-v1"
_SIG_BYTES = K * 2
_EMPTY = np.uint16(0xFFFF)
_MAX_PROBES = 2048
_TOKEN_CACHE_MAX = 1_000_000

_U = np.uint64
_SHINGLE_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                          0xFF51AFD7ED558CCD], dtype=np.uint64)[:SHINGLE]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    x = x ^ (x >> _U(30))
    x = x * _U(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U(27))
    x = x * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))


# The densification probe sequence: for empty bin i, attempt a looks at bin _PROBE[i, a]. Derived from
# splitmix64 so it is the same on every machine and numpy version (signatures are stored).
_PROBE = (_mix(np.arange(K * _MAX_PROBES, dtype=np.uint64) + _U(0x5851F42D4C957F2D)) >> _U(57)).astype(
    np.intp).reshape(K, _MAX_PROBES)

_token_cache: dict[str, int] = {}


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.strip().encode(), digest_size=8).digest(), "little")


def _token_hashes(unique: list[str]) -> np.ndarray:
    cache = _token_cache
    if len(cache) > _TOKEN_CACHE_MAX:
        cache.clear()
    out = np.empty(len(unique), dtype=np.uint64)
    for i, tok in enumerate(unique):
        h = cache.get(tok)
        if h is None:
            h = cache[tok] = _token_hash(tok)
        out[i] = h
    return out


def _shingle_minima(th: np.ndarray, offsets: np.ndarray, lens: np.ndarray, sig: np.ndarray) -> None:
    """Lower ``sig`` (flat, ``(n + 1) * K`` values) to the minimum of every word 5-gram's mixed hash in its bin.

    A document of fewer tokens has one shingle of all of them. A 5-gram that would run from one document into
    the next lands in row ``n`` (never read): marking it there costs a scatter over the documents' last four
    positions, where dropping it costs two boolean selections over every shingle (measured: signatures of
    20,000 documents 0.95 against 1.24-1.44 CPU s, the same values).
    """
    N, n = len(th), len(lens)
    M = N - SHINGLE + 1
    if M > 0:
        h = th[:M] * _SHINGLE_MULT[0]
        tmp = np.empty(M, dtype=np.uint64)
        for j in range(1, SHINGLE):
            np.multiply(th[j : j + M], _SHINGLE_MULT[j], out=tmp)
            h += tmp
        _mix_shingles(h, tmp)
        np.right_shift(h, _U(57), out=tmp)  # the bin: the top 7 bits
        key = tmp.view(np.int64)
        key += np.repeat(np.arange(0, n * K, K, dtype=np.int64), lens)[:M]
        ends = offsets[1:]
        for k in range(1, SHINGLE):  # a 5-gram starting in a document's last 4 tokens would run into the next
            idx = ends - k
            key[idx[(idx >= 0) & (idx < M)]] = n * K
        np.minimum.at(sig, key, h.astype(np.uint16))  # the value: the bottom 16 bits
    short = np.flatnonzero((lens < SHINGLE) & (lens > 0))
    if len(short):
        starts = offsets[:-1][short]
        h = np.zeros(len(short), dtype=np.uint64)
        for j in range(SHINGLE - 1):
            has = lens[short] > j
            h[has] += th[starts[has] + j] * _SHINGLE_MULT[j]
        _mix_shingles(h, np.empty_like(h))
        np.minimum.at(sig, (h >> _U(57)).astype(np.intp) + short * K, h.astype(np.uint16))


def _mix_shingles(h: np.ndarray, tmp: np.ndarray) -> None:
    """One round of mixing, in place: the bin comes from the top bits, the value from the bottom."""
    np.right_shift(h, _U(29), out=tmp)
    h ^= tmp
    h *= _U(0xBF58476D1CE4E5B9)
    np.right_shift(h, _U(32), out=tmp)
    h ^= tmp


CHUNK_DOCS = 1024
BATCH_ROWS = 4096  # rows per Arrow batch of the clustering pass (the unit of its batch-wide tests)


def signatures(norms: pa.Array | pa.ChunkedArray | list[str]) -> np.ndarray:
    """One-permutation MinHash signatures (``n x K`` uint16) of normalised token strings.

    Computed in chunks of about a thousand documents, so that the per-token arrays stay small (memory
    flat in batch size, and cache-friendly).
    """
    if isinstance(norms, list):
        norms = pa.array(norms, pa.large_string())
    if isinstance(norms, pa.ChunkedArray):
        norms = norms.combine_chunks() if norms.num_chunks != 1 else norms.chunk(0)
    n = len(norms)
    if n <= CHUNK_DOCS:
        return _signatures(norms)
    return np.concatenate([_signatures(norms.slice(i, CHUNK_DOCS)) for i in range(0, n, CHUNK_DOCS)])


def _signatures(norms: pa.Array) -> np.ndarray:
    n = len(norms)
    if n == 0:
        return np.zeros((0, K), dtype=np.uint16)
    # norm is " tok  tok  tok ": split on the double space (first and last pieces keep one space,
    # stripped before hashing), then hash each distinct token of the batch once.
    lists = pc.split_pattern(pc.fill_null(norms, ""), "  ")
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    flat = pc.list_flatten(lists)
    enc = pc.dictionary_encode(flat)
    th = _token_hashes(enc.dictionary.to_pylist())[np.asarray(enc.indices)]
    flat_sig: np.ndarray = np.full((n + 1) * K, _EMPTY, dtype=np.uint16)  # row n: see _shingle_minima
    _shingle_minima(th, offsets, np.diff(offsets), flat_sig)
    sig = flat_sig[: n * K].reshape(n, K)
    empty = sig == _EMPTY
    if empty.any():
        out = sig.copy()
        d, b = np.nonzero(empty)
        for a in range(_MAX_PROBES):
            src = _PROBE[b, a]
            ok = ~empty[d, src]
            out[d[ok], b[ok]] = sig[d[ok], src[ok]]
            d, b = d[~ok], b[~ok]
            if not len(d):
                break
        sig = out
    return sig


def to_arrow(sigs: np.ndarray) -> pa.Array:
    """Signatures as a binary Arrow column (256 bytes per document)."""
    n = len(sigs)
    data = np.ascontiguousarray(sigs, dtype="<u2").tobytes()
    offsets = np.arange(0, (n + 1) * _SIG_BYTES, _SIG_BYTES, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


def from_arrow(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(signatures, ok)``: decoded signatures and a mask of rows that held a valid one."""
    n = len(col)
    sigs = np.zeros((n, K), dtype=np.uint16)
    ok = np.zeros(n, dtype=bool)
    if n == 0:
        return sigs, ok
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if col.type == pa.large_binary():
        col = col.cast(pa.binary())
    lengths = pc.fill_null(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)
    ok = lengths == _SIG_BYTES
    if ok.all():
        buf = col.buffers()
        start = np.frombuffer(buf[1], dtype=np.int32)[col.offset]
        raw = np.frombuffer(buf[2], dtype="<u2", count=n * K, offset=int(start))
        return raw.reshape(n, K).astype(np.uint16), ok
    for i in np.flatnonzero(ok):
        sigs[i] = np.frombuffer(col[int(i)].as_py(), dtype="<u2")
    return sigs, ok


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / K


@dataclass
class NearDupConfig:
    """How near-duplicates are found. ``scope``: ``all`` sources together, or ``source`` (each alone)."""

    enabled: bool = True
    threshold: float = 0.5
    window_days: int = 3
    scope: str = "all"
    source_groups: dict[str, str] | None = None
    index: str = "bands"  # or "datasketch": MinHashLSH itself, same candidates, about 10x the cost
    # Shorter documents are never near-duplicates of each other: "Hear, hear." in Hansard or two identical
    # five-word posts are independent utterances, not syndicated copies (exact copies still dedupe).
    min_words: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {self.threshold}")
        if self.min_words < 1:
            raise ValueError(f"near-duplicate min_words must be >= 1, got {self.min_words}")
        if self.window_days < 0:
            raise ValueError(f"near-duplicate window must be >= 0 days, got {self.window_days}")
        if self.scope not in ("all", "source"):
            raise ValueError(f"near-duplicate scope must be 'all' or 'source', got {self.scope!r}")
        if self.index not in ("bands", "datasketch"):
            raise ValueError(f"near-duplicate index must be 'bands' or 'datasketch', got {self.index!r}")

    def group(self, source: str) -> str:
        if self.source_groups is not None:
            return self.source_groups.get(source, source)
        return source if self.scope == "source" else ""

    def bands(self) -> tuple[int, int]:
        """``(b, r)``: LSH bands and rows per band for this threshold (see the module docstring)."""
        return bands_for(self.threshold)

    def describe(self) -> dict[str, Any]:
        """The parameters, for the manifest and results' provenance."""
        out = asdict(self)
        b, r = self.bands()
        out.update(scheme=SCHEME, bands=b, rows=r, shingle=SHINGLE)
        return out


def bands_for(threshold: float) -> tuple[int, int]:
    """The most rows per band (fewest false candidates) keeping recall at the threshold >= 0.9."""
    best = (K, 1)
    for r in range(1, K + 1):
        b = K // r
        if b < 2:
            break
        if 1 - (1 - threshold**r) ** b >= RECALL_AT_THRESHOLD:
            best = (b, r)
    return best


@dataclass
class NearDupStats:
    """What the clustering did in one ingest."""

    compared: int = 0
    near_duplicates: int = 0
    retweets: int = 0
    candidates: int = 0
    stored_loaded: int = 0
    recomputed: int = 0
    folded: list[tuple[str, str, str]] = field(default_factory=list)  # (hash, dup_of, reason)


class _Sig:
    """The two things datasketch's MinHashLSH reads from a MinHash."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return K


class _DatasketchIndex:
    """datasketch's MinHashLSH over the signatures (``index="datasketch"``)."""

    def __init__(self, bands: tuple[int, int]) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(num_perm=K, params=bands)

    def insert(self, key: str, sig: np.ndarray, bandkeys: list[int]) -> None:
        if key not in self.lsh:  # idempotent: a key is never inserted twice
            self.lsh.insert(key, _Sig(sig), check_duplication=False)

    def query(self, sig: np.ndarray, bandkeys: list[int]) -> Iterable[str]:
        return self.lsh.query(_Sig(sig))  # type: ignore[no-any-return]

    def remove(self, key: str) -> None:
        if key in self.lsh:
            self.lsh.remove(key)


class _BandIndex:
    """The banding of MinHashLSH with one plain dict per band and integer band keys (``index="bands"``).

    The same candidates as datasketch's MinHashLSH (a band's ``r`` 16-bit values packed into one integer,
    exactly for ``r <= 4``), at a fraction of the cost: datasketch byte-swaps and copies every band of
    every signature in Python, which costs about as much as the rest of ingest. Only representatives are
    inserted (a document is queried first and inserted once it becomes one, so nothing is ever removed
    for a folded document); keys that leave the time window are not removed one by one but dropped when
    the index is rebuilt from the live representatives (callers skip stale candidates). Buckets of one
    key hold the key itself, not a list (almost all buckets: less memory, fewer objects for the GC).
    """

    def __init__(self, bands: tuple[int, int]) -> None:
        self.tables: list[dict[int, Any]] = [{} for _ in range(bands[0])]

    def insert(self, key: str, bandkeys: list[int]) -> None:
        """Add ``key`` under its band keys."""
        for table, k in zip(self.tables, bandkeys):
            bucket = table.setdefault(k, key)
            if bucket is not key:
                if type(bucket) is list:
                    bucket.append(key)
                else:
                    table[k] = [bucket, key]

    def query(self, bands: Iterable[int], bandkeys: Iterable[int]) -> set[str]:
        """The keys holding key ``bandkeys[j]`` in band ``bands[j]`` for some ``j``."""
        # in C (map, filter, set) while every bucket found holds one key, the usual case
        found = list(filter(None, map(dict.get, map(self.tables.__getitem__, bands), bandkeys)))
        try:
            return set(found)
        except TypeError:  # a bucket of several keys (a list): not hashable
            out: set[str] = set()
            for bucket in found:
                if type(bucket) is list:
                    out.update(bucket)
                else:
                    out.add(bucket)
            return out


def band_keys(sigs: np.ndarray, bands: tuple[int, int]) -> np.ndarray:
    """``n x b`` integer keys: each band's ``r`` values packed (exact for r <= 4, else hashed)."""
    b, r = bands
    v = sigs[:, : b * r].reshape(len(sigs), b, r).astype(np.uint64)
    keys = np.zeros((len(sigs), b), dtype=np.uint64)
    for j in range(r):
        if r <= 4:
            keys |= v[:, :, j] << _U(16 * j)
        else:
            keys = _mix(keys ^ v[:, :, j] ^ _U(j))
    return keys


# One random 64-bit salt per band, so that equal keys in different bands hash apart (see _shared).
_BAND_SALT = _mix(np.arange(K, dtype=np.uint64) + _U(0x243F6A8885A308D3))


def _key_hashes(keys: np.ndarray) -> np.ndarray:
    """64-bit hashes of ``(band, key)`` for an ``n x b`` array of band keys (for ``_shared``)."""
    return _mix(keys ^ _BAND_SALT[: keys.shape[1]])


def _shared(h: np.ndarray) -> np.ndarray:
    """Which entries of ``h`` (``R x b`` hashes of ``(band, key)``) also occur in another row.

    A superset of the entries whose band key another row shares: each hash is cut to its top ``64 -
    log2(R b)`` bits (at least 40 for up to 16M entries; a false share costs a dict lookup, never a wrong
    cluster) and the entry's position packed into the freed low bits, so that one ``np.sort`` of plain
    uint64 finds equal values and where they are (an argsort or a hash table costs about three times as
    much).
    """
    R, b = h.shape
    n = R * b
    hit = np.zeros(n, dtype=bool)
    if R < 2 or b == 0:
        return hit.reshape(R, b)
    low = _U((1 << max(1, (n - 1).bit_length())) - 1)
    s = h & ~low
    # + position (row * b + band; no carry into the cleared bits), broadcast: no n-sized temporary
    s += np.arange(0, n, b, dtype=np.uint64)[:, None]
    s += np.arange(b, dtype=np.uint64)
    s = s.ravel()
    s.sort()
    # adjacent equal values (their high bits agree) from two different rows: every value held by two or
    # more rows has such a pair
    i = np.flatnonzero((s[1:] ^ s[:-1]) <= low)
    first, second = (s[i] & low).astype(np.intp), (s[i + 1] & low).astype(np.intp)
    two = first // b != second // b
    hit[first[two]] = True
    hit[second[two]] = True
    return hit.reshape(R, b)


class _Batch:
    """One Arrow batch of a date-ordered query: numpy arrays for the batch-wide tests, lists for the loop."""

    __slots__ = ("dated", "dated_l", "days", "days_l", "groups", "hashed", "hashes", "held", "hot", "keys", "n",
                 "rep_rows", "rep_seq", "retweet_of", "sigs")

    def __init__(self, days: np.ndarray, dated: np.ndarray, sigs: np.ndarray, keys: np.ndarray | None,
                 hashes: list[str], groups: list[str], retweet_of: list[str | None],
                 hashed: np.ndarray | None = None) -> None:
        self.n = len(hashes)
        self.days, self.dated = days, dated  # int64 days since 1970 (0 where NULL), bool
        self.days_l: list[int] = days.tolist()
        self.dated_l: list[bool] = dated.tolist()
        self.sigs = sigs  # n x K uint16
        # n x b uint64 band keys and their hashes for _shared (n x 0 for index="datasketch": not used)
        self.keys = keys if keys is not None else np.zeros((self.n, 0), dtype=np.uint64)
        self.hashed = _key_hashes(self.keys) if hashed is None else hashed
        self.hashes, self.groups, self.retweet_of = hashes, groups, retweet_of
        # bookkeeping of _run_bands: the rows that became representatives and their sequence numbers
        # (order of entry into the eviction queue), whether the batch is in its list of holders of
        # representatives, and (stored batches) which rows to index when they are admitted
        self.rep_rows: list[int] = []
        self.rep_seq: list[int] = []
        self.held = False
        self.hot = np.zeros(self.n, dtype=bool)

    @staticmethod
    def concat(parts: list[_Batch]) -> _Batch:
        """One batch of the rows of ``parts`` (batches not yet visited), in order."""
        if len(parts) == 1:
            return parts[0]

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        return _Batch(cat("days"), cat("dated"), cat("sigs"), cat("keys"), [h for p in parts for h in p.hashes],
                      [g for p in parts for g in p.groups], [r for p in parts for r in p.retweet_of], cat("hashed"))


def _batches(reader: pa.RecordBatchReader, cfg: NearDupConfig, stats: NearDupStats) -> Iterator[_Batch]:
    """The batches of a date-ordered query: ``day, hash, source, minhash, norm[, retweet_of, dated]``."""
    bands = cfg.bands()
    lazy = cfg.index != "datasketch"
    group_of: dict[str, str] = {}
    for batch in reader:
        n = batch.num_rows
        if n == 0:
            continue
        cols = batch.schema.names
        days = pc.fill_null(batch.column(cols.index("day")), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        hashes = batch.column(cols.index("hash")).to_pylist()
        if cfg.source_groups is None and cfg.scope == "all":
            groups = [""] * n
        else:
            groups = []
            for s in batch.column(cols.index("source")).to_pylist():
                g = group_of.get(s)
                if g is None:
                    g = group_of[s] = cfg.group(s)
                groups.append(g)
        sigs, ok = from_arrow(batch.column(cols.index("minhash")))
        if not ok.all():
            missing = np.flatnonzero(~ok)
            norms = batch.column(cols.index("norm")).take(pa.array(missing))
            sigs[missing] = signatures(norms)
            stats.recomputed += len(missing)
        keys = band_keys(sigs, bands) if lazy else None
        rts = batch.column(cols.index("retweet_of")).to_pylist() if "retweet_of" in cols else [None] * n
        if "dated" in cols:
            dated = pc.fill_null(batch.column(cols.index("dated")), False).to_numpy(zero_copy_only=False)
        else:
            dated = np.ones(n, dtype=bool)
        yield _Batch(days, dated.astype(bool), sigs, keys, hashes, groups, rts)


# (day, hash, group, signature, retweet_of, dated)
_Row = tuple[int, str, str, np.ndarray, "str | None", bool]


def _rows(batches: Iterable[_Batch]) -> Iterator[_Row]:
    """The rows of ``batches`` one by one (the ``index="datasketch"`` loop)."""
    for b in batches:
        for i in range(b.n):
            yield b.days_l[i], b.hashes[i], b.groups[i], b.sigs[i], b.retweet_of[i], b.dated_l[i]


def _union(new_ok: list[str], new_old: list[str], select: str, where: str) -> str:
    """``SELECT`` over segments with signatures and (``minhash`` as NULL) over segments without."""
    parts = []
    # norm is needed only where a signature must be recomputed (segments written without one): derived from
    # the text (stored segments of schema 3 hold no norm; for older ones the derived string is the stored one)
    if new_ok:
        parts.append(f"SELECT {select.format(minhash='minhash', norm='NULL::VARCHAR')} FROM read_parquet({new_ok!r}, "
                     f"union_by_name=true) WHERE {where}")
    if new_old:
        parts.append(f"SELECT {select.format(minhash='NULL::BLOB', norm=norms.norm_sql('text'))} FROM read_parquet({new_old!r}, "
                     f"union_by_name=true) WHERE {where}")
    return " UNION ALL ".join(parts)


def cluster(segments_dir: Path, new: list[tuple[str, bool]], stored: list[tuple[str, bool]],
            stored_dups: str | None, cfg: NearDupConfig) -> NearDupStats:
    """Fold the new documents' near-duplicates; ``new``/``stored`` list ``(segment, has_signatures)``."""
    import duckdb

    stats = NearDupStats()
    if not new or not cfg.enabled:
        return stats
    w = int(cfg.window_days)
    new_ok = [str(segments_dir / s) for s, ok in new if ok]
    new_old = [str(segments_dir / s) for s, ok in new if not ok]
    tmp = tempfile.mkdtemp(prefix="policypulse-neardup-")
    # A small memory limit: the date-ordered pass spills to disk, so peak memory stays flat in corpus size.
    con = duckdb.connect(":memory:", config={"temp_directory": tmp, "memory_limit": "256MB"})
    norms.register(con)
    try:
        retweet = ("CASE WHEN meta LIKE '%\"retweet_of\"%' THEN json_extract_string(meta, '$.retweet_of') END "
                   "AS retweet_of")
        select = ("(date - DATE '1970-01-01')::INTEGER AS day, hash, source, {minhash} AS minhash, "
                  "{norm} AS norm, " + retweet
                  + f", date_precision = 'day' AND n_words >= {int(cfg.min_words)} AS dated, origin_file, origin_record")
        new_sql = _union(new_ok, new_old, select, f"(date_precision = 'day' AND n_words >= {int(cfg.min_words)}) "
                                                   "OR meta LIKE '%\"retweet_of\"%'")
        stored_sql = None
        if stored:
            con.execute(f"CREATE TABLE new_days AS SELECT DISTINCT day FROM ({new_sql}) WHERE dated")
            con.execute(f"CREATE TABLE near_days AS SELECT DISTINCT day + o AS day FROM new_days, "
                        f"range({-w}, {w + 1}) t(o)")
            s_ok = [str(segments_dir / s) for s, ok in stored if ok]
            s_old = [str(segments_dir / s) for s, ok in stored if not ok]
            s_select = ("(date - DATE '1970-01-01')::INTEGER AS day, hash, source, {minhash} AS minhash, "
                        "{norm} AS norm")
            folded = (f" AND hash NOT IN (SELECT hash FROM read_parquet('{stored_dups}'))" if stored_dups else "")
            s_sql = _union(s_ok, s_old, s_select, f"date_precision = 'day' AND n_words >= {int(cfg.min_words)}" + folded)
            stored_sql = f"SELECT s.* FROM ({s_sql}) s SEMI JOIN near_days n ON s.day = n.day ORDER BY s.day, s.hash"
        # two result streams at once: each needs its own connection (a cursor) to the in-memory database
        new_cur, stored_cur = con.cursor(), con.cursor()
        for c in (new_cur, stored_cur):
            norms.register(c)
        new_reader = new_cur.sql(
            f"SELECT * FROM ({new_sql}) ORDER BY dated DESC, day, origin_file, origin_record, hash"
        ).to_arrow_reader(BATCH_ROWS)
        stored_iter: Iterator[_Batch] = iter(())
        if stored_sql is not None:
            stored_iter = _batches(stored_cur.sql(stored_sql).to_arrow_reader(BATCH_ROWS), cfg, stats)
        _run(_batches(new_reader, cfg, stats), stored_iter, cfg, stats)
    finally:
        con.close()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def _run(new: Iterable[_Batch], stored: Iterable[_Batch], cfg: NearDupConfig, stats: NearDupStats) -> None:
    """The clustering loop: new documents in date order against representatives within the window."""
    if cfg.index == "datasketch":
        _run_datasketch(_rows(new), _rows(stored), cfg, stats)
    else:
        _run_bands(iter(new), iter(stored), cfg, stats)


def _better(agree: int, cday: int, cand: str, best: tuple[int, int, str] | None) -> bool:
    """Whether a match beats ``best``: most agreeing bins, then the earliest day, then the smallest key."""
    return best is None or agree > best[0] or (agree == best[0] and (cday, cand) < (best[1], best[2]))


def _fold(stats: NearDupStats, key: str, retweet_of: str | None, best: tuple[int, int, str] | None) -> None:
    """Record a folded document: a retweet (into ``best`` or its original's id) or a near-duplicate."""
    if retweet_of is not None:
        stats.retweets += 1
        stats.folded.append((key, best[2] if best else f"retweet:{retweet_of}", "retweet"))
    else:
        assert best is not None
        stats.near_duplicates += 1
        stats.folded.append((key, best[2], "near"))


def _run_datasketch(new_rows: Iterator[_Row], stored_rows: Iterator[_Row], cfg: NearDupConfig,
                    stats: NearDupStats) -> None:
    """The reference loop (``index="datasketch"``): every document queries the LSH, one row at a time."""
    w = int(cfg.window_days)
    bands = cfg.bands()
    indexes: dict[str, _DatasketchIndex] = {}
    reps: dict[str, tuple[int, np.ndarray, str]] = {}  # key -> (day, signature, group)
    queue: collections.deque[tuple[int, str]] = collections.deque()  # (day, key) of reps, for eviction
    pending = next(stored_rows, None)
    need = int(np.ceil(cfg.threshold * K - 1e-9))  # agreeing bins needed

    def add_rep(day: int, key: str, group: str, sig: np.ndarray) -> None:
        index = indexes.get(group)
        if index is None:
            index = indexes[group] = _DatasketchIndex(bands)
        index.insert(key, sig, [])
        reps[key] = (day, sig, group)
        queue.append((day, key))

    for day, key, group, sig, retweet_of, dated in new_rows:
        if not dated:  # only retweets come here undated (they sort last): amplification, never compared
            stats.retweets += 1
            stats.folded.append((key, f"retweet:{retweet_of}", "retweet"))
            continue
        # stored representatives up to day + w enter the index before this document is compared
        while pending is not None and pending[0] <= day + w:
            if pending[0] >= day - w:
                add_rep(pending[0], pending[1], pending[2], pending[3])
                stats.stored_loaded += 1
            pending = next(stored_rows, None)
        # stored and new reps enter in date order except stored ones admitted up to w days ahead: the
        # queue is sorted well enough for eviction (a late-popped key is only kept a little longer)
        while queue and queue[0][0] < day - w:
            _, old = queue.popleft()
            rep = reps.pop(old, None)
            if rep is not None:
                indexes[rep[2]].remove(old)
        stats.compared += 1
        best: tuple[int, int, str] | None = None  # (agreeing bins, day, key)
        index = indexes.get(group)
        for cand in index.query(sig, []) if index is not None else ():
            crep = reps.get(cand)
            if crep is None:
                continue
            stats.candidates += 1
            cday = crep[0]
            if abs(cday - day) > w:
                continue
            agree = int(np.count_nonzero(sig == crep[1]))
            if agree >= need and _better(agree, cday, cand, best):
                best = (agree, cday, cand)
        if retweet_of is not None or best is not None:
            _fold(stats, key, retweet_of, best)
        else:
            add_rep(day, key, group, sig)


_NEVER = 1 << 62  # the day of the next stored row once there is none
_MERGE_MAX = 65536  # most rows of new documents in one visit of _run_bands (about 60 MB of arrays)


class _Ahead:
    """The stored representatives' stream, read ahead a batch at a time; ``day`` is the next row's day."""

    def __init__(self, batches: Iterator[_Batch]) -> None:
        self.batches = batches
        self.buf: collections.deque[_Batch] = collections.deque()
        self.pos = 0  # the next row of buf[0]
        self.day = _NEVER
        self._pull()  # the first batch is read before any document is compared (as the row loop did)

    def _pull(self) -> bool:
        batch = next(self.batches, None)
        if batch is None:
            return False
        self.buf.append(batch)
        if len(self.buf) == 1:
            self.pos, self.day = 0, batch.days_l[0]
        return True

    def fill(self, last: int) -> None:
        """Read ahead until a row dated after ``last`` is buffered or the stream ends."""
        while not self.buf or self.buf[-1].days_l[-1] <= last:
            if not self._pull():
                break

    def upto(self, last: int) -> list[tuple[_Batch, int, int]]:
        """``(batch, start, end)`` slices of the buffered rows not yet taken that are dated up to ``last``."""
        out = []
        for j, b in enumerate(self.buf):
            start = self.pos if j == 0 else 0
            end = int(np.searchsorted(b.days, last, side="right"))  # stored rows come sorted by day
            if end > start:
                out.append((b, start, end))
            if end < b.n:
                break
        return out

    def take(self, first: int, last: int) -> list[tuple[_Batch, int, int]]:
        """Move past the rows dated up to ``last``; return the slices of those dated from ``first`` on."""
        out = []
        while self.day <= last:
            b = self.buf[0]
            end = int(np.searchsorted(b.days, last, side="right"))
            start = max(self.pos, int(np.searchsorted(b.days, first, side="left")))
            if end > start:
                out.append((b, start, end))
            if end < b.n:
                self.pos, self.day = end, b.days_l[end]
            else:
                self.buf.popleft()
                self.pos, self.day = 0, _NEVER
                if self.buf or self._pull():
                    self.day = self.buf[0].days_l[0]
        return out


def _run_bands(new: Iterator[_Batch], stored: Iterator[_Batch], cfg: NearDupConfig, stats: NearDupStats) -> None:
    """The clustering loop of ``index="bands"``: the reference loop's clusters, with most documents skipped.

    Before a batch's rows are visited, one sort finds the documents that share a band key with another
    document of the batch, a live representative or a stored row to be admitted during the batch
    ("involved"; a superset is fine, as is ignoring groups and days). An uninvolved document has no
    candidate, so it is folded (a retweet) or becomes a representative without touching the band index;
    only representatives that an involved document may meet are indexed: those sharing a band key with
    the batch are indexed at its start (or on admission, stored ones), and involved documents that become
    representatives as they go. So the index's candidates for an involved document are exactly the
    reference loop's: every live representative of its group sharing a band key with it.

    Rows are visited a day at a time: admission of stored representatives, eviction and rebuilds depend
    on the day only, and the documents of a day that are neither involved nor retweets become
    representatives in bulk (none of them can be a candidate of anything in the batch, so adding them
    before the day's other documents changes no outcome; the order of ``stats.folded`` is kept). Arrow
    batches are merged while the live representatives outnumber their rows (``visits``).
    """
    w = int(cfg.window_days)
    bands = cfg.bands()
    need = int(np.ceil(cfg.threshold * K - 1e-9))  # agreeing bins needed
    rebuild_every = max(4 * (2 * w + 1), 28)  # days between rebuilds of the band index (lazy eviction)
    indexes: dict[str, _BandIndex] = {}
    reps: dict[str, tuple[int, _Batch, int, str]] = {}  # key -> (day, batch, row, group)
    indexed: dict[str, list[int]] = {}  # the live reps in the band index -> their band keys (for rebuilds)
    queue: collections.deque[tuple[int, str]] = collections.deque()  # (day, key) of reps, for eviction
    # The queue is first in, first out, so the live reps are those with a sequence number (their place in
    # the queue) >= the number evicted; each batch lists its reps' rows and sequence numbers, and the
    # holders are the batches that may still hold live reps.
    holders: list[_Batch] = []
    seq = evicted = 0
    built: int | None = None
    folded = stats.folded
    ahead = _Ahead(stored)

    def index_for(group: str) -> _BandIndex:
        index = indexes.get(group)
        if index is None:
            index = indexes[group] = _BandIndex(bands)
        return index

    def hold(b: _Batch, day: int | list[int], rows: range | list[int], keys: list[str], groups: list[str],
             seq: int) -> int:
        """Make rows of ``b`` representatives (in queue order from sequence number ``seq``); the next one."""
        m = len(rows)
        days = itertools.repeat(day) if isinstance(day, int) else day
        reps.update(zip(keys, zip(days, itertools.repeat(b), rows, groups)))
        queue.extend(zip(days, keys))
        b.rep_rows.extend(rows)
        b.rep_seq.extend(range(seq, seq + m))
        if not b.held:
            holders.append(b)
            b.held = True
        return seq + m

    def prepare(nb: _Batch, last: int, evicted: int) -> list[tuple[list[int], list[int]] | None]:
        """Per row of ``nb``: ``None`` if not involved, else the ``(bands, keys)`` it shares; index the live
        reps and flag the stored rows to be admitted that share a band key with the batch."""
        rows_new = np.flatnonzero(nb.dated)
        live: list[tuple[_Batch, np.ndarray]] = []
        for hb in holders:
            j = bisect.bisect_left(hb.rep_seq, evicted)
            if j:
                del hb.rep_seq[:j], hb.rep_rows[:j]
            if hb.rep_seq:
                live.append((hb, np.array(hb.rep_rows, dtype=np.intp)))
            else:
                hb.held = False
        holders[:] = [hb for hb, _ in live]
        pend = ahead.upto(last)
        parts = [nb.hashed[rows_new]] + [hb.hashed[r] for hb, r in live] + [b.hashed[s:e] for b, s, e in pend]
        hit = _shared(np.concatenate(parts))
        involved: list[tuple[list[int], list[int]] | None] = [None] * nb.n
        # An involved document queries only the bands it shares: a representative sharing a band key with
        # it shares that band's hash, so it is flagged there (the same candidates as a query of all bands).
        r_idx, b_idx = np.nonzero(hit[: len(rows_new)])
        if len(r_idx):
            rows = rows_new[r_idx]
            vals = nb.keys[rows, b_idx].tolist()
            bl = b_idx.tolist()
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # np.nonzero is row-major
            ends = np.r_[starts[1:], len(rows)].tolist()
            for row, s0, e0 in zip(rows[starts].tolist(), starts.tolist(), ends):
                involved[row] = (bl[s0:e0], vals[s0:e0])
        off = len(rows_new)
        for hb, r in live:
            for row in r[hit[off : off + len(r)].any(axis=1)].tolist():
                k = hb.hashes[row]
                rep = reps.get(k)
                if rep is not None and k not in indexed:
                    keys = indexed[k] = hb.keys[row].tolist()
                    index_for(rep[3]).insert(k, keys)
            off += len(r)
        for b, s, e in pend:
            b.hot[s:e] = hit[off : off + e - s].any(axis=1)
            off += e - s
        return involved

    def visits(batches: Iterator[_Batch]) -> Iterator[_Batch]:
        # The sort of prepare() costs as much per live representative as per document of the batch: with
        # many documents a day the reps outnumber a batch, so batches are merged to about as many rows as
        # there are reps (up to _MERGE_MAX), keeping the cost per document flat.
        parts: list[_Batch] = []
        rows = 0
        for b in batches:
            parts.append(b)
            rows += b.n
            if rows >= min(max(BATCH_ROWS, len(reps)), _MERGE_MAX):
                yield _Batch.concat(parts)
                parts, rows = [], 0
        if parts:
            yield _Batch.concat(parts)

    for nb in visits(new):
        n = nb.n
        if nb.dated.any():
            last = int(nb.days[nb.dated].max()) + w  # stored rows up to here are admitted during the batch
            ahead.fill(last)
            involved = prepare(nb, last, evicted)
        else:
            involved = [None] * n
        hashes, groups, rts, days_l, dated_l = nb.hashes, nb.groups, nb.retweet_of, nb.days_l, nb.dated_l
        # runs of one day (or of undated rows), and per row whether it needs a look of its own
        cut = np.flatnonzero((nb.days[1:] != nb.days[:-1]) | (nb.dated[1:] != nb.dated[:-1])) + 1
        starts, ends = [0] + cut.tolist(), cut.tolist() + [n]
        plain_np = np.array([s is None for s in involved]) & nb.dated & np.array([r is None for r in rts])
        plain = plain_np.tolist()
        n_plain = np.r_[0, np.cumsum(plain_np)].tolist()  # plain rows before each row
        for s, e in zip(starts, ends):
            if not dated_l[s]:  # only retweets come here undated (they sort last): never compared
                for i in range(s, e):
                    stats.retweets += 1
                    folded.append((hashes[i], f"retweet:{rts[i]}", "retweet"))
                continue
            day = days_l[s]
            # stored representatives up to day + w are admitted before this day's documents are compared
            if ahead.day <= day + w:
                for sb, s0, e0 in ahead.take(day - w, day + w):
                    seq = hold(sb, sb.days_l[s0:e0], range(s0, e0), sb.hashes[s0:e0], sb.groups[s0:e0], seq)
                    stats.stored_loaded += e0 - s0
                    for r in (np.flatnonzero(sb.hot[s0:e0]) + s0).tolist():  # share a band key with the batch
                        skey = sb.hashes[r]
                        keys = indexed[skey] = sb.keys[r].tolist()
                        index_for(sb.groups[r]).insert(skey, keys)
            # stored and new reps enter in date order except stored ones admitted up to w days ahead: the
            # queue is sorted well enough for eviction (a late-popped key is only kept a little longer)
            before = day - w
            while queue and queue[0][0] < before:
                old = queue.popleft()[1]
                evicted += 1
                reps.pop(old, None)
                indexed.pop(old, None)
            if built is None or day - built >= rebuild_every:
                indexes.clear()  # drop keys that left the window: rebuild from the live indexed reps
                for k, keys in indexed.items():
                    index_for(reps[k][3]).insert(k, keys)
                built = day
            stats.compared += e - s
            # no candidate and not a retweet: a representative, without a look at the index
            m = n_plain[e] - n_plain[s]
            if m == e - s:
                seq = hold(nb, day, range(s, e), hashes[s:e], groups[s:e], seq)
                continue
            if m:
                bulk = [i for i in range(s, e) if plain[i]]
                seq = hold(nb, day, bulk, [hashes[i] for i in bulk], [groups[i] for i in bulk], seq)
            for i in range(s, e):
                if plain[i]:
                    continue
                key, shared = hashes[i], involved[i]
                if shared is None:  # a retweet without candidates
                    stats.retweets += 1
                    folded.append((key, f"retweet:{rts[i]}", "retweet"))
                    continue
                group = groups[i]
                index = index_for(group)
                sig = nb.sigs[i]
                best: tuple[int, int, str] | None = None  # (agreeing bins, day, key)
                for cand in index.query(*shared):
                    rep = reps.get(cand)
                    if rep is None or cand == key:  # stale (left the window)
                        continue
                    stats.candidates += 1
                    cday = rep[0]
                    if abs(cday - day) > w:
                        continue
                    agree = int(np.count_nonzero(sig == rep[1].sigs[rep[2]]))
                    if agree >= need and _better(agree, cday, cand, best):
                        best = (agree, cday, cand)
                if rts[i] is not None or best is not None:
                    _fold(stats, key, rts[i], best)
                else:
                    keys = indexed[key] = nb.keys[i].tolist()
                    index.insert(key, keys)
                    seq = hold(nb, day, [i], [key], [group], seq)


def folded_table(rows: list[tuple[str, str, str]]) -> pa.Table:
    """The store's record of folded documents: ``hash, dup_of, reason``."""
    from policypulse.corpus.schema import DUPS_SCHEMA

    if not rows:
        return DUPS_SCHEMA.empty_table()
    h, d, r = zip(*rows)
    return pa.table({"hash": list(h), "dup_of": list(d), "reason": list(r)}, schema=DUPS_SCHEMA)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01 (the clustering's date axis)."""
    return (d - dt.date(1970, 1, 1)).days
