"""The state folder is this user's alone: folders 0700, files 0600, and the
embedded store listens on a Unix socket in it, not on TCP (issue 14)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.lite_process import local_store, stop_store, store_pid

pytestmark = [pytest.mark.integration, pytest.mark.model]


def _listening_tcp_inodes() -> set[str]:
    """Socket inodes of every TCP socket in LISTEN state on this machine (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def test_state_is_private_and_the_store_is_not_on_tcp(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# Private\n\nSomething only I should read.")
    state = tmp_path / "state"
    env = {
        **os.environ,
        "SEARCHAPP_STATE_DIR": str(state),
        "SEARCHAPP_LITE_SHARED": "true",
        "SEARCHAPP_LITE_IDLE_EXIT": "0",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "searchapp.cli", "ingest", str(docs)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr

        paths = [state, *state.rglob("*")]
        assert any(p.suffix == ".sqlite" for p in paths), "no manifest was written"
        assert any(p.name.endswith(".server.json") for p in paths)
        assert any(p.parent.name == "milvus.db" for p in paths), "no Milvus Lite files"
        too_open = {
            str(p.relative_to(tmp_path)): oct(p.lstat().st_mode & 0o777)
            for p in paths
            if p.lstat().st_mode & 0o077
        }
        assert too_open == {}, "state files readable or writable by others"
        assert stat.S_IMODE(state.stat().st_mode) == 0o700

        # The store: a Unix socket in the state folder, no TCP listener at all.
        info = json.loads(local_store(state).info_file.read_text())
        assert "port" not in info
        assert stat.S_ISSOCK(Path(info["socket"]).stat().st_mode)
        assert Path(info["socket"]).parent == state
        assert _socket_inodes(store_pid(state)) & _listening_tcp_inodes() == set()
    finally:
        stop_store(state)


def test_an_existing_open_state_folder_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)  # as an older searchapp left it
    env = {**os.environ, "SEARCHAPP_STATE_DIR": str(state), "SEARCHAPP_LITE_SHARED": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "searchapp.cli", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
