"""The files of a run, found up front (so progress can show totals and an ETA),
and sorted once by how they are ingested."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.kinds import SortedFiles, sort_files
from searchapp.ingest.shards import Shard, share_of


@dataclass(frozen=True)
class Scan:
    """The files of a run and the paths they were found under (the roots deletes
    and shards refer to)."""

    files: list[FoundFile]
    roots: list[Path] = field(default_factory=list)
    presorted: SortedFiles | None = field(default=None, repr=False, compare=False)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @cached_property
    def sorted(self) -> SortedFiles:
        """``files`` by kind (kinds.py), sorted on first use only."""
        return self.presorted if self.presorted is not None else sort_files(self.files)

    def share(self, shard: Shard | None) -> Scan:
        """The files of one shard (see shards.py); all of them for None."""
        if shard is None:
            return self
        shared = share_of(self.sorted, self.roots, shard)
        # Already sorted: ingest sorts no more.
        return Scan([f for f in self.files if f.path in shared.paths], self.roots, shared)


def scan(
    paths: Sequence[Path], *, roots: Sequence[Path] | None = None, follow_outside: bool = False
) -> Scan:
    """The files under ``paths``; symlinks out of ``roots`` (default: ``paths``) are
    reported unread unless ``follow_outside`` (SEARCHAPP_FOLLOW_SYMLINKS_OUTSIDE)."""
    files = discover(paths, roots=roots, follow_outside=follow_outside)
    return Scan(list(files), [Path(os.path.abspath(p)) for p in paths])
