"""The shared Lite store process exits when idle or when its folder is gone, and
the next command starts it again (issue 15)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from searchapp.config import Settings
from searchapp.embed import ModelIdentity
from searchapp.store import TEXT_SPEC, Store
from tests.polling import until
from tests.store.lite_process import alive, stop_store, store_pid

pytestmark = pytest.mark.integration


@pytest.fixture
def shared(tmp_path) -> Iterator[Settings]:
    settings = Settings(state_dir=tmp_path / "state", lite_shared=True, lite_idle_exit=0)
    yield settings
    stop_store(settings.state_dir)


def test_idle_store_exits_and_the_next_command_starts_it(shared: Settings) -> None:
    idle = shared.model_copy(update={"lite_idle_exit": 1.0})
    store = Store.connect(idle)
    store.collection(TEXT_SPEC, ModelIdentity("m", 4))
    first = store_pid(idle.state_dir)
    store.close()

    until(lambda: not alive(first), "the idle store process to exit by itself")

    again = Store.connect(idle)  # the next command
    assert store_pid(idle.state_dir) != first
    assert [info.name for info in again.describe([TEXT_SPEC])] == ["searchapp_text"]
    again.close()


def test_store_in_use_does_not_exit(shared: Settings) -> None:
    # Idle means no request for LITE_IDLE_EXIT seconds: a client that keeps asking
    # keeps it alive, over several times that period.
    idle = shared.model_copy(update={"lite_idle_exit": 1.0})
    store = Store.connect(idle)
    pid = store_pid(idle.state_dir)
    calls = 0

    def busy_for_a_while() -> bool:
        nonlocal calls
        store.versions(TEXT_SPEC)
        assert alive(pid), f"the store exited while in use (after {calls} calls)"
        calls += 1
        return calls >= 60  # about 6 s of polling at 0.1 s

    until(busy_for_a_while, "60 calls", interval=0.1)
    store.close()


def test_store_exits_when_its_folder_is_deleted(shared: Settings) -> None:
    store = Store.connect(shared)  # no idle exit: only the folder's removal stops it
    pid = store_pid(shared.state_dir)
    store.close()
    shutil.rmtree(shared.state_dir)
    until(lambda: not alive(pid), "the store process to exit after its folder was deleted")

    again = Store.connect(shared)  # the next command starts a new one in a new folder
    assert alive(store_pid(shared.state_dir))
    assert again.describe([TEXT_SPEC]) == []
    again.close()
