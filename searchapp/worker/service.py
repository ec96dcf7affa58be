"""The worker: take queued paths in small batches and sync them with the index.

Three helpers run beside the main loop: the watcher (file-system events), the
rescan timer and the heartbeat (alive, current file, leases renewed). The main
loop claims a batch, runs it through the adapter, then marks each job done;
only then, so a batch cut short by a crash runs again.

When the whole run cannot go on (the store is down, the model does not match
the collection), the batch goes back to the queue uncounted and the worker
waits, longer each time: nothing accepted is dropped while it is fixed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.app import App
from searchapp.errors import ConfigError, QueueUnavailableError, SearchappError
from searchapp.ingest import FileResult
from searchapp.ingest.changes import IngestedFiles
from searchapp.worker.adapter import SyncResult, record_roots, sync_paths
from searchapp.worker.queue import Job, JobQueue, WorkerIdentity
from searchapp.worker.rescan import rescan
from searchapp.worker.status import HEARTBEAT_SECONDS, StatusBoard
from searchapp.worker.watch import RootWatcher

log = logging.getLogger("searchapp.worker")

# How often an idle worker looks for new jobs (the web process cannot wake it).
_POLL_SECONDS = 0.5
_MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class WorkerOptions:
    roots: tuple[Path, ...]
    batch_files: int = 8
    rescan_seconds: float = 300.0
    debounce_seconds: float = 1.0
    once: bool = False  # drain the queue (after one rescan) and return


@dataclass
class Totals:
    """What one run of the worker did."""

    batches: int = 0
    done: int = 0
    failed: int = 0


class _Current:
    """The batch's files not yet reported done by ingest: the first is the current one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Path] = []

    def start(self, paths: Sequence[Path]) -> None:
        with self._lock:
            self._pending = list(paths)

    @property
    def path(self) -> Path | None:
        with self._lock:
            return self._pending[0] if self._pending else None

    # The ingest layer's Progress protocol:
    def advance(self, nbytes: float, chunks: int) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        with self._lock:
            if result.path in self._pending:
                self._pending.remove(result.path)


class Worker:
    def __init__(self, app: App, queue: JobQueue, options: WorkerOptions) -> None:
        self._app = app
        self._queue = queue
        self._files = IngestedFiles(app.settings)  # what the ingest manifest records
        self._board = StatusBoard(queue)
        self._options = options
        self._me = WorkerIdentity.current()
        self._current = _Current()
        self._rescan_now = threading.Event()
        self._backoff = 0.0
        self.totals = Totals()

    @property
    def identity(self) -> WorkerIdentity:
        return self._me

    def run(self, stop: threading.Event) -> Totals:
        """Work until ``stop`` is set (or, with ``once``, until the queue is empty)."""
        options = self._options
        missing = [str(root) for root in options.roots if not root.is_dir()]
        if missing:
            raise ConfigError(f"not a folder, cannot be watched: {', '.join(missing)}")
        record_roots(self._app, options.roots)
        self._board.register(self._me, options.roots)
        self._queue.prune()
        helpers_stop = threading.Event()
        heartbeat = threading.Thread(
            target=self._beat, args=(helpers_stop,), name="heartbeat", daemon=True
        )
        heartbeat.start()
        watcher: RootWatcher | None = None
        rescans: threading.Thread | None = None
        try:
            if not options.once:
                # Watching first, then the rescan: no change falls between the two.
                watcher = RootWatcher(
                    options.roots,
                    self._queue,
                    known_under=self._files.under,
                    debounce=options.debounce_seconds,
                    on_events_lost=self._rescan_now.set,
                )
                watcher.start()
            # Changes made while no worker watched (or events lost in a kill).
            rescan(self._files, self._queue, options.roots)
            if not options.once:
                rescans = threading.Thread(
                    target=self._rescan_loop, args=(helpers_stop,), name="rescan", daemon=True
                )
                rescans.start()
            self._loop(stop)
        finally:
            if watcher is not None:
                watcher.stop()
            helpers_stop.set()
            self._rescan_now.set()
            heartbeat.join(timeout=10)
            if rescans is not None:
                rescans.join(timeout=60)
            self._board.stopped(self._me)
        return self.totals

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                jobs = self._queue.claim(self._me, self._options.batch_files)
            except QueueUnavailableError as exc:  # locked or full for a while: wait
                if self._options.once:
                    raise
                log.warning("cannot claim jobs, retrying: %s", exc)
                stop.wait(_MAX_BACKOFF / 4)
                continue
            if not jobs:
                if self._options.once:
                    return
                stop.wait(_POLL_SECONDS)
                continue
            self._run_batch(jobs)
            if self._backoff:
                stop.wait(self._backoff)

    def _run_batch(self, jobs: list[Job]) -> None:
        self.totals.batches += 1
        jobs = self._skip_unchanged(jobs)
        if not jobs:
            return
        self._current.start([job.path for job in jobs])
        self._app.faults.reached("lease")
        try:
            result = sync_paths(
                self._app,
                [job.path for job in jobs],
                progress=self._current,
                roots=self._options.roots,
            )
        except SearchappError as exc:
            # The run as a whole failed: the files are not at fault.
            self._backoff = min(max(self._backoff * 2, 1.0), _MAX_BACKOFF)
            log.warning("ingest failed, retrying in %.0f s: %s", self._backoff, exc)
            self._queue.release(jobs, delay=self._backoff)
            self._queue.record_error(f"ingest paused, retrying in {self._backoff:.0f} s: {exc}")
            if self._options.once:
                raise
            return
        except Exception as exc:
            # A bug, maybe tripped by one of the files: the attempt counts, so such
            # a file fails after a few tries instead of blocking the queue.
            log.exception("the batch failed; its files go back to the queue")
            self._queue.release(jobs, delay=1.0, count=True)
            self._queue.record_error(f"the batch failed: {exc!r} (see the worker's log)")
            if self._options.once:
                raise
            return
        except BaseException:
            # A second stop signal: the batch is not done, and not at fault.
            self._queue.release(jobs)
            raise
        finally:
            self._current.start([])
        self._backoff = 0.0
        self._app.faults.reached("ack")
        self._finish(jobs, result)

    def _skip_unchanged(self, jobs: list[Job]) -> list[Job]:
        """Finish, without reading them, event jobs for files that are as the ingest
        manifest records them (ingested, skipped or failed).

        The watcher reports an upload being moved into place, and editors touch
        files without changing them; a file that failed is not read again until
        it changes. An upload itself is always ingested, so its request says
        what ingest made of it.
        """
        unchanged = self._files.unchanged([job.path for job in jobs if job.origin != "upload"])
        left = []
        for job in jobs:
            if job.path in unchanged:
                self._queue.complete(job, outcome="unchanged")
                self.totals.done += 1
            else:
                left.append(job)
        return left

    def _finish(self, jobs: list[Job], result: SyncResult) -> None:
        for notice in result.notices:
            log.warning("%s", notice)
        for job in jobs:
            done = result.paths.get(job.path)
            if done is None:  # not reported by ingest: count as vanished
                self._queue.complete(job, outcome="removed")
                self.totals.done += 1
                continue
            self._queue.complete(job, outcome=done.outcome, reason=done.reason, failed=done.failed)
            if done.failed:
                self.totals.failed += 1
                log.warning("%s: %s", job.path, done.reason)
            else:
                self.totals.done += 1
                log.info("%s: %s", job.path, done.outcome)

    def _beat(self, stop: threading.Event) -> None:
        while True:
            try:
                self._board.heartbeat(self._me, self._current.path)
            except SearchappError as exc:  # leases last longer than a few missed beats
                log.warning("heartbeat failed: %s", exc)
            if stop.wait(HEARTBEAT_SECONDS):
                return

    def _rescan_loop(self, stop: threading.Event) -> None:
        interval = self._options.rescan_seconds
        while not stop.is_set():
            asked = self._rescan_now.wait(interval if interval > 0 else None)
            if stop.is_set():
                return
            self._rescan_now.clear()
            try:
                rescan(self._files, self._queue, self._options.roots)
            except SearchappError as exc:
                log.warning("rescan failed: %s", exc)
            if not asked and interval <= 0:
                return
