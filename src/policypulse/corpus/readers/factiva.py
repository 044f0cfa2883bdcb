"""Factiva XML exports (the format tm.plugin.factiva reads): one document per ``<article>``.

Elements used: ``headline``, ``leadParagraph`` and ``tailParagraphs/paragraph`` (the text),
``publicationDate/date`` (``YYYY-MM-DD``) or ``publicationDate/dateTime`` (ISO, UTC), ``sourceName``,
``byline``, ``sectionName``, ``edition``, ``baseLanguage``, ``wordCount``, ``copyright``,
``accessionNo``/``reference`` (the id), and the codes ``newsSubject/name``, ``region/name``,
``company/name``, ``industry/name`` (metadata). Namespaces are ignored. Parsed with defusedxml.
Factiva's HTML export is not read: its dates follow the exporting machine's locale (tm.plugin.factiva
docs); export XML instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policypulse.corpus.readers._util import UnsafeXML, local, parse_xml, text_of
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el.iter() if local(c.tag) == name]


def _first(el: Any, name: str) -> Any:
    return next((c for c in el.iter() if local(c.tag) == name), None)


def read_factiva(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Articles of a Factiva XML file, numbered from 1."""
    name = str(path)
    data = path.read_bytes()
    if data.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")):
        yield Rejection(name, 0, "Factiva HTML exports are not read (their dates depend on the exporting "
                                 "machine's locale): export the articles as XML")
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
    lead = _first(art, "leadParagraph")
    paragraphs = [text_of(p) for p in _children(lead, "paragraph")] if lead is not None else []
    tail = _first(art, "tailParagraphs")
    if tail is not None:
        paragraphs += [text_of(p) for p in _children(tail, "paragraph")]
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
