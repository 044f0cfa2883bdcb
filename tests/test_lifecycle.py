"""Lifecycle library: planted lifecycles, calibration of the death test, coverage gaps, models, I/O."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import policypulse.lifecycle as lifecycle
from lifecycle_sim import N_PERIODS, alive_ideas, frame, planted_set, random_lives, wave
from policypulse.lifecycle import (
    CountsFileError,
    IdeaLifecycle,
    LifecycleInputError,
    LifecycleResult,
    StatisticalWarning,
    analyse,
    analyse_many,
    backtest,
    compare,
    read_counts,
    survival,
)
from policypulse.lifecycle.forecast import _design
from policypulse.lifecycle.glm import fit_poisson
from policypulse.lifecycle.ole import optimal_linear_estimate
from policypulse.lifecycle.result import CONTRACT_FIELDS

# Coverage notes are asserted explicitly where they matter; elsewhere they are expected noise.
pytestmark = pytest.mark.filterwarnings("ignore::policypulse.lifecycle.StatisticalWarning")

MONTH = 31  # "within one period" of a monthly truth, in days


@pytest.fixture(scope="module")
def planted() -> dict:
    """The planted set (seed 0) and each idea's lifecycle."""
    ps = planted_set(seed=0)
    return {name: (p, analyse(p.series, "month", idea=name)) for name, p in ps.items()}


def _date(p, i: int):
    return p.series["period"].iloc[i].date()


def _close(got, want, tol_days: float = MONTH) -> bool:
    return got is not None and abs((got - want).days) <= tol_days


@pytest.mark.parametrize(
    "name",
    [
        "flash",
        "slow decline",
        "still alive",
        "relaunched twice",
        "resurrected",
        "generic burst",
        "emerging",
        "unborn",
        "alive, gap at end",
        "flash across a gap",
    ],
)
def test_planted_fields_within_one_period(planted, name):
    p, lc = planted[name]
    t = p.truth
    assert lc.status == t["status"]
    for key in ("emergence", "peak", "first_mention", "last_mention"):
        if key in t and t[key] is not None:
            assert _close(getattr(lc, key), _date(p, t[key])), (key, getattr(lc, key), _date(p, t[key]))
    if t["status"] == "unborn":
        assert lc.first_mention is None and lc.death_p_value is None and lc.lifespan_days is None
        return
    assert lc.relaunches == t["relaunches"] and len(lc.relaunch_dates) == t["relaunches"]
    assert lc.resurrections == t["resurrections"] and len(lc.resurrection_dates) == t["resurrections"]
    for got, want in zip(lc.relaunch_dates, t.get("relaunch_dates", [])):
        assert _close(got, _date(p, want)), ("relaunch", got, _date(p, want))
    for got, want in zip(lc.resurrection_dates, t.get("resurrection_dates", [])):
        assert _close(got, _date(p, want)), ("resurrection", got, _date(p, want))
    if "half_life_months" in t:
        assert lc.half_life_days == pytest.approx(t["half_life_months"] * 30.44, abs=MONTH)
    # Lifespan: from the planted birth to the end of the last-mention period.
    born = _date(p, t["emergence"])
    end = (pd.Timestamp(_date(p, t["last_mention"])) + pd.offsets.MonthBegin(1)).date()
    assert lc.lifespan_days == pytest.approx((end - born).days, abs=MONTH)


def test_planted_alive_ideas_are_never_called_dead(planted):
    alive_kinds = {"alive", "alive-gap", "emerging", "slow decline", "relaunched", "generic"}
    for name, (p, lc) in planted.items():
        if p.kind in alive_kinds:
            assert lc.status not in ("dead", "dormant"), name
            assert lc.death_p_value is None or lc.death_p_value >= 0.05, name


def test_planted_peak_interval_contains_peak_and_dead_ideas_are_significant(planted):
    for name, (p, lc) in planted.items():
        if lc.peak is not None:
            lo, hi = lc.peak_interval
            assert lo <= lc.peak <= hi, name
    for name in ("flash", "resurrected", "flash across a gap"):
        lc = planted[name][1]
        assert lc.death_p_value < 1e-6
        assert lc.forecast_last_mention is None and lc.forecast_interval is None  # dead: nothing to forecast
        assert lc.ole_extinction is not None and lc.ole_extinction >= lc.last_mention


def test_phases_and_downs_stages_follow_the_curve(planted):
    _, flash = planted["flash"]
    labels = [ph["phase"] for ph in flash.phases]
    assert labels == ["latent", "rise", "peak", "decline", "dead"]
    stages = [st["stage"] for st in flash.downs_stages]
    assert stages == [
        "pre-problem",
        "alarmed discovery",
        "realising the cost",
        "gradual decline",
        "post-problem",
    ]
    assert flash.downs_stage == "post-problem"
    # Phases tile the series: each starts the period after the previous one ends.
    starts = [pd.Timestamp(ph["start"]) for ph in flash.phases]
    ends = [pd.Timestamp(ph["end"]) for ph in flash.phases]
    assert all(b + pd.offsets.MonthBegin(1) == a for a, b in zip(starts[1:], ends[:-1]))
    _, res = planted["resurrected"]
    assert [ph["phase"] for ph in res.phases].count("dead") == 2
    assert "resurrection" in [ph["phase"] for ph in res.phases]
    _, emerging = planted["emerging"]
    assert emerging.downs_stage == "alarmed discovery"


def test_calibration_of_death_verdicts_on_alive_ideas(capsys):
    ideas = alive_ideas(400, seed=1)
    dead = [
        analyse(f, "month", idea=f"alive {i}", n_boot=0).status == "dead" for i, (f, _) in enumerate(ideas)
    ]
    rate = float(np.mean(dead))
    bound = 0.05 + 2 * math.sqrt(0.05 * 0.95 / len(ideas))
    with capsys.disabled():
        print(
            f"\ncalibration: {sum(dead)} of {len(ideas)} still-alive ideas called dead at alpha=0.05 "
            f"(rate {rate:.4f}; bound {bound:.4f})"
        )
    assert rate <= bound


def test_gap_silence_is_never_death():
    rng = np.random.default_rng(5)
    total = rng.poisson(2000, N_PERIODS)
    total[150:] = 0  # nothing collected for the last 90 months
    docs = rng.binomial(total, np.where(np.arange(N_PERIODS) >= 20, 0.005, 0.0))
    with pytest.warns(StatisticalWarning, match="no coverage"):
        lc = analyse(frame(docs, total), "month", idea="hidden by a gap")
    assert lc.status not in ("dead", "dormant")
    assert lc.death_p_value == 1.0
    assert "no coverage" in lc.coverage_warning
    # A gap in the middle of a life is not a silence either: no resurrection when talk resumes.
    total2 = rng.poisson(2000, N_PERIODS)
    total2[60:120] = 0
    docs2 = rng.binomial(total2, np.where(np.arange(N_PERIODS) >= 20, 0.005, 0.0))
    lc2 = analyse(frame(docs2, total2), "month", idea="gap mid-life")
    assert lc2.resurrections == 0 and lc2.status == "alive"


def test_as_of_gives_the_verdict_of_the_time():
    p = planted_set(seed=0)["flash"]
    before = analyse(p.series, "month", idea="flash", as_of="2004-06-30")
    assert before.status == "unborn" and before.to_dict()["first_mention"] is None
    during = analyse(p.series, "month", idea="flash", as_of="2005-03-15")
    assert during.status == "emerging" and during.series_end.isoformat() == "2005-03-01"
    after = analyse(p.series, "month", idea="flash", as_of="2009-01-01")
    assert after.status == "dead" and after.death_p_value < after.verdict_level


def test_to_dict_is_the_json_contract(planted):
    d = planted["flash"][1].to_dict()
    assert list(d)[: len(CONTRACT_FIELDS)] == list(CONTRACT_FIELDS)
    assert d["peak"] == "2005-02-01" and d["status"] == "dead"
    assert isinstance(d["peak_interval"], list) and len(d["peak_interval"]) == 2
    assert d["forecast_interval"] is None  # dead: nothing left to forecast
    fading = planted["slow decline"][1].to_dict()
    assert isinstance(fading["forecast_interval"], list) and len(fading["forecast_interval"]) == 2
    assert all(set(ph) == {"phase", "start", "end"} for ph in d["phases"])
    json.dumps(d)  # JSON-ready: no dates, numpy scalars or NaN left
    alive = planted["still alive"][1].to_dict()
    assert alive["forecast_last_mention"] is None and alive["forecast_interval"] is None
    unborn = planted["unborn"][1].to_dict()
    assert unborn["peak"] is None and unborn["half_life_days"] is None and unborn["relaunches"] == 0


def test_results_are_seeded_and_independent_of_order():
    lives = random_lives(6, seed=4)
    a = analyse_many(lives, "month").to_dicts()
    b = analyse_many(dict(reversed(list(lives.items()))), "month").to_dicts()
    assert a == list(reversed(b))


def test_numpy_glm_matches_statsmodels():
    rng = np.random.default_rng(3)
    for seed in range(5):
        k = np.arange(80.0)
        n = rng.poisson(1500, k.size) + 1
        y = rng.poisson(n * 0.02 * np.exp(-k / rng.uniform(5, 40))).astype(float)
        for form in ("exponential", "power"):
            x = _design(k, form)
            ours = fit_poisson(x, y, np.log(n))
            ref = fit_poisson(x, y, np.log(n), engine="statsmodels")
            np.testing.assert_allclose(ours.params, ref.params, rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(ours.cov, ref.cov, rtol=1e-4)
            assert ours.aic == pytest.approx(ref.aic, rel=1e-8)


def test_engines_agree_on_a_whole_lifecycle():
    p = planted_set(seed=0)["slow decline"]
    a = analyse(p.series, "month", idea="x", engine="numpy", n_boot=0)
    b = analyse(p.series, "month", idea="x", engine="statsmodels", n_boot=0)
    assert a.half_life_days == pytest.approx(b.half_life_days, rel=1e-5)
    assert a.forecast_last_mention == b.forecast_last_mention and a.status == b.status


def test_ole_reproduces_roberts_and_solow_dodo():
    # Roberts & Solow (2003): the ten last dodo sightings give an extinction date of 1690.
    dodo = [1662, 1638, 1631, 1628, 1628, 1611, 1607, 1602, 1601, 1598]
    est = optimal_linear_estimate(np.array(dodo, dtype=float), test_time=2002)
    assert est.estimate == pytest.approx(1690, abs=1)
    assert est.lo < est.estimate < est.hi and est.p_value < 0.01


def test_forecast_interval_covers_the_last_mention():
    rng = np.random.default_rng(11)
    covered, scored = 0, 0
    for i in range(30):
        total = rng.poisson(2000, N_PERIODS)
        r = wave(N_PERIODS, 20, 22, float(rng.uniform(0.01, 0.05)), float(rng.uniform(3, 8)))
        f = frame(rng.binomial(total, r), total)
        truth = f["period"][f["docs"] > 0].iloc[-1].date()
        lc = analyse(f, "month", idea=f"fade {i}", as_of="2003-06-01", n_boot=200)
        if lc.forecast_interval is None or None in lc.forecast_interval:
            continue
        scored += 1
        covered += lc.forecast_interval[0] <= truth <= lc.forecast_interval[1]
    assert scored >= 25
    assert covered / scored >= 0.8


def test_compare_sentences_and_columns(planted):
    table = compare([planted["flash"][1], planted["still alive"][1]])
    assert list(table["idea"]) == ["flash", "still alive"]
    assert {"time_to_peak_days", "half_life_days", "lifespan_days", "sentence"} <= set(table.columns)
    assert table.loc[0, "sentence"].startswith("flash lasted about")
    assert "still alive" in table.loc[1, "sentence"] and "so far" in table.loc[1, "sentence"]


def test_survival_by_era_with_censoring():
    rng = np.random.default_rng(8)
    lcs = []
    for i in range(40):
        old = i < 20
        lc = IdeaLifecycle(
            idea=f"i{i}",
            by="month",
            status="dead" if (i % 5) else "alive",
            emergence=pd.Timestamp("1985-01-01" if old else "2005-01-01").date(),
            lifespan_days=float(rng.exponential(4000 if old else 800)),
        )
        lcs.append(lc)
    res = survival(lcs)
    assert set(res.medians["era"]) == {"1980s", "2000s"}
    assert res.lifespans["died"].sum() == 32  # alive ideas are right-censored
    assert res.logrank_p < 0.01
    by_era = res.medians.set_index("era")["median_days"]
    assert by_era["2000s"] < by_era["1980s"]


def test_backtest_counts_false_deaths_and_calibration():
    ps = planted_set(seed=0)
    series = {k: ps[k].series for k in ("flash", "resurrected", "still alive")}
    cuts = ["2004-01-01", "2006-06-01", "2008-01-01", "2009-01-01", "2010-01-01", "2015-01-01", "2018-01-01"]
    bt = backtest(series, "month", cut_dates=cuts)
    v = bt.verdicts.set_index(["idea", "cut"])
    # Called dead in 2008 and then resurrected in 2010, within the 60-month horizon: a false death.
    row = v.loc[("resurrected", pd.Timestamp("2008-01-01"))]
    assert row["status"] == "dead" and row["scored"] and bool(row["used_again"])
    assert v.loc[("flash", pd.Timestamp("2009-01-01")), "status"] == "dead"
    assert not v.loc[("flash", pd.Timestamp("2009-01-01")), "used_again"]
    # The horizon of a 2018 cut runs past the series' end (2019-12): kept, not scored.
    assert not v.loc[("flash", pd.Timestamp("2018-01-01")), "scored"]
    # Each silence scored once: the flash is called dead at two scored cuts but is one silence.
    ours = bt.silences[bt.silences["method"] == "policypulse"]
    assert len(ours[ours["idea"] == "flash"]) == 1
    assert bt.false_death_rate == pytest.approx(ours["used_again"].mean())
    summary = bt.summary.set_index("method")
    assert list(summary.index) == ["policypulse", "naive", "solow", "ole"]
    assert summary.loc["policypulse", "ideas_wrongly_called_dead"] == 1
    # The naive baseline calls every long silence dead: at least as many calls as the test makes.
    assert summary.loc["naive", "dead_silences"] >= summary.loc["policypulse", "dead_silences"]
    assert {"death_probability", "verdicts", "used_again", "share_used_again"} <= set(bt.calibration.columns)


def test_backtest_scores_forecasts_only_before_the_last_use():
    ps = planted_set(seed=0)
    bt = backtest({"flash": ps["flash"].series}, "month", cut_dates=["2005-03-01", "2005-06-01", "2009-01-01"])
    v = bt.verdicts.set_index("cut")
    last = pd.Timestamp(ps["flash"].series["period"].iloc[ps["flash"].truth["last_mention"]])
    assert pd.isna(v.loc[pd.Timestamp("2009-01-01"), "forecast_error_days"])  # issued after the last use
    assert all(c < last for c in v.index[v["forecast_error_days"].notna()])


def test_read_counts_with_totals(tmp_path):
    path = tmp_path / "nexis.csv"
    path.write_text("date,count,total\n2010-01-01,3,100\n2010-02-01,5,120\n2010-04-01,0,90\n")
    f, by = read_counts(path)
    assert by == "month"
    assert list(f["docs"]) == [3, 5, 0, 0] and list(f["total_docs"]) == [100, 120, 0, 90]  # March is a gap
    assert "coverage gaps" in f.attrs["notes"][0]
    lc = analyse(f, by, idea="x", n_boot=0)
    # The rate leaves out the first mention and the documents it used up (it starts the clock: the first
    # document and, its place in January unknown, half of January's other 99): 3 + 5 - 1 = 7 uses in
    # 220 - 50.5 = 169.5 documents, a share of documents with posterior Beta(7, 169.5 - 7 + 1); the silence
    # is April's 90 documents (the March gap adds nothing). Predictive P(0) = E[(1 - r) ** 90], checked
    # against the integral over that beta density; close to the gamma-Poisson (169.5 / 259.5) ** 7.
    ref, _ = integrate.quad(lambda r: (1 - r) ** 90 * stats.beta.pdf(r, 7, 163.5), 0, 1)
    assert lc.death_p_value == pytest.approx(ref, rel=1e-6)
    assert lc.death_p_value == pytest.approx((169.5 / 259.5) ** 7, rel=0.15)
    assert lc.status == "dormant"


def test_read_counts_without_totals_warns_and_infers_frequency(tmp_path):
    path = tmp_path / "ngram.csv"
    path.write_text(
        "year,count\n"
        + "".join(f"{y},{c}\n" for y, c in zip(range(1990, 2000), [0, 1, 4, 9, 7, 3, 1, 0, 0, 0]))
    )
    with pytest.warns(StatisticalWarning, match="no total column"):
        f, by = read_counts(path)
    assert by == "year" and f["total_docs"].nunique() == 1
    trends = tmp_path / "trends.csv"
    trends.write_text(
        "Category: All categories\n\nWeek,big society: (United Kingdom)\n2020-01-05,10\n"
        "2020-01-12,12\n2020-01-19,8\n"
    )
    with pytest.warns(StatisticalWarning):
        f2, by2 = read_counts(trends)
    assert by2 == "week" and f2["period"].dt.dayofweek.eq(0).all()


@pytest.mark.parametrize(
    "body, line, reason",
    [
        ("date,count\n2010-01-01,3\n2010-02-01,three\n", 3, "not a number"),
        ("date,count\n2010-01-01,3\nJan 2010,4\n", 3, "cannot read date"),
        ("date,count,total\n2010-01-01,30,10\n2010-02-01,1,10\n", 2, "exceeds total"),
        ("date,count\n2010-01-01,3\n2010-01-01,4\n2010-02-01,4\n", 3, "second row"),
        ("date,count\n2010-01-01,-1\n2010-02-01,4\n", 2, "whole number"),
    ],
)
def test_read_counts_bad_rows_name_file_and_line(tmp_path, body, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(CountsFileError, match=reason) as err:
        read_counts(path)
    assert isinstance(err.value, ValueError)
    assert err.value.line == line and f"bad.csv, line {line}" in str(err.value)


def test_invalid_series_are_rejected_with_advice():
    good = frame(np.array([0, 1, 2]), np.array([10, 10, 10]))
    with pytest.raises(LifecycleInputError, match="consecutive"):
        analyse(good.drop(index=1), "month", idea="x")
    with pytest.raises(LifecycleInputError, match="exceed total_docs"):
        analyse(good.assign(docs=[0, 11, 2]), "month", idea="x")
    with pytest.raises(LifecycleInputError, match="unknown frequency"):
        analyse(good, "fortnight", idea="x")
    with pytest.raises(LifecycleInputError, match="missing column"):
        analyse(good.drop(columns="total_docs"), "month", idea="x")


def test_weekly_and_yearly_series():
    rng = np.random.default_rng(2)
    n = 150
    total = rng.poisson(500, n)
    docs = rng.binomial(total, np.where((np.arange(n) >= 30) & (np.arange(n) < 60), 0.05, 0.0))
    weeks = pd.DataFrame(
        {
            "period": pd.date_range("2020-01-06", periods=n, freq="W-MON"),
            "docs": docs,
            "mentions": docs,
            "total_docs": total,
        }
    )
    lc = analyse(weeks, "week", idea="weekly flash")
    assert lc.emergence == weeks["period"][30].date() and lc.status == "dead"
    # SOTU-like: one address a year since 1790, the phrase in 1965-1969 only.
    years = pd.DataFrame(
        {
            "period": pd.date_range("1790-01-01", periods=237, freq="YS"),
            "docs": [0] * 175 + [1] * 5 + [0] * 57,
            "total_docs": [1] * 237,
        }
    )
    ly = analyse(years, "year", idea="great society")
    assert ly.emergence.year == 1965 and ly.status == "dead"


def test_result_collection(planted):
    res = LifecycleResult([lc for _, lc in planted.values()])
    assert len(res.summary) == len(planted) and res.summary["idea"].tolist() == list(planted)
    assert res["flash"].status == "dead"
    with pytest.raises(KeyError, match="no idea named"):
        res["nope"]
    assert "flash" in res._repr_html_() and "<table" in res._repr_html_()
    assert res.to_dicts()[0] == res[0].to_dict()


def test_public_surface_is_complete_and_sorted():
    public = {name for name in dir(lifecycle) if not name.startswith("_")}
    exported = set(lifecycle.__all__)
    assert lifecycle.__all__ == sorted(lifecycle.__all__)
    assert {
        "analyse",
        "LifecycleResult",
        "IdeaLifecycle",
        "compare",
        "read_counts",
        "backtest",
        "survival",
        "StatisticalWarning",
    } <= exported
    modules = {
        "analysis",
        "backtest",
        "compare",
        "counts_csv",
        "death",
        "emergence",
        "errors",
        "forecast",
        "glm",
        "ole",
        "peak",
        "phases",
        "plot",
        "result",
        "series",
        "status",
        "survival",
        "verdict",
        "waves",
    }
    assert public - (modules - exported) == exported


def test_warnings_are_statistical_not_errors():
    rng = np.random.default_rng(9)
    total = rng.poisson(1000, 60)
    total[::3] = 0  # a third of the periods uncollected
    docs = rng.binomial(total, 0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lc = analyse(frame(docs, total), "month", idea="patchy")
    assert lc.coverage_warning and "coverage gaps" in lc.coverage_warning
    assert any(issubclass(w.category, StatisticalWarning) for w in caught)


def _monthly(docs: list[int] | np.ndarray, total: int = 1000) -> pd.DataFrame:
    docs = np.asarray(docs, dtype=np.int64)
    return frame(docs, np.full(docs.size, total, dtype=np.int64))


def test_an_echo_neither_revives_a_dead_idea_nor_prevents_the_verdict():
    life = [0] * 12 + [5, 20, 40, 30, 25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2] + [0] * 100
    echoed = life + [1] + [0] * 40  # one retrospective mention eight years on
    lc = analyse(_monthly(echoed), "month", idea="echoed", n_boot=0)
    assert lc.status == "dead" and lc.echoes == 1 and lc.resurrections == 0
    months = pd.date_range("2000-01-01", periods=len(echoed), freq="MS")
    assert lc.last_use == months[len(life) - 100 - 1].date()  # the last use (March 2002), before the echo
    assert lc.last_mention == months[len(life)].date()  # the last document stays the echo (August 2010)
    assert "1 later mention looks back at it" in lc.verdict_text
    # The echo belongs to the dead phase, which starts right after the last use (not to the peak).
    assert lc.phases[-1]["phase"] == "dead"
    assert lc.phases[-1]["start"] == months[len(life) - 100].date()
    assert all(p["end"] < months[len(life) - 100].date() for p in lc.phases[:-1])
    # Renewed use after the same silence is a resurrection, not an echo.
    renewed = life + [3, 6, 9, 8, 7, 6, 5, 4, 3, 2, 2, 1] + [0] * 29
    lc2 = analyse(_monthly(renewed), "month", idea="renewed", n_boot=0)
    assert lc2.resurrections == 1 and lc2.echoes == 0


def test_silence_probability_carries_rate_uncertainty_and_dispersion():
    from policypulse.lifecycle.death import silence_p

    a, b, exposure = 20.0, 10000.0, 5000.0
    plug_in = math.exp(-a / b * exposure)
    p1 = silence_p(a, b, exposure, 1.0)
    # The beta predictive of a share of documents: exactly the discrete conditional test (all x uses in the
    # first e of e + n documents: C(e, x) / C(e + n, x)), near the gamma-Poisson form for a small share.
    assert p1 == pytest.approx(math.comb(10000, 20) / math.comb(15000, 20), rel=1e-9)
    assert p1 == pytest.approx((b / (b + exposure)) ** a, rel=0.01) and p1 > plug_in  # the predictive is wider
    assert silence_p(3.0, 3.0, 5.0, 1.0) == pytest.approx(1 / math.comb(8, 3))  # said in every document
    assert silence_p(a, b, exposure, 3.0) > p1  # overdispersed counts make silence less surprising
    # Negative binomial check: mean 10 with variance 3 x 10 has P(0) = 3 ** (-10 / 2) (within 1%: a share
    # of 0.2% of documents is binomial, not Poisson, over the silence's documents).
    assert silence_p(1e9, 1e9 / (10 / exposure), exposure, 3.0) == pytest.approx(3.0 ** -5, rel=0.01)


def test_repeated_looks_at_living_overdispersed_ideas_rarely_call_them_dead():
    from verdict_sim import quiet_idea

    from policypulse.lifecycle.death import death_test
    from policypulse.lifecycle.series import from_frame

    rng = np.random.default_rng(2024)
    ever = 0
    n = 120
    for _ in range(n):
        s = from_frame(quiet_idea(rng, "negbin").frame, "month")
        ever += any(death_test(s.truncate(look)).is_dead(0.05, "month") for look in range(131, 240, 12))
    # target <= 0.10 over ten yearly looks (the bench measures 0.04 on 300 ideas)
    assert ever / n <= 0.10


def test_steady_idea_reproduces_solow_1993_on_the_exposure_clock():
    # Solow (1993): n sightings in (0, T] of a stationary Poisson process, the last at t_n; P(no sighting
    # after t_n) = (t_n / T) ** n. In documents (discrete trials) the same conditional argument gives
    # C(e, x) / C(e + n, x): all x uses after the first fall in the e documents before the silence's n. With
    # the clock started by the first mention (its document and half of its month's others used up) a
    # steady, underdispersed idea gets exactly that p, and Solow's continuous form within 1%.
    from policypulse.lifecycle.death import death_test
    from policypulse.lifecycle.series import from_frame

    docs = np.zeros(120, dtype=np.int64)
    docs[10:70:4] = 1  # a mention every fourth month from month 10 to month 66
    dt = death_test(from_frame(frame(docs, np.full(120, 500, dtype=np.int64)), "month"))
    m = np.flatnonzero(docs)
    t1, tn, end = int(m[0]), int(m[-1]), 119
    e = (tn + 1 - t1) * 500 - 250.5  # documents from the first use to the last period of use
    n = (end - tn) * 500
    x = m.size - 1
    exact = math.exp(math.lgamma(e + 1) - math.lgamma(e - x + 1) - math.lgamma(e + n + 1) + math.lgamma(e + n - x + 1))
    assert dt.p_value == pytest.approx(exact, rel=1e-9) and dt.dispersion == 1.0 and not dt.used_decay_model
    # Solow's form with periods as bins ending at t + 1 and the clock started mid-month
    solow = ((tn + 1 - t1 - 0.5) / (end + 1 - t1 - 0.5)) ** x
    assert dt.p_value == pytest.approx(solow, rel=0.01)


def test_resurrection_screen_never_skips_a_silence_the_full_test_calls_dead():
    # The cheap screen in find_resurrections must be a true bound: whenever it says "surely alive", the
    # full predictive test agrees. Checked on every long silence of simulated ideas of all processes.
    from verdict_sim import PROCESSES, quiet_idea

    from policypulse.lifecycle.death import _plain, _surely_alive
    from policypulse.lifecycle.series import MIN_SILENCE, RECENT_WINDOW, from_frame

    rng = np.random.default_rng(7)
    screened = checked = dead = 0
    for process in PROCESSES:
        for _ in range(15):
            # A life, a silence of 2-5 years, and renewed use: the silence is often a dead verdict.
            a = quiet_idea(rng, process, death=int(rng.integers(100, 140))).frame
            b = quiet_idea(rng, process).frame
            gap = int(rng.integers(24, 60))
            a.loc[a.index[-100 + gap:], ["docs", "mentions"]] = b[["docs", "mentions"]].to_numpy()[-100 + gap:]
            s = from_frame(a, "month")
            m = np.flatnonzero(s.docs > 0)
            if m.size < 3:
                continue
            cd = np.concatenate([[0.0], np.cumsum(s.docs.astype(float))])
            ce = np.concatenate([[0.0], np.cumsum(np.where(s.covered, s.exposure, 0).astype(float))])
            cc = np.concatenate([[0], np.cumsum(s.covered.astype(np.int64))])
            for prev, nxt in zip(m[:-1], m[1:]):
                if nxt - prev - 1 < MIN_SILENCE["month"]:
                    continue
                full = _plain(s.truncate(int(nxt) - 1), int(m[0]), int(prev), "numpy", 0.01)
                skip = _surely_alive(cd, ce, cc, int(m[0]), int(prev), int(nxt), RECENT_WINDOW["month"], 0.01)
                checked += 1
                screened += skip
                dead += full.is_dead(0.05, "month")
                assert not (skip and full.is_dead(0.05, "month"))
    assert dead >= 10  # dead silences were there to be wrongly skipped
    assert checked > 100 and screened > 0.3 * checked  # the screen does real work


def test_verdict_sentence_for_an_unborn_idea_and_an_open_ended_forecast():
    from datetime import date

    from policypulse.lifecycle.verdict import verdict_text

    silent = _monthly([0] * 30)
    lc = analyse(silent, "month", idea="never said", n_boot=0)
    assert lc.status == "unborn" and lc.verdict_text == "'never said' is never mentioned in this corpus."
    # A fading idea whose interval has no upper end says so, at month precision for monthly periods.
    lc2 = analyse(_monthly([0, 2, 9, 14, 12, 9, 7, 6, 4, 4, 3, 3, 2, 2, 2, 1, 2, 1]), "month", idea="fade",
                  n_boot=0)
    lc2.status, lc2.forecast_last_mention = "declining", date(2003, 6, 1)
    lc2.forecast_interval = (date(2002, 1, 1), None)
    text = verdict_text(lc2)
    assert "its last mention cannot be dated yet (95% not before January 2002; the fading is too slow" in text
    assert "June 2003" not in text  # no central date without an upper end
    lc2.forecast_interval = (date(2002, 1, 1), date(2004, 3, 1))
    assert "(95% between January 2002 and March 2004)" in verdict_text(lc2)


def test_a_gone_quiet_sentence_quotes_only_a_probability_that_has_held():
    from policypulse.lifecycle.verdict import QUOTED, verdict_text

    lc = analyse(_monthly([0, 2, 9, 14, 12, 9, 7, 6, 4, 4, 3, 3, 2, 2, 2, 1, 2, 1]), "month", idea="quiet",
                 n_boot=0)
    lc.status, lc.expected_mentions_in_silence = "dormant", 5.0
    lc.death_p_value, lc.verdict_level = 0.004, 0.01  # surprising, but short of the minimum silence
    lc.death_probability = 0.63  # the range where, on real history, most silences ended in renewed use
    assert "%" not in verdict_text(lc) and "not yet long enough" in verdict_text(lc)
    lc.death_probability = QUOTED + 0.05
    assert "(95% that it is no longer in use)" in verdict_text(lc)
    # The report's "Is it dead?" row follows the same rule.
    from policypulse.report.present import probability_label

    assert probability_label(0.63, "dormant").startswith("undecided")
    assert probability_label(0.63, "dead") == "63% likely no longer in use"
    assert probability_label(0.97, "dormant") == "97% likely no longer in use"


def test_no_peak_is_named_when_mentions_are_too_thin_to_place_one():
    # Four mentions in seventy yearly periods (the SOTU's "fair deal": 1949, 1952, 1968, 2016): the
    # data cannot tell one year from another, so no peak, no rise or decline; a short dense life keeps its peak.
    years = pd.date_range("1950-01-01", periods=70, freq="YS")
    thin = np.zeros(70, dtype=np.int64)
    thin[[0, 3, 19, 66]] = 1
    lc = analyse(pd.DataFrame({"period": years, "docs": thin, "mentions": thin, "total_docs": 1}), "year",
                 idea="thin", n_boot=200)
    assert not lc.peak_clear and lc.peak is None and lc.peak_interval is not None
    assert [p["phase"] for p in lc.phases] == ["in use", "dormant"]  # said in the first year: no latent phase
    assert not {"rise", "peak", "decline"} & {p["phase"] for p in lc.phases}
    assert any("too thin to place a peak" in n for n in lc.notes)
    # With no peak to count from there is no half-life (the SOTU's "gold standard": said in 1868, 1881,
    # 1899, 1902, 1903 and 1931 was given a half-life of one year after a peak it could not place).
    gold = np.zeros(159, dtype=np.int64)  # 1868-2026
    gold[[0, 13, 31, 34, 35, 63]] = 1
    lc3 = analyse(pd.DataFrame({"period": pd.date_range("1868-01-01", periods=159, freq="YS"), "docs": gold,
                                "mentions": gold, "total_docs": 1}), "year", idea="gold", n_boot=200)
    assert not lc3.peak_clear and lc3.half_life_days is None
    dense = np.zeros(70, dtype=np.int64)
    dense[[14, 15, 16, 17, 20]] = 1  # five mentions in seven years, then silence
    lc2 = analyse(pd.DataFrame({"period": years, "docs": dense, "mentions": dense, "total_docs": 1}), "year",
                  idea="dense", n_boot=200)
    assert lc2.peak_clear and lc2.peak is not None and "peak" in {p["phase"] for p in lc2.phases}


def test_a_sporadic_idea_said_lately_is_not_called_still_in_use():
    # Three mentions in seventy years, the last in the latest period ("new deal" in the SOTU: 1953, 1995, 2026).
    years = pd.date_range("1957-01-01", periods=70, freq="YS")
    docs = np.zeros(70, dtype=np.int64)
    docs[[0, 38, 69]] = 1
    lc = analyse(pd.DataFrame({"period": years, "docs": docs, "mentions": docs, "total_docs": 1}), "year",
                 idea="new deal", n_boot=200)
    assert lc.status == "alive" and not lc.peak_clear
    assert lc.verdict_text.startswith("Alive but sporadic: 'new deal' was mentioned again 2026")
    assert "3 documents since 1957" in lc.verdict_text and "still in use" not in lc.verdict_text


def test_a_gone_quiet_sentence_says_why_the_silence_is_not_a_death():
    from datetime import date

    from policypulse.lifecycle.verdict import verdict_text

    lc = analyse(_monthly([0, 2, 9, 14, 12, 9, 7, 6, 4, 4, 3, 3, 2, 2, 2, 1, 2, 1]), "month", idea="quiet",
                 n_boot=0)
    lc.status, lc.death_probability, lc.verdict_level = "dormant", 0.5, 0.01
    lc.last_mention, lc.series_end = date(1931, 12, 8), date(2026, 1, 1)
    # Long silence, few uses: the sentence gives the evidence, not "not yet long enough" after 94 years.
    lc.total_docs_mentioning, lc.expected_mentions_in_silence, lc.death_p_value = 6, 3.4, 0.097
    text = verdict_text(lc)
    assert "the 94 years since would have held about 3 mentions" in text
    assert "with only 6 uses to go on" in text and "9.7% of the time" in text and "under 1%" in text
    assert "not yet long enough" not in text
    # A p just above the level is not rounded onto it ("1% of the time, and a verdict needs under 1%").
    lc.death_p_value = 0.01048  # "third way" in the 100k news sample
    assert "1.05% of the time, and a verdict needs under 1%" in verdict_text(lc)
    # Too few mentions expected in the silence to tell.
    lc.total_docs_mentioning, lc.expected_mentions_in_silence, lc.death_p_value = 17, 0.4, 0.7
    assert "would have held fewer than one mention, too few" in verdict_text(lc)
    # One mention is no rate at all.
    lc.total_docs_mentioning = 1
    assert "was mentioned once, December 1931;" in verdict_text(lc)  # monthly periods: month precision


def test_a_dead_verdict_never_states_a_probability_below_even_odds():
    from policypulse.lifecycle.verdict import verdict_text

    lc = analyse(_monthly([0, 2, 9, 14, 12, 9, 7, 6, 4, 4, 3, 3, 2, 2, 2, 1, 2, 1]), "month", idea="third way",
                 n_boot=0)
    lc.status, lc.death_p_value = "dead", 0.0064
    lc.death_probability = 0.97
    assert verdict_text(lc).startswith("Probably dead: 97% that 'third way' is no longer in use")
    # Many uses give a low prior that any one was the last: the test's evidence, not "Probably dead: 41%".
    lc.death_probability = 0.41
    text = verdict_text(lc)
    assert text.startswith("Called dead: a silence this long would happen only 0.64% of the time if 'third way'")
    assert "41%" not in text


def test_lifespan_label_says_whether_the_life_is_over():
    from policypulse.cli.lifecycle_cmds import _days
    from policypulse.describe import lifespan_label

    # A life that ended (dead) is a length; one that went quiet is a lower bound; one in use goes on.
    assert lifespan_label(1461.0, "dead", _days) == "4 years"
    assert lifespan_label(13149.0, "dormant", _days) == "at least 36 years"
    assert lifespan_label(26663.0, "alive", _days) == "73 years so far"
    assert lifespan_label(None, "alive", _days) == ""


def test_death_probability_discounts_a_single_look_as_the_verdict_level_does():
    from policypulse.lifecycle.death import REPEAT_FACTOR, death_probability

    # Prior 1/n (each use equally likely the last); the silence's likelihood if still in use is p / 0.2.
    assert REPEAT_FACTOR == 0.2
    assert death_probability(0.002, 4) == pytest.approx(1 / (1 + 3 * 0.01))
    # A silence that says nothing (p / 0.2 >= 1) leaves the prior: 1 in 3 for three uses.
    assert death_probability(0.5, 3) == pytest.approx(1 / 3)
    assert death_probability(0.01, 1) is None and death_probability(None, 5) is None


def test_echo_quotes_and_spans_read_as_written():
    """An echo's quote keeps the text's punctuation after the match, and one yearly period is '1 year'."""
    from policypulse.lifecycle.verdict import span_words
    from policypulse.report.present import facts

    rows = dict(facts({"echoes": 1, "echo_quotes": [{"date": "1988-01-25", "left": "declared", "match": "war on poverty",
                                                      "right": ", and poverty won."}]}, "year"))
    assert rows["Echo, 25 Jan 1988"] == "…declared war on poverty, and poverty won.…"
    assert span_words(365.0) == "1 year" and span_words(366.0) == "1 year"
    assert span_words(400.0) == "13 months" and span_words(800.0) == "2 years" and span_words(30.0) == "30 days"
