"""Finding precedents: the earlier passages that describe the same thing as a "new" initiative.

Ranking is BM25 over passages (tantivy); when the store has dense vectors (``index-passages --dense``) and
the model is installed, the BM25 list and the dense (cosine) list are fused by reciprocal rank fusion
(Cormack, Clarke & Buettcher 2009): ``score = sum over lists of 1 / (RRF_K + rank)``. A document is ranked
by its best passage. Only documents whose date *cannot* fall on or after ``before`` are considered (a
month-dated article is before 2014-02-01 only if the month ended before it), and with ``before`` given,
documents with a fallback (invented) date are left out.

Strength of a match is absolute, not relative to the other hits, and judged in the passage's own era
(``ERA_YEARS``): the share of the query's term weight that the passage contains, each term weighted by its
idf among the passages of that era (era-aware weights: "commerce" is common in 1795 and rare in 2015)
times its weight in the query. A strong match needs both

1. an effect large enough to be the same thing: strength at least ``STRONG`` (a passage holding under
   that share of the description's weight shares a topic, not a scheme; more for a short query: 1.5 / its
   number of terms, up to 0.75, so that one word of a three-word description is not a match), and
2. a strength improbable for a passage that shares words only at its era's rates, after the correction for
   looking in many places: under the era's null each query term is present independently with the share
   of the era's passages that hold it, the probability of reaching the passage's strength is computed
   exactly on a grid of ``NULL_BINS``, and it must be at most ``FAMILY_ALPHA`` divided by the number of
   passages the search looked at (every passage before the cut: any of them could have been the "earliest
   strong match", so the level is Bonferroni's over them, and the chance that any passage of any era is
   called strong by chance alone is at most ``FAMILY_ALPHA`` under the null).

A passage that holds every term of the description is strong whatever the null (short keywords are then
matched as asked; a long description is never held whole by chance). A short query that the corpus says as
a phrase is a name (``NAME_WORDS``), and a passage is a strong match for it only when it says it. Dense
vectors change the ranking only: no cosine rule measured on the SOTU made the earliest strong match better. A document is a strong
match when any of its pooled passages is. When no earlier passage is strong the answer is "no earlier
strong match", and the ranked list stays as it is (docs/methods.md, "Precedents"). The earliest strong match, the timeline of strong matches per year and the episodes of
re-announcement come from a pool of the best ``POOL`` passages, and the result says when that pool may have
cut the count short.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from policypulse.corpus.store import Store
from policypulse.errors import MissingExtraError, UsageError
from policypulse.options import as_date
from policypulse.precedents.index import Hit, PassageIndex, top_cosines


class Corpus(Protocol):
    """What precedents needs of an opened corpus (``api.Corpus`` is one): analyses never import the API."""

    store: Store
    version: int

    def provenance(self, **params: Any) -> dict[str, Any]:
        """What produced a result: store, version, engine, parameters, software version."""
        ...

RRF_K = 60
POOL = 500
ERA_YEARS = 10  # passages are judged against the vocabulary of their own decade
# The chance, under every era's null together, that any passage before the cut is called strong (Bonferroni
# over the passages searched).
FAMILY_ALPHA = 0.05
NULL_BINS = 400  # resolution of the null distribution of strength (share of weight, 0..1)
# Least share of the description's weight a strong passage holds. 0.45 was chosen on the tuning half of the
# SOTU reference programmes (bench/eval/sotu.yaml); 0.25 let passages that share a topic's common words in
# (a 1858 passage on schooling freed Africans for a preschool programme).
STRONG = 0.45
# A query of at most NAME_WORDS words that the corpus uses as a phrase (at any date) is a name: "peace corps",
# "war on poverty". A passage matches a name only when it says it, the words in order and together (stemmed:
# "charter school" is "charter schools"); holding them scattered in an 80-word passage made "peace" and "corps"
# the earliest strong match for "peace corps" in 1813 (a corps raised to keep the peace) and "social" and
# "security" one for "social security" in 1827. Short keywords the corpus never says together ("big society
# volunteers") are matched as before. NAME_POOL: the passages, any date, searched for the phrase.
NAME_WORDS = 6
NAME_POOL = 200
SNIPPET_CHARS = 400
RESULT_COLUMNS = ["doc_id", "date", "source", "score", "snippet"]


def snippet(text: str, width: int = SNIPPET_CHARS) -> str:
    """The passage on one line, cut at a word boundary near ``width`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat.rfind(" ", 0, width)
    return flat[:cut if cut > width // 2 else width].rstrip(" ,;:") + " ..."


@dataclass
class PrecedentsResult:
    """Precedents of a description: ranked documents, the earliest strong match, and a timeline."""

    query: str
    before: dt.date | None
    results: pd.DataFrame
    earliest: dict[str, Any] | None
    timeline: pd.DataFrame
    episodes: pd.DataFrame
    method: str
    pool_truncated: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    # Every pooled passage judged (doc_id, passage, date, score, strength, p_null, strong), best-ranked first:
    # what the earliest strong match and the timeline were read from (the bench's ceiling check uses it).
    pool: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def re_announcements(self) -> int:
        """Times the thing was described again after a silence (episodes after the first)."""
        return max(len(self.episodes) - 1, 0)

    def records(self) -> list[dict[str, Any]]:
        """The contract's JSON form: ``[{doc_id, date, source, score, snippet}]``, best first."""
        out = []
        for row in self.results[RESULT_COLUMNS].itertuples(index=False):
            out.append({"doc_id": row.doc_id, "date": row.date.isoformat(), "source": row.source,
                        "score": round(float(row.score), 6), "snippet": row.snippet})
        return out

    @property
    def summary(self) -> str:
        """The result in words."""
        cut = f" before {self.before.isoformat()}" if self.before else ""
        if self.results.empty:
            return f"No earlier passage{cut} shares this description's distinctive words."
        lines = []
        if self.earliest:
            e = self.earliest
            lines.append(f"Earliest strong match{cut}: {e['date']} ({e['source']}, document {e['doc_id']}).")
            n_docs = int(self.timeline["documents"].sum()) if not self.timeline.empty else 0
            more = "at least " if self.pool_truncated else ""
            docs = f"{more}{n_docs} document" + ("" if n_docs == 1 and not more else "s")
            if len(self.episodes) > 1:
                years = ", ".join(f"{r.start.year}" + (f"-{r.end.year}" if r.end.year != r.start.year else "")
                                  for r in self.episodes.itertuples())
                lines.append(f"Described in {docs} in {len(self.episodes)} separate episodes "
                             f"({years}): re-announced {_times(self.re_announcements)}.")
            else:
                lines.append(f"Described in {docs}, in one episode.")
        else:
            params = self.provenance.get("parameters", {})
            tested, floor = params.get("passages_tested"), params.get("strong")
            among = f"of the {tested:,} earlier passages " if tested else "earlier passage "
            share = f" ({100 * floor:.0f}% of its weight)" if floor else ""
            if params.get("name"):
                within = f" among the {tested:,} earlier passages" if tested else ""
                lines.append(f"No earlier strong match{cut}: no passage found{within} says this name (its words "
                             "together, in order).")
            else:
                lines.append(f"No earlier strong match{cut}: none {among}says most of what this description "
                             f"says{share} beyond what passages of its time share by chance.")
        lines.append(f"Ranking: {self.method}.")
        return " ".join(lines)

    def plot(self, path: str | None = None) -> Any:
        """A bar chart of strong matches per year (documents), saved to ``path`` if given."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3))
        if not self.timeline.empty:
            ax.bar(self.timeline["year"], self.timeline["documents"], color="#4c72b0", width=0.8)
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("year")
        ax.set_ylabel("documents describing it")
        ax.set_title("Precedents: " + (self.query[:60] + ("..." if len(self.query) > 60 else "")), fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        if path:
            fig.savefig(path, dpi=150)
            plt.close(fig)
        return fig


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _use_dense(index: PassageIndex, version: int, dense: bool | str) -> bool:
    from policypulse.precedents import dense as dense_mod

    if dense in (False, "no", "off", "never"):
        return False
    ready = index.has_dense(version)
    if dense in (True, "yes", "on", "always"):
        if not dense_mod.available():
            raise MissingExtraError(dense_mod.INSTALL_HINT)
        if not ready:
            raise UsageError("this store has no dense vectors yet; build them with "
                             "'policypulse index-passages STORE --dense'")
        return True
    if dense != "auto":
        raise UsageError(f"dense must be auto, True or False, got {dense!r}")
    return ready and dense_mod.available()


def fuse(lists: list[list[tuple[str, int]]], k: int = RRF_K) -> dict[tuple[str, int], float]:
    """Reciprocal rank fusion of ranked lists of passage keys."""
    scores: dict[tuple[str, int], float] = {}
    for ranked in lists:
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


def find_precedents(corpus: Corpus, text: str, before: str | dt.date | None = None, limit: int = 10, *,
                    dense: bool | str = "auto", gap_days: int = 365, strong: float | None = None,
                    include_fallback: bool = False, pool: int = POOL) -> PrecedentsResult:
    """The earlier documents whose passages best describe ``text``; see the module docstring."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("give the description of an initiative to look for (TEXT is empty)")
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    cut = as_date(before, "--before")
    index = PassageIndex(corpus.store)
    index.ensure(corpus.version)  # reconcile: index the version's segments the index lacks
    use_dense = _use_dense(index, corpus.version, dense)
    pool = max(pool, limit * 10)
    lex = index.lexical(text, version=corpus.version, before=cut, limit=pool, include_fallback=include_fallback)
    weighted = index.weighted_terms(text)
    if strong is None:  # a short query must be matched almost whole: one word of three is no match
        strong = max(STRONG, min(0.75, 1.5 / max(len(weighted), 1)))
    name = _name_phrase(index, text, corpus.version, include_fallback)
    hits: dict[tuple[str, int], Hit] = {(h.seg, h.pid): h for h in lex}
    if use_dense:
        import numpy as np

        from policypulse.precedents import dense as dense_mod

        qv = dense_mod.encoder().encode([text])[0]
        parts, _years, sims = index.dense_cosines(qv, version=corpus.version, before=cut,
                                                  include_fallback=include_fallback)
        dn = top_cosines(parts, sims, pool)  # the vectors are read once per query
        missing = [(seg, p) for seg, p, _c in dn if (seg, p) not in hits]
        hits.update(index.fetch(missing))
        fused = fuse([[(h.seg, h.pid) for h in lex], [(seg, p) for seg, p, _ in dn]])
        where = {seg: (n, pids) for n, (seg, pids) in enumerate(parts)}
        offsets = np.cumsum([0] + [len(p) for _s, p in parts])
        for key, h in hits.items():
            seg_pids = where.get(key[0])
            if seg_pids is not None:  # the cosine of every pooled passage, found by binary search (pids ascend)
                n, pids = seg_pids
                i = int(np.searchsorted(pids, key[1]))
                h.cosine = float(sims[offsets[n] + i]) if i < len(pids) and pids[i] == key[1] else None
            h.score = fused.get(key, 0.0)
        method = f"BM25 (tantivy) fused with all-MiniLM-L6-v2 cosine by reciprocal rank fusion (k={RRF_K})"
    else:
        method = "BM25 over passages (tantivy)"
    ranked = sorted(hits.values(), key=lambda h: (-h.score, h.date, h.doc_id, h.pid))

    strengths: dict[tuple[str, int], float] = {}

    calibration = EraNull(index, weighted, list(hits.values()))
    p_null: dict[tuple[str, int], float] = {}

    def strength(h: Hit) -> float:
        key = (h.seg, h.pid)
        if key not in strengths:
            strengths[key], p_null[key] = calibration.judge(h)
        return strengths[key]

    # Every passage before the cut was looked at, and any could have been the earliest strong match: the
    # level is corrected for all of them (Bonferroni), whatever era they belong to.
    tested = index.count(version=corpus.version, before=cut, include_fallback=include_fallback)
    alpha_null = FAMILY_ALPHA / max(tested, 1)

    verdicts: dict[tuple[str, int], bool] = {}

    def is_strong(h: Hit) -> bool:
        key = (h.seg, h.pid)
        if key not in verdicts:
            verdicts[key] = _is_strong(h)
        return verdicts[key]

    def _is_strong(h: Hit) -> bool:
        if name:  # a name is matched as said, its words together and in order, not scattered
            return index.holds_phrase(name, h.text)
        # A passage holding every term of the description says all it says: for a short query (keywords)
        # that is the question asked, and however small the corpus, no null can call it chance; a long
        # description is never held whole by chance.
        lexical_strong = strength(h) >= 1.0 - 1e-9 or (
            strength(h) >= strong and p_null[(h.seg, h.pid)] <= alpha_null)
        # Cosine similarity does not make a match strong: on the SOTU tuning programmes every cosine floor
        # (0.55 to 0.8) and every per-era z of the cosine (4 to 9 robust deviations) either called passages
        # of another scheme on the same topic strong or changed nothing (docs/methods.md, "Dense retrieval").
        return lexical_strong

    best: dict[str, Hit] = {}
    for h in ranked:  # a document is ranked by its best passage
        best.setdefault(h.doc_id, h)
    # A document describes the thing when any of its passages does, not only its best-ranked one: an address
    # names a programme in one paragraph and scores higher on another that shares more common words.
    strong_passage: dict[str, Hit] = {}
    for h in ranked:
        if h.doc_id not in strong_passage and is_strong(h):
            strong_passage[h.doc_id] = h
    rows = [{"doc_id": h.doc_id, "date": h.date, "source": h.source, "score": h.score,
             "snippet": snippet(h.text), "title": h.title, "passage": h.ordinal, "strength": strength(h),
             "bm25": h.bm25, "cosine": h.cosine, "strong": h.doc_id in strong_passage,
             "p_null": p_null[(h.seg, h.pid)], "date_precision": h.date_precision}
            for h in list(best.values())[:limit]]
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS + ["title", "passage", "strength", "bm25", "cosine",
                                                           "strong", "p_null", "date_precision"])
    results = results.astype({"score": "float64", "strength": "float64", "bm25": "float64", "cosine": "float64",
                              "strong": "bool", "passage": "int64"})
    strong_docs = sorted(strong_passage.values(), key=lambda h: (h.date, h.doc_id))
    earliest = None
    if strong_docs:
        e = strong_docs[0]
        earliest = {"doc_id": e.doc_id, "date": e.date.isoformat(), "source": e.source, "title": e.title,
                    "passage": e.ordinal, "strength": round(strength(e), 4), "p_null": p_null[(e.seg, e.pid)],
                    "cosine": e.cosine, "snippet": snippet(e.text)}
    # The lexical pool ran out while still strong: there may be more matches than counted.
    truncated = len(lex) >= pool and bool(lex) and is_strong(lex[-1])
    timeline = _timeline(corpus, strong_docs, cut)
    episodes = _episodes(strong_docs, gap_days)
    pool_rows = [{"doc_id": h.doc_id, "passage": h.ordinal, "date": h.date, "score": h.score,
                  "strength": strength(h), "p_null": p_null[(h.seg, h.pid)], "strong": is_strong(h)} for h in ranked]
    result = PrecedentsResult(query=text, before=cut, results=results, earliest=earliest, timeline=timeline,
                              episodes=episodes, method=method, pool_truncated=truncated,
                              pool=pd.DataFrame(pool_rows, columns=["doc_id", "passage", "date", "score", "strength",
                                                                    "p_null", "strong"]))
    result.provenance = corpus.provenance(
        command="precedents", text=text, before=cut.isoformat() if cut else None, limit=limit,
        dense=use_dense, strong=strong, name=" ".join(name) if name else None, family_alpha=FAMILY_ALPHA,
        passages_tested=tested,
        strong_p=alpha_null, era_years=ERA_YEARS, gap_days=gap_days, include_fallback=include_fallback, pool=pool,
        rrf_k=RRF_K if use_dense else None,
        # BM25 statistics (idf, average length) are those of every passage in the index, which may hold a
        # later version's segments too: recorded so that a rerun can tell whether they were the same.
        passage_index={"segments": len(index.state()["segments"]), "passages": index.num_passages()})
    return result


def _name_phrase(index: PassageIndex, text: str, version: int, include_fallback: bool) -> list[str] | None:
    """The query's analysed tokens when it is a name: at most NAME_WORDS words, two or more of them terms, said
    as a phrase by some passage of the version (any date); None otherwise."""
    phrase = index.phrase_tokens(text)
    terms = [t for t, _c in index.query_terms(text)]
    if not 2 <= len(phrase) <= NAME_WORDS or len(terms) < 2:
        return None
    # at any date: a name asked before it was coined is still a name, whose earlier passages do not say it
    said = index.says_phrase(phrase, terms, version=version, limit=NAME_POOL, include_fallback=include_fallback)
    return phrase if said else None


class EraNull:
    """Era-aware weights of a query's terms and the null distribution of strength, per era of the hits."""

    def __init__(self, index: PassageIndex, weighted: list[tuple[str, int, float]], hits: list[Hit]) -> None:
        import numpy as np

        self.index = index
        self.terms = [t for t, _c, _w in weighted]
        qw = np.array([1.0 + np.log(c) for _t, c, _w in weighted], dtype=float)
        starts = sorted({_era(h.date) for h in hits})
        self.era_of = {y: i for i, y in enumerate(starts)}
        # the first era of the calendar starts in year 1 (there is no year 0)
        eras = [(dt.date(max(y, 1), 1, 1), dt.date(min(y + ERA_YEARS, 9999), 1, 1)) for y in starts]
        n, df = index.era_frequencies(self.terms, eras) if self.terms and eras else (np.zeros(0), np.zeros((0, 0)))
        n = n.astype(float)[:, None]
        self.share = (df + 0.5) / (n + 1.0)  # share of an era's passages holding each term
        self.weights = np.log(1.0 + (n - df + 0.5) / (df + 0.5)) * qw[None, :]
        self.total = self.weights.sum(axis=1)
        self._tails: dict[int, Any] = {}

    def _tail(self, e: int) -> Any:
        """P(null strength >= x) on the grid, for era e (exact convolution of independent terms)."""
        import numpy as np

        if e not in self._tails:
            dist = np.zeros(NULL_BINS + 1)
            dist[0] = 1.0
            if self.total[e] > 0:
                for w, p in zip(self.weights[e] / self.total[e], self.share[e]):
                    k = int(round(w * NULL_BINS))
                    moved = np.zeros_like(dist)
                    moved[k:] = dist[: NULL_BINS + 1 - k] if k else dist
                    dist = (1.0 - p) * dist + p * moved
            self._tails[e] = np.cumsum(dist[::-1])[::-1]  # tail[i] = P(S >= i / NULL_BINS)
        return self._tails[e]

    def judge(self, h: Hit) -> tuple[float, float]:
        """(strength in the passage's era, probability of at least that strength under the era's null)."""
        import numpy as np

        e = self.era_of.get(_era(h.date))
        if e is None or not self.terms or self.total[e] <= 0:
            return 0.0, 1.0
        present = self.index.present_terms(self.terms, h.text)
        s = float(self.weights[e][present].sum() / self.total[e])
        i = int(np.clip(np.floor(s * NULL_BINS + 1e-9), 0, NULL_BINS))
        return s, float(self._tail(e)[i])


def _era(day: dt.date) -> int:
    return day.year - day.year % ERA_YEARS


def _timeline(corpus: Corpus, strong_docs: list[Hit], before: dt.date | None) -> pd.DataFrame:
    """Strong-match documents per year with the corpus's documents that year (the denominator)."""
    cols = ["year", "documents", "total_docs", "rate"]
    totals = _year_totals(corpus, before)
    if totals.empty:
        return pd.DataFrame(columns=cols)
    counts: dict[int, int] = {}
    for h in strong_docs:
        counts[h.date.year] = counts.get(h.date.year, 0) + 1
    years = pd.DataFrame({"year": range(int(totals["year"].min()), int(totals["year"].max()) + 1)})
    out = years.merge(totals, on="year", how="left").fillna({"total_docs": 0})
    out["documents"] = out["year"].map(counts).fillna(0).astype("int64")
    out["total_docs"] = out["total_docs"].astype("int64")
    out["rate"] = out["documents"] / out["total_docs"].where(out["total_docs"] > 0)
    return out[cols]


_DATE_TOTALS: dict[tuple[str, int, str], pd.DataFrame] = {}


def _year_totals(corpus: Corpus, before: dt.date | None) -> pd.DataFrame:
    """The corpus's documents per year dated before the cut: the denominators of the timeline.

    Counted as ``track`` counts its totals (fallback dates out, a near-duplicate once), from documents per
    distinct date, computed once per store version and process (one scan; the 1M-document corpus's scan
    costs more than the search itself) and then cut at ``before`` in memory.
    """
    # A version never changes; the creation time tells a store re-created at the same path apart.
    key = (str(corpus.store.path.resolve()), corpus.version,
           str(corpus.store.version_info(corpus.version).get("created", "")))
    per_date = _DATE_TOTALS.get(key)
    if per_date is None:
        import duckdb

        con = corpus.store.connection(corpus.version)
        sql = ("SELECT date, count(*)::BIGINT AS docs FROM docs WHERE date_source <> 'fallback' {} "
               "GROUP BY date ORDER BY date")
        try:
            per_date = con.execute(sql.format("AND dup_of IS NULL")).df()
        except duckdb.Error:  # a store view without near-duplicate marks
            per_date = con.execute(sql.format("")).df()
        per_date["date"] = pd.to_datetime(per_date["date"])
        _DATE_TOTALS[key] = per_date
    rows = per_date if before is None else per_date[per_date["date"] < pd.Timestamp(before)]
    out = rows.groupby(rows["date"].dt.year)["docs"].sum()
    return pd.DataFrame({"year": out.index.astype("int64"), "total_docs": out.to_numpy().astype("int64")})


def _episodes(strong_docs: list[Hit], gap_days: int) -> pd.DataFrame:
    """Runs of strong matches separated by more than ``gap_days`` of silence: each is one (re-)announcement."""
    cols = ["episode", "start", "end", "documents", "first_doc_id", "first_source"]
    rows: list[dict[str, Any]] = []
    for h in strong_docs:
        if rows and (h.date - rows[-1]["end"]).days <= gap_days:
            rows[-1]["end"] = h.date
            rows[-1]["documents"] += 1
        else:
            rows.append({"episode": len(rows) + 1, "start": h.date, "end": h.date, "documents": 1,
                         "first_doc_id": h.doc_id, "first_source": h.source})
    return pd.DataFrame(rows, columns=cols)


def build_index(corpus: Corpus, *, dense: bool = False, progress: Any = None) -> dict[str, Any]:
    """Bring the store's passage index up to date for the corpus's version (and its dense vectors)."""
    from policypulse.precedents import dense as dense_mod

    if dense and not dense_mod.available():
        raise MissingExtraError(dense_mod.INSTALL_HINT)
    index = PassageIndex(corpus.store)
    report = index.ensure(corpus.version, dense=dense, progress=progress)
    state = index.state()
    segs = [p.name for p in corpus.store.segment_paths(corpus.version)]
    return {
        "store_version": corpus.version,
        "segments": len(segs),
        "segments_indexed_now": report.segments_indexed,
        "passages": sum(state["segments"].get(s, {}).get("passages", 0) for s in segs),
        "documents": sum(state["segments"].get(s, {}).get("documents", 0) for s in segs),
        "dense": all(s in state["dense"] for s in segs) if segs else False,
        "dense_segments_embedded_now": report.dense_segments,
        "passages_embedded_now": report.passages_embedded,
        "seconds": round(report.seconds, 3),
        "index_bytes": index.size_bytes(),
    }
