"""Bytes to text for text-like files: byte-order marks, UTF-8, then a guarded guess.

The order is chosen for how files are found in the wild, not for how they
declare themselves: a byte-order mark is certain; bytes that are valid UTF-8
and contain non-ASCII are UTF-8 with near certainty (legacy text almost never
passes the check), even when an HTML page's meta tag claims Latin-1; only
then do we trust a declaration or a statistical guess.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer

from searchapp.errors import ExtractError

#: How much of a file the binary check and stream sniffing look at.
SAMPLE_SIZE = 8192

# UTF-32 first: its little-endian mark starts with the UTF-16 one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Tab, LF, VT, FF, CR and ESC (ANSI colours in logs) occur in real text.
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1b")
_CONTROL_BYTES = frozenset(range(0x20)) - _TEXT_CONTROLS
# Random binary data has about 10% such bytes; text has next to none.
_MAX_CONTROL_SHARE = 0.05

# HTML labels that mean windows-1252 in practice (WHATWG Encoding Standard).
_WINDOWS_1252_ALIASES = frozenset({"ascii", "iso8859-1"})


@dataclass(frozen=True)
class Decoded:
    """Text with its newlines normalised to ``\\n``, and how it was decoded."""

    text: str
    encoding: str
    #: Invalid byte sequences replaced by U+FFFD (only for mostly-UTF-8 data).
    replaced: int = 0


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so character offsets mean the same everywhere."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def bom_encoding(data: bytes) -> str | None:
    """The codec named by a leading byte-order mark, if there is one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def reject_binary(sample: bytes, kind: str) -> None:
    """Raise ExtractError if ``sample`` (the start of a file) is not text."""
    if not sample:
        return
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    if b"\x00" in sample or controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ExtractError(f"binary data in a {kind} file")


def decode_bytes(data: bytes, kind: str, declared: str | None = None) -> Decoded:
    """Decode a whole text file.

    ``kind`` is the file's suffix, for messages; ``declared`` is an encoding
    the file names itself (an HTML meta charset), tried after UTF-8.
    Raises ExtractError for binary data or bytes no encoding explains.
    """
    bom = bom_encoding(data)
    if bom is not None:
        try:
            return Decoded(normalize_newlines(data.decode(bom)), bom)
        except UnicodeDecodeError as exc:
            raise ExtractError(f"not valid {bom} despite its byte-order mark") from exc

    reject_binary(data[:SAMPLE_SIZE], kind)
    try:
        return Decoded(normalize_newlines(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass

    damaged = _mostly_utf8(data)
    if damaged is not None:
        return damaged

    for encoding in (_usable_declaration(declared), guess_encoding(data)):
        if encoding is None:
            continue
        try:
            return Decoded(normalize_newlines(data.decode(encoding)), encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractError(f"cannot tell the text encoding of this {kind} file; save it as UTF-8")


def sniff_stream_encoding(sample: bytes, kind: str, *, complete: bool) -> str:
    """Choose a codec for a file read as a stream, from its first bytes.

    ``complete`` says whether ``sample`` is the whole file; if not, a
    multi-byte character cut at the end of the sample is not an error.
    """
    bom = bom_encoding(sample)
    if bom is not None:
        return bom
    reject_binary(sample, kind)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    encoding = guess_encoding(sample)
    if encoding is None:
        raise ExtractError(f"cannot tell the text encoding of this {kind} file; save it as UTF-8")
    return encoding


def guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's guess, preferring windows-1252 on a tie.

    On short Western European text charset-normalizer often ranks cp1250,
    mac_iceland or iso8859_10 first with the same score as cp1252, turning
    "crème" into "crčme". Legacy Western files are overwhelmingly cp1252
    (or its subset Latin-1), so when cp1252 explains the bytes at least as
    cleanly as the best guess, we take cp1252.
    """
    best = charset_normalizer.from_bytes(data).best()
    western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    if western is not None and (best is None or western.chaos <= best.chaos):
        return "cp1252"
    return None if best is None else codecs.lookup(best.encoding).name


def _mostly_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with a few damaged bytes (a stray Latin-1 byte in a log, say).

    Guessing a legacy code page for such a file would garble every correct
    non-ASCII character to rescue a handful of bad ones, so we keep UTF-8 and
    replace the bad sequences instead, reporting how many.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    if good == 0 or bad * 10 > good:
        return None
    return Decoded(normalize_newlines(text), "utf-8", replaced=bad)


def _usable_declaration(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        name = codecs.lookup(declared.strip()).name
    except LookupError:
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name
