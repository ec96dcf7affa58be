"""The state folder and everything in it belong to this user alone.

searchapp keeps an index of people's private files: the Milvus Lite store, the
ingest manifest, the worker queue, uploads and thumbnails. New files are made
0600 and folders 0700 by a process umask set once at the command's entry (so
SQLite, JSON, Milvus Lite's and the store socket's files all follow it, with
no mode to remember at each ``open``), and the state folder itself is made
0700 when a process starts (a folder an older version created 0755 is
tightened).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077


def restrict_new_files() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """Create ``path`` 0700 (with its missing parents), or tighten it if it is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    stat = path.stat()
    if stat.st_uid == os.getuid() and stat.st_mode & 0o077:
        log.info("making %s private to this user (was %o)", path, stat.st_mode & 0o777)
        path.chmod(0o700)
    return path
