"""The ingest manifest: what the store holds for each source file, kept in SQLite.

One manifest per store and collection prefix, in the state folder
(``STATE_DIR/ingest/manifest-<hash of URI and prefix>.sqlite``), so two
indexes never share one. It is crash-safe by the order of its writes:

1. ``begin``: before any row of a file is written, its entry is marked
   *pending* (committed). A pending entry says "the store may hold some rows
   of this file, complete or not"; its rows are never lent to other files and
   a re-run always processes the file again. A file that vanished meanwhile
   is still known, so its rows can be deleted.
2. The rows are upserted (stable ids) and the file's older rows deleted.
3. ``commit``: only after the collections were flushed (Milvus holds the
   rows), the entries of the round become *done*, with the file's stat
   signature, content hash, recipe and the id of every row written.

A kill between 1 and 3 leaves pending entries: the re-run re-embeds those
files, upserts overwrite the same ids and the stale-row delete removes what
the interrupted run wrote beyond the new version. A *done* entry is never
written before the store has its rows, so "done" is always true.

A file that is skipped or failed is recorded too (``settle``: *skipped* or
*failed*, with its reason and signature), once the store holds none of its
rows (the round deleted them first). Such an entry holds no rows; ``searchapp
ingest`` reads the file again, while the worker, which asks the manifest
whether a file changed (changes.py), leaves it alone until it changes.

Several ingest processes on one machine (shards) share the manifest through
the one SQLite helper (searchapp/sqlitedb.py: WAL, durable commits, numbered
migrations): each transaction is short and they wait for each other's locks.
The manifest also records the extract options of each ingested root (recipe.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from searchapp.config import Settings
from searchapp.errors import StoreError
from searchapp.faults import FaultPoints
from searchapp.sqlitedb import SqliteFile, transaction

_MIGRATIONS = (
    # 1: files and the rows written for them (IF NOT EXISTS: manifests made before
    # numbered migrations hold these tables already).
    """
    CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, signature TEXT,
        sha256 TEXT, recipe TEXT, done INTEGER NOT NULL, updated REAL);
    CREATE TABLE IF NOT EXISTS rows (space TEXT, id TEXT, source TEXT, key TEXT,
        PRIMARY KEY (space, id));
    CREATE INDEX IF NOT EXISTS rows_source ON rows (source);
    CREATE INDEX IF NOT EXISTS rows_key ON rows (space, key);
    """,
    # 2: the extract options each root was ingested with (recipe.py); the schema
    # number lives in PRAGMA user_version, not in a table.
    """
    CREATE TABLE extract_options (root TEXT PRIMARY KEY, fields TEXT NOT NULL);
    DROP TABLE IF EXISTS meta;
    """,
    # 3: a status instead of the done flag, so files skipped or failed are
    # remembered too (with their reason and signature): the worker asks the
    # manifest whether a file changed since, instead of keeping a table of its own.
    """
    CREATE TABLE files_3 (source TEXT PRIMARY KEY, signature TEXT, sha256 TEXT,
        recipe TEXT, status TEXT NOT NULL
        CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
        reason TEXT NOT NULL DEFAULT '', updated REAL);
    INSERT INTO files_3 SELECT source, signature, sha256, recipe,
        CASE done WHEN 1 THEN 'done' ELSE 'pending' END, '', updated FROM files;
    DROP TABLE files;
    ALTER TABLE files_3 RENAME TO files;
    """,
)
# Key lists passed to one SQL statement: under SQLite's variable limit.
_SQL_GROUP = 500


class Status(StrEnum):
    """Where a file stands. Only *pending* and *done* files may have rows in the store."""

    PENDING = "pending"  # rows being written: the store may hold some, complete or not
    DONE = "done"  # the store holds exactly the rows recorded
    SKIPPED = "skipped"  # not ingested on purpose (unsupported, empty, too big): no rows
    FAILED = "failed"  # could not be read: no rows


@dataclass(frozen=True)
class Entry:
    source: str
    signature: str | None  # size and mtime of the file (and of an image's caption sidecar)
    sha256: str | None
    recipe: str | None  # how rows were made (models, chunking): another recipe re-embeds
    status: Status
    reason: str = ""  # why a file was skipped or failed

    @property
    def done(self) -> bool:
        return self.status is Status.DONE

    @property
    def may_hold_rows(self) -> bool:
        """False when the store holds no row of this file (it was skipped or failed)."""
        return self.status in (Status.PENDING, Status.DONE)


@dataclass(frozen=True)
class Settled:
    """A file that was skipped or failed: recorded with no rows, so an unchanged
    file is not tried again by the worker (``searchapp ingest`` reads it again)."""

    source: str
    signature: str
    status: Status  # SKIPPED or FAILED
    reason: str


@dataclass(frozen=True)
class WrittenRow:
    space: str
    id: str
    key: str  # sha256 of what the model read: identical keys have identical vectors


@dataclass(frozen=True)
class Finished:
    """A file whose rows the store now holds: it becomes done."""

    source: str
    signature: str
    sha256: str
    recipe: str  # how its rows were made (recipe.py)
    rows: Sequence[WrittenRow] | None  # None: unchanged content, keep the recorded rows


def manifest_path(settings: Settings) -> Path:
    identity = f"{settings.resolved_milvus_uri}\x1f{settings.milvus_db}\x1f"
    identity += settings.collection_prefix
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return settings.state_dir / "ingest" / f"manifest-{digest}.sqlite"


class Manifest:
    """The ingest state of one store; open it with :meth:`open`, close it after."""

    def __init__(self, path: Path, faults: FaultPoints | None = None) -> None:
        self.path = path
        self._faults = faults or FaultPoints()
        self._db = SqliteFile(path, _MIGRATIONS, _unavailable, busy_timeout=120.0).connect()

    @classmethod
    def open(cls, settings: Settings, faults: FaultPoints | None = None) -> Manifest:
        return cls(manifest_path(settings), faults)

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        return transaction(self._db)

    # --- reads ---------------------------------------------------------------

    def entries(self, sources: Iterable[str]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for group in _groups(list(sources)):
            marks = ",".join("?" * len(group))
            for row in self._db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM files WHERE source IN ({marks})", group
            ):
                found[row[0]] = _entry(row)
        return found

    def entries_under(self, folder: Path) -> dict[str, Entry]:
        """The entry of every known source inside ``folder`` (at any depth), in one query."""
        prefix = str(folder).rstrip("/") + "/"
        # A range instead of LIKE: paths may hold % and _.
        rows = self._db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM files WHERE source >= ? AND source < ?",
            (prefix, prefix[:-1] + "0"),  # "0" is the character after "/"
        )
        return {row[0]: _entry(row) for row in rows}

    def donors(self, space: str, keys: Sequence[str]) -> dict[str, str]:
        """key -> id of a stored row of ``space`` made from that input, among done files."""
        found: dict[str, str] = {}
        for group in _groups(list(keys)):
            marks = ",".join("?" * len(group))
            for key, row_id in self._db.execute(
                "SELECT rows.key, rows.id FROM rows JOIN files ON files.source = rows.source "
                f"WHERE files.status = 'done' AND rows.space = ? AND rows.key IN ({marks})",
                [space, *group],
            ):
                found.setdefault(key, row_id)
        return found

    def totals(self) -> tuple[list[tuple[str, str, int]], float | None]:
        """What the done files hold: (source, space, rows) per file and space, and when
        the last file became done (None before the first ingest)."""
        per_file = self._db.execute(
            "SELECT files.source, rows.space, count(*) FROM files JOIN rows "
            "ON rows.source = files.source WHERE files.status = 'done' "
            "GROUP BY files.source, rows.space"
        ).fetchall()
        last = self._db.execute("SELECT max(updated) FROM files WHERE status = 'done'").fetchone()[
            0
        ]
        return [(str(s), str(space), int(n)) for s, space, n in per_file], last

    def done_count(self) -> int:
        return int(
            self._db.execute("SELECT count(*) FROM files WHERE status = 'done'").fetchone()[0]
        )

    def row_ids(self, source: str) -> dict[str, list[str]]:
        """space -> ids of the rows recorded for ``source``."""
        ids: dict[str, list[str]] = {}
        for space, row_id in self._db.execute(
            "SELECT space, id FROM rows WHERE source = ? ORDER BY space, id", (source,)
        ):
            ids.setdefault(space, []).append(row_id)
        return ids

    # --- writes --------------------------------------------------------------

    def begin(self, sources: Iterable[str]) -> None:
        """Mark ``sources`` pending: their rows are about to be written."""
        now = time.time()
        with self._transaction():
            for source in sources:
                self._db.execute(
                    "INSERT INTO files (source, status, updated) VALUES (?, 'pending', ?) "
                    "ON CONFLICT (source) DO UPDATE SET status = 'pending', reason = '', "
                    "updated = excluded.updated",
                    (source, now),
                )

    def commit(self, finished: Iterable[Finished]) -> None:
        """Mark files done (call only once the store holds their rows)."""
        now = time.time()
        with self._transaction():
            for item in finished:
                self._db.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, 'done', '', ?) ON CONFLICT (source) "
                    "DO UPDATE SET signature = excluded.signature, sha256 = excluded.sha256, "
                    "recipe = excluded.recipe, status = 'done', reason = '', "
                    "updated = excluded.updated",
                    (item.source, item.signature, item.sha256, item.recipe, now),
                )
                if item.rows is None:
                    continue
                self._db.execute("DELETE FROM rows WHERE source = ?", (item.source,))
                self._db.executemany(
                    "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)",
                    [(row.space, row.id, item.source, row.key) for row in item.rows],
                )
            self._faults.reached("commit")  # written, not yet committed

    def settle(self, settled: Iterable[Settled]) -> None:
        """Record files skipped or failed (call only once the store holds none of their
        rows): their rows are forgotten, their signature and reason kept."""
        now = time.time()
        with self._transaction():
            for item in settled:
                self._db.execute("DELETE FROM rows WHERE source = ?", (item.source,))
                self._db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, NULL, NULL, ?, ?, ?)",
                    (item.source, item.signature, item.status.value, item.reason, now),
                )

    def forget(self, sources: Iterable[str]) -> None:
        """Drop entries whose rows are gone from the store."""
        with self._transaction():
            for source in sources:
                self._db.execute("DELETE FROM rows WHERE source = ?", (source,))
                self._db.execute("DELETE FROM files WHERE source = ?", (source,))

    def record_options(self, roots: Iterable[str], fields: str) -> None:
        """Record the extract options (recipe.fields_of) ``roots`` are ingested with."""
        with self._transaction():
            for root in roots:
                self._db.execute(
                    "INSERT OR REPLACE INTO extract_options VALUES (?, ?)", (root, fields)
                )

    def recorded_options(self) -> Mapping[str, str]:
        """root -> the extract options it was last ingested with."""
        rows = self._db.execute("SELECT root, fields FROM extract_options")
        return {row[0]: row[1] for row in rows}

    def reset(self) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM rows")
            self._db.execute("DELETE FROM files")


_ENTRY_COLUMNS = "source, signature, sha256, recipe, status, reason"


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(row[0], row[1], row[2], row[3], Status(row[4]), row[5])


def _unavailable(path: Path, exc: BaseException) -> StoreError:
    return StoreError(f"cannot open the ingest manifest {path}: {exc}")


def _groups(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _SQL_GROUP):
        yield values[start : start + _SQL_GROUP]
