"""A limit on request bodies, enforced while they arrive.

A body that declares a length over the limit is refused before any of it is
read; one without a declared length (chunked) is counted as it arrives and
refused once past the limit, so a huge upload is never received whole. The
refusal is a 413 with ``{"detail": message}``, as every other API error.

(Starlette's own body limit answers in plain text when the declared length is
over, whatever the app's error handlers say.)
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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

    def __init__(self, app: ASGIApp, limit: int, streamed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed:
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
