"""The safety net under the file-system events: walk the roots, queue what changed.

A file is queued when its size or mtime differs from what the worker last
synced (or it is new), and a synced file that is no longer on disk is queued
to be removed. Paths already waiting or running are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from searchapp.ingest.discover import discover
from searchapp.worker.queue import JobQueue

log = logging.getLogger("searchapp.worker")


def rescan(queue: JobQueue, roots: Sequence[Path]) -> int:
    """Queue the changed and vanished files under ``roots``; returns how many."""
    present = [root for root in roots if root.is_dir()]
    for root in roots:
        if root not in present:
            log.warning("watched folder %s is missing; its files are left as they are", root)
    on_disk = {f.path: (f.size, f.mtime) for f in discover(present)}
    seen = queue.seen_under(present)
    busy = queue.pending_paths()
    changed = [p for p, stat in on_disk.items() if seen.get(p) != stat and p not in busy]
    vanished = [p for p in seen if p not in on_disk and p not in busy]
    queue.enqueue([*changed, *vanished], origin="rescan")
    if changed or vanished:
        log.info("rescan: %d changed, %d vanished", len(changed), len(vanished))
    return len(changed) + len(vanished)
