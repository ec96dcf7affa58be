"""A `searchapp serve` process for the benchmarks: a free port, and waiting until ready."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 600.0) -> None:
    """Return once ``base``/readyz answers 200; exit the benchmark if serve dies or is
    not ready within ``timeout`` seconds (it loads the models first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"searchapp serve exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    sys.exit(f"searchapp serve was not ready after {timeout:.0f} s")
