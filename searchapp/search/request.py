"""What a caller asks the search service for: one shape for CLI, API and page."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from searchapp.errors import InvalidQueryError
from searchapp.item_ids import check_item_id
from searchapp.search.filters import SearchFilters

if TYPE_CHECKING:
    from searchapp.extract.images import LoadedImage

MAX_K = 100


class Mode(StrEnum):
    """Search direction: what the query is, and what is searched."""

    TEXT = "text"  # text query -> documents (MiniLM)
    TEXT_TO_IMAGE = "text-to-image"  # text query -> images (CLIP text tower)
    IMAGE = "image"  # image query -> images (CLIP image tower)
    IMAGE_TO_TEXT = "image-to-text"  # image query -> documents and captions (CLIP)


#: The modes that search by an image (a query image, or an ingested image's id).
IMAGE_MODES = frozenset({Mode.IMAGE, Mode.IMAGE_TO_TEXT})


class Retrieval(StrEnum):
    """How a text query finds documents."""

    DENSE = "dense"  # by meaning: nearest MiniLM vectors
    KEYWORD = "keyword"  # by words: BM25 over the analysed chunk text
    HYBRID = "hybrid"  # both, fused by Milvus


@dataclass(frozen=True)
class SearchRequest:
    """A query and how to run it.

    Text modes take ``text``; image modes take ``image`` (the bytes of an
    uploaded or local image, or the picture decoded from them by
    ``SearchService.load_query_image``) or ``item_id`` (an ingested item, "more like this").
    ``retrieval`` (text mode) and ``min_relevance`` (the relevance floor, 0
    turns it off) default to the settings when None.
    """

    mode: Mode = Mode.TEXT
    text: str | None = None
    image: bytes | LoadedImage | None = None
    item_id: str | None = None
    k: int = 10
    offset: int = 0
    filters: SearchFilters = field(default_factory=SearchFilters)
    retrieval: Retrieval | None = None
    min_relevance: float | None = None

    def check_query(self, words: QueryWords | None = None) -> None:
        """The one rule of what each mode searches by: a text mode takes ``text``; an
        image mode takes ``image`` or ``item_id`` (one of them). ``words`` names the
        inputs as the caller spells them (API parameters, CLI arguments), for errors."""
        words = words or QueryWords()
        mode = self.mode.value
        if self.mode in IMAGE_MODES:
            if self.text is not None:
                raise InvalidQueryError(f"mode {mode} searches by an image: give {words.image}")
            if self.image is not None and self.item_id is not None:
                raise InvalidQueryError("give a query image or an item id, not both")
            if self.image is None and self.item_id is None:
                raise InvalidQueryError(f"mode {mode} needs {words.image}")
            if self.item_id is not None:
                check_item_id(self.item_id)
            return
        if self.image is not None or self.item_id is not None:
            raise InvalidQueryError(
                f"{words.item} is for the image modes; mode {mode} takes {words.text}"
            )
        if self.text is None:
            raise InvalidQueryError(f"mode {mode} needs {words.text}")


@dataclass(frozen=True)
class QueryWords:
    """How a caller names a query's inputs, in the errors of :meth:`SearchRequest.check_query`."""

    text: str = "a text query"
    image: str = "a query image or the id of an ingested image"
    item: str = "an image or item id"


def check_page(k: int, offset: int, window: int) -> None:
    """Refuse a page the service should not fetch: ``k`` out of range, or a page
    deeper than ``window`` (SEARCHAPP_MAX_RESULT_WINDOW).

    A deep page costs as much as every page before it (the store returns
    ``offset + k`` hits, each gets a snippet), so, as Elasticsearch's
    ``max_result_window``, depth is capped where the parameters are checked.
    """
    if not 1 <= k <= MAX_K:
        raise InvalidQueryError(f"k must be between 1 and {MAX_K}, not {k}")
    if offset < 0:
        raise InvalidQueryError(f"offset must not be negative, not {offset}")
    if offset + k > window:
        raise InvalidQueryError(
            f"offset + k must be at most {window:,} (SEARCHAPP_MAX_RESULT_WINDOW); "
            "narrow the search with a filter instead of paging this deep"
        )
