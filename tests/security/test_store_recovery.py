"""The web app outlives its store: a killed or hung store process gives 503s with
the reason, and the app reconnects by itself afterwards (issue 14).

The app runs in-process over a real shared Milvus Lite store process, as
``searchapp serve`` does; faults are aimed at that process by its pid.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Outcome, ingest, scan
from searchapp.web import create_app
from tests.polling import until
from tests.store.lite_process import (
    DEADLINE,
    kill_store,
    local_store,
    paused,
    stop_store,
    store_pid,
)

pytestmark = [pytest.mark.integration, pytest.mark.model]

DOCUMENTS = {
    "bees.md": "# Honey bees\n\nBees collect nectar from flowers and make honey in the hive.",
    "mars.txt": "Why Mars is red\n\nIron oxide dust, rust, covers the surface of Mars.",
    "chess.txt": "Chess openings\n\nThe Sicilian Defence answers e4 with c5.",
}


@pytest.fixture
def served(tmp_path: Path, embedders: Embedders) -> Iterator[TestClient]:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCUMENTS.items():
        (root / name).write_text(text)
    settings = Settings(
        state_dir=tmp_path / "state",
        lite_shared=True,
        lite_idle_exit=0,
        store_timeout=3.0,
        search_consistency="Strong",
    )
    app = App(settings, embedders=embedders)
    try:
        summary = ingest(app, scan([root]).files)
        assert summary.count(Outcome.INGESTED) == len(DOCUMENTS)
        with TestClient(create_app(app)) as client:
            yield client
    finally:
        app.close()
        stop_store(settings.state_dir)


def _top_source(client: TestClient) -> str:
    response = client.get("/api/search", params={"q": "where does honey come from"})
    assert response.status_code == 200, response.text
    return Path(response.json()["hits"][0]["source"]).name


def _ready(client: TestClient) -> bool:
    return client.get("/readyz").status_code == 200


def test_killed_store_gives_503_then_recovers_without_restart(served: TestClient) -> None:
    assert _top_source(served) == "bees.md"
    state = Path(served.app.state.searchapp.settings.state_dir)
    first = kill_store(state)

    # The outage: while this test holds Milvus Lite's own lock on the folder, a new
    # store process cannot open it, so requests find no store to reach or start.
    with _folder_locked(state / "milvus.db"):
        during = served.get("/api/search", params={"q": "honey"})
        assert during.status_code == 503
        assert "did not start" in during.json()["detail"]
        assert served.get("/readyz").status_code == 503

    # The next requests reconnect: the store process is started again.
    until(lambda: _ready(served), "/readyz to answer 200 after the store was killed")
    assert store_pid(state) != first
    assert _top_source(served) == "bees.md"


def test_store_gone_between_requests_is_restarted_by_the_next_one(served: TestClient) -> None:
    # An idle exit or a restart between two requests is invisible: the call that finds
    # the store gone starts it again and is answered.
    assert _top_source(served) == "bees.md"
    state = Path(served.app.state.searchapp.settings.state_dir)
    first = kill_store(state)
    assert _top_source(served) == "bees.md"
    assert store_pid(state) != first


def test_store_restarted_by_another_process_is_used_at_once(served: TestClient) -> None:
    # Another command (the worker, an ingest) started the store again before this
    # app's next request: pymilvus reconnects its channel by itself, to a store whose
    # collections are all released; the app loads them again and answers.
    assert _top_source(served) == "bees.md"
    app: App = served.app.state.searchapp
    first = kill_store(app.settings.state_dir)
    local_store(app.settings.state_dir).ensure_running()
    assert store_pid(app.settings.state_dir) != first
    assert _top_source(served) == "bees.md"
    assert _ready(served)


@contextmanager
def _folder_locked(data_dir: Path) -> Iterator[None]:
    with open(data_dir / "LOCK", "a+") as handle:

        def locked() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        # A killed process's leader shows as a zombie while its other threads still
        # exit and hold its files: wait for the lock rather than assume it is free.
        until(locked, "the killed store's lock on its folder to be released")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_hung_store_gives_503_within_the_deadline_then_recovers(served: TestClient) -> None:
    assert _top_source(served) == "bees.md"
    state = Path(served.app.state.searchapp.settings.state_dir)
    answers: list[int | str] = []

    def search() -> None:
        response = served.get("/api/search", params={"q": "honey"})
        answers.append(response.status_code)
        answers.append(response.json().get("detail", ""))

    with paused(store_pid(state)):
        # Without a deadline this request would block its thread as long as the store
        # hangs: the join below is a hang detector, not a timing assert.
        request = threading.Thread(target=search, daemon=True)
        request.start()
        request.join(DEADLINE)
        assert not request.is_alive(), "a request to a hung store never returned"
    status, detail = answers
    assert status == 503
    assert "did not answer in time" in str(detail) or "cannot reach" in str(detail)

    until(lambda: _ready(served), "/readyz to answer 200 after the store resumed")
    assert _top_source(served) == "bees.md"
