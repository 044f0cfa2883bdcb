"""The shareable report: one self-contained HTML file (chart library and data inlined, nothing fetched)."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from policypulse import __version__
from policypulse.api import Corpus
from policypulse.cli.output import frame_records, jsonable
from policypulse.describe import lifespan_sentence, verdict_text
from policypulse.query.ideas import Idea


def _static(name: str) -> str:
    return (resources.files("policypulse") / "web" / "static" / name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    # Inside <script>, only "</" can end the element early; escaping it keeps any corpus text inert.
    return json.dumps(jsonable(value), ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def build_report(corpus: Corpus, ideas: list[Idea], *, by: str = "year", kwic_lines: int = 5) -> str:
    """Render the report for ``ideas`` over ``corpus`` as an HTML string."""
    stats = corpus.stats(by=by)
    track = corpus.track(ideas, by=by)
    result = corpus.lifecycle(ideas, by=by)
    lifecycles = result.to_dicts()
    sections = []
    for idea, lc in zip(ideas, lifecycles):
        rows = track[track["idea"] == idea.name][["period", "docs", "mentions", "total_docs", "rate", "coverage"]]
        kwic = corpus.kwic(idea, limit=kwic_lines)
        sections.append({
            "idea": idea.name,
            "aliases": ", ".join(idea.aliases),
            "lc": jsonable(lc),
            "verdict": verdict_text(lc),
            "sentence": lifespan_sentence(lc),
            "rows": frame_records(rows),
            "kwic": frame_records(kwic),
        })
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policypulse", "report/templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    template = env.get_template("report.html")
    data = {"overview": frame_records(stats["per_period"]), "ideas": [
        {"idea": s["idea"], "rows": s["rows"], "lc": s["lc"]} for s in sections]}
    return template.render(
        stats=stats, sections=sections, by=by, version=__version__,
        provenance=corpus.provenance(command="report", ideas=[i.to_dict() for i in ideas], by=by),
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        chart_js=_static("vendor/chart.umd.min.js").replace("</script", "<\\/script"),
        app_js=_static("app.js"), style=_static("style.css"), data_json=_script_json(data),
    )


def write_report(corpus: Corpus, ideas: list[Idea], out: str | Path, *, by: str = "year") -> Path:
    """Write the report to ``out`` and return its path."""
    path = Path(out)
    path.write_text(build_report(corpus, ideas, by=by), encoding="utf-8")
    return path
