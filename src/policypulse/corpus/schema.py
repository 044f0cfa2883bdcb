"""The document schema of a store, and its version."""

from __future__ import annotations

import pyarrow as pa

# Bump when the on-disk layout changes; Store.open refuses newer versions and migrates older ones.
# 2: segments gained ``minhash`` (near-duplicate signatures; NULL in version-1 segments) and versions may name
#    a ``dups/v{N}.parquet`` file of folded near-duplicates (none: nothing folded). Version-1 stores open as is.
# 3: segments no longer store ``norm``: it is derived from ``text`` where needed (corpus/norms.py), so the
#    text is stored once. Segments of versions 1 and 2 keep their ``norm`` column and are read as they are.
SCHEMA_VERSION = 3

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

# What a segment of schema 3 stores: the documents without ``norm`` (derived from ``text``, corpus/norms.py).
STORED_SCHEMA = pa.schema([f for f in DOCUMENT_SCHEMA if f.name != "norm"])

# Parquet settings of a segment, chosen by measurement on the benchmark corpus (docs/architecture.md,
# decisions 10 and 11). Text: zstd level 4 (a 9,274-document segment: 11.09 MB in 0.26-0.32 CPU s, against
# 10.78 MB in 0.56-0.61 s at level 6 and 11.31 MB in 0.22-0.24 s at level 3; level 6 was a tenth of ingest's
# CPU). Signatures at level 1 (near-random bytes: zstd takes 2% off them, only the empty-bucket markers); the
# rest zstd 3; dictionaries only for the columns that repeat (source, date kinds, origin file). No min/max
# statistics for the text and the signatures: nothing filters on them, and a text's min and max were written
# out in full in every page header and row group (about 12 bytes a document, 0.8% of a segment).
PARQUET_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": {name: {"text": 4, "minhash": 1}.get(name, 3) for name in STORED_SCHEMA.names},
    "use_dictionary": ["source", "date_precision", "date_source", "origin_file"],
    "write_statistics": [name for name in STORED_SCHEMA.names if name not in ("text", "minhash")],
}

# dups/v{N}.parquet: every document of version N folded into another (near-duplicate or retweet).
DUPS_SCHEMA = pa.schema(
    [
        pa.field("hash", pa.string(), nullable=False),
        pa.field("dup_of", pa.string(), nullable=False),  # the representative's hash, or retweet:<id>
        pa.field("reason", pa.string(), nullable=False),  # near | retweet
    ]
)
