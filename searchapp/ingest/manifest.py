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

Several ingest processes on one machine (shards) share the manifest through
the one SQLite helper (searchapp/sqlitedb.py: WAL, durable commits, numbered
migrations): each transaction is short and they wait for each other's locks.
The manifest also records the extract options of each ingested root (recipe.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
)
# Key lists passed to one SQL statement: under SQLite's variable limit.
_SQL_GROUP = 500


@dataclass(frozen=True)
class Entry:
    source: str
    signature: str  # size and mtime of the file (and of an image's caption sidecar)
    sha256: str
    recipe: str  # how rows were made (models, chunking): another recipe re-embeds
    done: bool


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
                "SELECT source, signature, sha256, recipe, done FROM files "
                f"WHERE source IN ({marks})",
                group,
            ):
                found[row[0]] = Entry(row[0], row[1], row[2], row[3], bool(row[4]))
        return found

    def sources_under(self, folder: Path) -> list[str]:
        """Every known source inside ``folder`` (at any depth)."""
        prefix = str(folder).rstrip("/") + "/"
        # A range instead of LIKE: paths may hold % and _.
        rows = self._db.execute(
            "SELECT source FROM files WHERE source >= ? AND source < ?",
            (prefix, prefix[:-1] + "0"),  # "0" is the character after "/"
        )
        return [row[0] for row in rows]

    def donors(self, space: str, keys: Sequence[str]) -> dict[str, str]:
        """key -> id of a stored row of ``space`` made from that input, among done files."""
        found: dict[str, str] = {}
        for group in _groups(list(keys)):
            marks = ",".join("?" * len(group))
            for key, row_id in self._db.execute(
                "SELECT rows.key, rows.id FROM rows JOIN files ON files.source = rows.source "
                f"WHERE files.done = 1 AND rows.space = ? AND rows.key IN ({marks})",
                [space, *group],
            ):
                found.setdefault(key, row_id)
        return found

    def totals(self) -> tuple[list[tuple[str, str, int]], float | None]:
        """What the done files hold: (source, space, rows) per file and space, and when
        the last file became done (None before the first ingest)."""
        per_file = self._db.execute(
            "SELECT files.source, rows.space, count(*) FROM files JOIN rows "
            "ON rows.source = files.source WHERE files.done = 1 "
            "GROUP BY files.source, rows.space"
        ).fetchall()
        last = self._db.execute("SELECT max(updated) FROM files WHERE done = 1").fetchone()[0]
        return [(str(s), str(space), int(n)) for s, space, n in per_file], last

    def done_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM files WHERE done = 1").fetchone()[0])

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
                    "INSERT INTO files (source, done, updated) VALUES (?, 0, ?) "
                    "ON CONFLICT (source) DO UPDATE SET done = 0, updated = excluded.updated",
                    (source, now),
                )

    def commit(self, finished: Iterable[Finished]) -> None:
        """Mark files done (call only once the store holds their rows)."""
        now = time.time()
        with self._transaction():
            for item in finished:
                self._db.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (source) DO UPDATE "
                    "SET signature = excluded.signature, sha256 = excluded.sha256, "
                    "recipe = excluded.recipe, done = 1, updated = excluded.updated",
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


def _unavailable(path: Path, exc: BaseException) -> StoreError:
    return StoreError(f"cannot open the ingest manifest {path}: {exc}")


def _groups(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _SQL_GROUP):
        yield values[start : start + _SQL_GROUP]
