"""Find, kill, pause and wait for the shared Milvus Lite store process of a state folder.

Tests aim faults at the real store process (by the pid in its info file) and
then poll for the outcome with a generous deadline: no sleeps as
synchronisation, no wall-clock asserts.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from searchapp.store.local import LocalStore, _process_alive
from tests.polling import until

# Generous: the machine is shared with other CPU-heavy jobs.
DEADLINE = 180.0


def local_store(state_dir: Path) -> LocalStore:
    return LocalStore(state_dir / "milvus.db")


def store_pid(state_dir: Path) -> int:
    info = json.loads(local_store(state_dir).info_file.read_text())
    return int(info["pid"])


def alive(pid: int) -> bool:
    return _process_alive(pid)


def kill_store(state_dir: Path) -> int:
    """SIGKILL the store process; returns its pid once it is gone."""
    pid = store_pid(state_dir)
    os.kill(pid, signal.SIGKILL)
    until(lambda: not alive(pid), f"store process {pid} to die", DEADLINE)
    return pid


@contextmanager
def paused(pid: int) -> Iterator[None]:
    """The store process is stopped (SIGSTOP: hung, not dead) inside the block."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGCONT)


def stop_store(state_dir: Path) -> None:
    """Stop this test's store process (a paused one is resumed first)."""
    local = local_store(state_dir)
    try:
        pid = store_pid(state_dir)
    except (OSError, ValueError, KeyError):
        return
    if alive(pid):
        os.kill(pid, signal.SIGCONT)
        if local.stop() is False and alive(pid):
            os.kill(pid, signal.SIGKILL)
