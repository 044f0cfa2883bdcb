"""The verdict in plain words: one sentence a journalist can quote, with its uncertainty."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .result import IdeaLifecycle

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


QUOTED = 0.9  # the least probability of death a "gone quiet" sentence quotes


def when(d: date | None, by: str, exact: bool = False) -> str:
    """A date as precise as it is known: '14 January 1969' for a day, 'January 1969', 'Q1 1969', '1969'."""
    if d is None:
        return "an unknown date"
    if exact or by == "day":
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    if by == "week":
        return f"the week of {d.day} {_MONTHS[d.month - 1]} {d.year}"
    if by == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}"
    if by == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.year}"
    return f"{d.year}"


def percent(p: float) -> str:
    """A probability as a percentage that never rounds to a false certainty ('>99%', '<1%')."""
    v = 100.0 * p
    if v > 99.0:
        return ">99%"
    if v < 1.0:
        return "<1%"
    return f"{v:.0f}%"


def verdict_text(lc: IdeaLifecycle) -> str:
    """One sentence on whether the idea is alive, with the evidence and its uncertainty."""
    name = f"'{lc.idea}'"
    if lc.status == "unborn" or lc.last_mention is None:
        return f"{name} is never mentioned in this corpus."
    last = when(lc.last_mention, lc.by, lc.exact_days)
    use = when(lc.last_use, lc.by, lc.exact_days) if lc.last_use else last
    prob = lc.death_probability
    if lc.status == "dead":
        head = (f"Probably dead: {percent(prob)} that {name} is no longer in use"
                if prob is not None else f"Dead: {name} is no longer in use")
        text = f"{head}; last used {use}"
        if lc.echoes:
            many = "mention looks" if lc.echoes == 1 else "mentions look"
            text += f"; {lc.echoes} later {many} back at it (last {last})"
        return text + "."
    if lc.status == "dormant":
        # Below 0.9 the stated probability has not held on real history (bench/results/verdicts-sotu.md:
        # of silences given 0.5-0.9, 88% ended in renewed use), so the sentence does not quote it.
        odds = f" ({percent(prob)} that it is no longer in use)" if prob is not None and prob >= QUOTED else ""
        expected = lc.expected_mentions_in_silence
        if prob is None or (expected is not None and expected < 3.0):
            return (f"Gone quiet: {name} was last mentioned {last}; it was used too rarely for its silence to "
                    f"tell whether it is dead{odds}.")
        return (f"Gone quiet: {name} was last mentioned {last}; the silence is not yet long enough to call "
                f"it dead{odds}.")
    forecast = ""
    if lc.forecast_last_mention is not None:
        # As precise as the periods allow, but never finer than a month: a forecast is not that sharp.
        grain = "year" if lc.by == "year" else ("quarter" if lc.by == "quarter" else "month")
        forecast = f"; its last mention is forecast for about {when(lc.forecast_last_mention, grain)}"
        lo, hi = lc.forecast_interval if lc.forecast_interval else (None, None)
        if lo is not None and hi is not None:
            lo_s, hi_s = when(lo, grain), when(hi, grain)
            if lo_s != hi_s:
                forecast += f" (95% between {lo_s} and {hi_s})"
        elif lo is not None:
            # The upper end is beyond 200 years: say so rather than imply a sharp date.
            forecast += f" (95% not before {when(lo, grain)}; no later bound can be given)"
    if lc.status == "declining":
        return f"Declining: {name} is still used but far less than at its peak (last mentioned {last}){forecast}."
    if lc.status == "emerging":
        born = when(lc.emergence, lc.by) if lc.emergence else last
        return f"Emerging: {name} entered sustained use in {born} (last mentioned {last})."
    if not lc.peak_clear and lc.first_mention is not None:
        # Said now and then, never in sustained use: "still in use" would claim more than a few mentions show.
        first = when(lc.first_mention, lc.by, lc.exact_days)
        n = lc.total_docs_mentioning
        return (f"Alive but sporadic: {name} was mentioned again {last}, though only now and then "
                f"({n} document{'' if n == 1 else 's'} since {first}){forecast}.")
    return f"Alive: {name} is still in use (last mentioned {last}){forecast}."
