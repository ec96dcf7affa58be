"""What /api/items/{id} answers: an ingested item and whether its file can be served."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from searchapp.web.responses.search import ImageFacts


class Item(BaseModel):
    """What the store holds about an ingested item, and whether its file can be served."""

    id: str
    kind: str  # "image", "key frame" (of a video) or "document"
    source: str
    title: str
    media_type: str
    ext: str
    record_id: str | None
    chunk_index: int | None
    char_start: int | None
    char_end: int | None
    mtime: float  # when it was ingested
    sha256: str
    image: ImageFacts | None
    metadata: dict[str, Any]
    file: str | None  # URL of the original file, None when it cannot be served
    file_problem: str | None  # why not
    size: int | None  # of the file now, when it can be served
    thumbnail: str | None  # URL of the thumbnail (images)
