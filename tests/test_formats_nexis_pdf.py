"""Nexis PDF exports (issue 9): text extracted with pypdf, split on the explicit end-of-document markers like the
TXT path, page furniture dropped, every document marked lower quality; unreadable PDFs refused with the reason.

The PDFs are built in the test from the hand-written Nexis Uni text fixture (``test_formats.pdf``): no binary
fixture is committed.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdf

from policypulse.corpus.readers import detect
from policypulse.corpus.readers.nexis import PDF_QUALITY_NOTE
from test_formats import EN_EXPECTED, F, _ingest, pdf

RUNNING = 'Nexis Uni: "big society" (Jane Researcher)'  # a header printed at the top of every page


def _pages() -> list[list[str]]:
    """The English Nexis Uni export laid out on five pages, as a PDF export prints it: a running header, page
    numbers at the foot, an article broken across a page with its headline repeated on the next page."""
    lines = [s for s in (F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n") if s.strip()]
    cut = [i + 1 for i, s in enumerate(lines) if s == "End of Document"]
    cover_end = lines.index("Big society: what now")
    cover, first = lines[:cover_end], lines[cover_end:cut[0]]
    split_at = first.index("Critics said the big society was a cover for cuts. Length: is not a label in the body.")
    pages = [cover, first[:split_at], [first[0]] + first[split_at:], lines[cut[0]:cut[1]], lines[cut[1]:cut[2]]]
    return [[RUNNING] + page + [f"Page {k} of {len(pages)}"] for k, page in enumerate(pages, 1)]


def test_nexis_pdf_export_is_read_and_marked_lower_quality(tmp_path: Path) -> None:
    path = tmp_path / "Files(3).PDF"
    path.write_bytes(pdf(_pages()))
    assert detect(path) == "nexis"
    report, docs = _ingest(tmp_path, [path])
    assert (report.accepted, report.rejected) == (3, [])  # cover page dropped, the three articles found
    assert {t: (d["date"], d["date_precision"], d["source"]) for t, d in docs.items()} == EN_EXPECTED
    first = docs["Big society: what now"]
    # the running header, the page numbers and the repeated headline are not text; lines stay lines
    assert first["text"] == ("David Cameron today launched the big society in Liverpool, promising to hand power to "
                             "communities.\nCritics said the big society was a cover for cuts. Length: is not a "
                             "label in the body.")
    m = first["meta"]
    assert (m["quality"], m["quality_note"], m["nexis_export"]) == ("low", PDF_QUALITY_NOTE, "uni-pdf")
    assert (m["section"], m["page"], m["length_words"], m["byline"]) == ("POLITICS", "4", 412, "Patrick Wintour")
    assert m["classification"]["load_date"] == "July 20, 2010"
    for d in docs.values():
        assert d["meta"]["quality"] == "low" and RUNNING not in d["text"] and "Page " not in d["text"]
    assert docs["Volunteers and the big society"]["date"] == dt.date(2019, 7, 1)  # "July 2019": month precision


def test_nexis_pdf_count_is_checked_against_its_markers(tmp_path: Path) -> None:
    pages = _pages()
    pages[0] = [s.replace("Documents (3)", "Documents (4)") for s in pages[0]]
    path = tmp_path / "cover-says-four.pdf"
    path.write_bytes(pdf(pages))
    report, _ = _ingest(tmp_path, [path])
    assert report.accepted == 3
    assert [(r.record, r.reason) for r in report.rejected] == [
        (0, ("the cover page lists 4 documents but the file has 3 'End of Document' markers: some articles are "
            "missing from the export"))]


def test_unreadable_pdfs_are_refused_with_the_reason(tmp_path: Path) -> None:
    scanned = tmp_path / "scanned.pdf"
    scanned.write_bytes(pdf([[], []]))  # pages without a text layer
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf(_pages()))))
    writer.encrypt("secret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(buf.getvalue())
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(pdf(_pages())[:400])
    good = tmp_path / "good.pdf"
    good.write_bytes(pdf(_pages()))
    report, docs = _ingest(tmp_path, [scanned, locked, damaged, good], fmt="nexis")
    assert report.accepted == 3 and len(docs) == 3
    reasons = {Path(r.file).name: (r.record, r.reason) for r in report.rejected}
    assert reasons["scanned.pdf"] == (0, ("the PDF has no text layer (a scanned export?): nothing to read without OCR; "
                                         "export the search as DOCX (Word) instead"))
    assert reasons["locked.pdf"] == (0, "unreadable Nexis PDF export: the PDF is encrypted (password protected)")
    assert reasons["damaged.pdf"] == (0, "unreadable Nexis PDF export: PdfStreamError: Stream has ended unexpectedly")
    assert set(reasons) == {"scanned.pdf", "locked.pdf", "damaged.pdf"}


def test_a_pdf_that_is_not_a_nexis_export_is_not_taken_for_one(tmp_path: Path) -> None:
    other = tmp_path / "report.pdf"
    other.write_bytes(pdf([["Annual report 2010", "The big society in numbers."]]))
    assert detect(other) == "text"
    report, docs = _ingest(tmp_path, [other])
    assert docs == {} and [(r.record, r.reason) for r in report.rejected] == [(1, "file is a PDF file, not plain text")]


def test_a_long_article_keeps_its_headline_when_it_tops_most_pages(tmp_path: Path) -> None:
    lines = [s for s in (F / "nexis-uni-en.txt").read_text(encoding="utf-8").split("\n") if s.strip()]
    first = lines[lines.index("Big society: what now"):lines.index("End of Document") + 1]
    body_at = first.index("Body") + 1
    paragraphs = [f"Paragraph {k} on the big society." for k in range(1, 7)]
    head, tail = first[:body_at], first[body_at:]
    # five pages: the article's headline tops every one of them (four are continuation pages)
    pages = [head + paragraphs[:2]] + [[first[0], p] for p in paragraphs[2:]] + [[first[0]] + tail]
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf(pages))
    report, docs = _ingest(tmp_path, [path])
    assert (report.accepted, report.rejected) == (1, [])
    doc = docs["Big society: what now"]  # the headline was not taken for a running header
    assert doc["text"] == "\n".join(paragraphs + [tail[0], tail[1]])
    assert doc["date"] == dt.date(2010, 7, 19) and doc["source"] == "The Guardian (London)"
