"""The embedder stage: one per space, batching rows across files.

Files arrive whole from the reader; their rows wait in the space's queue, oldest
file first, until a batch is full (or the run ends), and a big file's rows span
as many batches as they fill. The model is the space's
:class:`~searchapp.ingest.reuse.ReusingEmbedder`, so identical inputs are
embedded once and unchanged vectors are reused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from searchapp.ingest.manifest import WrittenRow
from searchapp.ingest.reader import ReadFile

# Embeds inputs given with their keys (see reuse.ReusingEmbedder).
KeyedEmbedFn = Callable[[Sequence[str], Sequence[Any]], np.ndarray]


@dataclass
class PendingFile:
    """A read file whose rows are being embedded and written."""

    read: ReadFile
    # Rows of each space not embedded yet.
    waiting: dict[str, int] = field(default_factory=dict)
    # The rows embedded so far (ids and input keys), for the manifest.
    written: list[WrittenRow] = field(default_factory=list)

    @classmethod
    def of(cls, read: ReadFile) -> PendingFile:
        return cls(read, {space: len(inputs) for space, inputs in read.spaces.items()})

    @property
    def complete(self) -> bool:
        return not any(self.waiting.values())

    def new_ids(self, space: str) -> set[str]:
        return {row.id for row in self.written if row.space == space}


@dataclass(frozen=True)
class Batch:
    """Rows of one space with their vectors, and how many of each file's rows they are."""

    space: str
    rows: list[dict[str, Any]]
    owners: list[tuple[PendingFile, int]]


class SpaceEmbedder:
    """Queues files' rows of one space and embeds them ``batch_rows`` at a time."""

    def __init__(self, space: str, embed: KeyedEmbedFn, batch_rows: int) -> None:
        self.space = space
        self._embed = embed
        self._batch_rows = max(batch_rows, 1)
        self._queue: deque[tuple[PendingFile, int]] = deque()  # file, next row
        self.queued = 0  # rows waiting

    def add(self, pending: PendingFile) -> None:
        count = pending.waiting.get(self.space, 0)
        if count:
            self._queue.append((pending, 0))
            self.queued += count

    @property
    def full(self) -> bool:
        return self.queued >= self._batch_rows

    def next_batch(self) -> Batch:
        """Embed the next batch of queued rows (oldest files first)."""
        rows: list[dict[str, Any]] = []
        inputs: list[Any] = []
        keys: list[str] = []
        owners: list[tuple[PendingFile, int]] = []
        while self._queue and len(rows) < self._batch_rows:
            pending, start = self._queue.popleft()
            space_inputs = pending.read.spaces[self.space]
            stop = min(len(space_inputs), start + self._batch_rows - len(rows))
            for index in range(start, stop):
                row = space_inputs.rows[index]
                assert row is not None
                rows.append(row)
                inputs.append(space_inputs.inputs[index])
                keys.append(space_inputs.keys[index])
                pending.written.append(WrittenRow(self.space, row["id"], space_inputs.keys[index]))
                # Handed over: the file keeps no row, input or picture it no longer needs.
                space_inputs.rows[index] = None
                space_inputs.inputs[index] = None
            owners.append((pending, stop - start))
            pending.waiting[self.space] -= stop - start
            if stop < len(space_inputs):
                self._queue.appendleft((pending, stop))
        self.queued -= len(rows)
        vectors = self._embed(keys, inputs)
        for row, vector in zip(rows, vectors, strict=True):
            row["vector"] = vector.tolist()
        return Batch(self.space, rows, owners)
