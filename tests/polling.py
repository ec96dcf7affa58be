"""Waiting in tests: a condition is polled until it holds, with a ceiling that only
a broken test reaches (never a fixed sleep, never a timed assertion), and free ports."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Long enough for the slowest condition on a machine busy with other jobs.
CEILING = 300.0


def until(
    condition: Callable[[], T],
    what: str = "the condition",
    timeout: float = CEILING,
    interval: float = 0.02,
) -> T:
    """Poll ``condition`` until it returns something true, and return that; fail
    naming ``what`` once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
