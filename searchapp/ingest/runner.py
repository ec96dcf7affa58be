"""Ingest named paths into the store: scan, sort, then run each path of the pipeline.

Documents go through the text path twice: into the text space (MiniLM) and,
when CLIP is available, their opening windows into the CLIP text space (for
image -> text search). Images go through the image path. Without CLIP
weights, documents are still ingested for text search and images are
reported as skipped, with the reason said once. A re-index passes the spaces
it rebuilds (:class:`Targets`); the passes for other spaces do not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searchapp.app import App
from searchapp.embed.clip import Clip
from searchapp.errors import ModelUnavailableError
from searchapp.extract import ExtractOptions
from searchapp.extract.images import ImageLoader
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.images import ImageIngestRun
from searchapp.ingest.kinds import ImageFile, SortedFiles, sort_files
from searchapp.ingest.pipeline import EmbedFn, Progress, TextIngestRun
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.targets import Target, Targets
from searchapp.ingest.text import TextPreparer
from searchapp.store import (
    CLIP_IMAGE_SPEC,
    CLIP_TEXT_SPEC,
    TEXT_SPEC,
    CollectionSpec,
    VectorCollection,
)

_NO_CLIP = "no CLIP model (see the note above)"


@dataclass(frozen=True)
class _DocumentPass:
    """Documents into one space: its collection, chunker and model."""

    space: str
    collection: VectorCollection
    preparer: TextPreparer
    embed: EmbedFn
    batch_size: int


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
    targets: Targets | None = None,
) -> IngestSummary:
    """Ingest ``files`` (documents and images); re-runs skip unchanged files.

    ``targets`` default to every space's current collection and the configured
    models. A re-index passes the new collections it builds and the models it
    builds them with: only those spaces are written (a rebuild of the text
    space reads images' captions but embeds no picture; a rebuild of the CLIP
    spaces writes no MiniLM vectors).
    """
    settings = app.settings
    options = options or ExtractOptions()
    sorted_files = sort_files(files)
    for sidecar in sorted_files.sidecars:  # read with their images
        _Share(progress, 1.0).advance(sidecar.size, 0)
    clip_problem: str | None = None
    if targets is None:
        targets, clip_problem = _current_targets(app, sorted_files)
    targets.check()

    text_preparer = (
        TextPreparer(
            targets.text.model,
            chunk_tokens=settings.chunk_tokens,
            chunk_overlap=settings.chunk_overlap,
            options=options,
            chunk_title=settings.chunk_title,
            keywords=True,
        )
        if targets.text is not None
        else None
    )
    passes: list[_DocumentPass] = []
    if targets.text is not None and text_preparer is not None:
        text = targets.text
        passes.append(
            _DocumentPass(
                "text", text.collection, text_preparer, text.model.embed, settings.embed_batch_size
            )
        )
    if targets.clip_text is not None and settings.clip_text_windows > 0:
        clip = targets.clip_text.model
        passes.append(
            _DocumentPass(
                "clip_text",
                targets.clip_text.collection,
                _clip_text_preparer(clip, options, max_windows=settings.clip_text_windows),
                clip.text.embed,
                settings.clip_batch_size,
            )
        )
    summary = IngestSummary()
    for number, document_pass in enumerate(passes):
        # Every pass reads the same documents; the first one's results stand for them.
        result = TextIngestRun(
            document_pass.collection,
            document_pass.preparer,
            document_pass.embed,
            batch_rows=max(document_pass.batch_size * 4, 64),
            force=force,
            progress=_Share(progress, 1 / len(passes), primary=number == 0),
        ).run(sorted_files.documents)
        if number == 0:
            summary = result
            summary.rows_written[document_pass.space] += result.chunks
        else:
            _merge_second_pass(summary, result, space=document_pass.space)

    if clip_problem is not None:
        _without_clip(summary, sorted_files.images, clip_problem, progress)
    elif sorted_files.images and targets.any:
        clip_text = targets.clip_text
        images = ImageIngestRun(
            targets,
            text_preparer=text_preparer,
            clip_text_preparer=(
                _clip_text_preparer(clip_text.model, options, max_windows=None)
                if clip_text is not None
                else None
            ),
            loader=ImageLoader(settings.image_max_pixels),
            batch_size=settings.clip_batch_size,
            workers=settings.image_workers,
            force=force,
            progress=progress,
        ).run(sorted_files.images)
        summary.results.extend(images.results)
        summary.rows_written.update(images.rows_written)
    if summary.rows_written["text"] and targets.text is not None:
        # See VectorCollection.flush: Lite searches unflushed rows slowly.
        targets.text.collection.flush()
    return summary.finish()


def _current_targets(app: App, files: SortedFiles) -> tuple[Targets, str | None]:
    """Every space's current collection (created on first use) and configured model.

    The CLIP spaces are opened only when the run has something for them, and
    only when CLIP loads; otherwise the second value says why it did not.
    """
    windows = bool(files.documents) and app.settings.clip_text_windows > 0
    clip, problem = _load_clip(app) if files.images or windows else (None, None)
    text_model = app.embedders.text()
    text = Target(
        app.store.collection(TEXT_SPEC, text_model.identity, model_setting="SEARCHAPP_TEXT_MODEL"),
        text_model,
    )
    if clip is None:
        return Targets(text=text), problem

    def clip_target(spec: CollectionSpec) -> Target[Clip]:
        return Target(app.store.collection(spec, clip.identity, model_setting=""), clip)

    return (
        Targets(
            text=text,
            clip_text=clip_target(CLIP_TEXT_SPEC),
            clip_image=clip_target(CLIP_IMAGE_SPEC) if files.images else None,
        ),
        None,
    )


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
