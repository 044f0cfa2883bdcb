"""Parquet files, read in batches so memory stays flat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from policypulse.corpus.readers._util import resolve_relative
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection


def read_parquet(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Records of a Parquet file, numbered from 1."""
    name = str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        yield Rejection(name, 0, f"unreadable Parquet file: {exc}")
        return
    n = 0
    for batch in pf.iter_batches(batch_size=2048):
        for row in batch.to_pylist():
            n += 1
            yield resolve_relative(RawRecord(name, n, row), options.date_field)
