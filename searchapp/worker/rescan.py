"""The safety net under the file-system events: walk the roots, queue what changed.

The ingest manifest says what changed (searchapp/ingest/changes.py): a file is
queued when it is new or its size or mtime differs from what was last ingested,
skipped or failed (by the worker or by `searchapp ingest`), and a recorded file
that is no longer on disk is queued to be removed. Paths already waiting or
running are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from searchapp.ingest.changes import IngestedFiles
from searchapp.worker.queue import JobQueue

log = logging.getLogger("searchapp.worker")


def rescan(files: IngestedFiles, queue: JobQueue, roots: Sequence[Path]) -> int:
    """Queue the changed and vanished files under ``roots``; returns how many."""
    present = [root for root in roots if root.is_dir()]
    for root in roots:
        if root not in present:
            log.warning("watched folder %s is missing; its files are left as they are", root)
    changes = files.changes_under(present)
    busy = queue.pending_paths()
    changed = [p for p in changes.changed if p not in busy]
    vanished = [p for p in changes.vanished if p not in busy]
    queue.enqueue([*changed, *vanished], origin="rescan")
    if changed or vanished:
        log.info("rescan: %d changed, %d vanished", len(changed), len(vanished))
    return len(changed) + len(vanished)
