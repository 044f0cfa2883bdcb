"""Ideas side by side: time to peak, half-life and lifespan, with a plain-English sentence for each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # result.py imports this module for IdeaLifecycle.sentence(): types only, no import circle
    from .result import IdeaLifecycle


def _about(days: float) -> str:
    """'about 1000 days' style rounding: two significant figures, plus months or years for scale."""
    if days < 60:
        return f"about {round(days):d} days"
    rounded = float(f"{days:.2g}") if days < 10000 else round(days, -3)
    text = f"about {int(rounded):d} days"
    if days < 730:
        return f"{text} ({days / 30.44:.0f} months)"
    return f"{text} ({days / 365.25:.1f} years)"


def describe(lc: IdeaLifecycle) -> str:
    """One sentence on an idea's life, e.g. "Big Society lasted about 1000 days (2.7 years) ..."."""
    if lc.status == "unborn" or lc.lifespan_days is None:
        return f"{lc.idea} was never mentioned."
    born = lc.emergence or lc.first_mention
    span = f"from {born:%B %Y} to {lc.last_mention:%B %Y}" if born and lc.last_mention else ""
    if lc.status == "dead":
        p = f"p = {lc.death_p_value:.2g}" if lc.death_p_value is not None else ""
        return f"{lc.idea} lasted {_about(lc.lifespan_days)}, {span}; it is dead ({p})."
    if lc.status == "dormant":
        return (
            f"{lc.idea} lasted at least {_about(lc.lifespan_days)}, {span}; it has gone quiet "
            "(dormant, not yet significantly dead)."
        )
    tail = {
        "emerging": "and is still emerging",
        "alive": "and is still alive",
        "declining": "and is declining",
    }[lc.status]
    forecast = (
        f"; its last mention is forecast for {lc.forecast_last_mention:%B %Y}"
        if lc.forecast_last_mention
        else ""
    )
    return f"{lc.idea} has lasted {_about(lc.lifespan_days)} so far ({span}) {tail}{forecast}."


def compare(lifecycles: Iterable[IdeaLifecycle]) -> pd.DataFrame:
    """One row per idea: birth, peak, time to peak, half-life, lifespan, status and a sentence."""
    rows = []
    for lc in lifecycles:
        rows.append(
            {
                "idea": lc.idea,
                "status": lc.status,
                "born": pd.Timestamp(lc.emergence or lc.first_mention)
                if (lc.emergence or lc.first_mention)
                else pd.NaT,
                "peak": pd.Timestamp(lc.peak) if lc.peak else pd.NaT,
                "time_to_peak_days": lc.time_to_peak_days,
                "half_life_days": lc.half_life_days,
                "lifespan_days": lc.lifespan_days,
                "lifespan_censored": lc.lifespan_censored,
                "last_mention": pd.Timestamp(lc.last_mention) if lc.last_mention else pd.NaT,
                "forecast_last_mention": pd.Timestamp(lc.forecast_last_mention)
                if lc.forecast_last_mention
                else pd.NaT,
                "sentence": describe(lc),
            }
        )
    return pd.DataFrame(rows)
