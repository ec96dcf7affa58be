"""Captions: the sidecar rule, sidecar reading, and embedded XMP descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.errors import ExtractError
from searchapp.extract.captions import _xmp_description, read_sidecar, sidecar_for


def test_sidecar_rule() -> None:
    image = Path("/photos/beach.JPG")
    assert sidecar_for(image, {"beach.JPG", "beach.txt"}) == Path("/photos/beach.txt")
    # .caption can only be a caption: it wins over .txt.
    assert sidecar_for(image, {"beach.txt", "beach.caption"}) == Path("/photos/beach.caption")
    # The stem must match exactly.
    assert sidecar_for(image, {"Beach.txt", "beach.JPG.txt", "beach2.txt"}) is None


def test_sidecar_text_is_tidied(tmp_path: Path) -> None:
    sidecar = tmp_path / "a.txt"
    sidecar.write_text("  A red kite\n over the   hills.\n\n")
    caption = read_sidecar(sidecar)
    assert caption is not None
    assert (caption.text, caption.origin) == ("A red kite over the hills.", "sidecar a.txt")
    sidecar.write_text(" \n\t")
    assert read_sidecar(sidecar) is None
    sidecar.write_bytes("Café in Latin-1".encode("latin-1"))
    assert read_sidecar(sidecar).text == "Café in Latin-1"


def test_unusable_sidecars_are_errors(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(ExtractError, match="binary"):
        read_sidecar(binary)
    huge = tmp_path / "c.caption"
    huge.write_text("word " * 20_000)
    with pytest.raises(ExtractError, match="not a caption"):
        read_sidecar(huge)


def test_xmp_without_default_language_takes_the_first() -> None:
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description><dc:description>'
        b'<rdf:Alt><rdf:li xml:lang="fr">Un chat</rdf:li></rdf:Alt></dc:description>'
        b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>' + b" " * 100
    )
    assert _xmp_description(xmp) == "Un chat"


def test_hostile_or_broken_xmp_gives_no_caption() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<r xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>&b;</dc:description></r>'
    )
    assert _xmp_description(laughs) in (None, "")  # entities are not expanded
    assert _xmp_description(b"<not xml") is None
    assert _xmp_description(b"") is None
