"""Ingest named paths into the store: screen, skip the unchanged, then run the
engine (engine.py) round by round inside the ingest state (state.py).

Documents go to the text space (MiniLM) and, when CLIP is available, their
opening windows to the CLIP text space (for image -> text search); images go
to the CLIP image space and their captions to both text spaces; audio and
video are transcribed into the text spaces like documents, and a video's key
frames go to the image space. Each file is read once for all of them. Without
CLIP weights, documents and the sound of media are still ingested for text
search, and images are reported as skipped, with the reason said once; without
a speech model, the same goes for audio. A re-index passes the spaces it
rebuilds (:class:`Targets`); the other spaces are not written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from searchapp.app import App
from searchapp.errors import ModelUnavailableError
from searchapp.extract import ExtractOptions
from searchapp.ingest.changes import same_on_disk, signature
from searchapp.ingest.discover import OUTSIDE_ROOTS, FoundFile
from searchapp.ingest.engine import IngestEngine
from searchapp.ingest.kinds import ImageFile, MediaItem, SortedFiles, sort_files
from searchapp.ingest.manifest import Manifest
from searchapp.ingest.media import MediaModels
from searchapp.ingest.recipe import Recipes, fields_of, media_recipe, recipes
from searchapp.ingest.reuse import reusing_embedders
from searchapp.ingest.scanning import Scan
from searchapp.ingest.shards import Shard
from searchapp.ingest.state import IngestState
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome, Progress
from searchapp.ingest.targets import Targets, current_targets, retrying
from searchapp.ingest.versions import StoreVersions
from searchapp.store.retry import RetryPolicy

__all__ = ["ingest", "remove"]

_NO_CLIP = "no CLIP model (see the note above)"

Item = FoundFile | ImageFile | MediaItem
Unread = tuple[FileResult, str]  # a file reported without being read, and its signature


def ingest(
    app: App,
    files: Sequence[FoundFile] | Scan,
    *,
    options: ExtractOptions | None = None,
    force: bool = False,
    progress: Progress | None = None,
    targets: Targets | None = None,
    roots: Sequence[Path] = (),
    delete_missing: bool = True,
    shard: Shard | None = None,
) -> IngestSummary:
    """Ingest ``files`` (documents, images, audio and video); re-runs skip unchanged files.

    A normal run (``targets`` None) writes every space's current collection
    with the configured models and keeps the ingest state (manifest.py): a
    file whose size and mtime (or, failing that, content) did not change is
    skipped unread; a changed file's old rows are replaced; identical inputs
    are embedded once (reuse.py). With ``roots`` (the folders that were
    scanned) and ``delete_missing``, rows of known files under a root that
    are no longer on disk are deleted. ``files`` are ``shard``'s share (see
    Scan.share: the files are shared once, by the caller); only missing files
    of that share are deleted (shards.py).

    A re-index passes the new collections it builds and the models it
    builds them with as ``targets``: only those spaces are written, no state
    is kept (a rebuild of the text space reads images' captions but embeds
    no picture; a rebuild of the CLIP spaces writes no MiniLM vectors).
    """
    settings = app.settings
    roots = [Path(os.path.abspath(root)) for root in roots]
    sorted_files = files.sorted if isinstance(files, Scan) else sort_files(files)
    screened, documents, images, media = _screen(sorted_files, settings.max_file_bytes)
    for sidecar in sorted_files.sidecars:  # read with their images
        _advance(progress, sidecar.size)
    clip_problem: str | None = None
    keep_state = targets is None
    if targets is None:
        targets, clip_problem = current_targets(app, sorted_files)
    targets.check()
    retries = RetryPolicy(settings.store_retries, settings.store_retry_backoff)
    targets = retrying(targets, retries)

    summary = IngestSummary()
    paths = [f.path for f in documents]
    recipes = _recipes(app, targets, paths, options, keep_state, media=bool(media))
    state = IngestState(app, recipes, retries) if keep_state else None
    try:
        if state is not None:
            if options is not None and roots:
                state.manifest.record_options([str(r) for r in roots], fields_of(options))
            state.check_store()
            summary.notices.extend(state.notices)
            if delete_missing and roots:
                present = {f.path for f in documents} | {i.found.path for i in images}
                present |= {item.found.path for item in media}
                summary.removed.extend(state.remove_missing(roots, present, shard))
        for result, _ in screened:
            _report(summary, result, progress)
        if clip_problem is not None:
            screened += _without_clip(summary, images, media, clip_problem, progress)
            images = []
        if state is not None:
            state.record_unread(screened)
        if state is not None and not force:
            documents, images, media = _skip_unchanged(
                state, documents, images, media, summary, progress
            )
        media_models = _media_models(app, summary, media, clip_problem, targets) if media else None
        embedders = reusing_embedders(targets, state.manifest.donors if state else None)
        engine = IngestEngine.for_targets(
            settings,
            targets,
            {space: reuser.embed for space, reuser in embedders.items()},
            options=recipes.options_for,
            force=force,
            progress=progress,
            faults=app.faults,
            media=media_models,
        )
        if not engine.writes_documents:
            documents = []  # a CLIP-only re-index without document windows
        if not engine.writes_media:
            media = []
        # Media last: the slow transcriptions do not hold documents and images back.
        items: list[Item] = [*documents, *images, *media]
        store_versions = StoreVersions([t.collection for t in targets.each()])
        for round_items in _rounds(items, settings.ingest_checkpoint_files):
            if state is None:
                outcome = engine.run(round_items, store_versions)
            else:
                versions = state.begin_round([_found(item).path for item in round_items])
                outcome = engine.run(round_items, versions)
                for item in round_items:
                    caption = item.sidecar if isinstance(item, ImageFile) else None
                    outcome.signatures[_found(item).path] = signature(_found(item), caption)
                state.finish_round(versions, outcome)
            summary.results.extend(outcome.results.values())
            summary.rows_written.update(outcome.rows_written)
        if state is None and summary.rows_written["text"] and targets.text is not None:
            # See VectorCollection.flush: Lite searches unflushed rows slowly.
            targets.text.collection.flush()
    finally:
        if state is not None:
            state.close()
    for space, reuser in embedders.items():
        summary.embedded[space] += reuser.embedded
        summary.reused[space] += reuser.reused
    return summary.finish()


def remove(app: App, paths: Sequence[Path]) -> None:
    """Delete the rows of ``paths`` (files no longer on disk) in every space and
    forget them in the ingest state, as a run does for files missing under its roots."""
    settings = app.settings
    retries = RetryPolicy(settings.store_retries, settings.store_retry_backoff)
    state = IngestState(app, Recipes(""), retries)  # a delete writes no rows: no recipe
    try:
        state.remove(sorted({os.path.abspath(path) for path in paths}))
    finally:
        state.close()


def _found(item: Item) -> FoundFile:
    return item if isinstance(item, FoundFile) else item.found


def _screen(
    files: SortedFiles, max_bytes: int
) -> tuple[list[Unread], list[FoundFile], list[ImageFile], list[MediaItem]]:
    """Files reported without being read (a scan problem, too big), each with its
    signature, and the rest."""
    screened: list[Unread] = []

    def readable(found: FoundFile, sidecar: Path | None = None) -> bool:
        if found.problem:
            # Left out on purpose (a symlink out of the roots) is a skip, not a failure.
            outcome = Outcome.SKIPPED if found.problem == OUTSIDE_ROOTS else Outcome.FAILED
            result = FileResult(found.path, outcome, found.problem)
        elif found.size > max_bytes:
            reason = f"larger than SEARCHAPP_MAX_FILE_BYTES ({found.size} > {max_bytes} bytes)"
            result = FileResult(found.path, Outcome.SKIPPED, reason, size=found.size)
        else:
            return True
        screened.append((result, signature(found, sidecar)))
        return False

    documents = [f for f in files.documents if readable(f)]
    images = [image for image in files.images if readable(image.found, image.sidecar)]
    media = [item for item in files.media if readable(item.found)]
    return screened, documents, images, media


def _skip_unchanged(
    state: IngestState,
    documents: list[FoundFile],
    images: list[ImageFile],
    media: list[MediaItem],
    summary: IngestSummary,
    progress: Progress | None,
) -> tuple[list[FoundFile], list[ImageFile], list[MediaItem]]:
    """Report files whose recorded size and mtime match as unchanged, unread."""
    entries = state.entries(
        [f.path for f in documents] + [i.found.path for i in images] + [m.found.path for m in media]
    )

    def changed(found: FoundFile, sidecar: Path | None = None) -> bool:
        # Only a done file is skipped: one skipped or failed before is read again.
        entry = entries.get(str(found.path))
        if (
            entry is not None
            and entry.done
            and entry.recipe == state.recipes.of(found.path)
            and same_on_disk(entry, found, sidecar)
        ):
            _report(summary, FileResult(found.path, Outcome.UNCHANGED, size=found.size), progress)
            return False
        return True

    return (
        [found for found in documents if changed(found)],
        [image for image in images if changed(image.found, image.sidecar)],
        [item for item in media if changed(item.found)],
    )


def _rounds(items: list[Item], size: int) -> Iterator[list[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _recipes(
    app: App,
    targets: Targets,
    paths: Sequence[Path],
    options: ExtractOptions | None,
    keep_state: bool,
    *,
    media: bool = False,
) -> Recipes:
    """The recipe of each file: ``options`` when given, else those recorded for its root."""
    recorded: Mapping[str, str] = {}
    if options is None:
        manifest = Manifest.open(app.settings)  # a re-index keeps no state but reads it
        try:
            recorded = manifest.recorded_options()
        finally:
            manifest.close()
    return recipes(
        app.settings,
        targets,
        paths,
        given=options,
        recorded=recorded,
        media=media_recipe(app.settings) if media else "",
    )


def _advance(progress: Progress | None, nbytes: int) -> None:
    if progress is not None:
        progress.advance(nbytes, 0)


def _report(summary: IngestSummary, result: FileResult, progress: Progress | None) -> None:
    summary.add(result)
    _advance(progress, result.size)
    if progress is not None:
        progress.file_done(result)


def _media_models(
    app: App,
    summary: IngestSummary,
    media: list[MediaItem],
    clip_problem: str | None,
    targets: Targets,
) -> MediaModels:
    """The speech model (loaded once, on the first run with media to read), or why
    not: said once; each recording then points to it."""
    frames_problem = _NO_CLIP if clip_problem else ""
    if targets.text is None and targets.clip_text is None:  # a re-index of pictures only
        return MediaModels(None, "no text space is written", frames_problem)
    try:
        speech, problem = app.embedders.speech(), ""
    except ModelUnavailableError as exc:
        summary.notices.append(f"{len(media)} audio/video file(s) not transcribed: {exc}")
        speech, problem = None, "no speech model (see the note above)"
    return MediaModels(speech, problem, frames_problem)


def _without_clip(
    summary: IngestSummary,
    images: list[ImageFile],
    media: list[MediaItem],
    problem: str,
    progress: Progress | None,
) -> list[Unread]:
    """Images skipped for want of CLIP: the reason once, a pointer to it per image."""
    videos = sum(item.may_have_pictures for item in media)
    if videos:
        summary.notices.append(f"key frames of {videos} video(s) not taken: {problem}")
    if images:
        summary.notices.append(f"{len(images)} image(s) skipped: {problem}")
    elif not videos:
        summary.notices.append(f"documents were not added to image -> text search: {problem}")
    skipped: list[Unread] = []
    for image in images:
        result = FileResult(image.found.path, Outcome.SKIPPED, _NO_CLIP, size=image.found.size)
        _report(summary, result, progress)
        skipped.append((result, signature(image.found, image.sidecar)))
    return skipped
