"""A small store of known counts, with hostile text, shared by the dashboard's API and browser tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

import policypulse

# documents per year mentioning "big society" (10 documents every year, 2000-2015)
PLANTED = {2009: 2, 2010: 6, 2011: 8, 2012: 3}
# documents per year saying "service integration", the renaming that takes over as big society declines
SUCCESSOR = {2012: 2, 2013: 5, 2014: 7, 2015: 8}
# documents per year saying "third way", an idea dead long before the corpus ends (an obituary)
DEAD = {2001: 4, 2002: 6, 2003: 5, 2004: 3}
# context words of both (each in few documents, so that they tell contexts apart)
THEME = ["charities", "volunteers", "councils", "communities", "localism", "mutuals", "cooperatives",
         "neighbourhoods", "trusts", "philanthropy", "parishes", "foundations", "almshouses", "befriending",
         "caregivers", "allotments", "libraries", "youth", "clubs", "hospices"]
OTHER = ["markets", "welfare", "taxes", "growth", "labour", "reform", "modernisers", "economy", "centrists",
         "pragmatism"]
HOSTILE_TEXT = 'Big society <script>alert("pwn")</script> <img src=x onerror=alert(1)>'
HOSTILE_SOURCE = "<script>evil()</script>"


def records() -> list[dict]:
    """The documents: 10 a year, the planted ones saying 'big society' (or its successor) twice, one hostile one."""
    rows = []
    for year in range(2000, 2016):
        for i in range(10):
            text = f"Report {year} {i} about budgets and housing."
            t = random.Random(year * 10 + i).sample(THEME, 8)  # neighbours vary: the phrase is the unit
            if i < PLANTED.get(year, 0):
                text += f" {t[0]} the Big Society's {t[1]} {t[2]}; {t[3]} big-society {t[4]}."
            if i < DEAD.get(year, 0):
                a, b = random.Random(year * 10 + i).sample(OTHER, 2)
                text += f" {a} third way {b}."
            if i >= 10 - SUCCESSOR.get(year, 0):  # the same context words: a successor, not a distractor
                text += f" {t[5]} service integration {t[6]} {t[7]}; {t[0]} service integration {t[1]}."
            rows.append({"id": f"d{year}-{i}", "date": f"{year}-0{1 + i % 9}-15", "source": f"paper{i % 3}",
                         "text": text})
    rows.append({"id": "hostile", "date": "2015-06-01", "source": HOSTILE_SOURCE, "text": HOSTILE_TEXT})
    return rows


def build_store(root: Path) -> str:
    """Ingest the documents into ``root/store`` and return its path."""
    src = root / "docs.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records()) + "\n", encoding="utf-8")
    store = root / "store"
    report = policypulse.ingest(store, [src])
    assert report.accepted == 161 and not report.rejected
    return str(store)


def build_indexes(store: str) -> None:
    """Build what discovery and precedents read, as `policypulse index-phrases` and `index-passages` do."""
    from policypulse.corpus.store import Store
    from policypulse.discover import index_phrases
    from policypulse.precedents import build_index

    with Store(store) as st:
        index_phrases(st)
    with policypulse.open(store) as corpus:
        build_index(corpus)


# -- a corpus with coverage gaps: what the charts must draw beside them ------------------------------
GAP_YEARS = (1965, 1968, 1973)  # no documents at all in these years
# documents per year saying "new deal": 1964 and 1966 sit beside the 1965 gap, 1974 right after 1973
NEW_DEAL = {1962: 1, 1964: 2, 1966: 3, 1967: 1, 1969: 2, 1974: 1}


def gap_records() -> list[dict]:
    """Four documents a year, 1960-1975, none in GAP_YEARS; each has a web address."""
    rows = []
    for year in range(1960, 1976):
        if year in GAP_YEARS:
            continue
        for i in range(4):
            text = f"Address {year} {i} on roads, schools and farms."
            if i < NEW_DEAL.get(year, 0):
                text += " The New Deal built much; a new-deal for cities, and the NEW DEAL again."
            rows.append({"id": f"g{year}-{i}", "date": f"{year}-0{1 + i}-10", "source": "addresses",
                         "title": f"Address {year}/{i}", "url": f"https://example.org/addresses/{year}/{i}",
                         "text": text})
    # one more, alone in its month (October 1966, between empty months): a chart by month must still show it
    rows.append({"id": "g1966-lone", "date": "1966-10-10", "source": "addresses", "title": "Autumn 1966",
                 "url": "https://example.org/addresses/1966/lone", "text": "An autumn word on the New Deal."})
    return rows


def build_gap_store(root: Path) -> str:
    """Ingest the gap corpus into ``root/gapstore`` and return its path."""
    src = root / "gaps.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in gap_records()) + "\n", encoding="utf-8")
    store = root / "gapstore"
    report = policypulse.ingest(store, [src])
    assert report.accepted == 4 * (16 - len(GAP_YEARS)) + 1 and not report.rejected
    return str(store)
