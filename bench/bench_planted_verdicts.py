"""Death verdicts on the planted ideas of the bench's news corpus, against their known ends (issue 15).

    python bench/bench_planted_verdicts.py [--store bench/data/store-1M]
        [--truth bench/data/corpus-1000000.jsonl.truth.json]

The synthetic news corpus (bench/corpus.py) plants 50 ideas with real shapes: a rise, a peak and a fall
over years, overdispersed month to month, and an end after which the generator never writes them again.
An idea whose last planted month is at least 24 months before the corpus ends is dead; one said within
the last 3 months is alive. Each is analysed by month as a user would (`lifecycle`), once with the
dispersion measured around a log-quadratic trend over a long life (the method) and once around a
straight line (the method before issue 15's session 9), so the table shows what the trend changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import policypulse  # noqa: E402
from policypulse.lifecycle import death as death_mod  # noqa: E402

DEAD_AFTER = 24  # months of planted silence before the corpus ends: the idea is dead
ALIVE_WITHIN = 3  # said in the last 3 months: alive


def _months(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:7]) - int(a[5:7])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=str(ROOT / "bench" / "data" / "store-1M"))
    ap.add_argument("--truth", default=str(ROOT / "bench" / "data" / "corpus-1000000.jsonl.truth.json"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "verdicts-planted.md"))
    args = ap.parse_args()
    truth = json.loads(Path(args.truth).read_text())
    ideas, end = truth["ideas"], truth["end"][:7]
    names = list(ideas)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    with policypulse.open(args.store) as corpus:
        hump = {r["idea"]: r for r in corpus.lifecycle(names, by="month").to_dicts()}
        with mock.patch.object(death_mod, "HUMP_MIN", 10**9):
            line = {r["idea"]: r for r in corpus.lifecycle(names, by="month").to_dicts()}
    elapsed = time.perf_counter() - t0
    rows, tally = [], {m: {"dead": 0, "dead_called": 0, "alive": 0, "alive_called": 0} for m in ("hump", "line")}
    for name in names:
        gap = _months(max(ideas[name]["docs"]), end)
        kind = "dead" if gap >= DEAD_AFTER else ("alive" if gap <= ALIVE_WITHIN else None)
        if kind is None:
            continue
        for m, res in (("hump", hump), ("line", line)):
            tally[m][kind] += 1
            tally[m][f"{kind}_called"] += res[name]["status"] == "dead"
        rows.append((name, kind, gap, hump[name], line[name]))

    def p(r: dict) -> str:
        v = r.get("death_p_value")
        return "-" if v is None else (f"{v:.1e}" if v < 0.001 else f"{v:.3f}")

    def phi(r: dict) -> str:
        return "-" if r.get("dispersion") is None else f"{r['dispersion']:.1f}"

    lines = [
        "# Death verdicts on the planted ideas of the news corpus (issue 15)",
        "",
        f"`python bench/bench_planted_verdicts.py --store {args.store}` ({elapsed:.0f} s, "
        f"{time.strftime('%Y-%m-%d %H:%M')}). Corpus: {truth.get('docs', '?'):,} documents "
        f"{truth['start'][:7]} to {end} (bench/corpus.py, seed {truth.get('seed', '?')}); by month.",
        f"Dead: the planted idea's last month is {DEAD_AFTER}+ months before the end; alive: said in the last "
        f"{ALIVE_WITHIN} months. *hump*: dispersion over a life of {death_mod.HUMP_MIN}+ covered periods around "
        "a log-quadratic trend (the method); *line*: around a straight line (before).",
        "",
        "| trend | dead ideas called dead | alive ideas called dead |",
        "|---|---|---|",
    ]
    for m in ("hump", "line"):
        t = tally[m]
        lines.append(f"| {m} | {t['dead_called']} of {t['dead']} ({t['dead_called'] / max(t['dead'], 1):.2f}) "
                     f"| {t['alive_called']} of {t['alive']} |")
    lines += ["", "| idea | truth | months silent (planted) | status: hump | p | dispersion | status: line | p "
              "| dispersion |", "|---|---|---|---|---|---|---|---|---|"]
    for name, kind, gap, h, ln in rows:
        lines.append(f"| {name} | {kind} | {gap} | {h['status']} | {p(h)} | {phi(h)} | {ln['status']} | {p(ln)} "
                     f"| {phi(ln)} |")
    lines += forecast_lines(args.store, ideas, end)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:12]))


FADE = 4  # the forecast is issued when the planted rate (6-month mean) has fallen to a quarter of its peak


def forecast_lines(store: str, ideas: dict, end: str) -> list[str]:
    """The forecast of the last mention on each planted idea that ended, issued as a user would have seen
    it mid-fade (the series cut where the planted 6-month mean first fell to 1/FADE of its peak, at least 12
    months before the last planted month), against the true last month."""
    import numpy as np
    import pandas as pd

    from policypulse.lifecycle.analysis import analyse

    dead = [n for n in ideas if _months(max(ideas[n]["docs"]), end) >= DEAD_AFTER]
    with policypulse.open(store) as corpus:
        track = corpus.track(dead, by="month")
    rows, scored, given, two_sided, covered, errors = [], 0, 0, 0, 0, []
    for name in dead:
        docs = pd.Series(ideas[name]["docs"], dtype=float)
        docs.index = pd.PeriodIndex(docs.index, freq="M")
        docs = docs.reindex(pd.period_range(docs.index.min(), docs.index.max(), freq="M"), fill_value=0.0)
        mean6 = docs.rolling(6, min_periods=1).mean()
        top = int(np.argmax(mean6.to_numpy()))
        after = np.flatnonzero(mean6.to_numpy()[top:] <= mean6.iloc[top] / FADE)
        last = docs.index[-1]
        if not after.size or (last - docs.index[top + int(after[0])]).n < 12:
            continue
        cut = docs.index[top + int(after[0])].to_timestamp()
        frame = track.loc[(track["idea"] == name) & (track["period"] <= cut),
                          ["period", "docs", "mentions", "total_docs"]].reset_index(drop=True)
        lc = analyse(frame, "month", idea=name, n_boot=200)
        scored += 1
        truth = last.to_timestamp().date()
        fc, iv = lc.forecast_last_mention, lc.forecast_interval
        hit = None
        if fc is not None:
            given += 1
            errors.append(abs((fc - truth).days))
        if iv is not None and iv[0] is not None and iv[1] is not None:
            two_sided += 1
            hit = iv[0] <= truth <= iv[1]
            covered += hit
        band = "-" if iv is None else f"{iv[0]} to {iv[1] or 'no upper end'}"
        rows.append(f"| {name} | {cut:%Y-%m} | {truth:%Y-%m} | {fc or '-'} | {band} | "
                    f"{'-' if hit is None else ('yes' if hit else 'NO')} |")
    med = f"{np.median(errors):.0f} days" if errors else "-"
    return ["", "## Forecast of the last mention, issued mid-fade", "",
            f"Each planted idea that ended, cut where its planted 6-month mean first fell to 1/{FADE} of its peak "
            "(at least 12 months before its last planted month); analysed by month on the store's counts up to the "
            "cut. Targets (issue 15): a two-sided interval for >= 0.90, covering the truth >= 0.90.", "",
            f"Scored {scored}; point forecast given {given}; two-sided interval {two_sided} "
            f"({two_sided / max(scored, 1):.2f}); of those covering the true last month {covered} "
            f"({covered / max(two_sided, 1):.2f}); median absolute error of the point {med}.", "",
            "| idea | cut | true last month | forecast | 95% interval | covers |", "|---|---|---|---|---|---|",
            *rows]


if __name__ == "__main__":
    main()
