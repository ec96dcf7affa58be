"""Query images: untrusted uploads, decoded under tighter limits than ingested files.

A query image comes from any client, so it is held to SEARCHAPP_MAX_UPLOAD_BYTES
(the limit of every upload: one limit, whether it arrives over HTTP or is read by
the CLI) and to SEARCHAPP_QUERY_IMAGE_MAX_PIXELS (far below Pillow's own limit; checked from
the header, before any pixel is decoded; SEARCHAPP_IMAGE_MAX_PIXELS when lower), and at most
SEARCHAPP_IMAGE_DECODE_CONCURRENCY are decoded at once: each decode holds the
whole picture in memory, so many at once could exhaust it. Further requests
wait for a slot.
"""

from __future__ import annotations

import threading
from functools import cached_property

from searchapp.config import Settings
from searchapp.errors import ExtractError, FileSkipped, InvalidQueryError
from searchapp.extract.images import ImageLoader, LoadedImage


class QueryImages:
    """Decodes query images; safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        # A query is held to the ingest limit too, when that is the lower one.
        self._max_pixels, self._setting = min(
            (settings.query_image_max_pixels, "SEARCHAPP_QUERY_IMAGE_MAX_PIXELS"),
            (settings.image_max_pixels, "SEARCHAPP_IMAGE_MAX_PIXELS"),
        )
        self._slots = threading.BoundedSemaphore(settings.image_decode_concurrency)
        #: Largest query image accepted, in bytes.
        self.max_bytes = settings.max_upload_bytes

    @cached_property
    def _loader(self) -> ImageLoader:
        # Built on the first query image (it may raise Pillow's process-wide limit).
        return ImageLoader(self._max_pixels, self._setting)

    def load(self, data: bytes, *, min_side: int | None) -> LoadedImage:
        """The picture in ``data``, or InvalidQueryError saying why it cannot be used."""
        if len(data) > self.max_bytes:
            raise InvalidQueryError(
                f"the query image is larger than {self.max_bytes:,} bytes "
                "(SEARCHAPP_MAX_UPLOAD_BYTES)"
            )
        try:
            with self._slots:
                return self._loader.load(data, min_side=min_side)
        except (FileSkipped, ExtractError) as exc:
            raise InvalidQueryError(f"the query image cannot be used: {exc}") from exc
