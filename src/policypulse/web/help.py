"""Help where it is needed: the query syntax, 'did you mean' from the corpus's own words, and a warning
for a query made only of very common words."""

from __future__ import annotations

import difflib
import itertools
import math

from policypulse.query.matching import tokens

QUERY_HELP: list[tuple[str, str]] = [
    ("big society", "the phrase: these words next to each other, in this order (any case, any punctuation between)"),
    ('"big society" OR "#bigsociety"', "either phrase (quote phrases when you combine them)"),
    ('"troubled families" AND funding', "both in the same document"),
    ('"big society" NOT "big society of friends"', "the first without the second"),
    ('NEAR/5("police", "mental health")', "both within 5 words of each other"),
    ("levell*", "a trailing * matches any ending of the last word (levelling, levelled)"),
    ("#bigsociety", "the hashtag only"),
]
# The words a query may not consist of alone: they are in most documents of any English corpus.
COMMON_SHARE = 0.5
_STOP = frozenset(
    "a an and are as at be but by for from has have he her his i in is it its of on or our that the their "
    "there these they this to was we were which will with you not no all can more one so than them who".split())


def _tokens(q: str) -> list[str]:
    # Operators and quotes are not words of the corpus; the query parser reports bad syntax itself.
    ops = {w.lower() for w in q.replace("(", " ").split() if w in ("OR", "AND", "NOT") or w.startswith("NEAR/")}
    return [t for t in tokens(q) if t not in ops and not t.startswith("near")]


def _likeness(typed: str, word: str, docs: int) -> float:
    """How likely ``word`` is what was meant by ``typed``: spelling similarity, swapped letters, use."""
    score = difflib.SequenceMatcher(None, typed, word).ratio()
    if sorted(typed) == sorted(word):
        score += 0.15  # the same letters in another order: a typing slip
    return score + 0.03 * math.log10(1 + docs)


def suggest(q: str, vocab: dict[str, int], limit: int = 3) -> list[str]:
    """Queries close to ``q`` made of words the corpus uses, most likely first ('grate socity' ->
    'great society')."""
    words = [w for w in _tokens(q) if w and not w.startswith("#")]
    if not words or len(words) > 6 or any(not c.isalnum() and c not in " *\"'" for c in q if c not in "-"):
        return []
    options: list[list[str]] = []
    for w in words:
        pool = [v for v in vocab if v and abs(len(v) - len(w)) <= 2 and v[0] in (w[0], w[-1]) or
                (v and abs(len(v) - len(w)) <= 1)]
        close = [v for v in difflib.get_close_matches(w, pool, n=12, cutoff=0.6) if v != w]
        close.sort(key=lambda v: -_likeness(w, v, vocab.get(v, 0)))
        # the word itself when the corpus has it (the typo may be in another word), then its neighbours
        choice = ([w] if w in vocab else []) + close[:3]
        if not choice:
            return []
        options.append(choice)
    out = [" ".join(c) for c in itertools.islice(itertools.product(*options), 12)]
    return [x for x in out if x != " ".join(words)][:max(limit, 1) * 3]


def common_words_warning(q: str, docs: int, total_docs: int) -> str | None:
    """A warning when the query is made only of very common words, or matches most of the corpus."""
    words = [w for w in _tokens(q) if w]
    share = docs / total_docs if total_docs else 0.0
    if words and all(w in _STOP for w in words):
        return (f"“{q}” is made only of very common words ({share:.0%} of all documents use it): its curve mostly "
                "follows how much text the corpus has. Add a more specific word, or quote a longer phrase.")
    if share >= COMMON_SHARE:
        return (f"{share:.0%} of all documents use “{q}”: so common a phrase mostly follows how much text the "
                "corpus has. A more specific phrase tells more about one idea.")
    return None
