"""Timelines (``Corpus.track``) against the planted truth of a synthetic corpus, and the honesty rules:
zero-filled periods, coverage gaps, date precision, fallback dates, exclusions, provenance."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import policypulse
from policypulse.corpus.readers.base import ReaderOptions
from policypulse.errors import UsageError
from synthetic import SyntheticCorpus, period_start, period_starts, tokenize

FALLBACK = dt.date(2012, 6, 15)
CORPUS = SyntheticCorpus(
    n_docs=4000, seed=2014, start="2009-01-01", end="2012-12-31", n_sources=4, words=(15, 40),
    gaps=[("2010-07-01", "2010-08-31")], month_precision=0.03, undated=0.01, near_miss_rate=0.1,
)
IDEA_NAMES = [i.name for i in CORPUS.planted]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    src = CORPUS.write_jsonl(root / "corpus.jsonl")
    report = policypulse.ingest(root / "store", [src], fmt="jsonl", options=ReaderOptions(default_date=FALLBACK))
    assert (report.accepted, report.duplicates, report.rejected) == (CORPUS.n_docs, 0, [])
    return root / "store"


@pytest.fixture(scope="module")
def corpus(store: Path) -> Any:
    c = policypulse.open(store)
    yield c
    c.close()


def ideas(exclusions: bool = False) -> list[policypulse.Idea]:
    return [policypulse.Idea(i.name, i.aliases, i.exclude if exclusions else ()) for i in CORPUS.planted]


def by_key(df: pd.DataFrame, cols: list[str], keys: tuple[str, ...] = ("idea", "period")) -> dict[tuple, tuple]:
    out = {}
    for row in df.to_dict(orient="records"):
        key = tuple(row[k].date() if isinstance(row[k], pd.Timestamp) else row[k] for k in keys)
        out[key] = tuple(row[c] for c in cols)
    return out


# --- the generator keeps its promise ------------------------------------------------------------------


def test_generator_truth_is_in_the_text() -> None:
    frame = CORPUS.frame()
    aliases = {i.name: [tokenize(a) for a in i.aliases] for i in CORPUS.planted}
    excl = {i.name: [tokenize(e) for e in i.exclude] for i in CORPUS.planted}

    def count(toks: list[str], phrase: list[str]) -> int:
        n = len(phrase)
        return sum(1 for k in range(len(toks) - n + 1) if toks[k : k + n] == phrase)

    for rec, row in zip(CORPUS.records(), frame.to_dict(orient="records")):
        toks = tokenize(rec["text"])
        assert len(toks) == row["n_words"]
        for name in IDEA_NAMES:
            found = sum(count(toks, a) for a in aliases[name])
            assert found == row[f"mentions:{name}"] + row[f"excluded:{name}"], (name, rec["text"])
            assert (sum(count(toks, e) for e in excl[name]) > 0) == bool(row[f"excluded:{name}"])
    assert frame["undated"].sum() > 10 and (frame["precision"] == "month").sum() > 50
    assert CORPUS.gap_periods("month") == [dt.date(2010, 7, 1), dt.date(2010, 8, 1)]


# --- exact counts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["day", "week", "month", "quarter", "year"])
def test_counts_match_planted_truth(corpus: Any, by: str) -> None:
    got = corpus.track(ideas(), by=by)
    want = CORPUS.expected_timeline(by)
    cols = ["docs", "mentions", "total_docs", "total_words"]
    assert by_key(got, cols) == by_key(want, cols)
    assert got["docs"].sum() > 0
    # every period from the first to the last counted document, in order, for every idea
    for name in IDEA_NAMES:
        periods = [p.date() for p in got.loc[got["idea"] == name, "period"]]
        assert periods == period_starts(periods[0], periods[-1], by)
        assert periods == sorted(set(periods))


def test_monthly_counts_with_exclusions_from_an_ideas_file(corpus: Any, tmp_path: Path) -> None:
    f = tmp_path / "ideas.yaml"
    f.write_text(CORPUS.ideas_yaml(exclusions=True), encoding="utf-8")
    got = corpus.track(ideas_file=f, by="month")
    want = CORPUS.expected_timeline("month", exclusions=True)
    assert by_key(got, ["docs", "mentions"]) == by_key(want, ["docs", "mentions"])
    raw = corpus.track(ideas(), by="month")
    removed = raw.groupby("idea")["docs"].sum() - got.groupby("idea")["docs"].sum()
    frame = CORPUS.frame()
    eligible = ~frame["undated"]
    assert removed["Big Society"] == ((frame["excluded:Big Society"] > 0) & eligible).sum() > 0
    assert (removed.drop("Big Society") == 0).all()


def test_month_range_zeros_and_coverage_gaps(corpus: Any) -> None:
    got = corpus.track(ideas(), by="month")
    months = period_starts(dt.date(2009, 1, 1), dt.date(2012, 12, 1), "month")
    for name in IDEA_NAMES:
        sub = got[got["idea"] == name]
        assert [p.date() for p in sub["period"]] == months
    assert (got["docs"] == 0).sum() > 0  # zeros are rows, not missing periods
    gaps = got[got["period"].isin(pd.to_datetime(["2010-07-01", "2010-08-01"]))]
    assert len(gaps) == 2 * len(IDEA_NAMES)
    assert (gaps["total_docs"] == 0).all() and gaps["rate"].isna().all() and (gaps["coverage"] == "gap").all()
    assert (gaps["docs"] == 0).all()
    ok = got[got["coverage"] == "ok"]
    assert (ok["total_docs"] > 0).all() and len(ok) + len(gaps) == len(got)
    assert ok["rate"].tolist() == pytest.approx((ok["docs"] / ok["total_docs"]).tolist())
    # a silent month with documents is a zero rate, not a gap
    silent = ok[ok["docs"] == 0]
    assert len(silent) > 0 and (silent["rate"] == 0).all()


def test_weeks_start_on_monday_and_are_consecutive(corpus: Any) -> None:
    got = corpus.track(["big society"], by="week")
    periods = [p.date() for p in got["period"]]
    assert all(p.weekday() == 0 for p in periods)
    assert all((b - a).days == 7 for a, b in itertools.pairwise(periods))
    assert len(got) == len(set(periods))


def test_quarters_and_years_start_on_their_first_day(corpus: Any) -> None:
    q = corpus.track(["big society"], by="quarter")
    assert {(p.month, p.day) for p in q["period"]} == {(1, 1), (4, 1), (7, 1), (10, 1)}
    assert len(q) == 16
    y = corpus.track(["big society"], by="year")
    assert [p.date() for p in y["period"]] == [dt.date(yr, 1, 1) for yr in range(2009, 2013)]
    # month-precision documents count in quarters and years, not in weeks
    m = CORPUS.frame()
    assert y["total_docs"].sum() == (~m["undated"]).sum()
    w = corpus.track(["big society"], by="week")
    assert w["total_docs"].sum() == ((~m["undated"]) & (m["precision"] == "day")).sum()


def test_per_words_is_mentions_per_million_words(corpus: Any) -> None:
    got = corpus.track(ideas(), by="month", per="words")
    want = CORPUS.expected_timeline("month")
    w = by_key(want, ["mentions", "total_words"])
    for row in got.itertuples():
        mentions, words = w[(row.idea, row.period.date())]
        if words == 0:
            assert math.isnan(row.rate) and row.coverage == "gap"
        else:
            assert row.rate == pytest.approx(mentions / words * 1e6)
    assert got["rate"].max() > 0


def test_source_breakdown_sums_to_the_total(corpus: Any) -> None:
    by_src = corpus.track(ideas(), by="month", by_source=True)
    total = corpus.track(ideas(), by="month")
    assert list(by_src.columns[:3]) == ["idea", "period", "source"]
    # a full grid: every source in every period, zeros included
    assert len(by_src) == len(total) * len(CORPUS.sources)
    assert sorted(by_src["source"].unique()) == sorted(CORPUS.sources)
    summed = by_src.groupby(["idea", "period"], as_index=False)[["docs", "mentions", "total_docs"]].sum()
    assert by_key(summed, ["docs", "mentions", "total_docs"]) == by_key(total, ["docs", "mentions", "total_docs"])
    # and each source's counts are the planted ones
    want = CORPUS.expected("month", by_source=True)
    got = by_src[by_src["docs"] > 0]
    keys = ("idea", "period", "source")
    assert by_key(got, ["docs", "mentions"], keys) == by_key(want, ["docs", "mentions"], keys)
    want_tot = CORPUS.expected_totals("month", by_source=True)
    got_tot = by_src[(by_src["idea"] == IDEA_NAMES[0]) & (by_src["total_docs"] > 0)]
    assert by_key(got_tot, ["total_docs"], ("period", "source")) == by_key(want_tot, ["total_docs"],
                                                                            ("period", "source"))


def test_smoothing_is_a_centred_moving_average_that_keeps_gaps_empty(corpus: Any) -> None:
    got = corpus.track(ideas(), by="month", smooth=3)
    assert "rate_smoothed" in got.columns
    for name in IDEA_NAMES:
        sub = got[got["idea"] == name].reset_index(drop=True)
        rates = sub["rate"].tolist()
        for i, row in sub.iterrows():
            if row["coverage"] == "gap":
                assert math.isnan(row["rate_smoothed"])  # no exposure: no smoothed value either
                continue
            window = [r for r in rates[max(0, i - 1) : i + 2] if not math.isnan(r)]
            assert row["rate_smoothed"] == pytest.approx(sum(window) / len(window))
    plain = corpus.track(ideas(), by="month")
    assert "rate_smoothed" not in plain.columns
    assert got["rate"].tolist() == pytest.approx(plain["rate"].tolist(), nan_ok=True)


def test_wide_form_has_a_row_per_period_and_a_column_per_idea(corpus: Any) -> None:
    from policypulse import timeline

    long = corpus.track(ideas(), by="month")
    wide = timeline.wide(long)
    assert list(wide.columns) == ["period", "total_docs", "coverage"] + IDEA_NAMES
    assert len(wide) == 48
    for name in IDEA_NAMES:
        assert wide[name].tolist() == pytest.approx(long.loc[long["idea"] == name, "rate"].tolist(), nan_ok=True)
    gap = wide[wide["coverage"] == "gap"]
    assert len(gap) == 2 and gap[IDEA_NAMES].isna().all().all()
    docs = timeline.wide(long, value="docs")
    assert docs["Big Society"].sum() == long.loc[long["idea"] == "Big Society", "docs"].sum()


def test_wide_form_by_source_has_a_column_per_idea_and_source(corpus: Any) -> None:
    from policypulse import timeline

    long = corpus.track(ideas(), by="month", by_source=True)
    wide = timeline.wide(long)
    assert list(wide.columns[:3]) == ["period", "total_docs", "coverage"]
    assert len(wide.columns) == 3 + len(IDEA_NAMES) * len(CORPUS.sources) and len(wide) == 48
    overall = timeline.wide(corpus.track(ideas(), by="month"))
    assert wide["total_docs"].tolist() == overall["total_docs"].tolist()  # all sources, not the first one
    name, source = IDEA_NAMES[0], CORPUS.sources[1]
    sub = long[(long["idea"] == name) & (long["source"] == source)]
    assert wide[f"{name} [{source}]"].tolist() == pytest.approx(sub["rate"].tolist(), nan_ok=True)


def test_date_range_limits_counts(corpus: Any) -> None:
    got = corpus.track(ideas(), by="month", date_from="2011-01-01", date_to="2011-12-31")
    assert [p.date() for p in got["period"].unique()] == period_starts(dt.date(2011, 1, 1), dt.date(2011, 12, 1),
                                                                        "month")
    full = by_key(corpus.track(ideas(), by="month"), ["docs", "mentions", "total_docs"])
    for key, value in by_key(got, ["docs", "mentions", "total_docs"]).items():
        assert full[key] == value


def test_fallback_dated_documents_are_left_out_by_default(corpus: Any) -> None:
    frame = CORPUS.frame()
    n_undated = int(frame["undated"].sum())
    default = corpus.track(ideas(), by="month")
    with_fb = corpus.track(ideas(), by="month", include_fallback=True)
    month = pd.Timestamp(FALLBACK.replace(day=1))
    d0 = default[(default["period"] == month) & (default["idea"] == IDEA_NAMES[0])]["total_docs"].item()
    d1 = with_fb[(with_fb["period"] == month) & (with_fb["idea"] == IDEA_NAMES[0])]["total_docs"].item()
    assert d1 - d0 == n_undated > 0
    want = CORPUS.expected("month", include_undated=True, fallback_date=FALLBACK)
    got = with_fb[with_fb["docs"] > 0]
    assert by_key(got, ["docs", "mentions"]) == by_key(want, ["docs", "mentions"])


def test_bad_parameters_are_usage_errors(corpus: Any) -> None:
    with pytest.raises(UsageError, match="--by"):
        corpus.track("big society", by="fortnight")
    with pytest.raises(UsageError, match="--per"):
        corpus.track("big society", per="pages")
    with pytest.raises(UsageError, match="--from"):
        corpus.track("big society", date_from="last year")
    with pytest.raises(UsageError, match="closing quote at column 5"):
        corpus.track('"big')


# --- date precision, on a small hand-made store --------------------------------------------------------

PRECISION_DOCS = [
    {"id": "day", "date": "2011-03-15", "source": "a", "text": "The big society plan."},  # a Tuesday
    {"id": "month", "date": "2011-03", "source": "a", "text": "The Big Society, again."},
    {"id": "year", "date": "2011", "source": "b", "text": "BIG SOCIETY all year"},
    {"id": "undated", "source": "b", "text": "big-society without a date"},
    {"id": "may", "date": "2011-05-02", "source": "a", "text": "nothing to see"},
    {"id": "jan", "date": "2011-01-10", "source": "b", "text": "other things"},
]


@pytest.fixture(scope="module")
def precision_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("precision")
    src = root / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in PRECISION_DOCS), encoding="utf-8")
    report = policypulse.ingest(root / "store", [src], fmt="jsonl",
                                options=ReaderOptions(default_date=dt.date(2011, 3, 20)))
    assert report.accepted == len(PRECISION_DOCS)
    return root / "store"


@pytest.mark.parametrize(
    ("by", "period", "docs", "total_docs", "n_periods"),
    [
        ("day", "2011-03-15", 1, 1, (dt.date(2011, 5, 2) - dt.date(2011, 1, 10)).days + 1),
        ("week", "2011-03-14", 1, 1, 17),
        ("month", "2011-03-01", 2, 2, 5),
        ("quarter", "2011-01-01", 2, 3, 2),
        ("year", "2011-01-01", 3, 5, 1),
    ],
)
def test_month_and_year_precision_never_land_on_a_day(precision_store: Path, by: str, period: str, docs: int,
                                                      total_docs: int, n_periods: int) -> None:
    with policypulse.open(precision_store) as c:
        got = c.track("big society", by=by)
    assert len(got) == n_periods
    row = got[got["period"] == pd.Timestamp(period)]
    assert (row["docs"].item(), row["total_docs"].item()) == (docs, total_docs)
    assert got["docs"].sum() == docs  # nowhere else
    if by in ("day", "week"):
        first = got[got["period"] == pd.Timestamp(period_start(dt.date(2011, 3, 1), by))]
        assert first["docs"].sum() == 0  # the month-dated document is not put on the 1st


def test_fallback_dates_only_with_include_fallback(precision_store: Path) -> None:
    with policypulse.open(precision_store) as c:
        default = c.track("big society", by="month")
        included = c.track("big society", by="month", include_fallback=True)
        day = c.track("big society", by="day", include_fallback=True)
    march = pd.Timestamp("2011-03-01")
    assert default.loc[default["period"] == march, ["docs", "total_docs"]].values.tolist() == [[2, 2]]
    assert included.loc[included["period"] == march, ["docs", "total_docs"]].values.tolist() == [[3, 3]]
    assert day.loc[day["period"] == pd.Timestamp("2011-03-20"), "docs"].item() == 1


# --- provenance and reruns -----------------------------------------------------------------------------


def test_results_carry_provenance_and_rerun_on_an_old_version(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps(d) + "\n" for d in PRECISION_DOCS[:3]), encoding="utf-8")
    later = tmp_path / "b.jsonl"
    later.write_text(json.dumps({"id": "new", "date": "2011-03-02", "source": "c", "text": "Big Society!"}) + "\n",
                     encoding="utf-8")
    store = tmp_path / "store"
    policypulse.ingest(store, [first], fmt="jsonl")
    with policypulse.open(store) as c:
        v1 = c.track("big society", by="month", per="docs")
    prov = v1.attrs["provenance"]
    assert prov["store_version"] == 1
    assert prov["software"] == f"policypulse {policypulse.__version__}"
    assert prov["engine"] == "duckdb"
    params = prov["parameters"]
    assert params["command"] == "track"
    assert params["ideas"] == [{"name": "big society", "aliases": ["big society"], "exclude": []}]
    assert (params["by"], params["per"], params["by_source"], params["smooth"]) == ("month", "docs", False, 0)
    assert params["include_fallback"] is False
    json.dumps(prov)  # serialisable as it is

    policypulse.ingest(store, [later], fmt="jsonl")
    with policypulse.open(store) as c:
        v2 = c.track("big society", by="month")
    assert v2.attrs["provenance"]["store_version"] == 2
    assert v2["docs"].sum() == v1["docs"].sum() + 1
    with policypulse.open(store, version=1) as c:
        again = c.track("big society", by="month")
    assert again.attrs["provenance"]["store_version"] == 1
    pd.testing.assert_frame_equal(again, v1)
    shutil.rmtree(store)
