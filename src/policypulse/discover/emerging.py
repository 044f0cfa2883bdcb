"""Emerging phrases: born in a window (burst onset inside it, little use before), strongest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from policypulse.discover.common import (
    FRAGMENT_SHARE,
    LIFECYCLE_FIELDS,
    burst,
    check_limit,
    cohesion,
    emergence_of,
    enough_docs,
    explain_birth,
    fresh_share,
    greedy_distinct,
    idea_mask,
    lifecycle_fields,
    overlaps,
    period_index,
    phrase_index,
    proper_names,
    series_of,
)
from policypulse.errors import UsageError
from policypulse.lifecycle.series import RECENT_WINDOW, RUN_LENGTH
from policypulse.options import as_date

PRESELECT = 300  # candidates (at least; 15 per requested row) whose onset is dated exactly
PRESELECT_ALPHA = 0.01  # window-level burst test a candidate must pass (the emergence test's level)
# A capitalised name of several words is what an address calls a programme, an agency or a treaty by ("Atoms
# for Peace", "Department of Energy"); its score is raised by this factor (docs/methods.md, Emerging)
NAME_WEIGHT = 1.3

COLUMNS = ["phrase", "score", "onset", "burst_ratio", "significance", "p_value", "docs_before", "docs_since_onset",
           "fresh_docs_since_onset", "rate_before", "rate_since_onset", "docs_in_window", "n_tokens", "cohesion", "kind", "explanation"]


def window(grid: Any, date_from: dt.date | None, date_to: dt.date | None, by: str) -> tuple[int, int]:
    """Period indices [ia, ib] of a window; default: the last RECENT_WINDOW periods with documents.

    Counting periods with documents rather than calendar periods gives a corpus of one speech a year (the
    State of the Union by month) its last twelve speeches, not one speech and eleven empty months, in
    which nothing can be seen to emerge; a daily news archive, covered every month, gets its last year.
    At least one covered period is left before the window (emergence is judged against earlier use).
    """
    n = len(grid.periods)
    ib = n - 1 if date_to is None else period_index(grid.periods, date_to, by, side="right")
    if date_from is None:
        covered = np.flatnonzero(np.asarray(grid.exposure[: ib + 1]) > 0)
        if covered.size > 1:
            ia = int(covered[max(1, covered.size - RECENT_WINDOW[by])])
        else:
            ia = max(0, ib - RECENT_WINDOW[by] + 1)
    else:
        ia = period_index(grid.periods, date_from, by, side="left")
    if date_to is not None and pd.Timestamp(date_to) < grid.periods[0]:
        raise UsageError(f"--to {date_to} is before the corpus starts ({grid.periods[0].date()})")
    if ia > ib:
        raise UsageError("the window is empty: --from must not be after --to, and both inside the corpus")
    if grid.exposure[:ia].sum() == 0:
        raise UsageError("no documents before the window: emergence is judged against earlier use, so "
                         "--from must leave some of the corpus before it")
    return ia, ib


def emerging(corpus: Any, *, date_from: str | dt.date | None = None, date_to: str | dt.date | None = None,
             by: str = "month", limit: int = 20, min_docs: int = 3, n_boot: int = 50, seed: int = 0,
             include_names: bool = False, progress: Any = None) -> pd.DataFrame:
    """Phrases born in [date_from, date_to], ranked by burst strength x significance, with lifecycle fields.

    Born means: the phrase's emergence (the lifecycle definition: first sustained run significantly
    above its own earlier rate, dated on the whole corpus) falls in the window and is not left-censored.
    ``score`` = log2(burst_ratio) x significance x (1/2 + cohesion), cohesion being the phrase's
    normalised PMI (``common.cohesion``), where burst_ratio is the rate from the onset to the
    window's end (at least the emergence test's run of periods, which may reach past the window) over the
    upper 97.5% bound of the rate before the onset, and significance is -log10 of the gamma-Poisson
    (negative binomial) probability of that many documents given the earlier rate and its uncertainty.
    ``docs_in_window`` counts the window and the run after it (the screen's count). Only phrases a
    reader accepts as ideas are listed (``common.phrase_kinds``: no sentence crossing, no boilerplate of
    openings and sign-offs, no contraction fragments, no single common words); people's names too with
    ``include_names``. Each row's ``explanation`` says when it was born, from what, and how strongly.
    """
    limit = check_limit(limit)
    d0, d1 = as_date(date_from, "--from"), as_date(date_to, "--to")
    ix = phrase_index(corpus, progress)
    g = ix.grid(by)
    ia, ib = window(g, d0, d1, by)
    E = g.exposure.astype(float)
    # A phrase born near the window's end is judged on its run (the periods the emergence test looks
    # at), which may reach past the window: births are dated with the whole corpus in view.
    ic = min(len(g.periods) - 1, ib + RUN_LENGTH[by] - 1)
    e0, e1 = E[:ia].sum(), E[ia : ic + 1].sum()
    D = g.docs
    before = np.asarray(D[:, :ia].sum(axis=1)).ravel()
    inside = np.asarray(D[:, ia : ic + 1].sum(axis=1)).ravel()
    fresh = fresh_share(ix)  # reprinted passages count once (documents x the share of fresh contexts)
    pre = burst(before * fresh, e0, inside * fresh, e1)
    accept = idea_mask(ix, include_names=include_names)
    kinds = ix._kinds[0]
    coh = cohesion(ix)
    named = proper_names(ix)
    ok = enough_docs(inside * fresh, min_docs) & (pre["score"] > 0) & (pre["p_value"] < PRESELECT_ALPHA) & accept
    cand = np.flatnonzero(ok)
    cand = cand[np.argsort(-pre["score"][cand], kind="stable")][: max(PRESELECT, 15 * limit)]
    docs, occ = g.dense(cand)
    rows = []
    for k, pid in enumerate(cand):
        s = series_of(by, g.periods, docs[k], occ[k], g.exposure)
        onset, censored = emergence_of(s)
        if onset is None or censored or not ia <= onset <= ib:
            continue
        end = max(ib, min(len(g.periods) - 1, onset + RUN_LENGTH[by] - 1))
        f = float(fresh[pid])
        st = burst(docs[k, :onset].sum() * f, E[:onset].sum(), docs[k, onset : end + 1].sum() * f,
                   E[onset : end + 1].sum())
        rows.append({
            "phrase_id": int(pid),
            "phrase": ix.phrases["phrase"].iat[pid],
            "score": float(st["score"]) * (0.5 + float(coh[pid])) * (NAME_WEIGHT if named[pid] else 1.0),
            "onset": g.periods[onset].date(),
            "burst_ratio": float(st["ratio"]),
            "significance": float(st["significance"]),
            "p_value": float(st["p_value"]),
            "docs_before": int(docs[k, :onset].sum()),
            "docs_since_onset": int(docs[k, onset : end + 1].sum()),
            "fresh_docs_since_onset": float(docs[k, onset : end + 1].sum() * f),
            "rate_before": float(docs[k, :onset].sum() / max(E[:onset].sum(), 1.0)),
            "rate_since_onset": float(docs[k, onset : end + 1].sum() / max(E[onset : end + 1].sum(), 1.0)),
            "docs_in_window": int(inside[pid]),
            "n_tokens": int(ix.phrases["n"].iat[pid]),
            "kind": str(kinds[pid]),
            "cohesion": float(coh[pid]),
        })
        rows[-1]["explanation"] = explain_birth(rows[-1], by)
    out = pd.DataFrame(rows)
    if out.empty:
        result = pd.DataFrame(columns=COLUMNS + list(LIFECYCLE_FIELDS))
    else:
        out = out[out["score"] > 0].reset_index(drop=True)
        keep = [not ix.is_fragment(pid, inside, FRAGMENT_SHARE) for pid in out["phrase_id"]]
        out = out[keep].sort_values(["score", "phrase"], ascending=[False, True]).reset_index(drop=True)
        take = greedy_distinct(range(len(out)), list(out["phrase"]), limit + CHAIN_SPARE)
        out = out.iloc[take].reset_index(drop=True)
        out, frames = join_chains(corpus, ix, out, inside, ia, ic, g, by)
        out = out.iloc[:limit].reset_index(drop=True)
        life = [lifecycle_fields(frames.get(ph, g.series(pid) if pid >= 0 else None), by, ph, n_boot=n_boot, seed=seed)
                for pid, ph in zip(out["phrase_id"], out["phrase"])]
        result = pd.concat([out[COLUMNS], pd.DataFrame(life, columns=list(LIFECYCLE_FIELDS))], axis=1)
    result.attrs["provenance"] = corpus.provenance(
        command="emerging", by=by, date_from=str(g.periods[ia].date()), date_to=str(g.periods[ib].date()),
        limit=limit, min_docs=min_docs, n_boot=n_boot, seed=seed, include_names=include_names,
        phrase_statistics=_stats_meta(ix))
    return result


CHAIN_SPARE = 5  # rows kept beyond the limit, so that joining two of them still fills it


def join_chains(corpus: Any, ix: Any, out: pd.DataFrame, inside: np.ndarray, ia: int, ic: int, g: Any,
                by: str) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Extend a listed phrase into the longer name it is a piece of, beyond the counted length.

    Phrases are counted up to ``ngrams.MAX_N`` tokens, so a five-word name is two kept pieces that share a
    word ("department of commerce" and "commerce and labor"). A listed phrase is extended by the kept
    phrase that ends on its first word (or starts on its last), the one with most documents in the window,
    when that piece holds at least FRAGMENT_SHARE of the listed phrase's documents there and the engine
    finds the joined name in as many: the 1900s' "department of commerce and labor". The row keeps its
    statistics under the longer name, whose lifecycle the engine counts; listed pieces of it are dropped.
    """
    from policypulse.discover.ngrams import MAX_N
    from policypulse.discover.stopwords import is_boundary
    from policypulse.query.ideas import Idea

    ph = ix.phrases["phrase"].to_numpy()
    nn = ix.phrases["n"].to_numpy()
    joins: dict[int, str] = {}
    for row, pid in enumerate(out["phrase_id"]):
        toks = ph[pid].split(" ")
        if len(toks) < 2 or inside[pid] <= 0:
            continue
        ix.superphrases(int(pid))  # builds the index's token -> multi-word phrases map
        best: tuple[float, str] | None = None
        for end, t in (("start", toks[0]), ("end", toks[-1])):
            if is_boundary(t):
                continue
            ids = np.asarray(ix._by_token.get(t, ()), dtype=np.int64)
            # only phrases holding most of its documents can extend it (a vectorised screen: a common
            # word's list holds every kept phrase with it)
            ids = ids[(nn[ids] >= 2) & (ids != pid) & (inside[ids] >= FRAGMENT_SHARE * inside[pid])]
            for q in ids:
                qt = ph[q].split(" ")
                if end == "start" and qt[-1] == t:
                    joined = qt + toks[1:]
                elif end == "end" and qt[0] == t:
                    joined = toks + qt[1:]
                else:
                    continue
                if len(joined) > MAX_N and (best is None or inside[q] > best[0]):
                    best = (float(inside[q]), " ".join(joined))
        if best is not None:
            joins[row] = best[1]
    frames: dict[str, pd.DataFrame] = {}
    if not joins:
        return out, frames
    ideas = {p: Idea(p, (f'"{p}"',)) for p in set(joins.values())}
    tr = corpus.track(list(ideas.values()), by=by)
    out = out.copy()
    for row, joined in sorted(joins.items()):
        frame = pd.DataFrame({"period": g.periods}).merge(
            tr.loc[tr["idea"] == joined, ["period", "docs", "mentions"]], on="period", how="left").fillna(0)
        frame["total_docs"] = g.exposure
        frame = frame.astype({"docs": np.int64, "mentions": np.int64})
        pid = int(out["phrase_id"].iat[row])
        if frame["docs"].to_numpy()[ia : ic + 1].sum() < FRAGMENT_SHARE * float(inside[pid]):
            continue
        frames[joined] = frame
        out.loc[row, ["phrase", "n_tokens", "phrase_id"]] = [joined, len(joined.split(" ")), -1]
    # best first, a row that overlaps one kept above it is a piece of it (or it of the row): dropped
    keep: list[int] = []
    for k, phrase in enumerate(out["phrase"]):
        if not any(overlaps(phrase, out["phrase"].iat[j]) for j in keep):
            keep.append(k)
    return out.iloc[keep].reset_index(drop=True), frames


def _stats_meta(ix: Any) -> dict[str, Any]:
    m = ix.meta
    return {k: m[k] for k in ("method", "documents", "phrases", "min_docs", "min_pmi", "min_g2", "epsilon", "max_n")}
