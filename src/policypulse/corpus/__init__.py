"""The store, its schema, and ingest: readers -> normalised documents -> segments."""
