"""Discovery without a watchlist: phrases being born (``emerging``), phrases dying (``obituaries``) and the
successors of a declining idea (``successors``), from phrase statistics kept in the store (``index``).

Every function takes an opened ``policypulse.Corpus`` and returns a pandas DataFrame (best first; the
provenance in ``.attrs["provenance"]``). Definitions: docs/methods.md, "Discovery".
"""

from policypulse.discover.emerging import emerging
from policypulse.discover.index import BuildReport, PhraseIndex, index_phrases
from policypulse.discover.obituaries import obituaries
from policypulse.discover.successors import successors

__all__ = ["BuildReport", "PhraseIndex", "emerging", "index_phrases", "obituaries", "successors"]
