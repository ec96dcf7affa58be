"""Dynamic batching: requests that arrive while others are served go together.

As in inference servers: callers hand a job to :meth:`Batcher.submit` and
block; worker threads take what is queued (at most ``max_size`` jobs), serve
it with one call of the handler, and give each caller its own outcome.

Waiting for more jobs is bounded by ``max_wait`` and happens only under load:
when the last batch held several jobs and ended less than ``idle_after``
seconds ago, more jobs are expected, and a worker waits (at most ``max_wait``)
until as many as the last batch are queued. A job that arrives at an idle
service (nothing served recently, or one caller at a time) is served at once,
in the caller's own thread when a serving slot is free: no handoff to a worker
and back. While a batch is served, new jobs simply queue: that is where most
batches come from. ``workers`` bounds the batches served at once, inline ones
included.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

# Seconds without a batch after which the service counts as idle again.
IDLE_AFTER = 1.0


class BatcherClosedError(RuntimeError):
    """The batcher was closed; no more jobs are taken."""


class Batcher(Generic[Job, Result]):
    """Gathers concurrent jobs into batches for ``serve``.

    ``serve(jobs)`` returns one outcome per job, in order: a result, or the
    exception that job's caller gets. If ``serve`` itself raises, every job of
    that batch gets the exception.
    """

    def __init__(
        self,
        serve: Callable[[Sequence[Job]], Sequence[Result | Exception]],
        *,
        max_size: int,
        max_wait: float,
        workers: int = 1,
        idle_after: float = IDLE_AFTER,
        clock: Callable[[], float] = time.monotonic,
        name: str = "batcher",
    ) -> None:
        if max_size < 1 or workers < 1 or max_wait < 0:
            raise ValueError("a batcher needs max_size >= 1, workers >= 1 and max_wait >= 0")
        self._serve = serve
        self._max_size = max_size
        self._max_wait = max_wait
        self._idle_after = idle_after
        self._clock = clock
        self._queue: deque[tuple[Job, Future[Result]]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._last_size = 0  # jobs in the last batch taken
        self._last_end = float("-inf")  # when the last batch was served (clock)
        self._active = 0  # batches being served, by workers or inline
        self._slots = workers
        self._serving = threading.local()  # .now: this thread serves a batch
        self.waits = 0  # times a worker waited for more jobs (tests check it)
        self.batches = 0
        self.inline = 0  # jobs served in their caller's thread
        self._workers = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, job: Job) -> Result:
        """Serve ``job`` with whatever else is queued; its result, or raise its error."""
        future: Future[Result] = Future()
        with self._ready:
            if self._closed:
                raise BatcherClosedError("the search service is shutting down")
            inline = not self._queue and self._active < self._slots and self._idle()
            if inline:
                self._active += 1
                self._last_size = 1
                self.batches += 1
                self.inline += 1
            else:
                self._queue.append((job, future))
                self._ready.notify()
        if not inline:
            return future.result()
        try:
            [outcome] = self._serve_batch([job])
        finally:
            self._served()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def pending(self) -> int:
        """Jobs queued, not yet taken into a batch."""
        with self._ready:
            return len(self._queue)

    def close(self) -> None:
        """Serve what is queued (and finish what is served inline), then stop the workers."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        for worker in self._workers:
            if worker is not threading.current_thread():
                worker.join()
        if not getattr(self._serving, "now", False):  # not called from inside a batch
            with self._ready:
                while self._active:
                    self._ready.wait()

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if not batch:
                return
            try:
                outcomes = self._serve_batch([job for job, _ in batch])
            finally:
                self._served()
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _serve_batch(self, jobs: list[Job]) -> Sequence[Result | Exception]:
        self._serving.now = True
        try:
            outcomes = self._serve(jobs)
            if len(outcomes) != len(jobs):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(jobs)} jobs")
        except Exception as exc:
            outcomes = [exc] * len(jobs)
        finally:
            self._serving.now = False
        return outcomes

    def _served(self) -> None:
        """A batch ended: its slot is free for a worker or an idle caller."""
        with self._ready:
            self._active -= 1
            self._last_end = self._clock()
            # Wake the workers only when one has work (or close() waits): waking idle
            # workers after every inline search costs two context switches each.
            if self._queue or self._closed:
                self._ready.notify_all()

    def _idle(self) -> bool:
        """No more jobs expected soon: the last batch held one, or ended long ago."""
        return self._last_size <= 1 or self._clock() - self._last_end >= self._idle_after

    def _next_batch(self) -> list[tuple[Job, Future[Result]]]:
        """Queued jobs for one batch (empty when closed); waits for more only under load."""
        with self._ready:
            while (not self._queue or self._active >= self._slots) and not self._closed:
                self._ready.wait()
            batch = self._take(self._max_size)
            if not batch:
                return batch
            self._active += 1
            expected = min(self._last_size, self._max_size)
            busy = self._clock() - self._last_end < self._idle_after
            if busy and len(batch) < expected and self._max_wait > 0 and not self._closed:
                self.waits += 1
                deadline = self._clock() + self._max_wait
                while len(batch) < expected and not self._closed:
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        break
                    if not self._queue:
                        self._ready.wait(remaining)
                    batch += self._take(expected - len(batch))
            self._last_size = len(batch)
            self.batches += 1
            return batch

    def _take(self, count: int) -> list[tuple[Job, Future[Result]]]:
        taken: list[tuple[Job, Future[Result]]] = []
        while self._queue and len(taken) < count:
            taken.append(self._queue.popleft())
        return taken
