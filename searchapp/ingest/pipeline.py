"""Ingest runs: prepare files, embed their chunks in batches, write, report.

Files are read, hashed, extracted and chunked ahead in a reader thread, the
calling thread embeds, and each batch's rows go to Milvus in the background
while the next batch is embedded (see stages.py). Chunks from many files share
embedding batches (the model is fastest on full batches); a file counts as
ingested only once all its rows are written and the rows of its previous
version are gone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from searchapp.errors import ExtractError, FileSkipped
from searchapp.faults import FaultPoints
from searchapp.ingest.deadline import within
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.manifest import WrittenRow
from searchapp.ingest.reuse import input_key
from searchapp.ingest.stages import BackgroundWriter, read_ahead
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.text import PreparedFile, TextPreparer, check_still, file_sha256
from searchapp.store import VectorCollection
from searchapp.store.filters import all_of, any_of, equals, is_in, not_equals

EmbedFn = Callable[[Sequence[str]], np.ndarray]
# Embeds inputs given with their keys (see reuse.ReusingEmbedder).
KeyedEmbedFn = Callable[[Sequence[str], Sequence[Any]], np.ndarray]


class Versions(Protocol):
    """What the ingest state knows of each file's stored version (see manifest.py)."""

    def unchanged(self, found: FoundFile, sha256: str) -> bool:
        """True when the store holds all rows of exactly this content of the file."""
        ...

    def stored(self, path: Path) -> bool:
        """True when the store may hold rows of some version of the file."""
        ...

    def recorded_ids(self, path: Path, space: str) -> set[str]:
        """Ids of the rows the state recorded for the file's last finished version."""
        ...


def stale_rows(
    versions: Versions | None, path: Path, sha256: str, space: str, new_ids: set[str]
) -> str:
    """The rows of ``path`` in ``space`` that its new version did not overwrite ("": none).

    Rows of other contents go by their sha256 (this also covers what an
    interrupted run wrote); rows of the same content made by another recipe
    (e.g. other chunk sizes) by the ids the state recorded.
    """
    if versions is not None and not versions.stored(path):
        return ""
    older = all_of(equals("source", str(path)), not_equals("sha256", sha256))
    if versions is None:
        return older
    gone = sorted(versions.recorded_ids(path, space) - new_ids)
    return any_of(older, is_in("id", gone)) if gone else older


class Progress(Protocol):
    """What a run reports as it goes (the CLI draws a bar from it)."""

    def advance(self, nbytes: float, chunks: int) -> None: ...

    def file_done(self, result: FileResult) -> None: ...


class _Silent:
    def advance(self, nbytes: float, chunks: int) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        pass


@dataclass
class _Pending:
    """A prepared file whose rows are being embedded and written, in order."""

    prepared: PreparedFile
    written: int = 0

    @property
    def complete(self) -> bool:
        return self.written == len(self.prepared.rows)


class TextIngestRun:
    """One run over a list of files into the text collection."""

    def __init__(
        self,
        collection: VectorCollection,
        preparer: TextPreparer,
        embed: KeyedEmbedFn,
        *,
        space: str = "text",
        batch_rows: int = 256,
        force: bool = False,
        progress: Progress | None = None,
        versions: Versions | None = None,
        read_workers: int = 1,
        write_ahead: int = 1,
        read_timeout: float | None = None,
        faults: FaultPoints | None = None,
    ) -> None:
        """Without ``versions`` (a re-index into new collections), the store itself is
        asked whether a file's content is there. ``read_workers`` threads prepare
        files ahead of the model (0: in the calling thread); ``write_ahead``
        batches may be written in the background while the next is embedded (0:
        each batch is written before the next is embedded). Reading one file
        taking longer than ``read_timeout`` seconds fails it (deadline.py).
        ``faults``: where a crash test may pause the writes (faults.py)."""
        self._space = space
        self._faults = faults or FaultPoints()
        self._versions = versions
        self._collection = collection
        self._preparer = preparer
        self._embed = embed
        self._batch_rows = batch_rows
        self._force = force
        self._progress = progress or _Silent()
        self._read_workers = read_workers
        self._write_ahead = write_ahead
        self._read_timeout = read_timeout
        self.summary = IngestSummary()
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        # Per ingested file: the rows written (ids and input keys), for the manifest.
        self.written: dict[Path, list[WrittenRow]] = {}
        self.hashes: dict[Path, str] = {}  # content hash of every file read

    def run(self, files: Iterable[FoundFile]) -> IngestSummary:
        # Files prepared ahead: enough to fill the next batch from small files,
        # few enough that big ones do not pile up in memory.
        ahead = max(2 * self._read_workers, 8)
        with (
            read_ahead(self._read, files, workers=self._read_workers, ahead=ahead) as reads,
            BackgroundWriter(self._write_ahead) as writer,
        ):
            for read in reads:
                self._take(read)
                while self._queued_rows >= self._batch_rows:
                    self._write_batch(writer)
            while self._queued_rows:
                self._write_batch(writer)
        return self.summary.finish()

    # --- per file (reader thread) ------------------------------------------------

    def _read(self, found: FoundFile) -> PreparedFile | FileResult:
        """The file's rows without vectors, or why it gives none."""
        try:
            if found.size == 0:
                raise FileSkipped("empty file")
            sha256 = file_sha256(found)
            self.hashes[found.path] = sha256
            if not self._force and self._unchanged(found, sha256):
                return FileResult(found.path, Outcome.UNCHANGED, size=found.size)
            prepared = within(
                self._read_timeout,
                lambda: self._preparer.prepare(found, sha256),
                name=found.path.name,
            )
            # The hash and the text came from two reads: both must be of one version.
            check_still(found)
        except FileSkipped as exc:
            return FileResult(found.path, Outcome.SKIPPED, str(exc), size=found.size)
        except ExtractError as exc:
            return FileResult(found.path, Outcome.FAILED, str(exc), size=found.size)
        return prepared

    def _unchanged(self, found: FoundFile, sha256: str) -> bool:
        if self._versions is not None:
            return self._versions.unchanged(found, sha256)
        # Bounded, not Strong: a server answers at once instead of after a time
        # tick, and a stale answer can only say "changed", costing a re-embed.
        expression = all_of(equals("source", str(found.path)), equals("sha256", sha256))
        return bool(self._collection.query(expression, ["id"], limit=1, consistency="Bounded"))

    # --- embedding and bookkeeping (calling thread) ------------------------------

    def _take(self, read: PreparedFile | FileResult) -> None:
        if isinstance(read, FileResult):
            self._done(read)
            return
        self._queue.append(_Pending(read))
        self._queued_rows += len(read.rows)

    def _done(self, result: FileResult) -> None:
        self.summary.add(result)
        if result.outcome is not Outcome.INGESTED:
            self._progress.advance(result.size, 0)
        self._progress.file_done(result)

    def _write_batch(self, writer: BackgroundWriter) -> None:
        """Embed the next batch of queued rows, oldest files first, and hand it to
        the writer with the deletes of the files it completes."""
        batch: list[dict[str, Any]] = []
        inputs: list[str] = []
        owners: list[tuple[_Pending, int]] = []
        for pending in self._queue:
            room = self._batch_rows - len(batch)
            if room <= 0:
                break
            take = slice(pending.written, pending.written + room)
            rows = pending.prepared.rows[take]
            batch.extend(rows)
            inputs.extend(pending.prepared.inputs[take])
            owners.append((pending, len(rows)))
        vectors = self._embed([input_key(text) for text in inputs], inputs)
        for row, vector in zip(batch, vectors, strict=True):
            row["vector"] = vector.tolist()
        self._queued_rows -= len(batch)
        for pending, count in owners:
            pending.written += count
        finished: list[PreparedFile] = []
        while self._queue and self._queue[0].complete:
            finished.append(self._queue.popleft().prepared)
        older = self._older_rows(finished)

        def write() -> None:
            self._collection.upsert(batch)
            self._faults.reached("upsert")
            if older:
                self._collection.delete(older)
                self._faults.reached("delete")

        def then() -> None:
            for pending, count in owners:
                share = pending.prepared.found.size * count / len(pending.prepared.rows)
                self._progress.advance(share, count)
            self._finish(finished)

        writer.submit(write, then)

    def _older_rows(self, finished: list[PreparedFile]) -> str:
        """Rows of older versions of ``finished`` files that the new ones do not
        overwrite, as one delete expression ("": none). One delete for every file
        a batch finishes (a server takes ~200 ms per delete), none for files the
        store never held."""
        return any_of(
            *(
                stale_rows(
                    self._versions,
                    prepared.found.path,
                    prepared.sha256,
                    self._space,
                    {row["id"] for row in prepared.rows},
                )
                for prepared in finished
            )
        )

    def _finish(self, finished: list[PreparedFile]) -> None:
        for prepared in finished:
            self.written[prepared.found.path] = [
                WrittenRow(self._space, row["id"], input_key(text))
                for row, text in zip(prepared.rows, prepared.inputs, strict=True)
            ]
            self._done(
                FileResult(
                    prepared.found.path,
                    Outcome.INGESTED,
                    "; ".join(prepared.warnings),
                    chunks=len(prepared.rows),
                    size=prepared.found.size,
                )
            )
            # The rows are written; free them (a big record file holds thousands).
            prepared.rows.clear()
            prepared.inputs.clear()
