"""Lifecycle analysis of ideas from per-period counts: birth, peak, death verdict, forecast, survival.

Pure statistics: input is a per-period count series (period, docs, mentions, total_docs) and a
frequency; nothing here reads a store or a file other than a counts CSV. Definitions: docs/methods.md.
"""

from .analysis import analyse, analyse_many
from .backtest import BacktestResult, backtest
from .compare import compare, describe
from .counts_csv import read_counts
from .errors import CountsFileError, LifecycleInputError, StatisticalWarning
from .plot import plot_compare, plot_lifecycle, save_figure
from .result import IdeaLifecycle, LifecycleResult
from .survival import SurvivalResult, survival

__all__ = [
    "BacktestResult",
    "CountsFileError",
    "IdeaLifecycle",
    "LifecycleInputError",
    "LifecycleResult",
    "StatisticalWarning",
    "SurvivalResult",
    "analyse",
    "analyse_many",
    "backtest",
    "compare",
    "describe",
    "plot_compare",
    "plot_lifecycle",
    "read_counts",
    "save_figure",
    "survival",
]
