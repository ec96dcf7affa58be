"""What the index holds: one entry per collection, as `searchapp stats --json` shows."""

from __future__ import annotations

from fastapi import APIRouter

from searchapp.store.schema import ALL_SPECS
from searchapp.web.deps import Admin, AppDep
from searchapp.web.responses import (
    CollectionOut,
    CollectionsResponse,
    ErrorResponse,
    StoreOut,
)

router = APIRouter(prefix="/api/collections", tags=["collections"])


@router.get(
    "",
    response_model=CollectionsResponse,
    responses={503: {"model": ErrorResponse, "description": "The store is unavailable."}},
)
def collections(_: Admin, app: AppDep) -> CollectionsResponse:
    """Each collection that exists: rows, model, dimension, metric, index parameters."""
    store = app.store
    infos = store.describe(list(ALL_SPECS))
    return CollectionsResponse(
        store=StoreOut(uri=store.uri, server=store.info.describe()),
        collections=[CollectionOut.of(info) for info in infos],
    )
