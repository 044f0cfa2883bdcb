"""Result objects: one idea's lifecycle (`IdeaLifecycle`) and a collection of them (`LifecycleResult`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .series import Series

DateInterval = tuple[date | None, date | None]

# Fields of the `lifecycle --format json` contract, in contract order (tests check they are all present).
CONTRACT_FIELDS: tuple[str, ...] = (
    "idea",
    "first_mention",
    "emergence",
    "peak",
    "peak_interval",
    "half_life_days",
    "relaunches",
    "resurrections",
    "last_mention",
    "lifespan_days",
    "status",
    "death_p_value",
    "forecast_last_mention",
    "forecast_interval",
    "phases",
    "first_doc_id",
    "last_doc_id",
    "death_probability",
    "echoes",
    "verdict_text",
)


def _json(value: Any) -> Any:
    """JSON-ready copy of a value: dates to 'YYYY-MM-DD', tuples to lists, numpy scalars to Python."""
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return pd.Timestamp(value).date().isoformat()  # strftime writes year 800 as "800-01-01", not ISO
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass
class IdeaLifecycle:
    """Everything the lifecycle analysis says about one idea.

    Dates are period starts, except first_mention and last_mention, which are the first and last
    documents' own days when the analysis ran on a store (`exact_days`).
    """

    idea: str
    by: str
    status: str
    first_mention: date | None = None
    emergence: date | None = None
    emergence_censored: bool = False
    peak: date | None = None
    peak_rate: float | None = None
    peak_interval: DateInterval | None = None
    # False when the mentions are spread too thin to place a peak (docs/methods.md, "Peak and its interval")
    peak_clear: bool = True
    half_life_days: float | None = None
    relaunches: int = 0
    relaunch_dates: list[date] = field(default_factory=list)
    resurrections: int = 0
    resurrection_dates: list[date] = field(default_factory=list)
    last_mention: date | None = None
    lifespan_days: float | None = None
    lifespan_censored: bool = True
    time_to_peak_days: float | None = None
    death_p_value: float | None = None
    death_probability: float | None = None
    verdict_level: float | None = None  # the level death_p_value is compared with (set for repeated looks)
    verdict_text: str = ""
    verdict_basis: str | None = None
    last_use: date | None = None  # the last use when later mentions are echoes (else None)
    echoes: int = 0
    echo_dates: list[date] = field(default_factory=list)
    echo_quotes: list[dict[str, Any]] = field(default_factory=list)  # KWIC lines of the echoes (on a store)
    dispersion: float | None = None
    first_doc_id: str | None = None
    last_doc_id: str | None = None
    exact_days: bool = False  # first/last mention are the documents' own days (else period starts)
    expected_mentions_in_silence: float | None = None
    recent_rate: float | None = None
    forecast_last_mention: date | None = None
    forecast_interval: DateInterval | None = None
    decay_model: str | None = None
    ole_extinction: date | None = None
    ole_interval: DateInterval | None = None
    ole_p_value: float | None = None
    phases: list[dict[str, Any]] = field(default_factory=list)
    downs_stages: list[dict[str, Any]] = field(default_factory=list)
    downs_stage: str | None = None
    total_docs_mentioning: int = 0
    total_mentions: int = 0
    series_start: date | None = None
    series_end: date | None = None
    coverage_gaps: int = 0
    coverage_warning: str | None = None
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    # Arrays behind the figures; kept out of to_dict(), repr and equality.
    series: Series | None = field(default=None, repr=False, compare=False)
    smoothed_rate: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: contract fields first, dates as 'YYYY-MM-DD', None where not applicable."""
        skip = {"series", "smoothed_rate"}
        out = {f.name: _json(getattr(self, f.name)) for f in fields(self) if f.name not in skip}
        ordered = {k: out.pop(k) for k in CONTRACT_FIELDS}
        ordered.update(out)
        return ordered

    def sentence(self) -> str:
        """A plain-English sentence about the life of the idea ("X lasted about 1000 days ...")."""
        from .compare import describe

        return describe(self)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Publication-quality figure of this idea's life (see `plot.plot_lifecycle`)."""
        from .plot import plot_lifecycle

        return plot_lifecycle(self, ax=ax)

    def _repr_html_(self) -> str:
        """Notebook display: the one-row summary table."""
        return LifecycleResult([self]).summary.to_html()


SUMMARY_COLUMNS: tuple[str, ...] = (
    "idea",
    "status",
    "first_mention",
    "emergence",
    "peak",
    "half_life_days",
    "relaunches",
    "resurrections",
    "last_mention",
    "lifespan_days",
    "death_p_value",
    "death_probability",
    "echoes",
    "forecast_last_mention",
    "downs_stage",
    "coverage_warning",
    "verdict_text",
)


class LifecycleResult(Sequence[IdeaLifecycle]):
    """Lifecycles of several ideas with a `.summary` table, `.to_dicts()` and `.plot()`."""

    def __init__(self, lifecycles: Sequence[IdeaLifecycle]) -> None:
        self.lifecycles: list[IdeaLifecycle] = list(lifecycles)

    def __len__(self) -> int:
        return len(self.lifecycles)

    def __getitem__(self, key: int | str) -> IdeaLifecycle:  # type: ignore[override]
        """Index by position or by idea name."""
        if isinstance(key, str):
            for lc in self.lifecycles:
                if lc.idea == key:
                    return lc
            raise KeyError(f"no idea named {key!r}; ideas: {', '.join(lc.idea for lc in self.lifecycles)}")
        return self.lifecycles[key]

    def __iter__(self) -> Iterator[IdeaLifecycle]:
        return iter(self.lifecycles)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per idea with the main fields (dates as Timestamps, NaN/None where not applicable)."""
        rows = []
        for lc in self.lifecycles:
            row = {c: getattr(lc, c) for c in SUMMARY_COLUMNS}
            for c in ("first_mention", "emergence", "peak", "last_mention", "forecast_last_mention"):
                row[c] = pd.Timestamp(row[c]) if row[c] is not None else pd.NaT
            rows.append(row)
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))

    def to_dicts(self) -> list[dict[str, Any]]:
        """The `lifecycle --format json` list: one JSON-ready dict per idea."""
        return [lc.to_dict() for lc in self.lifecycles]

    def plot(self, ax: Axes | None = None) -> Axes:
        """One idea: its lifecycle figure; several: the comparison figure. Returns the axes."""
        from .plot import plot_compare, plot_lifecycle

        if len(self.lifecycles) == 1:
            return plot_lifecycle(self.lifecycles[0], ax=ax)
        return plot_compare(self.lifecycles, ax=ax)

    def _repr_html_(self) -> str:
        """Notebook display: the summary table."""
        return self.summary.to_html(index=False)

    def __repr__(self) -> str:
        return f"LifecycleResult({len(self)} ideas: {', '.join(lc.idea for lc in self.lifecycles[:5])}" + (
            ", ...)" if len(self) > 5 else ")"
        )
