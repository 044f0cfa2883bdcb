"""The text rules of DESIGN.md, written once: cleaning, tokens, the normalised string, phrase patterns.

Everything that turns text into tokens imports this module: the store at ingest (``corpus/ingest.py``,
and ``corpus/spark_ingest.py`` through the Java forms of the same character classes), the query language
(``query/parser.py``), KWIC and discovery. It imports nothing else from policypulse, so neither the store
nor Spark depends on the query package.

The rule: text is cleaned (control characters become spaces, mojibake is repaired), NFC-normalised and
casefolded, invisible format characters are dropped; tokens are maximal runs of Unicode letters/digits
(combining marks after a letter stay in its token), a leading ``#`` kept. Documents and queries take the
same path: "zebrafish\\0mandate" is the two tokens of "zebrafish mandate" in a document and in a query.

The stored normalised string wraps every token in its own pair of spaces (``" big  society "``) so that a
phrase is a plain substring (``" big  society "``) and adjacent occurrences of a one-token alias never
share a delimiter: substring counting then equals token counting, in DuckDB, Spark and Python alike.
"""

from __future__ import annotations

import re
import unicodedata

from policypulse._marks import MARK_RANGES

# Control characters are not letters, so under the rule they separate tokens, as any character between
# tokens does (pdftotext puts \f between pages; NUL padding and stray escapes sit between words). Cleaning
# turns them into spaces rather than deleting them: deleting a NUL would glue "zebrafish\0mandate" into one
# token that the same text typed as a query never matches. Tab, line feed and carriage return stay as written.
_CONTROL_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x7F))
# Format characters (soft hyphen, zero-width joiners, bidi marks and isolates, BOM) are invisible in print: a
# word with a soft hyphen inside is still one word, so they are removed before tokenising. The zero-width
# space is a word break by intent and is left to split tokens like any other non-letter.
_FORMAT_RANGES = ((0x00AD, 0x00AD), (0x200C, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
                  (0xFEFF, 0xFEFF), (0x061C, 0x061C), (0x180E, 0x180E))


def _py_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


def _java_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


CONTROL_RE = re.compile(_py_class(_CONTROL_RANGES))
FORMAT_RE = re.compile(_py_class(_FORMAT_RANGES))
# [^\W_] is "a Unicode letter or digit" in Python's re (\w minus the underscore). Combining marks (Arabic
# harakat, Indic vowel signs, Hebrew points) are not letters, but a mark after a letter belongs to its word,
# as in Unicode's word-boundary rules (UAX #29): "नीति" is one token, not three.
TOKEN_RE = re.compile(r"#?[^\W_](?:[^\W_]|" + _py_class(MARK_RANGES) + r")*")

# The same classes as Java regexes, for Spark's regexp_replace and regexp_extract_all (corpus/spark_ingest.py).
JAVA_CONTROL_RE = _java_class(_CONTROL_RANGES)
JAVA_FORMAT_RE = _java_class(_FORMAT_RANGES)
# A letter or number, then letters, numbers and combining marks (Mn, Mc, Me: the categories of _marks.py).
# One character class after the first character: Java loops over it without recursion (a token of any
# length cannot overflow the stack) and tests categories, not ranges.
JAVA_TOKEN_RE = "#?[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}]*"
# ASCII text (most of an English corpus), lower-cased: the same tokens, found several times faster.
JAVA_ASCII_TOKEN_RE = "#?[a-z0-9]+"


# The same control characters as bytes, for ASCII text: bytes.translate is one table lookup a byte, about 4x
# faster than the regex's search (measured: 0.05 against 0.19 CPU s over 20,000 benchmark texts).
_ASCII_CONTROL = bytes(c for a, b in _CONTROL_RANGES for c in range(a, b + 1) if c < 128)
_ASCII_CONTROL_TO_SPACE = bytes(32 if c in _ASCII_CONTROL else c for c in range(256))


def clean_text(text: str) -> str:
    """Control characters to spaces and mojibake repaired: the text as stored (and as queries are read)."""
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROL)) != len(raw):  # one pass for the common case of clean text
            text = raw.translate(_ASCII_CONTROL_TO_SPACE).decode("ascii")
        return text  # ASCII text holds no mojibake
    if CONTROL_RE.search(text):
        text = CONTROL_RE.sub(" ", text)
    import ftfy  # only non-ASCII text can hold mojibake; plain queries never pay for the import

    if ftfy.is_bad(text):
        # Only the encoding repair: quotes, ligatures and width stay as the author wrote them, so
        # the text we store and the idea dictionaries see the same characters (explicit policy).
        text = ftfy.fix_encoding(text)
    return text


def display_text(text: str) -> str:
    """The text as KWIC shows it: invisible format characters dropped, NFC (as the matching rule reads it)."""
    text = FORMAT_RE.sub("", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def prepare(text: str) -> str:
    """Casefold and NFC-normalise text and drop invisible format characters (the matching view)."""
    if not text.isascii():
        # casefold turns the Turkish capital I with dot into "i" plus a combining dot: drop the dot so that
        # "İstanbul" and "Istanbul" fold alike.
        return unicodedata.normalize("NFC", FORMAT_RE.sub("", text)).casefold().replace("i\u0307", "i")
    return text.casefold()


# For pure-ASCII text (most of any English corpus) every ASCII character that is not a letter, a digit or
# '#' separates tokens, so a translate + split finds the same tokens about 4x faster than the regex.
_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum() and chr(c) != "#"}
_ASCII_ALNUM_HASH = frozenset(c for c in range(128) if c not in _ASCII_SEPARATORS)


def tokens(text: str) -> list[str]:
    """Tokens of ``text`` under the matching rule."""
    if text.isascii():
        toks = text.lower().translate(_ASCII_SEPARATORS).split()
        if "#" not in text:
            return toks
        # '#' is kept only as the first character of a token: re-split the few tokens holding one.
        return [t for tok in toks for t in ((tok,) if "#" not in tok else TOKEN_RE.findall(tok))]
    return TOKEN_RE.findall(prepare(text))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens of a ``display_text`` with their character spans in it (the same tokens as ``tokens``)."""
    if text.isascii():
        return [(m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(text.lower())]
    # ``prepare`` casefolds, which may lengthen a character ("ß" -> "ss", "İ" -> "i" + combining dot), then
    # drops the dot of every "i" + combining dot. Both are done here a character at a time, keeping for
    # each folded character the index of the character it came from.
    folded: list[str] = []
    origin: list[int] = []
    absorbed = False  # whether the last folded "i" already lost a dot (str.replace does not overlap)
    for i, ch in enumerate(text):
        for f in ch.casefold():
            if f == "\u0307" and folded and folded[-1] == "i" and not absorbed:
                absorbed = True
                continue
            folded.append(f)
            origin.append(i)
            absorbed = False
    s = "".join(folded)
    return [(m.group(0), origin[m.start()], origin[m.end() - 1] + 1) for m in TOKEN_RE.finditer(s)]


# tokens' ASCII path on bytes: separators to spaces and letters to lower case in one table lookup a byte; split
# and join of bytes tokens cost less than of str (measured: normalise 0.62 against 0.71 CPU s over 20,000 texts)
_ASCII_NORM_TABLE = bytes(32 if c < 128 and c not in _ASCII_ALNUM_HASH else c for c in range(256)).lower()


def normalise(text: str) -> tuple[str, int]:
    """The stored normalised token string of ``text`` and its number of tokens."""
    if text.isascii() and "#" not in text:
        btoks = text.encode("ascii").translate(_ASCII_NORM_TABLE).split()
        if not btoks:
            return "", 0
        return (b" " + b"  ".join(btoks) + b" ").decode("ascii"), len(btoks)
    toks = tokens(text)
    if not toks:
        return "", 0
    return " " + "  ".join(toks) + " ", len(toks)


def phrase_pattern(phrase_tokens: list[str], prefix: bool = False) -> str:
    """The substring that marks an occurrence of a phrase in a normalised string.

    With ``prefix`` the last token is a prefix (a trailing ``*``): its closing space is left off.
    """
    body = " " + "  ".join(phrase_tokens)
    return body if prefix else body + " "


def count_occurrences(norm: str, pattern: str) -> int:
    """Non-overlapping occurrences of a phrase pattern in a normalised string."""
    return norm.count(pattern)
