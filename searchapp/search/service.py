"""The one search service behind the CLI, the JSON API and the web page."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cached_property

import numpy as np

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.base import TextEmbedder
from searchapp.errors import (
    FeatureUnsupportedError,
    InvalidQueryError,
    ModelUnavailableError,
    StoreError,
)
from searchapp.extract.images import LoadedImage
from searchapp.item_ids import check_item_id
from searchapp.search.batching import Batcher
from searchapp.search.cross_modal import CrossModalSearch
from searchapp.search.filters import SearchFilters
from searchapp.search.floor import RelevanceFloor
from searchapp.search.hits import TEXT_FIELDS, best_per_document, chunks_to_fetch, text_hit
from searchapp.search.query_batch import Found, RetrievalJob, serve_jobs
from searchapp.search.request import IMAGE_MODES, Mode, Retrieval, SearchRequest, check_page
from searchapp.search.results import SearchResult, Stopwatch, elapsed_ms
from searchapp.search.retrieval import TextQuery, keyword_unavailable, similarities
from searchapp.search.similar import similar_chunks
from searchapp.store import CLIP_IMAGE_SPEC, TEXT_SPEC, Store, VectorCollection
from searchapp.store.schema import CollectionSpec
from searchapp.store.spaces import ModelChoice, check_loaded, query_notice, unloadable

MAX_QUERY_CHARS = 2000


class SearchService:
    """Encodes queries, searches the right collection, shapes hits."""

    def __init__(self, settings: Settings, store: Store, embedders: Embedders) -> None:
        self._settings = settings
        self._store = store
        self._embedders = embedders
        self._cross_modal = CrossModalSearch(
            settings, store, embedders, retrieve=self.retrieve, alias_max_age=self._alias_max_age
        )

    @cached_property
    def floor(self) -> RelevanceFloor:
        return RelevanceFloor(self._settings.min_relevance)

    @property
    def _alias_max_age(self) -> float:
        return self._settings.search_alias_refresh_ms / 1000

    @cached_property
    def _store_gate(self) -> AbstractContextManager[object]:
        """Batches take turns at a store that serves one search at a time (see
        searchapp.search.query_batch); a server takes them together."""
        return threading.Lock() if self._store.info.serves_one_search_at_a_time else nullcontext()

    @property
    def _batch_workers(self) -> int:
        """The setting, or by default: 1 where the store serves one search at a time
        (one worker makes the largest batches), else 2 (one batch is encoded while
        another is searched)."""
        serial = self._store.info.serves_one_search_at_a_time
        return self._settings.search_batch_workers or (1 if serial else 2)

    @cached_property
    def _batcher(self) -> Batcher[RetrievalJob, Found]:
        # Built by the first search (its worker threads start then).
        return Batcher(
            lambda jobs: serve_jobs(jobs, self._settings, self._store_gate),
            max_size=self._settings.search_batch_size,
            max_wait=self._settings.search_batch_wait_ms / 1000,
            workers=self._batch_workers,
            name="search-batch",
        )

    def retrieve(self, job: RetrievalJob) -> Found:
        """Embed and search for one query; with batching on, together with the other
        queries that arrive meanwhile (see searchapp.search.batching)."""
        if self._settings.search_batching:
            return self._batcher.submit(job)
        [outcome] = serve_jobs([job], self._settings)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _following_reindex(
        self, spec: CollectionSpec, run: Callable[[], SearchResult]
    ) -> SearchResult:
        """``run()``, once more if it failed because a re-index moved ``spec``'s alias
        (the remembered alias named a collection the re-index has since dropped)."""
        try:
            return run()
        except StoreError:
            if not self._store.alias_moved(spec):
                raise
            return run()

    def close(self) -> None:
        """Stop the batch workers (queued searches are served first)."""
        if "_batcher" in self.__dict__:
            self._batcher.close()

    def text_collection(self) -> VectorCollection | None:
        """The text collection the alias points to (as of at most
        SEARCHAPP_SEARCH_ALIAS_REFRESH_MS ago); None before the first ingest."""
        return self._store.existing_collection(TEXT_SPEC, max_age=self._alias_max_age)

    def _query_embedder(self, collection: VectorCollection) -> tuple[TextEmbedder, str | None]:
        """The model that made ``collection``'s vectors, and a notice when it is not
        the configured one.

        Queries are embedded by the collection's own model, not blindly by the
        configured one: after `searchapp reindex --text-model` switched the
        alias, a running server keeps answering correctly without a restart.
        """
        recorded = collection.identity
        try:
            embedder = self._embedders.query_text(recorded.model_id)
        except ModelUnavailableError as exc:
            raise unloadable(collection.name, recorded, exc) from exc
        check_loaded(collection.name, collection.spec, recorded, embedder.identity)
        notice = query_notice(ModelChoice.text(recorded.model_id), self._settings.text_model)
        return embedder, notice

    def load_query_image(self, data: bytes) -> LoadedImage:
        """A query image decoded as a search decodes it, for a caller that also shows it."""
        return self._cross_modal.load_query_image(data)

    def search(self, request: SearchRequest) -> SearchResult:
        """Run ``request`` in its mode."""
        request.check_query()
        if request.mode is Mode.TEXT:
            assert request.text is not None
            return self.search_text(
                request.text,
                k=request.k,
                offset=request.offset,
                filters=request.filters,
                retrieval=request.retrieval,
                min_relevance=request.min_relevance,
            )
        if request.mode is Mode.TEXT_TO_IMAGE:
            check_page(request.k, request.offset, self._settings.max_result_window)
            query = _check_query(request.text or "")
            return self._following_reindex(
                CLIP_IMAGE_SPEC, lambda: self._cross_modal.text_to_image(query, request)
            )
        if request.mode in IMAGE_MODES:
            check_page(request.k, request.offset, self._settings.max_result_window)
            return self._cross_modal.from_image(request)
        raise InvalidQueryError(f"search mode {request.mode.value!r} is not available")

    def search_text(
        self,
        query: str,
        *,
        k: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
        retrieval: Retrieval | str | None = None,
        min_relevance: float | None = None,
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Documents for a text query, by meaning (dense), words (keyword) or both (hybrid).

        ``retrieval`` defaults to the setting; ``min_relevance`` (the relevance
        floor, 0 for none) to the direction's configured floor. ``vector`` is
        the query's embedding when the caller made it already (an evaluation
        embeds all its queries in batches: one at a time is many times slower).
        """
        query = _check_query(query)
        check_page(k, offset, self._settings.max_result_window)
        chosen = _retrieval(retrieval or self._settings.retrieval)
        self.floor.threshold(f"text-{chosen.value}", min_relevance)  # checked before any work
        expression = (filters or SearchFilters()).expression()

        def run() -> SearchResult:
            return self._search_text(
                query, k, offset, expression, chosen, retrieval is not None, min_relevance, vector
            )

        return self._following_reindex(TEXT_SPEC, run)

    def _search_text(
        self,
        query: str,
        k: int,
        offset: int,
        expression: str,
        chosen: Retrieval,
        asked: bool,
        min_relevance: float | None,
        vector: np.ndarray | None,
    ) -> SearchResult:
        watch = Stopwatch()
        with watch.store():
            collection = self.text_collection()
        result = SearchResult(query, "text", [], 0.0, k, offset, retrieval=chosen.value)
        if collection is None:
            notice = "nothing has been ingested yet: run `searchapp ingest PATH`"
            return dataclasses.replace(result, notice=notice)
        embedder, model_notice = self._query_embedder(collection)  # loads on first use
        notices = [model_notice] if model_notice else []
        if chosen is not Retrieval.DENSE and (
            reason := keyword_unavailable(collection, self._store.info)
        ):
            if asked:  # asked for by name: say why it cannot be done
                raise FeatureUnsupportedError(f"{reason}; or search with --retrieval dense")
            # The configured default: search by meaning, as every search did before
            # keyword search existed (`searchapp doctor` reports the missing BM25).
            chosen = Retrieval.DENSE
        direction = f"text-{chosen.value}"
        floor = self.floor.threshold(direction, min_relevance)
        started = time.perf_counter()
        wanted = offset + k
        found = self.retrieve(
            RetrievalJob(
                text=query,
                embedder=embedder,
                collection=collection,
                retrieval=chosen,
                limit=chunks_to_fetch(wanted),
                fields=tuple(TEXT_FIELDS),
                expression=expression,
                vector=vector,
            )
        )
        watch.add(found.encode_ms, found.store_ms)
        model_id = collection.identity.model_id
        best = best_per_document(found.rows)
        relevances = [
            self.floor.relevance(direction, cosine, model_id)
            for cosine in similarities(best, TextQuery(query, found.vector))
        ]
        # A hit without a relevance (a model the floor is not calibrated for) is kept.
        kept = [
            (row, relevance)
            for row, relevance in zip(best, relevances, strict=True)
            if relevance is None or relevance >= floor
        ]
        if best and not kept:
            notices.append(
                f"no results: the {len(best)} closest documents are all below the relevance "
                f"floor ({floor:g}); lower it (--min-relevance, min_relevance) to see them"
            )
        return dataclasses.replace(
            result,
            # Snippets only for the page shown: the rest were fetched to rank and count.
            hits=[text_hit(row, query, relevance) for row, relevance in kept[offset:wanted]],
            took_ms=elapsed_ms(started),
            notice="; ".join(notices) or None,
            retrieval=chosen.value,
            below_floor=len(best) - len(kept),
            timings=watch.timings(),
            more=len(kept) > wanted,
        )

    def similar(
        self,
        item_id: str,
        *,
        k: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """More like this, for an ingested item (the ``id`` of a hit).

        An image finds images (by its stored CLIP vector, no CLIP model needed);
        a document chunk finds other documents by its stored text vector.
        """
        check_item_id(item_id)
        check_page(k, offset, self._settings.max_result_window)
        filters = filters or SearchFilters()
        filters.expression()  # checked before any work
        started = time.perf_counter()
        watch = Stopwatch()
        with watch.store():
            images = self._store.existing_collection(CLIP_IMAGE_SPEC, max_age=self._alias_max_age)
            is_image = images is not None and bool(images.get([item_id], ["source"]))
        if is_image:
            request = SearchRequest(
                mode=Mode.IMAGE, item_id=item_id, k=k, offset=offset, filters=filters
            )
            return self._cross_modal.from_image(request)
        with watch.store():
            collection = self.text_collection()
        return similar_chunks(
            collection,
            item_id,
            k=k,
            offset=offset,
            filters=filters,
            settings=self._settings,
            watch=watch,
            started=started,
        )


def _check_query(query: str) -> str:
    query = query.strip()
    if not query:
        raise InvalidQueryError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    return query


def _retrieval(value: Retrieval | str) -> Retrieval:
    try:
        return Retrieval(value)
    except ValueError:
        known = ", ".join(r.value for r in Retrieval)
        raise InvalidQueryError(f"unknown retrieval {value!r}: use one of {known}") from None
