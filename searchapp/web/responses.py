"""The JSON shapes the API answers with: separate from the service's dataclasses,
so what the API promises changes only here, on purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from searchapp.search import Hit, SearchResult
from searchapp.store import CollectionInfo
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


class IndexOut(BaseModel):
    type: str
    M: int
    efConstruction: int
    search_ef: int
    keywords: str | None = Field(description="The BM25 index, null when none.")


class CollectionOut(BaseModel):
    space: str = Field(description="text, clip_image or clip_text.")
    name: str = Field(description="The alias searches use.")
    physical_name: str = Field(description="The collection the alias points to now.")
    rows: int
    media_rows: int = Field(description="Rows of audio and video files (transcripts, frames).")
    model: str
    dim: int
    metric: str
    normalized: bool
    index: IndexOut

    @classmethod
    def of(cls, info: CollectionInfo) -> CollectionOut:
        return cls(
            space=info.space,
            name=info.name,
            physical_name=info.physical_name,
            rows=info.rows,
            media_rows=info.media_rows,
            model=info.model,
            dim=info.dim,
            metric=info.metric,
            normalized=info.normalized,
            index=IndexOut.model_validate(info.index),
        )


class StoreOut(BaseModel):
    uri: str
    server: str


class CollectionsResponse(BaseModel):
    store: StoreOut
    collections: list[CollectionOut]


class ErrorResponse(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read.")


# --- items ---------------------------------------------------------------------


class Item(BaseModel):
    """What the store holds about an ingested item, and whether its file can be served."""

    id: str
    kind: str  # "image", "key frame" (of a video) or "document"
    source: str
    title: str
    media_type: str
    ext: str
    record_id: str | None
    chunk_index: int | None
    char_start: int | None
    char_end: int | None
    mtime: float  # when it was ingested
    sha256: str
    image: ImageFacts | None
    metadata: dict[str, Any]
    file: str | None  # URL of the original file, None when it cannot be served
    file_problem: str | None  # why not
    size: int | None  # of the file now, when it can be served
    thumbnail: str | None  # URL of the thumbnail (images)


# --- health --------------------------------------------------------------------


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool
    store: str  # "ok" or why not
    text_model: str  # "ok" or why not
    clip: str  # "ok" or why not: CLIP is optional, so it never makes the process unready


# --- ingest --------------------------------------------------------------------


class StoredItem(BaseModel):
    name: str = Field(description="The file name the client sent.")
    path: str = Field(
        description="Where it is stored (and its `source` once ingested), shown as "
        "search hits show `source`."
    )
    size: int


class IngestAccepted(BaseModel):
    request_id: str
    items: list[StoredItem]
    status_url: str = Field(description="Where to follow this request.")
    worker_alive: bool = Field(
        description="A worker is running now; if not, the files wait for `searchapp worker`."
    )


class QueueCounts(BaseModel):
    queued: int
    running: int
    done: int
    failed: int


class WorkerState(BaseModel):
    id: str
    pid: int | None = Field(description="Its process id (admin tokens only).")
    host: str | None = Field(description="The machine it runs on (admin tokens only).")
    alive: bool = Field(description="Its heartbeat is recent.")
    heartbeat_age_seconds: float
    started_at: datetime
    roots: list[str]
    current_file: str | None


class IngestError(BaseModel):
    at: datetime
    path: str | None
    request_id: str | None
    reason: str


class RequestItem(BaseModel):
    name: str
    path: str
    size: int
    state: str = Field(description="queued, running, done or failed.")
    outcome: str | None = Field(
        description="ingested, unchanged, skipped, failed or removed, once finished."
    )
    reason: str | None


class RequestStatus(BaseModel):
    request_id: str
    finished: bool = Field(description="Every item is done or failed.")
    items: list[RequestItem]


class IngestStatus(BaseModel):
    queue: QueueCounts
    worker_alive: bool = Field(description="A worker is running (recent heartbeat).")
    current_file: str | None
    running: list[str] = Field(description="Files in the batch being ingested now.")
    files_per_second: float = Field(description="Files finished per second, last minute.")
    finished_last_minute: int
    workers: list[WorkerState]
    recent_errors: list[IngestError]
    request: RequestStatus | None = Field(
        default=None, description="The items of `request_id`, when one is asked for."
    )


# --- explore (/api/explore): duplicates, clusters, outliers, the map --------------


class ExploreItemOut(BaseModel):
    id: str = Field(description="The item's id (a document's first chunk): /api/items/{id}.")
    title: str
    source: str = Field(description="The file, shown as in search hits.")
    record_id: str | None = Field(description="The record within a record file, else null.")
    thumbnail_url: str | None = Field(description="A small preview, for images only.")
    file_url: str

    @classmethod
    def fields_of(cls, item: dict, space: str, sources: SourceNames) -> dict:
        return {
            "id": item["id"],
            "title": item["title"],
            "source": sources.show(item["source"]) or "",
            "record_id": item.get("record_id"),
            "thumbnail_url": f"/api/items/{item['id']}/thumbnail" if space == "image" else None,
            "file_url": f"/api/items/{item['id']}/file",
        }


class DuplicateMemberOut(ExploreItemOut):
    exact: bool = Field(description="Same bytes (sha256) as another member.")


class DuplicateGroupOut(BaseModel):
    similarity: float = Field(description="The lowest similarity that joined the group.")
    exact: bool = Field(description="Every member has the same bytes.")
    members: list[DuplicateMemberOut]


class DuplicatesResponse(BaseModel):
    space: str
    item_count: int = Field(description="Items in the space (documents or images).")
    threshold: float
    total: int = Field(description="Groups found; this page holds some of them.")
    offset: int
    next_offset: int | None
    groups: list[DuplicateGroupOut]

    @classmethod
    def of(
        cls, report: dict, *, offset: int, limit: int, sources: SourceNames
    ) -> DuplicatesResponse:
        space = report["space"]
        page = report["groups"][offset : offset + limit]
        return cls(
            space=space,
            item_count=report["item_count"],
            threshold=report["threshold"],
            total=len(report["groups"]),
            offset=offset,
            next_offset=_next(offset, limit, len(report["groups"])),
            groups=[
                DuplicateGroupOut(
                    similarity=g["similarity"],
                    exact=g["exact"],
                    members=[
                        DuplicateMemberOut(
                            **ExploreItemOut.fields_of(m, space, sources), exact=m["exact"]
                        )
                        for m in g["members"]
                    ],
                )
                for g in page
            ],
        )


class OutlierOut(ExploreItemOut):
    score: float = Field(description="Mean cosine distance to the k nearest items (0-2).")


class OutliersResponse(BaseModel):
    space: str
    item_count: int
    neighbours: int = Field(description="k: the nearest items each score is measured to.")
    offset: int
    next_offset: int | None
    items: list[OutlierOut] = Field(description="Most outlying first.")

    @classmethod
    def of(cls, report: dict, *, offset: int, limit: int, sources: SourceNames) -> OutliersResponse:
        space = report["space"]
        return cls(
            space=space,
            item_count=report["item_count"],
            neighbours=report["neighbours"],
            offset=offset,
            next_offset=_next(offset, limit, len(report["items"])),
            items=[
                OutlierOut(**ExploreItemOut.fields_of(item, space, sources), score=item["score"])
                for item in report["items"][offset : offset + limit]
            ],
        )


class ClusterExampleOut(BaseModel):
    id: str
    title: str


class ClusterOut(BaseModel):
    cluster: int
    label: str = Field(description="Its most distinctive words (class-based TF-IDF).")
    words: list[str]
    size: int = Field(description="Items in the cluster (all items, not only the sample).")
    examples: list[ClusterExampleOut]


class ClustersResponse(BaseModel):
    space: str
    item_count: int
    sampled: int = Field(description="Items the clusters were fitted on (a seeded sample).")
    clusters: list[ClusterOut]


class MapPointOut(BaseModel):
    id: str
    title: str
    x: float = Field(description="In [-1, 1].")
    y: float
    cluster: int


class MapResponse(ClustersResponse):
    method: str = Field(description="pca, or umap when umap-learn is installed.")
    total: int = Field(description="Points on the map; this page holds some of them.")
    offset: int
    next_offset: int | None
    points: list[MapPointOut]

    @classmethod
    def of(cls, report: dict, *, offset: int, limit: int) -> MapResponse:
        points = report["points"]
        return cls(
            space=report["space"],
            item_count=report["item_count"],
            sampled=report["sampled"],
            clusters=report["clusters"],
            method=report["method"],
            total=len(points),
            offset=offset,
            next_offset=_next(offset, limit, len(points)),
            points=points[offset : offset + limit],
        )


def _next(offset: int, limit: int, total: int) -> int | None:
    return offset + limit if offset + limit < total else None
