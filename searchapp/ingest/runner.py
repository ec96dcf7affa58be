"""Ingest named paths into the store: scan, sort, then run each path of the pipeline.

Documents go through the text path twice: into the text space (MiniLM) and,
when CLIP is available, their opening windows into the CLIP text space (for
image -> text search). Images go through the image path. Without CLIP
weights, documents are still ingested for text search and images are
reported as skipped, with the reason said once. A re-index passes the spaces
it rebuilds (:class:`Targets`); the passes for other spaces do not run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed.clip import Clip
from searchapp.errors import ModelUnavailableError
from searchapp.extract import ExtractOptions
from searchapp.extract.images import ImageLoader
from searchapp.ingest.discover import OUTSIDE_ROOTS, FoundFile, discover
from searchapp.ingest.images import ImageIngestRun
from searchapp.ingest.kinds import ImageFile, SortedFiles, sort_files
from searchapp.ingest.pipeline import KeyedEmbedFn, Progress, TextIngestRun
from searchapp.ingest.reuse import ReusingEmbedder
from searchapp.ingest.shards import Shard, share_of
from searchapp.ingest.state import IngestState, RoundOutcome, RoundVersions, signature
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.targets import Model, Target, Targets
from searchapp.ingest.text import TextPreparer
from searchapp.store import (
    CLIP_IMAGE_SPEC,
    CLIP_TEXT_SPEC,
    TEXT_SPEC,
    CollectionSpec,
    VectorCollection,
)
from searchapp.store.retry import RetryPolicy

_NO_CLIP = "no CLIP model (see the note above)"
# Model batches of document chunks per call of the text model: the model sorts
# a call's texts by length, so bigger calls pad less (measured with
# bench/ingest.py: 512 rows per call ~5% faster than 128).
_BATCHES_PER_CALL = 16


@dataclass(frozen=True)
class _DocumentPass:
    """Documents into one space: its collection, chunker and model."""

    space: str
    collection: VectorCollection
    preparer: TextPreparer
    embed: KeyedEmbedFn
    batch_size: int


@dataclass(frozen=True)
class Scan:
    """The files of a run, known up front so progress can show totals and an ETA,
    and the paths they were found under (the roots deletes and shards refer to)."""

    files: list[FoundFile]
    roots: list[Path] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def share(self, shard: Shard | None) -> Scan:
        """The files of one shard (see shards.py); all of them for None."""
        if shard is None:
            return self
        return Scan(share_of(self.files, self.roots, shard), self.roots)


def scan(
    paths: Sequence[Path], *, roots: Sequence[Path] | None = None, follow_outside: bool = False
) -> Scan:
    """The files under ``paths``; symlinks out of ``roots`` (default: ``paths``) are
    reported unread unless ``follow_outside`` (SEARCHAPP_FOLLOW_SYMLINKS_OUTSIDE)."""
    files = discover(paths, roots=roots, follow_outside=follow_outside)
    return Scan(list(files), [Path(os.path.abspath(p)) for p in paths])


def ingest(
    app: App,
    files: Sequence[FoundFile],
    *,
    options: ExtractOptions | None = None,
    force: bool = False,
    progress: Progress | None = None,
    targets: Targets | None = None,
    roots: Sequence[Path] = (),
    delete_missing: bool = True,
    shard: Shard | None = None,
) -> IngestSummary:
    """Ingest ``files`` (documents and images); re-runs skip unchanged files.

    A normal run (``targets`` None) writes every space's current collection
    with the configured models and keeps the ingest state (manifest.py): a
    file whose size and mtime (or, failing that, content) did not change is
    skipped unread; a changed file's old rows are replaced; identical inputs
    are embedded once (reuse.py). With ``roots`` (the folders that were
    scanned) and ``delete_missing``, rows of known files under a root that
    are no longer on disk are deleted. ``shard`` keeps its share of ``files``
    only and deletes only missing files of its share (shards.py).

    A re-index passes the new collections it builds and the models it
    builds them with as ``targets``: only those spaces are written, no state
    is kept (a rebuild of the text space reads images' captions but embeds
    no picture; a rebuild of the CLIP spaces writes no MiniLM vectors).
    """
    settings = app.settings
    options = dataclasses.replace(
        options or ExtractOptions(),
        max_record_bytes=settings.max_record_bytes,
        max_decompressed_bytes=settings.max_file_bytes,
    )
    roots = [Path(os.path.abspath(root)) for root in roots]
    if shard is not None:
        files = share_of(files, roots, shard)
    screened, readable = _screen(files, settings.max_file_bytes)
    sorted_files = sort_files(readable)
    for sidecar in sorted_files.sidecars:  # read with their images
        _Share(progress, 1.0).advance(sidecar.size, 0)
    clip_problem: str | None = None
    keep_state = targets is None
    if targets is None:
        targets, clip_problem = _current_targets(app, sorted_files)
    targets.check()
    retries = RetryPolicy(settings.store_retries, settings.store_retry_backoff)
    targets = _retrying(targets, retries)

    summary = IngestSummary()
    state = IngestState(app, _recipe(settings, targets), retries) if keep_state else None
    try:
        if state is not None:
            state.check_store()
            summary.notices.extend(state.notices)
            if delete_missing and roots:
                present = {f.path for f in sorted_files.documents}
                present |= {image.found.path for image in sorted_files.images}
                summary.removed.extend(state.remove_missing(roots, present, shard))
        for result in screened:
            _report(summary, result, progress)
        documents, images = sorted_files.documents, sorted_files.images
        if clip_problem is not None:
            _without_clip(summary, images, clip_problem, progress)
            images = []
        if state is not None and not force:
            documents, images = _skip_unchanged(state, documents, images, summary, progress)
        reusers = _reusers(targets, state)
        run = _Run(app, targets, options, force, progress, reusers, state)
        for round_documents, round_images in _rounds(
            documents, images, settings.ingest_checkpoint_files
        ):
            run.round(round_documents, round_images, summary)
        if state is None and summary.rows_written["text"] and targets.text is not None:
            # See VectorCollection.flush: Lite searches unflushed rows slowly.
            targets.text.collection.flush()
    finally:
        if state is not None:
            state.close()
    for reuser in reusers.values():
        summary.embedded[reuser.space] += reuser.embedded
        summary.reused[reuser.space] += reuser.reused
    return summary.finish()


class _Run:
    """The passes of one run, applied round by round."""

    def __init__(
        self,
        app: App,
        targets: Targets,
        options: ExtractOptions,
        force: bool,
        progress: Progress | None,
        reusers: dict[str, ReusingEmbedder],
        state: IngestState | None,
    ) -> None:
        settings = app.settings
        self._settings = settings
        self._targets = targets
        self._force = force
        self._progress = progress
        self._state = state
        self._faults = app.faults
        self._embed: dict[str, KeyedEmbedFn] = {s: r.embed for s, r in reusers.items()}
        self._text_preparer = (
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
        self._passes: list[_DocumentPass] = []
        if targets.text is not None and self._text_preparer is not None:
            self._passes.append(
                _DocumentPass(
                    "text",
                    targets.text.collection,
                    self._text_preparer,
                    self._embed["text"],
                    settings.embed_batch_size,
                )
            )
        clip_text = targets.clip_text
        if clip_text is not None and settings.clip_text_windows > 0:
            self._passes.append(
                _DocumentPass(
                    "clip_text",
                    clip_text.collection,
                    _clip_text_preparer(
                        clip_text.model, options, max_windows=settings.clip_text_windows
                    ),
                    self._embed["clip_text"],
                    settings.clip_batch_size,
                )
            )
        self._caption_preparer = (
            _clip_text_preparer(clip_text.model, options, max_windows=None)
            if clip_text is not None
            else None
        )

    def round(
        self, documents: list[FoundFile], images: list[ImageFile], summary: IngestSummary
    ) -> None:
        versions = self._state.begin_round(documents, images) if self._state is not None else None
        outcome = RoundOutcome()
        for found in documents:
            outcome.signatures[found.path] = signature(found)
        for image in images:
            outcome.signatures[image.found.path] = signature(image.found, image.sidecar)
        self._documents(documents, versions, outcome, summary)
        self._images(images, versions, outcome, summary)
        if self._state is not None and versions is not None:
            self._state.finish_round(versions, outcome)
        summary.results.extend(outcome.results.values())

    def _documents(
        self,
        documents: list[FoundFile],
        versions: RoundVersions | None,
        outcome: RoundOutcome,
        summary: IngestSummary,
    ) -> None:
        for number, document_pass in enumerate(self._passes):
            # Every pass reads the same documents; the first one's results stand
            # for them, unless a later pass failed a file or wrote one it skipped.
            run = TextIngestRun(
                document_pass.collection,
                document_pass.preparer,
                document_pass.embed,
                space=document_pass.space,
                batch_rows=document_pass.batch_size * _BATCHES_PER_CALL,
                force=self._force,
                progress=_Share(self._progress, 1 / len(self._passes), primary=number == 0),
                versions=versions,
                read_workers=self._settings.ingest_read_workers,
                write_ahead=self._settings.ingest_write_ahead,
                read_timeout=self._settings.extract_timeout_seconds,
                faults=self._faults,
            )
            result = run.run(documents)
            summary.rows_written[document_pass.space] += result.chunks
            outcome.hashes.update(run.hashes)
            for path, rows in run.written.items():
                outcome.written.setdefault(path, []).extend(rows)
            for file_result in result.results:
                outcome.results[file_result.path] = _merged(
                    outcome.results.get(file_result.path), file_result
                )

    def _images(
        self,
        images: list[ImageFile],
        versions: RoundVersions | None,
        outcome: RoundOutcome,
        summary: IngestSummary,
    ) -> None:
        if not images or not self._targets.any:
            return
        run = ImageIngestRun(
            self._targets,
            text_preparer=self._text_preparer,
            clip_text_preparer=self._caption_preparer,
            loader=ImageLoader(self._settings.image_max_pixels),
            batch_size=self._settings.clip_batch_size,
            workers=self._settings.image_workers,
            write_ahead=self._settings.ingest_write_ahead,
            jpeg_scaling=self._settings.image_jpeg_scaling,
            force=self._force,
            progress=self._progress,
            embed=self._embed,
            versions=versions,
            faults=self._faults,
        )
        result = run.run(images)
        summary.rows_written.update(result.rows_written)
        outcome.hashes.update(run.hashes)
        outcome.written.update(run.written)
        for file_result in result.results:
            outcome.results[file_result.path] = file_result


def remove(app: App, paths: Sequence[Path]) -> None:
    """Delete the rows of ``paths`` (files no longer on disk) in every space and
    forget them in the ingest state, as a run does for files missing under its roots."""
    settings = app.settings
    retries = RetryPolicy(settings.store_retries, settings.store_retry_backoff)
    state = IngestState(app, "", retries)  # a delete writes no rows: no recipe
    try:
        state.remove(sorted({os.path.abspath(path) for path in paths}))
    finally:
        state.close()


def _merged(first: FileResult | None, later: FileResult) -> FileResult:
    """One file's result over the passes that read it."""
    if first is None:
        return later
    if later.outcome is Outcome.FAILED and first.outcome is not Outcome.FAILED:
        # E.g. the file changed between two passes: none of it counts.
        return FileResult(first.path, Outcome.FAILED, later.reason, size=first.size)
    if first.outcome is Outcome.UNCHANGED and later.outcome is Outcome.INGESTED:
        return FileResult(first.path, Outcome.INGESTED, later.reason, size=first.size)
    return first


def _screen(files: Sequence[FoundFile], max_bytes: int) -> tuple[list[FileResult], list[FoundFile]]:
    """Files reported without being read (a scan problem, too big), and the rest."""
    screened: list[FileResult] = []
    readable: list[FoundFile] = []
    for found in files:
        if found.problem:
            # Left out on purpose (a symlink out of the roots) is a skip, not a failure.
            outcome = Outcome.SKIPPED if found.problem == OUTSIDE_ROOTS else Outcome.FAILED
            screened.append(FileResult(found.path, outcome, found.problem))
        elif found.size > max_bytes:
            screened.append(
                FileResult(
                    found.path,
                    Outcome.SKIPPED,
                    f"larger than SEARCHAPP_MAX_FILE_BYTES ({found.size} > {max_bytes} bytes)",
                    size=found.size,
                )
            )
        else:
            readable.append(found)
    return screened, readable


def _skip_unchanged(
    state: IngestState,
    documents: list[FoundFile],
    images: list[ImageFile],
    summary: IngestSummary,
    progress: Progress | None,
) -> tuple[list[FoundFile], list[ImageFile]]:
    """Report files whose recorded size and mtime match as unchanged, unread."""
    entries = state.entries([f.path for f in documents] + [i.found.path for i in images])

    def unchanged(found: FoundFile, sidecar: Path | None = None) -> bool:
        entry = entries.get(str(found.path))
        return (
            entry is not None
            and entry.done
            and entry.recipe == state.recipe
            and entry.signature == signature(found, sidecar)
        )

    kept_documents: list[FoundFile] = []
    for found in documents:
        if unchanged(found):
            _report(summary, FileResult(found.path, Outcome.UNCHANGED, size=found.size), progress)
        else:
            kept_documents.append(found)
    kept_images: list[ImageFile] = []
    for image in images:
        if unchanged(image.found, image.sidecar):
            result = FileResult(image.found.path, Outcome.UNCHANGED, size=image.found.size)
            _report(summary, result, progress)
        else:
            kept_images.append(image)
    return kept_documents, kept_images


def _rounds(
    documents: list[FoundFile], images: list[ImageFile], size: int
) -> Iterator[tuple[list[FoundFile], list[ImageFile]]]:
    for start in range(0, len(documents), size):
        yield documents[start : start + size], []
    for start in range(0, len(images), size):
        yield [], images[start : start + size]


def _retrying(targets: Targets, policy: RetryPolicy) -> Targets:
    """``targets`` whose writes are retried while Milvus is unreachable."""

    def wrapped(target: Target[Model] | None) -> Target[Model] | None:
        if target is None:
            return None
        return Target(target.collection.with_retries(policy), target.model)

    return Targets(
        text=wrapped(targets.text),
        clip_text=wrapped(targets.clip_text),
        clip_image=wrapped(targets.clip_image),
    )


def _recipe(settings: Settings, targets: Targets) -> str:
    """How rows are made, beyond the models (each collection enforces its own model):
    a file ingested by another recipe is ingested again."""
    clip = targets.clip_text is not None or targets.clip_image is not None
    return (
        f"chunks={settings.chunk_tokens}/{settings.chunk_overlap}"
        f";title={settings.chunk_title};clip={clip};windows={settings.clip_text_windows}"
    )


def _reusers(targets: Targets, state: IngestState | None) -> dict[str, ReusingEmbedder]:
    donors = state.manifest.donors if state is not None else None
    reusers: dict[str, ReusingEmbedder] = {}
    if targets.text is not None:
        reusers["text"] = ReusingEmbedder(
            "text", targets.text.model.embed, targets.text.collection, donors
        )
    if targets.clip_text is not None:
        reusers["clip_text"] = ReusingEmbedder(
            "clip_text", targets.clip_text.model.text.embed, targets.clip_text.collection, donors
        )
    if targets.clip_image is not None:
        reusers["clip_image"] = ReusingEmbedder(
            "clip_image",
            targets.clip_image.model.image.embed,
            targets.clip_image.collection,
            donors,
        )
    return reusers


def _report(summary: IngestSummary, result: FileResult, progress: Progress | None) -> None:
    summary.add(result)
    share = _Share(progress, 1.0)
    share.advance(result.size, 0)
    share.file_done(result)


def _current_targets(app: App, files: SortedFiles) -> tuple[Targets, str | None]:
    """Every space's current collection (created on first use) and configured model.

    The CLIP spaces are opened only when the run has something for them, and
    only when CLIP loads; otherwise the second value says why it did not.
    """
    windows = bool(files.documents) and app.settings.clip_text_windows > 0
    clip, problem = _load_clip(app) if files.images or windows else (None, None)
    text_model = app.embedders.text()
    text = Target(app.store.collection(TEXT_SPEC, text_model.identity), text_model)
    if clip is None:
        return Targets(text=text), problem

    def clip_target(spec: CollectionSpec) -> Target[Clip]:
        return Target(app.store.collection(spec, clip.identity), clip)

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


def _without_clip(
    summary: IngestSummary, images: list[ImageFile], problem: str, progress: Progress | None
) -> None:
    """Images skipped for want of CLIP: the reason once, a pointer to it per image."""
    if images:
        summary.notices.append(f"{len(images)} image(s) skipped: {problem}")
    else:
        summary.notices.append(f"documents were not added to image -> text search: {problem}")
    for image in images:
        result = FileResult(image.found.path, Outcome.SKIPPED, _NO_CLIP, size=image.found.size)
        _report(summary, result, progress)


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
