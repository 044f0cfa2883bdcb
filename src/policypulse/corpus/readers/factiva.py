"""Factiva exports, XML (preferred) and HTML: one document per article, numbered from 1 in file order.

**XML** (the format tm.plugin.factiva reads): one ``<article>`` each. Elements used: ``headline``,
``leadParagraph`` and ``tailParagraphs/paragraph`` (the text), ``publicationDate/date`` (``YYYY-MM-DD``) or
``publicationDate/dateTime`` (ISO, UTC), ``sourceName``, ``byline``, ``sectionName``, ``edition``,
``baseLanguage``, ``wordCount``, ``copyright``, ``accessionNo``/``reference`` (the id), and the codes
``newsSubject/name``, ``region/name``, ``company/name``, ``industry/name`` (metadata). Namespaces are ignored.
Parsed with defusedxml.

**HTML** (saved from Factiva's article view; several articles per file), in its two layouts, each article a
``<div class="article enArticle">`` (``frArticle``, ``deArticle``...):

* *with indexing* ("Full Article/Report plus Indexing", the layout tm.plugin.factiva reads): a table of
  two-letter codes, ``HD`` headline, ``BY`` byline, ``WC`` word count ("640 words", "295 mots"), ``PD`` date,
  ``ET`` time, ``SN`` source, ``SC`` source code, ``SE`` section, ``ED`` edition, ``PG`` page, ``LA`` language,
  ``CY`` copyright, ``LP``/``TD`` lead and tail paragraphs (``<p class="articleParagraph ...">``), ``NS``,
  ``RE``, ``IN``, ``CO`` codes ("gpol : Domestic Politics | ..."), ``PUB`` publisher, ``AN`` "Document <id>";
* *article format*: ``<div id="hd">`` headline, ``<div class="author">`` byline, then unlabelled ``<div>``s
  in a fixed order (word count, date, time, source, source code, language, copyright), the paragraphs, and
  a last ``<p>`` "Document <id>".

HTML dates are written in the exporting machine's language (tm.plugin.factiva; news_extract #1: French
month names break English ``strptime``): English, German and French month names are read directly, other
languages through dateparser; a date that cannot be read rejects its article with the reason (XML exports,
dated ``YYYY-MM-DD``, avoid this). The HTML is parsed with the standard library's tolerant parser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policypulse.corpus.dates import DateError, parse_date
from policypulse.corpus.readers._util import (
    HtmlNode,
    UnsafeXML,
    local,
    parse_html,
    parse_xml,
    text_of,
    written_date,
)
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el.iter() if local(c.tag) == name]


def _first(el: Any, name: str) -> Any:
    return next((c for c in el.iter() if local(c.tag) == name), None)


def _xml_paragraphs(container: Any) -> list[str]:
    """The texts of a lead or tail container: its ``<paragraph>`` elements, or its own text when it holds the
    text directly (``<leadParagraph>Text...</leadParagraph>``, as some exports write it)."""
    if container is None:
        return []
    paras = _children(container, "paragraph")
    return [text_of(p) for p in paras] if paras else [text_of(container)]


def read_factiva(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Articles of a Factiva XML or HTML export, numbered from 1."""
    name = str(path)
    data = path.read_bytes()
    if b"<html" in data[:3000].lower():
        yield from read_factiva_html(name, data, options)
        return
    try:
        root = parse_xml(data)
    except UnsafeXML as exc:
        yield Rejection(name, 0, str(exc))
        return
    except ValueError as exc:
        yield Rejection(name, 0, f"unreadable Factiva XML: {exc}")
        return
    articles = _children(root, "article")
    if not articles:
        yield Rejection(name, 0, "no <article> elements: not a Factiva XML export")
        return
    for n, art in enumerate(articles, 1):
        yield _article(name, n, art)


def _article(name: str, n: int, art: Any) -> Item:
    headline = text_of(_first(art, "headline"))
    paragraphs = _xml_paragraphs(_first(art, "leadParagraph")) + _xml_paragraphs(_first(art, "tailParagraphs"))
    text = "\n\n".join(p for p in paragraphs if p)
    pub = _first(art, "publicationDate")
    date = None
    if pub is not None:
        d, t = _first(pub, "date"), _first(pub, "dateTime")
        date = text_of(d) or text_of(t) or text_of(pub)
    ident = text_of(_first(art, "accessionNo")) or text_of(_first(art, "reference")).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if not text:
        return Rejection(name, n, f"article {ident or n} has no lead or tail paragraphs")
    if not date:
        return Rejection(name, n, f"article {ident or n} has no publicationDate")
    meta: dict[str, Any] = {}
    for tag, key in (("byline", "byline"), ("sectionName", "section"), ("edition", "edition"),
                     ("baseLanguage", "language"), ("copyright", "copyright"), ("publisherName", "publisher"),
                     ("sourceCode", "source_code")):
        value = text_of(_first(art, tag))
        if value:
            meta[key] = value
    wc = text_of(_first(art, "wordCount"))
    if wc.isdigit():
        meta["length_words"] = int(wc)
    for tag, key in (("newsSubject", "subjects"), ("region", "regions"), ("company", "companies"),
                     ("industry", "industries")):
        names = [text_of(_first(c, "name")) for c in _children(art, tag)]
        if any(names):
            meta[key] = "; ".join(x for x in names if x)
    data = {"id": ident or None, "text": text, "title": headline or None, "date": date,
            "source": text_of(_first(art, "sourceName")) or meta.get("publisher")}
    return RawRecord(name, n, {k: v for k, v in data.items() if v}, meta=meta)


# -- HTML -------------------------------------------------------------------------------------------------

_CODE = re.compile(r"^[A-Z]{2,4}$")
_WORDS = re.compile(r"^(\d[\d.,\u00a0 ]*)\s+(words?|mots?|wörter|worte|palabras|parole|woorden|ord|palavras)$",
                    re.IGNORECASE)
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*(?:[AP]\.?M\.?))?(?:\s*[A-Z]{2,4})?$", re.IGNORECASE)
_SOURCE_CODE = re.compile(r"^[A-Z0-9]{2,12}$")
_COPYRIGHT = re.compile(r"^(\(c\)|©|copyright\b)", re.IGNORECASE)
_DOCUMENT = re.compile(r"^(?:Document|Dokument|Documento)\s+(\S+)$", re.IGNORECASE)
_LANGUAGES = {"english", "french", "français", "francais", "german", "deutsch", "allemand", "anglais", "englisch",
              "spanish", "español", "espagnol", "italian", "italiano", "dutch", "nederlands", "portuguese",
              "português", "swedish", "svenska", "russian", "русский", "chinese", "japanese", "polish", "polski"}
_FIELD_META = (("BY", "byline"), ("SE", "section"), ("ED", "edition"), ("PG", "page"), ("LA", "language"),
               ("CY", "copyright"), ("PUB", "publisher"), ("SC", "source_code"), ("ET", "time"), ("CLM", "column"))
_CODE_META = (("NS", "subjects"), ("RE", "regions"), ("CO", "companies"), ("IN", "industries"))


def read_factiva_html(name: str, data: bytes, options: ReaderOptions) -> Iterator[Item]:
    """Articles of a Factiva HTML export (either layout), numbered from 1; a file without any is rejected."""
    root = parse_html(decode(data))
    articles = [div for div in root.iter("div") if "article" in div.classes]
    if not articles:
        yield Rejection(name, 0, 'no Factiva article blocks (<div class="article ...">) in this HTML file: not a '
                                 "Factiva export, or a headline list saved instead of the articles")
        return
    for n, art in enumerate(articles, 1):
        table = _code_table(art)
        item = _html_indexed(name, n, art, table) if table else _html_article(name, n, art)
        yield _dated(item, options.date_order)


def _code_table(art: HtmlNode) -> dict[str, HtmlNode]:
    """Code -> value cell of the indexed layout's table (``<td><b>HD</b>&nbsp;</td><td>...</td>``)."""
    cells: dict[str, HtmlNode] = {}
    for tr in art.iter("tr"):
        tds = [c for c in tr.elements() if c.tag in ("td", "th")]
        if len(tds) >= 2:
            code = tds[0].text()
            if _CODE.match(code) and code not in cells:
                cells[code] = tds[1]
    return cells if "HD" in cells or "LP" in cells or "TD" in cells else {}


def _paragraphs(node: HtmlNode | None, whole: bool = True) -> list[str]:
    """The ``articleParagraph`` texts below ``node``; with ``whole``, the node's text when it has none (an
    LP/TD cell written without paragraph markup)."""
    if node is None:
        return []
    paras = [p.text() for p in node.iter("p") if any(c.startswith("articleParagraph") for c in p.classes)]
    return [p for p in paras if p] or ([node.text()] if whole and node.text() else [])


def _codes(value: str) -> str:
    """Factiva codes "gpol : Domestic Politics | gvote : Elections" as "Domestic Politics; Elections"."""
    names = [part.split(" : ", 1)[-1].strip() for part in value.split("|")]
    return "; ".join(x for x in names if x)


def _html_indexed(name: str, n: int, art: HtmlNode, cells: dict[str, HtmlNode]) -> Item:
    def get(code: str) -> str:
        return cells[code].text() if code in cells else ""

    ident = _document_id(get("AN"))
    meta: dict[str, Any] = {"factiva_export": "html-indexed"}
    for code, key in _FIELD_META:
        if get(code):
            meta[key] = get(code)
    for code, key in _CODE_META:
        if get(code):
            meta[key] = _codes(get(code))
    paragraphs = _paragraphs(cells.get("LP")) + _paragraphs(cells.get("TD"))
    return _html_record(name, n, ident, get("HD"), get("SN") or meta.get("publisher"), get("PD"), get("WC"),
                        paragraphs, meta)


def _html_article(name: str, n: int, art: HtmlNode) -> Item:
    hd = next((d for d in art.iter("div") if d.attrs.get("id") == "hd"), None)
    headline = hd.text() if hd is not None else ""
    meta: dict[str, Any] = {"factiva_export": "html-article"}
    author = next((d for d in art.iter("div") if "author" in d.classes), None)
    if author is not None and author.text():
        meta["byline"] = author.text()
    words = ""
    ident = None
    # the unlabelled lines of the header, in the order Factiva writes them, each recognised by its shape:
    # word count, date, time, source, source code, language, copyright
    plain: list[str] = []
    for div in art.elements():
        if div.tag != "div" or div.attrs.get("class") or div.attrs.get("id"):
            continue
        t = div.text()
        if not t:
            continue
        if not words and _WORDS.match(t):
            words = t
        elif "time" not in meta and _TIME.match(t):
            meta["time"] = t
        elif _COPYRIGHT.match(t):
            meta["copyright"] = t
        elif _DOCUMENT.match(t):
            ident = _document_id(t)
        else:
            plain.append(t)
    # the date: the first line that is a date (en/de/fr month names), else the first line dateparser reads
    at = next((i for i, t in enumerate(plain) if written_date(t)), None)
    if at is None:
        at = next((i for i, t in enumerate(plain) if _html_date(t, None)[0]), None)
    date = plain[at] if at is not None else ""
    rest = plain[at + 1 :] if at is not None else plain
    source = rest[0] if rest else ""
    for t in rest[1:]:
        if "source_code" not in meta and _SOURCE_CODE.match(t):
            meta["source_code"] = t
        elif "language" not in meta and t.lower() in _LANGUAGES:
            meta["language"] = t
    for p in art.iter("p"):
        if _DOCUMENT.match(p.text()) and not any(c.startswith("articleParagraph") for c in p.classes):
            ident = _document_id(p.text())
    return _html_record(name, n, ident, headline, source, date, words, _paragraphs(art, whole=False), meta)


def _document_id(value: str) -> str | None:
    m = _DOCUMENT.match(value.strip())
    return m[1] if m else (value.strip() or None)


def _html_record(name: str, n: int, ident: str | None, headline: str, source: str | None, date: str, words: str,
                 paragraphs: list[str], meta: dict[str, Any]) -> Item:
    label = ident or (repr(headline) if headline else str(n))
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        return Rejection(name, n, f"article {label} has no text paragraphs (LP/TD)")
    if not date:
        return Rejection(name, n, f"article {label} has no publication date (PD)")
    m = _WORDS.match(words)
    if m:
        meta["length_words"] = int(re.sub(r"[^\d]", "", m[1]))
    meta["date_line"] = date
    data = {"id": ident, "text": text, "title": headline or None, "date": date, "source": source or None}
    return RawRecord(name, n, {k: v for k, v in data.items() if v}, meta=meta)


def _dated(item: Item, date_order: str | None) -> Item:
    """The record with its written date line replaced by ISO text, or a Rejection saying why it cannot be."""
    if not isinstance(item, RawRecord):
        return item
    iso, why = _html_date(item.data["date"], date_order)
    if iso is None:
        label = item.data.get("id") or repr(item.data.get("title") or item.record)
        return Rejection(item.file, item.record, f"article {label}: publication date {item.data['date']!r} could "
                                                 f"not be read ({why}; Factiva HTML writes dates in the exporting "
                                                 "machine's language and format: export XML instead)")
    item.data["date"] = iso
    return item


def _html_date(value: str, date_order: str | None) -> tuple[str | None, str]:
    """``(ISO text of the date's precision, "")`` for a Factiva HTML date line, else ``(None, reason)``."""
    found = written_date(value)
    if found:
        return found[0], ""
    try:
        # the future is judged at ingest, against its own "today", not here
        d, precision = parse_date(value, date_order=date_order, today=dt.date.max - dt.timedelta(days=1))
    except DateError as exc:
        return None, str(exc)
    return {"day": d.isoformat(), "month": d.isoformat()[:7], "year": d.isoformat()[:4]}[precision], ""
