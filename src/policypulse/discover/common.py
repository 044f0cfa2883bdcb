"""Shared pieces of the discovery analyses: windows, burst statistics, fragments, lifecycle fields."""

from __future__ import annotations

import datetime as dt
import re
import warnings
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from policypulse.discover.stopwords import STOPWORDS
from policypulse.errors import UsageError
from policypulse.lifecycle.emergence import BACKGROUND_CONFIDENCE, BURST_SCALE, find_emergence
from policypulse.lifecycle.result import CONTRACT_FIELDS
from policypulse.lifecycle.series import Series

# Lifecycle fields added to every discovered phrase (the contract's, without "idea": "phrase" names it).
LIFECYCLE_FIELDS: tuple[str, ...] = tuple(f for f in CONTRACT_FIELDS if f != "idea")
MAX_SIGNIFICANCE = 300.0  # -log10 p is capped here (p below 1e-300 is not a number worth printing)
FRAGMENT_SHARE = 0.8  # a phrase is a fragment of a longer one that holds at least 80% of its documents

_INDEXES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def phrase_index(corpus: Any, progress: Any = None) -> Any:
    """The corpus's PhraseIndex, built on first use and kept as long as the corpus object lives."""
    from policypulse.discover.index import PhraseIndex

    ix = _INDEXES.get(corpus)
    if ix is None:
        ix = PhraseIndex(corpus, progress=progress)
        _INDEXES[corpus] = ix
    return ix


def period_index(periods: pd.DatetimeIndex, day: dt.date, by: str, *, side: str) -> int:
    """Index of the period holding ``day`` (clipped to the grid); side='left' for a window start."""
    from policypulse.timeline import period_start

    ts = period_start(pd.Timestamp(day), by)
    i = int(periods.searchsorted(ts, side="left"))
    if side == "right" and (i >= len(periods) or periods[i] != ts):
        i -= 1
    return max(0, min(i, len(periods) - 1)) if side == "right" else min(i, len(periods))


def neglog10_poisson_sf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Poisson(mu), stable far in the tail, capped at MAX_SIGNIFICANCE."""
    k = np.asarray(k, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = stats.poisson.logsf(k - 1.0, mu)
        # Chernoff bound (the likelihood-ratio statistic) where the exact tail underflows
        llr = np.where(k > mu, k * np.log(np.maximum(k, 1e-300) / mu) - (k - mu), 0.0)
    out = np.where(np.isfinite(logp), -logp / np.log(10.0), llr / np.log(10.0))
    return np.clip(np.where(k <= 0, 0.0, out), 0.0, MAX_SIGNIFICANCE)


def background_bound(d0: np.ndarray, e0: np.ndarray) -> np.ndarray:
    """Upper 97.5% Poisson bound of the earlier rate (the lifecycle's emergence background)."""
    d0 = np.asarray(d0, dtype=float)
    e0 = np.asarray(e0, dtype=float)
    return np.where(e0 > 0, stats.gamma.ppf(BACKGROUND_CONFIDENCE, d0 + 1.0) / np.where(e0 > 0, e0, 1.0), np.inf)


def burst(d0: Any, e0: Any, d1: Any, e1: Any) -> dict[str, np.ndarray]:
    """A burst of ``d1`` documents in exposure ``e1`` after ``d0`` in ``e0``: ratio, significance, score.

    ``ratio`` is the burst's rate over the upper bound of the earlier rate; ``significance`` is
    -log10 of the probability of at least ``d1`` documents under the gamma-Poisson predictive of the
    earlier rate (``neglog10_gamma_poisson_sf``: not a plain Poisson, whose known rate would make a
    phrase with two earlier uses look as certain as one with two hundred); ``score`` =
    log2(ratio) x significance (strength x significance), 0 unless the rate at least doubled.
    """
    d0, e0, d1, e1 = (np.asarray(x, dtype=float) for x in (d0, e0, d1, e1))
    b = background_bound(d0, e0)
    r1 = np.where(e1 > 0, d1 / np.where(e1 > 0, e1, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(b) & (b > 0), r1 / b, 0.0)
    sig = np.where(np.isfinite(b), neglog10_gamma_poisson_sf(d1, d0, e0, e1), 0.0)
    effect = r1 >= BURST_SCALE * np.where(e0 > 0, d0 / np.where(e0 > 0, e0, 1.0), np.inf)
    strength = np.where(ratio > 1.0, np.log2(np.maximum(ratio, 1.0)), 0.0)
    score = np.where(effect, strength * sig, 0.0)
    return {"background": b, "rate": r1, "ratio": ratio, "significance": sig, "p_value": 10.0 ** (-sig),
            "score": score}


def series_of(by: str, periods: pd.DatetimeIndex, docs: np.ndarray, mentions: np.ndarray,
              exposure: np.ndarray) -> Series:
    """A lifecycle Series from arrays already on a zero-filled grid (no re-validation)."""
    return Series(by, periods, docs.astype(np.int64), mentions.astype(np.int64), exposure.astype(np.int64),
                  exposure > 0)


def emergence_of(s: Series) -> tuple[int | None, bool]:
    """Emergence period index of a series (lifecycle definition) and whether it is left-censored."""
    em = find_emergence(s)
    return em.index, em.censored


def lifecycle_fields(frame: pd.DataFrame, by: str, name: str, *, n_boot: int, seed: int,
                     as_of: dt.date | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """The lifecycle contract fields of one series (JSON-ready values)."""
    from policypulse.lifecycle import StatisticalWarning, analyse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        lc = analyse(frame, by, idea=name, n_boot=n_boot, seed=seed, as_of=as_of, alpha=alpha)
    d = lc.to_dict()
    out = {f: d[f] for f in LIFECYCLE_FIELDS}
    out["coverage_warning"] = d.get("coverage_warning")
    return out


def _contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    n, m = len(longer), len(shorter)
    return m < n and any(tuple(longer[i : i + m]) == tuple(shorter) for i in range(n - m + 1))


def overlaps(a: str, b: str) -> bool:
    """True when one phrase is a contiguous part of the other, or they overlap by two or more tokens
    at their ends ("richard nixon the white" and "nixon the white house": pieces of one longer phrase)."""
    ta, tb = a.split(" "), b.split(" ")
    if ta == tb or _contains(ta, tb) or _contains(tb, ta):
        return True
    for x, y in ((ta, tb), (tb, ta)):
        for k in range(2, min(len(x), len(y))):
            if x[-k:] == y[:k]:
                return True
    return False


def drop_fragments(phrases: Sequence[str], counts: Sequence[float]) -> np.ndarray:
    """Mask of phrases to keep: a phrase whose longer container holds >= 80% of its documents is a fragment.

    "national living" and "living wage" are fragments of "national living wage" when nearly every
    document with them has the whole phrase; "living wage" used on its own as well is kept.
    """
    toks = [p.split(" ") for p in phrases]
    keep = np.ones(len(phrases), dtype=bool)
    by_len = sorted(range(len(phrases)), key=lambda i: -len(toks[i]))
    for i in range(len(phrases)):
        for j in by_len:
            if len(toks[j]) <= len(toks[i]):
                break
            if counts[j] >= FRAGMENT_SHARE * counts[i] and _contains(toks[j], toks[i]):
                keep[i] = False
                break
    return keep


def greedy_distinct(order: Iterable[int], phrases: Sequence[str], limit: int) -> list[int]:
    """Indices in ``order``, skipping any phrase that overlaps one already taken, up to ``limit``."""
    taken: list[int] = []
    for i in order:
        if any(overlaps(phrases[i], phrases[j]) for j in taken):
            continue
        taken.append(i)
        if len(taken) >= limit:
            break
    return taken


def distinct_longest(order: Iterable[int], phrases: Sequence[str], counts: Sequence[float], limit: int) -> list[int]:
    """As ``greedy_distinct``, but a longer phrase that contains the one it overlaps takes that one's place when
    it holds at least half of its ``counts`` ("european recovery program", 3 of the 4 addresses with "european
    recovery"): C-value's comparison (Frantzi et al. 2000) of a nested phrase's own count, f(short) -
    f(long), with the longer phrase's, f(long)."""
    taken: list[int] = []
    for i in order:
        clash = [j for j in taken if overlaps(phrases[i], phrases[j])]
        if not clash:
            taken.append(i)
        elif len(clash) == 1:
            j = clash[0]
            long_, short = phrases[i].split(" "), phrases[j].split(" ")
            if _contains(long_, short) and 2.0 * float(counts[i]) >= float(counts[j]):
                taken[taken.index(j)] = i
        if len(taken) >= limit:
            break
    return taken


def check_limit(limit: int) -> int:
    """A positive --limit."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    return int(limit)


# ------------------------------------------------------------------------------------- what a reader accepts
# A discovered phrase is offered as an idea only when a reader would accept it as a name for one. The rules
# (docs/methods.md, "Phrase candidates") use the phrase props kept with the phrase statistics
# (ngrams.PROPS_COLUMNS: sentence ends, capitals, the word before each occurrence, the position in the
# document), found from the corpus itself rather than from lists of known phrases.
KINDS = ("idea", "name", "people", "boilerplate", "scrap", "word")
from policypulse.discover.ngrams import TITLES as TITLE_WORDS  # noqa: E402  (one list of titles)
_ROMAN = re.compile(r"(?=[ivxlcdm]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})")  # "Title IV"
CONTRACTION_PARTS = frozenset({"s", "t", "m", "re", "ve", "ll", "d"})  # "let's get", "I'm announcing"
# Verbs that open a clause, not a name ("take steps", "make sure", "let us"); a capitalised name that
# starts with one ("Make America Great Again") is still a name.
LIGHT_VERBS = frozenset(
    "take make get let give keep put go come see know want need ask tell help seek try bring send say "
    "think believe urge call pass meet build find look begin continue".split())
# Inside a name, prepositions, articles and conjunctions are common ("war on poverty", "welfare to work");
# a pronoun or an auxiliary verb makes it a clause ("businesses have created", "tools they need").
CLAUSE_WORDS = frozenset(
    "i we you he she it they me us him them my our your his its their is are was were be been being am have "
    "has had do does did will would shall should can could may might must not".split())
# Groups of people are who policy is for, not what it is ("small business owners", "hard working families").
PEOPLE_HEADS = frozenset(
    "people americans families family owners members workers citizens children kids parents students teachers "
    "men women folks friends republicans democrats seniors neighbors colleagues guests audience "
    "owner member worker citizen child kid parent student teacher man woman friend neighbor colleague guest "
    "veteran veterans voters voter ministers minister officials leaders leader teenagers doctors dentists nurses "
    "soldiers troops civilians peoples".split())
# Days and months are proper nouns but no idea; a capitalised single word with a nationality's or a party's
# ending is an adjective ("Syrian", "Republican"), or its people ("Iraqis").
CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split())
DEMONYM_ENDINGS = ("ian", "ians", "ese", "ish", "ican", "icans", "ean", "eans")
# A phrase whose head is a unit of time is a date or a span, not an idea ("fiscal year", "next few years").
TIME_HEADS = frozenset("year years month months week weeks day days decade decades century centuries millennium "
                       "time times ago".split())
# Titles that open a reference to a person or an office ("Senators McCain and Feingold", "Secretary of
# Defense"): the unambiguous ones, singular and plural ("General" and "Major" also open names of ideas).
NAME_TITLES = frozenset(
    "mr mrs ms dr president presidents senator senators governor governors secretary secretaries congressman "
    "congressmen congresswoman congresswomen ambassador ambassadors mayor mayors sen rep gov prof professor "
    "admiral colonel captain sergeant lieutenant sheriff reverend pastor bishop pope vice".split())
# General nouns (Halliday & Hasan 1976, "Cohesion in English", 6.4; Mahlberg 2005): nouns that stand for
# nearly anything and head rhetorical or procedural phrases, never the name of a policy ("good thing",
# "matter of fact", "people as a whole", "careful consideration", "side of the water", "way of life").
GENERAL_NOUNS = frozenset(
    "thing things matter matters fact facts whole kind kinds sort sorts part parts means view views regard respect "
    "consideration considerations attention importance intention intentions effort efforts subject date end "
    "extent degree manner case cases instance behalf accordance pace run half lot sense".split())
# Not in the list, because they head names of policy too: way ("Third Way"), order ("New World Order"), side
# ("supply side"), question ("the Eastern Question"), condition(s) ("working conditions"), size ("class size").
# The head of an English noun phrase: the word before its first preposition ("war on poverty", "means of
# meeting"), else its last word ("child labor", "good thing").
HEAD_PREPOSITIONS = frozenset(
    "of on for to in with from by at about under without as against between into over through within during "
    "upon among".split())
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty thirty forty fifty "
    "sixty seventy eighty ninety hundred hundreds thousand thousands million millions billion billions trillion "
    "trillions first second third fourth fifth sixth seventh eighth ninth tenth twentieth fiftieth hundredth "
    "half".split())
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)?")
# A number with these is a date, a count or an occasion, not an idea ("96th congress", "fiftieth anniversary").
NUMBERED_HEADS = frozenset("anniversary birthday congress session sessions states".split())  # "forty eight states"
ADDRESSEE_SHARE = 0.5  # a word in the opening or sign-off of half of all documents is the audience addressed


def head_word(tokens: Sequence[str]) -> str:
    """The head of a phrase read as an English noun phrase: the word before its first inner preposition
    ("war on poverty" -> war, "matter of fact" -> matter), else its last word."""
    for k in range(1, len(tokens) - 1):
        if tokens[k] in HEAD_PREPOSITIONS:
            return tokens[k - 1]
    return tokens[-1]


def _is_number(token: str) -> bool:
    return token in NUMBER_WORDS or bool(_ORDINAL.fullmatch(token))


SOURCE_SHARE = 0.9  # at least 90% of its documents from one source ...
SOURCE_REACH = 0.2  # ... and in at least 20% of that source's documents: the source's own boilerplate
VERBAL_SHARE = 0.4  # after "to", "will", "we"... in at least 40% of its uses: a verb phrase ("finish the job")
CROSS_SHARE = 0.5  # crossing a sentence end in at least half its occurrences: not a phrase of the text
EDGE_SHARE = 0.5  # in the opening or sign-off of at least half its documents ...
EDGE_OCC_SHARE = 0.6  # ... and most of its uses are there (a topic named in a lead recurs in the body)
# Nearly always at a sentence start: a transcript's speaker label ("Audience member."), a heading or an
# embedded post's signature ("RTE News (@rtenews) March 3"), not a phrase of running text
LABEL_SHARE = 0.1
PROPER_SHARE = 0.8  # capitalised in at least 80% of its uses inside a sentence: a proper name
TITLE_SHARE = 0.1  # a proper name after a title ("President", "Mrs.") this often names a person
DET_SHARE = 0.1  # ... unless it takes an article about as often ("the Peace Corps"): people's names take none


def phrase_kinds(ix: Any) -> tuple[np.ndarray, list[str]]:
    """Per phrase_id of a PhraseIndex: its kind (one of KINDS) and why, in a few words."""
    ph = ix.phrases
    props = ix.props
    n = ph["n"].to_numpy()
    occ = props["occ"].to_numpy().astype(float)
    mid = props["mid"].to_numpy().astype(float)
    docs = ph["docs"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(occ > 0, props["cross"].to_numpy() / np.maximum(occ, 1), 0.0)
        edge = np.where(occ > 0, props["edge"].to_numpy() / np.maximum(docs, 1), 0.0)
        edge_occ = np.where(occ > 0, props["edge_occ"].to_numpy() / np.maximum(occ, 1), 0.0)
        cap = np.where(mid > 0, props["cap"].to_numpy() / np.maximum(mid, 1), 0.0)
        title = np.where(mid > 0, props["title"].to_numpy() / np.maximum(mid, 1), 0.0)
        det = np.where(mid > 0, props["det"].to_numpy() / np.maximum(mid, 1), 0.0)
        verbal = np.where(occ > 0, props["verbal"].to_numpy() / np.maximum(occ, 1), 0.0)
    src_docs = props["src_docs"].to_numpy().astype(float)
    src_size = props["src_size"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        src_share = np.where(docs > 0, src_docs / np.maximum(docs, 1), 0.0)
        src_reach = np.where(src_size > 0, src_docs / np.maximum(src_size, 1), 0.0)
    # one source covering (nearly) the whole corpus is no evidence of a source's own phrase
    several_sources = src_size < 0.9 * max(float(ix.meta.get("documents", 0)), 1.0)
    known = occ > 0
    proper = known & (mid >= 2) & (cap >= PROPER_SHARE)
    words = ph["phrase"].to_numpy()
    uni_title = dict(zip(words[n == 1], title[n == 1]))
    # the audience a corpus addresses ("Congress" in the State of the Union), found from the corpus itself:
    # a single word in the opening or sign-off of at least half of all its documents
    n_docs = max(float(ix.meta.get("documents", 0)), 1.0)
    addressee = {w for w, e in zip(words[n == 1], props["edge"].to_numpy()[n == 1])
                 if n_docs >= 10 and e >= ADDRESSEE_SHARE * n_docs}
    kinds = np.empty(len(ph), dtype=object)
    why: list[str] = [""] * len(ph)
    for i in range(len(ph)):
        toks = words[i].split(" ")
        if n[i] == 1 and _ROMAN.fullmatch(toks[0]):
            kinds[i], why[i] = "scrap", "a roman numeral"
        elif any(t in CONTRACTION_PARTS for t in toks[1:-1]):
            kinds[i], why[i] = "scrap", "holds a contraction's fragment"
        elif known[i] and cross[i] >= CROSS_SHARE:
            kinds[i], why[i] = "scrap", f"crosses a sentence end in {100 * cross[i]:.0f}% of its uses"
        elif n[i] > 1 and any(t in ("or", "nor") for t in toks[1:-1]):
            kinds[i], why[i] = "scrap", "a piece of a list ('X or Y')"
        elif n[i] > 1 and head_word(toks) in addressee:
            kinds[i], why[i] = "boilerplate", f"headed by the audience addressed ({head_word(toks)!r})"
        elif n[i] > 1 and any(_is_number(t) for t in toks) and all(
                _is_number(t) or t in STOPWORDS or t in NUMBERED_HEADS or t in TIME_HEADS or t in CALENDAR
                for t in toks) and (_is_number(toks[0]) or toks[0] in CALENDAR):
            kinds[i], why[i] = "word", "a number, a count or an occasion"
        elif n[i] > 1 and not proper[i] and head_word(toks) in GENERAL_NOUNS:
            kinds[i], why[i] = "scrap", f"headed by a general noun ({head_word(toks)!r})"
        elif n[i] == 1 and (toks[0] in CALENDAR or toks[0] in TITLE_WORDS):
            kinds[i], why[i] = "word", "a day, a month or a title"
        elif not proper[i] and toks[-1] in TIME_HEADS:
            kinds[i], why[i] = "word", "a date or a span of time"
        elif n[i] == 1 and proper[i] and toks[0].endswith(DEMONYM_ENDINGS):
            kinds[i], why[i] = "word", "an adjective of a nation or party"
        elif known[i] and docs[i] >= 5 and several_sources[i] and src_share[i] >= SOURCE_SHARE \
                and src_reach[i] >= SOURCE_REACH:
            kinds[i], why[i] = "boilerplate", f"from one source ({100 * src_share[i]:.0f}% of its documents)"
        elif known[i] and occ[i] >= 5 and mid[i] < LABEL_SHARE * occ[i]:
            kinds[i], why[i] = "boilerplate", (f"a label or heading: at a sentence start in "
                                               f"{100 * (1 - mid[i] / occ[i]):.0f}% of its uses")
        elif known[i] and docs[i] >= 3 and edge[i] >= EDGE_SHARE and edge_occ[i] >= EDGE_OCC_SHARE:
            kinds[i], why[i] = "boilerplate", f"in the opening or sign-off of {100 * edge[i]:.0f}% of its documents"
        elif proper[i] and ((title[i] >= TITLE_SHARE and det[i] < title[i] + DET_SHARE / 2) or (det[i] < DET_SHARE and (
                uni_title.get(toks[-1], 0.0) >= TITLE_SHARE
                or (len(toks) > 1 and uni_title.get(toks[0], 0.0) >= TITLE_SHARE)))):
            kinds[i], why[i] = "name", "a capitalised name that follows titles and takes no article"
        elif proper[i] and n[i] > 1 and toks[0] in NAME_TITLES:
            kinds[i], why[i] = "name", "a title and a name, or an office"
        elif n[i] == 1 and not proper[i]:
            kinds[i], why[i] = "word", "a single common word"
        elif (toks[-1] in PEOPLE_HEADS and (not proper[i] or n[i] > 1)) or (
                not proper[i] and n[i] > 1 and head_word(toks) in PEOPLE_HEADS):  # "people of the world"
            kinds[i], why[i] = "people", "a group of people"
        elif not proper[i] and known[i] and verbal[i] >= VERBAL_SHARE:
            kinds[i], why[i] = "scrap", f"used as a verb phrase ({100 * verbal[i]:.0f}% after 'to', 'will', 'we'...)"
        elif not proper[i] and toks[0] in LIGHT_VERBS:
            kinds[i], why[i] = "scrap", "opens with a verb"
        elif not proper[i] and any(t in CLAUSE_WORDS for t in toks[1:-1]):
            kinds[i], why[i] = "scrap", "a clause (a pronoun or auxiliary inside)"
        else:
            kinds[i], why[i] = "idea", ("a capitalised name" if proper[i] else "a collocation")
    # A capitalised phrase that ends in a person's name is about that person ("Michelle and Jill Biden");
    # an idea named after one ends in its own head ("Marshall Plan", "Monroe Doctrine").
    uni_kind = dict(zip(words[n == 1], kinds[n == 1]))
    for j in np.flatnonzero((n > 1) & proper & (kinds == "idea")):
        i = int(j)
        last = words[i].rsplit(" ", 1)[-1]
        if uni_kind.get(last) == "name":
            kinds[i], why[i] = "name", f"ends in a person's name ({last!r})"
    # A capitalised single word said before "people" is a nation's adjective ("the Afghan people", "the Iraqi
    # people"; a country is "the people of Cuba"), and its plural, rarer than it, is that nation's people
    # ("Iraqis", "Afghans"; "the Philippines", more frequent than "Philippine", is a country)
    uni_id = {w: int(i) for i, w in zip(np.flatnonzero(n == 1), words[n == 1])}
    nations = {w for w in (p.split(" ")[0] for p in words[n == 2] if p.endswith(" people"))
               if w in uni_id and proper[uni_id[w]] and kinds[uni_id[w]] == "idea"}
    for w in nations:
        kinds[uni_id[w]], why[uni_id[w]] = "word", "an adjective of a nation (said before 'people')"
    for w, i in uni_id.items():
        if w.endswith("s") and w[:-1] in nations and proper[i] and kinds[i] == "idea" and docs[i] < docs[uni_id[w[:-1]]]:
            kinds[i], why[i] = "people", f"a nation's people (the plural of {w[:-1]!r})"
    # A lowercase phrase of several words that the corpus uses like a generic expression ("side of the water",
    # "people who live"): below TERMHOOD_MIN by the termhood model above; phrases without props are left alone
    th = termhood(ix)
    for j in np.flatnonzero((n > 1) & ~proper & (kinds == "idea") & (np.nan_to_num(th, nan=1.0) < TERMHOOD_MIN)):
        i = int(j)
        kinds[i], why[i] = "scrap", f"used like a generic expression (termhood {th[i]:.2f})"
    return kinds, why


# ------------------------------------------------------------------------------------------------- termhood
# A generic expression ("side of the water", "people who live", "free and at peace") and the name of an idea
# differ in how the corpus uses them, not in any word list: a name is capitalised, repeated within the
# documents that discuss it (Church & Gale 1995, Church 2000: content terms are bursty, a second mention
# follows the first), said afresh rather than inside one reprinted passage, made of rarer words and of fewer
# function words. TERMHOOD_WEIGHTS combine these in a logistic model fitted on the judged phrases of the
# State of the Union's tuning decades only (bench/fit_termhood.py; held-out decades: bench/eval/README.md).
TERMHOOD_FEATURES = ("cap", "log_mentions_per_doc", "fresh", "mean_word_log_df", "function_share", "det")
TERMHOOD_WEIGHTS: dict[str, float] = {"const": -6.52, "cap": 1.5, "log_mentions_per_doc": 0.89, "fresh": 6.78,
                                      "mean_word_log_df": -0.43, "function_share": -3.04, "det": -0.56}
TERMHOOD_MIN = 0.3  # a lowercase phrase of several words below this probability is read as a generic expression


def termhood_features(ix: Any) -> pd.DataFrame:
    """Per phrase_id: the corpus's evidence that a phrase is a term (TERMHOOD_FEATURES; see above)."""
    ph = ix.phrases
    props = ix.props
    mid = np.maximum(props["mid"].to_numpy().astype(float), 1.0)
    docs = np.maximum(ph["docs"].to_numpy().astype(float), 1.0)
    n_docs = max(float(ix.meta.get("documents", 0)), 1.0)
    uni = ph[ph["n"] == 1]
    log_df = pd.Series(np.log(np.maximum(uni["docs"].to_numpy(dtype=float), 1.0) / n_docs),
                       index=uni["phrase"].to_numpy())
    log_df = log_df[~log_df.index.duplicated()]
    floor = float(np.log(1.0 / n_docs))
    # every token of every phrase, vectorised (a loop over millions of phrases would cost seconds)
    toks = ph["phrase"].str.split(" ").explode()
    row = np.repeat(np.arange(len(ph)), ph["phrase"].str.count(" ").to_numpy() + 1)
    tok = toks.to_numpy(dtype=object)
    is_func = pd.Index(tok).isin(list(STOPWORDS))
    val = pd.Series(tok).map(log_df).fillna(floor).to_numpy()
    n_tok = np.bincount(row, minlength=len(ph)).astype(float)
    n_func = np.bincount(row, weights=is_func.astype(float), minlength=len(ph))
    n_content = n_tok - n_func
    sum_df = np.bincount(row, weights=np.where(is_func, 0.0, val), minlength=len(ph))
    mean_df = np.where(n_content > 0, sum_df / np.maximum(n_content, 1.0), 0.0)
    func = n_func / np.maximum(n_tok, 1.0)
    return pd.DataFrame({
        "cap": props["cap"].to_numpy() / mid,
        "log_mentions_per_doc": np.log(np.maximum((ph["occ"] if "occ" in ph else props["occ"]).to_numpy(dtype=float),
                                                  1.0) / docs),
        "fresh": fresh_share(ix),
        "mean_word_log_df": mean_df,
        "function_share": func,
        "det": props["det"].to_numpy() / mid,
    })


def termhood(ix: Any) -> np.ndarray:
    """Per phrase_id: the probability, by TERMHOOD_WEIGHTS, that a phrase names an idea rather than being a
    generic expression; NaN where no props are known."""
    cached = getattr(ix, "_termhood", None)
    if cached is not None:
        return cached
    f = termhood_features(ix)
    z = TERMHOOD_WEIGHTS["const"] + sum(TERMHOOD_WEIGHTS[c] * f[c].to_numpy() for c in TERMHOOD_FEATURES)
    out = np.where(ix.props["occ"].to_numpy() > 0, 1.0 / (1.0 + np.exp(-z)), np.nan)
    ix._termhood = out
    return out


def proper_names(ix: Any) -> np.ndarray:
    """Per phrase_id: a capitalised name of several words (every content word capitalised in at least
    PROPER_SHARE of its uses inside sentences, two or more such uses): "Atoms for Peace", "Soil Bank"."""
    props = ix.props
    mid = props["mid"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(mid > 0, props["cap"].to_numpy() / np.maximum(mid, 1), 0.0)
    return (ix.phrases["n"].to_numpy() > 1) & (mid >= 2) & (cap >= PROPER_SHARE)


def idea_mask(ix: Any, *, include_names: bool = False) -> np.ndarray:
    """Per phrase_id: may it be listed as an idea (names of people and groups too with ``include_names``)?"""
    cached = getattr(ix, "_kinds", None)
    if cached is None:
        cached = phrase_kinds(ix)
        ix._kinds = cached
    kinds = cached[0]
    return (kinds == "idea") | (((kinds == "name") | (kinds == "people")) if include_names else False)


def neglog10_gamma_poisson_sf(k: Any, d0: Any, e0: Any, e1: Any) -> np.ndarray:
    """-log10 P(X >= k), X the documents in exposure ``e1`` when the rate is only known from ``d0`` documents
    in ``e0``: a gamma-Poisson (negative binomial) predictive, the rate's posterior Gamma(d0 + 1/2, e0)
    (Jeffreys prior) carrying its uncertainty; overdispersed where the earlier evidence is thin."""
    k, d0, e0, e1 = (np.asarray(x, dtype=float) for x in (k, d0, e0, e1))
    shape = d0 + 0.5
    p = np.where(e0 + e1 > 0, e0 / np.maximum(e0 + e1, 1e-300), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = stats.nbinom.logsf(k - 1.0, shape, p)
    out = np.where(np.isfinite(logp), -logp / np.log(10.0), MAX_SIGNIFICANCE)
    return np.clip(np.where(k <= 0, 0.0, out), 0.0, MAX_SIGNIFICANCE)


def period_words(day: Any, by: str) -> str:
    """A period as a reader names it: "1967" by year, "1967 Q2" by quarter, "1967-04" otherwise."""
    d = pd.Timestamp(day)
    return str(d.year) if by == "year" else (f"{d.year} Q{(d.month - 1) // 3 + 1}" if by == "quarter"
                                             else f"{d.year}-{d.month:02d}")


def _pct(share: float) -> str:
    """A share as a percentage a reader takes in at a glance ("100%", "45%", "0.41%"), never "1e+02%"."""
    v = 100.0 * float(share)
    return f"{v:.0f}%" if v >= 10 else f"{v:.2g}%"


def _p_text(sig: float) -> str:
    return "p < 1e-300" if sig >= MAX_SIGNIFICANCE else (f"p = {10 ** -sig:.1g}" if sig < 4 else f"p = 1e-{sig:.0f}")


def explain_birth(row: dict[str, Any], by: str) -> str:
    """One line: born when, from what (earlier use), how strong (rate ratio and significance)."""
    before = row["docs_before"]
    fresh = row.get("fresh_docs_since_onset")
    since = row["docs_since_onset"]
    reprint = (f", {fresh:.0f} once repeated passages count once" if fresh is not None and fresh < since - 0.5 else "")
    earlier = ("never used before" if before == 0 else
               f"from {before} earlier document{'s' if before != 1 else ''} "
               f"({_pct(row['rate_before'])} of documents)")
    return (f"born {period_words(row['onset'], by)}, {earlier}; in {since} documents since "
            f"({_pct(row['rate_since_onset'])}{reprint}), {row['burst_ratio']:.0f}x the earlier rate's upper bound, "
            f"{_p_text(row['significance'])} (gamma-Poisson); cohesion {row.get('cohesion', 0.0):.2f}")


def explain_death(row: dict[str, Any], by: str) -> str:
    """One line: peaked when (how big), last used when, how unlikely the silence is if it were alive."""
    peak = f"peaked {period_words(row['peak'], by)}" if row.get("peak") else "no clear peak"
    last = f"last used {period_words(row['last_mention'], by)}" if row.get("last_mention") else "never used"
    p = row.get("death_p_value")
    sig = "" if p is None else f"; silence since {_p_text(min(MAX_SIGNIFICANCE, -np.log10(max(float(p), 1e-300))))}"
    text = (f"{peak} ({row.get('peak_docs', 0)} documents in its busiest stretch, {row.get('total_docs', 0)} "
            f"in all), {last}{sig} if it were still in use")
    ev, q, prob = row.get("evidence"), row.get("q_value"), row.get("death_probability")
    if ev:
        level = ("dead at the repeated-looks level" if row.get("status") == "dead"
                 else "not dead at the repeated-looks level")
        odds = f"{_pct(prob)} probability it is no longer in use; " if prob is not None else ""
        text += f"; evidence {ev} ({odds}{level}" + (f"; q = {q:.2g}" if q is not None else "") + ")"
    return text


UNIGRAM_COHESION = 0.5  # a single word has no inner association: it counts as a middling collocation


def cohesion(ix: Any) -> np.ndarray:
    """Per phrase_id: normalised PMI (Bouma 2009) of the phrase against its weakest split, in [0, 1]:
    1 when its parts occur only together, 0 at chance. Single words get UNIGRAM_COHESION."""
    cached = getattr(ix, "_cohesion", None)
    if cached is not None:
        return cached
    ph = ix.phrases
    n_tokens = max(float(ix.meta.get("tokens", 0)), 2.0)
    occ = np.maximum(ph["occ"].to_numpy(dtype=float), 1.0)
    pmi = ph["pmi"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = pmi / -np.log(np.minimum(occ / n_tokens, 0.999))
    out = np.where(ph["n"].to_numpy() > 1, np.clip(np.nan_to_num(npmi, nan=0.0), 0.0, 1.0), UNIGRAM_COHESION)
    ix._cohesion = out
    return out


def enough_docs(fresh_docs: Any, k: float) -> np.ndarray:
    """Does a count of documents weighted by ``fresh_share`` reach ``k``? It is rounded to the nearest
    document first: Medicare's 3 addresses of 1967-1969 with one of its 40 contexts repeated count 2.93, still
    three statements; two reprints of one passage (share 2/3 of 3 documents) still count 2."""
    return np.asarray(fresh_docs, dtype=float) >= k - 0.5


def fresh_share(ix: Any) -> np.ndarray:
    """Per phrase_id: the share of its occurrences said afresh, distinct contexts (the two tokens either side)
    over occurrences, at most 1 (1 where unknown). A passage reprinted word for word in several documents (a
    written message repeating last year's text, one wire paragraph in several papers) is one statement: its
    phrases' documents are counted times this share, so three reprints of a sentence count as one use."""
    cached = getattr(ix, "_fresh", None)
    if cached is not None:
        return cached
    props = ix.props
    occ = props["occ"].to_numpy().astype(float)
    ctx = props["ctx"].to_numpy().astype(float) if "ctx" in props else occ
    out = np.where((occ > 0) & (ctx > 0), np.minimum(1.0, ctx / np.maximum(occ, 1.0)), 1.0)
    ix._fresh = out
    return out
