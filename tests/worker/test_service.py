"""The worker against a real Lite store and real models: files in, rows out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.errors import StoreUnavailableError
from searchapp.ingest import ingest, scan
from searchapp.search import SearchRequest
from searchapp.store import CLIP_IMAGE_SPEC, TEXT_SPEC
from searchapp.store.filters import equals
from searchapp.worker import JobQueue, StatusBoard, Worker, WorkerOptions
from searchapp.worker import service as service_module
from tests.polling import until

pytestmark = [pytest.mark.integration, pytest.mark.model]


def _sources(app: App, spec=TEXT_SPEC) -> set[str]:
    handle = app.store.existing_collection(spec)
    return {row["source"] for row in handle.query("", ["source"])} if handle else set()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "watched"
    folder.mkdir()
    return folder


@pytest.fixture
def queue(app: App) -> JobQueue:
    return JobQueue(app.settings.worker_queue_path)


def _once(app: App, queue: JobQueue, root: Path) -> None:
    Worker(app, queue, WorkerOptions(roots=(root,), once=True)).run(threading.Event())


def test_once_ingests_changes_and_removes_vanished_files(
    app: App, queue: JobQueue, root: Path
) -> None:
    tea = root / "tea.md"
    tea.write_text("# Tea\n\nGreen tea leaves are steamed to stop oxidation.")
    (root / "sub").mkdir()
    bikes = root / "sub" / "bikes.txt"
    bikes.write_text("A derailleur moves the chain between sprockets on a bicycle.")
    (root / ".hidden.txt").write_text("never ingested")
    _once(app, queue, root)
    assert _sources(app) == {str(tea), str(bikes)}
    hits = app.search.search(SearchRequest(text="how is green tea processed", min_relevance=0))
    assert Path(hits.hits[0].source) == tea
    counts = StatusBoard(queue).snapshot().counts
    assert counts["done"] == 2 and counts["queued"] == counts["running"] == 0

    _once(app, queue, root)  # nothing changed: nothing queued
    assert StatusBoard(queue).snapshot().counts["done"] == 2

    bikes.unlink()
    tea.write_text("# Coffee\n\nEspresso is brewed under pressure.")
    _once(app, queue, root)
    assert _sources(app) == {str(tea)}
    hits = app.search.search(SearchRequest(text="espresso pressure", min_relevance=0))
    assert Path(hits.hits[0].source) == tea and "Espresso" in hits.hits[0].snippet


def test_a_file_moved_away_and_back_is_ingested_again(
    app: App, queue: JobQueue, root: Path, tmp_path: Path
) -> None:
    # A move keeps size and mtime: the ingest state must not still call the
    # file unchanged after the worker removed its rows.
    tea = root / "tea.md"
    tea.write_text("# Tea\n\nGreen tea leaves are steamed to stop oxidation.")
    bikes = root / "bikes.txt"  # stays: the store is never empty (an empty one resets state)
    bikes.write_text("A derailleur moves the chain between sprockets on a bicycle.")
    _once(app, queue, root)
    assert _sources(app) == {str(tea), str(bikes)}
    away = tmp_path / "tea.md"
    tea.rename(away)
    _once(app, queue, root)
    assert _sources(app) == {str(bikes)}
    away.rename(tea)
    _once(app, queue, root)
    assert _sources(app) == {str(tea), str(bikes)}


def test_a_corrupt_file_is_reported_and_the_rest_goes_on(
    app: App, queue: JobQueue, root: Path
) -> None:
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    good = root / "good.txt"
    good.write_text("Bees collect nectar and make honey.")
    _once(app, queue, root)
    assert _sources(app) == {str(good)}
    snapshot = StatusBoard(queue).snapshot()
    assert snapshot.counts["failed"] == 1
    assert snapshot.recent_errors[0].path == str(root / "broken.pdf")
    _once(app, queue, root)  # unchanged: not retried on every rescan
    assert StatusBoard(queue).snapshot().counts["failed"] == 1


def _outcomes(queue: JobQueue) -> dict[str, list[str]]:
    """path -> the outcome of each finished job for it, oldest first."""
    found: dict[str, list[str]] = {}
    with queue.db.read() as conn:
        for row in conn.execute("SELECT path, outcome FROM jobs WHERE finished_at ORDER BY id"):
            found.setdefault(row["path"], []).append(row["outcome"])
    return found


def test_files_ingested_without_the_worker_are_not_ingested_again_by_its_rescan(
    app: App, queue: JobQueue, root: Path
) -> None:
    # `searchapp ingest` of a watched folder: the manifest is the one record of
    # what is in the store, so the worker finds nothing to do.
    tea = root / "tea.md"
    tea.write_text("# Tea\n\nGreen tea leaves are steamed to stop oxidation.")
    bikes = root / "bikes.txt"
    bikes.write_text("A derailleur moves the chain between sprockets on a bicycle.")
    found = scan([root])
    ingest(app, found.files, roots=found.roots)
    _once(app, queue, root)
    assert StatusBoard(queue).snapshot().counts == {
        "queued": 0,
        "running": 0,
        "done": 0,
        "failed": 0,
    }
    # Deleted while no worker ran: the next rescan removes its rows.
    tea.unlink()
    _once(app, queue, root)
    assert _outcomes(queue) == {str(tea): ["removed"]}
    assert _sources(app) == {str(bikes)}


def test_skipped_and_failed_files_are_tried_again_only_once_they_changed(
    app: App, queue: JobQueue, root: Path
) -> None:
    empty = root / "empty.txt"
    empty.write_text("")
    broken = root / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    good = root / "good.txt"  # the store is never empty (an empty one resets state)
    good.write_text("Bees collect nectar and make honey.")
    _once(app, queue, root)
    first = {str(empty): ["skipped"], str(broken): ["failed"], str(good): ["ingested"]}
    assert _outcomes(queue) == first
    _once(app, queue, root)  # a rescan: unchanged, not tried again
    queue.enqueue([empty, broken], origin="watch")  # touched, not changed
    _once(app, queue, root)
    assert _outcomes(queue) == {
        **first,
        str(empty): ["skipped", "unchanged"],
        str(broken): ["failed", "unchanged"],
    }
    empty.write_text("Rivers drop their silt where they meet the sea, building a delta.")
    broken.write_bytes(b"%PDF-1.4 still not a pdf, only longer")
    _once(app, queue, root)
    outcomes = _outcomes(queue)
    assert outcomes[str(empty)] == ["skipped", "unchanged", "ingested"]
    assert outcomes[str(broken)] == ["failed", "unchanged", "failed"]
    assert _sources(app) == {str(good), str(empty)}


def test_an_unreachable_store_keeps_the_jobs(
    app: App, queue: JobQueue, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "a.txt").write_text("Owls hunt at night.")
    real = service_module.sync_paths
    calls = []

    def down_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise StoreUnavailableError("Milvus is down")
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "sync_paths", down_once)
    with pytest.raises(StoreUnavailableError):
        _once(app, queue, root)
    snapshot = StatusBoard(queue).snapshot()
    assert snapshot.counts == {"queued": 1, "running": 0, "done": 0, "failed": 0}
    assert "Milvus is down" in snapshot.recent_errors[0].reason
    with queue.db.read() as conn:
        [(attempts, not_before)] = conn.execute("SELECT attempts, not_before FROM jobs")
    assert attempts == 0  # the outage does not count against the file
    assert not_before > time.time()  # retried after a pause
    until(lambda: time.time() > not_before, timeout=5)
    _once(app, queue, root)
    assert _sources(app) == {str(root / "a.txt")}


@pytest.fixture
def running_worker(app: App, queue: JobQueue, root: Path) -> Iterator[Worker]:
    worker = Worker(
        app,
        queue,
        WorkerOptions(roots=(root,), debounce_seconds=0.2, rescan_seconds=0, batch_files=2),
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    until(lambda: StatusBoard(queue).snapshot().worker_alive)
    yield worker
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_watched_files_come_and_go(
    app: App, queue: JobQueue, root: Path, running_worker: Worker, tiny_png: Callable
) -> None:
    note = root / "note.txt"
    note.write_text("Volcanoes erupt molten rock called lava.")
    folder = root / "new"
    folder.mkdir()
    (folder / "deep.md").write_text("Glaciers carve valleys over thousands of years.")
    until(lambda: _sources(app) == {str(note), str(folder / "deep.md")})

    moved = root / "moved.txt"
    note.rename(moved)
    until(lambda: _sources(app) == {str(moved), str(folder / "deep.md")})

    image = root / "pic.png"
    tiny_png(image)
    until(lambda: _sources(app, CLIP_IMAGE_SPEC) == {str(image)})
    # Its caption arrives later: the image is re-ingested with it, and the
    # sidecar never becomes a document of its own.
    (root / "pic.txt").write_text("a red square")
    until(lambda: str(root / "pic.txt") in _done_paths(queue))
    assert str(root / "pic.txt") not in _sources(app)
    caption_rows = app.store.existing_collection(TEXT_SPEC).query(
        equals("source", str(image)), ["text"]
    )
    assert any("a red square" in row["text"] for row in caption_rows)

    import shutil

    shutil.rmtree(folder)
    # The caption put the image in the text space too (image -> text search).
    until(lambda: _sources(app) == {str(moved), str(image)})
    status = StatusBoard(queue).snapshot()
    assert status.counts["queued"] == 0 and status.worker_alive


def _done_paths(queue: JobQueue) -> set[str]:
    with queue.db.read() as conn:
        return {r["path"] for r in conn.execute("SELECT path FROM jobs WHERE state = 'done'")}


@pytest.fixture
def tiny_png() -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from PIL import Image

        Image.new("RGB", (32, 32), (200, 10, 10)).save(path)

    return write
