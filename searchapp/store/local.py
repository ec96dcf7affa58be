"""Start, find and stop the shared Milvus Lite store process (see local_server)."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from searchapp.errors import StoreUnavailableError

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0


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

    def running(self) -> dict[str, object] | None:
        """The info of a live store process for this folder, or None."""
        info = _read_json(self.info_file)
        if info is None or "port" not in info or not _process_alive(int(info.get("pid", 0))):
            return None
        if not _port_answers(str(info["host"]), int(info["port"])):
            return None
        return info

    def ensure_running(self) -> str:
        """The URI of the store process, starting it first if none is running."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            info = self.running()
            if info is None:
                info = self._start()
        return f"http://{info['host']}:{info['port']}"

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
        # Serialises start/stop between commands launched at the same moment.
        with open(self.lock_file, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _start(self) -> dict[str, object]:
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


def _read_json(path: Path) -> dict[str, object] | None:
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
    # A zombie (exited, not yet reaped by its parent) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
