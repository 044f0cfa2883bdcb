"""Results in plain words: the sentences the dashboard, the report and the demo print."""

from __future__ import annotations

from typing import Any


def _month(date: str | None) -> str:
    return date[:7] if date else "?"


def verdict_text(lc: dict[str, Any]) -> str:
    """A lifecycle's verdict in words: the lifecycle's own sentence (with its uncertainty) when it has one,
    else a short status line such as 'dormant since 2014-09'."""
    if lc.get("verdict_text"):
        return str(lc["verdict_text"])
    status = lc.get("status")
    p = lc.get("death_p_value")
    p_text = "" if p is None else (f", p = {p:.2g}" if p >= 0.001 else ", p < 0.001")
    if status == "unborn":
        return "never mentioned"
    if status == "dead":
        return f"dead since {_month(lc.get('last_mention'))}{p_text}"
    if status == "dormant":
        return f"dormant since {_month(lc.get('last_mention'))}{p_text}"
    if status == "declining":
        return f"declining since its peak in {_month(lc.get('peak'))}"
    if status == "emerging":
        return f"emerging since {_month(lc.get('emergence') or lc.get('first_mention'))}"
    if status == "alive":
        return f"alive, last mentioned {_month(lc.get('last_mention'))}"
    return str(status)


def lifespan_sentence(lc: dict[str, Any]) -> str:
    """'X lasted about N days' style summary."""
    days = lc.get("lifespan_days")
    if days is None:
        return f"{lc.get('idea')}: never mentioned."
    alive = lc.get("status") not in ("dead",)
    verb = "has been talked about for" if alive else "lasted"
    if days >= 730:
        span = f"about {days / 365.25:.0f} years ({days:,.0f} days)"
    elif days >= 60:
        span = f"about {days / 30.44:.0f} months ({days:,.0f} days)"
    else:
        span = f"{days:.0f} days"
    return f"{lc.get('idea')} {verb} {span}."


def lifespan_label(days: Any, status: str | None, unit: Any) -> str:
    """A lifespan in words that says whether the life is over: '4 years' (dead), 'at least 36 years'
    (gone quiet, not yet significantly dead), '12 years so far' (still in use); '' when missing.
    `unit` turns days into text ('36 years')."""
    text = unit(days)
    if not text:
        return ""
    if status == "dead":
        return text
    if status == "dormant":
        return f"at least {text.removeprefix('about ')}"
    return f"{text} so far"
