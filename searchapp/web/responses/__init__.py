"""The JSON shapes the API answers with: separate from the service's dataclasses,
so what the API promises changes only here, on purpose.

One module per resource, as the routes in ``web/api/``; every model is re-exported
here, so routes import ``from searchapp.web.responses import ...``."""

from __future__ import annotations

from searchapp.web.responses.collections import (
    CollectionOut,
    CollectionsResponse,
    IndexOut,
    StoreOut,
)
from searchapp.web.responses.errors import ErrorResponse
from searchapp.web.responses.explore import (
    ClusterExampleOut,
    ClusterOut,
    ClustersResponse,
    DuplicateGroupOut,
    DuplicateMemberOut,
    DuplicatesResponse,
    ExploreItemOut,
    MapPointOut,
    MapResponse,
    OutlierOut,
    OutliersResponse,
)
from searchapp.web.responses.health import Health, Readiness
from searchapp.web.responses.ingest import (
    IngestAccepted,
    IngestError,
    IngestStatus,
    QueueCounts,
    RequestItem,
    RequestStatus,
    StoredItem,
    WorkerState,
)
from searchapp.web.responses.items import Item
from searchapp.web.responses.search import (
    ChunkSpan,
    HitOut,
    ImageFacts,
    SearchResponse,
    TimingsOut,
)

__all__ = [
    "ChunkSpan",
    "ClusterExampleOut",
    "ClusterOut",
    "ClustersResponse",
    "CollectionOut",
    "CollectionsResponse",
    "DuplicateGroupOut",
    "DuplicateMemberOut",
    "DuplicatesResponse",
    "ErrorResponse",
    "ExploreItemOut",
    "Health",
    "HitOut",
    "ImageFacts",
    "IndexOut",
    "IngestAccepted",
    "IngestError",
    "IngestStatus",
    "Item",
    "MapPointOut",
    "MapResponse",
    "OutlierOut",
    "OutliersResponse",
    "QueueCounts",
    "Readiness",
    "RequestItem",
    "RequestStatus",
    "SearchResponse",
    "StoreOut",
    "StoredItem",
    "TimingsOut",
    "WorkerState",
]
