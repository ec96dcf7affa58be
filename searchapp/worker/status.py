"""What the worker is doing, kept in the queue database so the web process can read it.

The worker registers itself, beats a heartbeat every few seconds (which also
renews the leases of its jobs) and names the file it is on; ``snapshot`` is
what ``GET /api/ingest/status`` shows.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchapp.store.local import _process_alive
from searchapp.worker.queue import LEASE_SECONDS, JobQueue, WorkerIdentity

# A worker whose heartbeat is older than this is shown as not alive.
HEARTBEAT_SECONDS = 2.0
_ALIVE_WITHIN = 5 * HEARTBEAT_SECONDS
# Rates are measured over the last minute.
_RATE_WINDOW = 60.0
_RECENT_ERRORS = 20


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    pid: int
    host: str
    roots: list[str]
    started_at: float
    heartbeat_age: float
    alive: bool
    current_path: str | None


@dataclass(frozen=True)
class ErrorInfo:
    at: float
    path: str | None
    request_id: str | None
    reason: str


@dataclass(frozen=True)
class ItemInfo:
    """One uploaded file of a request, and where its latest job is."""

    original_name: str
    path: str
    size: int
    state: str  # queued, running, done, failed
    outcome: str | None
    reason: str | None


@dataclass
class Snapshot:
    counts: dict[str, int]
    running: list[str]  # paths being ingested now
    workers: list[WorkerInfo]
    files_per_second: float
    finished_last_minute: int
    recent_errors: list[ErrorInfo]
    request: list[ItemInfo] | None = None

    @property
    def worker_alive(self) -> bool:
        return any(w.alive for w in self.workers)

    @property
    def current_file(self) -> str | None:
        for worker in self.workers:
            if worker.alive and worker.current_path:
                return worker.current_path
        return self.running[0] if self.running else None


class StatusBoard:
    def __init__(self, queue: JobQueue) -> None:
        self._db = queue.db

    # --- written by the worker ---------------------------------------------------

    def register(self, worker: WorkerIdentity, roots: Sequence[Path]) -> None:
        now = time.time()
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO workers (id, pid, host, roots, started_at,"
                " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)",
                (worker.id, worker.pid, worker.host, json.dumps(list(map(str, roots))), now, now),
            )
            # Rows of workers that stopped long ago are of no use to anyone.
            conn.execute(
                "DELETE FROM workers WHERE heartbeat_at < ? AND id NOT IN"
                " (SELECT claimed_by FROM jobs WHERE state = 'running'"
                " AND claimed_by IS NOT NULL)",
                (now - 86400,),
            )

    def heartbeat(self, worker: WorkerIdentity, current_path: Path | None) -> None:
        """Say the worker is alive and on ``current_path``; renew its leases."""
        now = time.time()
        with self._db.write() as conn:
            conn.execute(
                "UPDATE workers SET heartbeat_at = ?, current_path = ? WHERE id = ?",
                (now, str(current_path) if current_path else None, worker.id),
            )
            conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE state = 'running' AND claimed_by = ?",
                (now + LEASE_SECONDS, worker.id),
            )

    def stopped(self, worker: WorkerIdentity) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE workers SET stopped_at = ?, current_path = NULL WHERE id = ?",
                (time.time(), worker.id),
            )

    # --- read by anyone ------------------------------------------------------------

    def snapshot(self, request_id: str | None = None) -> Snapshot:
        now = time.time()
        host = socket.gethostname()
        with self._db.read() as conn:
            counts = {state: 0 for state in ("queued", "running", "done", "failed")}
            for row in conn.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state"):
                counts[row["state"]] = row["n"]
            running = [
                r["path"]
                for r in conn.execute(
                    "SELECT path FROM jobs WHERE state = 'running' ORDER BY claimed_at, id"
                )
            ]
            workers = [
                WorkerInfo(
                    id=r["id"],
                    pid=r["pid"],
                    host=r["host"],
                    roots=json.loads(r["roots"]),
                    started_at=r["started_at"],
                    heartbeat_age=round(max(now - r["heartbeat_at"], 0.0), 3),
                    alive=_alive(r, now, host),
                    current_path=r["current_path"],
                )
                for r in conn.execute(
                    "SELECT * FROM workers WHERE stopped_at IS NULL OR heartbeat_at > ?"
                    " ORDER BY started_at DESC",
                    (now - _RATE_WINDOW,),
                )
            ]
            finished = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE finished_at > ? AND outcome != 'merged'",
                (now - _RATE_WINDOW,),
            ).fetchone()[0]
            errors = [
                ErrorInfo(r["at"], r["path"], r["request_id"], r["reason"])
                for r in conn.execute(
                    "SELECT * FROM errors ORDER BY id DESC LIMIT ?", (_RECENT_ERRORS,)
                )
            ]
            request = _request_items(conn, request_id) if request_id else None
        # Over the last minute, or since the oldest live worker started if later.
        starts = [w.started_at for w in workers if w.alive]
        window = min(_RATE_WINDOW, now - min(starts)) if starts else _RATE_WINDOW
        rate = finished / window if window > 0 else 0.0
        return Snapshot(
            counts=counts,
            running=running,
            workers=workers,
            files_per_second=round(rate, 3),
            finished_last_minute=finished,
            recent_errors=errors,
            request=request,
        )


def _alive(worker: Any, now: float, host: str) -> bool:
    """Not stopped, a recent heartbeat, and (on this machine) its process still there:
    a killed worker is shown dead at once, not once its heartbeat is old."""
    if worker["stopped_at"] is not None or now - worker["heartbeat_at"] >= _ALIVE_WITHIN:
        return False
    return worker["host"] != host or _process_alive(int(worker["pid"]))


def _request_items(conn: Any, request_id: str) -> list[ItemInfo]:
    # The request's latest job for each of its files: a job merged into a newer
    # one carries its request id there.
    rows = conn.execute(
        "SELECT u.original_name, u.path, u.size, j.state, j.outcome, j.reason"
        " FROM uploads u LEFT JOIN jobs j ON j.id = (SELECT MAX(id) FROM jobs"
        " WHERE path = u.path AND request_id = u.request_id AND outcome IS NOT 'merged')"
        " WHERE u.request_id = ? ORDER BY u.path",
        (request_id,),
    ).fetchall()
    return [
        ItemInfo(
            r["original_name"],
            r["path"],
            r["size"],
            r["state"] or "queued",
            r["outcome"],
            r["reason"],
        )
        for r in rows
    ]
