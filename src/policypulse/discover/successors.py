"""Successors of a declining idea: phrases born in its decline that take over its attention and its context.

Hogwood & Peters (1982) call it policy succession: an old policy is replaced by a new one aimed at the
same problem, often under a new name ("partnerships" became "service integration"). Two signals find it
without a watchlist:

- **hand-over** (timing): the new phrase is born while the old one declines, and its rise mirrors the
  fall: the changes of the two smoothed rates are negatively correlated, and the new phrase picks up a
  share of the rate the old one lost;
- **context** (meaning): the words around the two phrases are alike (cosine of tf-idf weighted
  vectors of the words within ``CONTEXT_WINDOW`` tokens of each occurrence, the phrases' own tokens left
  out), the distributional signal behind Szymanski's (2017) temporal word analogies, here from a sample
  of documents rather than trained embeddings.

``score`` = sqrt(hand-over x context): a successor needs both; a phrase born at the same moment in
another context (a distractor) has the timing but not the words.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policypulse.discover.common import (
    FRAGMENT_SHARE,
    LIFECYCLE_FIELDS,
    burst,
    check_limit,
    emergence_of,
    idea_mask,
    lifecycle_fields,
    overlaps,
    phrase_index,
    series_of,
)
from policypulse.discover.context import cosine as sketch_cosine
from policypulse.discover.stopwords import is_boundary
from policypulse.errors import UsageError
from policypulse.lifecycle.series import RECENT_WINDOW, RUN_LENGTH, shift_periods
from policypulse.query.ideas import Idea, idea_from_query, load_ideas
from policypulse.text import tokens as match_tokens
from policypulse.query.parser import And as AndNode
from policypulse.query.parser import Near, Not, Phrase
from policypulse.query.parser import Or as OrNode

PRESELECT = 300  # window-level burst candidates whose onset is dated exactly
SHORTLIST = 30  # candidates (at least; 3 per requested row) whose context is compared, best hand-over first
CONTEXT_DOCS = 40  # documents sampled per phrase for its context vector
SAMPLE_PERIODS = 3  # the sampled documents come from at most this many consecutive periods
CONTEXT_WINDOW = 10  # tokens either side of an occurrence that make its context
TEXT_DOCS = 15  # documents in that sample
TEXT_WINDOW = 20  # ... in the sample compared for the shortlist (wider: few documents, many words each)
HANDOVER_BLOCKS = 8  # the decline window is cut into at most this many blocks to correlate changes

COLUMNS = ["phrase", "score", "handover", "context", "rate_correlation", "pickup", "onset", "shared_context",
           "explanation", "docs_since_onset"]


def _phrase_tokens(node: Any) -> list[tuple[tuple[str, ...], bool]]:
    """The positive phrases of a query (tokens, prefix), for locating its occurrences in text."""
    if isinstance(node, Phrase):
        return [(node.tokens, node.prefix)]
    if isinstance(node, (AndNode, OrNode)):
        return [p for item in node.items for p in _phrase_tokens(item)]
    if isinstance(node, Near):
        return [(node.a.tokens, node.a.prefix), (node.b.tokens, node.b.prefix)]
    if isinstance(node, Not):
        return []
    return []


def phrase_idea(phrase: str) -> Idea:
    """An idea matching exactly one discovered phrase (quoted, so its words are never operators)."""
    return Idea(phrase, (f'"{phrase}"',))


def context_counts(norms: list[str], patterns: list[tuple[tuple[str, ...], bool]], window: int) -> Counter[str]:
    """Content words within ``window`` tokens of each occurrence of any pattern (occurrence tokens excluded)."""
    out: Counter[str] = Counter()
    for norm in norms:
        toks = norm.split()
        hits: list[tuple[int, int]] = []
        for ptoks, prefix in patterns:
            n = len(ptoks)
            if n == 0:
                continue
            for i in range(len(toks) - n + 1):
                if toks[i] != ptoks[0] and not (n == 1 and prefix and toks[i].startswith(ptoks[0])):
                    continue
                body = toks[i : i + n]
                if list(ptoks[:-1]) == body[:-1] and (body[-1] == ptoks[-1] or (prefix and body[-1].startswith(ptoks[-1]))):
                    hits.append((i, i + n))
        if not hits:  # a query the token scan cannot locate (NEAR with gaps): the whole document is context
            hits = [(0, 0)]
            lo_hi = [(0, len(toks))]
        else:
            lo_hi = [(max(0, a - window), min(len(toks), b + window)) for a, b in hits]
        inside: set[int] = set()
        for a, b in hits:
            inside.update(range(a, b))
        seen: set[int] = set()
        for lo, hi in lo_hi:
            for j in range(lo, hi):
                if j in seen or j in inside:
                    continue
                seen.add(j)
                w = toks[j]
                if not is_boundary(w):
                    out[w] += 1
    return out


def cosine(a: Counter[str], b: Counter[str], idf: dict[str, float], default_idf: float,
           exclude: set[str]) -> tuple[float, list[str]]:
    """Cosine of sublinear tf-idf vectors, ``exclude`` tokens left out; and the top shared words."""
    def vec(c: Counter[str]) -> dict[str, float]:
        return {w: (1.0 + math.log(n)) * idf.get(w, default_idf) for w, n in c.items() if w not in exclude}

    va, vb = vec(a), vec(b)
    na = math.sqrt(sum(x * x for x in va.values()))
    nb = math.sqrt(sum(x * x for x in vb.values()))
    if na == 0 or nb == 0:
        return 0.0, []
    shared = {w: va[w] * vb[w] for w in va.keys() & vb.keys()}
    top = [w for w, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:8]]
    return float(sum(shared.values()) / (na * nb)), top


def _sample_window(docs: np.ndarray, periods: pd.DatetimeIndex, by: str, want: int) -> tuple[Any, Any]:
    """Dates around a phrase's busiest periods holding about ``want`` mentioning documents, at most
    SAMPLE_PERIODS periods (the scan that fetches them reads only the segments of those dates)."""
    from policypulse.lifecycle.series import shift_periods, window_sums

    if docs.sum() == 0:
        return None, None
    center = int(np.argmax(window_sums(docs.astype(float), SAMPLE_PERIODS)))
    lo = hi = center
    total = docs[center]
    while total < want and hi - lo + 1 < SAMPLE_PERIODS and (lo > 0 or hi < len(docs) - 1):
        if lo > 0:
            lo -= 1
            total += docs[lo]
        if hi < len(docs) - 1:
            hi += 1
            total += docs[hi]
    end = shift_periods(periods[hi], 1, by) - pd.Timedelta(days=1).as_unit("s")  # ns would end in 1677
    return periods[lo].date(), end.date()


def _context(corpus: Any, idea: Idea, docs: np.ndarray, periods: pd.DatetimeIndex, by: str,
             window: int = CONTEXT_WINDOW) -> Counter[str]:
    """Context words of an idea in a sample of up to CONTEXT_DOCS documents from its busiest periods."""
    d0, d1 = _sample_window(docs, periods, by, CONTEXT_DOCS)
    if d0 is None:
        return Counter()
    found = corpus.engine.matching_documents(idea, limit=CONTEXT_DOCS, date_from=d0, date_to=d1)
    return context_counts(list(found["norm"]), _phrase_tokens(idea.query), window)


def handover(old_docs: np.ndarray, new_docs: np.ndarray, exposure: np.ndarray, ws: int, we: int,
             by: str) -> tuple[float, float, float]:
    """(hand-over, r, pick-up) of a new phrase against the old over periods [ws, we].

    The covered periods of the window are cut into up to HANDOVER_BLOCKS consecutive blocks (at least
    2 periods each) and each block's pooled rate is taken, so that monthly noise does not drown the
    trend. r is the correlation of the two block-rate sequences: -1 when the old falls exactly as the
    new rises. (Correlating *changes* instead measures whether the two move in the same steps; two
    steady trends then have near-constant changes and r is noise, so a gradual renaming would be
    missed.) pick-up = the new phrase's gain in rate (last block against the first) as a share of the
    old phrase's loss, in [0, 1]. hand-over = (max(0, -r) + pick-up) / 2.
    """
    idx = np.arange(ws, we + 1)
    idx = idx[exposure[idx] > 0]
    if idx.size < 2:
        return 0.0, 0.0, 0.0
    nblk = int(max(2, min(HANDOVER_BLOCKS, idx.size // 2)))
    blocks = np.array_split(idx, nblk)
    eb = np.array([exposure[b].sum() for b in blocks], dtype=float)
    ro = np.array([old_docs[b].sum() for b in blocks], dtype=float) / eb
    rn = np.array([new_docs[b].sum() for b in blocks], dtype=float) / eb
    r: float = 0.0
    if nblk >= 3 and ro.std() > 0 and rn.std() > 0:
        r = float(np.corrcoef(ro, rn)[0, 1])
    pick = 0.0
    loss, gain = ro[0] - ro[-1], rn[-1] - rn[0]
    if loss > 0:
        pick = float(np.clip(gain / loss, 0.0, 1.0))
    return (max(0.0, -r) + pick) / 2.0, r, pick


def heyday(docs: np.ndarray, exposure: np.ndarray) -> tuple[int, int]:
    """[a, b]: the shortest run of periods holding at least half of an idea's documents (earliest if tied)."""
    cum = np.concatenate([[0], np.cumsum(docs)])
    half = cum[-1] / 2.0
    best = (0, len(docs) - 1)
    j = 0
    for i in range(len(docs)):
        j = max(j, i)
        while j < len(docs) and cum[j + 1] - cum[i] < half:
            j += 1
        if j >= len(docs):
            break
        if j - i < best[1] - best[0]:
            best = (i, j)
    return best


def _rise(docs: np.ndarray, exposure: np.ndarray, lo: int, hi: int) -> int | None:
    """The first period in [lo, hi] from which the rate stays above its rate before ``lo`` (or None)."""
    e0 = exposure[:lo].sum()
    r0 = docs[:lo].sum() / e0 if e0 > 0 else 0.0
    for t in range(lo, hi + 1):
        e = exposure[t : hi + 1].sum()
        if docs[t] > 0 and e > 0 and docs[t : hi + 1].sum() / e > 2.0 * r0:
            return t
    return None


def _resolve(idea: str | Idea, ideas_file: str | Path | None) -> tuple[Idea, list[Idea]]:
    watch = load_ideas(ideas_file) if ideas_file else []
    if isinstance(idea, Idea):
        return idea, [i for i in watch if i.name != idea.name]
    for i in watch:
        if i.name == idea or i.name.casefold() == str(idea).casefold():
            return i, [j for j in watch if j is not i]
    return idea_from_query(idea), watch


def successors(corpus: Any, idea: str | Idea, *, ideas_file: str | Path | None = None, by: str = "month",
               limit: int = 10, explain: int = 3, n_boot: int = 50, seed: int = 0,
               progress: Any = None) -> pd.DataFrame:
    """Phrases (or, with ``ideas_file``, the file's other ideas) born in ``idea``'s decline, best successor first.

    The decline runs from a year (RECENT_WINDOW periods) before the old idea comes off its peak plateau,
    but not before its peak, to a year after its last mention (sparse data date a new name's birth late),
    or to the corpus end if it is still mentioned. Candidates are born (lifecycle
    emergence, not left-censored) in that window; each is scored on hand-over and context (module doc).
    Every row explains its score; the ``explain`` best also list the context words the two share (from
    a sample of documents: one scan each, so kept to a few). ``attrs['old']`` holds the old idea's
    lifecycle.
    """
    limit = check_limit(limit)
    old, watch = _resolve(idea, ideas_file)
    ix = phrase_index(corpus, progress)
    g = ix.grid(by)
    E = g.exposure.astype(float)
    n = len(g.periods)
    plain = old.query if isinstance(old.query, Phrase) and not old.query.prefix else None
    pid_old = ix.phrase_id(" ".join(plain.tokens)) if plain is not None else None
    if pid_old is not None:  # a discovered phrase: its statistics are at hand
        old_frame = g.series(pid_old)
    else:  # anything else is counted exactly by the engine
        tr = corpus.track([old], by=by)
        old_frame = (pd.DataFrame({"period": g.periods}).merge(
            tr[["period", "docs", "mentions"]], on="period", how="left").fillna(0))
        old_frame["total_docs"] = g.exposure
    old_docs = old_frame["docs"].to_numpy().astype(np.int64)
    if old_docs.sum() == 0:
        raise UsageError(f"{old.name!r} is never mentioned in this corpus; nothing to succeed")
    old_life = lifecycle_fields(old_frame, by, old.name, n_boot=0, seed=seed)
    # The hand-over window: from the start of the old idea's heyday (the shortest stretch holding half its
    # documents; later echoes and stray early uses do not move it) to three heydays (at least three recent
    # windows) after its end: a new name is often coined while the old one is still in use, and in a
    # sparse corpus (one speech a year) the old one may fall silent years before the new one is said.
    a, b = heyday(old_docs, g.exposure)
    if b - a < RECENT_WINDOW[by]:  # a heyday of a few mentions is widened to the recent window
        a, b = max(0, (a + b) // 2 - RECENT_WINDOW[by] // 2), min(n - 1, (a + b) // 2 + RECENT_WINDOW[by] // 2)
    ws = a
    we = min(n - 1, b + 3 * max(b - a, RECENT_WINDOW[by]))
    # The decline as the lifecycle dates it (from a year before the old idea comes off its peak plateau,
    # not before its peak, to a year after its last mention): the hand-over is measured there when it is
    # a real stretch, and the candidates' window covers it too.
    peak = int(g.periods.searchsorted(pd.Timestamp(old_life["peak"])))
    falls = [p["start"] for p in old_life["phases"] if p["phase"] == "decline"]
    fall = int(g.periods.searchsorted(pd.Timestamp(falls[0]))) if falls else peak
    ds = max(peak, fall - RECENT_WINDOW[by])
    last = int(g.periods.searchsorted(pd.Timestamp(old_life["last_mention"])))
    de = min(n - 1, last + RECENT_WINDOW[by]) if old_life["status"] in ("dead", "dormant") else n - 1
    if de - ds >= 2 * RUN_LENGTH[by]:
        ws, we = min(ws, ds), max(we, de)
    else:
        ds, de = ws, we
    we = max(we, min(n - 1, ws + RUN_LENGTH[by]))
    old_tokens: set[str] = set()
    for toks, _ in _phrase_tokens(old.query):
        old_tokens.update(toks)

    lo = max(1, ws)
    ref = 0  # the new name's rate in the window is compared with its rate in all the years before
    cands: list[dict[str, Any]] = []
    if watch:
        tr = corpus.track(watch, by=by)
        for i in watch:
            fr = (pd.DataFrame({"period": g.periods}).merge(
                tr.loc[tr["idea"] == i.name, ["period", "docs", "mentions"]], on="period", how="left").fillna(0))
            cands.append({"name": i.name, "idea": i, "docs": fr["docs"].to_numpy().astype(np.int64),
                          "mentions": fr["mentions"].to_numpy().astype(np.int64)})
    else:
        D = g.docs
        accept = idea_mask(ix)
        before = np.asarray(D[:, ref:lo].sum(axis=1)).ravel()
        inside = np.asarray(D[:, lo : we + 1].sum(axis=1)).ravel()
        pre = burst(before, E[ref:lo].sum(), inside, E[lo : we + 1].sum())
        ok = (inside >= 3) & (pre["score"] > 0) & (pre["p_value"] < 0.01) & accept
        ids = np.flatnonzero(ok)
        ids = ids[np.argsort(-pre["score"][ids], kind="stable")][:PRESELECT]
        dd, oo = g.dense(ids)
        for k, pid in enumerate(ids):
            ph = ix.phrases["phrase"].iat[pid]
            if old_tokens and (overlaps(ph, " ".join(plain.tokens)) if plain is not None
                               else set(ph.split(" ")) & old_tokens):
                continue
            cands.append({"name": ph, "idea": phrase_idea(ph), "docs": dd[k], "mentions": oo[k], "phrase_id": int(pid)})
    rows = []
    for c in cands:
        s = series_of(by, g.periods, c["docs"], c["mentions"], g.exposure)
        onset, censored = emergence_of(s)
        if onset is None or censored or not lo <= onset <= we:
            # not born in the decline (a name revived, "Russia" after "Soviet Union"): dated by its rise
            onset = _rise(c["docs"], g.exposure, lo, we)
            if onset is None:
                continue
        h, rc, pick = handover(old_docs, c["docs"], g.exposure, ds, de, by)
        rows.append({**c, "onset_i": onset, "handover": h, "rate_correlation": rc, "pickup": pick,
                     "docs_since_onset": int(c["docs"][onset:].sum())})
    if not watch:
        rows = [r for r in rows if not ix.is_fragment(r["phrase_id"], inside, FRAGMENT_SHARE)]
    rows.sort(key=lambda r: (-r["handover"], r["name"]))
    rows = rows[: max(SHORTLIST, 3 * limit)]

    # Context: the sketches kept in the phrase statistics (no scan); ideas whose aliases are not all
    # kept phrases are sketched from a sample of their documents.
    words = _WordStats(ix)
    old_vec = _sketch(corpus, ix, old, old_docs, g.periods, by, words)
    # ... and the words themselves around both in the hand-over years: what is said about them then,
    # from a sample of documents (a short scan each). The sketch is an estimate kept in the index that
    # is good with many documents; the sample is better with few (a corpus of yearly speeches): the
    # context is the larger of the two.
    span = (g.periods[a].date(), shift_periods(g.periods[we], 1, by).date() - dt.timedelta(days=1))  # any year
    old_text = _window_context(corpus, old, span)
    out = []
    for r in rows:
        vec = ix.sketches[r["phrase_id"]] if "phrase_id" in r else _sketch(
            corpus, ix, r["idea"], r["docs"], g.periods, by, words)
        excl = old_tokens | {t for toks, _ in _phrase_tokens(r["idea"].query) for t in toks}
        text_cos, shared_now = cosine(old_text, _window_context(corpus, r["idea"], span), words.idf,
                                      words.default_idf, excl)
        cos = max(sketch_cosine(old_vec, vec), min(1.0, text_cos))
        r["_shared"] = shared_now
        out.append({
            "phrase": r["name"] if not watch else " ".join(match_tokens(r["name"])),
            "idea": r["name"],
            "score": math.sqrt(max(r["handover"], 0.0) * cos),
            "handover": r["handover"],
            "context": cos,
            "rate_correlation": r["rate_correlation"],
            "pickup": r["pickup"],
            "onset": g.periods[r["onset_i"]].date(),
            "docs_since_onset": r["docs_since_onset"],
            "_r": r,
        })
    out.sort(key=lambda r: (-r["score"], r["phrase"]))
    out = out[:limit]
    # Words behind the context score of the best few: one sample of documents each (a scan per phrase).
    old_words = _context(corpus, old, old_docs, g.periods, by) if out and explain else Counter()
    for k, row in enumerate(out):
        shared: list[str] = list(row["_r"].get("_shared", []))
        if k < explain and not shared:
            r = row["_r"]
            ctx = _context(corpus, r["idea"], r["docs"], g.periods, by)
            excl = old_tokens | {t for toks, _ in _phrase_tokens(r["idea"].query) for t in toks}
            shared = cosine(old_words, ctx, words.idf, words.default_idf, excl)[1]
        row["shared_context"] = shared
        row["explanation"] = _explain(old.name, row["_r"], row["onset"], row["context"], shared)
    out.sort(key=lambda r: (-r["score"], r["phrase"]))
    out = out[:limit]
    life = [lifecycle_fields(pd.DataFrame({"period": g.periods, "docs": r["_r"]["docs"],
                                           "mentions": r["_r"]["mentions"], "total_docs": g.exposure}),
                             by, r["idea"], n_boot=n_boot, seed=seed)
            for r in out]
    cols = COLUMNS + (["idea"] if watch else [])
    frame = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in out], columns=cols)
    result = pd.concat([frame, pd.DataFrame(life, columns=list(LIFECYCLE_FIELDS))], axis=1)
    result.attrs["old"] = old_life
    result.attrs["provenance"] = corpus.provenance(
        command="successors", idea=old.to_dict(), by=by, limit=limit, n_boot=n_boot, seed=seed,
        ideas_file=str(ideas_file) if ideas_file else None, decline=[str(g.periods[ws].date()), str(g.periods[we].date())])
    return result


def _window_context(corpus: Any, idea: Idea, span: tuple[Any, Any]) -> Counter[str]:
    """Context words (``TEXT_WINDOW`` tokens either side) of an idea in up to TEXT_DOCS documents of ``span``."""
    found = corpus.engine.matching_documents(idea, limit=TEXT_DOCS, date_from=span[0], date_to=span[1])
    return context_counts(list(found["norm"]), _phrase_tokens(idea.query), TEXT_WINDOW)


def _explain(old: str, r: dict[str, Any], onset: Any, cos: float, shared: list[str]) -> str:
    words = f" (shared words: {', '.join(shared[:5])})" if shared else ""
    return (f"born {onset} in the decline of {old!r}; hand-over {r['handover']:.2f} (rates correlate "
            f"{r['rate_correlation']:+.2f}, picks up {100 * r['pickup']:.0f}% of the lost rate); "
            f"context {cos:.2f}{words}")


class _WordStats:
    """Inverse document frequencies of the corpus's words (from the phrase statistics' unigrams)."""

    def __init__(self, ix: Any) -> None:
        uni = ix.phrases[ix.phrases["n"] == 1]
        self.n_docs = max(float(ix.meta["documents"]), 1.0)
        self.words = list(uni["phrase"])
        self.idf_arr = np.log(self.n_docs / np.maximum(uni["docs"].to_numpy(dtype=float), 1.0))
        self.idf = dict(zip(self.words, self.idf_arr))
        self.default_idf = math.log(self.n_docs)
        self.occ = uni["occ"].to_numpy(dtype=float)
        self._mean: np.ndarray | None = None
        self._vectors: dict[str, np.ndarray] = {}

    def mean(self) -> np.ndarray:
        """The expected weighted word vector at a position of the corpus (for centring)."""
        if self._mean is None:
            from policypulse.discover.context import token_vectors

            total = max(float(self.occ.sum()), 1.0)
            self._mean = (self.occ / total * self.idf_arr) @ token_vectors(self.words).astype(np.float64)
        return self._mean


def _sketch(corpus: Any, ix: Any, idea: Idea, docs: np.ndarray, periods: pd.DatetimeIndex, by: str,
            words: _WordStats) -> np.ndarray:
    """An idea's context sketch: the sum of its aliases' sketches when every alias is a kept phrase,
    otherwise projected from the windows of a sample of its documents (same projection, centred on
    the corpus's mean word)."""
    from policypulse.discover.context import DIM, WINDOW, token_vectors

    pats = _phrase_tokens(idea.query)
    ids = [ix.phrase_id(" ".join(t)) for t, prefix in pats if not prefix]
    if pats and len(ids) == len(pats) and all(i is not None for i in ids) and not isinstance(idea.query, (Near,)):
        return np.asarray(ix.sketches[[int(i) for i in ids if i is not None]].sum(axis=0), dtype=np.float64)
    counts = _context(corpus, idea, docs, periods, by, window=WINDOW)
    if not counts:
        return np.zeros(DIM)
    toks = list(counts)
    weights = np.array([counts[t] * words.idf.get(t, words.default_idf) for t in toks])
    return weights @ token_vectors(toks).astype(np.float64) - sum(counts.values()) * words.mean()
