"""Ingest named paths into the store: scan, then run the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.app import App
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import ModelMismatchError
from searchapp.extract import ExtractOptions
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.pipeline import Progress, TextIngestRun
from searchapp.ingest.summary import IngestSummary
from searchapp.ingest.text import TextPreparer
from searchapp.store import TEXT_SPEC, VectorCollection


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
    target: VectorCollection | None = None,
    embedder: SentenceTransformerEmbedder | None = None,
) -> IngestSummary:
    """Ingest ``files`` into the text collection; re-runs skip unchanged files.

    ``target`` and ``embedder`` default to the space's current collection and
    the configured model; a re-index passes the new collection it is building
    and the model it is building it with.
    """
    settings = app.settings
    embedder = embedder or app.embedders.text()
    collection = target or app.store.collection(
        TEXT_SPEC, embedder.identity, model_setting="SEARCHAPP_TEXT_MODEL"
    )
    if collection.identity != embedder.identity:
        raise ModelMismatchError(
            f"cannot write vectors of {embedder.identity.describe()} into "
            f"{collection.physical_name}, built for {collection.identity.describe()}"
        )
    preparer = TextPreparer(
        embedder,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        options=options or ExtractOptions(),
    )
    run = TextIngestRun(
        collection,
        preparer,
        embedder.embed,
        batch_rows=max(settings.embed_batch_size * 4, 64),
        force=force,
        progress=progress,
    )
    return run.run(files)
