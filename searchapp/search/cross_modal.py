"""The CLIP search directions: text -> image, image -> image and image -> text.

A query image is given as bytes (an upload, a local file), already decoded
(:meth:`CrossModalSearch.load_query_image`, for a caller that also shows it),
or as the id of an ingested image ("more like this"); its stored vector is then reused, and the
image itself (with its caption) is left out of the hits.

Queries are embedded by the CLIP model the searched collection *records*, not
blindly by the configured one: after `searchapp reindex --clip-...` switched
the aliases, a running process follows them. A re-index switches the CLIP text
space first and the image space last; in between, the two record different
models, and "more like this" image -> text takes the image's vector from the
version of the image space that the text space's model made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.clip import Clip
from searchapp.errors import (
    ModelMismatchError,
    ModelUnavailableError,
    NotFoundError,
)
from searchapp.extract.images import LoadedImage
from searchapp.search.hits import (
    IMAGE_FIELDS,
    MAX_FETCH,
    TEXT_FIELDS,
    best_per_document,
    chunks_to_fetch,
    image_hit,
    text_hit,
)
from searchapp.search.query_batch import Found, RetrievalJob
from searchapp.search.query_images import QueryImages
from searchapp.search.request import Mode, Retrieval, SearchRequest
from searchapp.search.results import Hit, SearchResult, Stopwatch, elapsed_ms
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, Store
from searchapp.store.collection import VectorCollection
from searchapp.store.filters import all_of, not_equals
from searchapp.store.schema import CollectionSpec
from searchapp.store.spaces import ModelChoice, check_loaded, query_notice, unloadable

__all__ = ["CrossModalSearch"]
_NOTHING_YET = {
    Mode.TEXT_TO_IMAGE: "no images have been ingested yet: run `searchapp ingest PATH`",
    Mode.IMAGE: "no images have been ingested yet: run `searchapp ingest PATH`",
    Mode.IMAGE_TO_TEXT: "nothing has been ingested with CLIP yet: run `searchapp ingest PATH`",
}


class CrossModalSearch:
    """Searches the CLIP spaces; the CLIP model loads on the first such search."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedders: Embedders,
        *,
        retrieve: Callable[[RetrievalJob], Found],
        alias_max_age: float = 0.0,
    ) -> None:
        self._settings = settings
        self._store = store
        self._embedders = embedders
        self._retrieve = retrieve  # the search service's: batched with other text queries
        self._alias_max_age = alias_max_age

    @cached_property
    def _query_images(self) -> QueryImages:
        return QueryImages(self._settings)

    def load_query_image(self, data: bytes) -> LoadedImage:
        """Decode a query image as a search decodes it (InvalidQueryError if unusable).

        A caller that also shows the picture (the page's preview) decodes it
        once, here, and passes the result as the request's ``image``. It is
        decoded for the configured CLIP model's input side, as ingest decodes.
        """
        side = self._embedders.clip().input_side if self._settings.image_jpeg_scaling else None
        return self._query_images.load(data, min_side=side)

    def text_to_image(self, query: str, request: SearchRequest) -> SearchResult:
        """Images that look like what ``query`` says (CLIP text tower -> image vectors).

        The CLIP text tower reads 75 tokens: a longer query is cut there.
        """
        started = time.perf_counter()
        watch = Stopwatch()
        with watch.store():
            collection = self._collection(CLIP_IMAGE_SPEC)
        if collection is None:
            self._embedders.clip()  # without CLIP weights, that is the reason: say it
            return _nothing_yet(Mode.TEXT_TO_IMAGE, query, request, started)
        clip, notice = self._clip_for(collection)
        started = time.perf_counter()  # the model loads on first use: not timed
        found = self._retrieve(
            RetrievalJob(
                text=query,
                embedder=clip.text,
                collection=collection,
                retrieval=Retrieval.DENSE,
                limit=self._limit(collection, request),
                fields=tuple(IMAGE_FIELDS),
                expression=request.filters.expression(),
            )
        )
        watch.add(found.encode_ms, found.store_ms)
        return self._result(collection, query, found.rows, request, started, notice, watch)

    def from_image(self, request: SearchRequest) -> SearchResult:
        """Images like the query image, or texts that describe it (image, image-to-text)."""
        started = time.perf_counter()
        request.check_query()
        spec = CLIP_TEXT_SPEC if request.mode is Mode.IMAGE_TO_TEXT else CLIP_IMAGE_SPEC
        watch = Stopwatch()
        with watch.store():
            collection = self._collection(spec)
        if request.item_id is not None:
            with watch.store():
                vector, source = self._stored_image(request.item_id, collection)
            if collection is None:  # an image, but no text in the CLIP text space
                return _nothing_yet(request.mode, request.item_id, request, started)
            # "More like this": the image itself (and its caption) is no answer.
            exclude, label, notice = not_equals("source", source), request.item_id, None
        else:
            assert request.image is not None
            if collection is None:
                # Without CLIP weights nothing could have been ingested: say that instead.
                self._embedders.clip()
                return _nothing_yet(request.mode, "(image)", request, started)
            clip, notice = self._clip_for(collection)
            started = time.perf_counter()  # the model loads on first use: not timed
            with watch.encoding():
                vector = self._embed_query_image(clip, request.image)
            exclude, label = "", "(image)"
        return self._search(collection, label, vector, request, exclude, started, notice, watch)

    # --- steps -----------------------------------------------------------------

    def _collection(self, spec: CollectionSpec) -> VectorCollection | None:
        return self._store.existing_collection(spec, max_age=self._alias_max_age)

    @staticmethod
    def _limit(collection: VectorCollection, request: SearchRequest) -> int:
        wanted = request.offset + request.k
        if collection.spec is CLIP_TEXT_SPEC:
            return chunks_to_fetch(wanted)
        return min(wanted + 1, MAX_FETCH)  # one image more than the page: is there a next?

    def _search(
        self,
        collection: VectorCollection,
        label: str,
        vector: np.ndarray,
        request: SearchRequest,
        exclude: str,
        started: float,
        notice: str | None,
        watch: Stopwatch,
    ) -> SearchResult:
        to_text = collection.spec is CLIP_TEXT_SPEC
        expression = all_of(request.filters.expression(), exclude)
        with watch.store():
            rows = collection.search(
                vector[np.newaxis, :],
                limit=self._limit(collection, request),
                fields=TEXT_FIELDS if to_text else IMAGE_FIELDS,
                expression=expression,
                ef=self._settings.search_ef,
            )[0]
        return self._result(collection, label, rows, request, started, notice, watch)

    def _result(
        self,
        collection: VectorCollection,
        label: str,
        rows: list[dict[str, Any]],
        request: SearchRequest,
        started: float,
        notice: str | None,
        watch: Stopwatch,
    ) -> SearchResult:
        to_text = collection.spec is CLIP_TEXT_SPEC
        wanted = request.offset + request.k
        hits: list[Hit] = (
            [text_hit(row, "") for row in best_per_document(rows)]
            if to_text
            else [image_hit(row) for row in rows]
        )
        return SearchResult(
            label,
            request.mode.value,
            hits[request.offset : wanted],
            elapsed_ms(started),
            request.k,
            request.offset,
            notice=notice,
            timings=watch.timings(),
            more=len(hits) > wanted,
        )

    def _clip_for(self, collection: VectorCollection) -> tuple[Clip, str | None]:
        """The CLIP model that made ``collection``'s vectors, and a notice when it is
        not the configured one."""
        recorded = collection.identity
        try:
            clip = self._embedders.recorded_clip(recorded)
        except ModelUnavailableError as exc:
            raise unloadable(collection.name, recorded, exc) from exc
        check_loaded(collection.name, collection.spec, recorded, clip.identity)
        try:
            configured = self._embedders.configured_clip_source().model_id
        except ModelUnavailableError:
            configured = "(cannot be loaded)"
        return clip, query_notice(ModelChoice.clip(clip.source), configured)

    def _stored_image(
        self, item_id: str, target: VectorCollection | None
    ) -> tuple[np.ndarray, str]:
        """The stored vector and source of an ingested image, for a search of ``target``.

        The vector must come from the model that made ``target``'s vectors. The
        image space itself, or the text space while a CLIP re-index switches
        (see the module's notes): then the version of the image space made by
        the same model holds it.
        """
        images = (
            target
            if target is not None and target.spec is CLIP_IMAGE_SPEC
            else self._collection(CLIP_IMAGE_SPEC)
        )
        if images is not None and target is not None and images.identity != target.identity:
            images = self._image_version(target)
        rows = images.get([item_id], ["vector", "source"]) if images is not None else []
        if not rows:
            raise NotFoundError(f"no ingested image has the id {item_id}")
        return np.asarray(rows[0]["vector"], dtype=np.float32), str(rows[0]["source"])

    def _image_version(self, target: VectorCollection) -> VectorCollection:
        """The version of the image space whose vectors ``target``'s model made."""
        for name in reversed(self._store.versions(CLIP_IMAGE_SPEC)):
            version = self._store.physical_collection(CLIP_IMAGE_SPEC, name)
            if version.identity == target.identity:
                return version
        raise ModelMismatchError(
            f"no image vectors of {target.identity.model_id} (the model of {target.name}) "
            "exist: the CLIP spaces record different models, which a CLIP re-index that "
            "did not finish leaves behind. Search with the image file, or finish it with "
            "`searchapp reindex --space clip --clip-...`"
        )

    def _embed_query_image(self, clip: Clip, image: bytes | LoadedImage) -> np.ndarray:
        if isinstance(image, LoadedImage):
            picture = image
        else:
            # Decoded as ingest decodes pictures, so a stored photo finds itself.
            side = clip.input_side if self._settings.image_jpeg_scaling else None
            picture = self._query_images.load(image, min_side=side)
        return clip.image.embed([clip.preprocess(picture.image)])[0]


def _nothing_yet(mode: Mode, label: str, request: SearchRequest, started: float) -> SearchResult:
    return SearchResult(
        label,
        mode.value,
        [],
        elapsed_ms(started),
        request.k,
        request.offset,
        notice=_NOTHING_YET[mode],
    )
