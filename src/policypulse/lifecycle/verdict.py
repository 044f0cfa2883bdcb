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


def span_words(days: float) -> str:
    """A length of time as people say it: '94 years', '1 year', '20 months', '12 days'."""
    if days >= 730:
        return f"{days / 365.25:.0f} years"
    if 360 <= days <= 372:  # one calendar year (a yearly series' single period), not '12 months'
        return "1 year"
    if days >= 60:
        return f"{days / 30.44:.0f} months"
    return f"{days:.0f} days"


def _share(p: float) -> str:
    """A small probability as a percentage with the digits that matter ('1.7%', '10%')."""
    v = 100.0 * p
    return f"{v:.2g}%" if v < 9.95 else f"{v:.0f}%"


def _gone_quiet(lc: IdeaLifecycle, name: str, last: str) -> str:
    """The sentence for a silence that is not (yet) a death, saying why from the test's own evidence:
    too few mentions expected, too few uses to trust the rate, or a silence still short of the minimum."""
    prob, p, level = lc.death_probability, lc.death_p_value, lc.verdict_level
    # Below QUOTED the stated probability is only a rough guide on real history (bench/results/
    # verdicts-sotu.md: of silences given 0.5-0.8, mean 0.61, 42% stayed silent), so the sentence does not
    # quote it.
    odds = f" ({percent(prob)} that it is no longer in use)" if prob is not None and prob >= QUOTED else ""
    if lc.total_docs_mentioning == 1:
        return f"Gone quiet: {name} was mentioned once, {last}; one mention cannot tell whether it is dead."
    expected = lc.expected_mentions_in_silence
    if prob is None or p is None or expected is None:
        return (f"Gone quiet: {name} was last mentioned {last}; it was used too rarely for its silence to "
                f"tell whether it is dead{odds}.")
    since = ""
    if lc.last_mention is not None and lc.series_end is not None and lc.series_end > lc.last_mention:
        since = f"the {span_words(float((lc.series_end - lc.last_mention).days))} since"
    since = since or "the silence since"
    if expected < 3.0:
        many = "fewer than one mention" if expected < 1.0 else f"about {expected:.0f} mention" + (
            "" if round(expected) == 1 else "s")
        return (f"Gone quiet: {name} was last mentioned {last}; at its last rate of use {since} would have "
                f"held {many}, too few for the silence to tell whether it is dead{odds}.")
    if level is not None and p < level:
        # Surprising enough already, but shorter than the least silence a verdict waits for.
        return (f"Gone quiet: {name} was last mentioned {last}; the silence is not yet long enough to call "
                f"it dead{odds}.")
    uses = lc.total_docs_mentioning
    why = (f"with only {uses} uses to go on, " if uses < 10 else
           ("its uses coming in bursts, " if (lc.dispersion or 1.0) >= 1.5 else ""))
    need = f", and a verdict needs under {_share(level)}" if level is not None else ""
    chance = _share(p)
    if level is not None and chance == _share(level):  # '1% ... needs under 1%' would read as a contradiction
        chance = f"{100.0 * p:.3g}%"
    return (f"Gone quiet: {name} was last mentioned {last}; had it stayed in use, {since} would have held "
            f"about {expected:.0f} mentions, but {why}a silence that long would still happen "
            f"{chance} of the time{need}{odds}.")


def verdict_text(lc: IdeaLifecycle) -> str:
    """One sentence on whether the idea is alive, with the evidence and its uncertainty."""
    name = f"'{lc.idea}'"
    if lc.status == "unborn" or lc.last_mention is None:
        return f"{name} is never mentioned in this corpus."
    last = when(lc.last_mention, lc.by, lc.exact_days)
    use = when(lc.last_use, lc.by, lc.exact_days) if lc.last_use else last
    prob = lc.death_probability
    if lc.status == "dead":
        if prob is not None and prob >= 0.5:
            head = f"Probably dead: {percent(prob)} that {name} is no longer in use"
        elif lc.death_p_value is not None:
            # The test calls it dead, but an idea used this often starts with a low prior chance that any
            # one use was its last: "Probably dead: 41%" would contradict itself, so the sentence gives the
            # test's own evidence instead.
            head = (f"Called dead: a silence this long would happen only {_share(lc.death_p_value)} of the "
                    f"time if {name} were still in use")
        else:
            head = f"Dead: {name} is no longer in use"
        text = f"{head}; last used {use}"
        if lc.echoes:
            many = "mention looks" if lc.echoes == 1 else "mentions look"
            text += f"; {lc.echoes} later {many} back at it (last {last})"
        return text + "."
    if lc.status == "dormant":
        return _gone_quiet(lc, name, last)
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
            # The upper end is beyond 200 years: a central date would look sharper than the model is.
            forecast = (f"; its last mention cannot be dated yet (95% not before {when(lo, grain)}; the fading "
                        "is too slow to set a latest date)")
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
