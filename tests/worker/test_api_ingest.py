"""POST /api/ingest and GET /api/ingest/status, through the web app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.worker.queue import JobQueue, WorkerIdentity
from searchapp.worker.status import StatusBoard


def _uploads(client: TestClient) -> Path:
    return client.app.state.searchapp.settings.resolved_uploads_dir


def _queue(client: TestClient) -> JobQueue:
    return JobQueue(client.app.state.searchapp.settings.worker_queue_path)


def _files_on_disk(client: TestClient) -> list[str]:
    folder = _uploads(client)
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_an_upload_is_stored_and_queued_before_the_answer(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        files=[
            ("files", ("notes.md", b"# Tea\nGreen tea is steamed.", "text/markdown")),
            ("files", ("photo.PNG", b"\x89PNG fake but named", "image/png")),
        ],
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert [i["name"] for i in body["items"]] == ["notes.md", "photo.PNG"]
    stored = [Path(i["path"]) for i in body["items"]]
    for path, content in zip(
        stored, [b"# Tea\nGreen tea is steamed.", b"\x89PNG fake but named"], strict=True
    ):
        assert path.parent == _uploads(api)
        assert path.read_bytes() == content
    assert stored[0].name.endswith("-notes.md") and stored[1].suffix == ".png"  # normalised
    assert stored[0].name.startswith(body["request_id"])
    assert body["worker_alive"] is False  # accepted all the same: it waits in the queue
    # Queued durably: a worker that opens the queue now finds both files.
    jobs = _queue(api).claim(WorkerIdentity.current(), 10)
    assert sorted(j.path for j in jobs) == sorted(stored)
    assert {j.request_id for j in jobs} == {body["request_id"]}


def test_client_paths_never_reach_the_file_system(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        files=[("files", ("../../etc/.evil name?.txt", b"hello", "text/plain"))],
    )
    assert answer.status_code == 202, answer.text
    [item] = answer.json()["items"]
    path = Path(item["path"])
    assert path.parent == _uploads(api)
    assert not path.name.startswith(".")  # a hidden file would never be ingested
    assert "/" not in path.name and ".." not in path.name and "?" not in path.name
    assert item["name"] == ".evil name?.txt"


def test_status_follows_a_request(api: TestClient) -> None:
    accepted = api.post("/api/ingest", files=[("files", ("a.txt", b"alpha", "text/plain"))]).json()
    status = api.get(accepted["status_url"])
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["queue"] == {"queued": 1, "running": 0, "done": 0, "failed": 0}
    assert body["worker_alive"] is False and body["workers"] == []
    assert body["request"]["finished"] is False
    [item] = body["request"]["items"]
    assert (item["name"], item["state"]) == ("a.txt", "queued")

    # A worker claims it, beats, then finishes it with an error.
    queue, worker = _queue(api), WorkerIdentity.current()
    board = StatusBoard(queue)
    board.register(worker, [_uploads(api)])
    [job] = queue.claim(worker, 1)
    board.heartbeat(worker, job.path)
    body = api.get("/api/ingest/status").json()
    assert body["worker_alive"] is True
    assert body["current_file"] == str(job.path)
    assert body["queue"]["running"] == 1 and body["running"] == [str(job.path)]
    queue.complete(job, outcome="failed", reason="cannot read it", failed=True)
    body = api.get(accepted["status_url"]).json()
    assert body["queue"]["failed"] == 1
    assert body["request"]["finished"] is True
    assert body["request"]["items"][0]["reason"] == "cannot read it"
    [error] = body["recent_errors"]
    assert error["path"] == str(job.path) and error["request_id"] == accepted["request_id"]
    assert body["files_per_second"] > 0 and body["finished_last_minute"] == 1
    board.stopped(worker)
    assert api.get("/api/ingest/status").json()["worker_alive"] is False


def test_recordings_are_accepted_like_documents(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        files=[
            ("files", ("memo.mp3", b"ID3 not really sound", "audio/mpeg")),
            ("files", ("clip.MP4", b"not really a video", "video/mp4")),
        ],
    )
    assert answer.status_code == 202, answer.text
    assert [Path(i["path"]).suffix for i in answer.json()["items"]] == [".mp3", ".mp4"]


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([], 415, "multipart/form-data"),  # httpx sends no multipart body at all
        ([("files", ("empty.txt", b"", "text/plain"))], 400, "is empty"),
        ([("files", ("tool.exe", b"MZ", "application/octet-stream"))], 415, "unsupported"),
        ([("files", ("noext", b"data", "text/plain"))], 415, "no extension"),
        ([("files", ("big.txt", b"x" * 1001, "text/plain"))], 413, "1000 bytes"),
        ([("other", ("a.txt", b"data", "text/plain"))], 400, "unexpected form field"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    api: TestClient, files: list, status: int, message: str
) -> None:
    answer = api.post("/api/ingest", files=files) if files else api.post("/api/ingest")
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert _files_on_disk(api) == []  # nothing of a refused request stays
    assert StatusBoard(_queue(api)).snapshot().counts["queued"] == 0


def test_one_bad_file_refuses_the_whole_request(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        files=[
            ("files", ("good.txt", b"fine", "text/plain")),
            ("files", ("bad.exe", b"MZ", "application/octet-stream")),
        ],
    )
    assert answer.status_code == 415
    assert "bad.exe" in answer.json()["detail"]
    assert _files_on_disk(api) == []


def test_a_text_field_and_an_empty_form_are_refused(api: TestClient) -> None:
    answer = api.post("/api/ingest", data={"files": "just text"}, files=[("x", ("", b""))])
    assert answer.status_code == 400
    no_files = api.post(
        "/api/ingest",
        content=b"--b--\r\n",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert no_files.status_code == 400 and "no files" in no_files.json()["detail"]


def test_a_malformed_body_is_a_400(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        content=b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        b"\r\nhello",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert answer.status_code == 400, answer.text
    assert _files_on_disk(api) == []


def test_a_declared_length_over_every_limit_is_refused_before_reading(api: TestClient) -> None:
    answer = api.post(
        "/api/ingest",
        content=b"--b--\r\n",
        headers={
            "content-type": "multipart/form-data; boundary=b",
            "content-length": str(10**12),
        },
    )
    assert answer.status_code == 413


def test_status_of_an_unknown_or_malformed_request_id(api: TestClient) -> None:
    missing = api.get("/api/ingest/status", params={"request_id": "0123456789abcdef"})
    assert missing.status_code == 404 and "0123456789abcdef" in missing.json()["detail"]
    assert api.get("/api/ingest/status", params={"request_id": "../x"}).status_code == 422


def test_the_upload_form_is_in_the_openapi_document(api: TestClient) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/api/ingest"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["files"]
    assert {"202", "400", "413", "415"} <= set(operation["responses"])


def test_an_upload_the_queue_refuses_is_a_503_and_leaves_no_file(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchapp.errors import QueueUnavailableError

    def refuse(*args: object, **kwargs: object) -> int:
        raise QueueUnavailableError("the worker queue /x cannot be used: disk I/O error")

    monkeypatch.setattr(JobQueue, "enqueue", refuse)
    answer = api.post("/api/ingest", files=[("files", ("a.txt", b"alpha", "text/plain"))])
    assert answer.status_code == 503 and "disk I/O error" in answer.json()["detail"]
    assert _files_on_disk(api) == []


def test_files_each_under_the_limit_are_accepted_though_together_over_it(
    api: TestClient,
) -> None:
    # The limit is per file (1000 bytes here): 80 files of 900 bytes are 72 KB.
    files = [("files", (f"note{i}.txt", b"n" * 900, "text/plain")) for i in range(80)]
    answer = api.post("/api/ingest", files=files)
    assert answer.status_code == 202, answer.text
    assert len(answer.json()["items"]) == 80
