"""Store outages under load (issue 15): the embedded store process hangs, then dies,
for several seconds while an ingest runs or while the web app answers searches.

The outage: the store process is stopped (SIGSTOP: calls meet their deadline),
held down for a few seconds once a client has noticed, then killed; the next
call starts it again. An ingest retries its writes and finishes with the same
index as a clean run (or stops with a clear error, and the next run finishes
it); the web app answers 503 with the reason during the outage and 200 after,
without a restart.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bench.milvus_server import StandaloneServer
from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.errors import StoreUnavailableError
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.manifest import Manifest
from searchapp.ingest.summary import FileResult
from searchapp.store import TEXT_SPEC
from searchapp.web import create_app
from tests.ingest.helpers import check_manifest_matches_store, prose
from tests.polling import until
from tests.store.lite_process import alive, paused, stop_store, store_pid

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]

# How long the store stays down once a client has noticed (issue 15: 5-20 s).
OUTAGE_SECONDS = 6.0
FIELDS = ("id", "source", "sha256", "text", "chunk_index", "char_start", "char_end", "vector")


def _shared_settings(state: Path, **extra: object) -> Settings:
    return Settings(
        state_dir=state,
        lite_shared=True,
        lite_idle_exit=0,
        store_timeout=2.0,
        store_retries=10,
        store_retry_backoff=0.5,
        search_consistency="Strong",
        **extra,
    )


def _outage(app: App) -> None:
    """Hang the store until this app has noticed, hold it down, then kill it."""
    state = app.settings.state_dir
    pid = store_pid(state)
    client = app.store._client  # the ResilientClient: counts what it lost
    noticed = client.losses
    with paused(pid):
        until(lambda: client.losses > noticed, "a client to notice the hung store")
        time.sleep(OUTAGE_SECONDS)  # the fault's length, not a synchronisation
        os.kill(pid, signal.SIGKILL)
    until(lambda: not alive(pid), "the killed store process to go")


def _text_rows(app: App) -> dict[str, dict]:
    handle = app.store.existing_collection(TEXT_SPEC)
    assert handle is not None
    return {row["id"]: row for row in handle.query("", list(FIELDS))}


def _manifest(app: App) -> dict[str, tuple[str, bool]]:
    manifest = Manifest.open(app.settings)
    try:
        rows = manifest._db.execute("SELECT source, sha256, status = 'done' FROM files").fetchall()
        return {source: (sha, bool(done)) for source, sha, done in rows}
    finally:
        manifest.close()


def _assert_same_index(got: App, clean: App) -> None:
    ours, theirs = _text_rows(got), _text_rows(clean)
    assert sorted(ours) == sorted(theirs)
    for key, row in theirs.items():
        mine = ours[key]
        for field in FIELDS[:-1]:
            assert mine[field] == row[field], (key, field)
        a, b = np.asarray(mine["vector"]), np.asarray(row["vector"])
        assert float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) >= 0.9999, key
    assert _manifest(got) == _manifest(clean)


class _OutageAfter:
    """An ingest progress hook that starts ``outage`` once ``files`` files are done."""

    def __init__(self, outage: Callable[[], None], files: int) -> None:
        self.outage = outage
        self.files = files
        self.done = 0
        self.thread: threading.Thread | None = None

    def advance(self, nbytes: float, chunks: int) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        self.done += 1
        if self.done == self.files:
            self.thread = threading.Thread(target=self.outage, daemon=True)
            self.thread.start()


def _ingest_through(outage: Callable[[], None], app: App, clean: App, tree: Path) -> None:
    """Ingest ``tree`` with ``outage`` starting early in the run; the result must
    equal ``clean``'s (a clean run of the same tree)."""
    ingest(clean, scan([tree]).files, roots=[tree])
    hook = _OutageAfter(outage, files=3)
    try:
        summary = ingest(app, scan([tree]).files, roots=[tree], progress=hook)
        stopped: StoreUnavailableError | None = None
    except StoreUnavailableError as exc:  # allowed: stop clearly, finish next run
        stopped = exc
    assert hook.thread is not None, "the outage never started: the tree is too small"
    hook.thread.join()
    assert app.store._client.losses >= 1, "the outage was never noticed"
    if stopped is not None:
        # Nothing recorded done that the store does not hold.
        done = {s for s, (_, ok) in _manifest(app).items() if ok}
        stored = {row["source"] for row in _text_rows(app).values()}
        assert done <= stored
        summary = ingest(app, scan([tree]).files, roots=[tree])
    assert summary.count(Outcome.FAILED) == 0, summary.problems(Outcome.FAILED)
    _assert_same_index(app, clean)
    check_manifest_matches_store(app)
    again = ingest(app, scan([tree]).files, roots=[tree])
    assert sum(again.rows_written.values()) == 0  # everything unchanged


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for n in range(40):
        (root / f"note{n:02}.md").write_text(f"# Note {n}\n\n{prose(n, 260)}\n")
    return root


def test_ingest_survives_a_store_outage(tree: Path, tmp_path: Path, embedders: Embedders) -> None:
    clean = App(
        Settings(state_dir=tmp_path / "clean", lite_shared=False, search_consistency="Strong"),
        embedders=embedders,
    )
    app = App(_shared_settings(tmp_path / "state", embed_batch_size=8), embedders=embedders)
    try:
        _ingest_through(lambda: _outage(app), app, clean, tree)
    finally:
        app.close()
        clean.close()
        stop_store(tmp_path / "state")


@pytest.mark.server
@pytest.mark.timeout(1500)  # starts Milvus twice, on a busy machine slowly
def test_ingest_survives_a_server_restart(tree: Path, tmp_path: Path, embedders: Embedders) -> None:
    # A server of its own: the session's server cannot be restarted under other tests.
    server = StandaloneServer(tmp_path / "server").start()
    clean = App(
        Settings(state_dir=tmp_path / "clean", lite_shared=False, search_consistency="Strong"),
        embedders=embedders,
    )
    settings = Settings(
        state_dir=tmp_path / "state",
        milvus_uri=server.uri,
        store_timeout=5.0,
        store_retries=14,  # about 5 minutes of waits: a restart on a busy machine is slow
        store_retry_backoff=1.0,
        search_consistency="Strong",
        embed_batch_size=8,
    )
    app = App(settings, embedders=embedders)
    try:
        _ingest_through(server.restart, app, clean, tree)
    finally:
        app.close()
        clean.close()
        server.stop()


@pytest.fixture
def served(tree: Path, tmp_path: Path, embedders: Embedders) -> Iterator[TestClient]:
    app = App(_shared_settings(tmp_path / "state"), embedders=embedders)
    try:
        ingest(app, scan([tree]).files)
        with TestClient(create_app(app)) as client:
            yield client
    finally:
        app.close()
        stop_store(tmp_path / "state")


def test_search_under_load_gives_503_during_an_outage_then_200(served: TestClient) -> None:
    app: App = served.app.state.searchapp
    stop = threading.Event()
    outage_over = threading.Event()
    statuses: Counter[int] = Counter()
    reasons: set[str] = set()
    ok_after: Counter[int] = Counter()  # per client: 200s after the outage ended
    lock = threading.Lock()

    def client(number: int) -> None:
        while not stop.is_set():
            over = outage_over.is_set()
            response = served.get("/api/search", params={"q": f"harbour ferry {number}"})
            with lock:
                statuses[response.status_code] += 1
                if response.status_code == 503:
                    reasons.add(response.json()["detail"])
                elif response.status_code == 200 and over:
                    ok_after[number] += 1

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for thread in clients:
        thread.start()
    try:
        until(lambda: statuses[200] >= 8, "searches to be answered before the outage")
        _outage(app)
        outage_over.set()
        until(
            lambda: all(ok_after[n] >= 3 for n in range(4)),
            "every client to get 200s again after the outage",
        )
    finally:
        stop.set()
        for thread in clients:
            thread.join(60)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] >= 1, statuses
    assert all("Milvus" in reason for reason in reasons), reasons
