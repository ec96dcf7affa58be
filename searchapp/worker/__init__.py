"""The ingest worker: a durable queue of paths, fed by file-system events, a
periodic rescan and uploads (``POST /api/ingest``), drained in small batches."""

from searchapp.worker.queue import Job, JobQueue, WorkerIdentity
from searchapp.worker.service import Totals, Worker, WorkerOptions
from searchapp.worker.status import Snapshot, StatusBoard

__all__ = [
    "Job",
    "JobQueue",
    "Snapshot",
    "StatusBoard",
    "Totals",
    "Worker",
    "WorkerIdentity",
    "WorkerOptions",
]
