"""Counting engines: DuckDB (embedded) and, later, Spark; same interface, same results."""
