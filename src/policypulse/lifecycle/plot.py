"""Figures: one idea's life (rate, phases, peak, last mention, verdict, forecast) and ideas compared."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .result import IdeaLifecycle  # result.py imports this module for .plot(): types only, no circle

PHASE_COLOURS: dict[str, str] = {
    "latent": "#f2f2f2",
    "rise": "#fde0c5",
    "peak": "#f9b487",
    "decline": "#d6e6f4",
    "sustained": "#e3f1dc",
    "relaunch": "#fbd0e0",
    "resurrection": "#e5d4f2",
    "dormant": "#ececec",
    "dead": "#d9d9d9",
}
SAVE_FORMATS = (".png", ".svg", ".pdf")


def _axes(ax: Axes | None, size: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """The given axes, or new ones on a new figure (works under the Agg backend)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def plot_lifecycle(lc: IdeaLifecycle, ax: Axes | None = None) -> Axes:
    """One idea's life as the dashboard draws it (report/figures.py): % of documents mentioning it per period,
    not smoothed, the line broken at coverage gaps (shaded), lone periods as dots, phases as a labelled strip,
    peak, last mention and forecast interval marked; the title carries the verdict in words.

    The line is labelled "% of documents"; peak and last-mention artists carry labels starting "peak" and
    "last mention", so tests and users can find them.
    """
    from policypulse.report import figures, present

    ax = _axes(ax)
    s = lc.series
    if s is None or s.n == 0:
        ax.set_title(f"{lc.idea}: no data")
        return ax
    track = pd.DataFrame({"idea": lc.idea, "period": s.periods, "docs": s.docs, "mentions": s.mentions,
                          "total_docs": np.where(s.covered, s.exposure, 0)})
    d = lc.to_dict()
    figures.draw(ax, track, [d], by=s.by, measure="share", smooth=1)
    from policypulse.report import measures

    ax.set_title(f"{lc.idea}", loc="left", fontweight="bold", pad=30)
    ax.text(0.0, 1.015, f"{present.verdict(d)}\n{measures.describe('share', 1, s.by)}", transform=ax.transAxes,
            ha="left", va="bottom", fontsize=8, color="#334155")
    return ax


def plot_compare(
    lifecycles: Sequence[IdeaLifecycle], ax: Axes | None = None, align: str = "birth", normalise: bool = True
) -> Axes:
    """Smoothed rates of several ideas on one axes, one line per idea labelled with its name.

    align="birth": x is years since each idea's birth (emergence or first mention), so lives compare;
    align="date": calendar time. normalise=True divides each curve by its peak.
    """
    if align not in ("birth", "date"):
        raise ValueError(f"align must be 'birth' or 'date', got {align!r}")
    ax = _axes(ax)
    for lc in lifecycles:
        s, sm = lc.series, lc.smoothed_rate
        if s is None or sm is None or lc.peak_rate is None:
            continue
        y = sm / lc.peak_rate if normalise else 1000.0 * sm
        born = lc.emergence or lc.first_mention
        if align == "birth" and born is not None:
            xs = np.asarray((s.periods - pd.Timestamp(born)).days, dtype=float) / 365.25
            keep = xs >= 0
            ax.plot(xs[keep], y[keep], lw=1.6, label=lc.idea)
        else:
            ax.plot(s.periods, y, lw=1.6, label=lc.idea)
    ax.set_xlabel("years since birth" if align == "birth" else "")
    ax.set_ylabel("share of peak attention" if normalise else "documents mentioning it per 1,000")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def save_figure(fig: Figure, path: str | Path, dpi: int = 200) -> Path:
    """Save a figure as PNG, SVG or PDF, chosen by the file suffix."""
    out = Path(path)
    if out.suffix.lower() not in SAVE_FORMATS:
        raise ValueError(
            f"cannot save a figure as {out.suffix or 'no suffix'!r}; use one of {', '.join(SAVE_FORMATS)}"
        )
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    return out
