"""Ingested items by id: their metadata, an image's thumbnail, the original file.

Files are named only by item id, never by a path (see searchapp.web.files).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from searchapp import item_ids
from searchapp.errors import NotFoundError, SearchappError
from searchapp.search.items import StoredItem
from searchapp.web.deps import AppDep, ItemsDep, Reader, SourcesDep, ThumbnailsDep
from searchapp.web.files import ServedFile, served_file, served_roots
from searchapp.web.responses import ErrorResponse, ImageFacts, Item
from searchapp.web.thumbnails import THUMBNAIL_MEDIA_TYPE
from searchapp.web.visibility import SourceNames

router = APIRouter(prefix="/api/items", tags=["items"])

ItemId = Path(
    pattern=item_ids.PATTERN,
    description="An item id: the `id` of a search hit.",
    max_length=item_ids.LENGTH,
)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "not an item id"},
    404: {"model": ErrorResponse, "description": "no such item"},
    503: {"model": ErrorResponse, "description": "the store cannot be reached"},
}
_FILE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {
        "model": ErrorResponse,
        "description": "the file is outside the served folders (SEARCHAPP_FILE_ROOTS)",
    },
    410: {
        "model": ErrorResponse,
        "description": "the file was moved or deleted since it was ingested",
    },
}
# Files are the user's own, served to their own browser; these keep a served
# HTML or SVG file from running script in the app's origin.
_FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; "
    "style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/{item_id}", response_model=Item, responses=_ERRORS)
def item_metadata(
    _: Reader, app: AppDep, items: ItemsDep, sources: SourcesDep, item_id: str = ItemId
) -> Item:
    """An ingested item: an image, or the chunk of a document that a search hit names."""
    item = items.get(item_id)
    file: ServedFile | None = None
    problem: str | None = None
    try:
        file = served_file(item, served_roots(app.settings))
    except SearchappError as exc:
        problem = str(exc)
    return _item_model(item, file, problem, sources)


@router.get(
    "/{item_id}/thumbnail",
    response_class=FileResponse,
    responses={
        **_FILE_ERRORS,
        200: {"content": {THUMBNAIL_MEDIA_TYPE: {}}, "description": "a JPEG thumbnail"},
    },
)
def item_thumbnail(
    _: Reader, app: AppDep, items: ItemsDep, thumbnails: ThumbnailsDep, item_id: str = ItemId
) -> FileResponse:
    """A small JPEG of an ingested image or video key frame (at most 320 pixels a side),
    made once.

    422 also when the file no longer decodes (changed, truncated since ingest).
    """
    item = items.get(item_id)
    if not item.has_thumbnail:
        raise NotFoundError(
            f"item {item_id} is a document: only images have thumbnails (and video key frames)"
        )
    file = served_file(item, served_roots(app.settings))
    path = thumbnails.path_for(item, file)
    # The name holds the version: a changed file gets a new URL's worth of content.
    return FileResponse(
        path, media_type=THUMBNAIL_MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"}
    )


@router.get(
    "/{item_id}/file",
    response_class=FileResponse,
    responses={**_FILE_ERRORS, 200: {"description": "the original file"}},
)
def item_file(_: Reader, app: AppDep, items: ItemsDep, item_id: str = ItemId) -> FileResponse:
    """The original file of an ingested item, from where ingest found it."""
    item = items.get(item_id)
    file = served_file(item, served_roots(app.settings))
    return FileResponse(
        file.path,
        media_type=item.media_type or None,
        filename=file.path.name,
        content_disposition_type="inline",
        headers=_FILE_HEADERS,
    )


def _item_model(
    item: StoredItem, file: ServedFile | None, problem: str | None, sources: SourceNames
) -> Item:
    base = f"/api/items/{item.id}"
    return Item(
        id=item.id,
        kind="image" if item.is_image else "key frame" if item.is_key_frame else "document",
        source=sources.show(item.source) or "",
        title=item.title,
        media_type=item.media_type,
        ext=item.ext,
        record_id=item.record_id,
        chunk_index=item.chunk_index,
        char_start=item.char_start,
        char_end=item.char_end,
        mtime=item.mtime,
        sha256=item.sha256,
        image=ImageFacts(**item.image.as_json()) if item.image is not None else None,
        metadata=item.metadata,
        file=f"{base}/file" if file is not None else None,
        file_problem=problem,
        size=file.size if file is not None else None,
        thumbnail=f"{base}/thumbnail" if item.has_thumbnail else None,
    )
