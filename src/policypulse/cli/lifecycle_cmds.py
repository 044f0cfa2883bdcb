"""Commands about ideas' lives: lifecycle and compare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from policypulse.cli import app
from policypulse.cli.options import By, Engine, Format, IdeasFile, Out, SparkMaster, Version
from policypulse.cli.output import emit
from policypulse.errors import UsageError

def save_plot(result: Any, path: str | Any) -> None:
    """A figure of a lifecycle result: one panel per idea, as the dashboard draws each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from policypulse.lifecycle import plot_lifecycle, save_figure

    items = list(result)
    fig, axes = plt.subplots(len(items), 1, figsize=(9, 4.2 * len(items)), squeeze=False)
    for lc, ax in zip(items, axes[:, 0]):
        plot_lifecycle(lc, ax=ax)
    fig.tight_layout()
    try:
        save_figure(fig, path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        plt.close(fig)


def save_compare_plot(track: Any, path: str, *, by: str, measure: str, smooth: int, corpus_label: str) -> None:
    """The comparison figure of several ideas, as the dashboard's compare page and /api/figure draw it."""
    import matplotlib

    matplotlib.use("Agg")
    from policypulse.lifecycle import save_figure
    from policypulse.report.figures import figure

    fig = figure(track, [], by=by, measure=measure, smooth=smooth, corpus_label=corpus_label)
    try:
        save_figure(fig, path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _p(p: float | None) -> str:
    """A p-value for people: two significant figures, '<0.0001' below that (no exponents)."""
    if p is None:
        return ""
    return "<0.0001" if p < 1e-4 else f"{p:.2g}"


def _days(days: float | None) -> str:
    """A span of days in the unit people think in ('' when missing)."""
    from policypulse.lifecycle.verdict import span_words

    if days is None or days != days:  # None or NaN
        return ""
    return span_words(days)


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _period(day: str | None, by: str) -> str:
    """A period's start date as the period people name: '1966', 'Q1 1966', 'Jan 1966', or the day."""
    if not day:
        return ""
    y, m = day[:4].lstrip("0") or "0", int(day[5:7])
    if by == "year":
        return y
    if by == "quarter":
        return f"Q{(m - 1) // 3 + 1} {y}"
    if by == "month":
        return f"{_MONTH_ABBR[m - 1]} {y}"
    return day


def _span(point: str | None, interval: list[str | None] | None, by: str = "day") -> str:
    """'1966 (1965 to 1969)' for yearly periods; an interval only when it is not a single period; 'not
    clear (1949 to 2016)' for an interval without a point (mentions too thin to place the peak); only the
    bound for an interval with no upper end (a central date would look sharper than it is)."""
    lo, hi = ((list(interval) if interval else []) + [None, None])[:2]
    if not point:
        return f"not clear ({_period(lo, by)} to {_period(hi, by)})" if lo and hi else ""
    p, lo_s, hi_s = _period(point, by), _period(lo, by), _period(hi, by)
    if lo and hi and lo_s != hi_s:
        return f"{p} ({lo_s} to {hi_s})"
    if lo and not hi:
        return f"not before {lo_s}; no upper bound within 200 years"
    return p


def _render(result: Any, format: str, out: str | None) -> None:
    records = result.to_dicts()
    if format == "table" and not out:
        import pandas as pd

        from policypulse.describe import lifespan_label, verdict_text

        frame = pd.DataFrame({
            "idea": [r["idea"] for r in records],
            "verdict": [verdict_text(r) for r in records],
            "first mention": [r.get("first_mention") or "" for r in records],
            "peak": [_span(r.get("peak"), r.get("peak_interval"), r.get("by") or "day") for r in records],
            "last mention": [r.get("last_mention") or "" for r in records],
            # A life not yet over (not dead) is a lower bound: say so, as compare's table does.
            "lifespan": [lifespan_label(r.get("lifespan_days"), r.get("status"), _days) for r in records],
            "death p": [_p(r.get("death_p_value")) for r in records],
            "forecast last mention": [_span(r.get("forecast_last_mention"), r.get("forecast_interval"),
                                            r.get("by") or "day") for r in records],
        })
        emit(frame, "table", None, title="lifecycle")
        for r in records:
            if r.get("verdict_basis"):
                typer.echo(f"basis ({r['idea']}): {r['verdict_basis']}", err=True)
            if r.get("coverage_warning"):
                typer.echo(f"note ({r['idea']}): {r['coverage_warning']}", err=True)
        return
    emit(records, format, out, provenance=getattr(result, "provenance", None))


@app.command()
def lifecycle(
    store: Annotated[str | None, typer.Argument(help="The store directory (omit with --counts).")] = None,
    ideas: Annotated[list[str] | None, typer.Argument(help="Ideas (queries).")] = None,
    ideas_file: IdeasFile = None,
    counts: Annotated[str | None, typer.Option("--counts", help="Analyse a pre-aggregated CSV "
                                               "(date,count[,total], or idea,date,count[,total] for several "
                                               "ideas) instead of a store.")] = None,
    by: By = "month",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analyse the corpus as it stood on this date.")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Level of the death test.")] = 0.05,
    plot: Annotated[str | None, typer.Option("--plot", help="Write a figure (PNG or SVG).")] = None,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Birth, peak, half-life, relaunches, death verdict with p-value, forecast of the last mention, phases."""
    import policypulse
    from policypulse.lifecycle import analyse_many
    from policypulse.lifecycle.counts_csv import read_counts_by_idea

    if counts:
        if store is not None or ideas:
            # With --counts the positional arguments would be ambiguous: the file is the data.
            raise UsageError("--counts takes the place of STORE and IDEA: give one or the other")
        try:
            by_idea, freq = read_counts_by_idea(counts)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

        # Any, as Corpus.lifecycle returns: provenance is attached here, LifecycleResult does not declare it.
        result: Any = analyse_many(by_idea, freq, alpha=alpha, as_of=as_of)
        result.provenance = {"counts_file": counts, "by": freq, "alpha": alpha, "as_of": as_of,
                             "software": f"policypulse {policypulse.__version__}"}
    else:
        if store is None:
            raise UsageError("give a STORE (or --counts FILE.csv)")
        with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
            result = corpus.lifecycle(ideas, ideas_file=ideas_file, by=by, alpha=alpha, as_of=as_of)
    if plot:
        save_plot(result, plot)
    _render(result, format, out)


@app.command()
def compare(
    store: Annotated[str, typer.Argument(help="The store directory.")],
    ideas: Annotated[list[str] | None, typer.Argument(help="Two or more ideas.")] = None,
    ideas_file: IdeasFile = None,
    by: By = "month",
    plot: Annotated[str | None, typer.Option("--plot", help="Write the dashboard's comparison chart as a figure "
                                             "(PNG, SVG or PDF).")] = None,
    measure: Annotated[str, typer.Option("--measure", help="What the figure plots: share (% of documents), words "
                                         "(mentions per million words), docs or mentions.")] = "share",
    smooth: Annotated[int, typer.Option("--smooth", help="Centred moving average over this many periods in the "
                                        "figure (1: none).")] = 1,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Ideas side by side: time to peak, half-life, lifespan, status."""
    import policypulse
    from policypulse.lifecycle import compare as compare_table

    from policypulse.report import measures

    measures.check_measure(measure), measures.check_smooth(smooth)
    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        result = corpus.lifecycle(ideas, ideas_file=ideas_file, by=by)
        if len(result) < 2:
            raise UsageError("compare needs at least two ideas")
        if plot:
            # The dashboard's compare chart (report/figures.py): the same values, gaps and zoom as the page.
            track = corpus.track(ideas, ideas_file=ideas_file, by=by)
            label = f"{Path(corpus.store.path).resolve().name} (version {corpus.version})"
            save_compare_plot(track, plot, by=by, measure=measure, smooth=smooth, corpus_label=label)
    table = compare_table(list(result))
    if format == "table" and not out:
        # For people: the verdict in words, dates as written, spans in years or months; no NaT, no exponents
        # (CSV and JSON keep the table's own columns).
        from policypulse.describe import lifespan_label, verdict_text
        from policypulse.report import present

        records = {r["idea"]: r for r in result.to_dicts()}
        shown = table.assign(
            verdict=[verdict_text(records[i]) if i in records else "" for i in table["idea"]],
            born=[present.period_label(v, by) for v in table["born"]],
            peak=[present.period_label(v, by) for v in table["peak"]],
            time_to_peak=[_days(v) or "—" for v in table["time_to_peak_days"]],
            half_life=[_days(v) or "—" for v in table["half_life_days"]],
            lifespan=[lifespan_label(v, records[i].get("status") if i in records else None, _days) or "—"
                      for v, i in zip(table["lifespan_days"], table["idea"])],
            last_mention=[present.day_label(v) for v in table["last_mention"]],
            forecast_last_mention=[present.period_label(v, by) for v in table["forecast_last_mention"]])
        emit(shown[["idea", "verdict", "born", "peak", "time_to_peak", "half_life", "lifespan", "last_mention",
                    "forecast_last_mention"]].rename(columns=lambda c: c.replace("_", " ")), "table", None,
             title="compare")
        return
    emit(table, format, out, provenance=getattr(result, "provenance", None))


@app.command()
def backtest(
    store: Annotated[str, typer.Argument(help="The store directory.")],
    ideas: Annotated[list[str] | None, typer.Argument(help="Ideas (queries).")] = None,
    ideas_file: IdeasFile = None,
    by: By = "month",
    cuts: Annotated[int, typer.Option("--cuts", help="Number of cut dates.")] = 20,
    alpha: Annotated[float, typer.Option("--alpha", help="Level of the death test.")] = 0.05,
    verdicts: Annotated[bool, typer.Option("--verdicts", help="Output every (idea, cut) verdict instead of the "
                                           "summary and calibration.")] = False,
    format: Format = "table",
    out: Out = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    version: Version = None,
) -> None:
    """Cut history at many dates, issue verdicts, and count how often a 'dead' idea spoke again."""
    import policypulse

    with policypulse.open(store, version=version, engine=engine, spark_master=spark_master) as corpus:
        result = corpus.backtest(ideas, ideas_file=ideas_file, by=by, cuts=cuts, alpha=alpha)
    prov = getattr(result, "provenance", None)
    if verdicts:
        emit(result.verdicts, format, out, title="backtest verdicts", provenance=prov)
    elif format == "table" and not out:
        emit(_readable_summary(result.summary), "table", None, title=f"backtest (each silence scored once; "
             f"follow-up {result.horizon_periods} {by}s; baselines beside the method)")
        emit(_readable_calibration(result.calibration), "table", None,
             title="calibration: stated probability of death against how often use resumed")
    elif format == "json":
        emit({"summary": result.summary.to_dict(orient="records"), "horizon_periods": result.horizon_periods,
              "calibration": result.calibration}, format, out, provenance=prov)
    else:
        emit(result.summary, format, out, provenance=prov)


def _pct(v: float | None) -> str:
    """A share as a percentage for people ('' when there is none)."""
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{100 * float(v):.0f}%"


def _readable_summary(summary: Any) -> Any:
    """The backtest summary for the terminal: words for column names, percentages, spans in years."""
    import pandas as pd

    t = summary.copy()
    out = pd.DataFrame({"method": t["method"]})
    out["cuts scored"] = t["scored_cuts"]
    out["silences called dead"] = t["dead_silences"]
    out["of them, used again"] = t["used_again"]
    out["share used again"] = t["false_death_rate"].map(_pct)
    out["ideas called dead"] = t["ideas_called_dead"]
    out["wrongly"] = t["ideas_wrongly_called_dead"]
    if "forecasts_scored" in t:
        out["forecasts scored"] = t["forecasts_scored"].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
        out["median forecast error"] = t["median_abs_forecast_error_days"].map(_days)
        out["95% interval covered"] = t["forecast_interval_coverage"].map(_pct)
    return out


def _readable_calibration(cal: Any) -> Any:
    """The calibration table for the terminal: bins and shares as percentages."""
    import pandas as pd

    t = cal.reset_index(drop=True)

    def band(label: object) -> str:
        lo, hi = (float(x) for x in str(label).strip("([])").split(","))
        return f"{100 * max(lo, 0.0):.0f}-{100 * hi:.0f}%"

    return pd.DataFrame({
        "stated probability of death": t["death_probability"].map(band),
        "verdicts": t["verdicts"],
        "used again": t["used_again"],
        "mean stated": t["mean_death_probability"].map(_pct),
        "share used again": t["share_used_again"].map(_pct),
    })
