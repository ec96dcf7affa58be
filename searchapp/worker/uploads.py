"""Files uploaded for ingest, stored under the uploads folder so the worker finds them.

A stored name is made here, never taken from the client: the request id, the
file's number in the request, a slug of the original name (letters, digits,
``-`` and ``_`` only, so it cannot climb out of the folder or hide itself) and
the original extension, which must be one ingest reads. Each file is written
to a hidden temporary file (the watcher and the scan skip hidden files),
fsynced, and renamed into place only when the whole request is good; the
caller then queues the files. A crash at any point leaves either nothing, a
hidden temporary (removed at the next upload), or a complete file that the
worker's rescan finds even if its job was never queued.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from searchapp.errors import (
    InvalidUploadError,
    QueueUnavailableError,
    UnsupportedUploadError,
    UploadQuotaError,
    UploadTooLargeError,
)
from searchapp.extract import TEXT_EXTENSIONS, file_type, is_text_file
from searchapp.extract.images import IMAGE_EXTENSIONS, is_image_file
from searchapp.media.formats import AUDIO_TYPES, VIDEO_TYPES, is_media_file

T = TypeVar("T")

MAX_FILES = 100  # the default of SEARCHAPP_MAX_UPLOAD_FILES
_TEMP_PREFIX = ".upload-"
# Temporaries older than this belong to requests that died.
_STALE_TEMP_SECONDS = 3600.0
_SLUG_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_LENGTH = 60
REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


def supported_extensions() -> list[str]:
    return sorted(TEXT_EXTENSIONS | IMAGE_EXTENSIONS | AUDIO_TYPES.keys() | VIDEO_TYPES.keys())


def new_request_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class StoredUpload:
    original_name: str
    path: Path
    size: int


@dataclass
class _Open:
    original_name: str
    final: Path
    temp: Path
    handle: BinaryIO
    size: int = 0


class UploadWriter:
    """The files of one request, streamed to disk and checked as they come.

    ``max_files`` bounds the files of the request; ``quota`` the bytes the
    uploads folder may hold, this request included (uploads running at the
    same moment each see the folder as it was when they started, so together
    they may pass it by what they carry).
    """

    def __init__(
        self,
        root: Path,
        request_id: str,
        max_bytes: int,
        *,
        max_files: int = MAX_FILES,
        quota: int | None = None,
    ) -> None:
        self.root = root
        self.request_id = request_id
        self._max_bytes = max_bytes
        self._max_files = max_files
        self._current: _Open | None = None
        self._written: list[_Open] = []
        self._guard(lambda: root.mkdir(parents=True, exist_ok=True))
        _remove_stale_temporaries(root)
        self._room = None if quota is None else quota - self._guard(lambda: _folder_bytes(root))
        self._received = 0

    def begin(self, original_name: str) -> None:
        """Start the next file; refuses a name whose type ingest does not read."""
        if self._current is not None:
            raise InvalidUploadError("a file started before the previous one ended")
        if len(self._written) >= self._max_files:
            raise InvalidUploadError(
                f"too many files in one request (at most {self._max_files}, "
                "SEARCHAPP_MAX_UPLOAD_FILES)"
            )
        base = re.split(r"[/\\]", original_name)[-1].strip()
        if not base:
            raise InvalidUploadError("a file was sent without a file name")
        if not (is_text_file(base) or is_image_file(base) or is_media_file(Path(base))):
            raise UnsupportedUploadError(
                f"{base!r}: unsupported file type {file_type(base) or '(no extension)'!r}; "
                f"supported: {' '.join(supported_extensions())}"
            )
        extension = file_type(base)
        slug = _SLUG_CHARS.sub("-", base[: len(base) - len(extension)]).strip("-_")
        name = f"{self.request_id}-{len(self._written):02d}"
        name += f"-{slug[:_SLUG_LENGTH]}" if slug else ""
        temp = self.root / f"{_TEMP_PREFIX}{name}{extension}"
        handle = self._guard(lambda: open(temp, "xb"))  # noqa: SIM115 (closed in end/abort)
        self._current = _Open(base, self.root / f"{name}{extension}", temp, handle)

    def write(self, data: bytes) -> None:
        current = self._require_current()
        current.size += len(data)
        self._received += len(data)
        if self._room is not None and self._received > self._room:
            raise UploadQuotaError(
                "the uploads folder is full: it may hold "
                "SEARCHAPP_UPLOADS_QUOTA_BYTES, and this upload would pass that; "
                "remove ingested uploads, or raise the quota"
            )
        if current.size > self._max_bytes:
            raise UploadTooLargeError(
                f"{current.original_name!r} is larger than the limit of "
                f"{self._max_bytes} bytes (SEARCHAPP_MAX_UPLOAD_BYTES)"
            )
        self._guard(lambda: current.handle.write(data))

    def end(self) -> None:
        current = self._require_current()
        if current.size == 0:
            raise InvalidUploadError(f"{current.original_name!r} is empty")

        self._guard(current.handle.flush)
        self._written.append(current)
        self._current = None

    def commit(self) -> list[StoredUpload]:
        """Move every file into place (durably); then the caller may queue them.

        It waits for the disk (fsync): call it off the event loop.
        """
        if self._current is not None:
            raise InvalidUploadError(f"{self._current.original_name!r} was cut off")
        if not self._written:
            raise InvalidUploadError(
                "no files: send one or more files as multipart/form-data field 'files'"
            )

        def move() -> None:
            # Contents on disk before any name points at them, names before the job.
            for item in self._written:
                os.fsync(item.handle.fileno())
                item.handle.close()
            for item in self._written:
                os.rename(item.temp, item.final)
            _fsync_folder(self.root)

        self._guard(move)
        return [StoredUpload(i.original_name, i.final, i.size) for i in self._written]

    def abort(self) -> None:
        """Remove what this request wrote, moved into place or not: it was not accepted
        (a failed check, or the queue refused it), so the rescan must not find it."""
        items = [*self._written, *([self._current] if self._current else [])]
        for item in items:
            item.handle.close()
            item.temp.unlink(missing_ok=True)
            item.final.unlink(missing_ok=True)
        self._written, self._current = [], None

    def _require_current(self) -> _Open:
        if self._current is None:
            raise InvalidUploadError("file data came outside a file part")
        return self._current

    def _guard(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except OSError as exc:
            raise QueueUnavailableError(
                f"could not store the upload under {self.root}: {exc.strerror or exc}"
            ) from exc


def _fsync_folder(folder: Path) -> None:
    # The renames are durable only once the folder's entries are on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _folder_bytes(root: Path) -> int:
    """What the uploads folder holds now, in bytes (its files, at any depth)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue  # removed while we looked
    return total


def _remove_stale_temporaries(root: Path) -> None:
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for temp in root.glob(f"{_TEMP_PREFIX}*"):
        try:
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
        except OSError:
            continue  # another request removed it, or it is not ours to remove
