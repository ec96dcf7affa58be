"""No credential in anything the app shows: a Milvus URI's user:password is masked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings, redacted_uri
from searchapp.web import create_app

SECRET = "hunter2-secret"
URI = f"http://admin:{SECRET}@127.0.0.1:9"  # nothing listens on port 9: the store is down


def test_uri_credentials_are_masked() -> None:
    assert redacted_uri(URI) == "http://***@127.0.0.1:9"
    assert redacted_uri("https://h:19530/?token=abc&db=x") == "https://h:19530/?token=***&db=x"
    assert redacted_uri("/home/me/.local/share/searchapp/milvus.db").endswith("milvus.db")


@pytest.mark.slow
def test_no_route_shows_the_uri_password(tmp_path, embedders) -> None:
    settings = Settings(state_dir=tmp_path / "state", milvus_uri=URI)
    app = App(settings, embedders=embedders)
    try:
        client = TestClient(create_app(app, warm=False))  # loopback: the owner sees details
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "127.0.0.1:9" in ready.json()["store"]  # details are shown ...
        collections = client.get("/api/collections")
        assert collections.status_code == 503 and "127.0.0.1:9" in collections.text
        status = client.get("/api/ingest/status")
        for response in (ready, collections, status):
            assert SECRET not in response.text  # ... but never the password
    finally:
        app.close()


@pytest.mark.slow
def test_doctor_and_stats_do_not_print_the_password(tmp_path) -> None:
    env = {
        "SEARCHAPP_STATE_DIR": str(tmp_path / "state"),
        "SEARCHAPP_MILVUS_URI": URI,
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    for command in (["stats"], ["doctor"], ["store", "status"]):
        done = subprocess.run(
            [sys.executable, "-m", "searchapp.cli", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert "127.0.0.1:9" in output, (command, output)
        assert SECRET not in output, (command, output)
