"""Successors of a declining idea: phrases born in its decline that take over its attention and its context.

Hogwood & Peters (1982) call it policy succession: an old policy is replaced by a new one aimed at the
same problem, often under a new name ("partnerships" became "service integration"). Two signals find it
without a watchlist:

- **context** (meaning): the words around the two phrases are alike: the cosine of their context vectors,
  the words within ``TEXT_WINDOW`` tokens of each occurrence in a sample of documents of the hand-over
  window (the phrases' own tokens left out), weighted by sublinear tf x positive PMI (how much more often a
  word is said around the phrase than anywhere), or of the context sketches kept in the index, whichever
  is larger: the distributional signal behind Szymanski's (2017) temporal word analogies, without
  training embeddings;
- **hand-over** (timing): the new phrase is born in or near the old one's decline, and its rise mirrors
  the fall: the two rates are negatively correlated and the new phrase picks up a share of the rate the
  old one lost.

``score`` = context x (1 + hand-over) / 2: the words decide and the timing can raise a candidate by up
to half again. In a corpus of yearly speeches a renaming is often said beside the old name for a few
years ("welfare to work" with "welfare reform", "AmeriCorps" with "national service"), so its rate rises
*with* the old one's and a hand-over of rates is no evidence against it; a phrase born at the same
moment in another context (a distractor) has the timing but not the words.
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
    PROPER_SHARE,
    burst,
    check_limit,
    emergence_of,
    greedy_distinct,
    idea_mask,
    lifecycle_fields,
    period_words,
    overlaps,
    phrase_index,
    series_of,
)
from policypulse.discover.context import cosine as sketch_cosine
from policypulse.discover.emerging import NAME_WEIGHT
from policypulse.discover.stopwords import is_boundary
from policypulse.errors import UsageError
from policypulse.lifecycle.series import RECENT_WINDOW, RUN_LENGTH, shift_periods
from policypulse.query.ideas import Idea, idea_from_query, load_ideas
from policypulse.text import tokens as match_tokens
from policypulse.query.parser import And as AndNode
from policypulse.query.parser import Near, Not, Phrase
from policypulse.query.parser import Or as OrNode

PRESELECT = 1000  # window-level burst candidates whose onset is dated exactly (and as many by sketch)
SHORTLIST = 30  # candidates (at least; 3 per requested row) whose context is compared, best hand-over first
CONTEXT_DOCS = 40  # documents sampled per phrase for its context vector
SAMPLE_PERIODS = 3  # the sampled documents come from at most this many consecutive periods
CONTEXT_WINDOW = 10  # tokens either side of an occurrence that make its context
TEXT_DOCS = 15  # documents in that sample
TEXT_WINDOW = 50  # ... in the sample compared for the shortlist (wider: few documents, many words each)
POOL_DOCS = 2000  # documents of the window read once for the candidates' words (at most)
POOL_BLOCKS = 8  # ... from this many stretches of the window (a scan returns the oldest first)
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
           exclude: set[str], logp: dict[str, float] | None = None) -> tuple[float, list[str]]:
    """Cosine of two context vectors, ``exclude`` tokens left out; and the top shared words.

    Without ``logp``: sublinear tf-idf weights. With ``logp`` (each word's log share of the corpus's
    tokens, smoothed): sublinear tf x positive PMI, log(share of the context / share of the corpus),
    floored at 0 (Church & Hanks 1990; Bullinaria & Levy 2007; Levy, Goldberg & Dagan 2015 for the
    smoothing): a word counts as much as it is more frequent around the phrase than anywhere, so
    "peace" or "tax" weigh in long speeches where nearly every document holds them (an idf near 0).
    """
    def vec(c: Counter[str]) -> dict[str, float]:
        if logp is None:
            return {w: (1.0 + math.log(n)) * idf.get(w, default_idf) for w, n in c.items() if w not in exclude}
        total = max(sum(c.values()), 1)
        floor = min(logp.values()) if logp else 0.0
        out = {}
        for w, n in c.items():
            if w in exclude:
                continue
            pmi = math.log(n / total) - logp.get(w, floor)
            if pmi > 0:
                out[w] = (1.0 + math.log(n)) * pmi
        return out

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


def succession_window(old_docs: np.ndarray, periods: pd.DatetimeIndex, life: dict[str, Any],
                      by: str) -> tuple[int, int, int, int]:
    """(ds, de, ws, we): the old idea's decline [ds, de] and the window [ws, we] its successors are born in.

    The decline starts where the lifecycle's decline phase does (its peak without one) and ends at its last
    mention when it is dead or dormant (the corpus end otherwise). Its time scale tau is the decline's
    length, at least a recent window (12 months, 5 years). A successor is born from tau before the decline
    (a new name is often coined while the old one is still in use) to three tau after its end (in a sparse
    corpus the old may fall silent years before the new is said: the League of Nations in 1929, the United
    Nations in 1942).
    """
    n = len(periods)

    def at(day: Any) -> int:
        return max(0, min(n - 1, int(periods.searchsorted(pd.Timestamp(day)))))

    # With no clear peak (mentions too thin to place one) the whole life stands in for the decline.
    peak = at(life["peak"] or life["first_mention"])
    falls = [p["start"] for p in life["phases"] if p["phase"] == "decline"]
    ds = at(falls[0]) if falls else peak
    last = at(life.get("last_use") or life["last_mention"])
    de = last if life["status"] in ("dead", "dormant") else n - 1
    de = max(de, ds)
    tau = max(RECENT_WINDOW[by], RUN_LENGTH[by], de - ds)
    # ... but not before the old idea's peak: a phrase born while the old one was still rising grew up
    # beside it (a companion topic: "high school" with No Child Left Behind), it did not take over from it
    ws = max(0, ds - tau, min(peak, ds))
    we = min(n - 1, de + 3 * tau)
    return ds, de, ws, we


def nearness(onset: int, ds: int, de: int) -> float:
    """1 for a birth within the old idea's decline [ds, de] (or up to its time scale around it), falling
    exponentially with the distance beyond, in units of that time scale."""
    tau = max(1, de - ds, 1)
    if ds - tau <= onset <= de + tau:
        return 1.0
    dist = (ds - tau - onset) if onset < ds - tau else (onset - de - tau)
    return float(math.exp(-dist / tau))


def _rise(docs: np.ndarray, exposure: np.ndarray, lo: int, hi: int, ref: int = 0) -> int | None:
    """The first period in [lo, hi] from which the rate stays above twice its rate in [ref, lo) (or None)."""
    e0 = exposure[ref:lo].sum()
    r0 = docs[ref:lo].sum() / e0 if e0 > 0 else 0.0
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

    The old idea's decline and the window its successors are born in come from its lifecycle
    (``succession_window``). Candidates are idea-like phrases significantly more used in the window than
    before it, or from the decline on than while the old idea lived (a revived name), born in the window
    (lifecycle emergence, not left-censored) or dated by their rise; each is scored on context and
    hand-over (module doc), the words of every candidate read from one pool of the window's documents
    (``pooled_contexts``). Every row explains its score with the words the two share. ``attrs['old']``
    holds the old idea's lifecycle.
    """
    limit = check_limit(limit)
    old, watch = _resolve(idea, ideas_file)
    ix = phrase_index(corpus, progress)
    g = ix.grid(by)
    E = g.exposure.astype(float)
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
    ds, de, ws, we = succession_window(old_docs, g.periods, old_life, by)
    old_tokens: set[str] = set()
    for toks, _ in _phrase_tokens(old.query):
        old_tokens.update(toks)

    lo = max(1, ws)
    ref = 0  # the new name's rate in the window is compared with its rate in all the years before ...
    # ... or, for a name revived in the decline ("Russia" after "Soviet Union", said through the 19th
    # century), its rate from the decline on with its rate while the old idea lived
    first_old = int(np.flatnonzero(old_docs)[0])
    words = _WordStats(ix)
    old_vec = _sketch(corpus, ix, old, old_docs, g.periods, by, words)
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
        ok_new = (pre["score"] > 0) & (pre["p_value"] < 0.01)
        score_pre = pre["score"]
        if ds > first_old:
            during = np.asarray(D[:, first_old:ds].sum(axis=1)).ravel()
            after = np.asarray(D[:, ds : we + 1].sum(axis=1)).ravel()
            rev = burst(during, E[first_old:ds].sum(), after, E[ds : we + 1].sum())
            ok_new |= (rev["score"] > 0) & (rev["p_value"] < 0.01)
            score_pre = np.maximum(score_pre, rev["score"])
        ok = (inside >= 3) & ok_new & accept
        ids = np.flatnonzero(ok)
        # the strongest bursts, and as many again of those whose context sketch is closest to the old's
        # (a renaming with few documents has a small burst but the same words around it)
        sk = np.asarray(ix.sketches[ids], dtype=np.float64)
        norms = np.linalg.norm(sk, axis=1) * max(float(np.linalg.norm(old_vec)), 1e-300)
        sk_cos = np.where(norms > 0, sk @ old_vec / np.where(norms > 0, norms, 1.0), 0.0)
        ids = np.union1d(ids[np.argsort(-score_pre[ids], kind="stable")][:PRESELECT],
                         ids[np.argsort(-sk_cos, kind="stable")][:PRESELECT])
        dd, oo = g.dense(ids)
        # the old name's initials are the old name ("sdi" for "strategic defense initiative"), no successor
        initials = {"".join(t[0] for t in toks if not is_boundary(t)) for toks, _ in _phrase_tokens(old.query)
                    if len(toks) > 1}
        for k, pid in enumerate(ids):
            ph = ix.phrases["phrase"].iat[pid]
            if old_tokens and (overlaps(ph, " ".join(plain.tokens)) if plain is not None
                               else set(ph.split(" ")) & old_tokens):
                continue
            if ph in initials:
                continue
            cands.append({"name": ph, "idea": phrase_idea(ph), "docs": dd[k], "mentions": oo[k], "phrase_id": int(pid)})
    rows = []
    for c in cands:
        s = series_of(by, g.periods, c["docs"], c["mentions"], g.exposure)
        onset, censored = emergence_of(s)
        if onset is None or censored or not lo <= onset <= we:
            # not born in the decline (a name revived, "Russia" after "Soviet Union"): dated by its rise
            onset = _rise(c["docs"], g.exposure, lo, we)
            if onset is None and ds > first_old:  # revived: above its rate while the old idea lived
                onset = _rise(c["docs"], g.exposure, ds, we, ref=first_old)
            if onset is None:
                continue
        h, rc, pick = handover(old_docs, c["docs"], g.exposure, ws, we, by)
        near = nearness(onset, ds, de)
        rows.append({**c, "onset_i": onset, "handover": (2.0 * h + near) / 3.0, "rate_correlation": rc,
                     "pickup": pick, "near": near, "early": onset < ds,
                     "docs_since_onset": int(c["docs"][onset:].sum())})
    if not watch:
        rows = [r for r in rows if not ix.is_fragment(r["phrase_id"], inside, FRAGMENT_SHARE)]
    # The shortlist whose words are compared: the best by timing and, as many again, the best by the
    # context sketches kept in the index (a successor said in the same speeches as the old name, such as
    # "AmeriCorps" beside "national service", has the words but no falling-rising timing to show).
    for r in rows:
        r["_sketch"] = sketch_cosine(old_vec, ix.sketches[r["phrase_id"]] if "phrase_id" in r else _sketch(
            corpus, ix, r["idea"], r["docs"], g.periods, by, words))
    if watch:  # a watchlist's ideas are sampled one scan each: the best by timing and by sketch
        k = max(SHORTLIST, 3 * limit)
        by_time = sorted(rows, key=lambda r: (-r["handover"], r["name"]))[:k]
        by_words = sorted(rows, key=lambda r: (-r["_sketch"] * r["near"], r["name"]))[:k]
        rows = list({r["name"]: r for r in by_time + by_words}.values())

    # Context: the sketches kept in the phrase statistics (no scan); ideas whose aliases are not all
    # kept phrases are sketched from a sample of their documents.
    # ... and the words themselves around both in the hand-over years: what is said about them then,
    # from a sample of documents (a short scan each). The sketch is an estimate kept in the index that
    # is good with many documents; the sample is better with few (a corpus of yearly speeches): the
    # context is the larger of the two.
    span = (g.periods[ws].date(), shift_periods(g.periods[we], 1, by).date() - dt.timedelta(days=1))  # any year
    old_text = _window_context(corpus, old, span)
    pooled = {} if watch else pooled_contexts(corpus, [r["name"] for r in rows], g.periods, ws, we, by)
    # A programme known by a capitalised name is succeeded by another so named (No Child Left Behind by Race to
    # the Top; a topic of the same years, "high school", is no successor): as in emerging, such a candidate's
    # score is weighted NAME_WEIGHT when the old idea is a capitalised name itself
    capitalised = _capitalised(ix)
    old_named = pid_old is not None and bool(capitalised[pid_old])
    out = []
    for r in rows:
        r["named"] = old_named and "phrase_id" in r and bool(capitalised[r["phrase_id"]])
        excl = old_tokens | {t for toks, _ in _phrase_tokens(r["idea"].query) for t in toks}
        ctx = pooled[r["name"]] if r["name"] in pooled else _window_context(corpus, r["idea"], span)
        text_cos, shared_now = cosine(old_text, ctx, words.idf, words.default_idf, excl, words.logp)
        cos = max(r["_sketch"], min(1.0, text_cos))
        r["_shared"] = shared_now
        out.append({
            "phrase": r["name"] if not watch else " ".join(match_tokens(r["name"])),
            "idea": r["name"],
            "score": cos * (1.0 + max(r["handover"], 0.0)) / 2.0 * (NAME_WEIGHT if r["named"] else 1.0),
            "handover": r["handover"],
            "context": cos,
            "rate_correlation": r["rate_correlation"],
            "pickup": r["pickup"],
            "onset": g.periods[r["onset_i"]].date(),
            "docs_since_onset": r["docs_since_onset"],
            "_r": r,
        })
    out.sort(key=lambda r: (-r["score"], r["phrase"]))
    if not watch:  # of variants of one name ("garden bridge", "thames garden bridge") the most used stands
        # for them (a rarer variant's few contexts give a noisier cosine), then the list is by score
        busiest = sorted(range(len(out)), key=lambda i: (-out[i]["docs_since_onset"], out[i]["phrase"]))
        keep = set(greedy_distinct(busiest, [r["phrase"] for r in out], len(out)))
        out = [r for i, r in enumerate(out) if i in keep]
    out = out[:limit]
    # Words behind the context score of the best few: one sample of documents each (a scan per phrase).
    old_words = _context(corpus, old, old_docs, g.periods, by) if out and explain else Counter()
    for k, row in enumerate(out):
        shared: list[str] = list(row["_r"].get("_shared", []))
        if k < explain and not shared:
            r = row["_r"]
            ctx = _context(corpus, r["idea"], r["docs"], g.periods, by)
            excl = old_tokens | {t for toks, _ in _phrase_tokens(r["idea"].query) for t in toks}
            shared = cosine(old_words, ctx, words.idf, words.default_idf, excl, words.logp)[1]
        row["shared_context"] = shared
        row["explanation"] = _explain(old.name, row["_r"], period_words(row["onset"], by), row["context"], shared)
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


def pooled_contexts(corpus: Any, phrases: list[str], periods: pd.DatetimeIndex, ws: int, we: int,
                    by: str) -> dict[str, Counter[str]]:
    """Context words (``TEXT_WINDOW`` tokens either side) of every phrase in up to TEXT_DOCS documents of
    periods [ws, we], from one pool of documents: the window is cut into up to POOL_BLOCKS blocks and
    each block gives up to POOL_DOCS / POOL_BLOCKS documents that mention any of the phrases (one scan per
    block, not one per phrase); a phrase's documents are taken evenly across the pool."""
    out: dict[str, Counter[str]] = {p: Counter() for p in phrases}
    if not phrases:
        return out
    pool = Idea("successor candidates", tuple(f'"{p}"' for p in phrases))
    cuts = np.array_split(np.arange(ws, we + 1), min(POOL_BLOCKS, we - ws + 1))
    norms: list[str] = []
    for block in cuts:
        if not block.size:
            continue
        d0 = periods[block[0]].date()
        d1 = shift_periods(periods[block[-1]], 1, by).date() - dt.timedelta(days=1)
        found = corpus.engine.matching_documents(pool, limit=max(1, POOL_DOCS // len(cuts)), date_from=d0, date_to=d1)
        norms.extend(found["norm"])
    pats = {p: tuple(p.split(" ")) for p in phrases}
    by_first: dict[str, list[str]] = {}
    for p, t in pats.items():
        by_first.setdefault(t[0], []).append(p)
    hits: dict[str, list[tuple[int, int, int]]] = {p: [] for p in phrases}  # (document, start, end)
    toks_of: list[list[str]] = []
    for d, norm in enumerate(norms):
        toks = norm.split()
        toks_of.append(toks)
        for i, w in enumerate(toks):
            for p in by_first.get(w, ()):
                t = pats[p]
                if tuple(toks[i : i + len(t)]) == t:
                    hits[p].append((d, i, i + len(t)))
    for p, hs in hits.items():
        docs = sorted({d for d, _, _ in hs})
        if len(docs) > TEXT_DOCS:  # evenly across the pool, which runs oldest first
            docs = [docs[int(j)] for j in np.linspace(0, len(docs) - 1, TEXT_DOCS)]
        keep = set(docs)
        c = out[p]
        for d in keep:
            toks = toks_of[d]
            mine = [(a, b) for dd, a, b in hs if dd == d]
            inside = {j for a, b in mine for j in range(a, b)}
            seen: set[int] = set()
            for a, b in mine:
                for j in range(max(0, a - TEXT_WINDOW), min(len(toks), b + TEXT_WINDOW)):
                    if j in seen or j in inside:
                        continue
                    seen.add(j)
                    if not is_boundary(toks[j]):
                        c[toks[j]] += 1
    return out


def _window_context(corpus: Any, idea: Idea, span: tuple[Any, Any]) -> Counter[str]:
    """Context words (``TEXT_WINDOW`` tokens either side) of an idea in up to TEXT_DOCS documents of ``span``."""
    found = corpus.engine.matching_documents(idea, limit=TEXT_DOCS, date_from=span[0], date_to=span[1])
    return context_counts(list(found["norm"]), _phrase_tokens(idea.query), TEXT_WINDOW)


def _explain(old: str, r: dict[str, Any], onset: str, cos: float, shared: list[str]) -> str:
    """One line: when the successor was born (as the period reads: "1967", "2014-03"), context and hand-over."""
    words = f" (shared words: {', '.join(shared[:5])})" if shared else ""
    when = ("in or near the decline" if r.get("near", 1.0) >= 1.0 else
            f"well {'before' if r.get('early') else 'after'} the decline (nearness {r['near']:.2f})")
    named = f"; a capitalised name like {old!r} (x{NAME_WEIGHT})" if r.get("named") else ""
    return (f"born {onset} {when} of {old!r}; context {cos:.2f}{words}; hand-over {r['handover']:.2f} "
            f"(rates correlate {r['rate_correlation']:+.2f}, picks up {100 * r['pickup']:.0f}% of the lost rate)"
            f"{named}")


def _capitalised(ix: Any) -> np.ndarray:
    """Per phrase_id: capitalised in at least PROPER_SHARE of two or more uses inside sentences (any length)."""
    props = ix.props
    mid = props["mid"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(mid > 0, props["cap"].to_numpy() / np.maximum(mid, 1), 0.0)
    return (mid >= 2) & (cap >= PROPER_SHARE)


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
        # each word's share of the tokens, counts raised to 0.75 (Levy et al. 2015: rare words' PMI is
        # otherwise inflated), for the positive PMI weights of context words
        smooth = np.maximum(self.occ, 1.0) ** 0.75
        self.logp = dict(zip(self.words, np.log(smooth / max(float(smooth.sum()), 1.0))))
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
