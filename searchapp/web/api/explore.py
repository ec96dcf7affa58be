"""Explore the library: near-duplicates, clusters, outliers and the 2-D map of a space.

Read access, like search. Results are computed on first request and cached
until the collection changes (see searchapp.explore), so a first request on a
large library takes a while (see docs/explore.md for figures).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from searchapp.web.deps import ExploreDep, Reader, SourcesDep
from searchapp.web.responses import (
    ClustersResponse,
    DuplicatesResponse,
    ErrorResponse,
    MapResponse,
    OutliersResponse,
)

router = APIRouter(prefix="/api/explore", tags=["explore"])

SpaceName = Literal["text", "image"]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many entries.")]
Clusters = Annotated[
    int | None, Query(ge=1, le=200, description="Number of clusters (default: best silhouette).")
]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Nothing ingested in this space yet."},
    503: {"model": ErrorResponse, "description": "The store is unavailable."},
}


@router.get("/{space}/duplicates", response_model=DuplicatesResponse, responses=_ERRORS)
def duplicates(
    space: SpaceName,
    _: Reader,
    explore: ExploreDep,
    sources: SourcesDep,
    threshold: Annotated[
        float | None,
        Query(gt=0.0, le=1.0, description="Cosine similarity (default: the space's setting)."),
    ] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Groups per page.")] = 50,
) -> DuplicatesResponse:
    """Groups of near-duplicate items, largest first; same-bytes files marked exact."""
    report = explore.duplicates(space, threshold)
    return DuplicatesResponse.of(report, offset=offset, limit=limit, sources=sources)


@router.get("/{space}/clusters", response_model=ClustersResponse, responses=_ERRORS)
def clusters(
    space: SpaceName, _: Reader, explore: ExploreDep, clusters: Clusters = None
) -> ClustersResponse:
    """Clusters with their labels, sizes and a few example items."""
    return ClustersResponse.model_validate(explore.clusters(space, clusters))


@router.get("/{space}/outliers", response_model=OutliersResponse, responses=_ERRORS)
def outliers(
    space: SpaceName,
    _: Reader,
    explore: ExploreDep,
    sources: SourcesDep,
    neighbours: Annotated[
        int | None, Query(ge=1, le=100, description="k (default SEARCHAPP_EXPLORE_NEIGHBOURS).")
    ] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
) -> OutliersResponse:
    """Every item by outlier score, most outlying first."""
    report = explore.outliers(space, neighbours)
    return OutliersResponse.of(report, offset=offset, limit=limit, sources=sources)


@router.get("/{space}/map", response_model=MapResponse, responses=_ERRORS)
def map_points(
    space: SpaceName,
    _: Reader,
    explore: ExploreDep,
    clusters: Clusters = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=20_000, description="Points per page.")] = 20_000,
) -> MapResponse:
    """2-D points (a seeded sample when the space is large) coloured by cluster."""
    return MapResponse.of(explore.map(space, clusters), offset=offset, limit=limit)
