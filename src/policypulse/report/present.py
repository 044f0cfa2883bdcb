"""Lifecycle fields in plain words for pages, figures and the report: no NaT, None, raw exponents or
degenerate intervals ever reach a reader.

The verdict sentence itself is the lifecycle's own (``verdict_text``); this module only formats dates,
intervals and probabilities around it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from policypulse.describe import lifespan_label
from policypulse.describe import verdict_text as _fallback_verdict
from policypulse.lifecycle.verdict import QUOTED

BYS = ("day", "week", "month", "quarter", "year")
DASH = "—"


def _ts(value: Any) -> pd.Timestamp | None:
    """A timestamp, or None for anything missing (None, NaT, NaN, empty, unparseable)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(ts) else ts


def period_label(value: Any, by: str) -> str:
    """A period as people write it: '1965', 'Q1 2014', 'Mar 2014', 'week of 3 Mar 2014', '3 Mar 2014'."""
    ts = _ts(value)
    if ts is None:
        return DASH
    if by == "year":
        return f"{ts.year}"
    if by == "quarter":
        return f"Q{(ts.month - 1) // 3 + 1} {ts.year}"
    if by == "month":
        return f"{ts:%b} {ts.year}"
    if by == "week":
        return f"week of {ts.day} {ts:%b} {ts.year}"
    return day_label(ts)


def day_label(value: Any) -> str:
    """A day: '3 Mar 2014' ('—' when missing)."""
    ts = _ts(value)
    return DASH if ts is None else f"{ts.day} {ts:%b} {ts.year}"


def interval_label(interval: Any, by: str) -> str:
    """'1965 to 1967', or '' when the interval is missing, open or a single period (nothing to say)."""
    if not interval or len(interval) != 2:
        return ""
    lo, hi = (_ts(x) for x in interval)
    if lo is None or hi is None:
        return ""
    a, b = period_label(lo, by), period_label(hi, by)
    return "" if a == b else f"{a} to {b}"


def number_label(value: Any, digits: int = 3) -> str:
    """A number without exponents: '1,234', '45.5', '0.012', '< 0.001', '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    v = float(value)
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a == 0:
        return "0"
    if a < 0.001:
        return "< 0.001" if v > 0 else "> −0.001"
    text = f"{v:.{digits}g}"
    return text if "e" not in text else f"{v:.4f}".rstrip("0").rstrip(".")


def p_label(p: Any) -> str:
    """A p-value without exponents: 'p < 0.001', 'p = 0.03', '' when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2g}" if p < 0.995 else "p = 1"


def probability_label(prob: Any, status: str | None = None) -> str:
    """The death probability in words: '97% likely no longer in use', '' when missing; for an idea not
    called dead, below verdict.QUOTED it is 'undecided' (such probabilities are a rough guide on real history)."""
    if prob is None or (isinstance(prob, float) and math.isnan(prob)):
        return ""
    if status != "dead" and float(prob) < QUOTED:
        return "undecided (below 90%, the probability of death has been only a rough guide on real history)"
    pct = 100.0 * float(prob)
    if pct > 99.5:
        return "more than 99% likely no longer in use"
    if pct < 0.5:
        return "less than 1% likely no longer in use"
    return f"{pct:.0f}% likely no longer in use"


def verdict(lc: dict[str, Any]) -> str:
    """The lifecycle's own plain sentence (``verdict_text``); older results without it get describe's."""
    text = lc.get("verdict_text")
    if isinstance(text, str) and text.strip():
        return text
    return _fallback_verdict(lc)


def forecast_label(lc: dict[str, Any], by: str) -> str:
    """'expected by 2030 (2025 to 2041)', 'after 1988', or '' when there is no forecast."""
    fc = _ts(lc.get("forecast_last_mention"))
    iv = lc.get("forecast_interval") or [None, None]
    lo, hi = (_ts(x) for x in (list(iv) + [None, None])[:2])
    last = _ts(lc.get("last_mention"))
    if fc is None:
        return ""
    if last is not None and fc <= last:
        text = f"no more uses expected after the last one ({period_label(last, by)})"
        if hi is None:
            text += "; the model cannot rule out later ones (no upper bound)"
        return text
    if lo is not None and hi is None:
        # With no upper end a central date would look sharper than the model is: give the bound only.
        return f"cannot be dated: not before {period_label(lo, by)}, and the fading is too slow to set a latest date"
    text = f"around {period_label(fc, by)}"
    band = interval_label([lo, hi], by)
    if band:
        text += f" (likely {band})"
    return text


def _days(days: Any) -> str:
    if days is None or (isinstance(days, float) and math.isnan(days)):
        return ""
    from policypulse.lifecycle.verdict import span_words

    d = float(days)
    return span_words(d) if d < 60 else f"about {span_words(d)}"


def facts(lc: dict[str, Any], by: str) -> list[tuple[str, str]]:
    """The lifecycle card's rows (label, text), each a readable phrase; rows with nothing to say left out."""
    rows: list[tuple[str, str]] = []

    def add(label: str, text: str) -> None:
        if text and text != DASH:
            rows.append((label, text))

    first, last = lc.get("first_mention"), lc.get("last_mention")
    add("First mention", day_label(first) if _ts(first) else "")
    if _ts(lc.get("emergence")) is not None:
        add("Born (sustained attention from)", period_label(lc.get("emergence"), by))
    peak = period_label(lc.get("peak"), by)
    band = interval_label(lc.get("peak_interval"), by)
    if lc.get("peak_clear") is False:
        add("Peak", f"not clear: mentions too thin to place one (somewhere in {band})" if band else "not clear")
    else:
        add("Peak", f"{peak} (somewhere in {band})" if band and peak != DASH else (peak if _ts(lc.get("peak")) else ""))
    add("Half-life after the peak", _days(lc.get("half_life_days")))
    add("Last mention", day_label(last) if _ts(last) else "")
    if _ts(lc.get("last_use")) is not None and lc.get("echoes"):
        add("Last use", f"{day_label(lc.get('last_use'))} (the later mentions are echoes: retrospective, not uses)")
    add("Talked about for", lifespan_label(lc.get("lifespan_days"), lc.get("status"), _days))
    sure = probability_label(lc.get("death_probability"), lc.get("status"))
    p = p_label(lc.get("death_p_value"))
    if lc.get("status") in ("dead", "dormant", "declining") and (sure or p):
        chance = f"{p} (chance of so long a silence if it were still in use)" if p else ""
        add("Is it dead?", "; ".join(x for x in (sure, chance) if x))
        if lc.get("verdict_basis"):
            add("The verdict rests on", str(lc["verdict_basis"]))
    add("Forecast last mention", forecast_label(lc, by))
    rel = lc.get("relaunches") or 0
    res = lc.get("resurrections") or 0
    if rel or res:
        add("Relaunches / resurrections", f"{rel} / {res}")
    echoes = lc.get("echoes")
    if isinstance(echoes, (int, float)) and echoes:
        add("Echoes after its death", f"{int(echoes)} retrospective mention{'' if int(echoes) == 1 else 's'}, not counted as use")
        for q in lc.get("echo_quotes") or []:
            right = str(q.get("right") or "")
            # Punctuation after the match is written as in the text: "war on poverty, and", not "poverty , and".
            sep = "" if right[:1] in ",.;:!?)]'’\"" else " "
            add(f"Echo, {day_label(q.get('date'))}", f"…{q.get('left', '')} {q.get('match', '')}{sep}{right}…")
    elif isinstance(echoes, list) and echoes:
        add("Echoes after its death", f"{len(echoes)} retrospective mention{'' if len(echoes) == 1 else 's'}, not counted as use")
    return rows


def phases(lc: dict[str, Any], by: str) -> list[dict[str, str]]:
    """Phases with readable spans for legends and tables."""
    out = []
    for ph in lc.get("phases") or []:
        a, b = period_label(ph.get("start"), by), period_label(ph.get("end"), by)
        out.append({"phase": str(ph.get("phase")), "span": a if a == b else f"{a} to {b}",
                    "start": ph.get("start"), "end": ph.get("end")})
    return out


def today() -> str:
    """Today's date as written on exports."""
    return day_label(dt.date.today())
