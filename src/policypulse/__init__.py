"""policypulse: a sensitive measuring device for the life and death of policy ideas."""

from __future__ import annotations

__version__ = "0.1.0"

from policypulse.api import Corpus, open  # noqa: E402  (after __version__, which api imports)
from policypulse.corpus.ingest import IngestReport, ingest  # noqa: E402
from policypulse.query.ideas import Idea, load_ideas  # noqa: E402

__all__ = ["Corpus", "Idea", "IngestReport", "__version__", "ingest", "load_ideas", "open"]
