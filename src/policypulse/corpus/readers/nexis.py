"""Nexis Uni / LexisNexis exports: DOCX, RTF and legacy TXT files holding many articles.

Two layouts, as in LexisNexisTools (the reference parser in the field) and tm.plugin.lexisnexis:

* **Nexis Uni** (DOCX, RTF): an optional cover page (``Documents (N)``, a numbered list of headlines,
  search terms), then per article: headline, publication, date line (``July 1, 2019 Monday 9:20 AM GMT``),
  copyright, ``Label:\\u00a0value`` lines (Section, Length, Byline...), ``Body``, paragraphs, an optional
  ``Graphic`` part, an optional ``Classification`` block (Language, Subject, Load-Date...) and
  ``End of Document``.
* **Legacy nexis.com** (TXT, RTF): ``N of M DOCUMENTS``, publication, date line, headline, ``BYLINE:``,
  ``SECTION: X; Pg. 6``, ``LENGTH: 355 words``, body, ``LOAD-DATE:``, ``LANGUAGE:``, copyright.

Articles are split on those explicit markers only, never on blank lines. Field labels are recognised in
English, German and French, at the start of a line, with a colon and a space or non-breaking space, and
only from a known list (so a headline "Brexit: what now" is a headline). The date comes from the date
line alone (a headline "Covid-19, part 1" is never a date), else from Load-Date. The Classification block
and the copyright line are kept as metadata, not text. When the number of articles parsed differs from the
number of end-of-document markers (or from the cover page's ``Documents (N)``, or from ``M`` in ``N of M``),
the difference is reported as rejected records with the reason.

**PDF** exports are read where they hold a text layer (pypdf extracts it page by page), and split on the same
explicit markers as the TXT path. PDF text is lower quality (LexisNexisTools warns that "page headers end up in
articles"; paragraph boundaries are lost): ``Page N of M`` lines are dropped, as are lines repeated at the top
or bottom of most pages (running headers and footers) and, on a page that continues an article, a first line
repeating its headline; each document is marked ``meta.quality = "low"`` with ``meta.quality_note``, and its
text keeps the PDF's line breaks (not paragraphs). A scanned PDF (no text layer) or an encrypted one is
refused with the reason; export DOCX where you can.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from policypulse.corpus.readers._util import UnsafeXML, local, parse_xml, written_date
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode

END = re.compile(r"^\s*(End of Document|Ende des Dokuments|Fin du document)\s*$", re.IGNORECASE)
START = re.compile(r"^\s*(?:FOCUS\s*-\s*)?(?:(\d+) of (\d+) DOCUMENTS?|Dokument (\d+) von (\d+)|Document (\d+) de (\d+))"
                   r"\s*$", re.IGNORECASE)
BODY = re.compile(r"^(Body|Text|Texte|Corps du texte)$", re.IGNORECASE)
GRAPHIC = re.compile(r"^(Graphic|Grafik|Graphique)$", re.IGNORECASE)
CLASSIFICATION = re.compile(r"^(Classification|Klassifikation|Klassifizierung)$", re.IGNORECASE)
COVER_COUNT = re.compile(r"^(?:Documents|Dokumente|Documents trouvés)\s*\((\d+)\)\s*$", re.IGNORECASE)
COVER_LABELS = re.compile(r"^(User Name|Date and Time|Job Number|Client/Matter|Search Terms|Search Type|Narrowed by|"
                          r"Content Type|Benutzername|Datum und Uhrzeit|Auftragsnummer|Suchbegriffe|Suchtyp|"
                          r"Eingegrenzt durch|Nom d'utilisateur|Date et heure|Numéro de tâche|Termes de recherche|"
                          r"Type de recherche|Filtré par)\s*:", re.IGNORECASE)

# Known labels (lower case, in English, German and French) -> our field name.
LABELS = {
    "section": "section", "rubrik": "section", "rubrique": "section",
    "length": "length", "länge": "length", "laenge": "length", "longueur": "length",
    "byline": "byline", "author": "byline", "autor": "byline", "auteur": "byline",
    "highlight": "highlight", "dateline": "dateline", "edition": "edition", "ausgabe": "edition",
    "correction": "correction", "correction-date": "correction_date", "type": "type",
    "publication-type": "publication_type", "type-publication": "publication_type", "publikationstyp": "publication_type",
    "language": "language", "sprache": "language", "langue": "language",
    "load-date": "load_date", "date-chargement": "load_date", "ladedatum": "load_date", "update": "update",
    "subject": "subject", "sujet": "subject", "thema": "subject", "industry": "industry", "branche": "industry",
    "secteur-activite": "industry", "geographic": "geographic", "geografisch": "geographic",
    "localisation-geo": "geographic", "geo-localization": "geographic", "company": "company", "organization": "organization",
    "organisation": "organization", "person": "person", "ticker": "ticker", "journal-code": "journal_code",
    "journal code": "journal_code", "document-type": "document_type", "url": "url", "graphic": "graphic",
    "grafik": "graphic", "name": "name", "series": "series", "acc-no": "acc_no", "insert": "insert", "encart": "insert",
    "distribution": "distribution", "notes": "notes",
}
LABEL_LINE = re.compile(r"^(?P<label>[A-Za-zÄÖÜäöüÉéèêûç][A-Za-zÄÖÜäöüÉéèêûç\- ]{0,24})\s?:[\u00a0 \t]+(?P<value>.*)$")
TRAILER = {"load_date", "language", "publication_type", "update", "graphic", "journal_code", "subject", "industry",
           "geographic", "company", "organization", "person", "ticker", "document_type", "url", "acc_no",
           "correction_date", "distribution", "notes", "name", "series"}
PAGE = re.compile(r"^(?P<section>.*?)\s*[;,]\s*(?:Pg\.?|Page|S\.|Blz\.?|p\.)\s*(?P<page>[\w\-]+)\s*$", re.IGNORECASE)
COPYRIGHT = re.compile(r"^(Copyright|©|\(c\)\s*\d{4})", re.IGNORECASE)


def _label(line: str) -> tuple[str, str] | None:
    """``(field, value)`` for a known ``Label: value`` line (space or NBSP after the colon)."""
    m = LABEL_LINE.match(line.replace("\u00a0", " ").strip())
    if not m:
        return None
    field = LABELS.get(m["label"].strip().lower())
    return (field, m["value"].strip()) if field else None


def docx_paragraphs(data: bytes) -> list[str]:
    """The text of every paragraph of a DOCX's main document, in order (a line break splits a paragraph)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read("word/document.xml")
    except KeyError:
        raise ValueError("a ZIP file without word/document.xml is not a Word document") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(f"not a valid DOCX (ZIP) file: {exc}") from None
    root = parse_xml(xml)
    out: list[str] = []
    for p in root.iter():
        if local(p.tag) != "p":
            continue
        parts: list[str] = []
        for node in p.iter():
            name = local(node.tag)
            if name == "t" and node.text:
                parts.append(node.text)
            elif name == "tab":
                parts.append("\t")
            elif name in ("br", "cr"):
                parts.append("\n")
        out.extend("".join(parts).split("\n"))
    return out


def rtf_lines(data: bytes) -> list[str]:
    from striprtf.striprtf import rtf_to_text

    return rtf_to_text(decode(data), errors="ignore").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_nexis(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Articles of a Nexis export (DOCX, RTF, TXT or PDF), numbered from 1 in file order."""
    name = str(path)
    data = path.read_bytes()
    try:
        if data.startswith(b"PK\x03\x04"):
            lines, kind = docx_paragraphs(data), "docx"
        elif data.startswith(b"{\\rtf"):
            lines, kind = rtf_lines(data), "rtf"
        elif data.startswith(b"%PDF"):
            lines, kind = pdf_lines(data), "pdf"
            if not any(line.strip() for line in lines):
                yield Rejection(name, 0, "the PDF has no text layer (a scanned export?): nothing to read without "
                                         "OCR; export the search as DOCX (Word) instead")
                return
        else:
            lines, kind = decode(data).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"), "txt"
    except UnsafeXML as exc:
        yield Rejection(name, 0, str(exc))
        return
    except ValueError as exc:
        what = "Nexis PDF export" if data.startswith(b"%PDF") else "Nexis export"
        yield Rejection(name, 0, f"unreadable {what}: {exc}")
        return
    if not any(line.strip() for line in lines):
        what = {"docx": "Word document (DOCX)", "rtf": "RTF document", "txt": "text file"}.get(kind, "file")
        yield Rejection(name, 0, f"the {what} is empty: it holds no text, so no articles to read")
        return
    for item in parse_lines(name, lines, kind):
        if kind == "pdf" and isinstance(item, RawRecord):
            item.meta["quality"] = "low"
            item.meta["quality_note"] = PDF_QUALITY_NOTE
        yield item


PDF_QUALITY_NOTE = ("text extracted from a PDF: page breaks, paragraph boundaries and hyphenation may be wrong, "
                    "and page headers the reader did not recognise may remain")
PAGE_NUMBER = re.compile(r"^\s*(?:Page|Seite|Página|Pagina)\s+\d+\s+(?:of|von|sur|de|di|van)\s+\d+\s*$", re.IGNORECASE)
RUNNING_MIN_PAGES = 3  # a line at the top (bottom) of this many pages, and of half of them, is a running header


def pdf_lines(data: bytes, max_pages: int | None = None) -> list[str]:
    """The text lines of a PDF export, page after page, without page numbers and running headers/footers.

    ``max_pages`` reads only the first pages (enough to recognise an export). Raises ValueError (with the
    reason) for an encrypted or damaged PDF.
    """
    import logging

    import pypdf

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)  # pypdf logs repairs ("EOF marker not found"); the reason is reported instead
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("the PDF is encrypted (password protected)")
        pages = [(page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
                 for page in list(reader.pages)[:max_pages]]
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types (PdfReadError, KeyError...) on damaged files
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    finally:
        log.setLevel(level)
    pages = [[line.rstrip() for line in page if line.strip() and not PAGE_NUMBER.match(line)] for page in pages]
    return _drop_running_lines(pages)


def _is_marker(line: str) -> bool:
    s = line.strip()
    return bool(END.match(s) or START.match(s) or BODY.match(s) or CLASSIFICATION.match(s) or GRAPHIC.match(s))


def _drop_running_lines(pages: list[list[str]]) -> list[str]:
    """Page lines joined, without running headers/footers and repeated headlines on continuation pages."""
    from collections import defaultdict

    # which article each page starts in (the number of end markers before it): a line repeated at the top of
    # one long article's pages is its headline, not a header of the export, and must not be dropped everywhere
    segment, seg = [], 0
    for page in pages:
        segment.append(seg)
        seg += sum(1 for line in page if END.match(line))
    tops: dict[str, list[int]] = defaultdict(list)
    bottoms: dict[str, list[int]] = defaultdict(list)
    for k, page in enumerate(pages):
        if page:
            tops[page[0].strip()].append(segment[k])
            bottoms[page[-1].strip()].append(segment[k])
    enough = max(RUNNING_MIN_PAGES, (len(pages) + 1) // 2)

    def running(where: dict[str, list[int]]) -> set[str]:
        return {s for s, segs in where.items() if len(segs) >= enough and len(set(segs)) >= 2 and not _is_marker(s)}

    running_top, running_bottom = running(tops), running(bottoms)
    out: list[str] = []
    prev_top: str | None = None  # the first line of the previous page, as printed
    for page in pages:
        lines = list(page)
        while lines and lines[0].strip() in running_top:
            lines.pop(0)
        while lines and lines[-1].strip() in running_bottom:
            lines.pop()
        top = lines[0].strip() if lines else None
        continues = bool(out) and not END.match(out[-1])  # the page goes on with the article of the last one
        if continues and top is not None and top == prev_top and not _is_marker(top):
            lines.pop(0)  # the article's headline repeated at the top of its continuation page
        prev_top = top
        out.extend(lines)
    return out


def parse_lines(name: str, lines: list[str], kind: str) -> Iterator[Item]:
    """Split the lines of an export into articles by its markers and parse each one."""
    lines = [line.rstrip() for line in lines]
    if any(END.match(line) for line in lines):
        yield from _uni(name, lines, kind)
    elif any(START.match(line) for line in lines):
        yield from _legacy(name, lines, kind)
    elif any(_label(line) and _label(line)[0] == "length" for line in lines):  # type: ignore[index]
        # a single article saved without its "1 of 1 DOCUMENTS" header: the file is the article
        yield from _legacy(name, ["1 of 1 DOCUMENTS"] + lines, kind)
    elif any(BODY.match(line.strip()) for line in lines):
        yield from _uni(name, lines + ["End of Document"], kind)
    else:
        yield Rejection(name, 0, "no Nexis document markers found (End of Document, 'N of M DOCUMENTS', "
                                 "LENGTH:): not a Nexis export, or an empty one")


# -- Nexis Uni -------------------------------------------------------------------------------------------


def _uni(name: str, lines: list[str], kind: str) -> Iterator[Item]:
    chunks: list[list[str]] = [[]]
    for line in lines:
        if END.match(line):
            chunks.append([])
        else:
            chunks[-1].append(line)
    markers = len(chunks) - 1
    tail = [line for line in chunks.pop() if line.strip()]  # after the last marker: normally nothing
    expected = None
    if chunks:
        chunks[0], expected = _drop_cover(chunks[0])
    parsed = 0
    for n, chunk in enumerate(chunks, 1):
        item = _uni_article(name, n, chunk, kind)
        parsed += isinstance(item, RawRecord)
        yield item
    if tail and any(BODY.match(t.strip()) for t in tail):
        yield Rejection(name, markers + 1, "an article after the last 'End of Document' marker has no end marker "
                                           "(truncated export?); not read")
    if expected is not None and expected != markers:
        yield Rejection(name, 0, f"the cover page lists {expected} documents but the file has {markers} "
                                 "'End of Document' markers: some articles are missing from the export")


def _drop_cover(chunk: list[str]) -> tuple[list[str], int | None]:
    """The first chunk without the cover page, and the cover's ``Documents (N)`` count if there is one."""
    nonempty = [(i, line.strip()) for i, line in enumerate(chunk) if line.strip()]
    count_at = next((i for i, s in nonempty[:15] if COVER_COUNT.match(s)), None)
    if count_at is None:
        return chunk, None
    expected = int(COVER_COUNT.match(chunk[count_at].strip())[1])  # type: ignore[index]
    # the cover lists the headlines: "1. Headline"; the first article starts at that headline
    first_title = None
    last_cover = count_at
    for i, s in nonempty:
        if i <= count_at:
            continue
        m = re.match(r"^(\d+)\.\s+(.+)$", s)
        if m and first_title is None and m[1] == "1":
            first_title = m[2].strip()
        if m or COVER_LABELS.match(s):
            last_cover = i
            continue
        if first_title is not None and s == first_title and i > last_cover:
            return chunk[i:], expected
    return chunk[last_cover + 1 :], expected


def _uni_article(name: str, n: int, chunk: list[str], kind: str) -> Item:
    lines = [line.strip() for line in chunk if line.strip()]
    if not lines:
        return Rejection(name, n, "empty article between two 'End of Document' markers")
    meta: dict[str, Any] = {"nexis_export": f"uni-{kind}"}
    cls_at = max((i for i, s in enumerate(lines) if CLASSIFICATION.match(s)), default=None)
    classification: dict[str, str] = {}
    if cls_at is not None:
        last = None
        for s in lines[cls_at + 1 :]:
            lab = _label(s) or _generic_label(s)
            if lab:
                last = lab[0]
                classification[last] = lab[1]
            elif last:
                classification[last] += " " + s
        lines = lines[:cls_at]
    body_at = next((i for i, s in enumerate(lines) if BODY.match(s)), None)
    if body_at is None:
        # no Body marker: keep the article, all of it as text, and say so (LexisNexisTools: "graphic")
        header, body = [], lines
        meta["metadata_not_found"] = True
    else:
        header, body = lines[:body_at], lines[body_at + 1 :]
    graphic_at = max((i for i, s in enumerate(body) if GRAPHIC.match(s)), default=None)
    if graphic_at is not None:
        meta["graphic"] = " ".join(body[graphic_at + 1 :])
        body = body[:graphic_at]
    fields: dict[str, str] = {}
    plain: list[str] = []
    for s in header:
        lab = _label(s)
        if lab:
            fields[lab[0]] = lab[1]
        elif COPYRIGHT.match(s):
            meta["copyright"] = s
        else:
            plain.append(s)
    title = plain[0] if plain else None
    source = plain[1] if len(plain) > 1 else None
    date = None
    # the date line: the first header line after the headline that is a date line and nothing else
    for s in plain[1:5] + plain[:1]:
        date = written_date(s)
        if date:
            meta["date_line"] = s
            break
    if body_at is None:
        for s in lines[:10]:
            date = written_date(s)
            if date:
                meta["date_line"] = s
                break
    return _record(name, n, title, source, date, body, fields, classification, meta)


def _generic_label(line: str) -> tuple[str, str] | None:
    m = LABEL_LINE.match(line.replace("\u00a0", " ").strip())
    return (m["label"].strip().lower().replace(" ", "_"), m["value"].strip()) if m else None


def _record(name: str, n: int, title: str | None, source: str | None, date: tuple[str, str] | None,
            body: list[str], fields: dict[str, str], classification: dict[str, str], meta: dict[str, Any]) -> Item:
    if any(s.startswith("$%") for s in body):
        return Rejection(name, n, "malformed export: lines start with '$%' (a garbled Nexis download); "
                                  "fields not guessed, download it again")
    # a PDF's lines are wrapped lines, not paragraphs: keep them as lines
    sep = "\n" if str(meta.get("nexis_export", "")).endswith("-pdf") else "\n\n"
    text = sep.join(body).strip()
    for key in ("section", "byline", "highlight", "dateline", "edition", "type", "correction"):
        if fields.get(key):
            meta[key] = fields[key]
    if meta.get("section"):
        m = PAGE.match(meta["section"])
        if m:
            meta["section"], meta["page"] = m["section"].strip(), m["page"]
    if fields.get("length"):
        words = re.search(r"\d[\d.,]*", fields["length"])
        if words:
            meta["length_words"] = int(re.sub(r"[.,]", "", words[0]))
    trailer = {k: v for k, v in fields.items() if k in TRAILER}
    classification = {**trailer, **classification}
    if classification:
        meta["classification"] = classification
        if classification.get("language"):
            meta["language"] = classification["language"]
    if date is None and classification.get("load_date"):
        date = written_date(classification["load_date"])
        if date:
            meta["date_from"] = "load-date"
    if not text:
        return Rejection(name, n, "article without body text" + (f" ({title!r})" if title else ""))
    if date is None:
        return Rejection(name, n, "no date line found (and no Load-Date)" + (f" in {title!r}" if title else ""))
    data: dict[str, Any] = {"text": text, "date": date[0]}
    if title:
        data["title"] = title
    if source:
        data["source"] = source
    return RawRecord(name, n, data, meta=meta)


# -- legacy nexis.com ----------------------------------------------------------------------------------


def _legacy(name: str, lines: list[str], kind: str) -> Iterator[Item]:
    found = [(i, START.match(line)) for i, line in enumerate(lines)]
    starts = [(i, m) for i, m in found if m]
    expected = None
    numbers = []
    for _, m in starts:
        nums = [int(g) for g in m.groups() if g]
        numbers.append(nums[0])
        expected = nums[1]
    for k, (i, _) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        yield _legacy_article(name, k + 1, lines[i + 1 : end], kind)
    if expected is not None and expected != len(starts):
        missing = sorted(set(range(1, expected + 1)) - set(numbers))
        yield Rejection(name, 0, f"the export numbers its articles 'N of {expected} DOCUMENTS' but holds {len(starts)}"
                                 + (f" (missing: {', '.join(map(str, missing[:10]))})" if missing else ""))


EDITION = re.compile(r"\b(edition|ausgabe|édition)\b", re.IGNORECASE)


def _legacy_article(name: str, n: int, chunk: list[str], kind: str) -> Item:
    lines = [s.strip() for s in chunk if s.strip()]
    # how each line was laid out: the header block (publication, date, edition) is centred, the headline
    # starts at the margin after a blank line
    layout = [(s[:1].isspace(), i > 0 and not chunk[i - 1].strip()) for i, s in enumerate(chunk) if s.strip()]
    meta: dict[str, Any] = {"nexis_export": f"legacy-{kind}"}
    labelled = [(i, _label(s)) for i, s in enumerate(lines)]
    length_at = next((i for i, lab in labelled if lab and lab[0] == "length"), None)
    first_label = next((i for i, lab in labelled if lab), len(lines))
    fields: dict[str, str] = {}
    if length_at is None:
        # LexisNexisTools: no LENGTH line -> metadata not found ("graphic" record); keep the article, still
        # read the date line and the labels, and take the rest as text
        meta["metadata_not_found"] = True
        date_at0 = next((i for i, s in enumerate(lines[:4]) if written_date(s)), None)
        head_end = date_at0 + 1 if date_at0 is not None else 0
        body_start = head_end
        for i, lab in labelled[body_start:]:
            if lab and lab[0] not in TRAILER:
                fields[lab[0]] = lab[1]
        # The cast restates the truth test before it: mypy does not narrow labelled[i][1] by a variable index.
        lines = [s for i, s in enumerate(lines)
                 if i < body_start or not (labelled[i][1] and cast(tuple[str, str], labelled[i][1])[0] not in TRAILER)]
        labelled = [(i, _label(s)) for i, s in enumerate(lines)]
    else:
        head_end = first_label
        body_start = length_at + 1
        for i, lab in labelled[first_label : length_at + 1]:
            if lab:
                fields[lab[0]] = lab[1]
    head = lines[:head_end]
    # trailer: from the first LOAD-DATE/LANGUAGE/... label after the body starts, plus copyright lines
    trailer_at = next((i for i, lab in labelled[body_start:] if lab and lab[0] in TRAILER), None)
    if trailer_at is None:
        trailer_at = len(lines)
        while trailer_at > body_start and (COPYRIGHT.match(lines[trailer_at - 1])
                                           or lines[trailer_at - 1].lower() == "all rights reserved"):
            trailer_at -= 1
    body = lines[body_start:trailer_at]
    classification: dict[str, str] = {}
    for s in lines[trailer_at:]:
        lab = _label(s)
        if lab:
            classification[lab[0]] = lab[1]
        elif COPYRIGHT.match(s):
            meta["copyright"] = s
    # head: publication, date line, then the headline (anything else before the first label)
    source = head[0] if head else None
    date = None
    date_at = None
    for i, s in enumerate(head[:4]):
        date = written_date(s)
        if date:
            date_at = i
            meta["date_line"] = s
            break
    start = (date_at + 1) if date_at is not None else 1
    edition: list[str] = []
    if date_at is not None:
        # the edition may take several lines ("Edition 1;" then "Scotland"): the lines right under the date
        # line, indented as it is, or continuing a line that ends with ';'
        while start < len(head):
            indented, after_blank = layout[start]
            if (edition and edition[-1].endswith(";")) or (indented and not after_blank) \
                    or (not edition and EDITION.search(head[start])):
                edition.append(head[start])
                start += 1
                continue
            break
    rest = head[start:]
    elsewhere = [s for s in rest if EDITION.search(s)]
    title = " ".join(s for s in rest if s not in elsewhere) or None
    if edition or elsewhere:
        meta["edition"] = " ".join(edition) if edition else elsewhere[0]
    if date_at == 0:  # no publication line before the date
        source = None
    return _record(name, n, title, source, date, body, fields, classification, meta)
