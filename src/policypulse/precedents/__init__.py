"""Precedents (capability 5): has this "new" scheme been described before?

``find_precedents(corpus, text, before=..., limit=...)`` returns a :class:`PrecedentsResult` (ranked earlier
documents, the earliest strong match, strong matches per year and the episodes of re-announcement);
``build_index(corpus, dense=...)`` brings the store's passage index up to date. See ``retrieve.py`` for the
method and ``index.py`` for how the index lives in the store.
"""

from policypulse.precedents.retrieve import PrecedentsResult, build_index, find_precedents

__all__ = ["PrecedentsResult", "build_index", "find_precedents"]
