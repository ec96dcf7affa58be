"""Has a file changed since the ingest state recorded it? The one answer, from the
manifest (manifest.py), for a run and for the worker.

A file's *signature* is its size and mtime (and its caption sidecar's, for an
image): equal signatures mean "not changed" without reading the file. A run
(runner.py) skips a *done* file whose signature and recipe match; the worker
(its rescan, its event jobs, its folder deletes) asks :class:`IngestedFiles`,
which also counts a *skipped* or *failed* file as unchanged while its signature
matches, so such a file is not tried again until it changes. A *pending* entry
(a run was cut short) is always changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from searchapp.config import Settings
from searchapp.errors import SearchappError
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.kinds import SortedFiles, sort_files
from searchapp.ingest.manifest import Entry, Manifest, Status, manifest_path


def signature(found: FoundFile, sidecar: Path | None = None) -> str:
    """What says "this file has not changed" without reading it: size and mtime
    (an image's caption sidecar's too: editing the caption changes the image)."""
    parts = [f"{found.size}:{found.mtime!r}"]
    if sidecar is not None:
        try:
            stat = os.stat(sidecar)
            parts.append(f"{stat.st_size}:{stat.st_mtime!r}")
        except OSError:
            parts.append("no sidecar")
    return ";".join(parts)


def same_on_disk(entry: Entry | None, found: FoundFile, sidecar: Path | None = None) -> bool:
    """True when ``entry`` is settled (not pending) and records the file as it is now."""
    return (
        entry is not None
        and entry.status is not Status.PENDING
        and entry.signature == signature(found, sidecar)
    )


@dataclass(frozen=True)
class Changes:
    changed: list[Path]  # new, or not as the manifest records it
    vanished: list[Path]  # recorded, no longer on disk


class IngestedFiles:
    """What the ingest manifest of ``settings``' store records, for the worker.

    Each call opens the manifest and closes it again: the worker asks from
    several threads, and a SQLite connection belongs to one.
    """

    def __init__(self, settings: Settings) -> None:
        self._path = manifest_path(settings)

    def changes_under(self, roots: Sequence[Path]) -> Changes:
        """The files under the folders ``roots`` that changed, and the recorded files
        there that are gone (one manifest query per root)."""
        listed = sort_files(list(discover(roots)))
        with self._manifest() as manifest:
            recorded: dict[str, Entry] = {}
            for root in roots:
                recorded.update(manifest.entries_under(Path(os.path.abspath(root))))
        changed = [
            found.path
            for found, sidecar in _readable(listed)
            if not same_on_disk(recorded.get(str(found.path)), found, sidecar)
        ]
        on_disk = listed.paths
        # Not listed is not gone: a hidden file ingested by name is still there.
        vanished = [
            Path(source)
            for source in recorded
            if Path(source) not in on_disk and not os.path.lexists(source)
        ]
        return Changes(changed, vanished)

    def unchanged(self, paths: Sequence[Path]) -> set[Path]:
        """Those of ``paths`` (files) that are as the manifest records them. A caption
        sidecar is never among them: it is read with its image."""
        found: list[FoundFile] = []
        for path in paths:
            try:  # one at a time: a file deleted meanwhile is simply not unchanged
                found.extend(discover([path]))
            except SearchappError:
                continue
        listed = sort_files(found)
        with self._manifest() as manifest:
            entries = manifest.entries(str(found.path) for found, _ in _readable(listed))
        return {
            found.path
            for found, sidecar in _readable(listed)
            if same_on_disk(entries.get(str(found.path)), found, sidecar)
        }

    def under(self, folder: Path) -> list[Path]:
        """Every recorded file inside ``folder`` (at any depth)."""
        with self._manifest() as manifest:
            return [Path(source) for source in manifest.entries_under(folder)]

    @contextmanager
    def _manifest(self) -> Iterator[Manifest]:
        manifest = Manifest(self._path)
        try:
            yield manifest
        finally:
            manifest.close()


def _readable(listed: SortedFiles) -> Iterable[tuple[FoundFile, Path | None]]:
    """Every listed file the manifest may record, with its sidecar (sidecars are not)."""
    yield from ((found, None) for found in listed.documents)
    yield from ((image.found, image.sidecar) for image in listed.images)
    yield from ((item.found, None) for item in listed.media)
