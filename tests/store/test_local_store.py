"""The shared local store process lets several processes use one Lite folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from searchapp.embed import ModelIdentity
from searchapp.store import TEXT_SPEC, Store
from searchapp.store.local import LocalStore
from tests.store.rows import text_row

pytestmark = pytest.mark.integration


@pytest.fixture
def shared_settings(settings):
    shared = settings.model_copy(update={"lite_shared": True})
    yield shared
    LocalStore(shared.state_dir / "milvus.db").stop()


def test_two_processes_share_one_store(shared_settings) -> None:
    store = Store.connect(shared_settings)  # starts the store process
    store.collection(TEXT_SPEC, ModelIdentity("m", 4)).upsert(
        [
            text_row(
                id="a",
                source="/a",
                folders=["/"],
                title="",
                ext="",
                mtime=0.0,
                sha256="",
                char_end=0,
                text="",
                vector=[1, 0, 0, 0],
            )
        ]
    )
    info = LocalStore(shared_settings.state_dir / "milvus.db").running()
    assert info is not None and info["socket"].endswith(".sock")

    # Another process, while this one still holds its connection.
    env = {**os.environ, "SEARCHAPP_STATE_DIR": str(shared_settings.state_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "searchapp.cli", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [collection] = json.loads(done.stdout)["collections"]
    assert collection["rows"] == 1
    store.close()


def test_stop_and_restart_keep_the_data(shared_settings) -> None:
    local = LocalStore(shared_settings.state_dir / "milvus.db")
    store = Store.connect(shared_settings)
    store.collection(TEXT_SPEC, ModelIdentity("m", 4))
    store.close()
    first = local.running()
    assert local.stop() is True
    assert local.running() is None
    assert local.stop() is False
    store = Store.connect(shared_settings)  # starts a new process
    assert local.running()["pid"] != first["pid"]
    assert [i.name for i in store.describe([TEXT_SPEC])] == ["searchapp_text"]
    store.close()
