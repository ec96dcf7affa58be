"""How a caller sees a file's path: the one place the API and the page turn a
stored (absolute) path into what they show.

Admins see the absolute path on the server. Everyone else sees the path
relative to the folder it was ingested from, prefixed by that folder's name
(``notes/mars.txt`` for ``/home/me/notes/mars.txt`` ingested as
``/home/me/notes``): enough to tell files apart, nothing about the server's
layout. A path under no known folder shows its file name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from searchapp.config import Settings
from searchapp.ingest.roots import recorded_roots

UPLOADS_NAME = "uploads"


@dataclass(frozen=True)
class SourceNames:
    roots: tuple[tuple[PurePath, str], ...]  # (folder, the name shown for it), deepest first
    full: bool

    @classmethod
    def for_settings(cls, settings: Settings, *, full: bool) -> SourceNames:
        if full:
            return cls((), True)
        named = {root: root.name or str(root) for root in settings.file_roots}
        for root in (*recorded_roots(settings.state_dir), *settings.watch_roots):
            named.setdefault(root, root.name or str(root))
        named[settings.resolved_uploads_dir] = UPLOADS_NAME
        deepest_first = sorted(named.items(), key=lambda pair: len(pair[0].parts), reverse=True)
        return cls(tuple((PurePath(root), name) for root, name in deepest_first), False)

    def show(self, path: str | None) -> str | None:
        if path is None or self.full:
            return path
        stored = PurePath(path)
        for root, name in self.roots:
            if stored == root or root in stored.parents:
                return str(PurePath(name, stored.relative_to(root)))
        return stored.name

    def folder_on_server(self, folder: str | None) -> str | None:
        """A folder filter as this caller writes it (``notes/2024``, as paths are shown
        to them) as the absolute folder the store filters by; absolute ones unchanged."""
        if folder is None or self.full or PurePath(folder).is_absolute():
            return folder
        name, _, rest = folder.strip("/").partition("/")
        for root, shown in self.roots:
            if shown == name:
                return str(PurePath(root, rest)) if rest else str(root)
        return folder  # unknown: the filter says it must be absolute

    def show_all(self, paths: list[str]) -> list[str]:
        return [self.show(path) or "" for path in paths]
