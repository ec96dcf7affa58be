"""Ingest and search through a remote embedding endpoint, end to end with the CLI:
the fake server's faults are retried, the collection records the endpoint's model
and dimension, queries go through the same model, and the key is shown nowhere."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from searchapp.config import DEFAULT_TEXT_MODEL
from tests import warm_cli
from tests.embed.fake_endpoint import DIM, KEY, MODEL, running

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOCUMENTS = {
    "bread.txt": "Feed a sourdough starter with flour and water every day.",
    "rocks.txt": "Granite is an igneous rock rich in quartz and feldspar.",
    "coffee.txt": "A pour-over uses fifteen grams of coffee for 250 grams of water.",
}


def test_ingest_and_search_through_the_endpoint(tmp_path: Path) -> None:
    with running() as server:
        docs = tmp_path / "docs"
        docs.mkdir()
        for name, text in DOCUMENTS.items():
            (docs / name).write_text(text)
        env = {
            **os.environ,
            "SEARCHAPP_STATE_DIR": str(tmp_path / "state"),
            "SEARCHAPP_LITE_SHARED": "false",
            "SEARCHAPP_TEXT_MODEL": f"endpoint:{MODEL}",
            "SEARCHAPP_TEXT_ENDPOINT_URL": server.url,
            "SEARCHAPP_TEXT_ENDPOINT_API_KEY": KEY,
        }

        def run(*args: str, key: str = KEY, **more: str) -> subprocess.CompletedProcess[str]:
            done = warm_cli.run(
                ["-v", *args],  # -v: INFO logs too
                {**env, "SEARCHAPP_TEXT_ENDPOINT_API_KEY": key, **more},
                timeout=400,
            )
            assert key not in done.stdout + done.stderr  # not in output, logs or errors
            return done

        def cli(*args: str) -> str:
            done = run(*args)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        server.faults += [
            {"status": 429, "headers": {"Retry-After": "0"}},
            {"status": 500, "body": {"error": {"message": "internal error"}}},
            {"status": 503},
        ]
        cli("ingest", str(docs))
        assert not server.faults  # every fault met, and retried past
        [text] = [
            c for c in json.loads(cli("stats", "--json"))["collections"] if c["space"] == "text"
        ]
        assert (text["model"], text["dim"], text["rows"]) == (f"endpoint:{MODEL}", DIM, 3)
        # The fake model gives the same vector to the same text: a document's own
        # text as the query finds it first, so queries use the endpoint's model too.
        for name, text in DOCUMENTS.items():
            hits = json.loads(cli("search", text, "--retrieval", "dense", "--json"))
            top = hits[0]
            assert top["source"].endswith(name), (name, top)
            assert top["score"] > 0.999
        # doctor says where the model is (the URL, never the key); `searchapp models`,
        # which shares doctor's check, is tested in tests/test_model_catalog.py.
        doctor = " ".join(cli("doctor").split())
        assert f"ok text model endpoint:{MODEL}: remote: {server.url}, {DIM}-d" in doctor
        assert "ok collection text" in doctor and f"endpoint:{MODEL} ({DIM}-d" in doctor

        # A refused key: a one-line error that says so, and does not repeat the key
        # (the fake server quotes it back, as OpenAI does).
        refused = run("search", "granite", "--json", key="sk-wrong-0d9e77a1")
        assert refused.returncode == 1
        assert "refused" in refused.stderr and "SEARCHAPP_TEXT_ENDPOINT_API_KEY" in refused.stderr

        # Another model is refused for the endpoint's collection, with the setting to use.
        (docs / "new.txt").write_text("Basalt is a volcanic rock.")
        other = run("ingest", str(docs), SEARCHAPP_TEXT_MODEL=DEFAULT_TEXT_MODEL)
        said = " ".join(other.stderr.split())
        assert other.returncode == 1, other.stdout + other.stderr
        assert f"holds vectors from endpoint:{MODEL} ({DIM}-d" in said
        assert f"set SEARCHAPP_TEXT_MODEL=endpoint:{MODEL}" in said
