"""Readers, one module per input format, and format detection by content."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from policypulse.corpus.readers.archive import read_zip
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.readers.bluesky import looks_like_bluesky, read_bluesky
from policypulse.corpus.readers.csv import read_csv
from policypulse.corpus.readers.factiva import read_factiva
from policypulse.corpus.readers.gdelt import read_gdelt, sniff_tsv
from policypulse.corpus.readers.hansard import read_hansard
from policypulse.corpus.readers.jsonl import read_json_array, read_jsonl
from policypulse.corpus.readers.mediacloud import is_attention_header, is_story_header, read_mediacloud
from policypulse.corpus.readers.nexis import END as NEXIS_END
from policypulse.corpus.readers.nexis import START as NEXIS_START
from policypulse.corpus.readers.nexis import read_nexis
from policypulse.corpus.readers.parquet import read_parquet
from policypulse.corpus.readers.sotu import read_sotu
from policypulse.corpus.readers.textdir import BINARY_MAGIC, iter_files, read_textdir, read_textfile
from policypulse.corpus.readers.twitter import is_archive_js, looks_like_tweet, looks_like_twitter_users, read_twitter
from policypulse.errors import UsageError

ReaderFn = Callable[[Path, ReaderOptions], Iterator[Item]]

# Formats of the archives researchers hold (issue #9); a folder holding any of them is read file by file.
ARCHIVE_FORMATS = ("nexis", "factiva", "mediacloud", "gdelt", "twitter", "bluesky", "hansard", "zip")


def read_folder(folder: Path, options: ReaderOptions) -> Iterator[Item]:
    """A folder of mixed files: each file read by the reader its content calls for (text files as textdir)."""
    for n, path in enumerate(iter_files(folder), 1):
        fmt = detect(path)
        if fmt == "text":
            yield from read_textfile(path, options, record=n, folder=folder)
        else:
            yield from READERS[fmt](path, options)


def is_empty(path: Path) -> bool:
    """Whether a file holds nothing but whitespace (and a byte-order mark): no records in any format."""
    try:
        if path.stat().st_size > 4096 or not path.is_file():
            return False
        return not path.read_bytes().lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    except OSError:
        return False


def read_empty(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """An empty file: one rejection that says so (whatever its extension promised)."""
    size = path.stat().st_size
    yield Rejection(str(path), 0, "the file is empty (0 bytes): no records to read" if size == 0 else
                    f"the file is empty (only whitespace in {size} bytes): no records to read")


READERS: dict[str, ReaderFn] = {
    "jsonl": read_jsonl,
    "json": read_json_array,
    "csv": read_csv,
    "parquet": read_parquet,
    "textdir": read_textdir,
    "text": read_textfile,
    "sotu": read_sotu,  # type: ignore[dict-item]
    "nexis": read_nexis,
    "factiva": read_factiva,
    "mediacloud": read_mediacloud,
    "gdelt": read_gdelt,
    "twitter": read_twitter,
    "bluesky": read_bluesky,
    "hansard": read_hansard,
    "zip": read_zip,  # type: ignore[dict-item]
    "folder": read_folder,
    "empty": read_empty,
}
FORMATS = ("auto", "jsonl", "json", "csv", "parquet", "textdir", "sotu") + ARCHIVE_FORMATS
# Formats named in the contract but not readable yet (none since issue #9).
PLANNED_FORMATS: tuple[str, ...] = ()

# Factiva's HTML exports: article blocks <div class="article enArticle">, paragraphs class="articleParagraph ...",
# a <title>Factiva</title> (the indexed export's CSS runs to ~100 KB before the first article)
_FACTIVA_HTML = re.compile(r"""class=["']article [a-z]{2}Article["']|class=["']articleParagraph"""
                           r"|<title>\s*Factiva\s*</title>", re.IGNORECASE)
_NEXIS_HEAD = re.compile(r"^\s*(?:Documents|Dokumente)\s*\(\d+\)\s*$", re.IGNORECASE | re.MULTILINE)


def detect(path: Path) -> str:
    """The format of ``path`` from its content (magic bytes and structure), not its extension."""
    if path.is_dir():
        return _detect_folder(path)
    if is_empty(path):
        return "empty"
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip(path)
    if head.startswith(b"{\\rtf"):
        from policypulse.corpus.readers.nexis import rtf_lines

        try:
            lines = rtf_lines(head if len(head) < 65536 else path.read_bytes()[: 1 << 20])
        except Exception:  # noqa: BLE001 - striprtf on a damaged file: the text reader names it
            return "text"
        return "nexis" if _nexis_lines(lines) else "text"
    if head.startswith(b"%PDF"):
        return _detect_pdf(path)
    if head.startswith(tuple(BINARY_MAGIC)):
        return "text"  # the text reader rejects it, naming the container (a .txt that is a PDF)
    from policypulse.corpus.text import decode

    text = decode(head).lstrip("\ufeff \t\r\n")
    if is_archive_js(text):
        return "twitter"
    if text.startswith("<"):
        return _detect_xml(text)
    if text.startswith(("[", "{")):
        return _detect_json(text)
    if sniff_tsv(text):
        return "gdelt"
    lines = text.split("\n")
    if _nexis_lines(lines[:400]):
        return "nexis"
    first_line = lines[0]
    if any(d in first_line for d in (",", "\t", ";")) and not first_line.lower().startswith(("date:", "---")):
        cols = [c.strip().strip('"') for c in re.split(r"[,\t;]", first_line.strip())]
        if is_story_header(cols) or is_attention_header(cols):
            return "mediacloud"
        return "csv"
    return "text"


def _nexis_lines(lines: list[str]) -> bool:
    return any(NEXIS_END.match(s) or NEXIS_START.match(s) for s in lines)


def _detect_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" not in names:
                return "zip"
            xml = zf.read("word/document.xml")
    except (zipfile.BadZipFile, OSError, EOFError, KeyError):
        return "text"  # the text reader names it a ZIP/DOCX container
    plain = re.sub(rb"<[^>]+>", b"", xml)
    if re.search(rb"End of Document|Ende des Dokuments|Fin du document", plain) or not plain.strip():
        return "nexis"  # an empty Word file too: the Nexis reader says it is empty (not "a ZIP container")
    return "text"  # a Word file that is not a Nexis export: rejected with the reason


def _detect_pdf(path: Path) -> str:
    """``nexis`` for a PDF whose first pages hold Nexis document markers, else ``text`` (rejected with reason)."""
    from policypulse.corpus.readers.nexis import pdf_lines

    try:
        lines = pdf_lines(path.read_bytes(), max_pages=10)
    except (ValueError, OSError):
        return "text"  # the text reader names it a PDF; --format nexis gives the PDF's own error
    return "nexis" if _nexis_lines(lines) else "text"


def _detect_xml(text: str) -> str:
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    body = re.sub(r"^(<!--.*?-->\s*|<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>\s*)*", "", body, flags=re.DOTALL)
    if body.startswith("<publicwhip"):
        return "hansard"
    low = text[:20000].lower()
    if "<html" in low[:3000] and _FACTIVA_HTML.search(text):
        return "factiva"
    if "<article" in low and ("<accessionno" in low or "factiva" in low or "<ppsarticle" in low
                              or "<tailparagraphs" in low or "<leadparagraph" in low):
        return "factiva"
    if low.startswith(("<!doctype html", "<html")) and "gdelt" in low:
        return "gdelt"
    return "text"


def _detect_json(text: str) -> str:
    """The archive shapes first (Twitter, Bluesky, GDELT), else JSON Lines or one JSON document."""
    first = text.split("\n", 1)[0].strip()
    try:
        obj = json.loads(first, strict=False)
    except ValueError:
        obj = None
    if obj is None:  # one document on one line, or spanning lines (pretty-printed) and whole in the head
        try:
            obj = json.loads(text, strict=False)
        except ValueError:
            obj = None
    if isinstance(obj, list) and obj:
        obj = obj[0]
    if obj is not None:
        if looks_like_tweet(obj) or looks_like_twitter_users(obj):
            return "twitter"  # a users lookup too: the Twitter reader says it holds user records, not tweets
        if looks_like_bluesky(obj):
            return "bluesky"
        if isinstance(obj, dict) and (_gdelt_articles(obj) or "timeline" in obj and "query_details" in obj):
            return "gdelt"
    # a document spanning lines (or cut off at 64 KiB): look for the shapes' telltale keys
    head = text[:65536]
    if re.search(r'"seendate"\s*:', head) and re.search(r'"articles"\s*:', head):
        return "gdelt"
    if '"app.bsky.feed.post"' in head:
        return "bluesky"
    if re.search(r'"(memberships|persons)"\s*:', head) and "uk.org.publicwhip/" in head:
        return "hansard"  # ParlParse's people.json: accounted for by the Hansard reader, not read as documents
    if re.search(r'"(screen_name|username)"\s*:', head) and not re.search(r'"(full_)?text"\s*:', head) and \
            re.search(r'"(followers_count|friends_count|public_metrics|verified|protected)"\s*:', head):
        return "twitter"  # user profiles spanning lines (a users lookup): refused by the Twitter reader
    if re.search(r'"edit_history_tweet_ids"\s*:', head) or (
            re.search(r'"data"\s*:', head) and re.search(r'"author_id"\s*:', head)) or (
            re.search(r'"id_str"\s*:', head) and re.search(r'"created_at"\s*:', head)):
        return "twitter"
    return _json_or_jsonl(text)


def _gdelt_articles(obj: dict) -> bool:
    arts = obj.get("articles")
    return isinstance(arts, list) and (not arts or isinstance(arts[0], dict) and "seendate" in arts[0])


def _detect_folder(folder: Path) -> str:
    """``folder`` (read file by file) when it holds any archive format, else ``textdir``."""
    for k, path in enumerate(iter_files(folder)):
        if k >= 200:
            break
        try:
            if detect(path) in ARCHIVE_FORMATS:
                return "folder"
        except OSError:
            continue
    return "textdir"


def _json_or_jsonl(text: str) -> str:
    """One value per line (JSONL) or one JSON document spanning lines, from the start of a file.

    A broken or non-object first line must not turn a JSONL file into one unreadable JSON document.
    """

    def value(line: str) -> object:
        try:
            return json.loads(line, strict=False)
        except ValueError:
            return ValueError

    complete = [line.strip() for line in text.split("\n")[:-1] if line.strip()]  # the last may be cut off
    if not complete:
        return "jsonl" if text.startswith("{") else "json"
    if value(complete[0]) is not ValueError:
        return "jsonl" if len(complete) > 1 or text.startswith("{") else "json"
    rest = complete[1:]
    objects = sum(isinstance(value(line), dict) for line in rest)
    return "jsonl" if rest and 2 * objects >= len(rest) else "json"


def reader_for(fmt: str, path: Path) -> tuple[str, ReaderFn]:
    """The reader for a format name (``auto`` detects); unknown names list the valid ones."""
    if fmt in PLANNED_FORMATS:
        raise UsageError(f"--format {fmt} is not supported yet (readers available: {', '.join(FORMATS)})")
    if fmt == "auto":
        fmt = detect(path)
    elif fmt in READERS and fmt != "sotu" and path.is_file() and is_empty(path):
        fmt = "empty"  # --format jsonl on an empty file: say it is empty rather than read nothing silently
    if fmt not in READERS:
        raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in ARCHIVE_FORMATS and path.is_dir():  # --format nexis FOLDER: every file of the folder
        base = READERS[fmt]
        return fmt, lambda folder, options: (item for f in iter_files(folder) for item in base(f, options))
    return fmt, READERS[fmt]


__all__ = ["FORMATS", "Item", "RawRecord", "ReaderOptions", "Rejection", "detect", "reader_for"]
