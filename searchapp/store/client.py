"""The one pymilvus client of a process: a deadline on every call, and a new
connection after the store was lost.

Every store call goes through :class:`ResilientClient`. It gives each call a
``timeout`` (pymilvus passes it to gRPC as a deadline), so a hung store fails
the call with "deadline exceeded" instead of blocking a request thread
forever. When a call fails because the store is unreachable, it drops the
connection and opens a new one, which for the embedded store re-reads the
store's info file and starts the store process again if it is gone, and
tries the call once more (not after a deadline: a hung store would only make
it wait twice). So ``serve`` recovers from a killed, restarted or idle-exited
store by itself; while the store cannot be reached, calls fail with
StoreUnavailableError (503).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from searchapp.store.errors import lost_store_error

if TYPE_CHECKING:
    from pymilvus import MilvusClient

log = logging.getLogger(__name__)

# Calls that may take long on a healthy store: they get the slow deadline.
_SLOW_CALLS = frozenset({"flush", "create_index", "load_collection", "create_collection"})
# Calls that do not talk to the store (no deadline, no connection needed).
_LOCAL_CALLS = frozenset({"prepare_index_params"})


class ResilientClient:
    """Stands in for a ``MilvusClient``; see the module's docstring."""

    def __init__(
        self,
        connect: Callable[[], MilvusClient],
        *,
        uri: str,
        timeout: float,
        slow_timeout: float,
    ) -> None:
        self._connect = connect
        self._uri = uri
        self._timeout = timeout
        self._slow_timeout = slow_timeout
        self._lock = threading.Lock()
        self._client: MilvusClient | None = connect()  # the first connection fails loudly
        self.reconnects = 0
        self.losses = 0  # calls that found the store lost (unreachable or hung)
        # Run with each new connection before any call uses it (the owner reloads
        # its collections: a restarted Lite store has them all released).
        self.after_reconnect: Callable[[MilvusClient], None] = lambda client: None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _LOCAL_CALLS:
            return getattr(self._current(), name)
        timeout = self._slow_timeout if name in _SLOW_CALLS else self._timeout

        def call(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            for attempt in (1, 2):
                client = self._current()
                try:
                    return getattr(client, name)(*args, **kwargs)
                except Exception as exc:
                    lost = lost_store_error(self._uri, exc)
                    if lost is None:
                        raise  # the caller's translated() says what failed
                    self._drop(client, f"{name}: {lost}")
                    # A store that went away (idle exit, restart) is started again by
                    # the reconnect: try once more. A hung one (deadline) is not retried,
                    # which would double the wait.
                    if attempt == 2 or "did not answer in time" in str(lost):
                        raise lost from exc
            raise AssertionError("unreachable")  # the loop returns or raises

        return call

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _current(self) -> MilvusClient:
        with self._lock:
            # One thread reconnects; the others wait for it instead of starting their own.
            if self._client is None:
                client = self._connect()
                try:
                    self.after_reconnect(client)
                except Exception as exc:
                    client.close()
                    lost = lost_store_error(self._uri, exc)
                    if lost is None:
                        raise
                    raise lost from exc
                self._client = client
                self.reconnects += 1
                log.warning("reconnected to the store")
            return self._client

    def _drop(self, client: MilvusClient, reason: str) -> None:
        with self._lock:
            if self._client is not client:
                return  # another thread dropped it already (and may have reconnected)
            self._client = None
            self.losses += 1
        log.warning("lost the store (%s); the next call reconnects", reason)
        _close_lost(client)


def _close_lost(client: MilvusClient) -> None:
    try:
        client.close()
    except Exception:  # a dead channel may fail to close; it is dropped anyway
        log.debug("closing the lost client failed", exc_info=True)
