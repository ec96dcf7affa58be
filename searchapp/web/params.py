"""Search parameters from a query string: one parser for the API and the page.

FastAPI validates types and ranges (a bad value answers 422 with the field
and the reason); the search filters validate their own values and build the
escaped Milvus expression, so user text never reaches an expression raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import Query

from searchapp.errors import InvalidQueryError
from searchapp.search import MAX_K, Mode, Retrieval, SearchFilters, SearchRequest

if TYPE_CHECKING:
    from searchapp.extract.images import LoadedImage


@dataclass
class SearchParams:
    """The query-string options of a search, shared by ``/api/search`` and the page."""

    mode: Annotated[Mode, Query(description="Search direction.")] = Mode.TEXT
    k: Annotated[int, Query(ge=1, le=MAX_K, description="Hits per page.")] = 10
    offset: Annotated[int, Query(ge=0, description="Hits to skip (paging).")] = 0
    media_type: Annotated[
        list[str] | None,
        Query(description='Only these media types: "text/markdown", or a family "image/*".'),
    ] = None
    folder: Annotated[
        str | None, Query(max_length=4096, description="Only items under this absolute folder.")
    ] = None
    ext: Annotated[
        list[str] | None, Query(description='Only files with these extensions ("pdf", ".md").')
    ] = None
    modified_after: Annotated[
        datetime | None, Query(description="Only files modified at or after (ISO 8601).")
    ] = None
    modified_before: Annotated[
        datetime | None, Query(description="Only files modified before (ISO 8601).")
    ] = None
    retrieval: Annotated[
        Retrieval | None,
        Query(description="Text mode: dense (meaning), keyword (BM25) or hybrid (both)."),
    ] = None
    min_relevance: Annotated[
        float | None,
        Query(ge=0.0, le=1.0, description="Drop hits below this calibrated relevance (0: none)."),
    ] = None

    def filters(self) -> SearchFilters:
        return SearchFilters(
            media_types=tuple(v for v in self.media_type or () if v),
            folder=self.folder or None,
            extensions=tuple(v for v in self.ext or () if v),
            modified_after=_timestamp("modified_after", self.modified_after),
            modified_before=_timestamp("modified_before", self.modified_before),
        )

    def request(
        self,
        *,
        text: str | None = None,
        image: bytes | LoadedImage | None = None,
        item_id: str | None = None,
    ) -> SearchRequest:
        return SearchRequest(
            mode=self.mode,
            text=text,
            image=image,
            item_id=item_id,
            k=self.k,
            offset=self.offset,
            filters=self.filters(),
            retrieval=self.retrieval if self.mode is Mode.TEXT else None,
            min_relevance=self.min_relevance,
        )


def _timestamp(name: str, value: datetime | None) -> float | None:
    # A date-time without a zone means the server's local time, as file times do.
    if value is None:
        return None
    try:
        return value.timestamp()
    except (ValueError, OverflowError, OSError) as exc:
        # Year 1 in local time falls before year 1 in UTC ("year 0 is out of range").
        raise InvalidQueryError(f"{name} is out of range ({value.isoformat()}): {exc}") from None
