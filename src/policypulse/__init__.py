"""policypulse: a sensitive measuring device for the life and death of policy ideas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import os as _os

__version__ = "0.1.0"

# Our linear algebra is on long vectors and 2x2 systems, where BLAS threads only contend: with two
# OpenBLAS threads on a busy 2-core machine one dot product of 22,000 numbers took 21 ms against
# 0.006 ms with one (a 60-year daily lifecycle: 7.6 s). Set before numpy loads; a user's setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

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
