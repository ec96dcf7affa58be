"""Start, find and stop the shared Milvus Lite store process (see local_server)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchapp.errors import StoreUnavailableError

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0
# A Unix socket path holds at most 107 bytes (sun_path); longer ones go to a short folder.
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class LocalStore:
    """Where the files of the local store process for one Lite folder live."""

    data_dir: Path

    @property
    def info_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".server.json")

    @property
    def lock_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".server.lock")

    @property
    def log_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".server.log")

    @property
    def socket_path(self) -> Path:
        """Where the store process listens: beside its folder (0700), only this user."""
        beside = self.data_dir.with_name(self.data_dir.name + ".server.sock")
        if len(str(beside)) <= _MAX_SOCKET_PATH:
            return beside
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:20]
        return _private_runtime_dir() / f"{digest}.sock"

    def running(self) -> dict[str, Any] | None:
        """The info of a live store process for this folder, or None."""
        info = _read_json(self.info_file)
        if info is None or "socket" not in info or not _process_alive(int(info.get("pid", 0))):
            return None
        if not _socket_answers(str(info["socket"])):
            return None
        return info

    def ensure_running(self, *, idle_exit: float = 0.0) -> str:
        """The URI of the store process, starting it first if none is running.

        A new process exits by itself after ``idle_exit`` seconds without a
        request (0: never); the next call here starts another.
        """
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            info = self.running()
            if info is None:
                self._stop_outdated()
                info = self._start(idle_exit)
        return f"unix:{info['socket']}"

    def stop(self) -> bool:
        """Stop the store process; False when none was running."""
        with self._locked():
            info = self.running()
            if info is None:
                return False
            pid = int(info["pid"])
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + _STOP_TIMEOUT
            while _process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _process_alive(pid):
                os.kill(pid, signal.SIGKILL)
            self.info_file.unlink(missing_ok=True)
            return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Serialises start/stop between commands launched at the same moment; a
        # holder that never lets go is an error after a while, not a hang.
        with open(self.lock_file, "a+") as handle:
            deadline = time.monotonic() + _START_TIMEOUT + _STOP_TIMEOUT
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailableError(
                            f"another process has been starting or stopping the local "
                            f"store for {self.data_dir} for too long (lock {self.lock_file})"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _stop_outdated(self) -> None:
        # A store started by an older searchapp listens on TCP (its info has a
        # port, no socket) and still holds the folder: stop it so this one can open it.
        info = _read_json(self.info_file)
        if info is None or "socket" in info or "port" not in info:
            return
        pid = int(info.get("pid", 0))
        if _process_alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + _STOP_TIMEOUT
            while _process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)

    def _start(self, idle_exit: float) -> dict[str, object]:
        self.info_file.unlink(missing_ok=True)
        token = secrets.token_hex(8)
        with open(self.log_file, "ab") as log:
            # --detach: the store process outlives this command and is nobody's child.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "searchapp.store.local_server",
                    "--detach",
                    "--data-dir",
                    str(self.data_dir),
                    "--info-file",
                    str(self.info_file),
                    "--socket",
                    str(self.socket_path),
                    "--idle-exit",
                    str(idle_exit),
                    "--token",
                    token,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                close_fds=True,
                check=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            info = _read_json(self.info_file)
            if info is not None and info.get("token") == token:
                if "error" in info:
                    raise StoreUnavailableError(
                        f"the local Milvus Lite store for {self.data_dir} did not start: "
                        f"{info['error']}"
                    )
                if self.running() is not None:
                    return info
            time.sleep(0.05)
        raise StoreUnavailableError(
            f"the local Milvus Lite store for {self.data_dir} did not answer within "
            f"{_START_TIMEOUT:.0f}s ({_tail(self.log_file)}); see {self.log_file}"
        )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive, once all its
    # threads are gone: a killed process's leader is a zombie while its other
    # threads still exit and hold its files (the store's folder lock among them).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(") ")[-1][:1] != "Z":
                return True
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return Path(f"/proc/{pid}").exists()  # vanished meanwhile: gone


def _socket_answers(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            probe.connect(path)
            return True
    except OSError:
        return False


def _private_runtime_dir() -> Path:
    """A short folder only this user can enter, for sockets whose natural path is too long."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = Path(base) / f"searchapp-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    stat = folder.stat()
    if stat.st_uid != os.getuid() or stat.st_mode & 0o077:
        raise StoreUnavailableError(
            f"{folder} is not private to this user (owner {stat.st_uid}, mode "
            f"{stat.st_mode & 0o777:o}); remove it or use a shorter SEARCHAPP_STATE_DIR"
        )
    return folder


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
