"""What the library holds, for the home page before the first search.

Counts come from the ingest manifest (files, chunks and images of every done
file, by kind), the last ingest time from when its last file became done, the
worker's state from its status board, the folders from the recorded roots and
the watched roots, and the example searches from the titles of a few random
documents in the store. Each part fails alone: a store that is down costs the
examples, never the page.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from searchapp.app import App
from searchapp.errors import SearchappError
from searchapp.extract import file_type
from searchapp.ingest.manifest import Manifest, manifest_path
from searchapp.ingest.roots import recorded_roots
from searchapp.store.schema import CLIP_IMAGE_SPEC, TEXT_SPEC
from searchapp.web.visibility import SourceNames

log = logging.getLogger("searchapp.web")

# How kinds are named on the page, by file type; others are named by their suffix.
_KIND_NAMES = {
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".rst": "reStructuredText",
    ".html": "HTML",
    ".htm": "HTML",
    ".pdf": "PDF",
    ".txt": "Plain text",
    ".text": "Plain text",
    ".jsonl": "Records",
    ".jsonl.gz": "Records",
    ".json": "Records",
    ".csv": "Records",
}
IMAGE_KIND = "Images"
EXAMPLES = 4
# Example titles are drawn from this many documents (first chunks) of the store.
_EXAMPLE_POOL = 200
_LONGEST_EXAMPLE = 80


@dataclass
class KindCount:
    kind: str
    files: int = 0
    chunks: int = 0  # text chunks (the text space's rows)
    images: int = 0


@dataclass
class Overview:
    kinds: list[KindCount] = field(default_factory=list)
    last_ingest: datetime | None = None
    worker_alive: bool = False
    folders: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(kind.files for kind in self.kinds)

    @property
    def chunks(self) -> int:
        return sum(kind.chunks for kind in self.kinds)

    @property
    def images(self) -> int:
        return sum(kind.images for kind in self.kinds)


def library_overview(
    app: App, sources: SourceNames, *, rng: random.Random | None = None
) -> Overview:
    overview = Overview()
    _add_counts(app, overview)
    overview.worker_alive = _worker_alive(app)
    settings = app.settings
    roots = dict.fromkeys([*recorded_roots(settings.state_dir), *settings.watch_roots])
    overview.folders = [sources.show(str(root)) or str(root) for root in roots]
    if overview.files:
        overview.examples = _examples(app, rng or random.Random())
    return overview


def _add_counts(app: App, overview: Overview) -> None:
    path = manifest_path(app.settings)
    if not path.exists():  # nothing ingested yet; opening would create it
        return
    try:
        manifest = Manifest(path)
        try:
            per_file, last = manifest.totals()
        finally:
            manifest.close()
    except SearchappError as exc:
        log.warning("home page: cannot read the ingest manifest: %s", exc)
        return
    kinds: dict[str, KindCount] = {}
    seen: set[tuple[str, str]] = set()
    for source, space, rows in per_file:
        is_image = space == CLIP_IMAGE_SPEC.space
        suffix = file_type(source)
        name = IMAGE_KIND if is_image else _KIND_NAMES.get(suffix, suffix.lstrip(".") or "other")
        kind = kinds.setdefault(name, KindCount(name))
        if (source, name) not in seen and (is_image or space == TEXT_SPEC.space):
            seen.add((source, name))
            kind.files += 1
        if is_image:
            kind.images += rows
        elif space == TEXT_SPEC.space:
            kind.chunks += rows
    overview.kinds = sorted(
        (kind for kind in kinds.values() if kind.files),
        key=lambda kind: (kind.kind == IMAGE_KIND, -kind.files, kind.kind),
    )
    overview.last_ingest = datetime.fromtimestamp(last, UTC) if last else None


def _worker_alive(app: App) -> bool:
    path = app.settings.worker_queue_path
    if not path.exists():  # no worker has ever run; opening would create the queue
        return False
    from searchapp.worker.queue import JobQueue
    from searchapp.worker.status import StatusBoard

    try:
        return StatusBoard(JobQueue(path)).snapshot().worker_alive
    except SearchappError as exc:
        log.warning("home page: cannot read the worker's status: %s", exc)
        return False


def _examples(app: App, rng: random.Random) -> list[str]:
    """Titles of a few random documents: searches that find something."""
    try:
        collection = app.store.existing_collection(TEXT_SPEC, max_age=30.0)
        if collection is None:
            return []
        rows = collection.query("chunk_index == 0", ["title"], limit=_EXAMPLE_POOL)
    except SearchappError as exc:
        log.warning("home page: no example searches: %s", exc)
        return []
    titles = sorted(
        {
            title.strip()
            for row in rows
            if (title := str(row.get("title") or "")).strip()
            and len(title.strip()) <= _LONGEST_EXAMPLE
        }
    )
    return rng.sample(titles, min(EXAMPLES, len(titles)))
