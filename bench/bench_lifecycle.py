"""Benchmark: lifecycles of 1,000 ideas over 240 monthly periods with the default bootstrap (n_boot=200).

Run: PYTHONPATH=src .venv/bin/python bench/bench_lifecycle.py [n_ideas]
Series come from the seeded simulator in tests/lifecycle_sim.py (a mix of flash, decline, alive and
relaunched ideas); generating them is not timed.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lifecycle_sim import random_lives  # noqa: E402
from policypulse.lifecycle import StatisticalWarning, analyse_many  # noqa: E402


def main(n_ideas: int = 1000) -> float:
    """Time analyse_many over n_ideas simulated monthly series; print and return seconds."""
    lives = random_lives(n_ideas, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        t0, c0 = time.perf_counter(), time.process_time()
        result = analyse_many(lives, "month", n_boot=200, seed=0)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = result.summary["status"].value_counts().to_dict()
    print(
        f"{n_ideas} ideas x 240 monthly periods, n_boot=200 (peak and forecast bootstraps), "
        "numpy GLM engine: "
        f"{elapsed:.2f} s wall, {cpu:.2f} s CPU ({1000 * elapsed / n_ideas:.1f} ms/idea); statuses {counts}"
    )
    return elapsed


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
