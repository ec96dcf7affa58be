"""The worker's one door into ingestion: sync a batch of paths with the index.

Every call the worker makes into the ingest layer goes through here, so a
change of that layer's entry points is one edit: ``scan`` + ``ingest`` for
files that are there, ``remove`` for those that are gone (their rows and their
ingest state); the worker's folders are recorded as ingested roots, as
`searchapp ingest` records its paths.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.app import App
from searchapp.errors import SearchappError
from searchapp.extract.captions import SIDECAR_SUFFIXES, folder_names
from searchapp.extract.images import is_image_file
from searchapp.ingest import Outcome, ingest, remove, scan
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.roots import record_roots as _record_roots
from searchapp.ingest.summary import Progress

REMOVED = "removed"
CAPTION = "caption"  # a sidecar: read with its image, not a document of its own


@dataclass(frozen=True)
class PathResult:
    outcome: str  # an ingest Outcome value, "removed" or "caption"
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.FAILED.value


@dataclass
class SyncResult:
    paths: dict[Path, PathResult] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # run-wide: "images skipped: no CLIP"


def sync_paths(
    app: App,
    paths: Sequence[Path],
    progress: Progress | None = None,
    roots: Sequence[Path] = (),
) -> SyncResult:
    """Ingest the paths that are files and remove the rows of those that are gone.

    A symlink pointing outside ``roots`` (the watched folders) is reported
    and not read, unless SEARCHAPP_FOLLOW_SYMLINKS_OUTSIDE.

    Raises the ingest layer's SearchappError when the run as a whole cannot go
    on (store unreachable, model mismatch); a bad file is a failed result.
    """
    result = SyncResult()
    present = [p for p in paths if os.path.isfile(p)]
    gone = [p for p in paths if p not in present]
    # An image's caption is part of it: a changed or removed sidecar re-ingests
    # the image, and a sidecar never goes in without its image (or it would be
    # read as a document).
    related = [image for p in paths for image in _images_captioned_by(p)]
    found = _scan(
        [*present, *(i for i in related if i not in present)],
        roots,
        app.settings.follow_symlinks_outside,
    )
    if gone:
        remove(app, gone)
        result.paths.update({p: PathResult(REMOVED) for p in gone})
    if found:
        summary = ingest(app, found, progress=progress)
        result.notices.extend(summary.notices)
        by_path = {r.path: r for r in summary.results}
        for file in found:
            done = by_path.get(file.path)
            if done is None:
                result.paths[file.path] = PathResult(CAPTION)
            else:
                result.paths[file.path] = PathResult(done.outcome.value, done.reason)
    # A file that vanished between the check and the scan is gone.
    for path in present:
        if path not in result.paths:
            remove(app, [path])
            result.paths[path] = PathResult(REMOVED)
    return result


def record_roots(app: App, roots: Sequence[Path]) -> None:
    """Record the worker's folders as ingested roots, as `searchapp ingest` records its
    paths: the web app serves an item's file only from under one (when
    SEARCHAPP_FILE_ROOTS is not set), uploads included."""
    _record_roots(app.settings.state_dir, roots)


def _scan(paths: Sequence[Path], roots: Sequence[Path], follow_outside: bool) -> list[FoundFile]:
    found: list[FoundFile] = []
    for path in paths:
        # One at a time: scan refuses a path that vanished since the listing, and
        # the caller counts a path left out here as removed.
        try:
            # A symlink is checked against every watched folder, not just its own.
            found.extend(scan([path], roots=roots or None, follow_outside=follow_outside).files)
        except SearchappError:
            continue
    return found


def _images_captioned_by(path: Path) -> list[Path]:
    if path.suffix.lower() not in SIDECAR_SUFFIXES:
        return []
    return [
        path.with_name(name)
        for name in sorted(folder_names(path.parent))
        if Path(name).stem == path.stem and is_image_file(name)
    ]
