"""Error rates of the death verdict and the forecast on simulated ideas with known truth (issue 15).

    python bench/bench_verdicts.py [--ideas 400] [--forecasts 200] [--out bench/results/verdicts.md]

For each mention process (Poisson, negative binomial shape 0.5, AR(1) log-rate phi 0.8; see
tests/verdict_sim.py) and each method (policypulse's predictive test; Solow 1993's exposure-weighted
test; OLE, Roberts & Solow 2003), in one run:

* false dead, one look: ideas still in use at month 240, share called dead (target <= 0.05);
* ever dead, ten yearly looks: the same ideas judged at months 132, 144, ..., 240 (target <= 0.10);
* power at 24 months: ideas that stopped at month 216, share called dead at month 240 (target >= 0.80);
* forecast availability and 95%-interval coverage of the last mention, issued when a fading idea's
  rate has fallen to 1/8 of its peak (targets >= 0.90 each).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from verdict_sim import AR_PHI, AR_SD, N_MONTHS, NB_SHAPE, PROCESSES, fading_idea, quiet_idea  # noqa: E402

from policypulse.lifecycle import StatisticalWarning, analyse  # noqa: E402
from policypulse.lifecycle.death import REPEAT_FACTOR, death_test  # noqa: E402
from policypulse.lifecycle.ole import optimal_linear_estimate  # noqa: E402
from policypulse.lifecycle.series import MIN_SILENCE, Series, from_frame  # noqa: E402

ALPHA = 0.05
LOOKS = [131 + 12 * k for k in range(10)]  # the last month of years 11..20
TARGETS = {"false_dead": 0.05, "ever_dead": 0.10, "power24": 0.80, "available": 0.90, "coverage": 0.90}


def solow_p(s: Series) -> float | None:
    """Solow (1993) on the exposure clock: ((E(first..last)) / E(first..end)) ** (n - 1), n documents."""
    m = np.flatnonzero(s.docs > 0)
    if m.size == 0:
        return None
    n = int(s.docs.sum())
    ce = np.cumsum(s.exposure.astype(float))
    first, last, end = int(m[0]), int(m[-1]), s.n - 1
    span_all = ce[end] - (ce[first - 1] if first else 0.0)
    span_seen = ce[last] - (ce[first - 1] if first else 0.0)
    if n < 2 or span_all <= 0:
        return None
    return float((span_seen / span_all) ** (n - 1))


def ole_p(s: Series) -> float | None:
    """Roberts & Solow's OLE p-value at the end of the series, from the last ten sighting months."""
    m = np.flatnonzero(s.docs > 0)
    if m.size < 3 or m[-1] == s.n - 1:
        return None if m.size < 3 else 1.0
    est = optimal_linear_estimate(m.astype(float) + 0.5, alpha=ALPHA, test_time=float(s.n))
    return None if est is None else est.p_value


def verdicts(s: Series) -> dict[str, bool]:
    """Dead or not, by each method, for one series as it stands."""
    dt = death_test(s, alpha=ALPHA)
    silent = dt.silent_periods >= MIN_SILENCE["month"]
    sp, op = solow_p(s), ole_p(s)
    return {
        "policypulse": dt.is_dead(ALPHA, "month"),
        "solow": bool(silent and sp is not None and sp < ALPHA),
        "ole": bool(silent and op is not None and op < ALPHA),
    }


def death_section(process: str, n_ideas: int, seed: int) -> dict[str, dict[str, float]]:
    """False dead at one look, ever dead over ten looks, and power 24 months after death."""
    rng = np.random.default_rng([seed, PROCESSES.index(process)])
    methods = ("policypulse", "solow", "ole")
    one = dict.fromkeys(methods, 0)
    ever = dict.fromkeys(methods, 0)
    power = dict.fromkeys(methods, 0)
    alive_logp, dead_logp = [], []  # the oracle's evidence: lowest over the ten looks; at the end
    for _ in range(n_ideas):
        idea = quiet_idea(rng, process)
        full = from_frame(idea.frame, "month")
        looked = dict.fromkeys(methods, False)
        for look in LOOKS:
            v = verdicts(full.truncate(look))
            for k in methods:
                looked[k] |= v[k]
                if look == LOOKS[-1]:
                    one[k] += v[k]
        for k in methods:
            ever[k] += looked[k]
        alive_logp.append(min(_oracle_logp(idea, process, look) for look in LOOKS))
        dead = quiet_idea(rng, process, death=N_MONTHS - 24)
        v = verdicts(from_frame(dead.frame, "month"))
        for k in methods:
            power[k] += v[k]
        dead_logp.append(_oracle_logp(dead, process, N_MONTHS - 1))
    out = {
        k: {"false_dead": one[k] / n_ideas, "ever_dead": ever[k] / n_ideas, "power24": power[k] / n_ideas}
        for k in methods
    }
    alive, dead_ = np.array(alive_logp), np.array(dead_logp)
    level = np.log(ALPHA * REPEAT_FACTOR)
    # The ceiling: the level at which the oracle itself calls TARGETS["ever_dead"] of living ideas dead
    # at some look, and its power there. No test that does not know the process can do better.
    ceiling = float(np.quantile(alive, TARGETS["ever_dead"], method="lower"))
    out["oracle"] = {
        "ever_dead": float(np.mean(alive < level)),
        "power24": float(np.mean(dead_ < level)),
        "ceiling_level": float(np.exp(ceiling)),
        "ceiling_ever_dead": float(np.mean(alive < ceiling)),
        "ceiling_power24": float(np.mean(dead_ < ceiling)),
    }
    return out


def _oracle_logp(idea, process: str, end: int) -> float:
    """Log p of the silence from the last mention to month `end` for a test that knows the true rate
    and process: P(no mention | still in use at the true rate): Poisson exp(-mean), negative binomial
    prod (1 + mean_t / k) ** -k; AR(1) by Monte Carlo over 4,000 paths of the log-rate from its
    stationary law (the process's parameters known, not its path: the latent rate is never observed).
    0 (no verdict) before MIN_SILENCE silent months."""
    docs = idea.frame["docs"].to_numpy()[: end + 1]
    said = np.flatnonzero(docs > 0)
    if said.size == 0:
        return 0.0
    vol = idea.frame["total_docs"].to_numpy(float)
    mean = idea.mean_mentions * vol[int(said[-1]) + 1 : end + 1] / vol.mean()
    if mean.size < MIN_SILENCE["month"]:
        return 0.0
    if process == "negbin":
        return float(np.sum(-NB_SHAPE * np.log1p(mean / NB_SHAPE)))
    if process == "ar1":
        return float(np.log(max(np.mean(np.exp(-(_ar_paths(mean.size) @ mean))), 1e-300)))
    return float(-mean.sum())


def _ar_paths(n: int, paths: int = 4000) -> np.ndarray:
    """Rate multipliers exp(x - sd^2/2) of stationary AR(1) log-rates (tests/verdict_sim.py's), seeded."""
    rng = np.random.default_rng(n)
    innov = AR_SD * np.sqrt(1 - AR_PHI**2)
    x = np.empty((paths, n))
    x[:, 0] = rng.normal(0.0, AR_SD, paths)
    for t in range(1, n):
        x[:, t] = AR_PHI * x[:, t - 1] + rng.normal(0.0, innov, paths)
    return np.exp(x - AR_SD**2 / 2)


def forecast_section(process: str, n_ideas: int, seed: int) -> dict[str, float]:
    """Availability and 95% coverage of the last-mention forecast, issued at 1/8 of the peak rate."""
    rng = np.random.default_rng([seed, 100 + PROCESSES.index(process)])
    available = covered = scored = pointed = 0
    errors = []
    for i in range(n_ideas):
        idea, issue = fading_idea(rng, process)
        if idea.last_mention is None or idea.last_mention <= issue:
            continue  # the truth must lie after the forecast is issued
        scored += 1
        as_of = idea.frame["period"].iloc[issue]
        lc = analyse(idea.frame, "month", idea=f"fade {i}", as_of=as_of, n_boot=200, seed=i)
        iv = lc.forecast_interval
        pointed += lc.forecast_last_mention is not None
        if lc.forecast_last_mention is None or iv is None or iv[0] is None or iv[1] is None:
            continue
        available += 1
        truth = idea.frame["period"].iloc[idea.last_mention].date()
        covered += iv[0] <= truth <= iv[1]
        errors.append((lc.forecast_last_mention - truth).days)
    return {
        "scored": scored,
        "point": pointed / scored if scored else float("nan"),
        "available": available / scored if scored else float("nan"),
        "coverage": covered / available if available else float("nan"),
        "median_abs_error_days": float(np.median(np.abs(errors))) if errors else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ideas", type=int, default=400)
    ap.add_argument("--forecasts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "verdicts.md"))
    args = ap.parse_args()
    warnings.simplefilter("ignore", StatisticalWarning)
    t0 = time.perf_counter()
    results = {}
    for process in PROCESSES:
        results[process] = {
            "death": death_section(process, args.ideas, args.seed) if args.ideas else {},
            "forecast": forecast_section(process, args.forecasts, args.seed) if args.forecasts else None,
        }
        print(process, json.dumps(results[process]), flush=True)
    elapsed = time.perf_counter() - t0
    # A run of one part (--ideas 0 or --forecasts 0) keeps the other part's results from the last run,
    # so that one table holds both; the header says which run each part comes from.
    args.kept = []
    previous = Path(args.out).with_suffix(".json")
    if (not args.ideas or not args.forecasts) and previous.exists():
        old = json.loads(previous.read_text())
        part = "death" if not args.ideas else "forecast"
        for process in results:
            if old.get(process, {}).get(part):
                results[process][part] = old[process][part]
                if part not in args.kept:
                    args.kept.append(part)
        results["_runs"] = {**old.get("_runs", {}), ("forecast" if part == "death" else "death"): vars_run(args, elapsed)}
        results["_ideas"] = args.ideas or old.get("_ideas", 0)
    else:
        results["_runs"] = {"death": vars_run(args, elapsed), "forecast": vars_run(args, elapsed)}
        results["_ideas"] = args.ideas
    write(results, args, elapsed)


def vars_run(args: argparse.Namespace, elapsed: float) -> str:
    """The command line and time of one run, for the header."""
    return (f"`python bench/bench_verdicts.py --ideas {args.ideas} --forecasts {args.forecasts} "
            f"--seed {args.seed}` ({elapsed:.0f} s, {time.strftime('%Y-%m-%d %H:%M')})")


def _mark(value: float, target: float, upper: bool) -> str:
    ok = value <= target if upper else value >= target
    return f"{value:.3f} {'pass' if ok else 'FAIL'}"


def write(results: dict, args: argparse.Namespace, elapsed: float) -> None:
    processes = {k: v for k, v in results.items() if not k.startswith("_")}
    lines = [
        "# Death verdict and forecast on simulated ideas (issue 15)",
        "",
        f"Death verdicts from {results['_runs'].get('death', '-')}; forecasts from "
        f"{results['_runs'].get('forecast', '-')}. Monthly series of 240 months, corpus volume 100-3,000 "
        "documents a month,",
        "0.1-3 expected mentions a month while in use (tests/verdict_sim.py). alpha = 0.05. Baselines are",
        "judged at alpha after the same minimum silence. Each rate is a share of "
        f"{results['_ideas']} ideas (binomial standard error about "
        f"{np.sqrt(0.05 * 0.95 / max(results['_ideas'], 1)):.3f} at 0.05).",
        "The oracle knows each idea's true rate and process; its ceiling row is the best power any test can",
        "have while keeping ever dead at the target: where that ceiling is below 0.80, the power target",
        "cannot be met together with the ever-dead target by any method.",
    ]
    if any(r["death"] for r in processes.values()):
        lines += [
            "",
            "| process | method | false dead, one look (<= 0.05) | ever dead, ten yearly looks (<= 0.10) "
            "| power 24 months after death (>= 0.80) |",
            "|---|---|---|---|---|",
        ]
    for process, r in processes.items():
        for method, d in r["death"].items():
            if method == "oracle":
                lines.append(f"| {process} | oracle: true rate and process known, same level | - "
                             f"| {d['ever_dead']:.3f} | {d['power24']:.3f} |")
                lines.append(f"| {process} | oracle ceiling: its level set so that its ever dead is "
                             f"{TARGETS['ever_dead']:.2f} (p < {d['ceiling_level']:.4f}) | - "
                             f"| {d['ceiling_ever_dead']:.3f} | {d['ceiling_power24']:.3f} |")
                continue
            lines.append(
                f"| {process} | {method} | {_mark(d['false_dead'], TARGETS['false_dead'], True)} "
                f"| {_mark(d['ever_dead'], TARGETS['ever_dead'], True)} "
                f"| {_mark(d['power24'], TARGETS['power24'], False)} |"
            )
    if any(r["forecast"] for r in processes.values()):
        lines += [
            "",
            "Forecast of the last mention, issued when the rate has faded to 1/8 of its peak (fading ideas,",
            "peak 5-50 mentions a month, half-life 6-36 months; truth simulated 100 years on).",
            "",
            "| process | ideas scored | point forecast given | two-sided interval given (>= 0.90) "
            "| 95% interval covers the truth (>= 0.90) | median absolute error (days) |",
            "|---|---|---|---|---|---|",
        ]
        for process, r in processes.items():
            f = r["forecast"]
            if f:
                lines.append(
                    f"| {process} | {f['scored']} | {f['point']:.3f} "
                    f"| {_mark(f['available'], TARGETS['available'], False)} "
                    f"| {_mark(f['coverage'], TARGETS['coverage'], False)} | {f['median_abs_error_days']:.0f} |"
                )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
