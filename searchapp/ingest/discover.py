"""Find the files under the paths a user names: a fast scan, before any reading."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from searchapp.errors import SearchappError


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute, not resolved through symlinks (the path the user sees)
    size: int
    mtime: float
    # Why the file cannot be read at all (a symlink loop, a dangling symlink, a
    # folder that cannot be listed): reported as failed, never read.
    problem: str = ""


def discover(paths: Iterable[Path], *, include_hidden: bool = False) -> Iterator[FoundFile]:
    """Every regular file under ``paths``, in a stable (sorted) order.

    Folders are walked recursively without following symlinked folders, so a
    symlink loop cannot trap the scan; symlinked files are included, and
    symlinks that loop or dangle are yielded with their ``problem``. Hidden
    files and folders (a leading dot) are left out unless ``include_hidden``.
    A path that does not exist is an error: it is almost always a typo.
    """
    for given in paths:
        path = Path(os.path.abspath(given))
        if not path.exists():
            raise SearchappError(f"no such file or folder: {given}")
        if path.is_dir():
            yield from _walk(path, include_hidden)
        else:
            found = _stat(path)
            if found is not None:
                yield found


def _walk(root: Path, include_hidden: bool) -> Iterator[FoundFile]:
    unlisted: list[OSError] = []
    for folder, dirnames, filenames in os.walk(root, onerror=unlisted.append, followlinks=False):
        while unlisted:
            yield _unlisted(unlisted.pop())
        if not include_hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            filenames = [f for f in filenames if not f.startswith(".")]
        dirnames.sort()
        for name in sorted(filenames):
            found = _stat(Path(folder) / name)
            if found is not None:
                yield found
    while unlisted:
        yield _unlisted(unlisted.pop())


def _unlisted(exc: OSError) -> FoundFile:
    reason = "permission denied" if isinstance(exc, PermissionError) else exc.strerror
    return FoundFile(Path(str(exc.filename)), 0, 0.0, problem=f"cannot list folder: {reason}")


def _stat(path: Path) -> FoundFile | None:
    try:
        stat = path.stat()
    except OSError as exc:
        if path.is_symlink():
            if exc.errno == errno.ELOOP:
                return FoundFile(path, 0, 0.0, problem="symlink loop")
            return FoundFile(path, 0, 0.0, problem="broken symlink (its target is missing)")
        # A file that vanished since the listing: there is nothing to read.
        return None
    if not path.is_file():
        return None
    return FoundFile(path=path, size=stat.st_size, mtime=stat.st_mtime)
