"""Readers for plain text, Markdown and reStructuredText.

The text is kept verbatim apart from newline normalisation: chunk spans
index into it, and Markdown or reST syntax is harmless to the embedders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from searchapp.extract._decoding import decode_bytes
from searchapp.extract._titles import markdown_title, plain_title, rst_title
from searchapp.extract.types import ExtractOptions, TextDocument


def read_plain(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/plain", plain_title)


def read_markdown(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/markdown", markdown_title)


def read_rst(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/x-rst", rst_title)


def _read(
    path: Path,
    warn: Callable[[str], None],
    media_type: str,
    find_title: Callable[[str], str | None],
) -> TextDocument:
    decoded = decode_bytes(path.read_bytes(), path.suffix.lower())
    if decoded.replaced:
        warn(f"{decoded.replaced} invalid UTF-8 sequence(s) replaced")
    return TextDocument(
        source=path,
        title=find_title(decoded.text) or path.stem,
        text=decoded.text,
        media_type=media_type,
        metadata={"encoding": decoded.encoding},
    )
