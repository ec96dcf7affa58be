"""Ingest named paths into the store: scan, sort, then run each path of the pipeline.

Documents go through the text path twice: into the text space (MiniLM) and,
when CLIP is available, their opening windows into the CLIP text space (for
image -> text search). Images go through the image path. Without CLIP
weights, documents are still ingested for text search and images are
reported as skipped, with the reason said once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.app import App
from searchapp.embed.clip import Clip
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import ModelMismatchError, ModelUnavailableError
from searchapp.extract import ExtractOptions
from searchapp.extract.images import ImageLoader
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.images import ImageIngestRun, ImageSpaces
from searchapp.ingest.kinds import ImageFile, sort_files
from searchapp.ingest.pipeline import Progress, TextIngestRun
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.text import TextPreparer
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC, VectorCollection

_NO_CLIP = "no CLIP model (see the note above)"


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
    """Ingest ``files`` (documents and images); re-runs skip unchanged files.

    ``target`` and ``embedder`` default to the text space's current collection
    and the configured model; a re-index passes the new text collection it is
    building and the model it builds it with. Such a run rebuilds the text
    space only: documents are not written to the CLIP text space again (it did
    not change), while images are, since their captions live in the text space.
    """
    settings = app.settings
    options = options or ExtractOptions()
    sorted_files = sort_files(files)
    for sidecar in sorted_files.sidecars:  # read with their images
        _Share(progress, 1.0).advance(sidecar.size, 0)

    wants_clip = bool(sorted_files.images) or (
        target is None and bool(sorted_files.documents) and settings.clip_text_windows > 0
    )
    clip, clip_problem = _load_clip(app) if wants_clip else (None, None)
    documents_in_clip = (
        target is None
        and clip is not None
        and settings.clip_text_windows > 0
        and bool(sorted_files.documents)
    )

    embedder = embedder or app.embedders.text()
    collection = target or app.store.collection(
        TEXT_SPEC, embedder.identity, model_setting="SEARCHAPP_TEXT_MODEL"
    )
    if collection.identity != embedder.identity:
        raise ModelMismatchError(
            f"cannot write vectors of {embedder.identity.describe()} into "
            f"{collection.physical_name}, built for {collection.identity.describe()}"
        )
    text_preparer = TextPreparer(
        embedder,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        options=options,
        chunk_title=settings.chunk_title,
        keywords=True,
    )
    summary = TextIngestRun(
        collection,
        text_preparer,
        embedder.embed,
        batch_rows=max(settings.embed_batch_size * 4, 64),
        force=force,
        progress=_Share(progress, 0.5 if documents_in_clip else 1.0),
    ).run(sorted_files.documents)
    summary.rows_written["text"] += summary.chunks

    if clip is not None and documents_in_clip:
        clip_documents = TextIngestRun(
            app.store.collection(CLIP_TEXT_SPEC, clip.identity, model_setting=""),
            _clip_text_preparer(clip, options, max_windows=settings.clip_text_windows),
            clip.text.embed,
            batch_rows=max(settings.clip_batch_size * 4, 64),
            force=force,
            progress=_Share(progress, 0.5, primary=False),
        ).run(sorted_files.documents)
        _merge_second_pass(summary, clip_documents, space="clip_text")

    if clip_problem is not None:
        _without_clip(summary, sorted_files.images, clip_problem, progress)
    elif clip is not None and sorted_files.images:
        images = ImageIngestRun(
            ImageSpaces(
                text=collection,
                clip_text=app.store.collection(CLIP_TEXT_SPEC, clip.identity, model_setting=""),
                clip_image=app.store.collection(CLIP_IMAGE_SPEC, clip.identity, model_setting=""),
            ),
            clip,
            embedder,
            text_preparer=text_preparer,
            clip_text_preparer=_clip_text_preparer(clip, options, max_windows=None),
            loader=ImageLoader(settings.image_max_pixels),
            workers=settings.image_workers,
            force=force,
            progress=progress,
        ).run(sorted_files.images)
        summary.results.extend(images.results)
        summary.rows_written.update(images.rows_written)
    if summary.rows_written["text"]:
        collection.flush()  # see VectorCollection.flush: Lite searches unflushed rows slowly
    return summary.finish()


def _load_clip(app: App) -> tuple[Clip | None, str | None]:
    try:
        return app.embedders.clip(), None
    except ModelUnavailableError as exc:
        return None, str(exc)


def _clip_text_preparer(
    clip: Clip, options: ExtractOptions, *, max_windows: int | None
) -> TextPreparer:
    # Windows fill CLIP's whole context and do not overlap: the context is short,
    # and windows end on sentence ends where they can.
    return TextPreparer(
        clip.text,
        chunk_tokens=clip.text.max_tokens,
        chunk_overlap=0,
        options=options,
        max_chunks=max_windows,
    )


def _merge_second_pass(summary: IngestSummary, second: IngestSummary, *, space: str) -> None:
    """Fold a second pass over the same files into ``summary``.

    The first pass's result stands for each file, except that a file it found
    unchanged but the second pass wrote (CLIP became available) counts as
    ingested. Problems are the same in both passes and are not repeated.
    """
    summary.rows_written[space] += second.chunks
    written = {r.path for r in second.results if r.outcome is Outcome.INGESTED}
    summary.results[:] = [
        FileResult(r.path, Outcome.INGESTED, r.reason, chunks=r.chunks, size=r.size)
        if r.outcome is Outcome.UNCHANGED and r.path in written
        else r
        for r in summary.results
    ]


def _without_clip(
    summary: IngestSummary, images: list[ImageFile], problem: str, progress: Progress | None
) -> None:
    """Images skipped for want of CLIP: the reason once, a pointer to it per image."""
    if images:
        summary.notices.append(f"{len(images)} image(s) skipped: {problem}")
    else:
        summary.notices.append(f"documents were not added to image -> text search: {problem}")
    report = _Share(progress, 1.0)
    for image in images:
        result = FileResult(image.found.path, Outcome.SKIPPED, _NO_CLIP, size=image.found.size)
        summary.add(result)
        report.advance(result.size, 0)
        report.file_done(result)


class _Share:
    """Progress of one pass when several passes go over the same files.

    Each pass advances its share of a file's bytes; only the primary pass
    counts files and chunks, so totals are not doubled.
    """

    def __init__(self, progress: Progress | None, share: float, *, primary: bool = True) -> None:
        self._progress = progress
        self._share = share
        self._primary = primary

    def advance(self, nbytes: float, chunks: int) -> None:
        if self._progress is not None:
            self._progress.advance(nbytes * self._share, chunks if self._primary else 0)

    def file_done(self, result: FileResult) -> None:
        if self._progress is not None and self._primary:
            self._progress.file_done(result)
