"""What a search returns. Plain data: the API and CLI map it to their own shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImageInfo:
    """What a hit that is an image adds: its size, format and caption."""

    width: int
    height: int
    format: str  # JPEG, PNG, WEBP, GIF, BMP, TIFF, MPO
    caption: str | None = None

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> ImageInfo | None:
        """From a caption row's metadata (``{"image": {...}}``); None for documents."""
        image = metadata.get("image")
        if not isinstance(image, dict):
            return None
        return cls(
            width=int(image.get("width", 0)),
            height=int(image.get("height", 0)),
            format=str(image.get("format", "")),
            caption=image.get("caption") or None,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "caption": self.caption,
        }


def time_span(metadata: dict[str, Any]) -> tuple[float | None, float | None]:
    """A media row's span (``metadata.start``/``end``, seconds), else (None, None)."""
    start, end = metadata.get("start"), metadata.get("end")
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
        return None, None
    return float(start), float(end)


@dataclass(frozen=True)
class Hit:
    """One document (its best-matching chunk) or one image found by a search.

    ``score`` is the retrieval's own (cosine, BM25 or fused: comparable within
    one result list only); ``relevance`` is calibrated, 0-1, comparable across
    queries and retrievals: the relevance floor applies to it.
    """

    id: str
    score: float
    source: str
    title: str
    snippet: str
    media_type: str
    record_id: str | None = None
    chunk_index: int = 0
    char_start: int = 0  # the chunk's span in the document's extracted text
    char_end: int = 0
    mtime: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    image: ImageInfo | None = None  # set when the hit is an image (or an image's caption)
    relevance: float | None = None
    # Audio and video: where the matching words are said (or the key frame is shown),
    # in seconds from the file's start; None for documents and images.
    start: float | None = None
    end: float | None = None

    def as_json(self, *, source: str | None = None) -> dict[str, Any]:
        """The one JSON shape of a hit: the API's (``HitOut`` in web/responses.py) and
        `searchapp search --json`'s (docs/cli.md). ``source`` is the path as the caller may see it
        (default: the absolute path)."""
        return {
            "id": self.id,
            "score": round(self.score, 6),
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "source": self.source if source is None else source,
            "record_id": self.record_id,
            "title": self.title,
            "snippet": self.snippet,
            "media_type": self.media_type,
            "chunk": {"index": self.chunk_index, "start": self.char_start, "end": self.char_end},
            "image": self.image.as_json() if self.image is not None else None,
            "thumbnail_url": f"/api/items/{self.id}/thumbnail" if self.image is not None else None,
            "file_url": f"/api/items/{self.id}/file",
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Timings:
    """Where a search spent its time, in milliseconds: embedding the query, and in
    Milvus (resolving the collection and searching it). The rest of ``took_ms``
    is shaping hits (snippets, relevance, paging)."""

    encode_ms: float = 0.0
    store_ms: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    query: str
    mode: str
    hits: list[Hit]
    took_ms: float
    k: int
    offset: int
    notice: str | None = None  # e.g. "nothing has been ingested yet"
    retrieval: str | None = None  # dense, keyword or hybrid, for text searches
    below_floor: int = 0  # hits dropped by the relevance floor
    timings: Timings = field(default_factory=Timings)
    more: bool = False  # hits were found past this page (offset + k)


class Stopwatch:
    """Adds up the time spent in each kind of step of one search."""

    def __init__(self) -> None:
        self.encode_ms = 0.0
        self.store_ms = 0.0

    @contextmanager
    def encoding(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.encode_ms += (time.perf_counter() - started) * 1000

    @contextmanager
    def store(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.store_ms += (time.perf_counter() - started) * 1000

    def add(self, encode_ms: float, store_ms: float) -> None:
        """Count time measured elsewhere (by the batch that served this search)."""
        self.encode_ms += encode_ms
        self.store_ms += store_ms

    def timings(self) -> Timings:
        return Timings(round(self.encode_ms, 2), round(self.store_ms, 2))


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return round((time.perf_counter() - started) * 1000, 2)
