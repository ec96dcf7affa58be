"""A per-client rate limit: one token bucket per client address.

Each client may make ``burst`` requests at once, then one more every
``60 / per_minute`` seconds. A request over the limit is told how long to wait
(the 429's Retry-After). Kept in memory, per web process: a restart forgets
the buckets, which only ever lets a client in sooner.

(A well-known library, pyrate-limiter, was considered: it keeps a background
leak thread per limiter and gives the wait only through its internals, where
this is thirty lines with the exact wait.)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Beyond this many clients, the ones whose bucket has refilled are forgotten,
# so a scan from many addresses cannot grow the table without bound.
_PRUNE_AT = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by client key; safe to share between threads."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0  # tokens per second
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token of ``client``'s bucket: 0.0 if it had one, else the seconds
        until it will have one (nothing is spent then)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= _PRUNE_AT:
                    self._prune(now)
                bucket = self._buckets[client] = _Bucket(self._burst, now)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds: round up, so a client that waits is let in."""
    return str(max(1, math.ceil(seconds)))
