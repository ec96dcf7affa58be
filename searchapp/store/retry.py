"""Retry store calls that failed because Milvus was unreachable, with backoff.

Only calls that are safe to repeat go through here: upserts (same ids, same
rows), deletes, flushes and look-ups. Any other error is not retried: it would fail
the same way again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from searchapp.errors import StoreUnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 1  # 1: no retry
    backoff: float = 0.5  # seconds before the first retry, doubled after each
    max_backoff: float = 30.0

    def call(self, action: str, function: Callable[[], T]) -> T:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return function()
            except StoreUnavailableError as exc:
                if attempt == self.attempts:
                    if self.attempts == 1:
                        raise
                    raise StoreUnavailableError(
                        f"{exc} (gave up on '{action}' after {self.attempts} attempts)"
                    ) from exc
                log.warning(
                    "Milvus unavailable during %s (attempt %d of %d); retrying in %.1f s",
                    action,
                    attempt,
                    self.attempts,
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")  # the loop returns or raises
