"""Private files in the state folder: created 0600, replaced atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by this user only; a reader never sees half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the state folder: ours only
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:  # mkstemp creates the file 0600
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_or_create_private(path: Path, make: bytes) -> bytes:
    """The file's bytes; when it does not exist, ``make`` is written (0600) first.

    Two processes racing to create it agree on whichever wrote first.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the state folder: ours only
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(handle, "wb") as file:
        file.write(make)
    return make
