"""Thumbnails of ingested images and video key frames: made once with Pillow (a key
frame decoded again by PyAV at its time), cached in the state folder.

A thumbnail is named by the item id and a key of the version it shows: the
sha256 recorded at ingest and the file's current size and modification time.
A file changed on disk (or re-ingested) gets a new key, so a new thumbnail;
the item's older thumbnails are removed when it is written. The file is
decoded by the ingest's own image loader, so the same guards apply (the
pixel limit, corrupt files reported as such) and the EXIF orientation is
applied.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from searchapp.config import Settings
from searchapp.extract.images import ImageLoader
from searchapp.media.keyframes import frame_at
from searchapp.search.items import StoredItem
from searchapp.web.files import ServedFile

if TYPE_CHECKING:
    from PIL import Image

#: Longest side of a thumbnail, in pixels: two columns of a phone, a tile of the grid.
THUMBNAIL_SIZE = 320
THUMBNAIL_MEDIA_TYPE = "image/jpeg"
_QUALITY = 82
_FOLDER = "thumbnails"


class Thumbnails:
    """The thumbnail cache of one state folder; safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self._folder = settings.state_dir / _FOLDER
        self._max_pixels = settings.image_max_pixels

    @cached_property
    def _loader(self) -> ImageLoader:
        # Built on the first thumbnail: it sets Pillow's (process-wide) pixel limit.
        return ImageLoader(self._max_pixels)

    def path_for(self, item: StoredItem, file: ServedFile) -> Path:
        """The cached thumbnail of ``item`` (made now when missing or out of date)."""
        key = hashlib.sha256(
            f"{item.sha256}\x1f{file.size}\x1f{file.mtime_ns}".encode()
        ).hexdigest()[:16]
        target = self._folder / item.id[:2] / f"{item.id}-{key}.jpg"
        if target.is_file():
            return target
        if item.is_key_frame:
            data = thumbnail_of(frame_at(file.path, float(item.metadata.get("start", 0.0))))
        else:
            data = render(file.path.read_bytes(), self._loader)
        _write_atomically(target, data)
        for old in target.parent.glob(f"{item.id}-*.jpg"):
            if old != target:
                old.unlink(missing_ok=True)
        return target


def render(data: bytes, loader: ImageLoader) -> bytes:
    """A JPEG of at most THUMBNAIL_SIZE pixels a side, upright, from image bytes.

    Raises FileSkipped (too large) or ExtractError (not an image, corrupt).
    """
    # A JPEG may decode at a fraction of its size: the thumbnail needs no more.
    return thumbnail_of(loader.load(data, min_side=THUMBNAIL_SIZE).image)


def thumbnail_of(picture: Image.Image) -> bytes:
    """A JPEG of at most THUMBNAIL_SIZE pixels a side of a decoded picture (a query
    image the search decoded already: it is not decoded twice)."""
    from PIL import Image

    picture = picture.copy()  # thumbnail() shrinks in place; the caller's picture stays
    picture.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=_QUALITY, optimize=True)
    return out.getvalue()


def _write_atomically(target: Path, data: bytes) -> None:
    # Two requests may make the same thumbnail at once: each writes its own
    # temporary file and the rename makes one of them the thumbnail, whole.
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".thumb-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
