"""Issue 18: phrase candidates a reader accepts, gamma-Poisson births, calibrated precedents (small real-like texts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import policypulse
from policypulse.cli import main
from policypulse.errors import UsageError
from policypulse.discover.common import idea_mask, neglog10_gamma_poisson_sf, neglog10_poisson_sf, phrase_index, phrase_kinds
from policypulse.discover.ngrams import token_flags
from policypulse.query.matching import normalise


def test_token_flags_mark_sentence_starts_and_capitals_aligned_with_the_stored_tokens() -> None:
    texts = ["Mr. Speaker, the Great Society works. It is here!\n\nNew deal for the U.S. Congress today",
             "plain words only", "Ünïcode Wörds. Zwei"]
    table = pa.table({"text": texts, "norm": [normalise(t)[0] for t in texts]})
    lists = pc.split_pattern(pc.utf8_trim(table.column("norm").combine_chunks(), " "), "  ")
    brk, cap = token_flags(table, lists.offsets.to_numpy())
    words = lists.flatten().to_pylist()
    starts = [w for w, b in zip(words, brk) if b]
    assert starts == ["mr", "it", "new", "plain", "ünïcode", "zwei"]  # no break after "Mr." or "U.S."
    capital = {w for w, c in zip(words, cap) if c}
    assert {"great", "society", "speaker", "congress", "wörds"} <= capital and "works" not in capital


def test_gamma_poisson_is_less_certain_than_poisson_when_the_earlier_rate_is_thin() -> None:
    # 6 documents in 10 after 1 in 100: a Poisson test at the plug-in rate is far more certain than a
    # predictive that carries the rate's uncertainty (and the two agree as the earlier evidence grows)
    thin = neglog10_gamma_poisson_sf(6, 1, 100, 10)
    plug = neglog10_poisson_sf(np.array(6.0), np.array(1 / 100 * 10))
    assert 0 < thin < plug
    rich = neglog10_gamma_poisson_sf(6, 10_000, 1_000_000, 10)
    assert abs(rich - neglog10_poisson_sf(np.array(6.0), np.array(0.1))) < 0.05 * rich


PROGRAMME = ["We will expand the Clean Rivers Program to every county.", "The Clean Rivers Program cleans the water.",
             "Thanks to the Clean Rivers Program our lakes are safe.", "I ask you to fund the Clean Rivers Program.",
             "Every county. The Clean Rivers Program works."]
GUEST = ["Tonight we honor our guest, Mrs. Jane Doakes.", "Jane Doakes is with us tonight.",
         "Please welcome Jane Doakes of Ohio.", "Mrs. Doakes served her town.", "Thank you, Jane Doakes."]


def _speeches(tmp_path: Path) -> Path:
    """Yearly speeches: a salutation and a sign-off in every one, a guest named in some, a programme born."""
    rng = np.random.default_rng(3)
    filler = ("the economy grew and the budget was balanced while the army and the navy kept the peace "
              "across the land and the farms and factories prospered in every state of the union").split()
    lines = []
    for year in range(1950, 2000):
        body = []
        for _ in range(40):
            words = list(rng.choice(filler, 12))
            body.append(" ".join(words).capitalize() + ".")
        if year >= 1985:
            body.insert(10, " ".join(rng.choice(PROGRAMME, 2, replace=False)))
        if year >= 1990:
            body.insert(20, " ".join(rng.choice(GUEST, 2, replace=False)))
        text = ("Mr. Speaker, Mr. Vice President, distinguished members of Congress: " + " ".join(body)
                + " Thank you, God bless you, and God bless America.")
        lines.append(json.dumps({"id": f"s{year}", "date": f"{year}-01-20", "source": "speeches", "text": text}))
    path = tmp_path / "speeches.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", str(store), str(path)]) == 0
    return store


def test_kinds_keep_salutations_names_and_scraps_out_of_the_ideas(tmp_path: Path) -> None:
    from policypulse.discover import emerging

    store = _speeches(tmp_path)
    with policypulse.open(store) as c:
        ix = phrase_index(c)
        kinds, why = phrase_kinds(ix)
        kind = {p: kinds[i] for i, p in enumerate(ix.phrases["phrase"])}
        assert kind["god bless america"] == "boilerplate" and kind["distinguished members"] == "boilerplate"
        assert kind["jane doakes"] == "name"
        assert kind["clean rivers program"] == "idea"
        crossing = [p for p in kind if p.startswith("county the")]  # "Every county. The Clean Rivers ..."
        assert crossing and all(kind[p] == "scrap" for p in crossing), {p: kind[p] for p in crossing}
        df = emerging(c, date_from="1980-01-01", date_to="1995-12-31", by="year", limit=10, n_boot=0)
        top = list(df["phrase"])
        assert top[0] == "clean rivers program", top
        assert "jane doakes" not in top and not any("bless" in p for p in top)
        row = df.iloc[0]
        assert row["explanation"].startswith("born 1985, never used before") and "gamma-Poisson" in row["explanation"]
        jane = ix.phrase_id("jane doakes")
        assert idea_mask(ix, include_names=True)[jane] and not idea_mask(ix)[jane]


def test_obituaries_can_be_limited_to_deaths_in_a_window(tmp_path: Path) -> None:
    from policypulse.discover import obituaries

    store = _speeches(tmp_path)
    with policypulse.open(store) as c:
        with pytest.raises(UsageError):
            obituaries(c, by="year", died_from="1990-01-01", died_to="1980-01-01")
        df = obituaries(c, by="year", died_from="1990-01-01", died_to="1999-12-31", n_boot=0)
        for last in df["last_mention"]:
            assert dt.date(1990, 1, 1) <= dt.date.fromisoformat(str(last)) <= dt.date(1999, 12, 31)
        assert all(isinstance(x, str) and x.startswith("peaked") for x in df["explanation"])


def test_era_null_tail_is_a_survival_function() -> None:
    from policypulse.precedents.retrieve import NULL_BINS, EraNull

    null = EraNull.__new__(EraNull)
    null.weights = np.array([[1.0, 1.0, 2.0]])
    null.total = null.weights.sum(axis=1)
    null.share = np.array([[0.5, 0.5, 0.1]])
    null._tails = {}
    tail = null._tail(0)
    assert tail[0] == pytest.approx(1.0)
    assert np.all(np.diff(tail) <= 1e-12)
    # all three terms present (strength 1) under independence: 0.5 * 0.5 * 0.1
    assert tail[NULL_BINS] == pytest.approx(0.025)
    # at least half the weight: the 2-weight term alone, or both 1-weight terms
    assert tail[NULL_BINS // 2] == pytest.approx(1 - (1 - 0.1) * (1 - 0.25))


def test_the_default_emerging_window_holds_the_last_twelve_periods_with_documents(tmp_path: Path) -> None:
    from policypulse.discover import emerging

    store = _speeches(tmp_path)  # one speech a year, 1950-1999: eleven of the last twelve months are empty
    with policypulse.open(store) as c:
        df = emerging(c, by="month", n_boot=0)
        prov = df.attrs["provenance"]["parameters"] if "parameters" in df.attrs["provenance"] else df.attrs["provenance"]
        assert (prov["date_from"], prov["date_to"]) == ("1988-01-01", "1999-01-01")
        # the guest named from 1990 on is born in that window: listed with names, never without
        named = emerging(c, by="month", n_boot=0, include_names=True)
        assert "jane doakes" in list(named["phrase"]) and "jane doakes" not in list(df["phrase"])


def test_titles_names_at_the_end_groups_and_labels_are_not_ideas(tmp_path: Path) -> None:
    lines = []
    for year in range(1980, 1992):
        text = ("Mr. Speaker, members of Congress. The Clean Rivers Program works in every county. We thank Senators "
                "Smith and Jones for it. Today Democrats and Republicans agree on the Clean Rivers Program. "
                "Thank you, Michelle and Jane Doakes. Mrs. Doakes served her town, and Mrs. Doakes is here. "
                "Audience member. Yes! We will keep the Clean Rivers Program strong. God bless America.")
        lines.append(json.dumps({"id": f"k{year}", "date": f"{year}-01-20", "source": "speeches", "text": text}))
    path = tmp_path / "k.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", str(store), str(path)]) == 0
    with policypulse.open(store) as c:
        ix = phrase_index(c)
        kinds, why = phrase_kinds(ix)
        kind = {p: (kinds[i], why[i]) for i, p in enumerate(ix.phrases["phrase"])}
        assert kind["senators smith and jones"][0] == "name"  # a title opens it
        assert kind["michelle and jane doakes"][0] == "name"  # it ends in one
        assert kind["democrats and republicans"][0] == "people"
        assert kind["clean rivers program"][0] == "idea"
        assert kind["audience member"][0] == "boilerplate"  # a transcript's label: always opens a sentence


def test_distinct_contexts_count_a_reprinted_passage_once() -> None:
    from policypulse.discover.ngrams import PROPS_COLUMNS, count_table

    reprint = "Last year we began to fund the ocean survey of the northern coast with care."
    fresh = ["Farmers asked for a river grant in spring.", "The river grant helped towns.",
             "No river grant reached the hills before."]
    texts = [f"Opening words number {i}. {reprint} {fresh[i]} Closing words number {i}." for i in range(3)]
    table = pa.table({"norm": pa.array([normalise(t)[0] for t in texts], pa.large_string()),
                      "date": pa.array([dt.date(2000 + i, 1, 1) for i in range(3)], pa.date32()),
                      "date_precision": pa.array(["day"] * 3), "date_source": pa.array(["field"] * 3),
                      "text": pa.array(texts)})
    sk = count_table(table, min_docs=1).sketches.to_pylist()
    props = {r["phrase"]: r for r in sk}
    assert "ctx" in PROPS_COLUMNS
    assert (props["ocean survey"]["occ"], props["ocean survey"]["ctx"]) == (3, 1)  # one passage, three copies
    assert (props["river grant"]["occ"], props["river grant"]["ctx"]) == (3, 3)  # said afresh each time


def test_general_nouns_lists_numbers_and_the_audience_are_not_ideas() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from policypulse.discover.common import head_word
    from policypulse.discover.ngrams import PROPS_COLUMNS

    assert head_word("war on poverty".split()) == "war"
    assert head_word("matter of fact".split()) == "matter"
    assert head_word("good thing".split()) == "thing"
    cases = {"good thing": "scrap", "matter of fact": "scrap", "careful consideration": "scrap",
             "people as a whole": "people", "shops or farms": "scrap", "96th congress": "boilerplate",
             "fiftieth anniversary": "word", "hundred and fifty": "word", "congress to enact": "boilerplate",
             "third way": "idea", "war on poverty": "idea", "six great goals": "idea", "point four": "idea",
             "war effort": "scrap", "new world order": "idea", "congress": "idea", "dutch voters": "people",
             "september the 11th": "word", "30th day of june": "word", "first step act": "idea"}
    phrases = list(cases)
    n = [len(p.split()) for p in phrases]
    props = pd.DataFrame(0, index=range(len(phrases)), columns=list(PROPS_COLUMNS))
    props["occ"] = props["mid"] = props["ctx"] = 10
    # "congress" opens (or closes) 60 of the corpus's 100 documents: the audience addressed
    props.loc[phrases.index("congress"), ["edge", "cap"]] = [60, 10]
    props.loc[phrases.index("96th congress"), "cap"] = 10
    ix = SimpleNamespace(phrases=pd.DataFrame({"phrase": phrases, "n": n, "docs": [60] * len(phrases)}),
                         props=props, meta={"documents": 100})
    kinds, why = phrase_kinds(ix)
    got = dict(zip(phrases, kinds))
    assert got == cases, {p: (got[p], w) for p, w in zip(phrases, why) if got[p] != cases[p]}


def test_a_fresh_count_is_rounded_to_whole_documents_before_the_minimum() -> None:
    from policypulse.discover.common import enough_docs

    # three addresses, one of eleven contexts repeated (2.75 fresh documents): still three statements;
    # one passage reprinted in two of three documents (2.0): two
    assert enough_docs(np.array([3 * 11 / 12, 3 * 2 / 3, 3.0]), 3).tolist() == [True, False, True]


def _century_of_addresses(tmp_path: Path, seed: int,
                           add: Callable[[int, list[str], np.random.Generator], None]) -> Path:
    """A store of one address a year, 1900-1999, of 40 filler sentences; `add` puts a year's own sentences in."""
    rng = np.random.default_rng(seed)
    filler = ("the economy grew and the budget was balanced while the army and the navy kept the peace "
              "across the land and the farms and factories prospered in every state of the union").split()
    lines = []
    for year in range(1900, 2000):
        body = [" ".join(rng.choice(filler, 12)).capitalize() + "." for _ in range(40)]
        add(year, body, rng)
        lines.append(json.dumps({"id": f"s{year}", "date": f"{year}-01-20", "text": " ".join(body)}))
    path = tmp_path / "speeches.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", str(store), str(path)]) == 0
    return store


def test_a_programme_of_three_addresses_with_one_repeated_sentence_is_still_born(tmp_path: Path) -> None:
    from policypulse.discover import emerging

    said = {1990: ["Farmers asked for the harbor bridge fund in spring.", "The harbor bridge fund helped towns.",
                   "We thank the harbor bridge fund for roads."],
            1991: ["No harbor bridge fund reached the hills before.", "Our harbor bridge fund builds ports.",
                   "We thank the harbor bridge fund for roads."],  # the same sentence as in 1990
            1992: ["Mayors praise the harbor bridge fund now.", "A harbor bridge fund for every coast.",
                   "Congress doubled the harbor bridge fund at last."]}

    def add(year: int, body: list[str], rng: np.random.Generator) -> None:
        for k, sentence in enumerate(said.get(year, [])):
            body.insert(5 + 10 * k, sentence)

    with policypulse.open(_century_of_addresses(tmp_path, 5, add)) as c:
        ix = phrase_index(c)
        from policypulse.discover.common import fresh_share

        pid = ix.phrase_id("harbor bridge fund")
        assert pid is not None and 3 * fresh_share(ix)[pid] < 3  # a repeated context: fewer than 3 fresh
        df = emerging(c, date_from="1989-01-01", date_to="1993-12-31", by="year", limit=10, n_boot=0)
        assert "harbor bridge fund" in list(df["phrase"]), list(df["phrase"])


def test_a_five_word_name_listed_as_two_chained_pieces_is_joined(tmp_path: Path) -> None:
    from policypulse.discover import emerging

    name = ["Ships need the Department of Harbors and Rivers.", "We fund the Department of Harbors and Rivers.",
            "Ports are deep thanks to the Department of Harbors and Rivers.", "I praise the Department of Harbors and Rivers.",
            "Towns ask more of the Department of Harbors and Rivers.", "Mayors trust the Department of Harbors and Rivers."]

    def add(year: int, body: list[str], rng: np.random.Generator) -> None:
        if year >= 1985:
            body.insert(8, " ".join(rng.choice(name, 2, replace=False)))

    with policypulse.open(_century_of_addresses(tmp_path, 11, add)) as c:
        ix = phrase_index(c)
        assert ix.phrase_id("department of harbors and rivers") is None  # five tokens: never counted
        df = emerging(c, date_from="1980-01-01", date_to="1994-12-31", by="year", limit=10, n_boot=0)
        top = list(df["phrase"])
        assert top[0] == "department of harbors and rivers", top
        assert "department of harbors" not in top and "harbors and rivers" not in top
        row = df.iloc[0]
        assert str(row["first_mention"]).startswith("1985") and row["explanation"].startswith("born 1985")


def test_the_succession_window_starts_no_earlier_than_the_old_ideas_peak() -> None:
    import importlib

    import pandas as pd

    succ = importlib.import_module("policypulse.discover.successors")
    periods = pd.date_range("1940-01-01", "2020-01-01", freq="YS")
    docs = np.zeros(len(periods), dtype=np.int64)
    year = {int(p.year): i for i, p in enumerate(periods)}
    for y in range(1960, 1981):
        docs[year[y]] = max(1, 10 - abs(y - 1965))  # rises to 1965, falls to 1980
    life = {"peak": "1965-01-01", "first_mention": "1960-01-01", "last_mention": "1980-01-01",
            "status": "dead", "phases": [{"phase": "decline", "start": "1970-01-01", "end": "1980-12-31"}]}
    ds, de, ws, we = succ.succession_window(docs, periods, life, "year")
    assert (periods[ds].year, periods[de].year) == (1970, 1980)
    # tau = 10 years would open the window in 1960, while the old idea was still rising: phrases born then
    # grew up beside it (companions), so the window opens at its peak
    assert periods[ws].year == 1965
    assert periods[we].year == 2010


def test_a_generic_expression_is_told_from_a_name_by_how_the_corpus_uses_it() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from policypulse.discover.common import termhood
    from policypulse.discover.ngrams import PROPS_COLUMNS

    # four phrases of 40 documents in a corpus of 200: a generic expression (lowercase, once per document,
    # half function words, common words); the same said twice per document of its rare words (a programme's
    # lowercase name); the generic expression inside one passage reprinted in every document; and a
    # capitalised name (proper: the termhood rule does not apply to it)
    phrases = ["side of the water", "pure food", "people who live", "water", "side", "pure", "food",
               "people", "live", "Clean Rivers".lower()]
    n = [len(p.split()) for p in phrases]
    docs = [40, 40, 40, 150, 150, 10, 12, 180, 150, 40]
    occ = [40, 80, 40, 400, 400, 12, 14, 900, 300, 80]
    props = pd.DataFrame(0, index=range(len(phrases)), columns=list(PROPS_COLUMNS))
    props["occ"] = props["mid"] = props["ctx"] = occ
    props.loc[phrases.index("people who live"), "ctx"] = 4  # one passage's contexts, reprinted
    props.loc[phrases.index("clean rivers"), "cap"] = 80  # capitalised in every use inside a sentence
    ix = SimpleNamespace(phrases=pd.DataFrame({"phrase": phrases, "n": n, "docs": docs, "occ": occ}),
                         props=props, meta={"documents": 200})
    th = dict(zip(phrases, termhood(ix)))
    assert th["side of the water"] < 0.3 < th["pure food"], th
    assert th["people who live"] < th["side of the water"]
    kinds, why = phrase_kinds(ix)
    got = dict(zip(phrases, kinds))
    assert got["side of the water"] == "scrap" and "generic expression" in why[0]
    assert got["pure food"] == "idea" and got["clean rivers"] == "idea"


def test_a_nations_adjective_and_its_people_are_not_ideas_but_a_plural_country_is() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from policypulse.discover.ngrams import PROPS_COLUMNS

    # "the Afghan people" makes "Afghan" an adjective and the rarer "Afghans" its people; "the Philippine
    # people" makes "Philippine" one, but "the Philippines", more frequent than it, is a country
    docs = {"afghan": 15, "afghan people": 5, "afghans": 3, "philippine": 23, "philippine people": 4,
            "philippines": 35, "cuba": 40}
    phrases = list(docs)
    props = pd.DataFrame(0, index=range(len(phrases)), columns=list(PROPS_COLUMNS))
    props["occ"] = props["mid"] = props["ctx"] = props["cap"] = [2 * d for d in docs.values()]
    ix = SimpleNamespace(phrases=pd.DataFrame({"phrase": phrases, "n": [len(p.split()) for p in phrases],
                                               "docs": list(docs.values())}),
                         props=props, meta={"documents": 200})
    kinds, why = phrase_kinds(ix)
    got = dict(zip(phrases, kinds))
    assert got["afghan"] == "word" and got["philippine"] == "word", got
    assert got["afghans"] == "people" and "plural of 'afghan'" in why[phrases.index("afghans")]
    assert got["philippines"] == "idea" and got["cuba"] == "idea"


def test_a_capitalised_name_of_several_words_is_weighted_in_emerging(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from policypulse.discover.common import proper_names

    em_mod = importlib.import_module("policypulse.discover.emerging")  # the module (the package exports the function)

    store = _speeches(tmp_path)
    with policypulse.open(store) as c:
        ix = phrase_index(c)
        named = proper_names(ix)
        assert named[ix.phrase_id("clean rivers program")]
        assert not named[ix.phrase_id("distinguished members")]  # lowercase in the salutation
        base = em_mod.emerging(c, date_from="1980-01-01", date_to="1995-12-31", by="year", limit=10, n_boot=0)
        monkeypatch.setattr(em_mod, "NAME_WEIGHT", 1.0)
        plain = em_mod.emerging(c, date_from="1980-01-01", date_to="1995-12-31", by="year", limit=10, n_boot=0)
    b = dict(zip(base["phrase"], base["score"]))
    p = dict(zip(plain["phrase"], plain["score"]))
    assert b["clean rivers program"] == pytest.approx(1.3 * p["clean rivers program"])


def test_a_capitalised_successor_of_a_capitalised_programme_is_weighted_and_says_so() -> None:
    import importlib
    from types import SimpleNamespace

    import pandas as pd

    from policypulse.discover.ngrams import PROPS_COLUMNS

    su = importlib.import_module("policypulse.discover.successors")
    props = pd.DataFrame(0, index=range(3), columns=list(PROPS_COLUMNS))
    props["mid"] = [10, 10, 1]
    props["cap"] = [9, 2, 1]  # "Race to the Top" capitalised; "high school" rarely; one use is no evidence
    cap = su._capitalised(SimpleNamespace(props=props))
    assert cap.tolist() == [True, False, False]
    row = {"near": 1.0, "handover": 0.4, "rate_correlation": -0.2, "pickup": 0.0, "named": True}
    text = su._explain("no child left behind", row, "2011-01-01", 0.34, ["schools"])
    assert text.endswith(f"a capitalised name like 'no child left behind' (x{su.NAME_WEIGHT})")
    assert "capitalised" not in su._explain("welfare reform", {**row, "named": False}, "1995-01-01", 0.5, [])
