"""The matching rule now lives in :mod:`policypulse.text`; these names are kept for existing imports."""

from policypulse.text import TOKEN_RE, count_occurrences, normalise, phrase_pattern, prepare, tokens

__all__ = ["TOKEN_RE", "count_occurrences", "normalise", "phrase_pattern", "prepare", "tokens"]
