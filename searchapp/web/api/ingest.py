"""Ingest over HTTP: upload files for the worker, and see what the worker is doing.

An upload is stored under the uploads folder and queued in the worker's
durable queue before the answer (202) goes out: once accepted, it is ingested
even if the worker is down at the time or stopped half-way (it runs when the
worker runs). The worker, not this process, reads and embeds the files.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from searchapp.errors import NotFoundError, RateLimitedError
from searchapp.web.deps import AppDep, Ingester, SourcesDep, Uploader
from searchapp.web.rate_limit import RateLimiter
from searchapp.web.responses import (
    IngestAccepted,
    IngestError,
    IngestStatus,
    QueueCounts,
    RequestItem,
    RequestStatus,
    StoredItem,
    WorkerState,
)
from searchapp.web.uploads import FIELD, receive_files
from searchapp.web.visibility import SourceNames
from searchapp.worker.queue import JobQueue
from searchapp.worker.status import Snapshot, StatusBoard
from searchapp.worker.uploads import (
    MAX_FILES,
    REQUEST_ID,
    UploadWriter,
    new_request_id,
)

INGEST_PATH = "/api/ingest"
router = APIRouter(prefix=INGEST_PATH, tags=["ingest"])


# --- routes ------------------------------------------------------------------


def _queue(request: Request, app: AppDep) -> JobQueue:
    # One per web process: it checks the database schema once.
    queue = getattr(request.app.state, "ingest_queue", None)
    if queue is None:
        queue = request.app.state.ingest_queue = JobQueue(app.settings.worker_queue_path)
    return queue


def _rate_limit(request: Request, app: AppDep) -> None:
    """Refuse (429) a client past SEARCHAPP_UPLOAD_RATE_PER_MINUTE, before any of its
    body is read. Clients are told apart by address: behind a reverse proxy, all
    are the proxy (limit there, or per proxy)."""
    limiter = getattr(request.app.state, "upload_rate", None)
    if limiter is None:
        settings = app.settings
        limiter = request.app.state.upload_rate = RateLimiter(
            settings.upload_rate_per_minute, settings.upload_rate_burst
        )
    wait = limiter.take(request.client.host if request.client else "")
    if wait > 0:
        raise RateLimitedError(
            f"too many uploads from this address (SEARCHAPP_UPLOAD_RATE_PER_MINUTE="
            f"{app.settings.upload_rate_per_minute:g}); retry in {wait:.0f} s",
            retry_after=wait,
        )


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": MAX_FILES,
                        }
                    },
                }
            }
        },
    }
}


def _error(description: str) -> dict[str, object]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
            }
        },
    }


@router.post(
    "",
    status_code=202,
    response_model=IngestAccepted,
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: _error("no files, too many files, an empty file, or a malformed form"),
        401: _error("this server needs a token"),
        403: _error("the token lacks the ingest scope, a cross-site request, or read-only"),
        408: _error("the body stalled (SEARCHAPP_BODY_TIMEOUT_SECONDS)"),
        413: _error("a file is over SEARCHAPP_MAX_UPLOAD_BYTES, or the uploads folder is full"),
        429: _error("too many uploads from this address; see Retry-After"),
        415: _error("a file type ingest does not read, or not multipart/form-data"),
        503: _error("the upload could not be stored or queued"),
    },
)
async def upload(_: Uploader, request: Request, app: AppDep, sources: SourcesDep) -> IngestAccepted:
    """Upload files to ingest (multipart/form-data, field `files`, one or more).

    Supported: the types `searchapp ingest` reads (documents, records, images).
    Each file is stored under the uploads folder with a generated name and
    queued for the worker; the answer says where, and `status_url` follows the
    request. Nothing is ingested until `searchapp worker` runs.
    """
    settings = app.settings
    _rate_limit(request, app)
    request_id = new_request_id()
    limit = settings.max_upload_bytes
    writer = await run_in_threadpool(
        functools.partial(
            UploadWriter,
            settings.resolved_uploads_dir,
            request_id,
            limit,
            max_files=settings.max_upload_files,
            quota=settings.uploads_quota_bytes,
        )
    )
    stored = await receive_files(request, writer, limit, settings.max_upload_files)
    queue = _queue(request, app)
    try:
        await run_in_threadpool(
            queue.enqueue,
            [item.path for item in stored],
            origin="upload",
            request_id=request_id,
            uploads=[(item.path, item.original_name, item.size) for item in stored],
        )
    except BaseException:
        await run_in_threadpool(writer.abort)
        raise
    return IngestAccepted(
        request_id=request_id,
        items=[
            StoredItem(name=i.original_name, path=sources.show(str(i.path)) or "", size=i.size)
            for i in stored
        ],
        status_url=f"{request.url_for('ingest_status').path}?request_id={request_id}",
        worker_alive=(await run_in_threadpool(StatusBoard(queue).snapshot)).worker_alive,
    )


@router.get(
    "/status",
    name="ingest_status",
    response_model=IngestStatus,
    responses={404: _error("no such request_id"), 503: _error("the queue cannot be read")},
)
def status(
    caller: Ingester,
    request: Request,
    app: AppDep,
    sources: SourcesDep,
    request_id: Annotated[
        str | None,
        Query(pattern=REQUEST_ID.pattern, description="Also show this upload request's items."),
    ] = None,
) -> IngestStatus:
    """The worker's queue: counts by state, the current file, rates, recent errors,
    and whether a worker is running."""
    snapshot = StatusBoard(_queue(request, app)).snapshot(request_id)
    if request_id is not None and not snapshot.request:
        raise NotFoundError(f"no ingest request {request_id}")
    return _status(snapshot, request_id, sources, admin=caller.sees_full_paths)


def _status(
    snapshot: Snapshot, request_id: str | None, sources: SourceNames, *, admin: bool
) -> IngestStatus:
    show = sources.show
    request = None
    if request_id is not None and snapshot.request is not None:
        items = [
            RequestItem(
                name=i.original_name,
                path=show(i.path) or "",
                size=i.size,
                state=i.state,
                outcome=i.outcome,
                reason=i.reason,
            )
            for i in snapshot.request
        ]
        request = RequestStatus(
            request_id=request_id,
            finished=all(i.state in ("done", "failed") for i in items),
            items=items,
        )
    return IngestStatus(
        queue=QueueCounts(**snapshot.counts),
        worker_alive=snapshot.worker_alive,
        current_file=show(snapshot.current_file),
        running=sources.show_all(snapshot.running),
        files_per_second=snapshot.files_per_second,
        finished_last_minute=snapshot.finished_last_minute,
        workers=[
            WorkerState(
                id=w.id,
                pid=w.pid if admin else None,
                host=w.host if admin else None,
                alive=w.alive,
                heartbeat_age_seconds=w.heartbeat_age,
                started_at=_time(w.started_at),
                roots=sources.show_all(w.roots),
                current_file=show(w.current_path),
            )
            for w in snapshot.workers
        ],
        recent_errors=[
            IngestError(at=_time(e.at), path=show(e.path), request_id=e.request_id, reason=e.reason)
            for e in snapshot.recent_errors
        ],
        request=request,
    )


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
