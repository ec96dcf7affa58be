"""The CLIP search directions: text -> image, image -> image and image -> text.

A query image is given as bytes (an upload, a local file) or as the id of an
ingested image ("more like this"); its stored vector is then reused, and the
image itself (with its caption) is left out of the hits.
"""

from __future__ import annotations

import re
import time
from functools import cached_property

import numpy as np

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.clip import Clip
from searchapp.errors import (
    ExtractError,
    FileSkipped,
    InvalidQueryError,
    NotFoundError,
)
from searchapp.extract.images import ImageLoader
from searchapp.search.hits import IMAGE_FIELDS, TEXT_FIELDS, best_per_document, image_hit, text_hit
from searchapp.search.request import Mode, SearchRequest
from searchapp.search.results import Hit, SearchResult, elapsed_ms
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, CollectionSpec, Store
from searchapp.store.collection import VectorCollection
from searchapp.store.filters import all_of, not_equals

#: Largest query image accepted, in bytes (uploads are untrusted).
MAX_QUERY_IMAGE_BYTES = 32 * 1024 * 1024
_ITEM_ID = re.compile(r"[0-9a-f]{32}")
# Windows fetched per wanted document in image -> text: hits collapse per document.
_WINDOWS_PER_DOCUMENT = 4
_NOTHING_YET = {
    Mode.TEXT_TO_IMAGE: "no images have been ingested yet: run `searchapp ingest PATH`",
    Mode.IMAGE: "no images have been ingested yet: run `searchapp ingest PATH`",
    Mode.IMAGE_TO_TEXT: "nothing has been ingested with CLIP yet: run `searchapp ingest PATH`",
}


def is_item_id(value: str) -> bool:
    """Whether ``value`` has the form of an item id (the ``id`` of a hit)."""
    return _ITEM_ID.fullmatch(value) is not None


class CrossModalSearch:
    """Searches the CLIP spaces; the CLIP model loads on the first such search."""

    def __init__(self, settings: Settings, store: Store, embedders: Embedders) -> None:
        self._settings = settings
        self._store = store
        self._embedders = embedders

    @cached_property
    def _loader(self) -> ImageLoader:
        # Built on the first image query: it sets Pillow's (process-wide) pixel limit.
        return ImageLoader(self._settings.image_max_pixels)

    def text_to_image(self, query: str, request: SearchRequest) -> SearchResult:
        """Images that look like what ``query`` says (CLIP text tower -> image vectors).

        The CLIP text tower reads 75 tokens: a longer query is cut there.
        """
        clip = self._embedders.clip()
        started = time.perf_counter()
        vector = clip.text.embed([query])[0]
        return self._search(Mode.TEXT_TO_IMAGE, query, clip, vector, request, "", started)

    def from_image(self, request: SearchRequest) -> SearchResult:
        """Images like the query image, or texts that describe it (image, image-to-text)."""
        clip = self._embedders.clip()
        started = time.perf_counter()
        if request.image is not None and request.item_id is not None:
            raise InvalidQueryError("give a query image or an item id, not both")
        if request.item_id is not None:
            vector, source = self._stored_image(clip, request.item_id)
            # "More like this": the image itself (and its caption) is no answer.
            exclude = not_equals("source", source)
            label = request.item_id
        elif request.image is not None:
            vector, exclude, label = self._embed_query_image(clip, request.image), "", "(image)"
        else:
            raise InvalidQueryError(
                "image search needs a query image or the id of an ingested image"
            )
        return self._search(request.mode, label, clip, vector, request, exclude, started)

    # --- steps -----------------------------------------------------------------

    def _search(
        self,
        mode: Mode,
        label: str,
        clip: Clip,
        vector: np.ndarray,
        request: SearchRequest,
        exclude: str,
        started: float,
    ) -> SearchResult:
        to_text = mode is Mode.IMAGE_TO_TEXT
        collection = self._collection(CLIP_TEXT_SPEC if to_text else CLIP_IMAGE_SPEC, clip)
        if collection is None:
            return SearchResult(
                label,
                mode.value,
                [],
                elapsed_ms(started),
                request.k,
                request.offset,
                notice=_NOTHING_YET[mode],
            )
        wanted = request.offset + request.k
        rows = collection.search(
            vector[np.newaxis, :],
            limit=min(wanted * (_WINDOWS_PER_DOCUMENT if to_text else 1), 16384),
            fields=TEXT_FIELDS if to_text else IMAGE_FIELDS,
            expression=all_of(request.filters.expression(), exclude),
            ef=self._settings.search_ef,
        )[0]
        hits: list[Hit] = (
            [text_hit(row, "") for row in best_per_document(rows)]
            if to_text
            else [image_hit(row) for row in rows]
        )
        return SearchResult(
            label,
            mode.value,
            hits[request.offset : wanted],
            elapsed_ms(started),
            request.k,
            request.offset,
        )

    def _collection(self, spec: CollectionSpec, clip: Clip) -> VectorCollection | None:
        return self._store.find_collection(spec, clip.identity, model_setting="")

    def _stored_image(self, clip: Clip, item_id: str) -> tuple[np.ndarray, str]:
        """The stored vector and source of an ingested image."""
        if not is_item_id(item_id):
            raise InvalidQueryError(
                f"{item_id!r} is not an item id (32 lower-case hex digits, as in search hits)"
            )
        images = self._collection(CLIP_IMAGE_SPEC, clip)
        rows = images.get([item_id], ["vector", "source"]) if images is not None else []
        if not rows:
            raise NotFoundError(f"no ingested image has the id {item_id}")
        return np.asarray(rows[0]["vector"], dtype=np.float32), str(rows[0]["source"])

    def _embed_query_image(self, clip: Clip, data: bytes) -> np.ndarray:
        if len(data) > MAX_QUERY_IMAGE_BYTES:
            raise InvalidQueryError(
                f"the query image is larger than {MAX_QUERY_IMAGE_BYTES // (1024 * 1024)} MiB"
            )
        try:
            picture = self._loader.load(data)
        except (FileSkipped, ExtractError) as exc:
            raise InvalidQueryError(f"the query image cannot be used: {exc}") from exc
        return clip.image.embed([clip.preprocess(picture.image)])[0]
