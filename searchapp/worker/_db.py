"""The worker's SQLite database: one file in the state folder, opened at the same
time by the web process (producer) and the worker (consumer), through the one
SQLite helper (searchapp/sqlitedb.py: WAL, durable commits, numbered migrations).
"""

from __future__ import annotations

from pathlib import Path

from searchapp.errors import QueueUnavailableError
from searchapp.sqlitedb import SqliteFile

# How long a writer waits for another one before giving up (seconds).
_BUSY_TIMEOUT = 30.0

_MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, the original names of uploads, workers, errors, files seen.
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL,
        origin TEXT NOT NULL,
        request_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at REAL NOT NULL,
        not_before REAL NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at REAL,
        lease_until REAL,
        finished_at REAL,
        outcome TEXT,
        reason TEXT
    );
    -- Coalescing: a path waits in the queue at most once.
    CREATE UNIQUE INDEX jobs_one_queued ON jobs (path) WHERE state = 'queued';
    CREATE INDEX jobs_by_state ON jobs (state, not_before, id);
    CREATE INDEX jobs_by_request ON jobs (request_id) WHERE request_id IS NOT NULL;
    CREATE INDEX jobs_by_finish ON jobs (finished_at) WHERE finished_at IS NOT NULL;
    CREATE TABLE uploads (
        path TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        original_name TEXT NOT NULL,
        size INTEGER NOT NULL,
        received_at REAL NOT NULL
    );
    CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        roots TEXT NOT NULL,
        started_at REAL NOT NULL,
        heartbeat_at REAL NOT NULL,
        stopped_at REAL,
        current_path TEXT
    );
    CREATE TABLE errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        path TEXT,
        request_id TEXT,
        reason TEXT NOT NULL
    );
    -- What the worker last synced per path (dropped by 2).
    CREATE TABLE seen (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL
    );
    """,
    # 2: the worker asks the ingest manifest whether a file changed
    # (searchapp/ingest/changes.py): one record of what was ingested, not two.
    """
    DROP TABLE seen;
    """,
)


def queue_database(path: Path) -> SqliteFile:
    """Connections to one queue file, created (and migrated) on first use."""
    return SqliteFile(path, _MIGRATIONS, _unavailable, busy_timeout=_BUSY_TIMEOUT)


def _unavailable(path: Path, exc: BaseException) -> QueueUnavailableError:
    return QueueUnavailableError(f"the worker queue {path} cannot be used: {exc}")
