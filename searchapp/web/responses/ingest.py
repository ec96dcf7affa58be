"""What /api/ingest answers: accepted uploads, the queue, workers and errors."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
