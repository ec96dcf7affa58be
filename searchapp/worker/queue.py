"""The durable ingest queue: paths to bring in line with the file system.

A job says "make the index match this path": ingest it if it is a file,
remove its rows if it is gone. So one job per path is enough, whatever events
came (create, modify, delete, move), and repeated events for a waiting path
coalesce into the job already queued.

A job is claimed with a lease by one worker and marked done only after its
ingest returned; a worker that dies (kill -9) leaves its jobs running with a
lease that stops being renewed, and the next claim takes them back: at once
when the worker's process is known to be gone, else when the lease expires.
Nothing accepted is lost, and re-ingesting a file is idempotent, so nothing is
duplicated either.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.store.local import _process_alive
from searchapp.worker._db import queue_database

# A claim lives this long unless its worker renews it (the heartbeat does, every few s).
LEASE_SECONDS = 60.0
# Jobs whose worker died or crashed this many times while running them are failed:
# the file itself may be what crashes it.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    id: int
    path: Path
    origin: str  # "upload", "watch", "rescan"
    request_id: str | None
    attempts: int


@dataclass(frozen=True)
class WorkerIdentity:
    """One run of a worker process: a new token per run, so a restarted worker with
    the same pid (pid 1 in a container) is told apart from the one that died."""

    pid: int
    host: str
    token: str

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def current(cls) -> WorkerIdentity:
        return cls(os.getpid(), socket.gethostname(), os.urandom(4).hex())


class JobQueue:
    """Producer and consumer operations on the queue database."""

    def __init__(self, path: Path) -> None:
        self.db = queue_database(path)

    # --- producers -----------------------------------------------------------

    def enqueue(
        self,
        paths: Iterable[Path],
        *,
        origin: str,
        request_id: str | None = None,
        uploads: Sequence[tuple[Path, str, int]] = (),
    ) -> int:
        """Queue ``paths`` (absolute) in one transaction; returns how many were given.

        A path already waiting keeps its place; it takes on ``request_id`` if it had
        none. ``uploads`` (path, original name, size) are recorded with the jobs.
        """
        now = time.time()
        rows = [(str(p), origin, request_id, now) for p in dict.fromkeys(paths)]
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO jobs (path, origin, request_id, state, enqueued_at)"
                " VALUES (?, ?, ?, 'queued', ?)"
                " ON CONFLICT (path) WHERE state = 'queued' DO UPDATE SET"
                " request_id = COALESCE(jobs.request_id, excluded.request_id),"
                " origin = CASE WHEN excluded.origin = 'upload' THEN 'upload'"
                " ELSE jobs.origin END, not_before = 0",
                rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO uploads (path, request_id, original_name, size,"
                " received_at) VALUES (?, ?, ?, ?, ?)",
                [(str(p), request_id or "", name, size, now) for p, name, size in uploads],
            )
        return len(rows)

    # --- the consumer --------------------------------------------------------

    def claim(self, worker: WorkerIdentity, limit: int) -> list[Job]:
        """Take up to ``limit`` ready jobs for ``worker``, after taking back the jobs of
        dead workers. A path another worker is running is left for later."""
        now = time.time()
        with self.db.write() as conn:
            self._take_back(conn, worker, now)
            rows = conn.execute(
                "SELECT id, path, origin, request_id, attempts FROM jobs"
                " WHERE state = 'queued' AND not_before <= ?"
                " AND path NOT IN (SELECT path FROM jobs WHERE state = 'running')"
                " ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE jobs SET state = 'running', claimed_by = ?, claimed_at = ?,"
                " lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                [(worker.id, now, now + LEASE_SECONDS, row["id"]) for row in rows],
            )
        return [
            Job(r["id"], Path(r["path"]), r["origin"], r["request_id"], r["attempts"] + 1)
            for r in rows
        ]

    def complete(self, job: Job, *, outcome: str, reason: str = "", failed: bool = False) -> None:
        """Finish ``job`` (after its ingest returned). What was ingested, skipped or
        failed, and with which size and mtime, is the ingest manifest's to record."""
        now = time.time()
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, outcome = ?, reason = ?, finished_at = ?,"
                " lease_until = NULL WHERE id = ?",
                ("failed" if failed else "done", outcome, reason, now, job.id),
            )
            if failed:
                _record_error(conn, now, reason, job.path, job.request_id)

    def release(self, jobs: Sequence[Job], *, delay: float = 0.0, count: bool = False) -> None:
        """Put claimed ``jobs`` back in the queue, to run again after ``delay`` seconds.

        ``count=False`` (a stop, an unreachable store) does not count the attempt;
        a counted job that used up its attempts fails.
        """
        now = time.time()
        with self.db.write() as conn:
            for job in jobs:
                if count and job.attempts >= MAX_ATTEMPTS:
                    _fail(conn, job.id, job.path, job.request_id, now, job.attempts)
                else:
                    _requeue(conn, job.id, str(job.path), not_before=now + delay, count=count)

    def record_error(
        self, reason: str, path: Path | None = None, request_id: str | None = None
    ) -> None:
        with self.db.write() as conn:
            _record_error(conn, time.time(), reason, path, request_id)

    # --- what is waiting ------------------------------------------------------

    def pending_paths(self) -> set[Path]:
        """Paths with a job waiting or running."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT path FROM jobs WHERE state IN ('queued', 'running')")
            return {Path(r["path"]) for r in rows}

    def prune(self, *, keep_seconds: float = 7 * 86400, keep_errors: int = 500) -> None:
        """Forget finished jobs older than ``keep_seconds`` and all but the newest errors."""
        with self.db.write() as conn:
            conn.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < ?",
                (time.time() - keep_seconds,),
            )
            conn.execute(
                "DELETE FROM errors WHERE id <= (SELECT MAX(id) FROM errors) - ?", (keep_errors,)
            )

    # --- taking back the jobs of dead workers ----------------------------------

    def _take_back(self, conn: sqlite3.Connection, me: WorkerIdentity, now: float) -> None:
        running = conn.execute(
            "SELECT j.id, j.path, j.claimed_by, j.lease_until, j.attempts, j.request_id,"
            " w.pid, w.host FROM jobs j LEFT JOIN workers w ON w.id = j.claimed_by"
            " WHERE j.state = 'running'"
        ).fetchall()
        for row in running:
            if row["claimed_by"] == me.id:
                continue
            expired = (row["lease_until"] or 0) < now
            gone = row["host"] == me.host and (
                row["pid"] == me.pid or not _process_alive(int(row["pid"]))
            )
            if not (expired or gone):
                continue
            if row["attempts"] >= MAX_ATTEMPTS:
                _fail(conn, row["id"], Path(row["path"]), row["request_id"], now, row["attempts"])
            else:
                _requeue(conn, row["id"], row["path"], not_before=0.0, count=True)


def _requeue(
    conn: sqlite3.Connection, job_id: int, path: str, *, not_before: float, count: bool
) -> None:
    # A newer job for the same path may be waiting already: then this one merges
    # into it (its request id carried over) instead of breaking the one-queued rule.
    waiting = conn.execute(
        "SELECT id FROM jobs WHERE path = ? AND state = 'queued'", (path,)
    ).fetchone()
    if waiting is not None:
        conn.execute(
            "UPDATE jobs SET request_id = COALESCE(request_id,"
            " (SELECT request_id FROM jobs WHERE id = ?)) WHERE id = ?",
            (job_id, waiting["id"]),
        )
        conn.execute(
            "UPDATE jobs SET state = 'done', outcome = 'merged', finished_at = ?,"
            " lease_until = NULL, reason = 'queued again as job ' || ? WHERE id = ?",
            (time.time(), waiting["id"], job_id),
        )
        return
    conn.execute(
        "UPDATE jobs SET state = 'queued', claimed_by = NULL, lease_until = NULL,"
        " not_before = ?, attempts = attempts - ? WHERE id = ?",
        (not_before, 0 if count else 1, job_id),
    )


def _fail(
    conn: sqlite3.Connection,
    job_id: int,
    path: Path,
    request_id: str | None,
    now: float,
    attempts: int,
) -> None:
    reason = (
        f"ingest broke off {attempts} times while this file was in its batch; it may be "
        "what breaks it (see the worker's log)"
    )
    conn.execute(
        "UPDATE jobs SET state = 'failed', outcome = 'failed', reason = ?, finished_at = ?,"
        " lease_until = NULL WHERE id = ?",
        (reason, now, job_id),
    )
    _record_error(conn, now, reason, path, request_id)


def _record_error(
    conn: sqlite3.Connection, at: float, reason: str, path: Path | None, request_id: str | None
) -> None:
    conn.execute(
        "INSERT INTO errors (at, path, request_id, reason) VALUES (?, ?, ?, ?)",
        (at, str(path) if path is not None else None, request_id, reason),
    )
