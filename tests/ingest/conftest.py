"""Fixtures of the ingest tests: a command run while a client searches continuously."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import Result
from typer.testing import CliRunner

from searchapp.cli import app as cli
from searchapp.search import SearchResult
from searchapp.store.local import LocalStore

# One search's outcome: ("ok" or "error", hits, the best hit's file name or the
# error, the result's notice).
Outcome = tuple[str, int, str, str | None]
WhileSearching = Callable[..., tuple[Result, list[Outcome]]]


@pytest.fixture
def while_searching() -> WhileSearching:
    """Run a `searchapp` command while a thread calls ``search`` again and again.

    Every outcome is recorded, errors included, in order; ``after`` keeps
    searching that many seconds after the command returned.
    """

    def run(
        search: Callable[[], SearchResult], args: list[str], *, after: float = 0.0
    ) -> tuple[Result, list[Outcome]]:
        stop = threading.Event()
        outcomes: list[Outcome] = []

        def search_continuously() -> None:
            while not stop.is_set():
                try:
                    result = search()
                except Exception as exc:  # recorded: the tests fail on it
                    outcomes.append(("error", 0, repr(exc), None))
                else:
                    top = Path(result.hits[0].source).name if result.hits else ""
                    outcomes.append(("ok", len(result.hits), top, result.notice))
                time.sleep(0.02)

        thread = threading.Thread(target=search_continuously)
        thread.start()
        try:
            done = CliRunner().invoke(cli, args)
            time.sleep(after)
        finally:
            stop.set()
            thread.join(timeout=60)
        return done, outcomes

    return run


@pytest.fixture(scope="session")
def helpers() -> ModuleType:
    """tests/ingest/helpers.py (trees, store read-backs, counting seams), loaded by path:
    tests are not a package (--import-mode=importlib)."""
    path = Path(__file__).with_name("helpers.py")
    spec = importlib.util.spec_from_file_location("ingest_test_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """A state folder for `searchapp` processes; its shared store process is stopped after."""
    state = tmp_path / "state"
    yield state
    LocalStore(state / "milvus.db").stop()
