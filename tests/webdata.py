"""A small store of known counts, with hostile text, shared by the dashboard's API and browser tests."""

from __future__ import annotations

import json
from pathlib import Path

import policypulse

# documents per year mentioning "big society" (10 documents every year, 2000-2015)
PLANTED = {2009: 2, 2010: 6, 2011: 8, 2012: 3}
HOSTILE_TEXT = 'Big society <script>alert("pwn")</script> <img src=x onerror=alert(1)>'
HOSTILE_SOURCE = "<script>evil()</script>"


def records() -> list[dict]:
    """The documents: 10 a year, the planted ones saying 'big society' twice, one hostile document."""
    rows = []
    for year in range(2000, 2016):
        for i in range(10):
            text = f"Report {year} {i} about budgets and housing."
            if i < PLANTED.get(year, 0):
                text += " The Big Society's volunteers met again; big-society ideas spread."
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
