"""The document schema of a store, and its version."""

from __future__ import annotations

import pyarrow as pa

# Bump when the on-disk layout changes; Store.open refuses newer versions and migrates older ones.
SCHEMA_VERSION = 1

DATE_PRECISIONS = ("day", "month", "year")
DATE_SOURCES = ("field", "filename", "fallback")

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("date_precision", pa.string(), nullable=False),
        pa.field("date_source", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.large_string(), nullable=False),
        pa.field("norm", pa.large_string(), nullable=False),
        pa.field("n_words", pa.int32(), nullable=False),
        pa.field("hash", pa.string(), nullable=False),
        pa.field("origin_file", pa.string(), nullable=False),
        pa.field("origin_record", pa.int64(), nullable=False),
        pa.field("meta", pa.string()),
    ]
)

COLUMNS = DOCUMENT_SCHEMA.names
