"""One SQLite file of searchapp's own state (the ingest manifest, the worker queue).

Both are opened by several processes at once (shards of an ingest; the web
process and the worker), so: WAL mode lets readers go on while one writer
commits; every write transaction starts with ``BEGIN IMMEDIATE``, so two
writers queue up behind the busy timeout instead of failing half-way (and
never deadlock on upgrading a read lock); ``synchronous=FULL`` makes a commit
durable before it returns (it survives a power cut, not only a killed
process). Schema changes are numbered migrations, applied in order on first
use and counted in ``PRAGMA user_version``; a file written by a newer searchapp
is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from searchapp.errors import SearchappError

Unavailable = Callable[[Path, BaseException], SearchappError]


class SqliteFile:
    """Connections to one SQLite file, migrated on first use."""

    def __init__(
        self,
        path: Path,
        migrations: Sequence[str],
        unavailable: Unavailable,
        *,
        busy_timeout: float = 30.0,
    ) -> None:
        """``migrations[i]`` takes the schema from version i to i + 1 (statements
        separated by ";"); ``unavailable`` makes the error raised when the file
        cannot be used."""
        self.path = path
        self._migrations = tuple(migrations)
        self._unavailable = unavailable
        self._busy_timeout = busy_timeout
        self._ready = False

    def connect(self) -> sqlite3.Connection:
        """A connection of its own (close it), to a migrated file."""
        if not self._ready:
            self._migrate()
        return self._open()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self.connect()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise self._unavailable(self.path, exc) from exc
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on a connection of its own: committed when the block
        ends, rolled back on error."""
        with self.read() as conn, transaction(conn):
            yield conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(self.path, exc) from exc
        return conn

    def _migrate(self) -> None:
        conn = self._open()
        try:
            with transaction(conn):
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > len(self._migrations):
                    raise self._unavailable(
                        self.path,
                        SearchappError(
                            f"written by a newer searchapp (schema {version}); upgrade searchapp"
                        ),
                    )
                for number, script in enumerate(self._migrations[version:], start=version + 1):
                    for statement in script.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
        except sqlite3.Error as exc:
            raise self._unavailable(self.path, exc) from exc
        finally:
            conn.close()
        self._ready = True


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on error. IMMEDIATE takes the
    write lock up front, so two writers never deadlock on an upgrade from a read lock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
