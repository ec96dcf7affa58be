"""Turn documents and their chunks into Milvus rows: keys, folders, field limits.

Row keys (documented in docs/architecture.md):
    document key = the absolute source path, plus "#<record id>" for a record
                   of a .jsonl/.csv/.json file;
    row id       = first 32 hex digits of sha256(document key + "\\x1f" + chunk index).
The id depends only on where the text is, not on what it says, so re-ingesting a
changed file overwrites its rows in place (upsert) and only a shorter new
version leaves rows behind, which the writer deletes by their old sha256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from searchapp.chunking import Chunk
from searchapp.extract import TextDocument, file_type
from searchapp.keywords import analyze
from searchapp.store.schema import MAX_DEPTH, PATH_LENGTH, SHORT_LENGTH, TEXT_LENGTH, TITLE_LENGTH


def row_id(document_key: str, chunk_index: int) -> str:
    return hashlib.sha256(f"{document_key}\x1f{chunk_index}".encode()).hexdigest()[:32]


def ancestor_folders(path: Path) -> list[str]:
    """Every folder above ``path``, root first: ``/a/b/c.txt`` -> ``["/", "/a", "/a/b"]``."""
    parents = [str(p) for p in reversed(PurePosixPath(path).parents)]
    return [fit(p, PATH_LENGTH) for p in parents[-MAX_DEPTH:]]


def fit(value: str, max_bytes: int) -> str:
    """``value`` cut to at most ``max_bytes`` of UTF-8, on a character boundary."""
    encoded = value.encode("utf-8")
    if len(encoded) <= max_bytes:
        return value
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def source_fields(document: TextDocument, *, mtime: float, sha256: str) -> dict[str, Any]:
    """The fields every row of ``document`` shares."""
    return {
        "source": str(document.source),
        "folders": ancestor_folders(document.source),
        "record_id": fit(document.record_id or "", SHORT_LENGTH),
        "title": fit(document.title, TITLE_LENGTH),
        "media_type": fit(document.media_type, SHORT_LENGTH),
        "ext": file_type(document.source).lstrip("."),
        "mtime": float(mtime),
        "sha256": sha256,
        "metadata": document.metadata,
    }


def chunk_row(
    document: TextDocument, chunk: Chunk, shared: dict[str, Any], keywords: str | None = None
) -> dict[str, Any]:
    """A text row without its vector (the embed stage adds ``vector``).

    ``keywords`` (for the text space: what the model reads, the chunk perhaps
    after its title) becomes ``keyword_text``, its analysed words for BM25.
    """
    row = {
        "id": row_id(document.key, chunk.index),
        **shared,
        "chunk_index": chunk.index,
        "char_start": chunk.start,
        "char_end": chunk.end,
        "text": fit(chunk.text, TEXT_LENGTH),
    }
    if keywords is not None:
        row["keyword_text"] = fit(analyze(keywords), TEXT_LENGTH)
    return row
