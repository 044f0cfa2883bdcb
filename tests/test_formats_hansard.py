"""UK Hansard (ParlParse / TheyWorkForYou, issue 9): gidredirects, superseded scrapes, speaker ids and names.

Fixtures follow ParlParse's own output (``pyscraper/gidmatching.py`` writes ``<gidredirect oldgid newgid
matchtype>``; ``members/people.json`` is Popolo: ``persons[].other_names`` with ``note: "Main"`` and dates,
``memberships[]`` mapping member ids to person ids), reduced to what the reader uses.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from policypulse.corpus.readers import detect
from policypulse.corpus.readers.base import ReaderOptions
from policypulse.corpus.readers.hansard import parse_people
from test_formats import F, _all, _ingest

H = F / "hansard-people"
PEOPLE_NOTE = ("a ParlParse members file (4 people): it names Hansard speakers when it sits beside the debates XML, "
               "and holds no speeches to count")


def test_speaker_names_from_people_json_beside_the_debates(tmp_path: Path) -> None:
    assert detect(H) == "folder" and detect(H / "people.json") == "hansard"
    report, _ = _ingest(tmp_path, [H])
    assert report.accepted == 4
    assert {(Path(r.file).name, r.record): r.reason for r in report.rejected} == {
        ("debates2011-02-14a.xml", 1): "speech uk.org.publicwhip/debate/2011-02-14a.5.3 is redirected to "
                                       "uk.org.publicwhip/debate/2011-02-14a.5.4 (gidredirect, matchtype changes): "
                                       "counted under its new id only",
        ("people.json", 0): PEOPLE_NOTE}
    docs = _all(tmp_path)
    speakers = {gid.rsplit(".", 2)[-2] + "." + gid.rsplit(".", 1)[-1]: (
        d["meta"].get("speaker"), d["meta"].get("speaker_printed"), d["meta"].get("person_id"),
        d["meta"].get("member_id")) for gid, d in docs.items()}
    assert speakers == {
        "5.4": ("Anne Jones", None, "uk.org.publicwhip/person/99001", None),  # her name from 2011 (was Smith)
        "5.5": ("David Cameron", "The Prime Minister", "uk.org.publicwhip/person/10777", None),
        "5.6": ("John Bercow", "Mr Speaker", "uk.org.publicwhip/person/10040", "uk.org.publicwhip/member/931"),
        "5.7": ("Sir Nobody", None, "uk.org.publicwhip/person/55555", None),
    }
    assert docs["uk.org.publicwhip/debate/2011-02-14a.5.7"]["meta"]["speaker_unresolved"] == (
        "uk.org.publicwhip/person/55555 has no name in people.json on 2011-02-14")
    pm = docs["uk.org.publicwhip/debate/2011-02-14a.5.5"]
    assert (pm["date"], pm["source"], pm["title"], pm["text"]) == (
        dt.date(2011, 2, 14), "House of Commons", "Prime Minister — Engagements", "The big society is alive and well.")


def test_a_redirected_speech_is_never_counted_twice(tmp_path: Path) -> None:
    import policypulse

    _ingest(tmp_path, [H / "debates2011-02-14a.xml"])
    with policypulse.open(tmp_path / "s") as corpus:
        counts = corpus.track("big society", by="day")
    # five speeches mention it; the redirected draft (5.3) is not one of the four documents
    assert counts["docs"].sum() == 4 and counts["total_docs"].sum() == 4


def test_people_json_given_explicitly_and_names_on_the_sitting_day(tmp_path: Path) -> None:
    folder = tmp_path / "debates"
    folder.mkdir()
    shutil.copy(H / "debates2011-02-14a.xml", folder / "debates2011-02-14a.xml")
    # the same sitting a year earlier: Anne was still "Anne Smith"
    older = (H / "debates2011-02-14a.xml").read_text(encoding="utf-8").replace("2011-02-14", "2010-02-15")
    (folder / "debates2010-02-15a.xml").write_text(older, encoding="utf-8")
    from policypulse.corpus.ingest import ingest

    report = ingest(tmp_path / "s", [folder], options=ReaderOptions(hansard_people=H / "people.json"),
                    today=dt.date(2025, 1, 1))
    assert report.accepted == 8
    docs = _all(tmp_path)
    assert docs["uk.org.publicwhip/debate/2010-02-15a.5.4"]["meta"]["speaker"] == "Anne Smith"
    assert docs["uk.org.publicwhip/debate/2011-02-14a.5.4"]["meta"]["speaker"] == "Anne Jones"


def test_a_later_scrape_beside_a_file_supersedes_it(tmp_path: Path) -> None:
    folder = tmp_path / "debates"
    folder.mkdir()
    # a copy taken before ParlParse rewrote it with latest="no": no latest attribute, and a "b" scrape beside it
    old = (F / "debates2010-07-19a.xml").read_text(encoding="utf-8").replace(' latest="no"', "")
    (folder / "debates2010-07-19a.xml").write_text(old, encoding="utf-8")
    shutil.copy(F / "debates2010-07-19b.xml", folder / "debates2010-07-19b.xml")
    report, _ = _ingest(tmp_path, [folder])
    assert report.accepted == 4
    reasons = {(Path(r.file).name, r.record): r.reason for r in report.rejected}
    assert reasons[("debates2010-07-19a.xml", 0)] == (
        "superseded scrape: debates2010-07-19b.xml beside it is a later scrape of the same sitting and is read "
        "instead, so no speech is counted twice")
    assert "uk.org.publicwhip/debate/2010-07-19a.1.1" not in _all(tmp_path)


def test_people_json_parsing() -> None:
    people = parse_people((H / "people.json").read_bytes(), "people.json")
    assert people.member_person["uk.org.publicwhip/member/931"] == "uk.org.publicwhip/person/10040"
    assert people.name_on("uk.org.publicwhip/person/13935", "2012-01-01") == "Lord Hill of Oareford"
    assert people.name_on("uk.org.publicwhip/person/13935", "2009-01-01") is None  # not yet a peer
    assert people.name_on("uk.org.publicwhip/person/99001", "2010-12-31") == "Anne Smith"
    assert people.name_on("uk.org.publicwhip/person/99001", "2011-01-01") == "Anne Jones"


def test_a_broken_members_file_is_reported_once_and_speakers_keep_their_printed_names(tmp_path: Path) -> None:
    folder = tmp_path / "debates"
    folder.mkdir()
    shutil.copy(H / "debates2011-02-14a.xml", folder / "debates2011-02-14a.xml")
    shutil.copy(F / "debates2010-07-19b.xml", folder / "debates2010-07-19b.xml")
    (folder / "people.json").write_text('{"persons": [', encoding="utf-8")  # cut off by a failed download
    report, _ = _ingest(tmp_path, [folder / "debates2011-02-14a.xml", folder / "debates2010-07-19b.xml"])
    assert report.accepted == 4 + 4
    people_reasons = [r.reason for r in report.rejected if r.file.endswith("people.json")]
    assert people_reasons == [("ParlParse members file not used (not valid JSON (Expecting value: line 1 column 14 "
                              "(char 13))): Hansard speakers keep their printed names")]
    pm = _all(tmp_path)["uk.org.publicwhip/debate/2011-02-14a.5.5"]
    assert pm["meta"]["speaker"] == "The Prime Minister" and "speaker_printed" not in pm["meta"]
