"""Lifecycle figures: assertions on the plotted data (Agg backend), not on "is not None"."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lifecycle_sim import planted_set  # noqa: E402
from policypulse.lifecycle import LifecycleResult, analyse, plot_compare, plot_lifecycle, save_figure  # noqa: E402
from policypulse.lifecycle.survival import survival  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::policypulse.lifecycle.StatisticalWarning")


@pytest.fixture(scope="module")
def lcs():
    ps = planted_set(seed=0)
    return {
        k: analyse(ps[k].series, "month", idea=k) for k in ("flash", "slow decline", "flash across a gap")
    }


def _day(x):
    """A plotted x value (Timestamp, datetime64 or Matplotlib date number) as a date."""
    if isinstance(x, (float, np.floating)):
        return matplotlib.dates.num2date(x).date()
    return pd.Timestamp(x).date()


def _line(ax, label):
    return next(ln for ln in ax.get_lines() if ln.get_label() == label)


def test_lifecycle_figure_plots_the_rates_and_marks(lcs):
    lc = lcs["flash"]
    ax = plot_lifecycle(lc)
    s = lc.series
    share = _line(ax, "% of documents").get_ydata()  # the dashboard's measure, not smoothed
    np.testing.assert_allclose(share, 100 * s.docs / s.exposure)
    peak = next(ln for ln in ax.get_lines() if ln.get_label().startswith("peak"))
    assert _day(peak.get_xdata()[0]) == lc.peak
    assert peak.get_ydata()[0] == pytest.approx(share[list(s.periods.date).index(lc.peak)])
    last = next(ln for ln in ax.get_lines() if ln.get_label().startswith("last mention"))
    assert _day(last.get_xdata()[0]) == lc.last_mention
    text = "\n".join(t.get_text() for t in ax.texts)
    assert lc.to_dict()["verdict_text"] in text and "e-" not in text
    if lc.status == "dead":  # nothing left to forecast
        assert not [p for p in ax.patches if str(p.get_label()).startswith("forecast")]
    shaded = [p.get_label() for p in ax.patches if p.get_label().startswith("phase: ")]
    assert shaded == list(dict.fromkeys(f"phase: {ph['phase']}" for ph in lc.phases))
    plt.close(ax.figure)


def test_coverage_gaps_are_shaded_and_not_plotted_as_zero(lcs):
    lc = lcs["flash across a gap"]
    ax = plot_lifecycle(lc)
    gaps = [p for p in ax.patches if p.get_gid() == "coverage-gap"]
    assert len(gaps) == int((~lc.series.covered).sum()) == 21
    share = _line(ax, "% of documents").get_ydata()
    assert np.isnan(share[~lc.series.covered]).all() and not np.isnan(share[lc.series.covered]).any()
    plt.close(ax.figure)


def test_compare_figure_normalises_and_aligns_on_birth(lcs):
    ax = plot_compare([lcs["flash"], lcs["slow decline"]])
    assert [ln.get_label() for ln in ax.get_lines()] == ["flash", "slow decline"]
    for ln in ax.get_lines():
        assert np.nanmax(ln.get_ydata()) == pytest.approx(1.0)
        assert ln.get_xdata()[0] == pytest.approx(0.0)  # years since birth start at zero
    assert ax.get_xlabel() == "years since birth"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="align"):
        plot_compare([lcs["flash"]], align="sideways")


def test_result_plot_dispatches_and_saves_by_suffix(lcs, tmp_path):
    one = LifecycleResult([lcs["flash"]]).plot()
    assert _line(one, "% of documents") is not None and one.get_title(loc="left") == "flash"
    many = LifecycleResult(list(lcs.values())).plot()
    assert len(many.get_lines()) == 3
    png = save_figure(many.figure, tmp_path / "cmp.png")
    svg = save_figure(many.figure, tmp_path / "cmp.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:400]
    with pytest.raises(ValueError, match="cannot save"):
        save_figure(many.figure, tmp_path / "cmp.gif")
    plt.close("all")


def test_survival_plot_draws_one_step_curve_per_era(lcs):
    res = survival(list(lcs.values()), era=lambda born: "early" if born.year < 2004 else "late")
    ax = res.plot()
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels == list(res.curves.columns)
    for ln, era in zip(ax.get_lines(), res.curves.columns):
        np.testing.assert_allclose(ln.get_ydata(), res.curves[era].dropna().to_numpy())
    assert isinstance(res.curves.index, pd.Index)
    plt.close(ax.figure)
