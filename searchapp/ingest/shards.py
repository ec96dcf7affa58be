"""Shares of a tree for several ingest processes: ``--shard I/N``.

A file belongs to shard ``sha256(path relative to its root) mod N``. The
relative path, not the absolute one, so every machine that mounts the tree
(anywhere) agrees on the split; a hash, so shares are even whatever the
folder layout. A caption sidecar goes with its image. A shard deletes only
rows of missing files in its own share, so shards never undo each other.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.errors import ConfigError
from searchapp.ingest.kinds import SortedFiles


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with 0 <= I < N."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ConfigError(f"--shard takes I/N, e.g. 0/4 (got {text!r})") from None
        if count < 1 or not 0 <= index < count:
            raise ConfigError(f"--shard {text}: needs 0 <= I < N")
        return cls(index, count)

    def owns(self, path: Path | str, roots: Sequence[Path]) -> bool:
        if self.count == 1:
            return True
        key = relative_key(Path(path), roots)
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % self.count == (
            self.index
        )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def relative_key(path: Path, roots: Sequence[Path]) -> str:
    """``path`` relative to the deepest root holding it (a file root: its name)."""
    best: Path | None = None
    for root in roots:
        root = Path(os.path.abspath(root))
        if (path == root or root in path.parents) and (
            best is None or len(root.parts) > len(best.parts)
        ):
            best = root
    if best is None or best == path:
        return path.name
    return path.relative_to(best).as_posix()


def share_of(files: SortedFiles, roots: Sequence[Path], shard: Shard) -> SortedFiles:
    """The files of ``shard``: its documents, images (with their sidecars) and media."""
    if shard.count == 1:
        return files
    images = [image for image in files.images if shard.owns(image.found.path, roots)]
    sidecars = {image.sidecar for image in images if image.sidecar is not None}
    return SortedFiles(
        documents=[f for f in files.documents if shard.owns(f.path, roots)],
        images=images,
        sidecars=[f for f in files.sidecars if f.path in sidecars],
        media=[item for item in files.media if shard.owns(item.found.path, roots)],
    )
