"""Seeded simulator of quiet ideas under three mention processes, for the death verdict's error rates.

The three processes of issue 15, all monthly over 240 months with a corpus volume of 100-3,000
documents a month (log-uniform per idea, lognormal month to month) and 0.1-3 expected mentions a month
(log-uniform per idea):

* ``poisson``: documents mentioning the idea are Poisson(volume * rate);
* ``negbin``: negative binomial with the same mean and shape 0.5 (variance mean + mean^2 / 0.5);
* ``ar1``: Poisson around a rate whose logarithm is an AR(1) with phi = 0.8 and marginal standard
  deviation 1 (mean-corrected, so the expected count is the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PROCESSES: tuple[str, ...] = ("poisson", "negbin", "ar1")
N_MONTHS = 240
NB_SHAPE = 0.5
AR_PHI = 0.8
AR_SD = 1.0


@dataclass
class SimIdea:
    """One simulated idea: its monthly frame and what is true about it."""

    frame: pd.DataFrame
    process: str
    mean_mentions: float  # expected mentions a month while in use
    death: int | None  # first month with no use (None: alive throughout)
    last_mention: int | None  # month of the last mention (for fading ideas: in the long future as well)


def _volume(rng: np.random.Generator, n: int) -> np.ndarray:
    base = 10 ** rng.uniform(2.0, np.log10(3000.0))
    return np.maximum(rng.poisson(base * rng.lognormal(0.0, 0.3, n)), 1).astype(np.int64)


def _multiplier(rng: np.random.Generator, process: str, n: int) -> np.ndarray:
    """Per-month rate multiplier with mean 1 (1 for Poisson; drawn in `counts` for the others)."""
    if process != "ar1":
        return np.ones(n)
    innov = AR_SD * np.sqrt(1 - AR_PHI**2)
    x = np.empty(n)
    x[0] = rng.normal(0.0, AR_SD)
    for t in range(1, n):
        x[t] = AR_PHI * x[t - 1] + rng.normal(0.0, innov)
    return np.exp(x - AR_SD**2 / 2)


def counts(rng: np.random.Generator, process: str, mean: np.ndarray) -> np.ndarray:
    """Documents per month with expected values `mean` under `process`."""
    if process == "negbin":
        lam = rng.gamma(NB_SHAPE, 1.0 / NB_SHAPE, mean.size) * mean
        return rng.poisson(lam).astype(np.int64)
    return rng.poisson(mean * _multiplier(rng, process, mean.size)).astype(np.int64)


def frame(docs: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    """Timeline-shaped frame: period, docs, mentions, total_docs."""
    docs = np.minimum(docs, volume)
    return pd.DataFrame(
        {
            "period": pd.date_range("2000-01-01", periods=docs.size, freq="MS"),
            "docs": docs,
            "mentions": docs,
            "total_docs": volume,
        }
    )


def quiet_idea(rng: np.random.Generator, process: str, death: int | None = None) -> SimIdea:
    """An idea in use at a constant expected 0.1-3 mentions a month from a birth in the first 60 months,
    until month `death` (None: still in use at the end)."""
    n = N_MONTHS
    vol = _volume(rng, n)
    m = 10 ** rng.uniform(-1.0, np.log10(3.0))
    birth = int(rng.integers(0, 60))
    t = np.arange(n)
    alive = (t >= birth) & (t < (death if death is not None else n))
    mean = np.where(alive, m * vol / vol.mean(), 0.0)
    docs = counts(rng, process, mean)
    mentioned = np.flatnonzero(docs > 0)
    return SimIdea(frame(docs, vol), process, m, death, int(mentioned[-1]) if mentioned.size else None)


def fading_idea(rng: np.random.Generator, process: str, future: int = 1200) -> tuple[SimIdea, int]:
    """A wave that peaks at 5-50 mentions a month and fades with a half-life of 6-36 months, simulated
    `future` months beyond the 240 so the true last mention is known. Returns the idea (frame of all
    months) and the month at which its rate has faded to 1/8 of the peak (when a forecast is issued)."""
    n = N_MONTHS + future
    vol = _volume(rng, n)
    peak_m = 10 ** rng.uniform(np.log10(5.0), np.log10(50.0))
    half = float(rng.uniform(6.0, 36.0))
    start = int(rng.integers(12, 60))
    peak = start + 3
    t = np.arange(n, dtype=float)
    shape = np.where(t < start, 0.0, np.where(t < peak, (t - start + 1) / 4.0, 0.5 ** ((t - peak) / half)))
    mean = peak_m * shape * vol / vol.mean()
    docs = counts(rng, process, mean)
    mentioned = np.flatnonzero(docs > 0)
    issue = int(peak + 3 * half)
    return SimIdea(frame(docs, vol), process, peak_m, None, int(mentioned[-1]) if mentioned.size else None), issue
