"""What /api/search answers: the hits of one page and where the time went."""

from __future__ import annotations

from pydantic import BaseModel, Field

from searchapp.search import Hit, SearchResult
from searchapp.web.visibility import SourceNames


class ChunkSpan(BaseModel):
    index: int = Field(description="The chunk's number within its document (0 first).")
    start: int = Field(description="Start of the chunk in the document's extracted text.")
    end: int = Field(description="End (exclusive) of the chunk in the extracted text.")


class ImageFacts(BaseModel):
    width: int
    height: int
    format: str = Field(description="JPEG, PNG, WEBP, GIF, BMP, TIFF or MPO.")
    caption: str | None


class HitOut(BaseModel):
    id: str = Field(description="The item's id: use it with /api/items/{id} and /similar/{id}.")
    score: float = Field(description="The retrieval's own score: orders this list only.")
    relevance: float | None = Field(
        description="Calibrated relevance, 0-1, comparable across queries; null when the "
        "direction has no calibration."
    )
    source: str = Field(
        description="The file: its absolute path for an admin token (and on a server that "
        "needs no login), else its ingested folder's name and the path under it."
    )
    record_id: str | None = Field(description="The record within a record file, else null.")
    title: str
    snippet: str
    media_type: str
    chunk: ChunkSpan
    image: ImageFacts | None = Field(description="Set for images and image captions.")
    thumbnail_url: str | None = Field(description="A small preview, for image hits only.")
    file_url: str = Field(description="The original file.")
    start: float | None = Field(
        description="Audio and video: seconds from the file's start where the matching "
        "words begin (or the key frame shows); null for documents and images."
    )
    end: float | None = Field(description="Audio and video: where that span ends (seconds).")

    @classmethod
    def of(cls, hit: Hit, sources: SourceNames) -> HitOut:
        # The shape is the hit's own (Hit.as_json, also `searchapp search --json`):
        # this model declares it for the OpenAPI schema and checks it.
        return cls.model_validate(hit.as_json(source=sources.show(hit.source) or ""))


class TimingsOut(BaseModel):
    """Where the server spent the search's time (also sent as a Server-Timing header)."""

    encode_ms: float = Field(description="Embedding the query (decoding an image included).")
    milvus_ms: float = Field(description="In Milvus: finding the collection and searching it.")
    search_ms: float = Field(description="The whole search, as the route saw it.")


class SearchResponse(BaseModel):
    query: str = Field(description='The query text, "(image)" for an upload, or an item id.')
    mode: str
    retrieval: str | None = Field(description="dense, keyword or hybrid (text mode).")
    k: int
    offset: int
    hits: list[HitOut]
    took_ms: float = Field(description="Time of the search itself (model loading excluded).")
    notice: str | None = Field(description="Something the user should know, or null.")
    below_floor: int = Field(description="Hits left out by the relevance floor.")
    next_offset: int | None = Field(
        description="The offset of the next page; null when this page was the last."
    )
    timings: TimingsOut

    @classmethod
    def of(cls, result: SearchResult, *, search_ms: float, sources: SourceNames) -> SearchResponse:
        return cls(
            query=result.query,
            mode=result.mode,
            retrieval=result.retrieval,
            k=result.k,
            offset=result.offset,
            hits=[HitOut.of(hit, sources) for hit in result.hits],
            took_ms=result.took_ms,
            notice=result.notice,
            below_floor=result.below_floor,
            next_offset=result.offset + result.k if result.more else None,
            timings=TimingsOut(
                encode_ms=result.timings.encode_ms,
                milvus_ms=result.timings.store_ms,
                search_ms=search_ms,
            ),
        )
