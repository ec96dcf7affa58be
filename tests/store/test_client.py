"""ResilientClient: a deadline on every call, and a new connection after a lost store
(fast: a fake pymilvus client behind the real wrapper)."""

from __future__ import annotations

from typing import Any

import pytest
from pymilvus.exceptions import MilvusException

from searchapp.errors import StoreUnavailableError
from searchapp.store.client import ResilientClient


class FakeClient:
    def __init__(self, number: int, fail_with: Exception | None = None) -> None:
        self.number = number
        self.fail_with = fail_with
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    def search(self, *args: Any, **kwargs: Any) -> int:
        return self._call("search", kwargs)

    def flush(self, *args: Any, **kwargs: Any) -> int:
        return self._call("flush", kwargs)

    def close(self) -> None:
        self.closed = True

    def _call(self, name: str, kwargs: dict[str, Any]) -> int:
        self.calls.append((name, kwargs))
        if self.fail_with is not None:
            raise self.fail_with
        return self.number


class Connections:
    def __init__(self) -> None:
        self.made: list[FakeClient] = []
        self.fail_next: Exception | None = None

    def __call__(self) -> FakeClient:
        client = FakeClient(len(self.made), self.fail_next)
        self.fail_next = None
        self.made.append(client)
        return client


def _client(connections: Connections) -> ResilientClient:
    return ResilientClient(connections, uri="/state/milvus.db", timeout=7.0, slow_timeout=70.0)


def test_every_call_gets_a_deadline() -> None:
    connections = Connections()
    client = _client(connections)
    client.search("c", data=[])
    client.flush("c")
    client.search("c", timeout=1.0)  # a caller's own deadline wins
    assert [kwargs["timeout"] for _, kwargs in connections.made[0].calls] == [7.0, 70.0, 1.0]


def test_a_store_gone_is_reconnected_and_the_call_tried_once_more() -> None:
    connections = Connections()
    connections.fail_next = MilvusException(message="Fail connecting to server on unix:/x")
    client = _client(connections)
    assert client.search("c") == 1  # answered by a new connection
    assert connections.made[0].closed and client.losses == 1 and client.reconnects == 1


def test_a_store_still_gone_after_the_reconnect_is_unavailable() -> None:
    connections = Connections()
    client = _client(connections)
    down = MilvusException(message="Fail connecting to server on unix:/x")
    connections.made[0].fail_with = down
    connections.fail_next = down  # the new connection fails too
    with pytest.raises(StoreUnavailableError, match=r"cannot reach Milvus at /state/milvus\.db"):
        client.search("c")
    assert client.losses == 2
    assert client.search("c") == 2  # the store is back: the next call reconnects


def test_a_deadline_exceeded_is_a_lost_store_and_not_retried() -> None:
    connections = Connections()
    connections.fail_next = MilvusException(message="rpc error: Deadline Exceeded")
    client = _client(connections)
    with pytest.raises(StoreUnavailableError, match="did not answer in time"):
        client.search("c")
    assert len(connections.made[0].calls) == 1 and len(connections.made) == 1
    assert client.search("c") == 1  # the next call reconnects


def test_other_errors_keep_the_connection() -> None:
    connections = Connections()
    connections.fail_next = MilvusException(message="collection not found")
    client = _client(connections)
    with pytest.raises(MilvusException):  # the caller's translated() names the action
        client.search("c")
    assert client.losses == 0 and len(connections.made) == 1


def test_a_failed_reconnect_is_unavailable_and_retried_on_the_next_call() -> None:
    connections = Connections()
    client = _client(connections)
    connections.made[0].fail_with = MilvusException(message="server unavailable")

    def refuse() -> FakeClient:
        raise StoreUnavailableError("cannot reach Milvus (still down)")

    client._connect = refuse
    with pytest.raises(StoreUnavailableError, match="still down"):
        client.search("c")
    client._connect = connections
    assert client.search("c") == 1


def test_after_reconnect_runs_on_the_new_connection() -> None:
    connections = Connections()
    client = _client(connections)
    reloaded: list[int] = []
    client.after_reconnect = lambda new: reloaded.append(new.number)
    connections.made[0].fail_with = ConnectionError("reset by peer")
    assert client.search("c") == 1
    assert reloaded == [1]


def test_a_call_on_a_connection_another_thread_dropped_is_tried_on_the_new_one() -> None:
    connections = Connections()
    client = _client(connections)
    old = connections.made[0]

    def dropped_meanwhile(name: str, kwargs: dict[str, Any]) -> int:
        # While this call was on its way, another thread found the store lost,
        # dropped (closed) this connection and will reconnect.
        client._drop(old, "another thread")
        raise MilvusException(
            message="Unexpected error, message=<Cannot invoke RPC on closed channel!>"
        )

    old._call = dropped_meanwhile  # type: ignore[method-assign]
    assert client.search("c") == 1  # tried again on the new connection, not a 503
    assert client.losses == 1
