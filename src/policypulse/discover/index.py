"""Phrase statistics kept in the store: per-segment counts, merged per version, read as period grids.

Layout (inside the store; a read-only store gets a private cache directory instead)::

    STORE/phrases/<segment>.p3.parquet           phrase, n, period, precision, docs, occ (one segment)
    STORE/phrases/<segment>.p3.tokens.parquet    token, occ: every token's occurrences (collocation test)
    STORE/phrases/<segment>.p3.sketch.parquet    phrase, docs, vec, props: context sketches (discover/context.py), props
    STORE/phrases/v<N>.p3/phrases.parquet        phrase_id, phrase, n, docs, occ, pmi, g2 (kept phrases)
    STORE/phrases/v<N>.p3/counts.parquet         phrase_id, period, precision, docs, occ
    STORE/phrases/v<N>.p3/totals.parquet         period, precision, docs: documents per period (exposure)
    STORE/phrases/v<N>.p3/sketch.npy             context sketch per phrase_id (float32, zeros: none)
    STORE/phrases/v<N>.p3/props.npy              phrase props per phrase_id (ngrams.PROPS_COLUMNS, int64)
    STORE/phrases/v<N>.p3/meta.json              what was merged, with which parameters

Segments are immutable, so a segment's phrase file never goes stale: when an ingest adds segments, only
the new ones are counted and the (cheap) merge for the new version reads the files of the segments that
version lists. ``p2`` is the method version: changing a definition changes the names, never the meaning
of an existing file. Every file is written to a temporary name and renamed into place, so concurrent
builders (two dashboards opening the same new version) cannot leave a half-written file.

Counts are deduplicated like every other count (DESIGN.md): the near-duplicates a version folds into a
representative are counted separately at merge time and subtracted. Merging keeps the phrases that are
units: at least ``MIN_DOCS`` documents in the corpus and, for phrases
of two or more tokens, a collocation test (docs/methods.md, "Discovery").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from policypulse import __version__
from policypulse.corpus.store import Store
from policypulse.discover.context import DIM
from policypulse.discover.ngrams import EPSILON, MAX_N, PROPS_COLUMNS, count_table, read_segment
from policypulse.errors import UsageError

METHOD = "p3"  # bump when counting, pruning or the unit filter changes
MIN_DOCS = 3  # a phrase must occur in at least this many documents of the corpus
MIN_PMI = 1.0  # collocation: observed at least e times the expectation of its weakest split (natural log)
MIN_G2 = 20.0  # collocation: Poisson log-likelihood ratio of that excess (p < 1e-5 for one test)
GRID_PERIODS = ("month", "quarter", "year")
PARALLEL_MIN_DOCS = 20_000  # below this many documents to count, worker processes cost more than they save  # phrase statistics are kept per month (and per year)
DIRNAME = "phrases"

Progress = Callable[[str], None]


def _atomic_parquet(table: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def phrase_dir(store: Store) -> Path:
    """Where this store's phrase statistics live: STORE/phrases, or a private cache if the store is read-only."""
    d = store.path / DIRNAME
    try:
        d.mkdir(exist_ok=True)
        if os.access(d, os.W_OK):
            return d
    except OSError:
        pass
    key = hashlib.sha1(str(store.path.resolve()).encode()).hexdigest()[:16]
    d = Path(tempfile.gettempdir()) / f"policypulse-phrases-{key}"
    d.mkdir(exist_ok=True)
    return d


def _existing_phrase_dir(store: Store) -> Path | None:
    """Where ``phrase_dir`` would point, without its ``mkdir``; None when it would create STORE/phrases."""
    d = store.path / DIRNAME
    if d.is_dir() and os.access(d, os.W_OK):
        return d
    if not d.exists() and os.access(store.path, os.W_OK):
        return None
    key = hashlib.sha1(str(store.path.resolve()).encode()).hexdigest()[:16]  # phrase_dir's private cache
    return Path(tempfile.gettempdir()) / f"policypulse-phrases-{key}"


def built_dir(store: Store, version: int | None = None) -> Path | None:
    """The merged phrase statistics of ``version`` if already built, else None; reads only, creates nothing.

    Looks where ``phrase_dir`` would, so that an answer other than None means ``PhraseIndex`` finds the
    statistics and does not build them. A built version directory is never removed (a rebuild's rename
    onto it fails and is dropped), so the answer cannot turn to None later.
    """
    pdir = _existing_phrase_dir(store)
    if pdir is None:
        return None
    vdir = version_dir(pdir, store.version if version is None else version)
    return vdir if (vdir / "meta.json").is_file() else None


def built_versions(store: Store) -> list[int]:
    """Store versions whose phrase statistics are built, oldest first; reads only."""
    pdir = _existing_phrase_dir(store)
    if pdir is None or not pdir.is_dir():
        return []
    nums = (meta.parent.name[1:].removesuffix(f".{METHOD}") for meta in pdir.glob(f"v*.{METHOD}/meta.json"))
    return sorted(int(n) for n in nums if n.isdigit())


def _stem(segment: str) -> str:
    return segment.removesuffix(".parquet")


def segment_files(pdir: Path, segment: str) -> tuple[Path, Path, Path]:
    """The phrase, token and sketch files of a segment (the phrase file is written last)."""
    stem = _stem(segment)
    return (pdir / f"{stem}.{METHOD}.parquet", pdir / f"{stem}.{METHOD}.tokens.parquet",
            pdir / f"{stem}.{METHOD}.sketch.parquet")


def count_segment_to_files(segment_path: str, phrase_path: str, token_path: str, sketch_path: str) -> dict[str, Any]:
    """Count one segment and write its three files (runs in a worker process)."""
    t0 = time.perf_counter()
    counts = count_table(read_segment(segment_path))
    meta = {"method": METHOD, "docs": counts.docs, "tokens": counts.n_tokens, "min_docs": counts.min_docs,
            "epsilon": EPSILON, "max_n": MAX_N}
    tokens = counts.tokens.replace_schema_metadata({"policypulse": json.dumps(meta)})
    phrases = counts.phrases.replace_schema_metadata({"policypulse": json.dumps(meta)})
    _atomic_parquet(tokens, Path(token_path))
    _atomic_parquet(counts.sketches, Path(sketch_path))
    _atomic_parquet(phrases, Path(phrase_path))
    return {**meta, "rows": phrases.num_rows, "seconds": time.perf_counter() - t0}


def version_dir(pdir: Path, version: int) -> Path:
    """Directory of a version's merged phrase table."""
    return pdir / f"v{version}.{METHOD}"


@dataclass
class BuildReport:
    """What ``index_phrases`` did."""

    store_version: int
    segments: int
    segments_counted: int
    documents: int
    tokens: int
    phrases_kept: int
    rows: int
    seconds_counting: float
    seconds_merging: float
    directory: str
    built: bool
    per_segment: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON output)."""
        return {k: v for k, v in self.__dict__.items() if k != "per_segment"}


def index_phrases(store: Store, version: int | None = None, *, workers: int | None = None,
                  progress: Progress | None = None, force: bool = False) -> BuildReport:
    """Count every segment of ``version`` that has no phrase file yet, then merge the version's table.

    ``workers`` processes count segments in parallel (default: up to 2, one per core). Memory is bounded
    by one segment per worker plus DuckDB's merge, which spills to disk beyond its memory limit.
    """
    v = store.version if version is None else version
    info = store.version_info(v)
    pdir = phrase_dir(store)
    vdir = version_dir(pdir, v)
    segments = list(info["segments"])
    if (vdir / "meta.json").exists() and not force:
        meta = json.loads((vdir / "meta.json").read_text())
        return BuildReport(v, len(segments), 0, meta["documents"], meta["tokens"], meta["phrases"], meta["rows"],
                           0.0, 0.0, str(vdir), False)
    todo = [s for s in segments if force or not segment_files(pdir, s)[0].exists()]
    t0 = time.perf_counter()
    per_segment: list[dict[str, Any]] = []
    if todo:
        jobs = [(str(store.path / "segments" / s), *map(str, segment_files(pdir, s))) for s in todo]
        n_workers = max(1, min(workers or min(2, os.cpu_count() or 1), len(jobs)))
        rows = sum(int(store.manifest.segments.get(s, {}).get("rows", 0)) for s in todo)
        if workers is None and rows < PARALLEL_MIN_DOCS:  # starting worker processes costs seconds
            n_workers = 1
        if progress:
            progress(f"counting phrases in {len(jobs)} segment(s) with {n_workers} worker(s)")
        if n_workers == 1:
            for i, job in enumerate(jobs, 1):
                per_segment.append(count_segment_to_files(*job))
                if progress:
                    progress(f"segment {i}/{len(jobs)} counted")
        else:
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=get_context("spawn")) as pool:
                for i, res in enumerate(pool.map(count_segment_to_files, *zip(*jobs)), 1):
                    per_segment.append(res)
                    if progress:
                        progress(f"segment {i}/{len(jobs)} counted")
    t1 = time.perf_counter()
    if progress:
        progress("merging phrase statistics")
    meta = _merge(store, pdir, segments, vdir, v)
    t2 = time.perf_counter()
    return BuildReport(v, len(segments), len(todo), meta["documents"], meta["tokens"], meta["phrases"],
                       meta["rows"], t1 - t0, t2 - t1, str(vdir), True, per_segment)


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _count_folded(store: Store, segments: list[str], version: int, out: Path) -> int:
    """Phrase counts of the version's folded near-duplicates, negated, written to ``out``; how many.

    Segment files count every stored copy; the version's deduplicated numbers (the default everywhere)
    are those minus the copies folded into a representative. Folded documents are counted exactly (no
    pruning) so that subtracting them never removes more than the copy contributed.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    folded = store.folded(version)
    if folded.num_rows == 0:
        return 0
    hashes = folded.column("hash")
    parts = []
    for seg in segments:
        path = store.path / "segments" / seg
        mask = pc.is_in(pq.read_table(path, columns=["hash"]).column("hash"), value_set=hashes)
        if not pc.any(mask).as_py():
            continue
        table = read_segment(str(path), columns_extra=["hash"])
        table = table.filter(pc.is_in(table.column("hash"), value_set=hashes))
        parts.append(table)
    if not parts:
        return 0
    table = pa.concat_tables(parts)
    counts = count_table(table, min_docs=1).phrases
    neg = counts.set_column(counts.schema.get_field_index("docs"), "docs", pc.negate(counts.column("docs")))
    neg = neg.set_column(neg.schema.get_field_index("occ"), "occ", pc.negate(neg.column("occ")))
    pq.write_table(neg, out)
    return table.num_rows


def _merge(store: Store, pdir: Path, segments: list[str], vdir: Path, version: int) -> dict[str, Any]:
    """Merge the segment files of a version into its phrase table (DuckDB, spilling to disk)."""
    files = [segment_files(pdir, s) for s in segments]
    docs = tokens = 0
    for ph, *_ in files:
        m = json.loads(pq.read_schema(ph).metadata[b"policypulse"])
        docs += m["docs"]
        tokens += m["tokens"]
    tmp = pdir / f".v{version}.{METHOD}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()
    n_folded = _count_folded(store, segments, version, tmp / "folded.parquet") if segments else 0
    docs -= n_folded
    meta = {"method": METHOD, "store_version": version, "segments": segments, "documents": docs,
            "tokens": tokens, "min_docs": MIN_DOCS, "min_pmi": MIN_PMI, "min_g2": MIN_G2, "epsilon": EPSILON,
            "max_n": MAX_N, "software": __version__, "phrases": 0, "rows": 0, "folded": n_folded}
    try:
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        spill = tmp / "spill"
        spill.mkdir()
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET memory_limit = '2GB'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        if files:
            # folded near-duplicates enter as negative counts: sums are then the deduplicated counts
            ph_list = _sql_list([f[0] for f in files] + ([tmp / "folded.parquet"] if n_folded else []))
            tok_list = _sql_list([f[1] for f in files])
            N = max(tokens, 1)
            con.execute(f"CREATE TEMP TABLE tok AS SELECT token, sum(occ)::DOUBLE AS occ FROM read_parquet({tok_list}) "
                        "GROUP BY token")
            con.execute(f"COPY (SELECT period, precision, sum(docs)::BIGINT AS docs FROM read_parquet({ph_list}) "
                        f"WHERE n = 0 GROUP BY ALL HAVING sum(docs) > 0 ORDER BY ALL) "
                        f"TO '{tmp / 'totals.parquet'}' (FORMAT parquet)")
            con.execute(f"CREATE TEMP TABLE tot AS SELECT phrase, min(n)::TINYINT AS n, sum(docs)::BIGINT AS docs, "
                        f"sum(occ)::BIGINT AS occ FROM read_parquet({ph_list}) WHERE n > 0 GROUP BY phrase "
                        f"HAVING sum(docs) >= {MIN_DOCS}")
            # Expected occurrences of each multi-token phrase under independence: for every binary split whose
            # two parts are counted (a token, or a phrase kept above), occ(left) * occ(right) / N; the weakest
            # split (largest expectation) is the test. Phrases with no counted split (stopwords at the split:
            # "alliance for progress") use the product of their tokens' probabilities.
            con.execute("CREATE TEMP TABLE look AS SELECT token AS part, occ FROM tok "
                        "UNION ALL SELECT phrase AS part, occ::DOUBLE FROM tot WHERE n > 1")
            con.execute(f"""CREATE TEMP TABLE expect AS
                WITH t AS (SELECT phrase, n, string_split(phrase, ' ') AS w FROM tot WHERE n > 1),
                sp AS (SELECT phrase, array_to_string(w[1:k], ' ') AS l, array_to_string(w[k+1:], ' ') AS r
                       FROM t, range(1, {MAX_N}) s(k) WHERE k < n),
                es AS (SELECT sp.phrase, max(a.occ * b.occ / {N}) AS e FROM sp JOIN look a ON a.part = sp.l
                       JOIN look b ON b.part = sp.r GROUP BY sp.phrase),
                ei AS (SELECT phrase, exp(sum(ln(tok.occ / {N}))) * {N} AS e
                       FROM (SELECT phrase, unnest(w) AS token FROM t) JOIN tok USING (token) GROUP BY phrase)
                SELECT ei.phrase, coalesce(es.e, ei.e) AS e FROM ei LEFT JOIN es USING (phrase)""")
            con.execute(f"""CREATE TEMP TABLE kept AS
                SELECT row_number() OVER (ORDER BY phrase)::INTEGER - 1 AS phrase_id, phrase, n, docs, occ,
                       CASE WHEN n > 1 THEN ln(occ / e) END AS pmi,
                       CASE WHEN n > 1 THEN 2 * (occ * ln(occ / e) - (occ - e)) END AS g2
                FROM tot LEFT JOIN expect USING (phrase)
                WHERE n = 1 OR (ln(occ / e) >= {MIN_PMI} AND 2 * (occ * ln(occ / e) - (occ - e)) >= {MIN_G2})""")
            con.execute(f"COPY (SELECT * FROM kept ORDER BY phrase_id) TO '{tmp / 'phrases.parquet'}' "
                        "(FORMAT parquet, COMPRESSION zstd)")
            con.execute(f"""COPY (SELECT k.phrase_id, c.period, c.precision, sum(c.docs)::INTEGER AS docs,
                                  greatest(sum(c.occ), 0)::INTEGER AS occ
                           FROM read_parquet({ph_list}) c JOIN kept k USING (phrase)
                           GROUP BY ALL HAVING sum(c.docs) > 0 ORDER BY k.phrase_id, c.period, c.precision)
                        TO '{tmp / 'counts.parquet'}' (FORMAT parquet, COMPRESSION zstd)""")
            meta["phrases"] = int(con.execute("SELECT count(*) FROM kept").fetchone()[0])  # type: ignore[index]
            kept_phrases = pq.read_table(tmp / "phrases.parquet", columns=["phrase"]).column("phrase").to_pandas()
            sketch, props = _merge_sketches([f[2] for f in files], kept_phrases)
            np.save(tmp / "sketch.npy", sketch)
            np.save(tmp / "props.npy", props)
            meta["rows"] = pq.read_metadata(tmp / "counts.parquet").num_rows
        else:
            _empty_tables(tmp)
            np.save(tmp / "sketch.npy", np.zeros((0, DIM), dtype=np.float32))
            np.save(tmp / "props.npy", np.zeros((0, len(PROPS_COLUMNS)), dtype=np.int64))
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        (tmp / "folded.parquet").unlink(missing_ok=True)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, vdir)
        except OSError:  # another process finished the same merge first: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return meta


def _merge_sketches(paths: list[Path], phrases: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sum the segments' sketches and phrase props of each kept phrase (row = phrase_id)."""
    index = pd.Index(phrases)
    out = np.zeros((len(index), DIM), dtype=np.float64)
    props = np.zeros((len(index), len(PROPS_COLUMNS)), dtype=np.int64)
    for path in paths:
        t = pq.read_table(path)
        if t.num_rows == 0:
            continue
        rows = index.get_indexer(t.column("phrase").to_pandas())
        ok = rows >= 0
        vec = t.column("vec").combine_chunks().flatten().to_numpy().reshape(-1, DIM)
        np.add.at(out, rows[ok], vec[ok])
        if all(c in t.column_names for c in PROPS_COLUMNS):
            cols = np.column_stack([t.column(c).to_numpy() for c in PROPS_COLUMNS]).astype(np.int64)
            np.add.at(props, rows[ok], cols[ok])
    return out.astype(np.float32), props


def _empty_tables(tmp: Path) -> None:
    import pyarrow as pa

    pq.write_table(pa.table({"phrase_id": pa.array([], pa.int32()), "phrase": pa.array([], pa.string()),
                             "n": pa.array([], pa.int8()), "docs": pa.array([], pa.int64()),
                             "occ": pa.array([], pa.int64()), "pmi": pa.array([], pa.float64()),
                             "g2": pa.array([], pa.float64())}), tmp / "phrases.parquet")
    pq.write_table(pa.table({"phrase_id": pa.array([], pa.int32()), "period": pa.array([], pa.date32()),
                             "precision": pa.array([], pa.string()), "docs": pa.array([], pa.int32()),
                             "occ": pa.array([], pa.int32())}), tmp / "counts.parquet")
    pq.write_table(pa.table({"period": pa.array([], pa.date32()), "precision": pa.array([], pa.string()),
                             "docs": pa.array([], pa.int64())}), tmp / "totals.parquet")


@dataclass
class Grid:
    """Every kept phrase's counts on one period grid (a sparse phrase x period matrix) and the exposure."""

    by: str
    periods: pd.DatetimeIndex
    exposure: np.ndarray  # total_docs per period (0 = coverage gap)
    docs: Any  # scipy.sparse.csr_matrix, phrases x periods
    occ: Any

    def series(self, phrase_id: int) -> pd.DataFrame:
        """One phrase's timeline: period, docs, mentions, total_docs (the lifecycle input)."""
        return pd.DataFrame({"period": self.periods,
                             "docs": self.docs[phrase_id].toarray().ravel().astype(np.int64),
                             "mentions": self.occ[phrase_id].toarray().ravel().astype(np.int64),
                             "total_docs": self.exposure})

    def dense(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Docs and mentions of several phrases as dense arrays (len(ids) x periods)."""
        return self.docs[ids].toarray().astype(np.int64), self.occ[ids].toarray().astype(np.int64)


class PhraseIndex:
    """The phrase statistics of one store version, built on first use."""

    def __init__(self, corpus: Any, *, progress: Progress | None = None) -> None:
        self.corpus = corpus
        store: Store = corpus.store
        pdir = phrase_dir(store)
        self.dir = version_dir(pdir, corpus.version)
        if not (self.dir / "meta.json").exists():
            if progress:
                progress("building phrase statistics (first use; 'policypulse index-phrases STORE' does this ahead)")
            index_phrases(store, corpus.version, progress=progress)
        self.meta: dict[str, Any] = json.loads((self.dir / "meta.json").read_text())
        self.phrases: pd.DataFrame = pd.read_parquet(self.dir / "phrases.parquet")
        self._ids: dict[str, int] | None = None
        self._grids: dict[str, Grid] = {}
        self._by_token: dict[str, np.ndarray] | None = None
        self._sketch: np.ndarray | None = None
        self._props: pd.DataFrame | None = None

    def phrase_id(self, phrase: str) -> int | None:
        """The id of a phrase (casefolded, single-spaced tokens), None if it is not a kept phrase."""
        if self._ids is None:
            self._ids = dict(zip(self.phrases["phrase"], self.phrases["phrase_id"]))
        pid = self._ids.get(phrase)
        return None if pid is None else int(pid)

    @property
    def props(self) -> pd.DataFrame:
        """Phrase props per phrase_id (ngrams.PROPS_COLUMNS plus docs; zeros where a phrase has no sketch)."""
        if self._props is None:
            path = self.dir / "props.npy"
            arr = np.load(path) if path.exists() else None
            if arr is None or arr.shape != (len(self.phrases), len(PROPS_COLUMNS)):  # none kept: nothing known
                arr = np.zeros((len(self.phrases), len(PROPS_COLUMNS)), np.int64)
            self._props = pd.DataFrame(arr, columns=list(PROPS_COLUMNS))
        return self._props

    @property
    def sketches(self) -> np.ndarray:
        """Context sketch of every phrase (rows by phrase_id; zeros where a phrase has none)."""
        if self._sketch is None:
            self._sketch = np.load(self.dir / "sketch.npy")
        return self._sketch

    def superphrases(self, phrase_id: int) -> np.ndarray:
        """Ids of the kept phrases that contain phrase ``phrase_id`` as a contiguous part (longer ones)."""
        if self._by_token is None:
            multi = self.phrases[self.phrases["n"] > 1]
            toks = multi["phrase"].str.split(" ").explode()
            ids = multi["phrase_id"].to_numpy()[np.repeat(np.arange(len(multi)), multi["n"].to_numpy())]
            frame = pd.DataFrame({"token": toks.to_numpy(), "id": ids}).drop_duplicates()
            self._by_token = {t: g.to_numpy() for t, g in frame.groupby("token", sort=False)["id"]}
        words = self.phrases["phrase"].iat[phrase_id].split(" ")
        found: np.ndarray | None = None
        kinds = getattr(self, "_kinds", None)  # set by common.idea_mask once the kinds are known
        why = kinds[1] if kinds is not None else None
        for w in set(words):
            ids = self._by_token.get(w, np.empty(0, dtype=np.int64))
            found = ids if found is None else np.intersect1d(found, ids)
        if found is None or not found.size:
            return np.empty(0, dtype=np.int64)
        n = len(words)
        text = " " + " ".join(words) + " "
        ph = self.phrases["phrase"].to_numpy()
        nn = self.phrases["n"].to_numpy()
        # a phrase that crosses a sentence end (once kinds are known) is no phrase of the text: it contains
        # no name and makes nothing a fragment ("doakes jane" of "Jane Doakes. Jane ...")
        return np.array([i for i in found if nn[i] > n and text in " " + ph[i] + " "
                         and (why is None or not why[i].startswith("crosses"))], dtype=np.int64)

    def is_fragment(self, phrase_id: int, counts: np.ndarray, share: float) -> bool:
        """True when the phrase is a piece of a longer name, by ``counts`` (per id; documents):

        - a longer kept phrase holds at least ``share`` of its counts ("living wage" in "national living
          wage"), or the phrases one token longer hold that share together while one of them holds half
          ("pell" in "pell grant" and "pell grants");
        - it starts inside a name: its words but the last are nearly always (``share``) preceded by the same
          word ("child left behind act": "child left behind" is "no child left behind");
        - it ends inside a name, cut by the longest phrase kept: a kept tail of it (its last words) is nearly
          always (``share`` of the tail's documents in the whole corpus) followed by the same word ("thanks to the clean": "clean" is nearly always "clean rivers";
          "permanent court of international": "court of international" is "... justice").
        """
        sup = self.superphrases(phrase_id)
        c = counts[phrase_id]
        if sup.size:
            if (counts[sup] >= share * c).any():
                return True
            nn = self.phrases["n"].to_numpy()
            nxt = sup[nn[sup] == nn[phrase_id] + 1]
            if nxt.size and counts[nxt].sum() >= share * c and counts[nxt].max() >= 0.5 * c:
                return True
        words = self.phrases["phrase"].iat[phrase_id].split(" ")
        if len(words) < 2:
            return False
        head = self.phrase_id(" ".join(words[:-1]))
        ph = self.phrases["phrase"].to_numpy()
        if head is not None and counts[head] > 0:
            for q in self.superphrases(head):
                qw = ph[q].split(" ")
                if len(qw) == len(words) and qw[1:] == words[:-1] and counts[q] >= share * counts[head]:
                    return True
        # judged on the whole corpus (a window's few documents would cut "no child left behind" from its
        # "act", said after it in 5 of its 7 addresses, but in every one of a decade's)
        total = self.phrases["docs"].to_numpy()
        for k in range(1, len(words)):
            tail = self.phrase_id(" ".join(words[k:]))
            if tail is None or counts[tail] <= 0:
                continue
            for q in self.superphrases(tail):
                qw = ph[q].split(" ")
                if len(qw) == len(words) - k + 1 and qw[:-1] == words[k:] and total[q] >= share * total[tail]:
                    return True
        return False

    def grid(self, by: str) -> Grid:
        """Counts of every kept phrase per ``by`` period, on the corpus's zero-filled period grid."""
        if by not in GRID_PERIODS:
            raise UsageError(f"phrase statistics are kept per month; use --by {', '.join(GRID_PERIODS)} "
                             f"(not {by!r})")
        if by in self._grids:
            return self._grids[by]
        import pyarrow as pa
        import pyarrow.compute as pc
        from scipy import sparse

        size = {"month": 1, "quarter": 3, "year": 12}[by]
        precisions = ["month", "year"] if by == "year" else ["month"]

        def ordinals(table: Any) -> tuple[np.ndarray, np.ndarray]:
            keep = pc.is_in(table.column("precision"), value_set=pa.array(precisions)).to_numpy(zero_copy_only=False)
            days = table.column("period").to_numpy().astype("datetime64[D]")
            return keep, days.astype("datetime64[M]").astype(np.int64) // size

        totals = pq.read_table(self.dir / "totals.parquet")
        if totals.num_rows == 0:
            raise UsageError("the store has no dated documents to discover phrases in")
        keep_t, ord_t = ordinals(totals)
        if not keep_t.any():
            raise UsageError("the store has no documents dated finely enough for --by " + by)
        ord_t, docs_t = ord_t[keep_t], totals.column("docs").to_numpy()[keep_t]
        first, last = int(ord_t.min()), int(ord_t.max())
        n_periods = last - first + 1
        exposure = np.bincount(ord_t - first, weights=docs_t, minlength=n_periods).astype(np.int64)
        # microseconds: nanoseconds end in 1677 and 2262 (and numpy wraps past that without a word)
        periods = pd.DatetimeIndex((np.arange(first, last + 1) * size).astype("datetime64[M]").astype("datetime64[us]"))
        counts = pq.read_table(self.dir / "counts.parquet")
        keep_c, ord_c = ordinals(counts)
        row = counts.column("phrase_id").to_numpy().astype(np.int64)[keep_c]
        col = ord_c[keep_c] - first
        shape = (len(self.phrases), n_periods)
        docs = sparse.csr_matrix((counts.column("docs").to_numpy()[keep_c].astype(np.int64), (row, col)), shape=shape)
        occ = sparse.csr_matrix((counts.column("occ").to_numpy()[keep_c].astype(np.int64), (row, col)), shape=shape)
        grid = Grid(by, periods, exposure, docs, occ)
        self._grids[by] = grid
        return grid
