"""The HTTP server `searchapp serve` runs: uvicorn, guarded against slow clients.

uvicorn closes idle keep-alive connections, but has no deadline for a
request's headers: a client that sends one header byte every few seconds
(slowloris) holds its connection for ever, and enough of them use up the
server. :class:`HeaderDeadlineProtocol` is uvicorn's h11 protocol with that
deadline: from the moment a connection opens, or a response is complete, the
next request's headers must be in within ``header_timeout`` seconds, or the
connection is closed. (Slow bodies are cut by the app itself: web/limits.py.)
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import uvicorn


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers are late."""

    header_timeout: float = 10.0  # set per server by :func:`server_config`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the headers are in (or the request failed)
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info(
                "closing a connection whose request headers took over %gs", self.header_timeout
            )
            self.transport.close()


def server_config(
    web: Any, *, host: str, port: int, log_level: str, header_timeout: float
) -> uvicorn.Config:
    """uvicorn's configuration for ``web``, with the header deadline."""
    import uvicorn

    protocol = type(
        "HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": header_timeout}
    )
    return uvicorn.Config(web, host=host, port=port, log_level=log_level, http=protocol)
