"""Find the files under the paths a user names: a fast scan, before any reading."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from searchapp.errors import SearchappError

#: Why a symlink is not followed (see :func:`discover`).
OUTSIDE_ROOTS = "symlink points outside the ingested folders"


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute, not resolved through symlinks (the path the user sees)
    size: int
    mtime: float
    # Why the file cannot be read at all (a symlink loop, a dangling symlink, a
    # folder that cannot be listed): reported as failed, never read.
    problem: str = ""


def discover(
    paths: Iterable[Path],
    *,
    include_hidden: bool = False,
    roots: Iterable[Path] | None = None,
    follow_outside: bool = False,
) -> Iterator[FoundFile]:
    """Every regular file under ``paths``, in a stable (sorted) order.

    Folders are walked recursively without following symlinked folders, so a
    symlink loop cannot trap the scan; symlinked files are included, and
    symlinks that loop or dangle are yielded with their ``problem``. Hidden
    files and folders (a leading dot) are left out unless ``include_hidden``.
    A path that does not exist is an error: it is almost always a typo.

    A symlinked file whose target is outside every root (``roots``, else the
    folders in ``paths``) is yielded with the problem OUTSIDE_ROOTS, unless
    ``follow_outside``: a link in a shared folder must not make any file the
    link's owner can name (``~/.ssh/id_rsa``) searchable. A file named itself
    in ``paths`` is read wherever it points (the user asked for it), unless
    ``roots`` are given (the worker names the files it found in its folders).
    """
    given_paths = [Path(os.path.abspath(p)) for p in paths]
    fence = None if follow_outside else _Fence(given_paths if roots is None else roots)
    for given, path in zip(paths, given_paths, strict=True):
        if not path.exists():
            raise SearchappError(f"no such file or folder: {given}")
        if path.is_dir():
            yield from _walk(path, include_hidden, fence)
        else:
            found = _stat(path)
            if found is not None:
                yield _fenced(found, fence if roots is not None else None)


class _Fence:
    """The real (symlink-resolved) folders a symlinked file may point into."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self._folders = [os.path.realpath(root) for root in roots if os.path.isdir(root)]

    def outside(self, path: Path) -> bool:
        target = os.path.realpath(path)
        return not any(
            target == folder or target.startswith(folder.rstrip(os.sep) + os.sep)
            for folder in self._folders
        )


def _fenced(found: FoundFile, fence: _Fence | None) -> FoundFile:
    if fence is None or found.problem or not found.path.is_symlink():
        return found
    if fence.outside(found.path):
        return FoundFile(found.path, 0, 0.0, problem=OUTSIDE_ROOTS)
    return found


def _walk(root: Path, include_hidden: bool, fence: _Fence | None) -> Iterator[FoundFile]:
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
                yield _fenced(found, fence)
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
