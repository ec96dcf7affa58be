"""The worker SIGKILLed ten times while it drains a queue of uploads and watched-folder
changes, aimed between lease and ack among other phases: every accepted upload ends
ingested exactly once, nothing accepted is lost, and the status endpoint tells the
truth after the restarts.

Kills are aimed as in tests/ingest/test_crash.py: SEARCHAPP_FAULT_PAUSE makes the
worker log "fault point PHASE #N: pausing" and sleep there; the test kills it on
that line. Each run drains with `--once`, so a run that would never reach its
point ends (and the test says so) instead of idling. A job whose worker died
while running it counts an attempt (three fail it: the file may be what kills
the worker), so the plan never kills the same batch three times.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import ingest, scan
from searchapp.store.local import LocalStore
from searchapp.store.schema import ALL_SPECS
from searchapp.web import create_app
from tests.environment import searchapp_environment
from tests.warm_cli import WarmRun

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.model]

log = logging.getLogger(__name__)

# (phase, which time this run reaches it). Batches are one file each, taken in
# queue order: a kill at #1 hits the batch a killed run left, #2 or later lets
# earlier batches finish first, so no batch is killed three times.
PLAN = [
    ("lease", 1),
    ("ack", 2),
    ("pending", 1),
    ("lease", 2),
    ("upsert", 1),
    ("ack", 3),
    ("commit", 1),
    ("lease", 3),
    ("flush", 4),
    ("ack", 2),
]


def note(n: int, version: int = 0) -> str:
    subjects = ["harbour ferries", "sourdough bread", "granite quarries", "comet orbits"]
    subject = subjects[n % len(subjects)]
    return f"Note {n} (version {version}) about {subject}, written for the worker kill test."


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    yield folder
    LocalStore(folder / "milvus.db").stop()


@pytest.fixture
def api(state: Path, embedders: Embedders) -> Iterator[TestClient]:
    """The web app on the worker's state folder: uploads and the status endpoint."""
    app = App(Settings(state_dir=state, test_random_clip=True), embedders)
    with TestClient(create_app(app, warm=False)) as client:
        yield client
    app.close()


def worker_env(state: Path, **extra: str) -> dict[str, str]:
    return searchapp_environment(state, SEARCHAPP_WORKER_BATCH_FILES="1", **extra)


def start_worker(watched: Path, env: dict[str, str]) -> WarmRun:
    """`searchapp worker WATCHED --once`, forked warm (tests/warm_cli.py): eleven
    starts would each import torch and open_clip again."""
    return WarmRun(["worker", str(watched), "--once"], env, stderr_to_stdout=True)


def kill_at(watched: Path, state: Path, phase: str, occurrence: int) -> str:
    point = f"fault point {phase} #{occurrence}: pausing"
    env = worker_env(state, SEARCHAPP_FAULT_PAUSE=f"{phase}@{occurrence}:600000")
    process = start_worker(watched, env)
    seen: list[str] = []
    try:
        assert process.stdout is not None
        for raw in process.stdout:  # blocks until the next line: no polling
            line = raw.decode(errors="replace").rstrip()
            seen.append(line)
            if point in line:
                process.kill()  # SIGKILL
                return line
        raise AssertionError(
            f"the worker ended without reaching {phase} #{occurrence}:\n" + "\n".join(seen[-30:])
        )
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=120)


def upload(api: TestClient, names: list[str], first: int) -> str:
    files = [("files", (name, note(first + i).encode())) for i, name in enumerate(names)]
    response = api.post("/api/ingest", files=files)
    assert response.status_code == 202, response.text
    return response.json()["request_id"]


def opened(state: Path, prefix: str, embedders: Embedders) -> App:
    return App(
        Settings(state_dir=state, collection_prefix=prefix, test_random_clip=True), embedders
    )


def rows_by_source(state: Path, prefix: str, embedders: Embedders) -> dict[str, Counter[str]]:
    """space -> source -> rows; asserts no id is stored twice."""
    app = opened(state, prefix, embedders)
    try:
        found: dict[str, Counter[str]] = {}
        for spec in ALL_SPECS:
            handle = app.store.existing_collection(spec)
            rows = handle.query("", ["id", "source"]) if handle is not None else []
            ids = [row["id"] for row in rows]
            assert len(ids) == len(set(ids)), f"an id stored twice in {spec.space}"
            found[spec.space] = Counter(row["source"] for row in rows)
        return found
    finally:
        app.close()


def assert_done_means_indexed(
    api: TestClient, requests: list[str], state: Path, embedders: Embedders
) -> None:
    """What the status endpoint calls done is in the index now, before any restart.

    The final drain would hide an ack given too early (the start-up rescan
    ingests the file anyway), so the truth is checked right after each kill.
    """
    indexed = rows_by_source(state, "searchapp", embedders)["text"]
    for request_id in requests:
        answer = api.get("/api/ingest/status", params={"request_id": request_id}).json()
        for item in answer["request"]["items"]:
            if item["state"] == "done":
                assert indexed[item["path"]] > 0, f"reported done, not in the index: {item}"


@pytest.mark.timeout(2700)
def test_worker_killed_ten_times_loses_and_duplicates_nothing(
    tmp_path: Path,
    state: Path,
    api: TestClient,
    embedders: Embedders,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=__name__)
    watched = tmp_path / "watched"
    watched.mkdir()
    for n in range(6):
        (watched / f"watched{n}.txt").write_text(note(n))
    requests = [upload(api, [f"up{r}-{i}.txt" for i in range(3)], 100 + 10 * r) for r in range(3)]

    for number, (phase, occurrence) in enumerate(PLAN, start=1):
        line = kill_at(watched, state, phase, occurrence)
        log.info("kill %d landed at %s #%d: %s", number, phase, occurrence, line)
        assert_done_means_indexed(api, requests, state, embedders)
        # New work while no worker runs: a watched file changes or appears, and
        # every third kill an upload comes in.
        if number % 2:
            (watched / f"watched{number % 6}.txt").write_text(note(number % 6, number))
        else:
            (watched / f"added{number}.txt").write_text(note(50 + number))
        if number % 3 == 0:
            requests.append(upload(api, [f"late{number}.txt"], 200 + number))

    drained = start_worker(watched, worker_env(state))
    out, _ = drained.communicate(timeout=600)
    assert drained.returncode == 0, out.decode()[-3000:]

    # The status endpoint: every request finished, each item done; nothing
    # queued, running or failed; no worker shown alive (all were killed or stopped).
    status = api.get("/api/ingest/status").json()
    assert status["worker_alive"] is False, status
    assert status["queue"]["running"] == 0 and status["queue"]["queued"] == 0, status
    assert status["queue"]["failed"] == 0, status
    uploaded: list[str] = []
    for request_id in requests:
        answer = api.get("/api/ingest/status", params={"request_id": request_id}).json()
        assert answer["request"]["finished"] is True, answer
        assert {i["state"] for i in answer["request"]["items"]} == {"done"}, answer
        # "unchanged": a worker killed after ingest, before the ack; the retry
        # found the file already in the index (the index check below counts it once).
        assert {i["outcome"] for i in answer["request"]["items"]} <= {"ingested", "unchanged"}
        uploaded.extend(i["path"] for i in answer["request"]["items"])
    assert len(uploaded) == 3 * 3 + len(PLAN) // 3

    # The index: exactly what a clean ingest of the same files writes (each
    # upload once, the watched files in their last version), ids never twice.
    roots = [watched, state / "uploads"]
    clean = opened(state, "clean", embedders)
    try:
        found = scan(roots)
        assert ingest(clean, found.files, roots=found.roots).as_dict()["failed"] == 0
    finally:
        clean.close()
    ours = rows_by_source(state, "searchapp", embedders)
    theirs = rows_by_source(state, "clean", embedders)
    assert ours == theirs
    assert set(uploaded) <= set(ours["text"])
