"""Translate pymilvus failures into searchapp errors, at the store's boundary."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from searchapp.errors import StoreError, StoreUnavailableError

# Substrings pymilvus and gRPC use when the other end is not there.
_UNREACHABLE = (
    "fail connecting to server",
    "server unavailable",
    "connection refused",
    "deadline exceeded",
    "failed to connect",
    "open local milvus failed",
    "channel closed",
    # A call in flight on a connection another thread has just dropped (grpc's words).
    "closed channel",
    "unavailable",
    # A server that is still starting up (after a restart): its data node has not
    # registered yet, and flushes fail until it has.
    "node not found",
    "session not found",
)


def is_unreachable(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _UNREACHABLE)


@contextmanager
def translated(action: str, uri: str) -> Iterator[None]:
    """Run a store call; turn pymilvus/gRPC errors into StoreError subclasses."""
    import grpc
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except (MilvusException, grpc.RpcError, ConnectionError) as exc:
        lost = lost_store_error(uri, exc)
        if lost is not None:
            raise lost from exc
        message = _short(str(getattr(exc, "message", "") or exc))
        raise StoreError(f"Milvus failed to {action}: {message}") from exc


def lost_store_error(uri: str, exc: BaseException) -> StoreUnavailableError | None:
    """The error to raise when ``exc`` says the store is unreachable or hung, else None."""
    if isinstance(exc, ConnectionError):
        return StoreUnavailableError(unreachable_message(uri, str(exc)))
    if not type(exc).__module__.startswith(("pymilvus", "grpc")):
        return None
    code = getattr(exc, "code", None)
    status = code() if callable(code) else None  # grpc.RpcError's status code
    details = getattr(exc, "details", None)  # grpc.RpcError's own message
    raw = getattr(exc, "message", "") or (details() if callable(details) else "") or exc
    message = _short(str(raw))
    if getattr(status, "name", "") == "DEADLINE_EXCEEDED" or "deadline exceeded" in message.lower():
        return StoreUnavailableError(
            f"Milvus at {uri} did not answer in time (the deadline is SEARCHAPP_STORE_TIMEOUT, "
            "or SEARCHAPP_STORE_SLOW_TIMEOUT for flush and indexing): it is hung or overloaded"
        )
    if getattr(status, "name", "") == "UNAVAILABLE" or is_unreachable(message):
        return StoreUnavailableError(unreachable_message(uri, message))
    if "in state 'released'" in message:
        # The store restarted under this connection (pymilvus reconnected its channel
        # by itself) and starts with every collection released: a reconnect loads them.
        return StoreUnavailableError(
            f"Milvus at {uri} restarted and has not loaded the collection yet ({message})"
        )
    return None


def _short(message: str) -> str:
    """A server error's last line: Milvus puts a Go stack trace before the reason."""
    if "stack trace" not in message:
        return message
    return message.strip().splitlines()[-1].rsplit(".go:", 1)[-1].split(" ", 2)[-1]


def unreachable_message(uri: str, detail: str) -> str:
    if "open local milvus failed" in detail.lower():
        return (
            f"cannot open the Milvus Lite store at {uri}: another process holds it. "
            "Stop that process, or let searchapp share it through its local store "
            "process (the default URI does this)."
        )
    if _port_open(uri):
        return (
            f"Milvus at {uri} answers but refused the connection ({detail}). Check "
            "SEARCHAPP_MILVUS_TOKEN (or SEARCHAPP_MILVUS_USER/PASSWORD) and TLS: an "
            "https:// URI, and SEARCHAPP_MILVUS_TLS_CA for a private CA."
        )
    return (
        f"cannot reach Milvus at {uri} ({detail}). Check that the server is running "
        "and SEARCHAPP_MILVUS_URI points at it."
    )


def _port_open(uri: str) -> bool:
    """True when something listens at a server URI's host and port (Lite paths: False)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https", "tcp") or not parsed.hostname:
        return False
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 19530)
        with socket.create_connection((parsed.hostname, port), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False
