"""Help where it is needed: the query syntax, 'did you mean' from the corpus's own words, and a warning
for a query made only of very common words."""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass

from policypulse.query.matching import tokens

# Told with neutral phrases, not one country's ideas: any store that is not the demo gets these.
QUERY_HELP: list[tuple[str, str]] = [
    ("carbon tax", "the phrase: these words next to each other, in this order (any case, any punctuation between)"),
    ('"carbon tax" OR "emissions trading"', "either phrase (quote phrases when you combine them)"),
    ('"school meals" AND funding', "both in the same document"),
    ('"free trade" AND NOT "free trade area"', "the first without the second"),
    ('NEAR/5("housing", "crisis")', "both within 5 words of each other"),
    ("privati*", "a trailing * matches any ending of the last word (privatise, privatisation, privatized)"),
    ("#climate", "the hashtag only"),
]
# The same syntax told with the State of the Union's own ideas, for the demo store (an American corpus).
SOTU_QUERY_HELP: list[tuple[str, str]] = [
    ("great society", "the phrase: these words next to each other, in this order (any case, any punctuation between)"),
    ('"great society" OR "war on poverty"', "either phrase (quote phrases when you combine them)"),
    ('"health care" AND insurance', "both in the same document"),
    ('"new deal" AND NOT "fair deal"', "the first without the second"),
    ('NEAR/5("tax", "cut")', "both within 5 words of each other"),
    ("terror*", "a trailing * matches any ending of the last word (terror, terrorism, terrorists)"),
    ("#hashtag", "the hashtag only (in social-media corpora)"),
]


@dataclass(frozen=True)
class Examples:
    """What the search boxes suggest: taken from the store's own corpus where we know it, neutral otherwise."""

    idea: str  # the search box in the header
    successor: str  # the declining idea on the Successors page
    precedent: str  # the description on the Precedents page
    syntax: list[tuple[str, str]]  # the query-syntax help
    rule: tuple[str, str, str, str]  # the matching rule shown on a phrase: it, two forms it finds, one it does not
    corpus: bool  # the examples are the corpus's own ideas


# Examples checked on the demo store: each is said in the addresses, and Successors and Precedents answer them.
SOTU_EXAMPLES = Examples(idea="an idea, e.g. great society", successor="e.g. war on poverty",
                         precedent="e.g. a program to train unemployed workers for new jobs",
                         syntax=SOTU_QUERY_HELP,
                         rule=("great society", "Great Society's", "great-society", "great societies"), corpus=True)
NEUTRAL_EXAMPLES = Examples(idea="an idea: a word or a phrase",
                            successor="an idea whose use declined (Obituaries lists some)",
                            precedent="the initiative in your own words: what it does, for whom, and how",
                            syntax=QUERY_HELP, rule=("carbon tax", "Carbon Tax's", "carbon-tax", "carbon taxes"),
                            corpus=False)


def examples(sources: list[str]) -> Examples:
    """The search boxes' examples for a store whose documents come from ``sources``.

    Only the bundled State of the Union corpus (source ``sotu``) has examples known to be in it; any other
    store gets neutral wording, so that an American corpus is never offered a British idea and vice versa.
    """
    return SOTU_EXAMPLES if sources and set(sources) == {"sotu"} else NEUTRAL_EXAMPLES


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
