"""The writer stage: upserts, stale-row deletes and their follow-ups, for every space.

Writes run in order in a background thread (stages.BackgroundWriter) while the
model embeds the next batch. A file is finished when all its rows in every
space are written: the same write then deletes the rows of its older version
that the new rows did not overwrite (one delete per space for every file the
write finishes: a server takes ~200 ms per delete). What the run records (its
results, the rows for the manifest, progress) happens only in a write's
follow-up, in the calling thread, once the write is done: a failed write raises
there and nothing after it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from searchapp.faults import FaultPoints
from searchapp.ingest.embedder import Batch, PendingFile
from searchapp.ingest.stages import BackgroundWriter
from searchapp.ingest.versions import Versions
from searchapp.store import VectorCollection
from searchapp.store.filters import any_of


class Writer(BackgroundWriter):
    """Writes to the run's collections (one per space) in submission order; a
    BackgroundWriter, so leaving it drains (or, on an error, cancels) the writes."""

    def __init__(
        self,
        collections: Mapping[str, VectorCollection],
        *,
        depth: int = 1,
        faults: FaultPoints | None = None,
    ) -> None:
        """``depth`` writes may wait or run while the caller goes on (0: in line);
        ``faults``: where a crash test may pause the writes (faults.py)."""
        super().__init__(depth)
        self._collections = dict(collections)
        self._faults = faults or FaultPoints()

    def write(
        self,
        batches: Sequence[Batch],
        finished: Sequence[PendingFile],
        versions: Versions,
        then: Callable[[], None],
    ) -> None:
        """Upsert ``batches``, then delete the stale rows of the ``finished`` files;
        ``then`` runs in the calling thread once that is done (in order)."""
        upserts = [(self._collections[b.space], b.rows) for b in batches if b.rows]
        deletes = self.stale_deletes(finished, versions)

        def write() -> None:
            for collection, rows in upserts:
                collection.upsert(rows)
                self._faults.reached("upsert")
            for collection, expression in deletes:
                collection.delete(expression)
                self._faults.reached("delete")

        # Even with nothing to write, a follow-up keeps its place in line.
        self.submit(write if upserts or deletes else _nothing, then)

    def stale_deletes(
        self, finished: Sequence[PendingFile], versions: Versions
    ) -> list[tuple[VectorCollection, str]]:
        """Per space, one delete of the rows of older versions of ``finished`` files."""
        deletes = []
        for space, collection in self._collections.items():
            expression = any_of(
                *(
                    versions.stale_rows(
                        pending.read.found.path,
                        pending.read.sha256,
                        space,
                        pending.new_ids(space),
                    )
                    for pending in finished
                    # A file goes to the spaces of its kind only (documents never
                    # have picture rows).
                    if space in pending.read.spaces
                )
            )
            if expression:
                deletes.append((collection, expression))
        return deletes


def _nothing() -> None:
    pass
