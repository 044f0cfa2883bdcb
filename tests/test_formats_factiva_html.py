"""Factiva HTML exports (issue 9): both layouts Factiva saves, detected by content, exact documents and fields.

Fixtures follow the public structure of Factiva's HTML exports: the indexed layout read by tm.plugin.factiva
(``inst/texts/factiva_test.html``: ``<div class="article enArticle">`` holding a table of two-letter codes) and
the article layout scraped by researchers' tools (``<div id="hd">``, unlabelled header ``<div>``s,
``<p class="articleParagraph ...">``, a closing "Document <id>").
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from policypulse.corpus.readers import detect, reader_for
from policypulse.corpus.readers.base import ReaderOptions
from test_formats import F, _ingest, _reasons


def test_factiva_html_with_indexing_several_articles_per_file(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "factiva-indexed.html"])
    assert report.accepted == 2
    assert _reasons(report) == [
        (3, "article LECHO00020100721e67l0001a has no publication date (PD)"),
        (4, ("article DPOST00020100807e6870001b: publication date '07/08/2010' could not be read (ambiguous day/month "
            "in '07/08/2010': give --date-order DMY or --date-order MDY; Factiva HTML writes dates in the exporting "
            "machine's language and format: export XML instead)"))]
    launch = docs["Cameron's big society gets its launch"]
    assert (launch["doc_id"], launch["date"], launch["date_precision"], launch["source"]) == (
        "GRDN000020100719e67j0002t", dt.date(2010, 7, 19), "day", "The Guardian")
    assert launch["text"] == ("David Cameron today launched the big society in Liverpool, promising to hand power to "
                              "communities.\n\n\"This is the biggest, most dramatic redistribution of power,\" he said."
                              "\n\nCritics said the big society was a cover for cuts.")  # LP then TD paragraphs
    m = launch["meta"]
    assert {k: m[k] for k in ("factiva_export", "byline", "length_words", "time", "source_code", "edition", "page",
                              "language", "copyright", "publisher", "subjects", "regions", "date_line")} == {
        "factiva_export": "html-indexed", "byline": "Patrick Wintour", "length_words": 640, "time": "15:32",
        "source_code": "GRDN", "edition": "Final", "page": "4", "language": "English",
        "copyright": "(c) 2010 Guardian News & Media Ltd.", "publisher": "Guardian News & Media Ltd.",
        "subjects": "Domestic Politics; Political/General News", "regions": "United Kingdom; Europe",
        "date_line": "19 July 2010"}
    comment = docs["Big society, small state?"]
    assert (comment["doc_id"], comment["date"], comment["source"], comment["text"]) == (
        "T000000020100720e67k0000x", dt.date(2010, 7, 20), "The Times", "Is the big society a plan or a slogan?")
    assert (comment["meta"]["section"], comment["meta"]["length_words"]) == ("Comment", 1204)  # "1,204 words"


def test_factiva_html_numeric_dates_follow_date_order(tmp_path: Path) -> None:
    items = list(reader_for("factiva", F / "factiva-indexed.html")[1](F / "factiva-indexed.html",
                                                                        ReaderOptions(date_order="DMY")))
    assert [getattr(i, "reason", None) or i.data["date"] for i in items] == [
        "2010-07-19", "2010-07-20", "article LECHO00020100721e67l0001a has no publication date (PD)", "2010-08-07"]


def test_factiva_html_article_layout_in_french(tmp_path: Path) -> None:
    report, docs = _ingest(tmp_path, [F / "factiva-article-fr.html"])
    assert (report.accepted, report.rejected) == (2, [])
    got = {t: (d["doc_id"], d["date"], d["source"], d["meta"].get("byline"), d["meta"]["length_words"],
               d["meta"]["source_code"], d["meta"]["language"], d["meta"].get("time")) for t, d in docs.items()}
    assert got == {
        "La « big society » de David Cameron": ("LEMOND0020100720e67k0000a", dt.date(2010, 7, 20), "Le Monde",
                                                "Marc Roche", 510, "LEMOND", "Français", "08:00"),
        "Le retour de la big society": ("LIBERA0020110801e7810000b", dt.date(2011, 8, 1), "Libération", None, 90,
                                        "LIBERA", "Français", None),
    }
    monde = docs["La « big society » de David Cameron"]
    assert monde["text"] == ("Le Premier ministre britannique a présenté mardi sa « big society ».\n\n"
                             "Les associations doivent remplacer l'État là où il se retire.")
    assert (monde["meta"]["copyright"], monde["meta"]["factiva_export"]) == (
        "(c) 2010 Le Monde. Tous droits réservés.", "html-article")


def test_factiva_html_is_detected_by_content(tmp_path: Path) -> None:
    for name in ("factiva-indexed.html", "factiva-article-fr.html"):
        disguised = tmp_path / f"{name}.dat"
        shutil.copy(F / name, disguised)
        assert detect(disguised) == "factiva"
    # the indexed layout's stylesheet runs to ~100 KB before the first article: the <title> still says Factiva
    padded = tmp_path / "padded.htm"
    html = (F / "factiva-indexed.html").read_text(encoding="utf-8")
    padded.write_text(html.replace("<style type=\"text/css\">", "<style type=\"text/css\">" + "a{b:c}" * 20000),
                      encoding="utf-8")
    assert detect(padded) == "factiva"


def test_a_bad_factiva_html_file_is_reported_and_the_good_ones_go_in(tmp_path: Path) -> None:
    headlines = tmp_path / "headlines.html"
    headlines.write_text("<html><head><title>Factiva</title></head><body><table><tr class=\"headline\"><td>"
                         "<a href=\"../aa/?ref=GRDN0000\">Cameron's big society</a></td></tr></table></body></html>",
                         encoding="utf-8")
    empty = tmp_path / "empty-article.html"
    empty.write_text("<html><head><title>Factiva</title></head><body><div class=\"article enArticle\">"
                     "<div id=\"hd\"><span class=\"enHeadline\">Nothing here</span></div><div>3 words</div>"
                     "<div>19 July 2010</div><div>The Guardian</div><p>Document GRDN000020100719e67j0009z</p>"
                     "</div></body></html>", encoding="utf-8")
    report, docs = _ingest(tmp_path, [headlines, F / "factiva-article-fr.html", empty, F / "factiva.xml"])
    assert report.accepted == 2 + 2
    assert {(Path(r.file).name, r.record): r.reason for r in report.rejected} == {
        ("headlines.html", 0): 'no Factiva article blocks (<div class="article ...">) in this HTML file: not a Factiva '
                               "export, or a headline list saved instead of the articles",
        ("empty-article.html", 1): "article GRDN000020100719e67j0009z has no text paragraphs (LP/TD)",
        ("factiva.xml", 3): "article XX00000020100721e67l0003b has no publicationDate"}
    assert {d["source"] for d in docs.values()} == {"Le Monde", "Libération", "The Guardian", "Financial Times"}
