"""Obituaries: phrases (or watchlist ideas) the lifecycle analysis declares dead, most notable first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policypulse.discover.common import (
    FRAGMENT_SHARE,
    LIFECYCLE_FIELDS,
    MAX_SIGNIFICANCE,
    check_limit,
    cohesion,
    distinct_longest,
    explain_death,
    fresh_share,
    idea_mask,
    lifecycle_fields,
    period_index,
    phrase_index,
    termhood,
)
from policypulse.errors import UsageError
from policypulse.lifecycle.death import REPEAT_FACTOR
from policypulse.lifecycle.series import MIN_SILENCE, RECENT_WINDOW, SMOOTH_WIDTH
from policypulse.options import as_date
from policypulse.text import tokens as match_tokens

PRESELECT = 150  # phrases (at least; 5 per requested row) given the full lifecycle analysis
CERTAIN = 10.0  # in the ranking, a death p-value below 1e-10 counts as certain: size decides among them
# A discovered phrase is listed only when the lifecycle finds it more likely dead than still in use
# (docs/methods.md, Obituaries): its death_probability, calibrated on real history, at least this
MIN_DEATH_PROBABILITY = 0.5

COLUMNS = ["phrase", "score", "peak_docs", "significance", "death_p_value", "q_value", "evidence", "last_mention",
           "total_docs", "kind", "explanation"]


def _notability(peak_docs: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    """(significance, score): -log10 p (capped at MAX_SIGNIFICANCE); score = peak documents x
    significance, with significance capped at CERTAIN in the product."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        sig = np.clip(-np.log10(np.maximum(p, 0.0)), 0.0, MAX_SIGNIFICANCE)
    return sig, np.asarray(peak_docs, dtype=float) * np.minimum(sig, CERTAIN)


def _bh_threshold(p: np.ndarray, alpha: float, m: int | None = None) -> float:
    """Benjamini-Hochberg: the largest p-value p_(k) with p_(k) <= alpha k / m (0 when none).

    ``m`` (default: the number of p-values) may exceed it: the missing tests count as p = 1.
    """
    if p.size == 0:
        return 0.0
    ps = np.sort(p)
    m = max(m or ps.size, ps.size)
    ok = np.flatnonzero(ps <= alpha * np.arange(1, ps.size + 1) / m)
    return float(ps[ok[-1]]) if ok.size else 0.0


def _bh_qvalues(p: np.ndarray, m: int) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of ``p`` among ``m`` >= len(p) tests (the rest p = 1)."""
    if p.size == 0:
        return p
    m = max(int(m), p.size)
    order = np.argsort(p, kind="stable")
    q = p[order] * m / np.arange(1, p.size + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def _evidence(status: str, q: float, alpha: float) -> str:
    """How strong the evidence of a death is, in one word: strong (dead at the repeated-looks level and
    a false discovery rate under alpha over all phrases screened), good (one of the two), suggestive (the
    silence is unlikely at one look, p < alpha, but neither holds)."""
    hits = (status == "dead") + (q <= alpha)
    return ("suggestive", "good", "strong")[int(hits)]


def peak_volume(docs: np.ndarray, width: int) -> np.ndarray:
    """Documents in the busiest window of ``width`` consecutive periods (the smoothing window), per row."""
    from policypulse.lifecycle.series import window_sums

    return window_sums(np.atleast_2d(docs).astype(float), width).max(axis=-1)


def obituaries(corpus: Any, ideas: Any = None, *, ideas_file: str | Path | None = None,
               as_of: str | dt.date | None = None, by: str = "month", limit: int = 20, alpha: float = 0.05,
               min_docs: int = 5, n_boot: int = 50, seed: int = 0, died_from: str | dt.date | None = None,
               died_to: str | dt.date | None = None, include_names: bool = False,
               progress: Any = None) -> pd.DataFrame:
    """Dead phrases (or dead ideas of ``ideas``/``ideas_file``), most notable death first.

    For discovered phrases ``score`` = documents in the peak window (the 3 busiest consecutive periods,
    reprinted passages counted once) x the lifecycle's ``death_probability`` x (1/2 + cohesion) (their
    normalised PMI, as in ``emerging``) x (1/2 + termhood) (``common.termhood``, how the corpus uses it:
    a name rather than a generic expression): the expected size of a death, so that a programme in steady use
    that fell silent ranks by how likely it is gone, not by how long its history was. For a watchlist's
    ideas ``score`` = peak documents x -log10(death p-value), capped at 10 in the product. ``as_of``
    judges the corpus as it stood on that date. Without ideas every phrase of the phrase statistics is
    screened: those whose silence after the last mention is unlikely at their rate in the year before it
    (the death test's leave-last-out rate, at least 2 earlier mentions) get the full lifecycle analysis,
    and a phrase is listed when the lifecycle finds its silence unlikely at one look (dead or dormant,
    p < ``alpha``) and the idea more likely gone than in use (death_probability >= 1/2); each row says
    how strong the evidence is (``evidence``, ``q_value``). Only phrases a reader accepts
    as ideas are screened (``common.phrase_kinds``; names too with ``include_names``); ``died_from`` and
    ``died_to`` keep those whose last mention falls between them ("what died in the 1970s"). Each row's
    ``explanation`` says when it peaked, when it was last used and how unlikely the silence is.
    """
    limit = check_limit(limit)
    if not 0 < alpha < 1:
        raise UsageError(f"--alpha must be between 0 and 1, got {alpha}")
    cut = as_date(as_of, "--as-of")
    d0, d1 = as_date(died_from, "--died-from"), as_date(died_to, "--died-to")
    if d0 is not None and d1 is not None and d0 > d1:
        raise UsageError("--died-from must not be after --died-to")
    if ideas is not None or ideas_file is not None:
        out = _idea_obituaries(corpus, ideas, ideas_file, cut, by, alpha, n_boot, seed)
        if not out.empty and (d0 is not None or d1 is not None):
            last = pd.to_datetime(out["last_mention"])
            keep = np.ones(len(out), dtype=bool)
            if d0 is not None:
                keep &= last >= pd.Timestamp(d0)
            if d1 is not None:
                keep &= last <= pd.Timestamp(d1)
            out = out[keep]
    else:
        out = _phrase_obituaries(corpus, cut, by, alpha, min_docs, limit, n_boot, seed, progress,
                                 d0, d1, include_names)
    out = out.head(limit).reset_index(drop=True)
    out.attrs["provenance"] = corpus.provenance(
        command="obituaries", by=by, as_of=str(cut) if cut else None, alpha=alpha, limit=limit,
        min_docs=min_docs, n_boot=n_boot, seed=seed, died_from=str(d0) if d0 else None,
        died_to=str(d1) if d1 else None, include_names=include_names,
        ideas_file=str(ideas_file) if ideas_file else None)
    return out


def _idea_obituaries(corpus: Any, ideas: Any, ideas_file: Any, cut: dt.date | None, by: str, alpha: float,
                     n_boot: int, seed: int) -> pd.DataFrame:
    result = corpus.lifecycle(ideas, ideas_file=ideas_file, by=by, alpha=alpha, as_of=cut, n_boot=n_boot, seed=seed)
    rows = []
    result = list(result)
    for lc in result:
        if lc.status != "dead":
            continue
        d = lc.to_dict()
        peak_docs = int(peak_volume(lc.series.docs, SMOOTH_WIDTH[by])[0]) if lc.series is not None and lc.series.n else 0
        sig, score = _notability(peak_docs, lc.death_p_value)
        rows.append({"phrase": " ".join(match_tokens(lc.idea)), "idea": lc.idea, "score": float(score),
                     "peak_docs": peak_docs, "significance": float(sig), "total_docs": lc.total_docs_mentioning,
                     "kind": "idea", **{f: d[f] for f in LIFECYCLE_FIELDS}})
    # a watchlist's ideas are tested together: their q-values are over the ideas of the list
    qs = _bh_qvalues(np.array([r["death_p_value"] for r in rows], dtype=float), len(result))
    for r, q in zip(rows, qs):
        r["q_value"] = float(q)
        r["evidence"] = _evidence(r["status"], float(q), alpha)
        r["explanation"] = explain_death(r, by)
    cols = ["phrase", "idea"] + COLUMNS[1:] + [f for f in LIFECYCLE_FIELDS if f not in COLUMNS]
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(rows).sort_values(["score", "phrase"], ascending=[False, True])[cols]


def _phrase_obituaries(corpus: Any, cut: dt.date | None, by: str, alpha: float, min_docs: int, limit: int,
                       n_boot: int, seed: int, progress: Any, died_from: dt.date | None = None,
                       died_to: dt.date | None = None, include_names: bool = False) -> pd.DataFrame:
    ix = phrase_index(corpus, progress)
    g = ix.grid(by)
    ic = len(g.periods) - 1 if cut is None else period_index(g.periods, cut, by, side="right")
    if cut is not None and pd.Timestamp(cut) < g.periods[0]:
        raise UsageError(f"--as-of {cut} is before the corpus starts ({g.periods[0].date()})")
    E = g.exposure[: ic + 1].astype(float)
    covered = E > 0
    cumE = np.concatenate([[0.0], np.cumsum(E)])
    cc = np.cumsum(covered)  # covered periods up to and including each index
    cov_idx = np.flatnonzero(covered)
    from scipy import sparse

    M = g.docs[:, : ic + 1].tocsr()
    M.sort_indices()
    nnz = np.diff(M.indptr)
    has = nnz > 0
    rows_all = np.repeat(np.arange(M.shape[0]), nnz)
    last = np.full(M.shape[0], -1, dtype=np.int64)
    last[has] = M.indices[M.indptr[1:][has] - 1]
    total = np.asarray(M.sum(axis=1)).ravel()
    # Volume at the peak: documents in the busiest smoothing window (3 periods), from the sparse rows.
    w = SMOOTH_WIDTH[by]
    peak = np.zeros(M.shape[0], dtype=np.int64)
    for shift in range(-(w // 2), w // 2 + 1):
        cols_s = M.indices + shift
        okc = (cols_s >= 0) & (cols_s <= ic)
        S = sparse.csr_matrix((M.data[okc], (rows_all[okc], cols_s[okc])), shape=M.shape)
        peak = S if isinstance(peak, np.ndarray) and shift == -(w // 2) else peak + S
    peak = np.asarray(peak.max(axis=1).toarray()).ravel().astype(np.int64) if M.nnz else np.zeros(M.shape[0], np.int64)
    # Recent window: the RECENT_WINDOW covered periods ending at the last mention (the death test's).
    R = RECENT_WINDOW[by]
    pos = np.searchsorted(cov_idx, np.maximum(last, 0))
    start = cov_idx[np.maximum(pos - R + 1, 0)] if cov_idx.size else np.zeros_like(last)
    cols = M.indices
    in_win = (cols >= start[rows_all]) & (cols <= last[rows_all])
    d_win = np.bincount(rows_all[in_win], weights=M.data[in_win], minlength=M.shape[0])
    e_win = cumE[last + 1] - cumE[start]
    e_after = cumE[ic + 1] - cumE[last + 1]
    silent = cc[-1] - cc[np.maximum(last, 0)] if cc.size else np.zeros_like(last)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(e_win > 0, np.maximum(d_win - 1.0, 0.0) / e_win, 0.0)
    expected = lam * e_after
    # Screening thousands of phrases, a 5% test calls dozens of rare words dead by chance, yet in a corpus of
    # one speech a year a programme said in five addresses never reaches a false discovery rate of 5% over
    # hundreds of phrases. So the list holds every phrase whose silence is unlikely at one look (the
    # lifecycle's predictive p < alpha), ranked by notability, and each row says how strong its evidence
    # is: its Benjamini-Hochberg q-value over every phrase that could have been listed (Benjamini &
    # Hochberg 1995; the unlisted count as p = 1) and whether the lifecycle calls it dead at the
    # repeated-looks level (``evidence``: strong, good or suggestive).
    # a passage reprinted word for word counts once (common.fresh_share): Carter's written messages of
    # 1979-1981 repeat whole pages, whose phrases would otherwise all "die" in 1981 with three uses
    fresh = fresh_share(ix)
    eligible = has & (total * fresh >= min_docs - 1e-9) & (silent >= MIN_SILENCE[by]) & (d_win * fresh >= 3 - 1e-9)
    eligible &= idea_mask(ix, include_names=include_names)
    kinds = ix._kinds[0]
    coh = cohesion(ix)
    # idea-likeness of a lowercase or capitalised phrase alike (common.termhood; 1/2 where unknown)
    th = np.nan_to_num(termhood(ix), nan=0.5)
    if died_from is not None:
        eligible &= last >= period_index(g.periods, died_from, by, side="left")
    if died_to is not None:
        eligible &= last <= period_index(g.periods, died_to, by, side="right")
    m_tests = int(eligible.sum())
    # The screen keeps what could pass the death test at one look (the plug-in p is smaller than the
    # lifecycle's predictive p, so nothing the lifecycle would call silent enough is lost here).
    p_screen = np.exp(-expected)
    ok = eligible & (p_screen <= alpha)
    cand = np.flatnonzero(ok)
    # the ranking's death probability with the plug-in p (at most the lifecycle's: an upper bound), for the order
    uses = np.maximum(nnz[cand], 2) - 1.0
    proxy = (peak[cand] * fresh[cand] * (0.5 + coh[cand]) * (0.5 + th[cand])
             / (1.0 + uses * np.minimum(1.0, p_screen[cand] / REPEAT_FACTOR)))
    cand = cand[np.argsort(-proxy, kind="stable")][: max(PRESELECT, 5 * limit)]
    rows = []
    for pid in cand:
        phrase = ix.phrases["phrase"].iat[pid]
        life = lifecycle_fields(g.series(int(pid)), by, phrase, n_boot=0, seed=seed, as_of=cut, alpha=alpha)
        p, prob = life["death_p_value"], life["death_probability"]
        if (life["status"] not in ("dead", "dormant") or p is None or p >= alpha or prob is None
                or prob < MIN_DEATH_PROBABILITY):
            continue
        sig, _ = _notability(peak[pid] * fresh[pid], p)
        score = peak[pid] * fresh[pid] * float(prob) * (0.5 + float(coh[pid])) * (0.5 + float(th[pid]))
        rows.append({"phrase_id": int(pid), "phrase": phrase, "score": float(score), "peak_docs": int(peak[pid]),
                     "significance": float(sig), "total_docs": int(total[pid]), "kind": str(kinds[pid]), **life})
    # Honest strength of each entry: the Benjamini-Hochberg q-value over every phrase that could have been
    # listed (the others count as p = 1), and the verdict's level: "dead" holds at the repeated-looks level.
    qs = _bh_qvalues(np.array([r["death_p_value"] for r in rows], dtype=float), m_tests)
    for r, q in zip(rows, qs):
        r["q_value"] = float(q)
        r["evidence"] = _evidence(r["status"], float(q), alpha)
    cols_out = COLUMNS + [f for f in LIFECYCLE_FIELDS if f not in COLUMNS]
    if not rows:
        return pd.DataFrame(columns=cols_out)
    out = pd.DataFrame(rows)
    keep = [not ix.is_fragment(pid, total, FRAGMENT_SHARE) for pid in out["phrase_id"]]
    out = out[keep].sort_values(["score", "phrase"], ascending=[False, True]).reset_index(drop=True)
    take = distinct_longest(range(len(out)), list(out["phrase"]), [total[pid] for pid in out["phrase_id"]], limit)
    out = out.iloc[take].reset_index(drop=True)
    if n_boot:  # intervals (peak, forecast) only for the phrases shown
        lives = [lifecycle_fields(g.series(int(pid)), by, ph, n_boot=n_boot, seed=seed, as_of=cut, alpha=alpha)
                 for pid, ph in zip(out["phrase_id"], out["phrase"])]
        out = pd.concat([out.drop(columns=list(LIFECYCLE_FIELDS)),
                         pd.DataFrame(lives, columns=list(LIFECYCLE_FIELDS))], axis=1)
    out["explanation"] = [explain_death(r, by) for r in out.to_dict("records")]
    return out[cols_out]
