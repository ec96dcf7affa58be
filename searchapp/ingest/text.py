"""Documents -> chunks -> rows without vectors, and the rule of what the model reads.

Reading a file (hashing, extracting once for every space) is the reader's job
(reader.py); a :class:`TextPreparer` chunks one document for one space's model.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Protocol

from searchapp.chunking import Tokenizer, chunk_text
from searchapp.errors import ExtractError
from searchapp.extract import TextDocument
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.rows import chunk_row, source_fields
from searchapp.ingest.titles import Title, TitlePrefixer

_HASH_BLOCK = 1 << 20


def file_sha256(found: FoundFile) -> str:
    digest = hashlib.sha256()
    try:
        with open(found.path, "rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise unreadable(exc) from exc
    return digest.hexdigest()


def check_still(found: FoundFile) -> None:
    """Raise ExtractError when the file changed (or went) since it was scanned.

    What was read may then mix two versions; the next run reads it again.
    """
    try:
        stat = os.stat(found.path)
    except OSError as exc:
        raise unreadable(exc) from exc
    if stat.st_size != found.size or stat.st_mtime != found.mtime:
        raise ExtractError("file changed while being read (the next run ingests it)")


def unreadable(exc: OSError) -> ExtractError:
    """The user's reason for a file that could not be read."""
    if isinstance(exc, PermissionError):
        return ExtractError("permission denied")
    if isinstance(exc, FileNotFoundError):
        return ExtractError("file vanished before it could be read")
    return ExtractError(f"cannot read file: {exc.strerror or exc}")


def what_the_model_reads(title: Title | None, chunk: str) -> str:
    """The one rule for every row made from text, a document's chunk or an image's
    caption, in every space: the model reads the chunk with its document's title
    in front when the space prefixes titles (an image's title is its file name).
    The row's ``text`` stays the chunk; its keyword text (text space) and the key
    that reuses vectors (reuse.py) are of this input, so the vector and the
    keyword index read the same words."""
    return title.prefix(chunk) if title is not None else chunk


class ChunkingModel(Protocol):
    """What chunking needs of a text embedder: its tokenizer and its window."""

    @property
    def tokenizer(self) -> Tokenizer: ...

    @property
    def max_tokens(self) -> int: ...


class TextPreparer:
    """Chunks documents with one space's text model tokenizer (MiniLM or CLIP)."""

    def __init__(
        self,
        embedder: ChunkingModel,
        *,
        chunk_tokens: int,
        chunk_overlap: int,
        max_chunks: int | None = None,
        chunk_title: bool = False,
        keywords: bool = False,
    ) -> None:
        self._tokenizer = embedder.tokenizer
        # Never more pieces than the model reads: a bigger setting would be truncated.
        self._max_tokens = min(chunk_tokens, embedder.max_tokens)
        self._overlap = min(chunk_overlap, self._max_tokens // 2)
        self._max_chunks = max_chunks  # per document, from its start (None: all)
        self._titles = TitlePrefixer(self._tokenizer, self._max_tokens) if chunk_title else None
        self._keywords = keywords  # rows carry keyword_text (the text space's BM25 input)

    @property
    def max_tokens(self) -> int:
        """The window of a chunk (before a title takes its share)."""
        return self._max_tokens

    @property
    def overlap(self) -> int:
        return self._overlap

    @property
    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    def document_chunks(
        self, document: TextDocument, *, mtime: float, sha256: str
    ) -> list[tuple[dict[str, Any], str]]:
        """Each chunk's row (without its vector) and what the model reads for it."""
        shared = source_fields(document, mtime=mtime, sha256=sha256)
        title = self._titles.title(document.title) if self._titles else None
        # The title's word pieces come out of the chunk's share of the window.
        budget = self._max_tokens - (title.tokens if title else 0)
        overlap = min(self._overlap, budget // 2)
        chunks = chunk_text(document.text, self._tokenizer, budget, overlap)
        rows = []
        for chunk in chunks[: self._max_chunks]:
            model_input = what_the_model_reads(title, chunk.text)
            keywords = model_input if self._keywords else None
            rows.append((chunk_row(document, chunk, shared, keywords), model_input))
        return rows
