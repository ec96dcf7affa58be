"""The durable queue: what is accepted stays until a worker finished it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchapp.errors import QueueUnavailableError
from searchapp.worker import queue as queue_module
from searchapp.worker.queue import MAX_ATTEMPTS, JobQueue, WorkerIdentity
from searchapp.worker.status import StatusBoard


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "queue.db"


def _worker(pid: int | None = None) -> WorkerIdentity:
    me = WorkerIdentity.current()
    return me if pid is None else WorkerIdentity(pid, me.host, "dead0000")


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_jobs_survive_reopening(db: Path) -> None:
    JobQueue(db).enqueue([Path("/a/1.txt"), Path("/a/2.txt")], origin="upload", request_id="r1")
    reopened = JobQueue(db)
    jobs = reopened.claim(_worker(), 10)
    assert [j.path for j in jobs] == [Path("/a/1.txt"), Path("/a/2.txt")]
    assert {j.request_id for j in jobs} == {"r1"}
    assert reopened.claim(_worker(), 10) == []  # claimed jobs are not handed out twice


def test_repeated_events_coalesce_while_waiting(db: Path) -> None:
    queue = JobQueue(db)
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    queue.enqueue([Path("/a/1.txt"), Path("/a/1.txt")], origin="watch")
    queue.enqueue([Path("/a/1.txt")], origin="upload", request_id="r9")
    assert StatusBoard(queue).snapshot().counts["queued"] == 1
    [job] = queue.claim(_worker(), 10)
    assert job.request_id == "r9"  # the request is not lost in the merge
    assert job.origin == "upload"  # so it is ingested, not skipped as seen


def test_an_event_during_a_run_queues_the_path_again_but_not_in_parallel(db: Path) -> None:
    queue = JobQueue(db)
    me, other = _worker(), WorkerIdentity.current()
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    [running] = queue.claim(me, 10)
    queue.enqueue([Path("/a/1.txt")], origin="watch")  # changed again while ingesting
    assert queue.claim(other, 10) == []  # not while the first run goes on
    queue.complete(running, outcome="ingested")
    [again] = queue.claim(other, 10)
    assert again.path == Path("/a/1.txt") and again.id != running.id


def test_done_only_when_completed(db: Path) -> None:
    queue = JobQueue(db)
    board = StatusBoard(queue)
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    [job] = queue.claim(_worker(), 1)
    assert board.snapshot().counts == {"queued": 0, "running": 1, "done": 0, "failed": 0}
    queue.complete(job, outcome="ingested")
    assert board.snapshot().counts == {"queued": 0, "running": 0, "done": 1, "failed": 0}


def test_a_failed_file_is_reported_with_its_reason(db: Path) -> None:
    queue = JobQueue(db)
    queue.enqueue([Path("/a/bad.pdf")], origin="upload", request_id="r2")
    [job] = queue.claim(_worker(), 1)
    queue.complete(job, outcome="failed", reason="not a PDF", failed=True)
    snapshot = StatusBoard(queue).snapshot()
    assert snapshot.counts["failed"] == 1
    [error] = snapshot.recent_errors
    assert (error.path, error.reason, error.request_id) == ("/a/bad.pdf", "not a PDF", "r2")


def test_a_dead_workers_jobs_are_taken_back_at_once(db: Path) -> None:
    queue = JobQueue(db)
    dead = _worker(_dead_pid())
    StatusBoard(queue).register(dead, [Path("/a")])
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    [first] = queue.claim(dead, 1)
    [again] = queue.claim(_worker(), 1)  # lease still valid, but the process is gone
    assert again.id == first.id and again.attempts == 2


def test_a_live_workers_jobs_are_left_alone_until_the_lease_expires(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = JobQueue(db)
    # Another live process on this host (the test runner itself, under another run token).
    alive = WorkerIdentity(WorkerIdentity.current().pid, "elsewhere", "live0000")
    StatusBoard(queue).register(alive, [Path("/a")])
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    queue.claim(alive, 1)
    assert queue.claim(_worker(), 1) == []
    later = time.time() + queue_module.LEASE_SECONDS + 1
    monkeypatch.setattr(queue_module.time, "time", lambda: later)
    [job] = queue.claim(_worker(), 1)
    assert job.path == Path("/a/1.txt")


def test_the_heartbeat_renews_leases(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = JobQueue(db)
    board = StatusBoard(queue)
    holder = WorkerIdentity(WorkerIdentity.current().pid, "elsewhere", "live0001")
    board.register(holder, [])
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    queue.claim(holder, 1)
    start = time.time()
    for step in (0.6, 1.2):  # beats at 60% of a lease apart keep the job
        now = start + step * queue_module.LEASE_SECONDS
        monkeypatch.setattr(queue_module.time, "time", lambda now=now: now)
        monkeypatch.setattr("searchapp.worker.status.time.time", lambda now=now: now)
        board.heartbeat(holder, Path("/a/1.txt"))
    assert queue.claim(_worker(), 1) == []


def test_a_stopped_batch_goes_back_uncounted(db: Path) -> None:
    queue = JobQueue(db)
    queue.enqueue([Path("/a/1.txt"), Path("/a/2.txt")], origin="watch")
    jobs = queue.claim(_worker(), 2)
    queue.release(jobs)
    again = queue.claim(_worker(), 2)
    assert [j.attempts for j in again] == [1, 1]


def test_a_job_that_keeps_breaking_the_worker_fails_in_the_end(db: Path) -> None:
    queue = JobQueue(db)
    queue.enqueue([Path("/a/poison.pdf")], origin="watch")
    for _ in range(MAX_ATTEMPTS):
        dead = _worker(_dead_pid())
        StatusBoard(queue).register(dead, [])
        assert len(queue.claim(dead, 1)) == 1
    assert queue.claim(_worker(), 1) == []
    snapshot = StatusBoard(queue).snapshot()
    assert snapshot.counts["failed"] == 1
    assert "broke off 3 times" in snapshot.recent_errors[0].reason


def test_a_retry_waits_for_its_delay(db: Path) -> None:
    queue = JobQueue(db)
    queue.enqueue([Path("/a/1.txt")], origin="watch")
    queue.release(queue.claim(_worker(), 1), delay=30)
    assert queue.claim(_worker(), 1) == []
    queue.enqueue([Path("/a/1.txt")], origin="watch")  # a new event: try again now
    assert len(queue.claim(_worker(), 1)) == 1


def test_request_items_follow_the_latest_job(db: Path) -> None:
    queue = JobQueue(db)
    path = Path("/up/r3-00-notes.md")
    queue.enqueue([path], origin="upload", request_id="r3", uploads=[(path, "notes.md", 12)])
    board = StatusBoard(queue)
    [item] = board.snapshot("r3").request or []
    assert (item.original_name, item.state) == ("notes.md", "queued")
    [job] = queue.claim(_worker(), 1)
    queue.complete(job, outcome="ingested")
    [item] = board.snapshot("r3").request or []
    assert (item.state, item.outcome) == ("done", "ingested")
    assert board.snapshot("nope").request == []


def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(QueueUnavailableError, match="worker queue"):
        JobQueue(blocker / "queue.db").enqueue([Path("/a")], origin="watch")


def test_a_newer_schema_is_refused(db: Path) -> None:
    import sqlite3

    JobQueue(db).enqueue([Path("/a")], origin="watch")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(QueueUnavailableError, match="newer searchapp"):
        JobQueue(db).claim(_worker(), 1)


_PRODUCER = """
import sys
from pathlib import Path
from searchapp.worker.queue import JobQueue
queue = JobQueue(Path(sys.argv[1]))
for n in range(100):
    queue.enqueue([Path(f"/p{sys.argv[2]}/{n}.txt")], origin="upload", request_id=f"r{n}")
"""


def test_producers_in_other_processes_and_a_consumer_lose_nothing(db: Path) -> None:
    """Two processes enqueue while this one claims and completes: every path is done."""
    JobQueue(db).enqueue([], origin="watch")  # created before the race
    producers = [
        subprocess.Popen([sys.executable, "-c", _PRODUCER, str(db), str(n)]) for n in range(2)
    ]
    queue, me, done = JobQueue(db), _worker(), set()
    deadline = time.monotonic() + 300  # generous: the loop ends once all are done
    while time.monotonic() < deadline:
        finished = all(p.poll() is not None for p in producers)  # before the claim
        jobs = queue.claim(me, 7)
        for job in jobs:
            queue.complete(job, outcome="ingested")
            done.add(job.path)
        if not jobs and finished:
            break
    assert [p.wait() for p in producers] == [0, 0]
    assert done == {Path(f"/p{p}/{n}.txt") for p in range(2) for n in range(100)}
    assert StatusBoard(queue).snapshot().counts["done"] == 200
