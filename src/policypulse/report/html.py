"""The shareable report: one self-contained HTML file (chart library and data inlined, nothing fetched).

It shows the same charts as the dashboard (the same ``value`` column, drawn by the same script), the
lifecycle's own verdicts in plain words, the quotes that were counted, and how it was produced.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jinja2

from policypulse import __version__
from policypulse.api import Corpus
from policypulse.cli.output import frame_records, jsonable
from policypulse.describe import lifespan_sentence
from policypulse.query.ideas import Idea
from policypulse.report import measures, present


def _static(name: str) -> str:
    return (resources.files("policypulse") / "web" / "static" / name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    # Inside <script>, only "</" can end the element early; escaping it keeps any corpus text inert.
    return json.dumps(jsonable(value), ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _versions() -> list[tuple[str, str]]:
    out = [("policypulse", __version__), ("Python", platform.python_version())]
    for pkg in ("duckdb", "pandas", "numpy", "scipy", "statsmodels"):
        try:
            out.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            continue
    return out


def build_report(corpus: Corpus, ideas: list[Idea], *, by: str = "year", kwic_lines: int = 5,
                 measure: str = measures.DEFAULT_MEASURE, smooth: int = 1) -> str:
    """Render the report for ``ideas`` over ``corpus`` as an HTML string."""
    from policypulse.report.figures import life_window

    measures.check_measure(measure), measures.check_smooth(smooth)
    stats = corpus.stats(by=by)
    track = corpus.track(ideas, by=by)
    result = corpus.lifecycle(ideas, by=by)
    lifecycles = result.to_dicts()
    sections = []
    for idea, lc in zip(ideas, lifecycles):
        df = track[track["idea"] == idea.name].reset_index(drop=True)
        rows = df[["period", "docs", "mentions", "total_docs", "total_words", "rate", "coverage"]].copy()
        rows["value"] = measures.values(df, measure, smooth)
        ends = rows["period"].shift(-1)
        rows["period_end"] = [present_end(p, e, by) for p, e in zip(rows["period"], ends)]
        kwic = corpus.kwic(idea, limit=kwic_lines)
        lcj = jsonable(lc)
        w = life_window(df, by)
        sections.append({
            "idea": idea.name,
            "aliases": idea.aliases,
            "exclude": list(getattr(idea, "exclude", ()) or ()),
            "lc": lcj,
            "verdict": present.verdict(lcj),
            "facts": present.facts(lcj, by),
            "phases": present.phases(lcj, by),
            "sentence": lifespan_sentence(lcj),
            "window": [w[0].date().isoformat(), w[1].date().isoformat()] if w else None,
            "rows": frame_records(rows),
            "kwic": frame_records(kwic),
        })
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policypulse", "report/templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    template = env.get_template("report.html")
    data = {"overview": frame_records(stats["per_period"]), "by": by, "measure": measure, "ideas": [
        {"idea": s["idea"], "rows": s["rows"], "lc": s["lc"], "window": s["window"]} for s in sections]}
    prov = corpus.provenance(command="report", ideas=[i.to_dict() for i in ideas], by=by, measure=measure,
                             smooth=smooth)
    params = (result.provenance or {}).get("parameters", {}) if hasattr(result, "provenance") else {}
    return template.render(
        stats=stats, sections=sections, by=by, version=__version__, measure=measure, smooth=smooth,
        describe=measures.describe(measure, smooth, by), provenance=prov, settings=settings_text(params),
        kwic_lines=kwic_lines,
        software=_versions(), corpus_name=Path(str(prov["store"])).name,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        chart_js=_static("vendor/uPlot.iife.min.js").replace("</script", "<\\/script"),
        chart_css=_static("vendor/uPlot.min.css"),
        app_js=_static("app.js"), style=_static("style.css"), data_json=_script_json(data),
    )


def settings_text(params: dict[str, Any]) -> str:
    """The lifecycle's settings in words ('per year; death test at alpha 0.05; ...'), never a raw None or False."""
    words = {
        "by": lambda v: f"per {v}",
        "alpha": lambda v: f"death test at alpha {v}",
        "as_of": lambda v: f"as of {v}" if v else "as of the corpus's last document",
        "n_boot": lambda v: f"{v} bootstrap resamples for the peak interval",
        "seed": lambda v: f"random seed {v}",
        "include_fallback": lambda v: ("documents with fallback dates included" if v
                                       else "documents with fallback dates left out"),
    }
    parts = []
    for key, value in params.items():
        if key in ("ideas", "command"):
            continue
        if key in words:
            parts.append(words[key](value))
        elif isinstance(value, bool):
            parts.append(f"{key.replace('_', ' ')}: {'yes' if value else 'no'}")
        elif value is None:
            parts.append(f"{key.replace('_', ' ')}: not set")
        else:
            parts.append(f"{key.replace('_', ' ')} {value}")
    return "; ".join(parts) or "defaults"


def present_end(period: Any, following: Any, by: str) -> str:
    """The last day of a period (the day before the next one starts)."""
    import pandas as pd

    from policypulse.lifecycle.series import shift_periods

    # through dates, not nanosecond Timestamps: any year from 1 to 9999
    return (shift_periods(pd.Timestamp(period), 1, by).date() - dt.timedelta(days=1)).isoformat()


def write_report(corpus: Corpus, ideas: list[Idea], out: str | Path, *, by: str = "year",
                 measure: str = measures.DEFAULT_MEASURE, smooth: int = 1) -> Path:
    """Write the report to ``out`` and return its path."""
    path = Path(out)
    path.write_text(build_report(corpus, ideas, by=by, measure=measure, smooth=smooth), encoding="utf-8")
    return path
