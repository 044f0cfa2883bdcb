"""Shared pieces of the discovery analyses: windows, burst statistics, fragments, lifecycle fields."""

from __future__ import annotations

import datetime as dt
import warnings
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from policypulse.errors import UsageError
from policypulse.lifecycle.emergence import BACKGROUND_CONFIDENCE, BURST_SCALE, find_emergence
from policypulse.lifecycle.result import CONTRACT_FIELDS
from policypulse.lifecycle.series import Series

# Lifecycle fields added to every discovered phrase (the contract's, without "idea": "phrase" names it).
LIFECYCLE_FIELDS: tuple[str, ...] = tuple(f for f in CONTRACT_FIELDS if f != "idea")
MAX_SIGNIFICANCE = 300.0  # -log10 p is capped here (p below 1e-300 is not a number worth printing)
FRAGMENT_SHARE = 0.8  # a phrase is a fragment of a longer one that holds at least 80% of its documents

_INDEXES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def phrase_index(corpus: Any, progress: Any = None) -> Any:
    """The corpus's PhraseIndex, built on first use and kept as long as the corpus object lives."""
    from policypulse.discover.index import PhraseIndex

    ix = _INDEXES.get(corpus)
    if ix is None:
        ix = PhraseIndex(corpus, progress=progress)
        _INDEXES[corpus] = ix
    return ix


def period_index(periods: pd.DatetimeIndex, day: dt.date, by: str, *, side: str) -> int:
    """Index of the period holding ``day`` (clipped to the grid); side='left' for a window start."""
    from policypulse.timeline import period_start

    ts = period_start(pd.Timestamp(day), by)
    i = int(periods.searchsorted(ts, side="left"))
    if side == "right" and (i >= len(periods) or periods[i] != ts):
        i -= 1
    return max(0, min(i, len(periods) - 1)) if side == "right" else min(i, len(periods))


def neglog10_poisson_sf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Poisson(mu), stable far in the tail, capped at MAX_SIGNIFICANCE."""
    k = np.asarray(k, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = stats.poisson.logsf(k - 1.0, mu)
        # Chernoff bound (the likelihood-ratio statistic) where the exact tail underflows
        llr = np.where(k > mu, k * np.log(np.maximum(k, 1e-300) / mu) - (k - mu), 0.0)
    out = np.where(np.isfinite(logp), -logp / np.log(10.0), llr / np.log(10.0))
    return np.clip(np.where(k <= 0, 0.0, out), 0.0, MAX_SIGNIFICANCE)


def background_bound(d0: np.ndarray, e0: np.ndarray) -> np.ndarray:
    """Upper 97.5% Poisson bound of the earlier rate (the lifecycle's emergence background)."""
    d0 = np.asarray(d0, dtype=float)
    e0 = np.asarray(e0, dtype=float)
    return np.where(e0 > 0, stats.gamma.ppf(BACKGROUND_CONFIDENCE, d0 + 1.0) / np.where(e0 > 0, e0, 1.0), np.inf)


def burst(d0: Any, e0: Any, d1: Any, e1: Any) -> dict[str, np.ndarray]:
    """A burst of ``d1`` documents in exposure ``e1`` after ``d0`` in ``e0``: ratio, significance, score.

    ``ratio`` is the burst's rate over the upper bound of the earlier rate; ``significance`` is
    -log10 of the Poisson probability of at least ``d1`` documents at that bound; ``score`` =
    log2(ratio) x significance (strength x significance), 0 unless the rate at least doubled.
    """
    d0, e0, d1, e1 = (np.asarray(x, dtype=float) for x in (d0, e0, d1, e1))
    b = background_bound(d0, e0)
    r1 = np.where(e1 > 0, d1 / np.where(e1 > 0, e1, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(b) & (b > 0), r1 / b, 0.0)
    sig = neglog10_poisson_sf(d1, np.where(np.isfinite(b), b * e1, np.inf))
    sig = np.where(np.isfinite(b), sig, 0.0)
    effect = r1 >= BURST_SCALE * np.where(e0 > 0, d0 / np.where(e0 > 0, e0, 1.0), np.inf)
    strength = np.where(ratio > 1.0, np.log2(np.maximum(ratio, 1.0)), 0.0)
    score = np.where(effect, strength * sig, 0.0)
    return {"background": b, "rate": r1, "ratio": ratio, "significance": sig, "p_value": 10.0 ** (-sig),
            "score": score}


def series_of(by: str, periods: pd.DatetimeIndex, docs: np.ndarray, mentions: np.ndarray,
              exposure: np.ndarray) -> Series:
    """A lifecycle Series from arrays already on a zero-filled grid (no re-validation)."""
    return Series(by, periods, docs.astype(np.int64), mentions.astype(np.int64), exposure.astype(np.int64),
                  exposure > 0)


def emergence_of(s: Series) -> tuple[int | None, bool]:
    """Emergence period index of a series (lifecycle definition) and whether it is left-censored."""
    em = find_emergence(s)
    return em.index, em.censored


def lifecycle_fields(frame: pd.DataFrame, by: str, name: str, *, n_boot: int, seed: int,
                     as_of: dt.date | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """The lifecycle contract fields of one series (JSON-ready values)."""
    from policypulse.lifecycle import StatisticalWarning, analyse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        lc = analyse(frame, by, idea=name, n_boot=n_boot, seed=seed, as_of=as_of, alpha=alpha)
    d = lc.to_dict()
    out = {f: d[f] for f in LIFECYCLE_FIELDS}
    out["coverage_warning"] = d.get("coverage_warning")
    return out


def _contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    n, m = len(longer), len(shorter)
    return m < n and any(tuple(longer[i : i + m]) == tuple(shorter) for i in range(n - m + 1))


def overlaps(a: str, b: str) -> bool:
    """True when one phrase is a contiguous part of the other, or they overlap by two or more tokens
    at their ends ("richard nixon the white" and "nixon the white house": pieces of one longer phrase)."""
    ta, tb = a.split(" "), b.split(" ")
    if ta == tb or _contains(ta, tb) or _contains(tb, ta):
        return True
    for x, y in ((ta, tb), (tb, ta)):
        for k in range(2, min(len(x), len(y))):
            if x[-k:] == y[:k]:
                return True
    return False


def drop_fragments(phrases: Sequence[str], counts: Sequence[float]) -> np.ndarray:
    """Mask of phrases to keep: a phrase whose longer container holds >= 80% of its documents is a fragment.

    "national living" and "living wage" are fragments of "national living wage" when nearly every
    document with them has the whole phrase; "living wage" used on its own as well is kept.
    """
    toks = [p.split(" ") for p in phrases]
    keep = np.ones(len(phrases), dtype=bool)
    by_len = sorted(range(len(phrases)), key=lambda i: -len(toks[i]))
    for i in range(len(phrases)):
        for j in by_len:
            if len(toks[j]) <= len(toks[i]):
                break
            if counts[j] >= FRAGMENT_SHARE * counts[i] and _contains(toks[j], toks[i]):
                keep[i] = False
                break
    return keep


def greedy_distinct(order: Iterable[int], phrases: Sequence[str], limit: int) -> list[int]:
    """Indices in ``order``, skipping any phrase that overlaps one already taken, up to ``limit``."""
    taken: list[int] = []
    for i in order:
        if any(overlaps(phrases[i], phrases[j]) for j in taken):
            continue
        taken.append(i)
        if len(taken) >= limit:
            break
    return taken


def check_limit(limit: int) -> int:
    """A positive --limit."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    return int(limit)
