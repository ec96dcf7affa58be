"""Readers for plain text, Markdown and reStructuredText.

Plain text is kept verbatim. Markdown and reST keep every character in place
too, but their syntax is blanked (``_markup``): the models, the keyword index
and the snippets see the words, and chunk spans still index the file's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from searchapp.extract._decoding import decode_bytes
from searchapp.extract._markup import mask_markdown, mask_rst
from searchapp.extract._titles import markdown_title, plain_title, rst_title
from searchapp.extract.types import ExtractOptions, TextDocument


def read_plain(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/plain", plain_title)


def read_markdown(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/markdown", markdown_title, mask_markdown)


def read_rst(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    yield _read(path, warn, "text/x-rst", rst_title, mask_rst)


def _read(
    path: Path,
    warn: Callable[[str], None],
    media_type: str,
    find_title: Callable[[str], str | None],
    mask: Callable[[str], str] | None = None,
) -> TextDocument:
    decoded = decode_bytes(path.read_bytes(), path.suffix.lower())
    if decoded.replaced:
        warn(f"{decoded.replaced} invalid UTF-8 sequence(s) replaced")
    return TextDocument(
        source=path,
        title=find_title(decoded.text) or path.stem,
        text=mask(decoded.text) if mask else decoded.text,
        media_type=media_type,
        metadata={"encoding": decoded.encoding},
    )
