"""The watcher's parts that need no store: debouncing, and which events count."""

from __future__ import annotations

from pathlib import Path

from watchdog.events import (
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from searchapp.config import Settings
from searchapp.ingest.changes import IngestedFiles
from searchapp.ingest.manifest import Finished, Manifest
from searchapp.worker.queue import JobQueue
from searchapp.worker.watch import Debouncer, RootWatcher


def test_a_path_is_ready_once_it_has_been_quiet() -> None:
    debouncer = Debouncer(1.0)
    debouncer.touch([Path("/a"), Path("/b")], now=0.0)
    debouncer.touch([Path("/a")], now=0.8)  # still being written
    assert debouncer.ready(now=1.2) == [Path("/b")]
    assert debouncer.ready(now=1.5) == []
    assert debouncer.ready(now=1.9) == [Path("/a")]
    assert len(debouncer) == 0


def _settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state")


def _watcher(tmp_path: Path) -> tuple[RootWatcher, Path, list[int]]:
    root = tmp_path / "root"
    root.mkdir()
    lost: list[int] = []
    queue = JobQueue(tmp_path / "queue.db")
    watcher = RootWatcher(
        [root],
        queue,
        known_under=IngestedFiles(_settings(tmp_path)).under,
        debounce=0.0,
        on_events_lost=lambda: lost.append(1),
    )
    return watcher, root, lost


def _pending(watcher: RootWatcher) -> list[Path]:
    return watcher._debouncer.ready(now=float("inf"))


def test_which_events_queue_which_paths(tmp_path: Path) -> None:
    watcher, root, _ = _watcher(tmp_path)
    watcher.handle(FileModifiedEvent(str(root / "a.txt")))
    watcher.handle(FileClosedEvent(str(root / "b.txt")))
    watcher.handle(FileMovedEvent(str(root / "c.txt"), str(root / "d.txt")))
    watcher.handle(FileOpenedEvent(str(root / "read-only.txt")))  # reads change nothing
    watcher.handle(DirModifiedEvent(str(root)))  # its files report themselves
    watcher.handle(FileModifiedEvent(str(root / ".hidden" / "e.txt")))
    watcher.handle(FileModifiedEvent(str(root / ".upload-123.txt")))  # an upload being written
    watcher.handle(FileModifiedEvent(str(tmp_path / "elsewhere.txt")))
    assert _pending(watcher) == [root / name for name in ("a.txt", "b.txt", "c.txt", "d.txt")]


def test_folder_moves_and_deletes_cover_their_files(tmp_path: Path) -> None:
    watcher, root, _ = _watcher(tmp_path)
    gone = root / "old" / "x.txt"
    manifest = Manifest.open(_settings(tmp_path))  # ingested (by the worker or not)
    manifest.commit([Finished(str(gone), "1:1.0", "sha", "recipe", [])])
    manifest.close()
    (root / "new").mkdir()
    (root / "new" / "y.txt").write_text("y")
    watcher.handle(DirMovedEvent(str(root / "old"), str(root / "new")))
    assert _pending(watcher) == [root / "new" / "y.txt", gone]  # sorted
    watcher.handle(DirDeletedEvent(str(root / "old")))
    assert _pending(watcher) == [gone]
