"""Seeded simulator of monthly count series with planted lifecycles, for exact lifecycle checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

N_PERIODS = 240  # 20 years of months
START = "2000-01-01"


@dataclass
class Planted:
    """One simulated idea: its series and the truth planted in it (period indices)."""

    name: str
    kind: str
    series: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)
    rate: np.ndarray | None = None


def exposure(
    rng: np.random.Generator,
    n: int = N_PERIODS,
    base: float = 2000.0,
    gaps: list[tuple[int, int]] | None = None,
) -> np.ndarray:
    """Documents per month: Poisson around a slowly growing base; (a, b) gaps (inclusive) get zero."""
    trend = base * (1.0 + 0.5 * np.arange(n) / n)
    total = rng.poisson(trend).astype(np.int64)
    for a, b in gaps or []:
        total[a : b + 1] = 0
    return total


def frame(docs: np.ndarray, total: np.ndarray, start: str = START) -> pd.DataFrame:
    """A timeline-shaped DataFrame (period, docs, mentions, total_docs) for monthly counts."""
    periods = pd.date_range(start, periods=len(docs), freq="MS")
    mentions = docs + (docs > 0) * (docs // 3)  # some documents mention the idea more than once
    return pd.DataFrame(
        {
            "period": periods,
            "docs": docs.astype(np.int64),
            "mentions": mentions.astype(np.int64),
            "total_docs": total.astype(np.int64),
        }
    )


def wave(
    n: int,
    start: int,
    peak: int,
    height: float,
    half_life: float,
    jump: float = 0.5,
    until: int | None = None,
    floor: float = 0.0,
) -> np.ndarray:
    """Rate curve: zero before `start`, a jump to `jump`*height rising linearly to `height` at `peak`,
    then exponential decay with `half_life` months down to `floor`*height; zero from `until` on."""
    t = np.arange(n, dtype=float)
    r = np.zeros(n)
    rise = (t >= start) & (t < peak)
    if peak > start:
        r[rise] = height * (jump + (1 - jump) * (t[rise] - start) / (peak - start))
    after = t >= peak
    r[after] = height * np.maximum(0.5 ** ((t[after] - peak) / half_life), floor)
    if until is not None:
        r[until:] = 0.0
    return r


def draw(rng: np.random.Generator, rate: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Documents mentioning the idea: Binomial(total_docs, rate) per period."""
    return rng.binomial(total, np.clip(rate, 0.0, 1.0)).astype(np.int64)


def planted_set(seed: int = 0) -> dict[str, Planted]:
    """Every kind of life: flash, slow decline, still alive, relaunched twice, resurrected, generic burst,
    emerging, unborn, and ideas under coverage gaps. Truth is in period indices (months since 2000-01)."""
    rng = np.random.default_rng(seed)
    n = N_PERIODS
    out: dict[str, Planted] = {}

    def add(
        name: str,
        kind: str,
        rate: np.ndarray,
        truth: dict[str, Any],
        gaps: list[tuple[int, int]] | None = None,
        base: float = 2000.0,
    ) -> None:
        total = exposure(rng, base=base, gaps=gaps)
        docs = draw(rng, rate, total)
        mentioned = np.flatnonzero(docs > 0)
        truth = dict(truth)
        truth["first_mention"] = int(mentioned[0]) if mentioned.size else None
        truth["last_mention"] = int(mentioned[-1]) if mentioned.size else None
        out[name] = Planted(name, kind, frame(docs, total), truth, rate)

    add(
        "flash",
        "flash",
        wave(n, 60, 61, 0.08, 1.5, jump=0.6, until=75),
        {
            "emergence": 60,
            "peak": 61,
            "half_life_months": 1.5,
            "status": "dead",
            "relaunches": 0,
            "resurrections": 0,
        },
    )
    add(
        "slow decline",
        "slow decline",
        wave(n, 40, 52, 0.04, 36.0, jump=0.2),
        {
            "emergence": 40,
            "peak": 52,
            "half_life_months": 36.0,
            "status": "declining",
            "relaunches": 0,
            "resurrections": 0,
        },
        base=20000.0,
    )
    alive = np.where(np.arange(n) >= 100, 0.01, 0.0)
    add(
        "still alive",
        "alive",
        alive,
        {"emergence": 100, "status": "alive", "relaunches": 0, "resurrections": 0},
    )
    relaunched = np.maximum.reduce(
        [
            wave(n, 30, 32, 0.03, 4.0, floor=0.15, until=80),
            wave(n, 80, 82, 0.024, 4.0, floor=0.15 * 0.03 / 0.024, until=140),
            wave(n, 140, 142, 0.02, 4.0, floor=0.15 * 0.03 / 0.02),
        ]
    )
    add(
        "relaunched twice",
        "relaunched",
        relaunched,
        {
            "emergence": 30,
            "peak": 32,
            "relaunch_dates": [80, 140],
            "status": "declining",
            "relaunches": 2,
            "resurrections": 0,
        },
    )
    resurrected = wave(n, 20, 22, 0.04, 2.0, until=40) + wave(n, 120, 122, 0.02, 3.0, until=135)
    add(
        "resurrected",
        "resurrected",
        resurrected,
        {
            "emergence": 20,
            "peak": 22,
            "resurrection_dates": [120],
            "status": "dead",
            "relaunches": 0,
            "resurrections": 1,
        },
    )
    generic = np.full(n, 0.01) + wave(n, 150, 152, 0.24, 2.0, jump=0.7, until=170)
    add(
        "generic burst",
        "generic",
        generic,
        {"emergence": 150, "peak": 152, "status": "declining", "relaunches": 0, "resurrections": 0},
    )
    add(
        "emerging",
        "emerging",
        wave(n, 232, 239, 0.02, 12.0, jump=0.4),
        {"emergence": 232, "status": "emerging", "relaunches": 0, "resurrections": 0},
    )
    add("unborn", "unborn", np.zeros(n), {"status": "unborn"})
    # Coverage gaps: alive ideas whose corpus has a hole in the middle and at the end: never dead.
    add(
        "alive, gap at end",
        "alive-gap",
        np.where(np.arange(n) >= 50, 0.004, 0.0),
        {"emergence": 50, "status": "alive", "relaunches": 0, "resurrections": 0},
        gaps=[(120, 131), (222, 239)],
    )
    add(
        "flash across a gap",
        "flash-gap",
        wave(n, 90, 91, 0.06, 1.5, jump=0.6, until=104),
        {"emergence": 90, "peak": 91, "status": "dead", "relaunches": 0, "resurrections": 0},
        gaps=[(150, 170)],
    )
    return out


def alive_ideas(count: int, seed: int = 1, n: int = N_PERIODS) -> list[tuple[pd.DataFrame, float]]:
    """Still-alive ideas for calibration: a constant rate (log-uniform 1e-4..1e-1, from a random birth
    month) under random exposure (log-uniform 30..5000 documents a month, lognormal month-to-month)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        rate = 10 ** rng.uniform(-4, -1)
        base = 10 ** rng.uniform(np.log10(30), np.log10(5000))
        total = rng.poisson(base * rng.lognormal(0.0, 0.5, n)).astype(np.int64)
        birth = int(rng.integers(0, n // 2))
        r = np.where(np.arange(n) >= birth, rate, 0.0)
        out.append((frame(draw(rng, r, total), total), rate))
    return out


def random_lives(count: int, seed: int = 2, n: int = N_PERIODS) -> dict[str, pd.DataFrame]:
    """A mixed population (flash, decline, alive, relaunched) for benchmarks and backtests."""
    rng = np.random.default_rng(seed)
    out: dict[str, pd.DataFrame] = {}
    for i in range(count):
        total = exposure(rng, n=n, base=float(10 ** rng.uniform(2.5, 3.7)))
        kind = i % 4
        start = int(rng.integers(0, n - 24))
        height = 10 ** rng.uniform(-3, -1.3)
        if kind == 0:
            r = wave(n, start, start + 1, height, float(rng.uniform(1, 4)), until=min(n, start + 24))
        elif kind == 1:
            r = wave(n, start, start + 3, height, float(rng.uniform(12, 60)))
        elif kind == 2:
            r = np.where(np.arange(n) >= start, height / 3, 0.0)
        else:
            r = np.maximum(
                wave(n, start, start + 2, height, 6.0, floor=0.1),
                wave(n, min(start + 40, n - 3), min(start + 42, n - 1), height * 0.8, 6.0),
            )
        out[f"idea {i}"] = frame(draw(rng, r, total), total)
    return out
