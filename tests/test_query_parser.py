"""The query language: precedence, parentheses, NEAR/k, prefixes, hashtags, and errors that name the column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policypulse.errors import QuerySyntaxError, UsageError
from policypulse.query.ideas import Idea, idea_from_query, load_ideas
from policypulse.query.parser import And, Near, Node, Not, Or, Phrase, parse, positive_leaves


def P(*toks: str, prefix: bool = False) -> Phrase:
    return Phrase(tuple(toks), prefix)


# --- phrases ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("big society", P("big", "society")),
        ('"big society"', P("big", "society")),
        ("  Big   SOCIETY  ", P("big", "society")),
        ("Big-Society's", P("big", "society", "s")),
        ('"big\nsociety"', P("big", "society")),
        ("#BigSociety", P("#bigsociety")),
        ('"#bigsociety"', P("#bigsociety")),
        ("soc*", P("soc", prefix=True)),
        ('"big soc*"', P("big", "soc", prefix=True)),
        ("big soc*", P("big", "soc", prefix=True)),
        ("#big*", P("#big", prefix=True)),
        ("Straße", P("strasse")),
        ("ÉNERGIE citoyenne", P("énergie", "citoyenne")),
        ("big or small", P("big", "or", "small")),  # operators are upper case: this is one phrase
        ("ORANGE ANDROID NOTE", P("orange", "android", "note")),  # operator letters inside words
        ("NEAR/3x", P("near", "3x")),
    ],
)
def test_phrases(query: str, expected: Phrase) -> None:
    assert parse(query) == expected


# --- operators and precedence -------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    a, b, c = P("a"), P("b"), P("c")
    assert parse('"a" OR "b" AND "c"') == Or((a, And((b, c))))
    assert parse('"a" AND "b" OR "c"') == Or((And((a, b)), c))


def test_not_binds_tightest() -> None:
    assert parse('NOT "a" AND "b"') == And((Not(P("a")), P("b")))
    assert parse('"a" OR NOT "b"') == Or((P("a"), Not(P("b"))))
    assert parse('NOT NOT "a"') == Not(Not(P("a")))


def test_chains_are_flat() -> None:
    assert parse('"a" OR "b" OR "c"') == Or((P("a"), P("b"), P("c")))
    assert parse('"a" AND "b" AND "c"') == And((P("a"), P("b"), P("c")))


def test_parentheses_override_precedence() -> None:
    assert parse('("a" OR "b") AND "c"') == And((Or((P("a"), P("b"))), P("c")))
    assert parse('NOT ("a" OR "b")') == Not(Or((P("a"), P("b"))))
    assert parse('(("a"))') == P("a")


def test_unquoted_words_between_operators_are_phrases() -> None:
    assert parse("big society OR forward guidance") == Or((P("big", "society"), P("forward", "guidance")))
    assert parse('"big society" AND NOT network') == And((P("big", "society"), Not(P("network"))))


def test_near() -> None:
    assert parse('NEAR/3("big society", cuts)') == Near(P("big", "society"), P("cuts"), 3)
    assert parse("NEAR/0(big, soc*)") == Near(P("big"), P("soc", prefix=True), 0)
    assert parse("NEAR/12 ( big , cuts )") == Near(P("big"), P("cuts"), 12)
    assert parse('NEAR/2(a, b) OR "c"') == Or((Near(P("a"), P("b"), 2), P("c")))
    assert parse('NOT NEAR/2(a, b)') == Not(Near(P("a"), P("b"), 2))


def test_positive_leaves_skip_negated_phrases() -> None:
    node = parse('("a" OR NEAR/1(b, c)) AND NOT ("d" OR "e")')
    assert positive_leaves(node) == [P("a"), Near(P("b"), P("c"), 1)]


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ('"big society', "expected a closing quote", 13),
        ('big "society', "expected a closing quote", 13),
        ('cuts AND "big society', "expected a closing quote", 22),
        ("", "empty query", 1),
        ("   ", "empty query", 1),
        ("OR", "expected a phrase, found 'OR'", 1),
        ("AND", "expected a phrase, found 'AND'", 1),
        ("NOT", "expected a phrase", 4),
        ("big OR", "expected a phrase", 7),
        ('"big society" AND', "expected a phrase", 18),
        ("big OR OR cuts", "expected a phrase, found 'OR'", 8),
        ("AND big", "expected a phrase, found 'AND'", 1),
        ('("a" OR "b"', "expected a closing parenthesis", 12),
        ("(big", "expected a closing parenthesis", 5),
        ('"a")', "unexpected ')'", 4),
        (")", "expected a phrase, found ')'", 1),
        ('"big society" cuts', "unexpected 'cuts'", 15),
        ('NEAR/3("a" "b")', "expected ',' between the two phrases of NEAR", 12),
        ('NEAR/3("a", "b"', "expected a closing parenthesis", 16),
        ("NEAR/3", "expected '(' after NEAR/k", 7),
        ("big NEAR/3 society", "unexpected 'NEAR/3' (write NEAR/3(a, b))", 5),
        ("NEAR/2(big, (a OR b))", "expected a phrase", 13),
        ("big*society", "'*' is allowed only at the end of the last word", 4),
        ('"big*society"', "'*' is allowed only at the end of the last word", 5),
        ("big   soc*x", "'*' is allowed only at the end of the last word", 10),
        ('cuts AND "big soc*iety"', "'*' is allowed only at the end of the last word", 18),
        ('"big -*"', "'*' must follow a word", 7),
        ("big -*", "'*' must follow a word", 6),
        ('""', "expected words in the phrase", 1),
        ('cuts OR "  "', "expected words in the phrase", 9),
        ("-", "expected words in the phrase", 1),
        ("#*", "expected words in the phrase", 1),
    ],
)
def test_syntax_errors_name_the_column(query: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    exc = info.value
    assert exc.column == column
    assert f"{message} at column {column}" in str(exc)
    assert exc.query == query
    assert "\n" not in str(exc)  # one line on stderr
    assert isinstance(exc, UsageError)  # exit code 2 on the command line


# --- properties ---------------------------------------------------------------------------------------

TOKENS = ["big", "society", "#bigsociety", "soc", "café", "2020", "κοινωνία", "x"]


def _phrase_st() -> st.SearchStrategy[Phrase]:
    return st.builds(lambda toks, prefix: Phrase(tuple(toks), prefix),
                     st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3), st.booleans())


def _node_st() -> st.SearchStrategy[Node]:
    leaf = st.one_of(_phrase_st(), st.builds(Near, _phrase_st(), _phrase_st(), st.integers(0, 20)))
    return st.recursive(leaf, lambda kids: st.one_of(
        st.builds(Not, kids),
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
    ), max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(_node_st())
def test_printed_ast_parses_back_to_itself(node: Node) -> None:
    assert parse(str(node)) == node


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('ab *#"(),-') + ["OR", "AND", "NOT", "NEAR/2", " OR ", " AND "]),
               max_size=20).map("".join))
def test_any_input_parses_or_names_a_column_inside_it(query: str) -> None:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        assert 1 <= exc.column <= len(query) + 1
        assert f"at column {exc.column}" in str(exc)


# --- ideas --------------------------------------------------------------------------------------------


def test_idea_from_query_is_its_own_single_alias() -> None:
    idea = idea_from_query("big society")
    assert (idea.name, idea.aliases, idea.exclude) == ("big society", ("big society",), ())
    assert idea.query == P("big", "society")


def test_idea_query_ors_aliases_and_excludes_exclusions() -> None:
    idea = Idea("Big Society", ("big society", "#bigsociety"), ("big society network", "network*"))
    assert idea.query == And((Or((P("big", "society"), P("#bigsociety"))),
                              Not(Or((P("big", "society", "network"), P("network", prefix=True))))))


def test_ideas_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "ideas.yaml"
    f.write_text("ideas:\n  - name: Big Society\n    aliases: [\"big society\", \"#bigsociety\"]\n"
                 "    exclude: [\"big society network\"]\n  - name: forward guidance\n", encoding="utf-8")
    ideas = load_ideas(f)
    assert [i.name for i in ideas] == ["Big Society", "forward guidance"]
    assert ideas[0].exclude == ("big society network",)
    assert ideas[1].aliases == ("forward guidance",)


def test_ideas_file_syntax_error_names_idea_and_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "ideas.yaml"
    f.write_text('ideas:\n  - name: Broken\n    aliases: [\'"big society\']\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"idea 'Broken': expected a closing quote at column 13"):
        load_ideas(f)
