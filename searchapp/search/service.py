"""The one search service behind the CLI, the JSON API and the web page."""

from __future__ import annotations

import time

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import InvalidQueryError, ModelMismatchError, ModelUnavailableError
from searchapp.search.cross_modal import CrossModalSearch
from searchapp.search.filters import SearchFilters
from searchapp.search.hits import TEXT_FIELDS, best_per_document, text_hit
from searchapp.search.request import Mode, SearchRequest
from searchapp.search.results import SearchResult, elapsed_ms
from searchapp.store import TEXT_SPEC, Store, VectorCollection

MAX_K = 100
MAX_QUERY_CHARS = 2000
# Chunks fetched per wanted document: several chunks of one document can rank
# together, and hits are collapsed to one per document.
_OVERFETCH = 4


class SearchService:
    """Encodes queries, searches the right collection, shapes hits."""

    def __init__(self, settings: Settings, store: Store, embedders: Embedders) -> None:
        self._settings = settings
        self._store = store
        self._embedders = embedders
        self._cross_modal = CrossModalSearch(settings, store, embedders)

    def text_collection(self) -> VectorCollection | None:
        """The text collection the alias points to now; None before the first ingest."""
        return self._store.existing_collection(TEXT_SPEC)

    def _query_embedder(
        self, collection: VectorCollection
    ) -> tuple[SentenceTransformerEmbedder, str | None]:
        """The model that made ``collection``'s vectors, and a notice when it is not
        the configured one.

        Queries are embedded by the collection's own model, not blindly by the
        configured one: after `searchapp reindex --text-model` switched the
        alias, a running server keeps answering correctly without a restart.
        """
        recorded = collection.identity
        try:
            embedder = self._embedders.text_model(recorded.model_id)
        except ModelUnavailableError as exc:
            raise ModelUnavailableError(
                f"the index {collection.name!r} was built by {recorded.model_id}, which "
                f"cannot be loaded here: {exc}"
            ) from exc
        if embedder.identity != recorded:
            raise ModelMismatchError(
                f"the index {collection.name!r} holds vectors from {recorded.describe()}, "
                f"but that model now loads as {embedder.identity.describe()}; re-index it "
                "(`searchapp reindex --text-model ...`)"
            )
        if recorded.model_id == self._settings.text_model:
            return embedder, None
        return embedder, (
            f"note: the index was built by {recorded.model_id} (not SEARCHAPP_TEXT_MODEL="
            f"{self._settings.text_model}); queries use it. Set SEARCHAPP_TEXT_MODEL="
            f"{recorded.model_id} so ingest uses it too."
        )

    def search(self, request: SearchRequest) -> SearchResult:
        """Run ``request`` in its mode."""
        if request.mode is Mode.TEXT:
            if request.text is None:
                raise InvalidQueryError("text search needs a text query")
            return self.search_text(
                request.text, k=request.k, offset=request.offset, filters=request.filters
            )
        if request.mode is Mode.TEXT_TO_IMAGE:
            _check_page(request.k, request.offset)
            return self._cross_modal.text_to_image(_check_query(request.text or ""), request)
        if request.mode in (Mode.IMAGE, Mode.IMAGE_TO_TEXT):
            _check_page(request.k, request.offset)
            return self._cross_modal.from_image(request)
        raise InvalidQueryError(f"search mode {request.mode.value!r} is not available")

    def search_text(
        self,
        query: str,
        *,
        k: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """Documents whose text means what ``query`` means (MiniLM, text -> text)."""
        query = _check_query(query)
        _check_page(k, offset)
        expression = (filters or SearchFilters()).expression()
        collection = self.text_collection()
        if collection is None:
            return SearchResult(
                query,
                "text",
                [],
                0.0,
                k,
                offset,
                notice="nothing has been ingested yet: run `searchapp ingest PATH`",
            )
        embedder, notice = self._query_embedder(collection)  # loads on first use: not timed
        started = time.perf_counter()
        vector = embedder.embed([query])
        wanted = offset + k
        rows = collection.search(
            vector,
            limit=min(wanted * _OVERFETCH, 16384),
            fields=TEXT_FIELDS,
            expression=expression,
            ef=self._settings.search_ef,
        )[0]
        hits = [text_hit(row, query) for row in best_per_document(rows)]
        return SearchResult(
            query, "text", hits[offset:wanted], elapsed_ms(started), k, offset, notice=notice
        )


def _check_query(query: str) -> str:
    query = query.strip()
    if not query:
        raise InvalidQueryError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    return query


def _check_page(k: int, offset: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InvalidQueryError(f"k must be between 1 and {MAX_K}, not {k}")
    if offset < 0:
        raise InvalidQueryError(f"offset must not be negative, not {offset}")
