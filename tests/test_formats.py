"""The archives researchers hold (issue 9): Nexis, Factiva, Media Cloud, GDELT, X/Twitter, Bluesky, Hansard, ZIP.

Fixtures in tests/fixtures/formats/ are written by hand after each format's public documentation and the
field reports in shared/research/formats-reliability.md (several articles per file, and the odd cases:
NBSP after labels, cover pages, missing LENGTH lines, localised labels, invalid JSON escapes, 58-column
GDELT rows, truncated retweets, client-asserted timestamps, superseded Hansard scrapes, XML bombs, zip slip).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

import policypulse
from policypulse.corpus.dates import relative_date
from policypulse.corpus.ingest import IngestReport, ingest
from policypulse.corpus.readers import detect, reader_for
from policypulse.corpus.readers._util import written_date
from policypulse.corpus.readers.base import ReaderOptions
from policypulse.corpus.store import Store

F = Path(__file__).parent / "fixtures" / "formats"
TODAY = dt.date(2025, 6, 1)


def _ingest(tmp_path: Path, paths: list[Path], fmt: str = "auto", store: str = "s",
            today: dt.date = TODAY) -> tuple[IngestReport, dict[str, dict]]:
    report = ingest(tmp_path / store, paths, fmt=fmt, today=today)
    docs = Store(tmp_path / store).documents(columns=["doc_id", "date", "date_precision", "date_source", "source",
                                                       "title", "text", "meta", "origin_file", "origin_record",
                                                       "dup_of"]).to_pylist()
    for d in docs:
        d["meta"] = json.loads(d["meta"]) if d["meta"] else {}
    key = {d["title"] or d["doc_id"]: d for d in docs}
    return report, key


def _all(tmp_path: Path, store: str = "s") -> dict[str, dict]:
    """Every document of a store by doc_id, meta decoded."""
    docs = Store(tmp_path / store).documents(columns=["doc_id", "date", "source", "title", "text", "meta"]).to_pylist()
    return {d["doc_id"]: dict(d, meta=json.loads(d["meta"]) if d["meta"] else {}) for d in docs}


def _reasons(report: IngestReport) -> list[tuple[int, str]]:
    return [(r.record, r.reason) for r in report.rejected]


# -- builders for the binary containers (from the hand-written text fixtures) --------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(lines: list[str]) -> bytes:
    """A minimal Word document with one paragraph per line (as Nexis Uni writes its DOCX)."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


def rtf(lines: list[str]) -> bytes:
    def esc(s: str) -> str:
        return "".join("\\" + c if c in "\\{}" else c if ord(c) < 128 else f"\\u{ord(c)}?" for c in s)

    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
            + "".join(f"{{\\pard {esc(line)}\\par}}\n" for line in lines) + "}").encode("ascii")


def pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF 1.4 (Helvetica, WinAnsi text), one text line per entry, pages in order: the text layer of a
    Nexis PDF export, written by hand so that no binary fixture is committed."""

    def esc(s: str) -> bytes:
        return s.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, lines in enumerate(pages):
        stream = b"BT /F1 10 Tf 12 TL 50 800 Td " + b"".join(b"(" + esc(s) + b") Tj T* " for s in lines) + b"ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
                       f">> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# -- Nexis ------------------------------------------------------------------------------------------------

EN_EXPECTED = {
    "Big society: what now": (dt.date(2010, 7, 19), "day", "The Guardian (London)"),
    "Covid-19, part 1: councils count the cost": (dt.date(2021, 3, 3), "day", "The Times (London)"),
    "Volunteers and the big society": (dt.date(2019, 7, 1), "month", "The Spectator"),
}


@pytest.mark.parametrize("container", ["txt", "docx", "rtf"])
def test_nexis_uni_export_in_each_container(tmp_path: Path, container: str) -> None:
    lines = (F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n")
    path = tmp_path / f"Files(3).{container}"
    if container == "txt":
        shutil.copy(F / "nexis-uni-en.txt", path)
    else:
        path.write_bytes(docx(lines) if container == "docx" else rtf(lines))
    assert detect(path) == "nexis"
    report, docs = _ingest(tmp_path, [path])
    assert (report.accepted, report.rejected) == (3, [])  # the cover page is no article
    assert {t: (d["date"], d["date_precision"], d["source"]) for t, d in docs.items()} == EN_EXPECTED
    first = docs["Big society: what now"]
    assert first["text"] == ("David Cameron today launched the big society in Liverpool, promising to hand power to "
                             "communities.\n\nCritics said the big society was a cover for cuts. Length: is not a "
                             "label in the body.")  # two empty paragraphs inside the article did not split it
    m = first["meta"]
    assert (m["section"], m["page"], m["length_words"], m["byline"]) == ("POLITICS", "4", 412, "Patrick Wintour")
    assert m["classification"]["subject"] == "POLITICS (90%); VOLUNTEERS (78%)"  # metadata, not text
    assert "ENGLISH" not in first["text"] and "Load-Date" not in first["text"]
    assert m["nexis_export"] == f"uni-{container}" and m["copyright"].startswith("Copyright 2010")
    covid = docs["Covid-19, part 1: councils count the cost"]
    assert covid["meta"]["graphic"] == "Picture: a closed library in Leeds" and "Picture" not in covid["text"]


def test_nexis_german_and_french_labels_and_dates(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "nexis-uni-de.txt", F / "nexis-uni-fr.txt"])
    assert (report.accepted, report.rejected) == (4, [])
    got = {t: (d["date"], d["source"], d["meta"].get("section"), d["meta"].get("page"), d["meta"].get("byline"),
               d["meta"].get("length_words")) for t, d in docs.items()}
    assert got == {
        "Großbritannien: Camerons große Gesellschaft": (dt.date(2010, 7, 19), "Süddeutsche Zeitung", "Politik", "7",
                                                        "Wolfgang Koydl", 250),
        "Die große Gesellschaft im Maerz": (dt.date(2011, 3, 3), "Die Welt", None, None, None, 180),
        "La « big society » de David Cameron": (dt.date(2010, 7, 20), "Le Monde", "International", "5", "Marc Roche", 510),
        "Le retour de la big society": (dt.date(2011, 8, 1), "Libération", None, None, None, 90),
    }
    assert docs["Großbritannien: Camerons große Gesellschaft"]["meta"]["classification"]["language"] == "GERMAN; DEUTSCH"


def test_nexis_legacy_txt_with_bom_missing_length_and_a_missing_article(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "nexis-legacy.txt"])
    assert report.accepted == 3
    assert _reasons(report) == [(0, "the export numbers its articles 'N of 4 DOCUMENTS' but holds 3 (missing: 3)")]
    plans = docs["Big society plans unveiled in Whitehall"]
    assert (plans["date"], plans["source"], plans["meta"]["section"], plans["meta"]["page"],
            plans["meta"]["length_words"]) == (dt.date(2011, 1, 3), "The Guardian (London) - Final Edition",
                                               "GUARDIAN HOME PAGES", "6", 355)
    assert plans["text"].endswith("given a bigger role.") and "LOAD-DATE" not in plans["text"]
    assert "Copyright" not in plans["text"] and plans["meta"]["classification"]["publication_type"] == "Newspaper"
    # no LENGTH line: kept, flagged, dated by its date line (LexisNexisTools' "graphic" record)
    photo = next(d for d in docs.values() if d["source"] == "The Independent (London)")
    assert photo["meta"]["metadata_not_found"] is True and photo["date"] == dt.date(2011, 2, 14)
    assert "Volunteers clean a park" in photo["text"]
    assert docs["Brexit: what now for the big society?"]["date"] == dt.date(2011, 5, 23)  # a colon in a headline


def test_nexis_bad_files_are_reported_and_good_ones_go_in(tmp_path: Path) -> None:
    lines = (F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n")
    short = tmp_path / "cover-says-four.docx"
    short.write_bytes(docx([line.replace("Documents (3)", "Documents (4)") for line in lines]))
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(docx(lines)[:300])
    damaged = tmp_path / "export.pdf"
    damaged.write_bytes(b"%PDF-1.4\n...")
    report, docs = _ingest(tmp_path, [short, truncated, damaged, F / "nexis-garbled.txt"], fmt="nexis")
    assert report.accepted == 3 and len(docs) == 3
    reasons = {(Path(r.file).name, r.record): r.reason for r in report.rejected}
    assert reasons[("cover-says-four.docx", 0)].startswith("the cover page lists 4 documents but the file has 3")
    assert reasons[("truncated.docx", 0)].startswith("unreadable Nexis export: not a valid DOCX (ZIP) file")
    assert reasons[("export.pdf", 0)] == "unreadable Nexis PDF export: PdfStreamError: Stream has ended unexpectedly"
    assert reasons[("nexis-garbled.txt", 1)].startswith("malformed export: lines start with '$%'")


def test_nexis_dates_come_from_the_date_line_only() -> None:
    assert written_date("July 1, 2019 Monday 9:20 AM GMT") == ("2019-07-01", "day")
    assert written_date("Dienstag 10. Dezember 2019") == ("2019-12-10", "day")
    assert written_date("10 décembre 2019 mardi 3:00 AM GMT") == ("2019-12-10", "day")
    assert written_date("1er août 2011") == ("2011-08-01", "day")
    assert written_date("December 2015") == ("2015-12", "month")  # month precision, no invented day
    assert written_date("Covid-19, part 1") is None
    assert written_date("Wachstum in 2000 um 4,5 Prozent") is None
    assert written_date("May 3, 2019. The minister said the big society was over.") is None


def test_a_future_date_is_quarantined(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "nexis-uni-en.txt"], today=dt.date(2015, 1, 1))
    assert report.accepted == 1 and set(docs) == {"Big society: what now"}
    assert sorted(r.reason for r in report.rejected) == ["date 2019-07-01 is in the future (quarantined)",
                                                        "date 2021-03-03 is in the future (quarantined)"]


# -- X / Twitter ------------------------------------------------------------------------------------------

def test_twitter_api_v2_pages_with_retweets_as_amplification(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "twitter-v2-pages.jsonl"])
    assert report.accepted == 4 and report.retweets == 1
    assert _reasons(report) == [(5, "tweet 1415000000000000099 not returned by the API: Not Found Error")]
    by_id = {d["doc_id"]: d for d in docs.values()}
    original, rt = by_id["1415000000000000001"], by_id["1415000000000000002"]
    assert (original["source"], original["date"], original["meta"]["like_count"]) == ("@policywonk", dt.date(2021, 7, 13), 10)
    assert rt["text"] == original["text"]  # the full text from includes, not "RT @policywonk: ... #bigsocie…"
    assert rt["meta"]["retweet_of"] == "1415000000000000001" and rt["source"] == "@localnews"
    s = Store(tmp_path / "s")
    assert {f["hash"]: f["reason"] for f in s.folded().to_pylist()} == {
        next(h for h in s.documents(columns=["doc_id", "hash"]).to_pylist() if h["doc_id"] == rt["doc_id"])["hash"]:
        "retweet"}
    assert by_id["1415000000000000003"]["meta"]["quote_of"] == "1415000000000000001"  # a quote is an original post
    long = by_id["1415000000000000004"]
    assert long["text"].endswith("only note_tweet holds all of it.") and long["date"] == dt.date(2021, 7, 13)  # UTC
    with policypulse.open(tmp_path / "s") as c:
        both = c.track("big society", by="year", with_raw=True)
    assert both[["docs", "docs_raw"]].sum().tolist() == [3, 4]  # retweets count raw, not as original posts


def test_twarc2_flattened_and_the_archive_tweets_js(tmp_path: Path) -> None:
    archive = tmp_path / "data"
    archive.mkdir()
    shutil.copy(F / "tweets.js", archive / "tweets.js")
    (archive / "account.js").write_text('window.YTD.account.part0 = [{"account": {"username": "volunteer_jo"}}]')
    report, docs = _ingest(tmp_path, [F / "twarc2-flat.jsonl", archive / "tweets.js"], fmt="twitter")
    assert report.accepted == 4 and report.retweets == 2
    reasons = {(Path(r.file).name, r.record): r.reason for r in report.rejected}
    assert reasons[("twarc2-flat.jsonl", 2)].startswith("line 2: invalid JSON")
    assert reasons[("tweets.js", 3)] == "tweet 1000000000000000003 has no text"
    by_id = {d["doc_id"]: d for d in docs.values()}
    assert by_id["1500000000000000002"]["meta"]["retweet_of"] == "1500000000000000001"
    assert by_id["1500000000000000002"]["dup_of"] is not None  # folded into the original, which is present
    arch = by_id["1000000000000000001"]
    assert (arch["date"], arch["source"], arch["text"]) == (dt.date(2018, 10, 10), "@volunteer_jo",
                                                            "Proud to volunteer for the #BigSociety today")
    assert by_id["1000000000000000002"]["dup_of"] == "retweet:@charity"  # an archive retweet: truncated, no id


# -- Bluesky ----------------------------------------------------------------------------------------------

def test_bluesky_created_at_checked_against_indexed_at(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "bluesky-feed.json", F / "bluesky-records.jsonl"])
    assert (report.accepted, report.retweets) == (4, 1)
    assert _reasons(report) == [
        (3, ("post at://did:plc:abc123/app.bsky.feed.post/3kabc3: createdAt 2031-01-01T00:00:00.000Z is after the post "
            "was indexed (2024-02-03T12:00:00.000Z): a client-asserted future time, quarantined")),
        (2, "post at://did:plc:abc123/app.bsky.feed.post/3kxyz2: createdAt None is not an ISO 8601 timestamp"),
        (3, "not a post record ($type 'app.bsky.feed.like')")]
    by_id = {d["doc_id"]: d for d in docs.values()}
    post = by_id["at://did:plc:abc123/app.bsky.feed.post/3kabc1"]
    assert (post["date"], post["source"], post["meta"]["langs"]) == (dt.date(2024, 2, 1), "@policywonk.bsky.social", "en")
    repost = by_id["at://did:plc:other/app.bsky.feed.post/3kabc2#repost-by-did:plc:abc123"]
    assert repost["meta"]["retweet_of"] and repost["dup_of"] is not None and repost["date"] == dt.date(2024, 2, 2)
    old = by_id["at://did:plc:abc123/app.bsky.feed.post/3kabc4"]
    assert old["meta"]["backdated"] is True and old["date"] == dt.date(2011, 5, 1)  # 08:00+01:00 is 07:00 UTC
    rec = by_id["at://did:plc:abc123/app.bsky.feed.post/3kxyz1"]
    assert (rec["source"], rec["date"]) == ("did:plc:abc123", dt.date(2023, 11, 5))


# -- Hansard ----------------------------------------------------------------------------------------------

def test_hansard_one_document_per_speech_latest_scrape_only(tmp_path: Path) -> None:
    folder = tmp_path / "debates"
    folder.mkdir()
    for name in ("debates2010-07-19a.xml", "debates2010-07-19b.xml"):
        shutil.copy(F / name, folder / name)
    assert detect(folder) == "folder"
    report, _ = _ingest(tmp_path, [folder])
    assert report.accepted == 4
    reasons = {(Path(r.file).name, r.record): r.reason for r in report.rejected}
    assert reasons == {
        ("debates2010-07-19a.xml", 0): 'superseded scrape (latest="no"): the later version of this sitting is read '
                                       "instead, so no speech is counted twice (2 of its items redirected there by "
                                       "gidredirect)",
        ("debates2010-07-19b.xml", 5): "speech uk.org.publicwhip/debate/2010-07-19b.23.1: no text"}
    by_id = _all(tmp_path)
    cameron = by_id["uk.org.publicwhip/debate/2010-07-19b.21.2"]
    assert (cameron["date"], cameron["source"], cameron["title"]) == (dt.date(2010, 7, 19), "House of Commons",
                                                                       "Big Society — Statement")
    assert cameron["text"] == ("With permission, I should like to make a statement on the big society.\n\n"
                               "It is about giving people more power over their own lives.")
    assert (cameron["meta"]["speaker"], cameron["meta"]["person_id"]) == ("David Cameron", "uk.org.publicwhip/person/10777")
    assert by_id["uk.org.publicwhip/debate/2010-07-19b.22.0"]["meta"]["member_id"] == "uk.org.publicwhip/member/931"
    unknown = by_id["uk.org.publicwhip/debate/2010-07-19b.22.1"]
    assert unknown["meta"]["speaker"] == "Hon. Members" and "person_id" not in unknown["meta"]
    assert unknown["meta"]["speaker_error"] == "No match"
    # past midnight (time 00:10) the sitting's date still holds
    assert by_id["uk.org.publicwhip/debate/2010-07-19b.23.0"]["date"] == dt.date(2010, 7, 19)


def test_xml_bombs_are_refused_not_expanded(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "debates2010-07-20a-billion-laughs.xml"])
    assert docs == {} and _reasons(report) == [
        (0, "refused: the XML declares the entity &lol2; whose text holds markup or other entities (the shape of a "
            "'billion laughs' attack)")]


# -- Media Cloud -----------------------------------------------------------------------------------------

def test_media_cloud_story_lists(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "mediacloud-stories.csv", F / "mediacloud-v3.csv", F / "mediacloud-attention.csv"])
    assert report.accepted == 5
    reasons = {(Path(r.file).name, r.record): r.reason for r in report.rejected}
    assert reasons == {
        ("mediacloud-stories.csv", 4): "story g7h8i9: publish_date 2026-01-01 00:00:00 is after the story was indexed "
                                       "(2024-03-02 12:00:00): a future date, quarantined",
        ("mediacloud-stories.csv", 6): "story m4n5o6: no title or text",
        ("mediacloud-attention.csv", 0): "a Media Cloud attention-over-time CSV (date,count,total_count,ratio) holds "
                                         "counts per day, not stories: analyse it with 'policypulse lifecycle --counts FILE'"}
    got = {t: (d["doc_id"], d["date"], d["date_source"], d["source"]) for t, d in docs.items()}
    assert got == {
        "Whatever happened to the big society?": ("a1b2c3", dt.date(2024, 3, 1), "field", "theguardian.com"),
        "Big society, ten years on": ("d4e5f6", dt.date(2024, 3, 2), "fallback", "bbc.co.uk"),  # no publish_date
        "Is the big society back?": ("j1k2l3", dt.date(2024, 3, 3), "field", "blog.example.org"),  # "2 days ago"
        "Johnson promises to level up the country": ("1567890123", dt.date(2019, 7, 24), "field", "news.example.com"),
        "AP: Levelling up, explained": ("1567890124", dt.date(2019, 7, 24), "field", "wire.example.com"),
    }
    assert docs["AP: Levelling up, explained"]["meta"]["ap_syndicated"] == "True"
    assert docs["Big society, ten years on"]["meta"]["text_is_title"] is True


def test_relative_dates_resolve_against_the_capture_time() -> None:
    captured = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)
    assert relative_date("2 days ago", captured) == ("2024-03-03", "day")
    assert relative_date("yesterday", captured) == ("2024-03-04", "day")
    assert relative_date("vor 3 Tagen", captured) == ("2024-03-02", "day")
    assert relative_date("il y a 1 semaine", captured) == ("2024-02", "month")  # 21-27 February: no day invented
    assert relative_date("10 hours ago", captured) == ("2024-03-04", "day")
    assert relative_date("2024-03-01", captured) is None


# -- GDELT ----------------------------------------------------------------------------------------------

def test_gdelt_doc_api_article_list_with_invalid_escapes(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "gdelt-artlist.json", F / "gdelt-timelinevolraw.json"])
    assert report.accepted == 2
    assert [r.reason for r in report.rejected] == [
        "article without a valid seendate (YYYYMMDDTHHMMSSZ): ''",
        ("a GDELT DOC API timeline holds counts per period, not articles: analyse it with 'policypulse lifecycle "
        "--counts' (timelinevolraw: value = count, norm = total)")]
    assert {t: (d["date"], d["source"], d["meta"]["json_repairs"]) for t, d in docs.items()} == {
        "Big society: Starmer's version of Cameron's idea": (dt.date(2025, 5, 10), "theguardian.com", 3),
        "La big society française": (dt.date(2025, 5, 10), "lemonde.fr", 3)}


def test_gdelt_events_and_gkg_tab_separated(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "gdelt-events.export.CSV", F / "gdelt.gkg.csv"], fmt="gdelt")
    assert report.accepted == 3
    assert _reasons(report) == [(2, "expected 61 tab-separated columns (GDELT 2.0 events, as the file's first event), "
                                    "found 58"),
                                (2, "GKG record 20250510121500-T3: no page title, persons or organisations to count")]
    by_id = {d["doc_id"]: d for d in docs.values()}
    e1 = by_id["1234567890"]
    assert (e1["date"], e1["source"], e1["meta"]["event_code"]) == (dt.date(2025, 5, 10), "www.example.co.uk", "0251")
    assert by_id["1234567891"]["text"].startswith('THE "BIG SOCIETY" NETWORK')  # quoting off: quotes are data
    g = by_id["20250510120000-0"]
    assert (g["date"], g["source"], g["title"]) == (dt.date(2025, 5, 10), "theguardian.com", "Big society is back, says minister")
    assert "david cameron" in g["text"] and g["meta"]["themes"] == "TAX_FNCACT;GOV_LOCALGOV"


# -- Factiva --------------------------------------------------------------------------------------------

def test_factiva_xml(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "factiva.xml"])
    assert report.accepted == 2
    assert _reasons(report) == [(3, "article XX00000020100721e67l0003b has no publicationDate")]
    guardian = docs["Cameron launches the big society"]
    assert (guardian["doc_id"], guardian["date"], guardian["source"]) == ("GRDN000020100719e67j0001f",
                                                                         dt.date(2010, 7, 19), "The Guardian")
    assert guardian["text"] == ("David Cameron launched the big society in Liverpool.\n\nCritics called it a cover for "
                                "cuts.\n\nCharities asked where the money would come from.")
    assert (guardian["meta"]["byline"], guardian["meta"]["section"], guardian["meta"]["length_words"],
            guardian["meta"]["subjects"]) == ("Patrick Wintour", "Politics", 640, "Domestic Politics; Government Bodies")
    assert docs["Big society, small budget"]["date"] == dt.date(2010, 7, 20)


# -- ZIP archives --------------------------------------------------------------------------------------

def test_zip_archives_are_extracted_safely(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.write(F / "factiva.xml", "nested/factiva.xml")
    outer = tmp_path / "downloads.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("nexis/Files(3).docx", docx((F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n")))
        z.write(F / "twitter-v2-pages.jsonl", "tweets/page.jsonl")
        z.write(F / "debates2010-07-19b.xml", "hansard/debates2010-07-19b.xml")
        z.writestr("inner.zip", inner.getvalue())
        z.writestr("../../escaped.txt", "Date: 2014-01-01\n\nzip slip")
        z.writestr("/etc/absolute.txt", "Date: 2014-01-01\n\nabsolute")
        z.writestr("nexis/~$Files(3).docx", b"lock file")
        z.writestr("__MACOSX/._page.jsonl", b"resource fork")
    assert detect(outer) == "zip"
    report, docs = _ingest(tmp_path, [outer])
    assert report.accepted == 3 + 4 + 4 + 2
    reasons = {(r.file, r.record): r.reason for r in report.rejected}
    assert reasons[(f"{outer}!../../escaped.txt", 0)] == "ZIP member refused: a path that climbs out of the archive ('..'); not extracted".replace("; not", " (zip slip); not")
    assert reasons[(f"{outer}!/etc/absolute.txt", 0)] == "ZIP member refused: an absolute path (zip slip); not extracted"
    assert not (tmp_path.parent / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    origins = {d["origin_file"] for d in docs.values()}
    assert f"{outer}!nexis/Files(3).docx" in origins and f"{outer}!inner.zip!nested/factiva.xml" in origins
    assert docs["Big society: what now"]["meta"]["nexis_export"] == "uni-docx"


# -- detection and --format -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "fmt"), [
    ("nexis-uni-en.txt", "nexis"), ("nexis-legacy.txt", "nexis"), ("twitter-v2-pages.jsonl", "twitter"),
    ("twarc2-flat.jsonl", "twitter"), ("tweets.js", "twitter"), ("bluesky-feed.json", "bluesky"),
    ("bluesky-records.jsonl", "bluesky"), ("debates2010-07-19b.xml", "hansard"),
    ("debates2010-07-20a-billion-laughs.xml", "hansard"), ("mediacloud-stories.csv", "mediacloud"),
    ("mediacloud-v3.csv", "mediacloud"), ("mediacloud-attention.csv", "mediacloud"), ("gdelt-artlist.json", "gdelt"),
    ("gdelt-timelinevolraw.json", "gdelt"), ("gdelt-events.export.CSV", "gdelt"), ("gdelt.gkg.csv", "gdelt"),
    ("factiva.xml", "factiva"),
])
def test_detect_by_content_whatever_the_name(tmp_path: Path, name: str, fmt: str) -> None:
    disguised = tmp_path / "download.dat"
    shutil.copy(F / name, disguised)
    assert detect(disguised) == fmt
    assert reader_for(fmt, disguised)[0] == fmt


def test_reingesting_an_archive_adds_nothing(tmp_path: Path) -> None:
    files = [F / "twitter-v2-pages.jsonl", F / "nexis-uni-en.txt", F / "debates2010-07-19b.xml"]
    first, _ = _ingest(tmp_path, files)
    again, _ = _ingest(tmp_path, files)
    assert first.accepted == 11 and (again.accepted, again.duplicates, again.retweets) == (0, 11, 0)
    assert Store(tmp_path / "s").folded().num_rows == 1


def test_a_folder_of_nexis_docx_files(tmp_path: Path) -> None:
    folder = tmp_path / "nexis"
    folder.mkdir()
    lines = (F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n")
    (folder / "Files(1-3).DOCX").write_bytes(docx(lines))
    (folder / "~$Files(1-3).DOCX").write_bytes(b"lock")
    (folder / "notes.txt").write_text("Date: 2011-02-02\n\nMy notes on the big society.")
    report, docs = _ingest(tmp_path, [folder])
    assert (report.accepted, report.rejected) == (4, [])
    assert {d["date"] for d in docs.values()} == {dt.date(2010, 7, 19), dt.date(2021, 3, 3), dt.date(2019, 7, 1),
                                                  dt.date(2011, 2, 2)}  # the notes file read as text
    items = list(reader_for("nexis", folder)[1](folder, ReaderOptions()))  # --format nexis FOLDER: every file
    assert len(items) == 4 and items[-1].reason.startswith("no Nexis document markers found")
