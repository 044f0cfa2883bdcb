"""policypulse: a sensitive measuring device for the life and death of policy ideas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Corpus", "Idea", "IngestReport", "__version__", "ingest", "load_ideas", "open"]

# The public names load on first use: `policypulse --help` should not pay for pandas and DuckDB.
_LAZY = {
    "Corpus": "policypulse.api",
    "open": "policypulse.api",
    "IngestReport": "policypulse.corpus.ingest",
    "ingest": "policypulse.corpus.ingest",
    "Idea": "policypulse.query.ideas",
    "load_ideas": "policypulse.query.ideas",
}

if TYPE_CHECKING:
    from policypulse.api import Corpus, open  # noqa: A004
    from policypulse.corpus.ingest import IngestReport, ingest
    from policypulse.query.ideas import Idea, load_ideas


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'policypulse' has no attribute {name!r}")
