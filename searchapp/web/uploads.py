"""Read a multipart upload from the request stream, file by file, as it arrives.

Starlette's form parser spools every file to a temporary file before a route
sees it, so a size limit there is checked only after the whole body is in.
Here each part goes straight to an :class:`UploadWriter`, which counts bytes
as they come: an oversized file stops the upload at the limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request, UploadFile
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from searchapp.errors import InvalidUploadError, UnsupportedUploadError, UploadTooLargeError
from searchapp.worker.uploads import StoredUpload, UploadWriter

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD = "files"
_READ_CHUNK = 256 * 1024
# Room for a part's headers and boundary in the declared length of a body.
_PART_OVERHEAD = 16 * 1024


async def receive_files(
    request: Request, writer: UploadWriter, max_bytes: int, max_files: int
) -> list[StoredUpload]:
    """Stream the request's ``files`` parts into ``writer``; the written files, committed.

    Anything wrong (a bad form, a file too big or of the wrong type) removes
    what was written and raises: a request is accepted whole or not at all.
    """
    boundary = _boundary(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_files * (max_bytes + _PART_OVERHEAD):
        raise UploadTooLargeError(
            f"the request is larger than {max_files} files of the limit of {max_bytes} bytes "
            "(SEARCHAPP_MAX_UPLOAD_FILES, SEARCHAPP_MAX_UPLOAD_BYTES)"
        )
    parts = _Parts(writer)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            _parse(parser, chunk)
        _parse(parser, None)
        if not parts.ended:
            raise InvalidUploadError("the multipart body ended before its closing boundary")
        return await run_in_threadpool(writer.commit)
    except BaseException:
        writer.abort()
        raise


def _parse(parser: MultipartParser, chunk: bytes | None) -> None:
    try:
        if chunk is None:
            parser.finalize()
        else:
            parser.write(chunk)
    except MultipartParseError as exc:
        raise InvalidUploadError(f"malformed multipart body: {exc}") from None


def _boundary(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnsupportedUploadError(
            f"send the files as multipart/form-data, in the field {FIELD!r} "
            f"(got content type {content_type or 'none'!r})"
        )
    return boundary


class _Parts:
    """Callbacks of python-multipart's parser: one part's headers, then its data."""

    def __init__(self, writer: UploadWriter) -> None:
        self._writer = writer
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self.ended = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name != FIELD:
            raise InvalidUploadError(
                f"unexpected form field {name!r}: send files in the field {FIELD!r}"
            )
        filename = options.get(b"filename")
        if filename is None:
            raise InvalidUploadError(f"the field {FIELD!r} must hold files, not text")
        self._writer.begin(filename.decode("utf-8", "replace"))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._writer.write(data[start:end])

    def _part_end(self) -> None:
        self._writer.end()

    def _end(self) -> None:
        self.ended = True


def read_bounded(upload: UploadFile, limit: int) -> bytes:
    """A query image's bytes (a form upload, already spooled), read a chunk at a
    time and refused once past ``limit``."""
    data = bytearray()
    while chunk := upload.file.read(_READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise UploadTooLargeError(
                f"the upload is larger than {limit:,} bytes (the server's limit, "
                "SEARCHAPP_MAX_UPLOAD_BYTES)"
            )
    return bytes(data)
