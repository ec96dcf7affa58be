"""The text path of ingest: file -> documents -> chunks -> rows without vectors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from searchapp.chunking import chunk_text
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import ExtractOptions, extract_text
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
    except PermissionError as exc:
        raise ExtractError("permission denied") from exc
    except FileNotFoundError as exc:
        raise ExtractError("file vanished before it could be read") from exc
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or exc}") from exc
    return digest.hexdigest()


class TextPreparer:
    """Extracts and chunks one file with the text model's tokenizer."""

    def __init__(
        self,
        embedder: SentenceTransformerEmbedder,
        *,
        chunk_tokens: int,
        chunk_overlap: int,
        options: ExtractOptions,
        chunk_title: bool = False,
    ) -> None:
        self._tokenizer = embedder.tokenizer
        # Never more pieces than the model reads: a bigger setting would be truncated.
        self._max_tokens = min(chunk_tokens, embedder.max_tokens)
        self._overlap = min(chunk_overlap, self._max_tokens // 2)
        self._options = options
        self._titles = TitlePrefixer(self._tokenizer, self._max_tokens) if chunk_title else None

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
            shared = source_fields(document, mtime=found.mtime, sha256=sha256)
            title = self._titles.title(document.title) if self._titles else None
            # The title's word pieces come out of the chunk's share of the window.
            budget = self._max_tokens - (title.tokens if title else 0)
            overlap = min(self._overlap, budget // 2)
            for chunk in chunk_text(document.text, self._tokenizer, budget, overlap):
                model_input = title.prefix(chunk.text) if title else chunk.text
                prepared.rows.append(chunk_row(document, chunk, shared, model_input))
                prepared.inputs.append(model_input)
        if not prepared.rows:
            raise FileSkipped("no text found")
        return prepared
