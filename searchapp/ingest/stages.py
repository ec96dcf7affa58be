"""The stages around the model in an ingest run, so that reading, embedding and
writing overlap.

::

    files ──read_ahead (worker threads)──▶ embed (calling thread) ──BackgroundWriter──▶ Milvus

:func:`read_ahead` reads and prepares the next files in worker threads while
the calling thread embeds; :class:`BackgroundWriter` sends the rows of one
batch to Milvus in a background thread while the calling thread embeds the
next. Both are bounded (files read ahead, batches waiting to be written), so
memory stays flat however large the run.

Only the model runs in the calling thread, and so does all bookkeeping: a
write's follow-up (progress, results, what the manifest will record) runs
there once the write is done, in the order writes were submitted. A failed
write raises in the calling thread; writes queued behind it are cancelled and
nothing after it is recorded, so the ingest state never claims rows that a
failed write did not store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from types import TracebackType
from typing import Self, TypeVar

Item = TypeVar("Item")
Read = TypeVar("Read")


@contextmanager
def read_ahead(
    read: Callable[[Item], Read],
    items: Iterable[Item],
    *,
    workers: int,
    ahead: int,
    name: str = "searchapp-read",
) -> Iterator[Iterator[Read]]:
    """``read(item)`` for each item, in input order, computed in ``workers`` threads
    with at most ``ahead`` results waiting to be taken. ``workers`` 0 reads in the
    calling thread, one item at a time.

    A context manager, so that a consumer that stops early (an error) stops the
    reading at once: leaving it cancels the reads not started and waits for the
    running ones, instead of leaving threads reading until the garbage collector
    closes the iterator.
    """
    reads = _read_ahead(read, items, workers=workers, ahead=ahead, name=name)
    try:
        yield reads
    finally:
        reads.close()


def _read_ahead(
    read: Callable[[Item], Read], items: Iterable[Item], *, workers: int, ahead: int, name: str
) -> Generator[Read, None, None]:
    if workers <= 0:
        yield from map(read, items)
        return
    in_flight: deque[Future[Read]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        try:
            for item in items:
                in_flight.append(pool.submit(read, item))
                if len(in_flight) >= max(ahead, 1):
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        finally:
            # The consumer stopped early: read nothing more.
            for future in in_flight:
                future.cancel()


class BackgroundWriter:
    """Writes run one at a time, in order, in a background thread.

    ``depth`` writes may be waiting or running while the caller goes on (0:
    every write runs in the calling thread before :meth:`submit` returns).
    Use as a context manager: leaving it drains; leaving it on an error
    cancels the writes not started and waits for the running one.
    """

    def __init__(self, depth: int = 1, *, name: str = "searchapp-write") -> None:
        self._depth = max(depth, 0)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=name) if self._depth else None
        self._pending: deque[tuple[Future[None], Callable[[], None]]] = deque()

    def submit(self, write: Callable[[], None], then: Callable[[], None]) -> None:
        """Run ``write`` in the background; ``then`` in the calling thread after it."""
        if self._pool is None:
            write()
            then()
            return
        self._pending.append((self._pool.submit(write), then))
        while len(self._pending) > self._depth:
            self._settle_oldest()

    def drain(self) -> None:
        """Wait for every submitted write and run their follow-ups."""
        while self._pending:
            self._settle_oldest()

    def _settle_oldest(self) -> None:
        future, then = self._pending[0]
        future.result()  # a failed write raises here, before anything is recorded
        self._pending.popleft()
        then()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pending.clear()
