"""The matching rule, checked against a small independent reference matcher (DESIGN.md, "Matching rule").

Random texts carry planted phrases in surface variants (case, hyphens, apostrophes, line breaks, extra
spaces and punctuation, hashtags, accented and non-Latin letters, decomposed accents, no-break spaces,
soft hyphens and other invisible format characters) and near-misses (extended words, words run together,
broken phrases, a hashtag beside the plain word). Random queries (phrases, prefixes, OR, AND, NOT, NEAR/k)
are rendered to the query language, parsed by policypulse, and their counts compared with the reference:

* ``compile.Matcher`` on ``text.normalise(text)``;
* the SQL of ``compile.to_sql``/``mentions_sql`` evaluated by DuckDB on the same normalised string;
* the whole path (ingest -> Parquet store -> DuckDB engine -> per-period counts) on a store built once;
* KWIC lines (``kwic.kwic_lines``) against the reference's occurrences.

The reference works on its own tokens, char by char, with no regular expression and no code shared with
policypulse: casefold (the dot that casefolding leaves on a Turkish capital I is dropped); a token is a character for which
``str.isalnum()`` holds followed by a maximal run of such characters and combining marks (categories M*), with the
'#' just before it kept; invisible format characters (soft hyphen, zero-width joiners, bidi controls, BOM)
are dropped first and text is NFC-normalised (a word written with a soft hyphen or a decomposed accent is
still one word); a phrase is consecutive whole tokens, a trailing ``*`` makes the last one a prefix;
occurrences are non-overlapping, leftmost first. ``NEAR/k(a, b)``: ``a`` then ``b`` (or ``b`` then ``a``)
with at most ``k`` tokens between them; a NEAR mention is a non-overlapping pair, leftmost first, nearest
partner first. Mentions of a query are the occurrences of its phrases not under a NOT.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import policypulse
from policypulse.kwic import kwic_lines
from policypulse.query.compile import Matcher, mentions_sql, to_sql
from policypulse.query.engines.duckdb import DuckDBEngine
from policypulse.query.engines.indexed import IndexedEngine
from policypulse.text import normalise, tokens
from policypulse.query.parser import Phrase, parse

# --------------------------------------------------------------------------------------------------------
# The independent reference
# --------------------------------------------------------------------------------------------------------

# Invisible format characters: removed before tokenising (a soft hyphen inside a word does not split it).
# The zero-width space is a word break by intent and stays a separator.
INVISIBLE = frozenset(
    [0x00AD, 0x061C, 0x180E, 0xFEFF]
    + list(range(0x200C, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2065))
    + list(range(0x2066, 0x2070))
)


def ref_tokens(text: str) -> list[str]:
    """Tokens under the rule, char by char."""
    text = "".join(ch for ch in text if ord(ch) not in INVISIBLE)
    text = unicodedata.normalize("NFC", text).casefold().replace("i\u0307", "i")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isalnum():
            j = i
            # a combining mark after a letter belongs to its word (UAX #29), e.g. Indic vowel signs
            while j < n and (text[j].isalnum() or unicodedata.category(text[j]).startswith("M")):
                j += 1
            out.append(("#" if i > 0 and text[i - 1] == "#" else "") + text[i:j])
            i = j
        else:
            i += 1
    return out


# The reference's own query AST: ("phrase", tokens, prefix) | ("not", q) | ("and", [q...]) | ("or", [q...])
# | ("near", phrase, phrase, k).
RefQ = tuple


def _at(toks: list[str], i: int, phrase: RefQ) -> bool:
    _, want, prefix = phrase
    n = len(want)
    if i + n > len(toks):
        return False
    for j in range(n - 1):
        if toks[i + j] != want[j]:
            return False
    last = toks[i + n - 1]
    return last.startswith(want[-1]) if prefix else last == want[-1]


def phrase_occurrences(toks: list[str], phrase: RefQ) -> list[tuple[int, int]]:
    """Non-overlapping token spans [start, end) of a phrase, leftmost first."""
    out, i, n = [], 0, len(phrase[1])
    while i + n <= len(toks):
        if _at(toks, i, phrase):
            out.append((i, i + n))
            i += n
        else:
            i += 1
    return out


def near_occurrences(toks: list[str], a: RefQ, b: RefQ, k: int) -> list[tuple[int, int]]:
    """Non-overlapping NEAR pairs, leftmost first; at one start, ``a`` first, then the nearest partner."""
    out, i = [], 0
    while i < len(toks):
        found = None
        for first, second in ((a, b), (b, a)):
            if _at(toks, i, first):
                after = i + len(first[1])
                for j in range(after, min(after + k, len(toks)) + 1):
                    if _at(toks, j, second):
                        found = j + len(second[1])
                        break
            if found is not None:
                break
        if found is not None:
            out.append((i, found))
            i = found
        else:
            i += 1
    return out


def ref_matches(q: RefQ, toks: list[str]) -> bool:
    kind = q[0]
    if kind == "phrase":
        return any(_at(toks, i, q) for i in range(len(toks)))
    if kind == "near":
        return bool(near_occurrences(toks, q[1], q[2], q[3]))
    if kind == "not":
        return not ref_matches(q[1], toks)
    if kind == "and":
        return all(ref_matches(x, toks) for x in q[1])
    return any(ref_matches(x, toks) for x in q[1])


def ref_mentions(q: RefQ, toks: list[str]) -> int:
    kind = q[0]
    if kind == "phrase":
        return len(phrase_occurrences(toks, q))
    if kind == "near":
        return len(near_occurrences(toks, q[1], q[2], q[3]))
    if kind == "not":
        return 0
    return sum(ref_mentions(x, toks) for x in q[1])


# --------------------------------------------------------------------------------------------------------
# Strategies: texts with planted variants and near-misses, and queries
# --------------------------------------------------------------------------------------------------------

# Words of the texts (casefolded spelling). Several are near-misses of others: extended words, words run
# together, the hashtag beside the plain word.
TEXT_WORDS = [
    "big", "society", "bigger", "societies", "soc", "big's", "forward", "guidance", "guidances", "café",
    "naïve", "straße", "strasse", "κοινωνία", "πολιτικής", "社会", "2020", "٣", "x²", "#bigsociety",
    "#big", "bigsociety", "s", "new", "policy", "cuts", "the",
]
# Words of queries: one token each under the rule.
QUERY_WORDS = [
    "big", "society", "bigger", "societies", "soc", "s", "forward", "guidance", "café", "naïve", "straße",
    "κοινωνία", "πολιτικήσ", "社会", "2020", "٣", "x²", "#bigsociety", "#big", "bigsociety", "cuts", "the",
]

SEPARATORS = [
    " ", " ", " ", "  ", "-", "\u2014", "'s ", "\u2019s ", "'", "\n", "\r\n", "\t", "\u00a0", "\u2009", "\u3000",
    ", ", ". ", "/", "_", "\u200b", " #", "#", "", "(", ") ", "...", " & ", "\u00ad", "\u2066", "-\n",
]
# Invisible characters that may sit inside a word without splitting it.
INSIDE = ["\u00ad", "\u200d", "\u200c", "\u2060", "\ufeff", "\u2068"]


@st.composite
def surface(draw: st.DrawFn, word: str) -> str:
    """A surface variant of a word: case, decomposed accents, an invisible character inside."""
    style = draw(st.sampled_from(["lower", "upper", "title", "mixed"]))
    if style == "upper":
        w = word.upper()
    elif style == "title":
        w = word.title()
    elif style == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
        w = "".join(c.upper() if f else c for c, f in zip(word, flips))
    else:
        w = word
    if draw(st.integers(0, 5)) == 0:
        w = unicodedata.normalize("NFD", w)
    if len(w) >= 2 and draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(1, len(w) - 1))
        w = w[:cut] + draw(st.sampled_from(INSIDE)) + w[cut:]
    return w


@st.composite
def texts(draw: st.DrawFn, ascii_only: bool | None = None) -> str:
    """A text of words and separators; phrases from QUERY_WORDS are frequent by construction."""
    if ascii_only is None:
        ascii_only = draw(st.booleans())
    words = [w for w in TEXT_WORDS if w.isascii()] if ascii_only else TEXT_WORDS
    seps = [s for s in SEPARATORS if s.isascii()] if ascii_only else SEPARATORS
    n = draw(st.integers(0, 14))
    parts = []
    for _ in range(n):
        w = draw(st.sampled_from(words))
        parts.append(w if ascii_only and draw(st.booleans()) else draw(surface(w)))
        parts.append(draw(st.sampled_from(seps)))
    text = "".join(parts)
    if ascii_only:
        text = text.encode("ascii", "ignore").decode()
    return text


@st.composite
def phrases(draw: st.DrawFn) -> tuple[str, RefQ, list[str]]:
    """A phrase: (query text without quotes, reference phrase, the whole words it stands for)."""
    words = draw(st.lists(st.sampled_from(QUERY_WORDS), min_size=1, max_size=3))
    prefix = draw(st.integers(0, 4)) == 0
    rendered = []
    for w in words[:-1]:
        rendered.append(draw(surface(w)) if draw(st.booleans()) else w)
    last = words[-1]
    if prefix:
        lo = 2 if last.startswith("#") else 1
        cut = draw(st.integers(lo, len(last)))
        last = last[:cut]
        rendered.append(last.upper() if draw(st.booleans()) else last)
    else:
        rendered.append(draw(surface(last)) if draw(st.booleans()) else last)
    joiner = draw(st.sampled_from([" ", " ", "-", "  "]))
    text = joiner.join(rendered) + ("*" if prefix else "")
    ref_toks = []
    for r in rendered:
        t = ref_tokens(r)
        assume(len(t) == 1)
        ref_toks.append(t[0])
    return text, ("phrase", tuple(ref_toks), prefix), words


# Separators that keep a phrase together (any run of non-letters), and a few that do not.
INNER = [" ", "  ", "-", "\n", "\r\n", "\u00a0", ", ", " - ", "\u2014", "\t", "'s ", "", "\u00ad"]


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, tuple[str, RefQ]]:
    """A text holding the phrase of a plain query in surface variants (sometimes broken), and the query."""
    query, ref, words = draw(phrases())
    if draw(st.booleans()):
        query = '"' + query + '"'
    parts = [draw(texts())]
    for _ in range(draw(st.integers(1, 3))):
        parts.append(draw(st.sampled_from(SEPARATORS[:12])))
        parts.append(draw(st.sampled_from(INNER)).join(draw(surface(w)) for w in words))
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(["s", "er", "ies", "2"])))  # an extended last word
        parts.append(draw(st.sampled_from(SEPARATORS[:12])))
        parts.append(draw(texts()))
    return "".join(parts), (query, ref)


@st.composite
def planted_near(draw: st.DrawFn) -> tuple[str, tuple[str, RefQ]]:
    """A text of interleaved occurrences of two phrases and other words, and a NEAR/k query over them."""
    (qa, ra, wa), (qb, rb, wb) = draw(phrases()), draw(phrases())
    k = draw(st.integers(0, 3))
    segments = []
    for _ in range(draw(st.integers(2, 10))):
        choice = draw(st.integers(0, 2))
        words = wa if choice == 0 else wb if choice == 1 else [draw(st.sampled_from(TEXT_WORDS))]
        segments.append(draw(st.sampled_from(INNER[:6])).join(draw(surface(w)) for w in words))
    text = "".join(seg + draw(st.sampled_from(SEPARATORS[:12])) for seg in segments)
    return text, (f'NEAR/{k}("{qa}", "{qb}")', ("near", ra, rb, k))


def queries(max_leaves: int = 4) -> st.SearchStrategy[tuple[str, RefQ]]:
    """Query strings (fully parenthesised) with their reference ASTs."""
    quoted = phrases().map(lambda p: ('"' + p[0] + '"', p[1]))
    near = st.tuples(phrases(), phrases(), st.integers(0, 3)).map(
        lambda t: (f'NEAR/{t[2]}("{t[0][0]}", "{t[1][0]}")', ("near", t[0][1], t[1][1], t[2])))
    leaf = st.one_of(quoted, quoted, near)

    def extend(children: st.SearchStrategy[tuple[str, RefQ]]) -> st.SearchStrategy[tuple[str, RefQ]]:
        nots = children.map(lambda c: (f"NOT ({c[0]})", ("not", c[1])))
        ands = st.lists(children, min_size=2, max_size=3).map(
            lambda cs: ("(" + " AND ".join(c[0] for c in cs) + ")", ("and", [c[1] for c in cs])))
        ors = st.lists(children, min_size=2, max_size=3).map(
            lambda cs: ("(" + " OR ".join(c[0] for c in cs) + ")", ("or", [c[1] for c in cs])))
        return st.one_of(nots, ands, ors)

    return st.recursive(leaf, extend, max_leaves=max_leaves)


def plain_queries() -> st.SearchStrategy[tuple[str, RefQ]]:
    """A phrase alone, unquoted or quoted (a query with no operators is one phrase)."""
    return phrases().flatmap(lambda p: st.sampled_from([(p[0], p[1]), ('"' + p[0] + '"', p[1])]))


any_query = st.one_of(plain_queries(), queries())

# --------------------------------------------------------------------------------------------------------
# The rule itself
# --------------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts(), st.text(), st.text(alphabet=st.characters(max_codepoint=127))))
def test_tokens_follow_the_rule(text: str) -> None:
    assert tokens(text) == ref_tokens(text)
    norm, n = normalise(text)
    toks = ref_tokens(text)
    assert n == len(toks)
    assert norm == ("".join(f" {t} " for t in toks))


@pytest.mark.parametrize(
    "text",
    ["Big Society's", "big-society", "BIG\nSOCIETY", "the Big\u00a0Society", "big \u2014 society", "Big Soci\u00adety",
     "(big) (society)", "big_society", "big\r\n\r\nsociety", "big\u200bsociety", "big\u3000society", "BIG\tSOCIETY!"],
)
def test_design_examples_match(text: str) -> None:
    m = Matcher(parse("big society"))
    assert m.matches(normalise(text)[0]), text
    assert m.mentions(normalise(text)[0]) == 1


@pytest.mark.parametrize("text", ["big societies", "bigger society", "big new society", "bigsociety",
                                  "#bigsociety", "society big", "big#society", "big\u00adsociety"])
def test_design_near_misses_do_not_match(text: str) -> None:
    assert not Matcher(parse("big society")).matches(normalise(text)[0]), text


def test_hashtag_matches_the_hashtag_token_only() -> None:
    tag = Matcher(parse("#bigsociety"))
    word = Matcher(parse("bigsociety"))
    assert tag.matches(normalise("Join #BigSociety today")[0])
    assert not tag.matches(normalise("the bigsociety plan")[0])
    assert not word.matches(normalise("Join #BigSociety today")[0])
    assert tag.mentions(normalise("#bigsociety #BigSociety bigsociety ##BIGSOCIETY")[0]) == 3


def test_prefix_is_a_prefix_of_the_last_token_only() -> None:
    m = Matcher(parse("big soc*"))
    assert m.mentions(normalise("Big Society, big socialism, big soc, bigger society, big #society")[0]) == 3
    assert not Matcher(parse("soc*")).matches(normalise("#society asocial")[0])


def test_adjacent_one_token_occurrences_all_count() -> None:
    norm = normalise("cuts cuts CUTS-cuts")[0]
    assert Matcher(parse("cuts")).mentions(norm) == 4
    assert Matcher(parse("cuts cuts")).mentions(norm) == 2
    assert Matcher(parse("cuts cuts")).mentions(normalise("cuts cuts cuts")[0]) == 1


def test_near_counts_each_pair_once_nearest_partner_first() -> None:
    norm = normalise("cuts big cuts big")[0]
    assert Matcher(parse('NEAR/2("cuts", "big")')).mentions(norm) == 2
    assert Matcher(parse('NEAR/0("big", "cuts")')).mentions(norm) == 2
    assert not Matcher(parse('NEAR/1("big", "society")')).matches(normalise("big a b society")[0])
    assert Matcher(parse('NEAR/2("big", "society")')).matches(normalise("society, a b, BIG")[0])


def test_turkish_dotted_capital_i_matches_plain_i() -> None:
    # U+0130 casefolds to "i" plus a combining dot; the dot is dropped so "İstanbul" folds to "istanbul".
    assert tokens("İstanbul") == ["istanbul"]
    assert Matcher(parse("istanbul")).matches(normalise("in İSTANBUL today")[0])


def test_page_breaks_separate_words_in_stored_text() -> None:
    from policypulse.text import clean_text

    norm = normalise(clean_text("end of page\fBig Society\vplan\x1cnext"))[0]
    assert norm == " end  of  page  big  society  plan  next "


def test_combining_marks_stay_inside_words() -> None:
    assert tokens("नीति आयोग") == ["नीति", "आयोग"]
    assert tokens("مَدْرَسَة كبيرة") == ["مَدْرَسَة", "كبيرة"]
    assert tokens("\u0301abc") == ["abc"]  # a mark with no letter before it starts no token


def test_mark_ranges_are_current() -> None:
    from policypulse._marks import MARK_RANGES, UNIDATA_VERSION

    marks = [c for c in range(0x110000) if unicodedata.category(chr(c)).startswith("M")]
    listed = [c for a, b in MARK_RANGES for c in range(a, b + 1)]
    assert UNIDATA_VERSION == unicodedata.unidata_version and listed == marks


# --------------------------------------------------------------------------------------------------------
# Matcher and SQL against the reference
# --------------------------------------------------------------------------------------------------------

_con = duckdb.connect(":memory:")


def sql_counts(query: str, norm: str) -> tuple[bool, int]:
    node = parse(query)
    row = _con.execute(
        f"SELECT {to_sql(node)}, {mentions_sql(node)} FROM (SELECT ?::VARCHAR AS norm)", [norm]).fetchone()
    assert row is not None
    return bool(row[0]), int(row[1])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.tuples(texts(), any_query), planted(), planted_near()))
def test_matcher_and_sql_agree_with_reference(case: tuple[str, tuple[str, RefQ]]) -> None:
    text, (query, ref) = case
    toks = ref_tokens(text)
    want = (ref_matches(ref, toks), ref_mentions(ref, toks))
    norm = normalise(text)[0]
    m = Matcher(parse(query))
    assert (m.matches(norm), m.mentions(norm)) == want, (query, text, toks)
    assert sql_counts(query, norm) == want, (query, text, toks)


@settings(max_examples=150, deadline=None)
@given(st.one_of(planted(), st.tuples(texts(), plain_queries())))
@example(("le cafe\u0301 noir", ("café", ("phrase", ("café",), False))))  # decomposed accent (macOS text)
@example(("in İSTANBUL today", ("İstanbul", ("phrase", ("istanbul",), False))))  # casefold lengthens İ
@example(("die STRASSE und die Straße", ("straße", ("phrase", ("strasse",), False))))
@example(("Big Soci\u00adety's plan", ('"big society"', ("phrase", ("big", "society"), False))))
def test_kwic_lines_are_the_reference_occurrences(case: tuple[str, tuple[str, RefQ]]) -> None:
    text, (query, ref) = case
    node = parse(query)
    assert isinstance(node, Phrase)
    doc = pd.DataFrame([{"doc_id": "d", "date": dt.date(2001, 1, 1), "source": "s", "title": None, "text": text}])
    lines = kwic_lines(doc, node, width=10, limit=1000)
    occ = phrase_occurrences(ref_tokens(text), ref)
    assert len(lines) == len(occ), (query, text)
    for match in lines["match"]:
        # Each matched surface, read back through the rule, is one occurrence of the phrase.
        assert len(phrase_occurrences(ref_tokens(match), ref)) == 1, (query, text, match)


# --------------------------------------------------------------------------------------------------------
# The whole path: ingest -> store -> DuckDB engine, built once for a batch of generated documents
# --------------------------------------------------------------------------------------------------------

DAY0 = dt.date(2001, 1, 1)


@dataclass
class _Batch:
    texts: list[str]
    queries: list[tuple[str, RefQ]]


def _collect(n_docs: int, n_queries: int) -> _Batch:
    batch = _Batch([], [])

    @settings(max_examples=n_docs, deadline=None, database=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(planted(), planted_near(), st.tuples(texts(), any_query)), q=any_query)
    def gather(case: tuple[str, tuple[str, RefQ]], q: tuple[str, RefQ]) -> None:
        text, q2 = case
        batch.texts.append(text)
        if q2[0] not in {x[0] for x in batch.queries} and len(batch.queries) < n_queries:
            batch.queries.append(q2)
        if len(batch.queries) < n_queries and q[0] not in {x[0] for x in batch.queries}:
            batch.queries.append(q)

    gather()
    return batch


@pytest.fixture(scope="module")
def batch_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, _Batch, list[tuple[dt.date, str]]]:
    """Generated documents ingested once, every document on its own day; the queries to run on them."""
    batch = _collect(n_docs=200, n_queries=120)
    assert len(batch.texts) >= 150 and len(batch.queries) >= 60
    # Three sources, and a last word so that no document is empty of tokens.
    records, docs = [], []
    for i, text in enumerate(batch.texts):
        body = text + "\n\nfin"
        day = DAY0 + dt.timedelta(days=i)
        records.append({"id": f"d{i}", "date": day.isoformat(), "source": f"s{i % 3}", "text": body})
        docs.append((day, body))
    root = tmp_path_factory.mktemp("matching")
    src = root / "docs.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    # Generated texts are alike by design: near-duplicate folding would (rightly) merge some of them.
    from policypulse.corpus.neardup import NearDupConfig

    report = policypulse.ingest(root / "store", [src], fmt="jsonl", near_duplicates=NearDupConfig(enabled=False))
    assert report.accepted == len(records) and not report.rejected and report.duplicates == 0
    with policypulse.open(root / "store") as corpus:
        stored = corpus.engine.con.execute("SELECT doc_id, text FROM docs").fetchall()
    assert dict(stored) == {r["id"]: r["text"] for r in records}  # nothing altered the texts on the way in
    return root / "store", batch, docs


def _spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    from policypulse.query.engines.spark import java_available

    return java_available() is not None


@pytest.mark.parametrize("engine", [
    "duckdb",  # with the token index, which ingest builds
    "scan",  # the DuckDB scan without the index (the fallback every query can take)
    pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.skipif(not _spark_available(),
                                                                        reason="needs PySpark and Java")]),
])
def test_engine_counts_agree_with_reference(batch_store: tuple[Path, _Batch, list[tuple[dt.date, str]]],
                                            engine: str) -> None:
    store, batch, docs = batch_store
    ideas = [policypulse.Idea(f"q{j}", (query,)) for j, (query, _) in enumerate(batch.queries)]
    with policypulse.open(store, engine="duckdb" if engine == "scan" else engine) as corpus:
        if engine == "scan":
            corpus.engine = DuckDBEngine(corpus.store, corpus.version)
        elif engine == "duckdb":
            assert isinstance(corpus.engine, IndexedEngine)
        daily = corpus.engine.counts(ideas, "day")
        monthly = corpus.track(ideas, by="month")

    got = {(r.idea, pd.Timestamp(r.period).date()): (r.docs, r.mentions) for r in daily.itertuples()}
    want_month: dict[tuple[str, dt.date], list[int]] = {}
    disagreements = []
    for j, (query, ref) in enumerate(batch.queries):
        for day, body in docs:
            toks = ref_tokens(body)
            matched = ref_matches(ref, toks)
            want = (1, ref_mentions(ref, toks)) if matched else None
            have = got.get((f"q{j}", day))
            if have != want:
                disagreements.append((query, body, want, have))
            acc = want_month.setdefault((f"q{j}", day.replace(day=1)), [0, 0])
            if matched:
                acc[0] += 1
                acc[1] += ref_mentions(ref, toks)
    assert not disagreements, disagreements[:5]
    have_month = {(r.idea, r.period.date()): [r.docs, r.mentions] for r in monthly.itertuples()}
    assert have_month == want_month
    assert sum(v[0] for v in want_month.values()) > len(batch.queries)  # the queries do match things
