"""File-system events on the worker's roots, turned into queued paths.

watchdog reports creates, writes, moves and deletes; a file being written
fires many of them, so a path is queued only once it has been quiet for the
debounce interval. Events under hidden files and folders are ignored, as the
ingest scan ignores them (an upload's temporary file is hidden, too). Events
that are not kept in memory long enough to be queued (the worker is killed
inside the debounce interval) are found again by the rescan at start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    EventsLostEvent,
    FileClosedNoWriteEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from searchapp.errors import SearchappError
from searchapp.ingest.discover import discover
from searchapp.worker.queue import JobQueue

log = logging.getLogger("searchapp.worker")


class Debouncer:
    """Paths touched recently; ``ready`` hands out those quiet for ``quiet`` seconds."""

    def __init__(self, quiet: float) -> None:
        self._quiet = quiet
        self._lock = threading.Lock()
        self._touched: dict[Path, float] = {}

    def touch(self, paths: Sequence[Path], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for path in paths:
                self._touched[path] = now

    def ready(self, now: float | None = None) -> list[Path]:
        now = time.monotonic() if now is None else now
        with self._lock:
            quiet = [p for p, at in self._touched.items() if now - at >= self._quiet]
            for path in quiet:
                del self._touched[path]
        return sorted(quiet)

    def __len__(self) -> int:
        with self._lock:
            return len(self._touched)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: RootWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._watcher.handle(event)
        except Exception:  # an observer thread that raises stops watching for good
            log.exception("could not handle the file-system event %s", event)


class RootWatcher:
    """Watches ``roots`` recursively and queues the paths that changed."""

    def __init__(
        self,
        roots: Sequence[Path],
        queue: JobQueue,
        *,
        known_under: Callable[[Path], list[Path]],
        debounce: float,
        on_events_lost: Callable[[], None],
    ) -> None:
        self._roots = list(roots)
        self._queue = queue
        self._known_under = known_under  # the ingested files inside a folder
        self._debouncer = Debouncer(debounce)
        self._on_events_lost = on_events_lost
        self._observer = Observer()
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="watch-flush", daemon=True)
        self._tick = min(max(debounce / 4, 0.05), 0.5)

    def start(self) -> None:
        handler = _Handler(self)
        for root in self._roots:
            self._observer.schedule(handler, str(root), recursive=True)
        self._observer.start()
        self._flusher.start()

    def stop(self) -> None:
        """Stop watching and queue what is still waiting out its debounce."""
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout=10)
        self._flusher.join(timeout=10)
        self._flush(self._debouncer.ready(now=float("inf")))

    def handle(self, event: FileSystemEvent) -> None:
        if isinstance(event, EventsLostEvent):
            log.warning("file-system events were lost; rescanning the roots")
            self._on_events_lost()
            return
        src = Path(os.fsdecode(event.src_path))
        dest = Path(os.fsdecode(event.dest_path)) if event.dest_path else None
        touched: list[Path] = []
        if not event.is_directory:
            if isinstance(event, (FileOpenedEvent, FileClosedNoWriteEvent)):
                return  # reads change nothing
            touched = [p for p in (src, dest) if p is not None and not self._hidden(p)]
        elif isinstance(event, (DirDeletedEvent, DirMovedEvent)):
            # What the ingest state records under a folder that went away; a folder
            # moved in is listed on disk (watchdog also reports its files one by one).
            if not self._hidden(src):
                touched.extend(self._known_under(src))
            if dest is not None and not self._hidden(dest):
                touched.extend(self._files_in(dest))
        elif isinstance(event, DirCreatedEvent) and not self._hidden(src):
            touched.extend(self._files_in(src))
        # A folder's modified/attribute events say only that its listing changed:
        # its files have events of their own.
        if touched:
            self._debouncer.touch(touched)

    def _files_in(self, folder: Path) -> list[Path]:
        return [f.path for f in discover([folder])] if folder.is_dir() else []

    def _hidden(self, path: Path) -> bool:
        for root in self._roots:
            if path == root or root in path.parents:
                return any(part.startswith(".") for part in path.relative_to(root).parts)
        return True  # not under a root: nothing of ours

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._tick):
            ready = self._debouncer.ready()
            try:
                self._flush(ready)
            except SearchappError as exc:  # kept, and tried again at the next tick
                log.warning("could not queue %d changed file(s): %s", len(ready), exc)
                self._debouncer.touch(ready, now=float("-inf"))

    def _flush(self, paths: list[Path]) -> None:
        if paths:
            self._queue.enqueue(paths, origin="watch")
