"""The worker's SQLite database: one file in the state folder, in WAL mode.

The web process (producer) and the worker (consumer) open it at the same
time; WAL lets readers go on while one writer commits, and every write
transaction starts with ``BEGIN IMMEDIATE`` so two writers queue up behind the
busy timeout instead of failing half-way. ``synchronous=FULL`` makes a commit
durable before it returns: an accepted upload survives a power cut, not only a
crash. Schema changes are numbered migrations (``PRAGMA user_version``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from searchapp.errors import QueueUnavailableError

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
    -- What the worker last synced per path (size, mtime): a rescan queues only
    -- files that changed since, and removals of files that are gone.
    CREATE TABLE seen (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL
    );
    """,
)


class Database:
    """Connections to one queue file, created (and migrated) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        with self._connection() as conn:
            self._begin(conn)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._run(conn, "COMMIT")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self._migrate()
        conn = self._open()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(self.path, exc) from exc
        return conn

    def _begin(self, conn: sqlite3.Connection) -> None:
        self._run(conn, "BEGIN IMMEDIATE")

    def _run(self, conn: sqlite3.Connection, sql: str) -> None:
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc

    def _migrate(self) -> None:
        conn = self._open()
        try:
            self._begin(conn)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(_MIGRATIONS):
                conn.execute("ROLLBACK")
                raise QueueUnavailableError(
                    f"the worker queue {self.path} was written by a newer searchapp "
                    f"(schema {version}); upgrade searchapp"
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            conn.close()
        self._ready = True


def _unavailable(path: Path, exc: BaseException) -> QueueUnavailableError:
    return QueueUnavailableError(f"the worker queue {path} cannot be used: {exc}")
