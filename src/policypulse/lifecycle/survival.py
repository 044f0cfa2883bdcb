"""Survival of ideas: Kaplan–Meier curves of lifespans by era of birth, with a log-rank test (lifelines)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from .result import IdeaLifecycle

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def decade(born: date) -> str:
    """Default era of birth: the decade, e.g. '1990s'."""
    return f"{born.year // 10 * 10}s"


@dataclass
class SurvivalResult:
    """Lifespans, Kaplan–Meier curves and medians per era, and the log-rank test between eras."""

    lifespans: pd.DataFrame  # idea, era, born, duration_days, died (False = right-censored)
    curves: pd.DataFrame  # index timeline (days); one survival-probability column per era
    medians: pd.DataFrame  # era, ideas, deaths, median_days (inf when more than half still alive)
    logrank_p: float | None  # None with fewer than two eras
    logrank_statistic: float | None

    @property
    def summary(self) -> pd.DataFrame:
        """The per-era table."""
        return self.medians

    def plot(self, ax: Axes | None = None) -> Axes:
        """Kaplan–Meier step curves per era (x: years since birth), log-rank p in the title."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        for era in self.curves.columns:
            col = self.curves[era].dropna()
            ax.step(col.index / 365.25, col.to_numpy(), where="post", label=str(era))
        ax.set_xlabel("years since birth")
        ax.set_ylabel("share of ideas still alive")
        ax.set_ylim(0, 1.02)
        title = "Survival of ideas by era of birth (Kaplan–Meier)"
        if self.logrank_p is not None:
            title += f"\nlog-rank p = {self.logrank_p:.3g}"
        ax.set_title(title)
        ax.legend(title="born", frameon=False)
        return ax


def survival(lifecycles: Iterable[IdeaLifecycle], era: Callable[[date], str] = decade) -> SurvivalResult:
    """Kaplan–Meier survival of lifespans (birth to last mention), split by `era` of birth.

    Only `dead` ideas count as deaths; every other idea (alive, declining, dormant, emerging) is
    right-censored at its lifespan so far. Birth is emergence, or the first mention if emergence is
    not dated. Eras are compared with lifelines' multivariate log-rank test.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    rows = []
    for lc in lifecycles:
        born = lc.emergence or lc.first_mention
        if born is None or lc.lifespan_days is None:
            continue
        rows.append(
            {
                "idea": lc.idea,
                "era": era(born),
                "born": pd.Timestamp(born),
                "duration_days": float(lc.lifespan_days),
                "died": lc.status == "dead",
            }
        )
    table = pd.DataFrame(rows, columns=["idea", "era", "born", "duration_days", "died"])
    curves: dict[str, pd.Series] = {}
    medians = []
    for name, grp in table.groupby("era", sort=True):
        km = KaplanMeierFitter().fit(grp["duration_days"], grp["died"], label=str(name))
        curves[str(name)] = km.survival_function_[str(name)]
        medians.append(
            {
                "era": name,
                "ideas": len(grp),
                "deaths": int(grp["died"].sum()),
                "median_days": float(km.median_survival_time_),
            }
        )
    curve_frame = pd.DataFrame(curves).sort_index().ffill() if curves else pd.DataFrame()
    p = stat = None
    if table["era"].nunique() >= 2:
        res = multivariate_logrank_test(table["duration_days"], table["era"], table["died"])
        p, stat = float(res.p_value), float(res.test_statistic)
    return SurvivalResult(
        table, curve_frame, pd.DataFrame(medians, columns=["era", "ideas", "deaths", "median_days"]), p, stat
    )
