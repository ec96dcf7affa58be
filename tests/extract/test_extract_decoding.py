"""Encodings of text-like files: BOMs, UTF-8, legacy code pages, binary data."""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchapp.errors import ExtractError
from searchapp.extract import extract_text
from searchapp.extract._decoding import decode_bytes, guess_encoding, reject_binary

Write = Callable[[str, bytes | str], Path]


def _only(path: Path, warnings: list[str] | None = None) -> tuple[str, str]:
    sink = warnings if warnings is not None else []
    [doc] = extract_text(path, on_warning=sink.append)
    return doc.text, doc.metadata["encoding"]


def test_utf8(write_file: Write) -> None:
    assert _only(write_file("a.txt", "naïve — ok")) == ("naïve — ok", "utf-8")


def test_utf8_with_bom_drops_the_bom(write_file: Write) -> None:
    text, encoding = _only(write_file("a.txt", codecs.BOM_UTF8 + "héllo".encode()))
    assert (text, encoding) == ("héllo", "utf-8-sig")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(write_file: Write, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + "Grüße aus Köln\r\nzweite Zeile".encode(codec)
    text, encoding = _only(write_file("de.txt", data))
    assert (text, encoding) == ("Grüße aus Köln\nzweite Zeile", "utf-16")


def test_latin1(write_file: Write) -> None:
    text, encoding = _only(write_file("menu.txt", "café crème brûlée\n".encode("latin-1")))
    assert text == "café crème brûlée\n"
    assert encoding == "cp1252"  # the superset of Latin-1 that legacy files really use


def test_latin1_german(write_file: Write) -> None:
    # charset-normalizer alone ranks mac_iceland first for this one.
    data = "Größe und Übermaß, schöne Grüße aus München".encode("latin-1")
    assert _only(write_file("de.txt", data))[0] == "Größe und Übermaß, schöne Grüße aus München"


def test_cp1252_smart_quotes(write_file: Write) -> None:
    original = "He said \u201chello\u201d \u2014 it\u2019s \u2026 fine, naïve café.\n"
    text, encoding = _only(write_file("quotes.txt", original.encode("cp1252")))
    assert (text, encoding) == (original, "cp1252")


def test_non_western_legacy_text_is_not_forced_into_cp1252(write_file: Write) -> None:
    original = "Привет, как дела? Это тест кодировки текста на русском языке."
    text, encoding = _only(write_file("ru.txt", original.encode("cp1251")))
    assert (text, encoding) == (original, "cp1251")


def test_newlines_are_normalised(write_file: Write) -> None:
    assert _only(write_file("a.txt", b"one\r\ntwo\rthree\n"))[0] == "one\ntwo\nthree\n"


def test_binary_file_named_txt(write_file: Write) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(ExtractError, match=r"^binary data in a \.txt file$"):
        list(extract_text(write_file("image.txt", data)))


def test_binary_without_nul_bytes_is_caught_by_control_characters(write_file: Write) -> None:
    rng = random.Random(7)
    data = bytes(rng.randrange(1, 256) for _ in range(4096))  # no NUL byte at all
    with pytest.raises(ExtractError, match=r"binary data in a .md file"):
        list(extract_text(write_file("noise.md", data)))


def test_text_with_tabs_form_feeds_and_ansi_colours_is_not_binary() -> None:
    reject_binary(b"col1\tcol2\r\n\x0cpage\x1b[31mred\x1b[0m\n" * 20, ".txt")


def test_mostly_utf8_keeps_utf8_and_warns(write_file: Write) -> None:
    data = "naïve café résumé ".encode() * 20 + b"caf\xe9\n"  # one stray Latin-1 byte
    warnings: list[str] = []
    text, encoding = _only(write_file("log.txt", data), warnings)
    assert encoding == "utf-8"
    assert text.startswith("naïve café résumé ")
    assert text.endswith("caf\ufffd\n")
    assert warnings == ["1 invalid UTF-8 sequence(s) replaced"]


def test_bytes_no_encoding_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("searchapp.extract._decoding.guess_encoding", lambda data: None)
    with pytest.raises(ExtractError, match=r"cannot tell the text encoding .* save it as UTF-8"):
        decode_bytes(b"caf\xe9 cr\xe8me", ".txt")


def test_broken_bom_file() -> None:
    with pytest.raises(ExtractError, match=r"not valid utf-16 despite its byte-order mark"):
        decode_bytes(codecs.BOM_UTF16_LE + b"a\x00\x00\xdc", ".txt")  # lone low surrogate


def test_guess_prefers_cp1252_only_on_a_tie() -> None:
    assert guess_encoding("crème brûlée à la carte".encode("cp1252")) == "cp1252"
    assert guess_encoding("Příliš žluťoučký kůň úpěl ďábelské ódy".encode("cp1250")) == "cp1250"


# A leading U+FEFF is indistinguishable from a byte-order mark, so it is left out.
_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\ufeff",
        whitelist_characters="\n\t",
    ),
    min_size=1,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_unicode_round_trips(text: str, codec: str) -> None:
    decoded = decode_bytes(text.encode(codec), ".txt")
    assert decoded.text == text
    assert decoded.replaced == 0
