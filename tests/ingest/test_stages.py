"""The overlapping stages of an ingest run: order, bounds and failure handling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from searchapp.ingest.stages import BackgroundWriter, read_ahead


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_read_ahead_keeps_input_order(workers: int) -> None:
    # Later items finish first; results must still come back in input order.
    def slow_for_early(n: int) -> int:
        time.sleep(0.002 * (10 - n))
        return n * n

    with read_ahead(slow_for_early, range(10), workers=workers, ahead=4) as results:
        assert list(results) == [n * n for n in range(10)]


def test_read_ahead_reads_in_other_threads_and_only_so_far_ahead() -> None:
    pulled: list[int] = []
    threads: set[str] = set()

    def items() -> Iterator[int]:
        for n in range(100):
            pulled.append(n)
            yield n

    def read(n: int) -> int:
        threads.add(threading.current_thread().name)
        return n

    with read_ahead(read, items(), workers=2, ahead=3) as results:
        assert next(results) == 0
        # The consumer took one result: at most `ahead` more were taken from the
        # input (counted where they are taken, so no waiting is needed to see it).
        assert len(pulled) <= 4
        assert list(results) == list(range(1, 100))
    assert all(name.startswith("searchapp-read") for name in threads)


def test_read_ahead_inline_when_no_workers() -> None:
    threads: set[str] = set()

    def read(n: int) -> None:
        threads.add(threading.current_thread().name)

    with read_ahead(read, range(3), workers=0, ahead=5) as results:
        list(results)
    assert threads == {threading.current_thread().name}


def test_read_ahead_raises_a_reader_error_in_order() -> None:
    def read(n: int) -> int:
        if n == 2:
            raise ValueError("boom")
        return n

    got: list[int] = []
    with (
        pytest.raises(ValueError, match="boom"),
        read_ahead(read, range(5), workers=2, ahead=2) as results,
    ):
        for n in results:
            got.append(n)
    assert got == [0, 1]


def test_leaving_read_ahead_early_stops_the_reading() -> None:
    started: list[int] = []

    def read(n: int) -> int:
        started.append(n)
        return n

    with pytest.raises(RuntimeError), read_ahead(read, range(1000), workers=2, ahead=10) as results:
        next(results)
        raise RuntimeError("the model failed")
    # Leaving cancelled the queued reads and waited for the running ones: no
    # reader thread is left that could start another.
    assert len(started) <= 12
    assert not [t for t in threading.enumerate() if t.name.startswith("searchapp-read")]


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_writer_runs_writes_in_order_and_follow_ups_in_the_calling_thread(depth: int) -> None:
    written: list[int] = []
    followed: list[int] = []
    caller = threading.current_thread().name
    follow_threads: set[str] = set()

    def then_for(n: int):
        def then() -> None:
            follow_threads.add(threading.current_thread().name)
            # A follow-up runs only after its own write is done.
            assert n in written
            followed.append(n)

        return then

    with BackgroundWriter(depth) as writer:
        for n in range(20):
            writer.submit(lambda n=n: written.append(n), then_for(n))
            # Never more than `depth` writes left unsettled.
            assert n + 1 - len(followed) <= depth
    assert written == list(range(20))
    assert followed == list(range(20))
    assert follow_threads == {caller}


def test_writer_overlaps_a_write_with_the_caller() -> None:
    release = threading.Event()
    with BackgroundWriter(1) as writer:
        writer.submit(release.wait, lambda: None)
        # submit returned while the write is still blocked: the caller goes on.
        assert not release.is_set()
        release.set()


def test_a_failed_write_raises_and_nothing_after_it_is_recorded() -> None:
    recorded: list[int] = []

    def write(n: int) -> None:
        if n == 2:
            raise ConnectionError("milvus went away")

    with pytest.raises(ConnectionError, match="milvus went away"), BackgroundWriter(2) as writer:
        for n in range(6):
            writer.submit(lambda n=n: write(n), lambda n=n: recorded.append(n))
    assert recorded == [0, 1]


def test_an_error_in_the_caller_cancels_writes_not_started() -> None:
    started: list[int] = []
    running = threading.Event()
    gate = threading.Event()

    def write(n: int) -> None:
        started.append(n)
        running.set()
        gate.wait()

    def release_once_the_rest_is_cancelled(writer: BackgroundWriter) -> None:
        # The first write is held until leaving the writer has cancelled the
        # others (polled: a condition, not a guess at how long that takes).
        # Given up after a generous deadline: then the other writes run and the
        # assert below fails, instead of the test hanging.
        queued = [future for future, _ in list(writer._pending)[1:]]
        deadline = time.monotonic() + 60
        while not all(f.cancelled() for f in queued) and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        gate.set()

    with pytest.raises(RuntimeError), BackgroundWriter(5) as writer:
        for n in range(4):
            writer.submit(lambda n=n: write(n), lambda: None)
        assert running.wait(60)  # the first write is running, the others queued
        threading.Thread(target=release_once_the_rest_is_cancelled, args=(writer,)).start()
        raise RuntimeError("model failed")
    assert started == [0]
