"""On Milvus Lite, batch workers take turns at the store: while one batch is searched,
the next is encoded, and it waits for the store instead of searching alongside
(Lite serves one search at a time; two at once slowed each other down)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np

from searchapp.config import Settings
from searchapp.search.batching import Batcher
from searchapp.search.query_batch import Found, RetrievalJob, serve_jobs
from searchapp.search.request import Retrieval
from tests.polling import until

DEADLINE = 60.0  # a ceiling for waits on events; never reached when things work


class Embedder:
    """Encodes anything as ones, and says which texts it encoded."""

    def __init__(self) -> None:
        self.encoded: dict[str, threading.Event] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            self.encoded.setdefault(text, threading.Event()).set()
        return np.ones((len(texts), 4), dtype=np.float32)

    def seen(self, text: str) -> threading.Event:
        return self.encoded.setdefault(text, threading.Event())


class Collection:
    """A store whose searches can be held open, counting searches in progress."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.searching = 0
        self.most = 0
        self.entered = threading.Event()
        self.two_at_once = threading.Event()
        self.release = threading.Event()

    def search(self, vectors: np.ndarray, **_: Any) -> list[list[dict[str, Any]]]:
        with self.lock:
            self.searching += 1
            self.most = max(self.most, self.searching)
            if self.searching == 2:
                self.two_at_once.set()
        self.entered.set()
        try:
            assert self.release.wait(DEADLINE)
            return [[{"id": "x", "score": 1.0}] for _ in vectors]
        finally:
            with self.lock:
                self.searching -= 1


class Gate:
    """A lock that counts the batches that came to it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = 0

    def __enter__(self) -> None:
        self.arrived += 1
        self.lock.acquire()

    def __exit__(self, *_: object) -> None:
        self.lock.release()


def run(gate: Any) -> tuple[Collection, list[Found]]:
    """Two batches, the second taken while the first is held in the store."""
    embedder, collection = Embedder(), Collection()
    settings = Settings()
    batcher: Batcher[RetrievalJob, Found] = Batcher(
        lambda jobs: serve_jobs(jobs, settings, gate), max_size=8, max_wait=0, workers=2
    )

    def job(text: str) -> RetrievalJob:
        return RetrievalJob(text, embedder, collection, Retrieval.DENSE, 5, ("id",))  # type: ignore[arg-type]

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher.submit, job("first"))
        assert collection.entered.wait(DEADLINE)  # the first batch is in the store
        second = pool.submit(batcher.submit, job("second"))
        # The second batch is encoded while the first is searched.
        assert embedder.seen("second").wait(DEADLINE)
        if isinstance(gate, nullcontext):  # ungated: it joins the first in the store
            assert collection.two_at_once.wait(DEADLINE)
        else:  # gated, it comes to the gate and waits there (or, broken, searches)
            until(lambda: gate.arrived == 2 or collection.searching == 2, "the second batch")
        searching_meanwhile = collection.searching
        collection.release.set()
        results = [first.result(DEADLINE), second.result(DEADLINE)]
    batcher.close()
    assert searching_meanwhile == (2 if isinstance(gate, nullcontext) else 1)
    return collection, results


def test_gated_batches_overlap_encoding_with_search_but_never_two_searches() -> None:
    collection, results = run(Gate())
    assert collection.most == 1
    assert [found.rows for found in results] == [[{"id": "x", "score": 1.0}]] * 2


def test_without_a_gate_a_server_takes_batches_together() -> None:
    collection, _ = run(nullcontext())
    assert collection.most == 2
