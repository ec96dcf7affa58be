"""The text path of ingest: file -> documents -> chunks -> rows without vectors."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Protocol

from searchapp.chunking import Tokenizer, chunk_text
from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import ExtractOptions, TextDocument, extract_text
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.rows import chunk_row, source_fields
from searchapp.ingest.titles import TitlePrefixer
from searchapp.store.schema import PATH_LENGTH

_HASH_BLOCK = 1 << 20


@dataclass
class PreparedFile:
    """A file read, extracted and chunked: its rows wait for their vectors.

    ``inputs[i]`` is what the model embeds for ``rows[i]``: the chunk, with its
    title in front when titles are prefixed (the row's ``text`` stays the chunk).
    """

    found: FoundFile
    sha256: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


class ChunkingModel(Protocol):
    """What chunking needs of a text embedder: its tokenizer and its window."""

    @property
    def tokenizer(self) -> Tokenizer: ...

    @property
    def max_tokens(self) -> int: ...


class TextPreparer:
    """Extracts and chunks one file with a text model's tokenizer (MiniLM or CLIP)."""

    def __init__(
        self,
        embedder: ChunkingModel,
        *,
        chunk_tokens: int,
        chunk_overlap: int,
        options: ExtractOptions,
        max_chunks: int | None = None,
        chunk_title: bool = False,
        keywords: bool = False,
    ) -> None:
        self._tokenizer = embedder.tokenizer
        # Never more pieces than the model reads: a bigger setting would be truncated.
        self._max_tokens = min(chunk_tokens, embedder.max_tokens)
        self._overlap = min(chunk_overlap, self._max_tokens // 2)
        self._options = options
        self._max_chunks = max_chunks  # per document, from its start (None: all)
        self._titles = TitlePrefixer(self._tokenizer, self._max_tokens) if chunk_title else None
        self._keywords = keywords  # rows carry keyword_text (the text space's BM25 input)

    def prepare(self, found: FoundFile, sha256: str) -> PreparedFile:
        """Rows (without vectors) for every chunk of every document in the file.

        Raises FileSkipped or ExtractError with the reason the file gives none.
        """
        if len(str(found.path).encode()) > PATH_LENGTH:
            raise ExtractError(f"path longer than {PATH_LENGTH} bytes")
        prepared = PreparedFile(found=found, sha256=sha256)
        for document in extract_text(
            found.path, self._options, on_warning=prepared.warnings.append
        ):
            for row, model_input in self.document_chunks(
                document, mtime=found.mtime, sha256=sha256
            ):
                prepared.rows.append(row)
                prepared.inputs.append(model_input)
        if not prepared.rows:
            raise FileSkipped("no text found")
        return prepared

    def document_rows(
        self, document: TextDocument, *, mtime: float, sha256: str
    ) -> list[dict[str, Any]]:
        """Rows (without vectors) for the chunks of one document."""
        return [row for row, _ in self.document_chunks(document, mtime=mtime, sha256=sha256)]

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
            model_input = title.prefix(chunk.text) if title else chunk.text
            keywords = model_input if self._keywords else None
            rows.append((chunk_row(document, chunk, shared, keywords), model_input))
        return rows
