"""Decoding bytes: encodings and their sniffing. Cleaning text is a text rule (``policypulse.text.clean_text``)."""

from __future__ import annotations

import codecs

from policypulse.text import clean_text

__all__ = ["clean_text", "decode", "sniff_encoding"]


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    # Bytes that are not valid UTF-8 are read as Windows-1252 (a superset of Latin-1 for printable
    # text): files in those encodings decode correctly, and a stray byte in a UTF-8 file costs one
    # character instead of the record. 0x81, 0x8d, 0x8f, 0x90, 0x9d are undefined there: Latin-1.
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    out = []
    for b in bad:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out), err.end


codecs.register_error("policypulse-cp1252", _cp1252_fallback)


def sniff_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: a BOM, UTF-16 without BOM, else UTF-8 (cp1252 fallback)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return "utf-32"
    sample = head[:4096]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be"
    return "utf-8"


def decode(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes with a sniffed (or given) encoding; invalid UTF-8 bytes fall back to cp1252."""
    enc = encoding or sniff_encoding(data[:4096])
    if enc == "utf-8":
        return data.decode("utf-8", errors="policypulse-cp1252")
    return data.decode(enc, errors="replace")
