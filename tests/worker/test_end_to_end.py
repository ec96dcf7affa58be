"""The issue's "done when": `searchapp serve` and `searchapp worker` as processes on
one shared Lite store; files dropped in a watched folder and uploaded over HTTP
both become searchable; a worker stopped mid-queue by SIGTERM, and once by
SIGKILL, loses and duplicates nothing when it runs again."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.store import TEXT_SPEC
from tests import warm_cli
from tests.polling import free_port, until
from tests.warm_cli import WarmRun

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.model]

TOPICS = [
    "Volcanoes erupt molten rock called lava from magma chambers.",
    "Bees collect nectar from flowers and turn it into honey in the hive.",
    "A derailleur moves the bicycle chain between the rear sprockets.",
    "Sourdough bread rises with wild yeast and lactic acid bacteria.",
    "Glaciers carve U-shaped valleys as they slide down mountains.",
    "The violin has four strings tuned in perfect fifths.",
    "Octopuses have three hearts and blue copper-based blood.",
    "Compound interest grows savings exponentially over the years.",
    "Penguins huddle together to survive the Antarctic winter.",
    "A lighthouse lens focuses its lamp into a beam seen far at sea.",
    "Chess openings such as the Sicilian defence fight for the centre.",
    "Tides rise and fall with the pull of the moon on the oceans.",
]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    variables = {
        **os.environ,
        "SEARCHAPP_STATE_DIR": str(tmp_path / "state"),
        "SEARCHAPP_TEST_RANDOM_CLIP": "1",
        "SEARCHAPP_WATCH_DEBOUNCE_SECONDS": "0.3",
        "SEARCHAPP_WORKER_BATCH_FILES": "1",  # one file per batch: stops land mid-queue
        "HF_HUB_OFFLINE": "1",
    }
    yield variables
    warm_cli.run(["store", "stop"], variables, timeout=60)


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[WarmRun] = []

    def start(self, name: str, *args: str) -> WarmRun:
        # Forked warm (tests/warm_cli.py): a process of its own, without the seconds
        # of importing torch and open_clip.
        log = self.logs / f"{name}-{len(self.started)}.log"
        process = WarmRun(args, self.env, log=log)
        self.started.append(process)
        return process

    def log_of(self, process: WarmRun) -> str:
        index = self.started.index(process)
        [path] = self.logs.glob(f"*-{index}.log")
        return path.read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def processes(env: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(env, logs)
    yield running
    running.stop_all()


def test_serve_and_worker_processes(
    env: dict[str, str], processes: Processes, tmp_path: Path, embedders: Embedders
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    port = free_port()
    serve = processes.start("serve", "serve", "--port", str(port), "--log-level", "warning")
    worker = processes.start("worker", "worker", str(watched))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        _scenario(env, processes, client, serve, worker, watched, embedders)


def _scenario(
    env: dict[str, str],
    processes: Processes,
    client: httpx.Client,
    serve: WarmRun,
    worker: WarmRun,
    watched: Path,
    embedders: Embedders,
) -> None:

    def up() -> bool:
        assert serve.poll() is None, processes.log_of(serve)
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    until(up, "searchapp serve to answer")

    def status(request_id: str | None = None) -> dict[str, Any]:
        params = {"request_id": request_id} if request_id else {}
        answer = client.get("/api/ingest/status", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # 1. A file dropped in the watched folder and a file uploaded over HTTP.
    dropped = watched / "volcano.txt"
    dropped.write_text(TOPICS[0])
    upload = client.post(
        "/api/ingest", files=[("files", ("bees.md", f"# Bees\n\n{TOPICS[1]}".encode()))]
    )
    assert upload.status_code == 202, upload.text
    accepted = upload.json()
    uploaded = Path(accepted["items"][0]["path"])
    until(lambda: status(accepted["request_id"])["request"]["finished"], "the upload")
    assert status(accepted["request_id"])["request"]["items"][0]["outcome"] == "ingested"
    assert status()["worker_alive"] is True

    # Searched from another process, over the shared store: `searchapp search --json`.
    def top_hit(query: str) -> dict[str, Any]:
        done = warm_cli.run(["search", query, "--json", "-k", "1"], env, timeout=120)
        assert done.returncode == 0, done.stderr
        hits = json.loads(done.stdout)
        return hits[0] if hits else {"source": None}

    hit = until(
        lambda: (h := top_hit("how do bees make honey")) and h["source"] == str(uploaded) and h,
        "the upload searchable",
    )
    until(lambda: top_hit("lava and magma eruption")["source"] == str(dropped), "the dropped")
    # The uploads folder is an ingested root: the web app serves the file by its id.
    served = client.get(f"/api/items/{hit['id']}/file")
    assert served.status_code == 200, served.text
    assert served.content == uploaded.read_bytes()

    # 2. Many files queued; the worker is stopped mid-queue, gracefully (SIGTERM).
    names = [(f"topic{n:02d}.txt", TOPICS[n]) for n in range(2, len(TOPICS))]
    upload = client.post(
        "/api/ingest", files=[("files", (name, text.encode())) for name, text in names]
    )
    assert upload.status_code == 202, upload.text
    request_id = upload.json()["request_id"]
    until(lambda: status()["queue"]["done"] >= 3, "the batch to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, processes.log_of(worker)
    after_term = status(request_id)
    assert after_term["worker_alive"] is False
    assert after_term["queue"]["running"] == 0  # the batch was finished, not dropped
    pending = [i for i in after_term["request"]["items"] if i["state"] != "done"]
    assert pending, "the worker drained the queue before SIGTERM: nothing was mid-queue"
    assert all(i["state"] == "queued" for i in pending)

    # 3. Run again; killed (SIGKILL) while a file is being ingested.
    worker = processes.start("worker", "worker", str(watched))
    until(lambda: status()["queue"]["running"] > 0, "the restarted worker to claim a file")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    after_kill = status(request_id)
    assert after_kill["request"]["finished"] is False

    # 4. Run again: the killed worker's file is taken back, and everything finishes.
    worker = processes.start("worker", "worker", str(watched))
    until(lambda: status(request_id)["request"]["finished"], "the queue after the kill")
    items = status(request_id)["request"]["items"]
    assert [i["state"] for i in items] == ["done"] * len(names)
    assert {i["outcome"] for i in items} <= {"ingested", "unchanged"}

    # Nothing lost, nothing duplicated: one chunk per file in the text space.
    settings = Settings(state_dir=Path(env["SEARCHAPP_STATE_DIR"]), test_random_clip=True)
    app = App(settings, embedders=embedders)
    try:
        rows = app.store.existing_collection(TEXT_SPEC).query("", ["id", "source"])
    finally:
        app.close()
    per_source = Counter(row["source"] for row in rows)
    expected = {str(dropped), str(uploaded), *(i["path"] for i in items)}
    assert set(per_source) == expected
    assert set(per_source.values()) == {1}
    assert len({row["id"] for row in rows}) == len(rows)

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, processes.log_of(worker)
    assert "worker stopped" in processes.log_of(worker)


def test_a_second_stop_signal_puts_the_batch_back(
    env: dict[str, str], processes: Processes, tmp_path: Path
) -> None:
    from searchapp.worker import JobQueue, StatusBoard

    watched = tmp_path / "watched"
    watched.mkdir()
    for n, text in enumerate(TOPICS):
        (watched / f"t{n:02d}.txt").write_text(text)
    board = StatusBoard(JobQueue(Path(env["SEARCHAPP_STATE_DIR"]) / "worker-queue.db"))
    worker = processes.start("worker", "worker", str(watched))
    until(lambda: board.snapshot().counts["running"] > 0, "a file being ingested")
    worker.send_signal(signal.SIGTERM)
    # Two signals sent at once can arrive as one: the second after the first is seen.
    until(lambda: "stopping after" in processes.log_of(worker), "the first signal")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 130, processes.log_of(worker)
    counts = board.snapshot().counts
    assert counts["running"] == 0  # released, not left for a lease to expire
    assert counts["queued"] > 0 and counts["queued"] + counts["done"] == len(TOPICS)
    assert board.snapshot().worker_alive is False
