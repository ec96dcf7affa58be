"""Search routes: by text or an ingested item (GET), by an uploaded image (POST),
and "more like this" for any hit.

Routes are plain ``def``: FastAPI runs them in its thread pool, so encoding a
query never blocks the event loop. They only translate HTTP to a request and a
result to JSON; the search service does the work.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from searchapp.errors import InvalidQueryError
from searchapp.search import Mode, SearchResult
from searchapp.search.request import IMAGE_MODES, QueryWords
from searchapp.web.deps import AppDep, ParamsDep, Reader, SearchDep, SourcesDep
from searchapp.web.responses import ErrorResponse, SearchResponse
from searchapp.web.uploads import read_bounded
from searchapp.web.visibility import SourceNames

router = APIRouter(prefix="/api/search", tags=["search"])

Params = ParamsDep
# How the errors of SearchRequest.check_query name this API's inputs.
_WORDS = QueryWords(
    text="q=<words>. For documents like a hit, use /api/search/similar/{id}",
    image="item=<id of an ingested image>, or POST an image to /api/search/image",
    item="item=",
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The query or a filter is not usable."},
    404: {"model": ErrorResponse, "description": "No ingested item has that id."},
    503: {"model": ErrorResponse, "description": "The store or a model is unavailable."},
}


@router.get("", response_model=SearchResponse, responses=_ERRORS)
def search(
    _: Reader,
    service: SearchDep,
    sources: SourcesDep,
    params: Params,
    response: Response,
    q: Annotated[str | None, Query(description="The query (text and text-to-image modes).")] = None,
    item: Annotated[
        str | None,
        Query(description="The id of an ingested image (image and image-to-text modes)."),
    ] = None,
) -> SearchResponse:
    """Search by words (modes text, text-to-image) or by an ingested image (image,
    image-to-text: ``item`` is its id; to search by a new image, POST it to
    /api/search/image)."""
    # No q in a text mode searches for "": the service says the query is empty.
    text = q if q is not None or params.mode in IMAGE_MODES else ""
    request = params.request(text=text, item_id=item)
    request.check_query(_WORDS)
    return _answer(response, sources, lambda: service.search(request))


@router.post(
    "/image",
    response_model=SearchResponse,
    responses={
        **_ERRORS,
        413: {"model": ErrorResponse, "description": "The upload is over the size limit."},
    },
)
def search_by_image(
    _: Reader,
    app: AppDep,
    service: SearchDep,
    sources: SourcesDep,
    params: Params,
    response: Response,
    image: Annotated[UploadFile, File(description="The query image (JPEG, PNG, WebP, ...).")],
) -> SearchResponse:
    """Images like an uploaded image (mode image, the default here) or documents and
    captions about it (mode image-to-text)."""
    if params.mode is Mode.TEXT:  # the query-string default: an upload means an image search
        params = dataclasses.replace(params, mode=Mode.IMAGE)
    if params.mode not in IMAGE_MODES:
        raise InvalidQueryError(
            f"an uploaded image is searched in mode image or image-to-text, not "
            f"{params.mode.value}; search by words with GET /api/search?q=..."
        )
    data = read_bounded(image, app.settings.max_upload_bytes)
    if not data:
        raise InvalidQueryError("the uploaded image is empty")
    request = params.request(image=data)
    return _answer(response, sources, lambda: service.search(request))


@router.get("/similar/{item_id}", response_model=SearchResponse, responses=_ERRORS)
def similar(
    _: Reader,
    service: SearchDep,
    sources: SourcesDep,
    params: Params,
    response: Response,
    item_id: Annotated[str, Path(description="The id of a hit: an image or a document chunk.")],
) -> SearchResponse:
    """More like this: images like an ingested image, documents like a document's
    chunk (by their stored vectors: nothing is embedded). The item's own document
    is left out. ``mode``, ``retrieval`` and ``min_relevance`` do not apply."""
    return _answer(
        response,
        sources,
        lambda: service.similar(
            item_id, k=params.k, offset=params.offset, filters=params.filters()
        ),
    )


def _answer(response: Response, sources: SourceNames, run: Any) -> SearchResponse:
    """Run the search; the JSON body, and where the time went as a Server-Timing header."""
    started = time.perf_counter()
    result: SearchResult = run()
    search_ms = round((time.perf_counter() - started) * 1000, 2)
    timings = result.timings
    response.headers["Server-Timing"] = (
        f"encode;dur={timings.encode_ms}, milvus;dur={timings.store_ms}, search;dur={search_ms}"
    )
    return SearchResponse.of(result, search_ms=search_ms, sources=sources)
