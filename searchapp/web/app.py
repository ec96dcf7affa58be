"""The FastAPI application: one searchapp ``App`` per process, built at start-up.

The store connection, the text model and CLIP load once, in the lifespan,
so neither the first search nor a readiness probe pays for them; when CLIP's
weights are missing, only the CLIP directions answer 503 (text search keeps
working). Sync route functions run in FastAPI's thread pool, so encoding never
blocks the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from searchapp.app import App
from searchapp.config import Settings, get_settings
from searchapp.errors import (
    AccessDenied,
    ExtractError,
    FeatureUnsupportedError,
    FileAccessDenied,
    FileGoneError,
    FileSkipped,
    InvalidQueryError,
    ModelMismatchError,
    ModelUnavailableError,
    NotAuthenticated,
    NotFoundError,
    QueueUnavailableError,
    RateLimitedError,
    SearchappError,
    StoreError,
    StoreUnavailableError,
    UnsupportedUploadError,
    UploadTooLargeError,
)
from searchapp.web.api.ingest import INGEST_PATH
from searchapp.web.api_docs import install_api_docs
from searchapp.web.limits import BodyLimit
from searchapp.web.rate_limit import retry_after_header
from searchapp.web.security import install_security

log = logging.getLogger("searchapp.web")

# Room in a request body for the multipart framing and the form's other fields.
_FORM_OVERHEAD = 64 * 1024

# Each error the service can raise, and the status it answers with. The most
# specific class wins (the list is searched in order).
_STATUS: list[tuple[type[SearchappError], int]] = [
    (NotAuthenticated, 401),
    (AccessDenied, 403),
    (FileGoneError, 410),
    (NotFoundError, 404),
    (UploadTooLargeError, 413),
    (UnsupportedUploadError, 415),
    (QueueUnavailableError, 503),
    (RateLimitedError, 429),
    (FileAccessDenied, 403),
    # An ingested image that no longer decodes (its thumbnail cannot be made).
    (ExtractError, 422),
    (FileSkipped, 422),
    (InvalidQueryError, 400),
    (FeatureUnsupportedError, 400),
    (StoreUnavailableError, 503),
    (ModelUnavailableError, 503),
    (ModelMismatchError, 503),
    (StoreError, 503),
    (SearchappError, 400),
]


def status_for(error: SearchappError) -> int:
    return next(status for kind, status in _STATUS if isinstance(error, kind))


def error_headers(error: SearchappError) -> dict[str, str]:
    """Headers an error's answer carries: when to retry, for a rate limit; how to
    authenticate, for a 401 (RFC 9110; the page's login is at /login)."""
    if isinstance(error, RateLimitedError):
        return {"Retry-After": retry_after_header(error.retry_after)}
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="searchapp"'}
    return {}


def _warm_up(app: App) -> None:
    """Connect to the store and load the models; failures are reported by /readyz."""
    try:
        _ = app.store  # connects
        app.embedders.query_text()  # the web app embeds queries; uploads load ingest's on use
    except SearchappError as exc:
        log.warning("not ready at start-up: %s", exc)
    try:
        app.embedders.clip()  # optional: a failure is remembered, and said once here
    except SearchappError as exc:
        log.warning("image search unavailable: %s", exc)


def create_app(
    app: App | None = None,
    *,
    warm: bool = True,
    bind_host: str | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """The web application for ``app`` (a new ``App`` from ``settings``, or from the
    environment's settings, when None).

    ``warm=False`` skips the start-up loading (tests that check a cold start).
    ``bind_host`` is the address serve listens on (None: a loopback address); with
    SEARCHAPP_AUTH it decides who must log in (searchapp.auth.policy).
    """
    owned = app is None

    @asynccontextmanager
    async def lifespan(web: FastAPI) -> AsyncIterator[None]:
        current = app or App(settings)
        web.state.searchapp = current
        if warm:
            await run_in_threadpool(_warm_up, current)
        try:
            yield
        finally:
            if owned:
                await run_in_threadpool(current.close)

    if app is not None:
        settings = app.settings
    elif settings is None:
        settings = get_settings()
    upload_limit = settings.max_upload_bytes
    web = FastAPI(
        title="searchapp",
        summary="Semantic search over your own documents and images, on Milvus.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load their assets from a CDN: api_docs serves them
        redoc_url=None,
    )
    # Bodies are refused (413) once over the limit, as they arrive; the upload
    # route checks the file itself against the exact limit. The ingest upload
    # streams its parts and limits each file itself (receive_files). A body that
    # stalls is cut (408), so a slow client cannot hold a request for ever.
    web.add_middleware(
        BodyLimit,
        limit=upload_limit + _FORM_OVERHEAD,
        streamed=frozenset({INGEST_PATH}),
        timeout=settings.body_timeout_seconds,
    )
    install_security(web, settings, bind_host)
    if app is not None:  # usable before the lifespan runs (TestClient without `with`)
        web.state.searchapp = app

    @web.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # A client that leaves mid-request is no server error: no traceback. The
        # answer goes nowhere (uvicorn drops it).
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @web.exception_handler(SearchappError)
    async def _searchapp_error(request: Request, exc: SearchappError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=status_for(exc), headers=error_headers(exc)
        )

    from searchapp.web.api import api_router
    from searchapp.web.explore_page import explore_page_router
    from searchapp.web.login import login_router
    from searchapp.web.page import mount_static, page_router

    web.include_router(api_router)
    web.include_router(login_router)
    web.include_router(page_router)
    web.include_router(explore_page_router)
    mount_static(web)
    install_api_docs(web)
    return web
