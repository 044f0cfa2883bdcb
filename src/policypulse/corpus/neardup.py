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
  with 0.005). The index is ``datasketch.MinHashLSH`` with ``index="datasketch"``; the default
  ``index="bands"`` is the same banding in plain dicts keyed by integers, because the benchmark
  (bench/bench_neardup.py) measured datasketch's per-band Python work at about as much as the whole rest
  of ingest; both give the same clusters (tested).
* **Verification**: a candidate is a copy when the estimated Jaccard similarity of the two signatures
  (the fraction of agreeing bins) is at least ``threshold`` (default 0.5).
* **Time window and scope**: only documents dated within ``window_days`` (default 3) of each other are
  compared (LexisNexisTools compares the same day only; RNewsflow uses a window), and, with
  ``scope="source"`` or a ``source_groups`` mapping, only documents of the same source (group).
* **Clustering**: documents are visited in date order; a document that matches a representative within
  the window is folded into it (the most similar one); otherwise it becomes a representative. Stored
  representatives are never re-parented, so earlier versions' numbers never change. Only documents
  dated to the day take part (a month-precision date cannot be placed in a window of days).
* **Short documents** (fewer than ``min_words`` tokens, default 20) are left alone: "Hear, hear." said by
  two members, or two identical five-word posts, are independent utterances, not syndicated copies, and
  a Jaccard estimate over a handful of shingles is too coarse (exact copies are still exact duplicates).
* **Retweets** (``meta.retweet_of``) are amplification: always folded (into the original when it is in
  the window, else into ``retweet:<id>``), never representatives.

Memory is bounded by the window: the new documents and the stored representatives near their dates are
streamed from DuckDB in date order, and the LSH holds only representatives of the last ``2 * window``
days. Re-ingesting adds no documents and so no keys (no datasketch "key already exists" errors).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def _shingle_hashes(th: np.ndarray, offsets: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every word 5-gram (a document of fewer tokens: one shingle of all) and its document."""
    N, n = len(th), len(lens)
    M = N - SHINGLE + 1
    parts_h, parts_d = [], []
    if M > 0:
        h = th[:M] * _SHINGLE_MULT[0]
        tmp = np.empty(M, dtype=np.uint64)
        for j in range(1, SHINGLE):
            np.multiply(th[j : j + M], _SHINGLE_MULT[j], out=tmp)
            h += tmp
        valid = np.ones(M, dtype=bool)
        ends = offsets[1:]
        for k in range(1, SHINGLE):  # a 5-gram starting in a document's last 4 tokens would run into the next
            idx = ends - k
            valid[idx[(idx >= 0) & (idx < M)]] = False
        doc = np.repeat(np.arange(n), lens)[:M]
        parts_h.append(h[valid])
        parts_d.append(doc[valid])
    short = np.flatnonzero((lens < SHINGLE) & (lens > 0))
    if len(short):
        starts = offsets[:-1][short]
        h = np.zeros(len(short), dtype=np.uint64)
        for j in range(SHINGLE - 1):
            has = lens[short] > j
            h[has] += th[starts[has] + j] * _SHINGLE_MULT[j]
        parts_h.append(h)
        parts_d.append(short)
    hv = np.concatenate(parts_h) if parts_h else np.zeros(0, dtype=np.uint64)
    dv = np.concatenate(parts_d) if parts_d else np.zeros(0, dtype=np.intp)
    hv ^= hv >> _U(29)  # one round of mixing: the bin comes from the top bits, the value from the bottom
    hv *= _U(0xBF58476D1CE4E5B9)
    hv ^= hv >> _U(32)
    return hv, dv


CHUNK_DOCS = 1024


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
    lens = np.diff(offsets)
    hv, dv = _shingle_hashes(th, offsets, lens)
    sig = np.full(n * K, _EMPTY, dtype=np.uint16)
    key = (hv >> _U(57)).astype(np.intp)
    key += dv * K
    np.minimum.at(sig, key, (hv & _U(0xFFFF)).astype(np.uint16))
    sig = sig.reshape(n, K)
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
    every signature in Python, which costs about as much as the rest of ingest. ``probe`` queries and
    inserts in one pass over the bands; keys that leave the time window are not removed one by one but
    dropped when the index is rebuilt from the live representatives (callers skip stale candidates).
    Buckets of one key hold the key itself, not a list (almost all buckets).
    """

    def __init__(self, bands: tuple[int, int]) -> None:
        self.tables: list[dict[int, Any]] = [{} for _ in range(bands[0])]

    def insert(self, key: str, bandkeys: list[int]) -> None:
        for table, k in zip(self.tables, bandkeys):
            bucket = table.get(k)
            if bucket is None:
                table[k] = key
            elif type(bucket) is list:
                if key not in bucket:
                    bucket.append(key)
            elif bucket != key:
                table[k] = [bucket, key]

    def probe(self, key: str, bandkeys: list[int]) -> set[str]:
        """The keys sharing a band with ``bandkeys``; ``key`` is inserted on the way."""
        out: set[str] = set()
        for table, k in zip(self.tables, bandkeys):
            bucket = table.get(k)
            if bucket is None:
                table[k] = key
            elif type(bucket) is list:
                out.update(bucket)
                bucket.append(key)
            else:
                out.add(bucket)
                table[k] = [bucket, key]
        out.discard(key)
        return out

    def remove(self, key: str, bandkeys: list[int]) -> None:
        for table, k in zip(self.tables, bandkeys):
            bucket = table.get(k)
            if bucket == key:
                del table[k]
            elif type(bucket) is list and key in bucket:
                bucket.remove(key)
                if len(bucket) == 1:
                    table[k] = bucket[0]


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


# (day, hash, group, signature, band keys, retweet_of, dated)
_Row = tuple[int, str, str, np.ndarray, list[int], "str | None", bool]


def _rows(reader: pa.RecordBatchReader, cfg: NearDupConfig, stats: NearDupStats) -> Iterator[_Row]:
    """Rows of a date-ordered query: ``day, hash, source, minhash, norm[, retweet_of, dated]``."""
    bands = cfg.bands()
    for batch in reader:
        if batch.num_rows == 0:
            continue
        cols = batch.schema.names
        days = batch.column(cols.index("day")).to_numpy(zero_copy_only=False).tolist()
        hashes = batch.column(cols.index("hash")).to_pylist()
        sources = batch.column(cols.index("source")).to_pylist()
        sigs, ok = from_arrow(batch.column(cols.index("minhash")))
        if not ok.all():
            missing = np.flatnonzero(~ok)
            norms = batch.column(cols.index("norm")).take(pa.array(missing))
            sigs[missing] = signatures(norms)
            stats.recomputed += len(missing)
        keys = band_keys(sigs, bands).tolist() if cfg.index != "datasketch" else [None] * len(hashes)
        n = batch.num_rows
        rts = batch.column(cols.index("retweet_of")).to_pylist() if "retweet_of" in cols else [None] * n
        dated = batch.column(cols.index("dated")).to_pylist() if "dated" in cols else [True] * n
        groups = [cfg.group(s) for s in sources]
        for i in range(n):
            yield days[i], hashes[i], groups[i], sigs[i], keys[i], rts[i], bool(dated[i])


def _union(new_ok: list[str], new_old: list[str], select: str, where: str) -> str:
    """``SELECT`` over segments with signatures and (``minhash`` as NULL) over segments without."""
    parts = []
    # norm is read only where a signature must be recomputed (segments written without one)
    if new_ok:
        parts.append(f"SELECT {select.format(minhash='minhash', norm='NULL::VARCHAR')} FROM read_parquet({new_ok!r}, "
                     f"union_by_name=true) WHERE {where}")
    if new_old:
        parts.append(f"SELECT {select.format(minhash='NULL::BLOB', norm='norm')} FROM read_parquet({new_old!r}, "
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
        new_reader = con.cursor().sql(
            f"SELECT * FROM ({new_sql}) ORDER BY dated DESC, day, origin_file, origin_record, hash"
        ).to_arrow_reader(4096)
        stored_iter: Iterator[_Row] = iter(())
        if stored_sql is not None:
            stored_iter = _rows(con.cursor().sql(stored_sql).to_arrow_reader(4096), cfg, stats)
        _run(_rows(new_reader, cfg, stats), stored_iter, cfg, stats)
    finally:
        con.close()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def _run(new_rows: Iterator[_Row], stored_rows: Iterator[_Row], cfg: NearDupConfig, stats: NearDupStats) -> None:
    """The clustering loop: new documents in date order against representatives within the window."""
    w = int(cfg.window_days)
    lazy = cfg.index != "datasketch"
    bands = cfg.bands()
    indexes: dict[str, Any] = {}
    reps: dict[str, tuple[int, np.ndarray, list[int], str]] = {}  # key -> (day, signature, band keys, group)
    queue: collections.deque[tuple[int, str]] = collections.deque()  # (day, key) of reps, for eviction
    pending = next(stored_rows, None)
    need = int(np.ceil(cfg.threshold * K - 1e-9))  # agreeing bins needed
    rebuild_every = max(4 * (2 * w + 1), 28)  # days between rebuilds of the band index (lazy eviction)
    built = None

    def index_for(group: str) -> Any:
        index = indexes.get(group)
        if index is None:
            index = indexes[group] = _BandIndex(bands) if lazy else _DatasketchIndex(bands)
        return index

    def add_rep(day: int, key: str, group: str, sig: np.ndarray, keys: list[int], insert: bool) -> None:
        if insert:
            if lazy:
                index_for(group).insert(key, keys)
            else:
                index_for(group).insert(key, sig, keys)
        reps[key] = (day, sig, keys, group)
        queue.append((day, key))

    def evict(before: int) -> None:
        # stored and new reps enter in date order except stored ones admitted up to w days ahead: the
        # queue is sorted well enough for eviction (a late-popped key is only kept a little longer)
        while queue and queue[0][0] < before:
            _, key = queue.popleft()
            rep = reps.pop(key, None)
            if rep is not None and not lazy:
                indexes[rep[3]].remove(key)

    for row in new_rows:
        day, key, group, sig, keys, retweet_of, dated = row
        if not dated:  # only retweets come here undated (they sort last): amplification, never compared
            stats.retweets += 1
            stats.folded.append((key, f"retweet:{retweet_of}", "retweet"))
            continue
        # stored representatives up to day + w enter the index before this document is compared
        while pending is not None and pending[0] <= day + w:
            if pending[0] >= day - w:
                add_rep(pending[0], pending[1], pending[2], pending[3], pending[4], insert=True)
                stats.stored_loaded += 1
            pending = next(stored_rows, None)
        evict(day - w)
        if lazy and (built is None or day - built >= rebuild_every):
            indexes.clear()  # drop keys that left the window: rebuild from the live representatives
            for rkey, (_, _, rkeys, rgroup) in reps.items():
                index_for(rgroup).insert(rkey, rkeys)
            built = day
        stats.compared += 1
        index = index_for(group)
        cands = index.probe(key, keys) if lazy else index.query(sig, keys)
        best: tuple[int, int, str] | None = None  # (agreeing bins, day, key): most similar, then earliest
        for cand in cands:
            rep = reps.get(cand)
            if rep is None:  # stale (left the window) or folded
                continue
            stats.candidates += 1
            cday, csig = rep[0], rep[1]
            if abs(cday - day) > w:
                continue
            agree = int(np.count_nonzero(sig == csig))
            if agree >= need and (best is None or agree > best[0] or (
                    agree == best[0] and (cday, cand) < (best[1], best[2]))):
                best = (agree, cday, cand)
        if retweet_of is not None or best is not None:
            if lazy:
                index.remove(key, keys)  # probed in, but a folded document is never a representative
            if retweet_of is not None:
                stats.retweets += 1
                stats.folded.append((key, best[2] if best else f"retweet:{retweet_of}", "retweet"))
            else:
                assert best is not None
                stats.near_duplicates += 1
                stats.folded.append((key, best[2], "near"))
        else:
            add_rep(day, key, group, sig, keys, insert=not lazy)


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
