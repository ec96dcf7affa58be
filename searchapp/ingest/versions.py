"""Which version of a file the store holds: the one question the engine asks before
reading a file and after writing it.

Two implementations behind one interface:

- :class:`ManifestVersions` (a normal ingest): the manifest says, for the files
  of one round as the manifest was before the round began (manifest.py).
- :class:`StoreVersions` (a re-index into new collections, which keeps no
  ingest state): the collections themselves are asked.

Row ids depend on where text is, not on what it says (rows.py), so a new
version overwrites the old one's rows in place; what it does not overwrite is
"stale" and deleted once the new version is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from searchapp.ingest.discover import FoundFile
from searchapp.ingest.manifest import Entry, Manifest
from searchapp.store import VectorCollection
from searchapp.store.filters import all_of, any_of, equals, is_in, not_equals


class Versions(Protocol):
    def unchanged(self, found: FoundFile, sha256: str) -> bool:
        """True when the store holds all rows of exactly this content of the file."""
        ...

    def stale_rows(self, path: Path, sha256: str, space: str, new_ids: set[str]) -> str:
        """The rows of ``path`` in ``space`` that its new version (``sha256``, rows
        ``new_ids``) did not overwrite, as a delete expression ("": none)."""
        ...


def _other_contents(path: Path, sha256: str) -> str:
    # Rows of other contents go by their sha256: this also covers what an
    # interrupted run wrote.
    return all_of(equals("source", str(path)), not_equals("sha256", sha256))


@dataclass
class ManifestVersions:
    """The versions of one round's files, from the manifest as it was before the round."""

    manifest: Manifest
    entries: dict[str, Entry]
    recipe_of: Callable[[Path], str]  # the recipe each file is made by now (recipe.py)

    def unchanged(self, found: FoundFile, sha256: str) -> bool:
        entry = self.entries.get(str(found.path))
        return (
            entry is not None
            and entry.done
            and entry.sha256 == sha256
            and entry.recipe == self.recipe_of(found.path)
        )

    def stored(self, path: Path) -> bool:
        """True when the store may hold rows of some version of the file."""
        entry = self.entries.get(str(path))
        return entry is not None and entry.may_hold_rows

    def stale_rows(self, path: Path, sha256: str, space: str, new_ids: set[str]) -> str:
        if not self.stored(path):
            return ""  # never written, not even by an interrupted run: no delete
        older = _other_contents(path, sha256)
        # Rows of the same content made by another recipe (other chunk sizes):
        # by the ids the manifest recorded.
        recorded = set(self.manifest.row_ids(str(path)).get(space, []))
        gone = sorted(recorded - new_ids)
        return any_of(older, is_in("id", gone)) if gone else older


@dataclass
class StoreVersions:
    """The versions the run's own collections hold (no ingest state)."""

    collections: Sequence[VectorCollection]

    def unchanged(self, found: FoundFile, sha256: str) -> bool:
        # Every collection must hold this content: a file known by one space only
        # (an image without a caption in a text space) is read again.
        # Bounded, not Strong: a server answers at once instead of after a time
        # tick, and a stale answer can only say "changed", costing a re-embed.
        expression = all_of(equals("source", str(found.path)), equals("sha256", sha256))
        return bool(self.collections) and all(
            collection.query(expression, ["id"], limit=1, consistency="Bounded")
            for collection in self.collections
        )

    def stale_rows(self, path: Path, sha256: str, space: str, new_ids: set[str]) -> str:
        return _other_contents(path, sha256)
