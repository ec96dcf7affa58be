"""The dynamic batcher alone (no Milvus, no model): what it gathers, when it waits,
and that each caller gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from searchapp.search.batching import Batcher
from tests.polling import until

# A ceiling for conditions polled below; never reached when things work.
DEADLINE = 60.0


class Recorder:
    """A handler that records its batches; the first ``hold`` batches wait for ``release``."""

    def __init__(self, hold: int = 0) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.hold = hold
        self.lock = threading.Lock()

    def __call__(self, jobs: Sequence[str]) -> list[str | Exception]:
        with self.lock:
            self.batches.append(list(jobs))
            held = len(self.batches) <= self.hold
        if held:
            assert self.release.wait(DEADLINE)
        return [ValueError(f"bad {job}") if job.startswith("bad") else job.upper() for job in jobs]


def test_a_job_at_an_idle_service_is_served_at_once_however_long_the_wait(
    pool: ThreadPoolExecutor,
) -> None:
    serve = Recorder()
    batcher = Batcher(serve, max_size=8, max_wait=3600.0)
    try:
        # A wait would take an hour; DEADLINE is only a ceiling for a broken batcher.
        assert pool.submit(batcher.submit, "a").result(timeout=DEADLINE) == "A"
        # One caller at a time (the last batch held one): still idle.
        assert pool.submit(batcher.submit, "b").result(timeout=DEADLINE) == "B"
        assert batcher.waits == 0
        assert serve.batches == [["a"], ["b"]]
    finally:
        batcher.close()


def test_a_job_at_an_idle_service_is_served_in_its_callers_thread() -> None:
    threads: list[str] = []

    def serve(jobs: Sequence[str]) -> list[str]:
        threads.append(threading.current_thread().name)
        return [job.upper() for job in jobs]

    batcher = Batcher(serve, max_size=8, max_wait=3600.0, name="batch")
    try:
        assert [batcher.submit("a"), batcher.submit("b")] == ["A", "B"]
        # No handoff to a worker thread and back.
        assert threads == [threading.current_thread().name] * 2
        assert batcher.inline == 2
    finally:
        batcher.close()


def test_while_every_slot_serves_new_jobs_queue_for_a_worker(pool: ThreadPoolExecutor) -> None:
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=8, max_wait=0.0, workers=1)
    try:
        first = pool.submit(batcher.submit, "first")  # served inline, held
        until(lambda: len(serve.batches) == 1)
        second = pool.submit(batcher.submit, "second")
        until(lambda: batcher.pending() == 1)  # no free slot: queued, not served inline
        serve.release.set()
        assert [first.result(), second.result()] == ["FIRST", "SECOND"]
        assert batcher.inline == 1
    finally:
        batcher.close()


def test_jobs_that_arrive_during_a_batch_are_served_together(pool: ThreadPoolExecutor) -> None:
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=32, max_wait=0.0)
    try:
        first = pool.submit(batcher.submit, "first")
        until(lambda: len(serve.batches) == 1)  # being served, held
        rest = [pool.submit(batcher.submit, f"job{n}") for n in range(5)]
        until(lambda: batcher.pending() == 5)
        serve.release.set()
        assert first.result() == "FIRST"
        assert [f.result() for f in rest] == [f"JOB{n}" for n in range(5)]
        assert serve.batches == [["first"], [f"job{n}" for n in range(5)]]
    finally:
        batcher.close()


def test_batches_are_bounded(pool: ThreadPoolExecutor) -> None:
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=2, max_wait=0.0)
    try:
        first = pool.submit(batcher.submit, "first")
        until(lambda: len(serve.batches) == 1)
        rest = [pool.submit(batcher.submit, f"job{n}") for n in range(5)]
        until(lambda: batcher.pending() == 5)
        serve.release.set()
        assert [f.result() for f in [first, *rest]] == ["FIRST"] + [f"JOB{n}" for n in range(5)]
        assert [len(batch) for batch in serve.batches] == [1, 2, 2, 1]
    finally:
        batcher.close()


def test_an_error_fails_its_own_caller_only(pool: ThreadPoolExecutor) -> None:
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=32, max_wait=0.0)
    try:
        first = pool.submit(batcher.submit, "first")
        until(lambda: len(serve.batches) == 1)
        good = pool.submit(batcher.submit, "good")
        until(lambda: batcher.pending() == 1)
        bad = pool.submit(batcher.submit, "bad one")
        until(lambda: batcher.pending() == 2)
        serve.release.set()
        assert first.result() == "FIRST" and good.result() == "GOOD"
        with pytest.raises(ValueError, match="bad one"):
            bad.result()
        assert serve.batches[1] == ["good", "bad one"]  # served together
    finally:
        batcher.close()


def test_under_load_a_batch_waits_for_as_many_jobs_as_the_last(
    pool: ThreadPoolExecutor,
) -> None:
    serve = Recorder(hold=1)
    # A clock that stands still: the service is never idle for long enough.
    batcher = Batcher(serve, max_size=32, max_wait=3600.0, clock=lambda: 0.0)
    try:
        first = pool.submit(batcher.submit, "first")
        until(lambda: len(serve.batches) == 1)
        three = [pool.submit(batcher.submit, f"a{n}") for n in range(3)]
        until(lambda: batcher.pending() == 3)
        serve.release.set()
        [f.result() for f in [first, *three]]
        assert batcher.waits == 0
        # The last batch held three, just now: the next waits for three (the
        # late ones wake it: no hour passes).
        later = [pool.submit(batcher.submit, "b0")]
        until(lambda: batcher.waits == 1)
        later += [pool.submit(batcher.submit, f"b{n}") for n in (1, 2)]
        assert [f.result() for f in later] == ["B0", "B1", "B2"]
        assert serve.batches[-1] == ["b0", "b1", "b2"]
    finally:
        batcher.close()


def test_after_a_quiet_spell_the_service_is_idle_again(pool: ThreadPoolExecutor) -> None:
    now = [0.0]
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=32, max_wait=3600.0, idle_after=1.0, clock=lambda: now[0])
    try:
        first = pool.submit(batcher.submit, "first")
        until(lambda: len(serve.batches) == 1)
        three = [pool.submit(batcher.submit, f"a{n}") for n in range(3)]
        until(lambda: batcher.pending() == 3)
        serve.release.set()
        [f.result() for f in [first, *three]]
        now[0] += 1.5  # nothing served for longer than idle_after
        assert batcher.submit("alone") == "ALONE"
        assert batcher.waits == 0
    finally:
        batcher.close()


def test_a_failing_handler_fails_its_batch_and_the_batcher_goes_on() -> None:
    calls = []

    def serve(jobs: Sequence[str]) -> list[str | Exception]:
        calls.append(list(jobs))
        if len(calls) == 1:
            raise RuntimeError("broken")
        return [job.upper() for job in jobs]

    batcher = Batcher(serve, max_size=4, max_wait=0.0)
    try:
        with pytest.raises(RuntimeError, match="broken"):
            batcher.submit("a")
        assert batcher.submit("b") == "B"
    finally:
        batcher.close()


def test_closing_serves_what_is_queued_then_refuses(pool: ThreadPoolExecutor) -> None:
    serve = Recorder(hold=1)
    batcher = Batcher(serve, max_size=4, max_wait=0.0, workers=2)
    first = pool.submit(batcher.submit, "first")
    until(lambda: len(serve.batches) == 1)
    closing = pool.submit(batcher.close)
    serve.release.set()
    closing.result()
    assert first.result() == "FIRST"
    with pytest.raises(RuntimeError, match="shutting down"):
        batcher.submit("late")


@pytest.fixture
def pool() -> ThreadPoolExecutor:
    with ThreadPoolExecutor(max_workers=16) as executor:
        yield executor
