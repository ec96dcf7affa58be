"""The ingest state of one run: the manifest, read and written in the crash-safe order.

A run goes in rounds of files (``SEARCHAPP_INGEST_CHECKPOINT_FILES``). For each
round: the files are marked pending, every pass writes its rows, the store is
flushed, and only then are the files marked done (or, for files that are now
skipped or failed, their rows deleted and the files recorded as skipped or
failed, with no rows). See ``manifest.py`` for why this order is safe to kill
at any moment.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.app import App
from searchapp.ingest.manifest import Entry, Finished, Manifest, Settled, Status, WrittenRow
from searchapp.ingest.recipe import Recipes
from searchapp.ingest.shards import Shard
from searchapp.ingest.summary import FileResult, Outcome
from searchapp.ingest.versions import ManifestVersions
from searchapp.store import VectorCollection
from searchapp.store.filters import is_in
from searchapp.store.retry import RetryPolicy
from searchapp.store.schema import ALL_SPECS

# Sources per delete expression.
_DELETE_GROUP = 256


@dataclass
class RoundOutcome:
    """What one round did to each file (see engine.py)."""

    results: dict[Path, FileResult] = field(default_factory=dict)
    rows_written: Counter[str] = field(default_factory=Counter)  # per space
    written: dict[Path, list[WrittenRow]] = field(default_factory=dict)
    hashes: dict[Path, str] = field(default_factory=dict)
    signatures: dict[Path, str] = field(default_factory=dict)


class IngestState:
    """The manifest of the run's store, and the store's collections for deletes."""

    def __init__(self, app: App, recipes: Recipes, retries: RetryPolicy) -> None:
        self._app = app
        self._retries = retries
        self.recipes = recipes
        self.faults = app.faults
        self.manifest = Manifest.open(app.settings, self.faults)
        self.notices: list[str] = []

    def close(self) -> None:
        self.manifest.close()

    def collections(self) -> list[VectorCollection]:
        """Every space's current collection that exists (deletes need no model).

        Looked up under the write retries: a round's flush that finds the store
        restarting waits for it like the writes before it did."""

        def look_up() -> list[VectorCollection]:
            found = (self._app.store.existing_collection(spec) for spec in ALL_SPECS)
            return [handle for handle in found if handle is not None]

        return [
            handle.with_retries(self._retries)
            for handle in self._retries.call("open collections", look_up)
        ]

    def check_store(self) -> None:
        """Forget a manifest whose store was emptied (dropped collections, a new server):
        its "done" would claim rows the store does not hold."""
        if self.manifest.done_count() == 0:
            return
        if sum(handle.count() for handle in self.collections()) == 0:
            self.manifest.reset()
            self.notices.append(
                "the store holds no rows but the ingest state remembered files: "
                "state reset, every file is ingested again"
            )

    # --- before the rounds ----------------------------------------------------

    def entries(self, paths: Iterable[Path]) -> dict[str, Entry]:
        return self.manifest.entries(str(p) for p in paths)

    def remove_missing(
        self, roots: Sequence[Path], present: set[Path], shard: Shard | None
    ) -> list[Path]:
        """Delete the rows of known files under the folder ``roots`` that are no
        longer there (in ``shard``'s share only), then forget them. Returns those
        that had rows (a skipped or failed file had none: it is forgotten quietly)."""
        missing: dict[str, Entry] = {}
        for root in roots:
            root = Path(os.path.abspath(root))
            if not root.is_dir():
                continue
            for source, entry in self.manifest.entries_under(root).items():
                path = Path(source)
                if path in present or (shard is not None and not shard.owns(path, roots)):
                    continue
                missing[source] = entry
        self.remove(sorted(missing))
        return [Path(s) for s in sorted(missing) if missing[s].may_hold_rows]

    def remove(self, sources: Sequence[str]) -> None:
        """Delete the rows of ``sources`` in every space, then forget them: a file
        that comes back (moved away and back, same size and mtime) is ingested again.
        Rows go first, so a crash in between leaves a file recorded with no rows,
        which the next delete of it finishes. Files recorded as skipped or failed
        have no rows to delete."""
        if not sources:
            return
        entries = self.manifest.entries(sources)
        with_rows = [s for s in sources if s not in entries or entries[s].may_hold_rows]
        if with_rows:
            self.delete_rows(with_rows)
        self.manifest.forget(sources)

    def record_unread(self, unread: Sequence[tuple[FileResult, str]]) -> None:
        """Record files skipped or failed without being read (too big, a scan problem,
        no model for them), each with its signature, so the worker does not try
        them again until they change. A file whose rows the store holds keeps its
        entry (and its rows): nothing of it was read to replace them."""
        if not unread:
            return
        entries = self.entries(result.path for result, _ in unread)
        self.manifest.settle(
            _settled(result, sig)
            for result, sig in unread
            if not (str(result.path) in entries and entries[str(result.path)].may_hold_rows)
        )

    def delete_rows(self, sources: Sequence[str]) -> None:
        """Delete every row of ``sources`` in every space, and flush (so it lasts)."""
        collections = self.collections()
        for start in range(0, len(sources), _DELETE_GROUP):
            expression = is_in("source", sources[start : start + _DELETE_GROUP])
            for handle in collections:
                handle.delete(expression)
                self.faults.reached("delete")
        self.flush(collections)

    def flush(self, collections: Sequence[VectorCollection] | None = None) -> None:
        """Flush ``collections`` (default: every space's) so what was written lasts."""
        for handle in self.collections() if collections is None else collections:
            handle.flush()
            self.faults.reached("flush")

    # --- a round --------------------------------------------------------------

    def begin_round(self, paths: Sequence[Path]) -> ManifestVersions:
        entries = self.entries(paths)
        self.manifest.begin(str(p) for p in paths)
        self.faults.reached("pending")
        return ManifestVersions(self.manifest, entries, self.recipes.of)

    def finish_round(self, versions: ManifestVersions, outcome: RoundOutcome) -> None:
        """Flush what the round wrote, then record it; clear the rows of what is now
        skipped or failed, then record that."""
        finished: list[Finished] = []
        cleared: list[Settled] = []
        for path, result in outcome.results.items():
            source = str(path)
            if result.outcome is Outcome.INGESTED:
                finished.append(
                    Finished(
                        source,
                        outcome.signatures[path],
                        outcome.hashes[path],
                        self.recipes.of(path),
                        outcome.written.get(path, []),
                    )
                )
            elif result.outcome is Outcome.UNCHANGED:
                entry = versions.entries[source]
                assert entry.sha256 is not None  # unchanged: only a done entry, hashed
                recipe = self.recipes.of(path)
                finished.append(
                    Finished(source, outcome.signatures[path], entry.sha256, recipe, None)
                )
            else:
                cleared.append(_settled(result, outcome.signatures[path]))
        # Rows of files now skipped or failed: those of an older version, or
        # what one pass wrote before another failed. The index holds each
        # file's current version or nothing.
        stale = [
            item.source
            for item in cleared
            if versions.stored(Path(item.source)) or Path(item.source) in outcome.written
        ]
        if stale:
            self.delete_rows(stale)
        elif outcome.written:
            self.flush()
        self.manifest.commit(finished)
        self.manifest.settle(cleared)


def _settled(result: FileResult, sig: str) -> Settled:
    status = Status.FAILED if result.outcome is Outcome.FAILED else Status.SKIPPED
    return Settled(str(result.path), sig, status, result.reason)
