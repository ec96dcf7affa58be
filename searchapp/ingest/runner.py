"""Ingest named paths into the store: scan, then run the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.app import App
from searchapp.extract import ExtractOptions
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.pipeline import Progress, TextIngestRun
from searchapp.ingest.summary import IngestSummary
from searchapp.ingest.text import TextPreparer
from searchapp.store import TEXT_SPEC


@dataclass(frozen=True)
class Scan:
    """The files of a run, known up front so progress can show totals and an ETA."""

    files: list[FoundFile]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def scan(paths: Sequence[Path]) -> Scan:
    return Scan(list(discover(paths)))


def ingest(
    app: App,
    files: Sequence[FoundFile],
    *,
    options: ExtractOptions | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest ``files`` into the text collection; re-runs skip unchanged files."""
    settings = app.settings
    embedder = app.embedders.text()
    collection = app.store.collection(
        TEXT_SPEC, embedder.identity, model_setting="SEARCHAPP_TEXT_MODEL"
    )
    preparer = TextPreparer(
        embedder,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        options=options or ExtractOptions(),
        chunk_title=settings.chunk_title,
    )
    run = TextIngestRun(
        collection,
        preparer,
        embedder.embed,
        batch_rows=max(settings.embed_batch_size * 4, 64),
        force=force,
        progress=progress,
    )
    summary = run.run(files)
    if summary.chunks:
        collection.flush()
    return summary
