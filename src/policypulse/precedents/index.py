"""The passage index: a tantivy (BM25) index of every passage, kept in the store beside the segments.

Layout::

    STORE/passages/state.json      which store segments the index holds (the index's own manifest)
    STORE/passages/tantivy/        the tantivy index: one document per passage
    STORE/passages/dense/SEG.npz   optional: MiniLM vectors of a segment's passages (float16), in pid order
    STORE/passages/.lock           flock held by the one process updating the index

**Two commit points.** The store commits by replacing ``manifest.json``; tantivy commits by replacing its
own ``meta.json``. They cannot be made one atomic step, so the index is reconciled instead: it is built
segment by segment, each segment in one tantivy commit, and only *after* that commit is the segment
recorded in ``state.json`` (atomically replaced). On open, every segment of the queried store version
that ``state.json`` does not list is (re)indexed: first its passages are deleted by term (a crash between
the tantivy commit and the state write leaves them committed but unrecorded), then added again and
committed, then recorded. A killed build therefore never leaves a segment half-indexed or doubled, and
a rerun completes it. Queries are filtered to the segments of the version being queried, so an index that
already holds a newer ingest's segments still answers an older version exactly.

Readers take no lock: they read ``state.json`` and tantivy's last commit, both replaced atomically.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from policypulse.corpus.store import Store, atomic_write_bytes
from policypulse.errors import MissingExtraError, StoreError
from policypulse.precedents import passages as splitter

INDEX_DIR = "passages"
STATE = "state.json"
FORMAT = "policypulse-passages"
# Bump when the schema, the tokenizer or the splitter changes: an index of another version is rebuilt.
# 2: dates as proleptic Gregorian day numbers (tantivy's date fields hold only the years 1677 to 2262).
INDEX_VERSION = 2
TOKENIZER = "en_stem"  # tantivy's simple tokenizer + remove_long(40) + lowercase + English Snowball stemmer

# Query terms that carry no meaning of their own (a short English list; BM25's IDF discounts the rest).
STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
    "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself",
    "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
    "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "yourselves", "new",
})
MAX_QUERY_TERMS = 64
# British and American spellings of one word share no term: "programme" is in 14 of the SOTU's 30,692
# passages and "program" in 1,533, so a description written in British English gave its rarest, heaviest
# term to 14 passages that happen to use it, and "labour", "defence" matched nothing at all. Each rule maps
# a word's ending both ways; the corpus decides which form the query uses (``PassageIndex.corpus_spelling``).
SPELLING_RATIO = 10
_SPELLING_RULES = (("amme", "am"), ("ammes", "ams"), ("our", "or"), ("ours", "ors"), ("oured", "ored"),
                   ("ouring", "oring"), ("ence", "ense"), ("ences", "enses"), ("tre", "ter"), ("tres", "ters"),
                   ("ise", "ize"), ("ised", "ized"), ("ises", "izes"), ("ising", "izing"), ("isation", "ization"),
                   ("isations", "izations"), ("iser", "izer"), ("isers", "izers"), ("yse", "yze"), ("ysed", "yzed"), ("elled", "eled"),
                   ("elling", "eling"), ("ogue", "og"), ("ogues", "ogs"))
_WORD_RE = re.compile(r"[^\W_]+")


def spelling_variants(word: str) -> list[str]:
    """Other spellings of a casefolded word by the British/American ending rules (not the word itself)."""
    out = []
    for brit, amer in _SPELLING_RULES:
        for a, b in ((brit, amer), (amer, brit)):
            if word.endswith(a) and len(word) - len(a) >= 2:
                out.append(word[: len(word) - len(a)] + b)
    return [w for w in dict.fromkeys(out) if w != word]
DENSE_PREVIOUS = "dense-previous"  # vectors of an index being rebuilt, reused by passage text
_STOP_STEMS: frozenset[str] | None = None


def _analyzer() -> Any:
    """The same analysis as tantivy's built-in ``en_stem`` tokenizer, for building query terms."""
    from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40)).filter(Filter.lowercase())
            .filter(Filter.stemmer("english")).build())


def _tantivy() -> Any:
    try:
        import tantivy
    except ImportError:
        raise MissingExtraError("precedents need the tantivy package: pip install tantivy") from None
    return tantivy


def _schema() -> Any:
    tantivy = _tantivy()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("text", stored=True, tokenizer_name=TOKENIZER, index_option="freq")
    sb.add_text_field("seg", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("key", stored=False, tokenizer_name="raw", index_option="basic")  # "seg#pid"
    sb.add_integer_field("pid", stored=True, indexed=False)
    sb.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    # Dates as day numbers (date.toordinal()), not tantivy dates: those are nanoseconds and end in 1677 and 2262,
    # and a store holds any date from year 1 to 9999.
    sb.add_integer_field("date", stored=True, indexed=False)
    sb.add_integer_field("date_end", stored=False, fast=True, indexed=True)  # last day the date can mean
    sb.add_text_field("date_precision", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("date_source", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("source", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("ordinal", stored=True, indexed=False)
    sb.add_integer_field("start", stored=True, indexed=False)
    return sb.build()


def date_end(date: dt.date, precision: str) -> dt.date:
    """The last day a date of the given precision can mean (a month-dated article may be from its 31st)."""
    if precision == "year":
        return dt.date(date.year, 12, 31)
    if precision == "month":
        nxt = dt.date(date.year + (date.month == 12), date.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return date




@dataclass
class Hit:
    """One passage found by a search."""

    seg: str
    pid: int
    doc_id: str
    date: dt.date
    date_precision: str
    date_source: str
    source: str
    title: str
    ordinal: int
    text: str
    bm25: float | None = None
    cosine: float | None = None
    score: float = 0.0


@dataclass
class BuildReport:
    """What one reconcile did."""

    segments_indexed: int = 0
    documents: int = 0
    passages: int = 0
    dense_segments: int = 0
    passages_embedded: int = 0
    seconds: float = 0.0


def iter_segment_passages(path: Path, batch_rows: int = 2000) -> Iterator[dict[str, Any]]:
    """Every passage of one segment file, in pid order (the order dense vectors are stored in)."""
    pf = pq.ParquetFile(path)
    cols = ["doc_id", "date", "date_precision", "date_source", "source", "title", "text"]
    pid = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=cols):
        rows = batch.to_pydict()
        for i in range(batch.num_rows):
            text = rows["text"][i] or ""
            for p in splitter.split_passages(text):
                yield {"pid": pid, "doc_id": rows["doc_id"][i], "date": rows["date"][i],
                       "date_precision": rows["date_precision"][i], "date_source": rows["date_source"][i],
                       "source": rows["source"][i], "title": rows["title"][i] or "", "ordinal": p.ordinal,
                       "start": p.start, "text": text[p.start:p.end]}
                pid += 1


def _years_of_ordinals(days: np.ndarray) -> np.ndarray:
    """Calendar years of proleptic Gregorian day numbers (``date.toordinal()``), vectorised."""
    uniq, inv = np.unique(days, return_inverse=True)
    return np.array([dt.date.fromordinal(int(d)).year for d in uniq], dtype=np.int64)[inv]


def top_cosines(parts: list[tuple[str, np.ndarray]], sims: np.ndarray, limit: int) -> list[tuple[str, int, float]]:
    """The ``limit`` best of ``PassageIndex.dense_cosines``' answer, as (segment, pid, cosine), best first."""
    if not len(sims):
        return []
    k = min(limit, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.lexsort((top, -sims[top]))]
    offsets = np.cumsum([0] + [len(p) for _s, p in parts])
    out = []
    for i in top:
        j = int(np.searchsorted(offsets, i, side="right") - 1)
        seg, pids = parts[j]
        out.append((seg, int(pids[i - offsets[j]]), float(sims[i])))
    return out


def passage_keys(texts: list[str]) -> np.ndarray:
    """64-bit keys of passage texts (BLAKE2b): what a stored vector was computed from."""
    import hashlib

    return np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                    "little") for t in texts], dtype=np.uint64)


class PassageIndex:
    """The passage index of one store (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.root = store.path / INDEX_DIR
        self._index: Any = None
        self._schema: Any = None
        self._analyzer: Any = None
        self._token_cache: dict[str, list[str]] = {}

    # -- state -----------------------------------------------------------------------------------
    def _fresh_state(self) -> dict[str, Any]:
        return {"format": FORMAT, "index_version": INDEX_VERSION, "tokenizer": TOKENIZER,
                "splitter": {"min_words": splitter.MIN_WORDS, "target_words": splitter.TARGET_WORDS,
                             "max_words": splitter.MAX_WORDS},
                "segments": {}, "dense": {}}

    def state(self) -> dict[str, Any]:
        """The index's manifest (an empty one when there is no index yet or it is of another version)."""
        try:
            body = json.loads((self.root / STATE).read_bytes())
        except (OSError, ValueError):
            return self._fresh_state()
        fresh = self._fresh_state()
        if any(body.get(k) != fresh[k] for k in ("format", "index_version", "tokenizer", "splitter")):
            return fresh
        return body

    def _write_state(self, state: dict[str, Any]) -> None:
        atomic_write_bytes(self.root / STATE, json.dumps(state, indent=1, sort_keys=True).encode())

    def missing(self, version: int | None = None, *, dense: bool = False) -> list[str]:
        """Segments of ``version`` that the index (or its dense part) does not hold yet."""
        state = self.state()
        have = state["dense"] if dense else state["segments"]
        return [p.name for p in self.store.segment_paths(version) if p.name not in have]

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # wait for another process finishing the same work
            yield

    # -- tantivy ---------------------------------------------------------------------------------
    def _open(self, create: bool = False) -> Any:
        tantivy = _tantivy()
        path = self.root / "tantivy"
        if self._index is None:
            if not path.exists():
                if not create:
                    return None
                path.mkdir(parents=True)
            self._schema = _schema()
            self._index = tantivy.Index(self._schema, str(path), reuse=True)
        return self._index

    # -- building --------------------------------------------------------------------------------
    def ensure(self, version: int | None = None, *, dense: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> BuildReport:
        """Index every segment of ``version`` the index lacks (and their dense vectors if ``dense``)."""
        report = BuildReport()
        if not self.missing(version) and not (dense and self.missing(version, dense=True)):
            return report
        t0 = time.perf_counter()
        try:
            with self._lock():
                state = self.state()
                if not (self.root / STATE).exists() or state != self._read_raw_state():
                    # No index, or one built by another release: start again from nothing.
                    shutil.rmtree(self.root / "tantivy", ignore_errors=True)
                    # Dense vectors are kept aside, not deleted: they depend only on a passage's text, and
                    # the rebuild reuses those whose text is unchanged (minutes of CPU per 10,000 passages).
                    if (self.root / "dense").is_dir():
                        shutil.rmtree(self.root / DENSE_PREVIOUS, ignore_errors=True)
                        os.replace(self.root / "dense", self.root / DENSE_PREVIOUS)
                    self._index = None
                    state = self._fresh_state()
                    self._write_state(state)
                todo = [p for p in self.store.segment_paths(version) if p.name not in state["segments"]]
                if todo:
                    self._index_segments(todo, state, report, progress)
                if dense:
                    todo_dense = [p for p in self.store.segment_paths(version) if p.name not in state["dense"]]
                    if todo_dense:
                        self._embed_segments(todo_dense, state, report, progress)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write the passage index ({exc.strerror or exc})") from None
        report.seconds = time.perf_counter() - t0
        return report

    def _read_raw_state(self) -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = json.loads((self.root / STATE).read_bytes())
            return body
        except (OSError, ValueError):
            return None

    def _index_segments(self, todo: list[Path], state: dict[str, Any], report: BuildReport,
                        progress: Callable[[str, int, int], None] | None) -> None:
        tantivy = _tantivy()
        index = self._open(create=True)
        writer = index.writer(heap_size=256_000_000, num_threads=min(2, os.cpu_count() or 1))
        try:
            for n, path in enumerate(todo):
                if progress:
                    progress("index", n, len(todo))
                name = path.name
                writer.delete_documents_by_term("seg", name)  # leftovers of a build killed after commit
                docs, count = set(), 0
                for p in iter_segment_passages(path):
                    d = p["date"]
                    writer.add_document(tantivy.Document(
                        text=p["text"], seg=name, key=f"{name}#{p['pid']}", pid=p["pid"], doc_id=p["doc_id"],
                        date=d.toordinal(), date_end=date_end(d, p["date_precision"]).toordinal(),
                        date_precision=p["date_precision"], date_source=p["date_source"], source=p["source"],
                        title=p["title"], ordinal=p["ordinal"], start=p["start"]))
                    docs.add(p["doc_id"])
                    count += 1
                writer.commit()
                state["segments"][name] = {"passages": count, "documents": len(docs)}
                self._write_state(state)  # the second commit point: after tantivy's
                report.segments_indexed += 1
                report.passages += count
                report.documents += len(docs)
            writer.wait_merging_threads()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        if progress:
            progress("index", len(todo), len(todo))
        index.reload()

    def _embed_segments(self, todo: list[Path], state: dict[str, Any], report: BuildReport,
                        progress: Callable[[str, int, int], None] | None) -> None:
        from policypulse.precedents import dense

        enc = dense.encoder()
        out_dir = self.root / "dense"
        out_dir.mkdir(exist_ok=True)
        for n, path in enumerate(todo):
            if progress:
                progress("embed", n, len(todo))
            rows = list(iter_segment_passages(path))
            keys = passage_keys([r["text"] for r in rows])
            vecs = np.zeros((len(rows), dense.DIM), np.float16)
            # Embedding is the cost (minutes per 10,000 passages): a passage whose text was embedded before
            # (the same segment in an index rebuilt for another reason) takes its stored vector.
            known = self._previous_vectors(path.name)
            todo_rows = [i for i, k in enumerate(keys) if int(k) not in known]
            for i, k in enumerate(keys):
                if int(k) in known:
                    vecs[i] = known[int(k)]
            if todo_rows:
                vecs[todo_rows] = enc.encode([rows[i]["text"] for i in todo_rows]).astype(np.float16)
            ends = np.array([date_end(r["date"], r["date_precision"]).toordinal() for r in rows], dtype=np.int32)
            fallback = np.array([r["date_source"] == "fallback" for r in rows], dtype=bool)
            tmp = out_dir / (path.name + ".tmp.npz")
            np.savez(tmp, vectors=vecs, date_end=ends, fallback=fallback, keys=keys)
            os.replace(tmp, out_dir / (path.name + ".npz"))
            state["dense"][path.name] = {"model": dense.MODEL_NAME, "passages": len(rows),
                                         "embedded": len(todo_rows)}
            self._write_state(state)
            with contextlib.suppress(OSError):
                (self.root / DENSE_PREVIOUS / (path.name + ".npz")).unlink()
            report.dense_segments += 1
            report.passages_embedded += len(todo_rows)
        if progress:
            progress("embed", len(todo), len(todo))

    def _previous_vectors(self, segment: str) -> dict[int, np.ndarray]:
        """Vectors of a segment kept from before an index rebuild, by passage key (empty when none)."""
        path = self.root / DENSE_PREVIOUS / (segment + ".npz")
        try:
            with np.load(path) as z:
                if "keys" not in z.files:
                    return {}
                return dict(zip((int(k) for k in z["keys"]), z["vectors"]))
        except (OSError, ValueError):
            return {}

    # -- searching -------------------------------------------------------------------------------
    def query_terms(self, text: str) -> list[tuple[str, int]]:
        """The stemmed query terms of ``text`` (stopwords out) with their counts, in first-seen order."""
        if self._analyzer is None:
            self._analyzer = _analyzer()
        counts: dict[str, int] = {}
        global _STOP_STEMS
        if _STOP_STEMS is None:
            _STOP_STEMS = frozenset({t for w in STOPWORDS for t in self._analyzer.analyze(w)} | STOPWORDS)
        stop = _STOP_STEMS
        words = [self.corpus_spelling(w) for w in _WORD_RE.findall(text.casefold())]
        for tok in self._analyzer.analyze(" ".join(words)):
            if tok not in stop and len(tok) > 1:
                counts[tok] = counts.get(tok, 0) + 1
        return list(counts.items())

    def corpus_spelling(self, word: str) -> str:
        """``word`` as the corpus spells it: its British or American variant when the corpus never uses the word
        or uses the variant in at least ``SPELLING_RATIO`` times as many passages ("programme" asked of a U.S.
        corpus is "program")."""
        variants = spelling_variants(word)
        index = self._open() if variants else None
        if index is None:
            return word
        if self._analyzer is None:
            self._analyzer = _analyzer()
        searcher = index.searcher()

        def df(w: str) -> int:
            stems = list(self._analyzer.analyze(w))
            return int(searcher.doc_freq("text", stems[0])) if len(stems) == 1 else 0

        own = df(word)
        best, best_df = word, own
        for v in variants:
            n = df(v)
            if n > best_df:
                best, best_df = v, n
        return best if best_df >= SPELLING_RATIO * own else word

    def weighted_terms(self, text: str) -> list[tuple[str, int, float]]:
        """The query's terms as (stemmed term, count in the query, weight = idf x query weight).

        Terms absent from the index are dropped; a long description keeps its ``MAX_QUERY_TERMS`` most
        specific (highest-idf) terms.
        """
        index = self._open()
        if index is None:
            return []
        index.reload()
        searcher = index.searcher()
        n_docs = max(searcher.num_docs, 1)
        out = []
        for term, count in self.query_terms(text):
            df = searcher.doc_freq("text", term)
            if df:
                idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                out.append((term, count, idf * (1.0 + math.log(count))))
        out.sort(key=lambda x: -x[2] / (1.0 + math.log(x[1])))
        return out[:MAX_QUERY_TERMS]

    def coverage(self, weighted: list[tuple[str, int, float]], text: str) -> float:
        """The share of the query's term weight that a passage contains (0..1)."""
        total = sum(w for _t, _c, w in weighted)
        if total <= 0:
            return 0.0
        if self._analyzer is None:
            self._analyzer = _analyzer()
        present = set(self._analyzer.analyze(text))
        return sum(w for t, _c, w in weighted if t in present) / total

    def _filters(self, version: int | None, before: dt.date | None, segs: list[str]) -> list[Any]:
        tantivy = _tantivy()
        schema = self._schema
        filters = []
        state = self.state()
        if set(state["segments"]) != set(segs):
            filters.append(tantivy.Query.term_set_query(schema, "seg", segs))
        if before is not None:
            filters.append(tantivy.Query.range_query(schema, "date_end", tantivy.FieldType.Integer, None,
                                                     before.toordinal(), include_upper=False))
        return filters

    def count(self, *, version: int | None = None, before: dt.date | None = None,
              include_fallback: bool = False) -> int:
        """Passages of one store version that a search with these filters considers (the family of tests)."""
        tantivy = _tantivy()
        index = self._open()
        segs = [p.name for p in self.store.segment_paths(version)]
        if index is None or not segs:
            return 0
        schema = self._schema
        clauses = [(tantivy.Occur.Must, tantivy.Query.all_query())]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0))
                    for f in self._filters(version, before, segs)]
        if before is not None and not include_fallback:
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "date_source", "fallback")))
        return int(index.searcher().search(tantivy.Query.boolean_query(clauses), 1, count=True).count)

    def era_frequencies(self, terms: list[str], eras: list[tuple[dt.date, dt.date]]) -> tuple[np.ndarray, np.ndarray]:
        """(passages per era, passages holding each term per era): arrays (E,) and (E, T), counted by tantivy
        over passages whose date range ends within [start, end) of each era."""
        tantivy = _tantivy()
        index = self._open()
        n = np.zeros(len(eras), dtype=np.int64)
        df = np.zeros((len(eras), len(terms)), dtype=np.int64)
        if index is None:
            return n, df
        searcher = index.searcher()
        schema = self._schema
        for e, (lo, hi) in enumerate(eras):
            rq = tantivy.Query.range_query(schema, "date_end", tantivy.FieldType.Integer, lo.toordinal(),
                                           hi.toordinal(), include_upper=False)  # day numbers (INDEX_VERSION 2)
            n[e] = searcher.search(rq, 1, count=True).count
            if n[e] == 0:
                continue
            for t, term in enumerate(terms):
                q = tantivy.Query.boolean_query([
                    (tantivy.Occur.Must, tantivy.Query.term_query(schema, "text", term, index_option="basic")),
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(rq, 0.0))])
                df[e, t] = searcher.search(q, 1, count=True).count
        return n, df

    def tokens(self, text: str) -> list[str]:
        """A passage's text as the index analyses it (the last few thousand kept: a query reads each pooled
        passage for its strength and again for a name)."""
        cache = self._token_cache
        toks = cache.get(text)
        if toks is None:
            if self._analyzer is None:
                self._analyzer = _analyzer()
            if len(cache) >= 4096:
                cache.clear()
            toks = cache[text] = list(self._analyzer.analyze(text))
        return toks

    def present_terms(self, terms: list[str], text: str) -> np.ndarray:
        """Which of the (stemmed) ``terms`` a passage's text contains."""
        present = set(self.tokens(text))
        return np.array([t in present for t in terms], dtype=bool)

    def phrase_tokens(self, text: str) -> list[str]:
        """A query as the index analyses it, stop words included and in order (the corpus's spelling)."""
        if self._analyzer is None:
            self._analyzer = _analyzer()
        words = [self.corpus_spelling(w) for w in _WORD_RE.findall(text.casefold())]
        return list(self._analyzer.analyze(" ".join(words)))

    def holds_phrase(self, phrase: list[str], text: str) -> bool:
        """True when ``text``, analysed, holds the analysed ``phrase`` as consecutive tokens."""
        if not phrase:
            return False
        tokens = self.tokens(text)
        k, first = len(phrase), phrase[0]
        return any(tokens[i:i + k] == phrase for i, tok in enumerate(tokens) if tok == first)

    def says_phrase(self, phrase: list[str], terms: list[str], *, version: int | None = None, limit: int = 200,
                    include_fallback: bool = False) -> bool:
        """True when a passage of ``version`` (any date) holding every one of ``terms`` says ``phrase``: the best
        ``limit`` such passages by BM25 are read, in order, until one does."""
        tantivy = _tantivy()
        index = self._open()
        segs = [p.name for p in self.store.segment_paths(version)]
        if index is None or not segs or not terms:
            return False
        schema = self._schema
        clauses = [(tantivy.Occur.Must, tantivy.Query.term_query(schema, "text", t, index_option="freq"))
                   for t in terms]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0))
                    for f in self._filters(version, None, segs)]
        if not include_fallback:
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "date_source", "fallback")))
        searcher = index.searcher()
        for _score, addr in searcher.search(tantivy.Query.boolean_query(clauses), limit, count=False).hits:
            if self.holds_phrase(phrase, (searcher.doc(addr).get_all("text") or [""])[0]):
                return True
        return False

    def lexical(self, text: str, *, version: int | None = None, before: dt.date | None = None,
                limit: int = 100, include_fallback: bool = False) -> list[Hit]:
        """The ``limit`` best passages by BM25 (tantivy), dated before ``before``, of one store version."""
        tantivy = _tantivy()
        index = self._open()
        segs = [p.name for p in self.store.segment_paths(version)]
        if index is None or not segs:
            return []
        schema = self._schema
        weighted = self.weighted_terms(text)
        if not weighted:
            return []
        clauses = []
        for term, count, _weight in weighted:
            q = tantivy.Query.term_query(schema, "text", term, index_option="freq")
            if count > 1:  # a term the description repeats weighs a little more
                q = tantivy.Query.boost_query(q, 1.0 + math.log(count))
            clauses.append((tantivy.Occur.Should, q))
        query = tantivy.Query.boolean_query(clauses)
        clauses2 = [(tantivy.Occur.Must, query)]
        clauses2 += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0))
                     for f in self._filters(version, before, segs)]
        if before is not None and not include_fallback:  # an invented date is not "before" anything
            clauses2.append((tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "date_source", "fallback")))
        if len(clauses2) > 1:
            query = tantivy.Query.boolean_query(clauses2)
        searcher = index.searcher()
        hits = []
        for score, addr in searcher.search(query, limit, count=False).hits:
            hit = self._hit(searcher.doc(addr))
            hit.bm25 = hit.score = float(score)
            hits.append(hit)
        return hits

    @staticmethod
    def _hit(doc: Any) -> Hit:
        def one(field: str, default: Any = None) -> Any:
            vals = doc.get_all(field)
            return vals[0] if vals else default

        date = one("date")
        return Hit(seg=one("seg"), pid=int(one("pid")), doc_id=one("doc_id"),
                   date=dt.date.fromordinal(int(date)),
                   date_precision=one("date_precision", "day"), date_source=one("date_source", "field"),
                   source=one("source", ""), title=one("title", ""), ordinal=int(one("ordinal", 0)),
                   text=one("text", ""))

    def fetch(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Hit]:
        """Passages by (segment, pid)."""
        tantivy = _tantivy()
        index = self._open()
        if index is None or not keys:
            return {}
        index.reload()
        searcher = index.searcher()
        query = tantivy.Query.term_set_query(self._schema, "key", [f"{s}#{p}" for s, p in keys])
        out = {}
        for _score, addr in searcher.search(query, len(keys), count=False).hits:
            hit = self._hit(searcher.doc(addr))
            out[(hit.seg, hit.pid)] = hit
        return out

    def has_dense(self, version: int | None = None) -> bool:
        """True when every segment of ``version`` has stored dense vectors."""
        return bool(self.store.segment_paths(version)) and not self.missing(version, dense=True)

    def dense_cosines(self, query_vec: np.ndarray, *, version: int | None = None, before: dt.date | None = None,
                      include_fallback: bool = False) -> tuple[list[tuple[str, np.ndarray]], np.ndarray, np.ndarray]:
        """Cosine of ``query_vec`` with every passage a search considers: ([(segment, pids)], years, cosines).

        Years are those of each passage's ``date_end`` (the same calendar year as its date at any precision).
        """
        q = query_vec.astype(np.float32)
        cut = before.toordinal() if before else None
        parts, years, sims = [], [], []
        for path in self.store.segment_paths(version):
            with np.load(self.root / "dense" / (path.name + ".npz")) as z:
                vecs, ends, fallback = z["vectors"], z["date_end"], z["fallback"]
            if not len(vecs):
                continue
            keep = np.ones(len(vecs), dtype=bool)
            if cut is not None:
                keep &= ends < cut
                if not include_fallback:
                    keep &= ~fallback
            pids = np.flatnonzero(keep)
            parts.append((path.name, pids))
            sims.append(vecs[pids].astype(np.float32) @ q)
            years.append(_years_of_ordinals(ends[pids]))
        if not sims:
            return [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return parts, np.concatenate(years), np.concatenate(sims)

    def dense_search(self, query_vec: np.ndarray, *, version: int | None = None, before: dt.date | None = None,
                     limit: int = 100, include_fallback: bool = False) -> list[tuple[str, int, float]]:
        """The ``limit`` passages most similar to ``query_vec`` (cosine), as (segment, pid, cosine)."""
        parts, _years, sims = self.dense_cosines(query_vec, version=version, before=before,
                                                 include_fallback=include_fallback)
        return top_cosines(parts, sims, limit)

    def num_passages(self) -> int:
        """Passages in the index (all segments it holds)."""
        index = self._open()
        if index is None:
            return 0
        index.reload()
        return int(index.searcher().num_docs)

    def size_bytes(self) -> int:
        """Bytes on disk of the whole passage index."""
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file()) if self.root.exists() else 0


def index_status(store: Store, version: int | None = None) -> dict[str, Any]:
    """Whether the passage index already answers ``version`` (no build needed); reads only, creates nothing.

    ``built`` is what ``PassageIndex.ensure`` checks before it would index anything: no segment of the
    version is missing from the index's state (and, for a version with documents, the tantivy directory
    is there). ``missing`` counts the segments an ``index-passages`` run would add.
    """
    index = PassageIndex(store)
    segments = store.segment_paths(version)
    missing = index.missing(version)
    built = not missing and (not segments or (index.root / "tantivy").is_dir())
    return {"built": built, "segments": len(segments), "missing": len(missing),
            "dense": bool(segments) and built and not index.missing(version, dense=True)}
