"""Limits on request bodies, enforced while they arrive: their size and their pace.

A body that declares a length over the limit is refused before any of it is
read; one without a declared length (chunked) is counted as it arrives and
refused once past the limit, so a huge upload is never received whole. The
refusal is a 413 with ``{"detail": message}``, as every other API error.

A body whose next part does not come within ``timeout`` seconds (a client
that stalls, or trickles a byte now and then to hold a connection and an open
upload file) is cut with a 408 and the connection is closed; the route's own
clean-up runs as for any failed read (an upload removes what it wrote).

(Starlette's own body limit answers in plain text when the declared length is
over, whatever the app's error handlers say.)
"""

from __future__ import annotations

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTimeout(HTTPException):
    """Raised from ``receive`` when a body's next part is late."""

    def __init__(self, timeout: float) -> None:
        super().__init__(
            status_code=408,
            detail=f"the request body stalled: no data for {timeout:g} s "
            "(SEARCHAPP_BODY_TIMEOUT_SECONDS)",
            headers={"Connection": "close"},
        )


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions from body reading on."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return (
        f"the request body is larger than the upload limit ({limit:,} bytes, "
        "SEARCHAPP_MAX_UPLOAD_BYTES)"
    )


class BodyLimit:
    """``limit`` for every body, except on ``streamed`` paths: routes that read the
    request stream themselves and hold each part to its own limit as it arrives
    (POST /api/ingest takes many files of up to the limit each)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        streamed: frozenset[str] = frozenset(),
        timeout: float | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.timeout is not None:
            receive = _paced(receive, self.timeout)
        if scope["path"] in self.streamed:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            refusal = JSONResponse({"detail": too_large_message(self.limit)}, status_code=413)
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _paced(receive: Receive, timeout: float) -> Receive:
    """``receive``, refusing a body part that takes longer than ``timeout`` to come.

    Only while the body is incomplete: afterwards, ``receive`` waits for the
    client to disconnect (a streamed response listens for that), untimed.
    """
    complete = False

    async def paced() -> Message:
        nonlocal complete
        if complete:
            return await receive()
        with anyio.move_on_after(timeout) as scope:
            message = await receive()
        if scope.cancelled_caught:
            raise BodyTimeout(timeout)
        if message["type"] != "http.request" or not message.get("more_body", False):
            complete = True
        return message

    return paced
