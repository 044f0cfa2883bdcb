"""The document schema of a store, and its version."""

from __future__ import annotations

import pyarrow as pa

# Bump when the on-disk layout changes; Store.open refuses newer versions and migrates older ones.
# 2: segments gained ``minhash`` (near-duplicate signatures; NULL in version-1 segments) and versions may name
#    a ``dups/v{N}.parquet`` file of folded near-duplicates (none: nothing folded). Version-1 stores open as is.
SCHEMA_VERSION = 2

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
        pa.field("minhash", pa.binary()),  # corpus/neardup.py signature (schema 2; NULL before)
    ]
)

COLUMNS = DOCUMENT_SCHEMA.names

# dups/v{N}.parquet: every document of version N folded into another (near-duplicate or retweet).
DUPS_SCHEMA = pa.schema(
    [
        pa.field("hash", pa.string(), nullable=False),
        pa.field("dup_of", pa.string(), nullable=False),  # the representative's hash, or retweet:<id>
        pa.field("reason", pa.string(), nullable=False),  # near | retweet
    ]
)
