"""How often a death verdict on real history was followed by renewed use: the State of the Union corpus.

    python bench/bench_sotu_verdicts.py [--store DIR] [--out bench/results/verdicts-sotu.md]

Phrases: the named programmes and slogans below (policy ideas named in State of the Union addresses,
written down before looking at any verdict), kept when at least three addresses use them (the rule is
applied mechanically; the table lists every phrase and its count). Verdicts are issued every year from
1850 to 2006 (yearly counts), each scored against the next 20 years (the backtest's rules: each silence
once, renewed use not echoes), for the method with and without its echo model and for the baselines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import policypulse  # noqa: E402
from policypulse.lifecycle import backtest  # noqa: E402
from policypulse.lifecycle import death as death_mod  # noqa: E402

PHRASES = [
    "great society", "war on poverty", "new deal", "fair deal", "new frontier", "square deal",
    "new freedom", "good neighbor", "marshall plan", "point four", "alliance for progress", "peace corps",
    "medicare", "food stamps", "model cities", "head start", "job corps", "revenue sharing",
    "new federalism", "energy independence", "war on drugs", "welfare reform", "americorps",
    "homeland security", "war on terror", "ownership society", "race to the top", "cap and trade",
    "clean energy", "strategic defense initiative", "no child left behind", "axis of evil",
    "affordable care act", "free silver", "gold standard", "civil service reform", "internal improvements",
    "national bank", "reconstruction", "interstate highway", "atoms for peace", "food for peace",
    "manifest destiny", "open door", "dollar diplomacy", "four freedoms", "lend lease", "social security",
    "fair employment", "full employment", "missile gap", "new partnership", "reinventing government",
    "family leave", "patients bill of rights", "faith based", "build back better", "inflation reduction act",
]
CUTS = [f"{y}-01-01" for y in range(1850, 2007)]
MIN_ADDRESSES = 3


def _markdown(frame) -> list[str]:
    """A small DataFrame as Markdown table lines (floats to two decimals)."""
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        out.append("| " + " | ".join(cells) + " |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=str(ROOT / "bench" / "data" / "sotu-store"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "verdicts-sotu.md"))
    args = ap.parse_args()
    store = Path(args.store)
    if not store.exists():
        subprocess.run([str(Path(sys.executable).with_name("policypulse")), "ingest", str(store), "--format", "sotu"],
                       check=True, capture_output=True)
    t0 = time.perf_counter()
    with policypulse.open(store) as corpus:
        track = corpus.track(PHRASES, by="year")
    counts = track.groupby("idea")["docs"].sum()
    kept = [p for p in PHRASES if counts.get(p, 0) >= MIN_ADDRESSES]
    cols = ["period", "docs", "mentions", "total_docs"]
    series = {p: track.loc[track["idea"] == p, cols].reset_index(drop=True) for p in kept}
    with_echo = backtest(series, "year", CUTS, n_boot=0)
    with mock.patch.object(death_mod, "MAX_ECHOES", 0):
        without = backtest(series, "year", CUTS, n_boot=0)
    elapsed = time.perf_counter() - t0
    rows = []
    for label, res, methods in (("with echo model", with_echo, ("policypulse", "naive", "solow", "ole")),
                                ("without echo model", without, ("policypulse",))):
        summ = res.summary.set_index("method")
        for m in methods:
            r = summ.loc[m]
            rows.append({"run": label, "method": m, "dead_silences": int(r["dead_silences"]),
                         "used_again": int(r["used_again"]),
                         "share": None if r["false_death_rate"] is None else float(r["false_death_rate"]),
                         "ideas_called_dead": int(r["ideas_called_dead"]),
                         "ideas_wrongly": int(r["ideas_wrongly_called_dead"])})
    echoed = with_echo.verdicts[(with_echo.verdicts["echoes"] > 0) & (with_echo.verdicts["status"] == "dead")]
    lines = [
        "# Death verdicts on the State of the Union corpus (issue 15)",
        "",
        f"`python bench/bench_sotu_verdicts.py` ({elapsed:.0f} s). {len(kept)} of {len(PHRASES)} listed phrases "
        f"are used in at least {MIN_ADDRESSES} addresses; verdicts every year 1850-2006 on yearly counts; each",
        "silence called dead is scored once, against renewed use within 20 years (echoes are not use).",
        "",
        "| run | method | silences called dead | used again within 20 years | share | ideas called dead "
        "| ideas wrongly called dead |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        share = "-" if r["share"] is None else f"{r['share']:.2f}"
        lines.append(f"| {r['run']} | {r['method']} | {r['dead_silences']} | {r['used_again']} | {share} "
                     f"| {r['ideas_called_dead']} | {r['ideas_wrongly']} |")
    # Each silence policypulse called dead, at its first dead call, so that a reader can judge them one by one.
    v = with_echo.verdicts
    dead = v[v["policypulse"].astype(bool) & v["scored"].astype(bool)].sort_values("cut")
    first = dead.groupby(["idea", "silence_since"], sort=False).first().reset_index().sort_values("cut")
    lines += ["", "Silences called dead (with the echo model), each at its first dead call:", "",
              "| idea | last use | first called dead | death p | probability of death | used again within 20 years |",
              "|---|---|---|---|---|---|"]
    for r in first.itertuples():
        lines.append(f"| {r.idea} | {pd.Timestamp(r.silence_since):%Y} | {pd.Timestamp(r.cut):%Y} "
                     f"| {r.death_p_value:.2g} | {r.death_probability:.2f} | {'yes' if r.used_again else 'no'} |")
    lines += ["", "Calibration (with the echo model): stated probability of death against renewed use.", "",
              *_markdown(with_echo.calibration), "",
              f"Dead verdicts resting on echoes: {len(echoed)} (idea, cut) pairs over "
              f"{echoed['idea'].nunique()} ideas: {', '.join(sorted(echoed['idea'].unique()))}.", "",
              "Phrases and the addresses using them: " + ", ".join(f"{p} {int(counts.get(p, 0))}" for p in PHRASES)
              + "."]
    out = Path(args.out)
    out.write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps({"rows": rows, "kept": kept}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
