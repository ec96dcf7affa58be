"""Look up one ingested item by its id: an image, or a document's chunk.

Ids are the ``id`` of search hits (see searchapp.ingest.rows). An image's id
is also the id of its caption's chunk in the text spaces (both are
``row_id(path, 0)``), so the image space is asked first: an image is reported
as an image, with its size and format, not as its caption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from searchapp.errors import NotFoundError
from searchapp.item_ids import check_item_id
from searchapp.media.formats import KEY_FRAME_FORMAT
from searchapp.search.results import ImageInfo
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC, CollectionSpec, Store

# Fields every space has (see SOURCE_FIELDS in the schema).
_SOURCE = ["source", "record_id", "title", "media_type", "ext", "mtime", "sha256", "metadata"]
_IMAGE = [*_SOURCE, "width", "height", "format", "caption"]
_CHUNK = [*_SOURCE, "chunk_index", "char_start", "char_end"]
# Asked in this order: the first space that holds the id answers.
_SPACES: tuple[tuple[CollectionSpec, list[str]], ...] = (
    (CLIP_IMAGE_SPEC, _IMAGE),
    (TEXT_SPEC, _CHUNK),
    (CLIP_TEXT_SPEC, _CHUNK),
)


@dataclass(frozen=True)
class StoredItem:
    """What the store holds about one item (no vector, no text)."""

    id: str
    space: str  # the space it was found in: clip_image, text or clip_text
    source: str  # the file's absolute path as ingest found it (symlinks not followed)
    title: str
    media_type: str
    ext: str
    mtime: float  # the file's modification time when it was ingested
    sha256: str  # of the file's bytes when it was ingested (with an image's sidecar caption)
    record_id: str | None = None  # a record of a .jsonl/.csv/.json file
    chunk_index: int | None = None  # documents: which chunk the id names
    char_start: int | None = None
    char_end: int | None = None
    image: ImageInfo | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def is_key_frame(self) -> bool:
        """A video's key frame (a picture of the image space at ``metadata.start``)."""
        return self.image is not None and self.image.format == KEY_FRAME_FORMAT

    @property
    def has_thumbnail(self) -> bool:
        return self.is_image or self.is_key_frame


class ItemLookup:
    """Finds items by id across the spaces; one query per space at most."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, item_id: str) -> StoredItem:
        """The item with ``item_id``; NotFoundError when no space holds it."""
        check_item_id(item_id)
        for spec, fields in _SPACES:
            collection = self._store.existing_collection(spec)
            if collection is None:
                continue
            rows = collection.get([item_id], fields)
            if rows:
                return _item(spec, rows[0])
        raise NotFoundError(f"no ingested item has the id {item_id}")


def _item(spec: CollectionSpec, row: dict[str, Any]) -> StoredItem:
    metadata = row.get("metadata") or {}
    if spec is CLIP_IMAGE_SPEC:
        image: ImageInfo | None = ImageInfo(
            width=int(row["width"]),
            height=int(row["height"]),
            format=str(row["format"]),
            caption=row["caption"] or None,
        )
    else:  # a caption chunk carries its image's facts in its metadata
        image = ImageInfo.from_metadata(metadata)
    is_chunk = "chunk_index" in row
    return StoredItem(
        id=str(row["id"]),
        space=spec.space,
        source=str(row["source"]),
        title=str(row["title"]),
        media_type=str(row["media_type"]),
        ext=str(row["ext"]),
        mtime=float(row["mtime"]),
        sha256=str(row["sha256"]),
        record_id=row["record_id"] or None,
        chunk_index=int(row["chunk_index"]) if is_chunk else None,
        char_start=int(row["char_start"]) if is_chunk else None,
        char_end=int(row["char_end"]) if is_chunk else None,
        image=image,
        metadata=metadata,
    )
