"""Rows found in a collection -> hits: one per document, with a snippet; images too."""

from __future__ import annotations

from typing import Any

from searchapp.search.results import Hit, ImageInfo, time_span
from searchapp.search.snippets import choose_snippet

# Fields a text hit is made from (text and CLIP text spaces).
TEXT_FIELDS = [
    "source",
    "record_id",
    "title",
    "media_type",
    "chunk_index",
    "char_start",
    "char_end",
    "text",
    "mtime",
    "metadata",
]
# Fields an image hit is made from (CLIP image space).
IMAGE_FIELDS = [
    "source",
    "title",
    "media_type",
    "mtime",
    "metadata",
    "width",
    "height",
    "format",
    "caption",
]


# Chunks fetched per wanted document: several chunks of one document can rank
# together, and hits are collapsed to one per document (best_per_document).
_CHUNKS_PER_DOCUMENT = 4
# The most hits one Milvus search returns (its topk limit).
MAX_FETCH = 16384


def chunks_to_fetch(documents: int) -> int:
    """How many chunks to fetch so that ``documents`` documents remain once collapsed."""
    return min(documents * _CHUNKS_PER_DOCUMENT, MAX_FETCH)


def best_per_document(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best chunk of each document, best first (rows arrive best first)."""
    seen: set[tuple[str, str]] = set()
    best = []
    for row in rows:
        key = (row["source"], row["record_id"])
        if key not in seen:
            seen.add(key)
            best.append(row)
    return best


def text_hit(row: dict[str, Any], query: str, relevance: float | None = None) -> Hit:
    """A chunk's hit; an image's caption chunk also carries the image's facts."""
    snippet = choose_snippet(row["text"], query)
    metadata = row.get("metadata") or {}
    start, end = time_span(metadata)
    return Hit(
        id=row["id"],
        score=row["score"],
        source=row["source"],
        title=row["title"],
        snippet=snippet.text,
        media_type=row["media_type"],
        record_id=row["record_id"] or None,
        chunk_index=int(row["chunk_index"]),
        char_start=int(row["char_start"]),
        char_end=int(row["char_end"]),
        mtime=float(row["mtime"]),
        metadata=metadata,
        image=ImageInfo.from_metadata(metadata),
        relevance=relevance,
        start=start,
        end=end,
    )


def image_hit(row: dict[str, Any]) -> Hit:
    """A picture's hit: an image, or a video's key frame (with its time)."""
    caption = row["caption"] or None
    metadata = row.get("metadata") or {}
    start, end = time_span(metadata)
    return Hit(
        id=row["id"],
        score=row["score"],
        source=row["source"],
        title=row["title"],
        snippet=caption or "",
        media_type=row["media_type"],
        mtime=float(row["mtime"]),
        metadata=metadata,
        start=start,
        end=end,
        image=ImageInfo(
            width=int(row["width"]),
            height=int(row["height"]),
            format=row["format"],
            caption=caption,
        ),
    )
