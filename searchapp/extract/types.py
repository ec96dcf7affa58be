"""What extraction produces: text documents ready to be chunked and embedded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ExtractOptions:
    """How to read record files (.json, .jsonl, .csv).

    ``None`` means "detect": the text field is the first present of
    ``text``, ``content``, ``body``, ``abstract``; the title field ``title``
    or ``name``; the id field ``_id`` or ``id`` (else the record's position).

    Limits (ingest sets them from the settings): ``max_record_bytes`` is the
    longest line of a .jsonl or .csv and the largest .json (read whole);
    ``max_decompressed_bytes`` the most a .gz file may decompress to. A file
    over either is an ExtractError naming the limit; memory stays bounded by it.
    """

    text_field: str | None = None
    title_field: str | None = None
    id_field: str | None = None
    max_record_bytes: int = 64 * 1024 * 1024
    max_decompressed_bytes: int = 1 << 30


@dataclass(frozen=True)
class TextDocument:
    """One searchable document taken from a file.

    A plain file gives one document (``record_id`` is ``None``); a record file
    (.json/.jsonl/.csv) gives one document per record, ``record_id`` naming it.
    ``metadata`` holds JSON-serialisable extras: the other fields of a record,
    the detected encoding, the page count of a PDF...
    """

    source: Path
    title: str
    text: str
    media_type: str
    record_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identity of the document: the path, plus ``#record`` for records."""
        base = str(self.source)
        return base if self.record_id is None else f"{base}#{self.record_id}"
