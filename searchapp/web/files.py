"""Which files the web app may serve: an ingested item's own file, under a served root.

No route takes a path: a file is named only by the id of an ingested item,
and its path is the one ingest recorded. Even so it is served only while
that path, resolved (symlinks followed, ``..`` removed), lies under one of
the served roots, so a symlink that now points elsewhere, or a store written
by someone else, cannot make the app read an arbitrary file.
"""

from __future__ import annotations

import stat as stat_mode
from dataclasses import dataclass
from pathlib import Path

from searchapp.config import Settings
from searchapp.errors import FileAccessDenied, FileGoneError
from searchapp.ingest.roots import recorded_roots
from searchapp.search.items import StoredItem


def served_roots(settings: Settings) -> list[Path]:
    """``SEARCHAPP_FILE_ROOTS``, else the folders ingest recorded (both resolved)."""
    if settings.file_roots:
        return list(settings.file_roots)
    return [root.resolve() for root in recorded_roots(settings.state_dir)]


@dataclass(frozen=True)
class ServedFile:
    """An item's file, checked: it exists, is a regular file and is under a root."""

    path: Path  # resolved
    size: int
    mtime_ns: int


def served_file(item: StoredItem, roots: list[Path]) -> ServedFile:
    """The file of ``item`` if it may be served; FileAccessDenied or FileGoneError if not."""
    recorded = Path(item.source)
    if not recorded.is_absolute():
        raise FileAccessDenied(f"item {item.id} has no absolute file path recorded")
    if not roots:
        raise FileAccessDenied(
            "no folders are served: set SEARCHAPP_FILE_ROOTS, or ingest with `searchapp "
            "ingest PATH`, which records PATH as one"
        )
    try:
        real = recorded.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise FileGoneError(
            f"the file of item {item.id} ({recorded.name}) no longer exists: it was moved "
            "or deleted since it was ingested; run `searchapp ingest` again"
        ) from None
    except (OSError, RuntimeError) as exc:  # a symlink loop, a permission error
        raise FileAccessDenied(f"the file of item {item.id} cannot be opened: {exc}") from None
    if not any(_is_within(real, root) for root in roots):
        raise FileAccessDenied(
            f"the file of item {item.id} is outside the served folders; add its folder to "
            "SEARCHAPP_FILE_ROOTS to serve it"
        )
    try:
        status = real.stat()
    except FileNotFoundError:
        raise FileGoneError(f"the file of item {item.id} was deleted just now") from None
    if not stat_mode.S_ISREG(status.st_mode):
        raise FileAccessDenied(f"the path of item {item.id} is not a regular file")
    return ServedFile(real, status.st_size, status.st_mtime_ns)


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
