"""The ingest engine: one reader, one embedder per space, one writer, for every file kind.

::

    files ──Reader (worker threads)──▶ SpaceEmbedder per space (calling thread)
          ──Writer (background thread)──▶ Milvus, then follow-ups (calling thread)

The engine drives one round of files (see runner.py for rounds and state.py
for the manifest around them): the reader reads, hashes and extracts each file
once into the inputs of every space; each space's embedder batches rows across
files; the writer upserts each batch, and with the batch that completes a file
deletes that file's stale rows. Everything the round records happens in the
writer's follow-ups, in order (stages.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from searchapp.config import Settings
from searchapp.extract import ExtractOptions
from searchapp.extract.images import ImageLoader
from searchapp.faults import FaultPoints
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.embedder import Batch, KeyedEmbedFn, PendingFile, SpaceEmbedder
from searchapp.ingest.kinds import ImageFile, MediaItem
from searchapp.ingest.media import MediaModels
from searchapp.ingest.reader import FilePreparer, Reader, ReadFile
from searchapp.ingest.stages import read_ahead
from searchapp.ingest.state import RoundOutcome
from searchapp.ingest.summary import FileResult, Outcome, Progress
from searchapp.ingest.targets import Targets
from searchapp.ingest.text import TextPreparer
from searchapp.ingest.versions import Versions
from searchapp.ingest.writer import Writer
from searchapp.store import VectorCollection

# Model batches of text rows per call of a text model: the model sorts a call's
# texts by length, so bigger calls pad less (measured with bench/ingest.py:
# 512 rows per call ~5% faster than 128).
_BATCHES_PER_CALL = 16
# Files read ahead of the model at least: enough to fill the next batch from
# small files, few enough that big ones do not pile up in memory.
_MIN_AHEAD = 8


class IngestEngine:
    """The stages of a run, applied round by round (:meth:`run`)."""

    def __init__(
        self,
        reader: Reader,
        embedders: Sequence[SpaceEmbedder],
        collections: Mapping[str, VectorCollection],
        *,
        read_workers: int = 1,
        image_workers: int = 2,
        image_batch: int = 32,
        write_ahead: int = 1,
        progress: Progress | None = None,
        faults: FaultPoints | None = None,
    ) -> None:
        """``collections``: each written space's collection; ``read_workers`` threads
        read documents ahead (0: in line), ``image_workers`` threads decode when a
        round holds images; ``write_ahead`` writes may run while the model embeds."""
        self._reader = reader
        self._embedders = list(embedders)
        self._collections = collections
        self._read_workers = read_workers
        self._image_workers = image_workers
        self._image_batch = image_batch
        self._write_ahead = write_ahead
        self._progress = progress
        self._faults = faults

    @classmethod
    def for_targets(
        cls,
        settings: Settings,
        targets: Targets,
        embed: Mapping[str, KeyedEmbedFn],
        *,
        options: Callable[[Path], ExtractOptions],
        force: bool = False,
        progress: Progress | None = None,
        faults: FaultPoints | None = None,
        media: MediaModels | None = None,
    ) -> IngestEngine:
        """The engine that writes ``targets`` with the settings' chunking and batches;
        ``embed`` is each targeted space's (reusing) embedder, ``options`` the extract
        options of each document (recipe.py); ``media`` the speech model for audio and
        video (None: the run has none)."""
        text, clip_text, clip_image = targets.text, targets.clip_text, targets.clip_image
        documents: dict[str, TextPreparer] = {}
        captions: dict[str, TextPreparer] = {}
        if text is not None:
            documents["text"] = captions["text"] = TextPreparer(
                text.model,
                chunk_tokens=settings.chunk_tokens,
                chunk_overlap=settings.chunk_overlap,
                chunk_title=settings.chunk_title,
                keywords=True,
            )
        if clip_text is not None:
            # Windows fill CLIP's whole context and do not overlap: the context is
            # short, and windows end on sentence ends where they can. A document
            # gives its opening windows; a caption all of its own.
            window = clip_text.model.text.max_tokens
            if settings.clip_text_windows > 0:
                documents["clip_text"] = TextPreparer(
                    clip_text.model.text,
                    chunk_tokens=window,
                    chunk_overlap=0,
                    max_chunks=settings.clip_text_windows,
                )
            captions["clip_text"] = TextPreparer(
                clip_text.model.text, chunk_tokens=window, chunk_overlap=0
            )
        pictures = clip_image.model if clip_image is not None else None
        reader = Reader(
            documents=FilePreparer(documents, options) if documents else None,
            captions=FilePreparer(captions, lambda path: ExtractOptions()),  # no extraction
            pictures=pictures,
            loader=ImageLoader(settings.image_max_pixels),
            media=(
                media.preparer(settings, documents, pictures, progress)
                if media is not None and (documents or pictures is not None)
                else None
            ),
            jpeg_scaling=settings.image_jpeg_scaling,
            force=force,
            read_timeout=settings.extract_timeout_seconds,
        )
        batch_rows = {
            "text": settings.embed_batch_size * _BATCHES_PER_CALL,
            "clip_text": settings.clip_batch_size * _BATCHES_PER_CALL,
            "clip_image": settings.clip_batch_size,  # pictures per call of the image tower
        }
        written = {"text": text, "clip_text": clip_text, "clip_image": clip_image}
        collections = {
            space: target.collection for space, target in written.items() if target is not None
        }
        return cls(
            reader,
            [SpaceEmbedder(space, embed[space], batch_rows[space]) for space in collections],
            collections,
            read_workers=settings.ingest_read_workers,
            image_workers=settings.image_workers,
            image_batch=settings.clip_batch_size,
            write_ahead=settings.ingest_write_ahead,
            progress=progress,
            faults=faults,
        )

    @property
    def writes_documents(self) -> bool:
        """Whether documents go to any space (a CLIP-only re-index without windows: no)."""
        return self._reader.writes_documents

    @property
    def writes_media(self) -> bool:
        """Whether audio and video go to any space."""
        return self._reader.writes_media

    def run(
        self, items: Sequence[FoundFile | ImageFile | MediaItem], versions: Versions
    ) -> RoundOutcome:
        """Read, embed and write ``items``; what became of each, once written."""
        outcome = RoundOutcome()
        images = any(isinstance(item, ImageFile) for item in items)
        workers = max(self._read_workers, self._image_workers) if images else self._read_workers
        # Images: two batches decoded ahead, so the model always has the next one.
        ahead = max(2 * workers, _MIN_AHEAD, 2 * self._image_batch if images else 0)
        order: deque[PendingFile] = deque()  # files being embedded, in read order
        with (
            read_ahead(
                lambda item: self._reader.read(item, versions), items, workers=workers, ahead=ahead
            ) as reads,
            Writer(self._collections, depth=self._write_ahead, faults=self._faults) as writer,
        ):
            for read in reads:
                if isinstance(read, FileResult):
                    writer.write([], [], versions, partial(self._unwritten, read, outcome))
                    continue
                pending = PendingFile.of(read)
                order.append(pending)
                for embedder in self._embedders:
                    embedder.add(pending)
                self._step(writer, order, versions, outcome, final=False)
            self._step(writer, order, versions, outcome, final=True)
        return outcome

    def _step(
        self,
        writer: Writer,
        order: deque[PendingFile],
        versions: Versions,
        outcome: RoundOutcome,
        *,
        final: bool,
    ) -> None:
        """Embed every full batch (at the end: every row left) and hand the writes over
        with the files they finish."""
        while True:
            batches = [
                embedder.next_batch()
                for embedder in self._embedders
                if embedder.full or (final and embedder.queued)
            ]
            finished: list[PendingFile] = []
            while order and order[0].complete:
                finished.append(order.popleft())
            if not batches and not finished:
                return
            writer.write(
                batches,
                finished,
                versions,
                partial(self._written, batches, finished, outcome),
            )

    # --- follow-ups (calling thread, once the write is done) ---------------------

    def _written(
        self, batches: list[Batch], finished: list[PendingFile], outcome: RoundOutcome
    ) -> None:
        for batch in batches:
            outcome.rows_written[batch.space] += len(batch.rows)
            for pending, count in batch.owners:
                read = pending.read
                chunks = count if batch.space == read.primary else 0
                self._advance(read.found.size * count / read.total_rows, chunks)
        for pending in finished:
            self._finished(pending.read, pending, outcome)

    def _finished(self, read: ReadFile, pending: PendingFile, outcome: RoundOutcome) -> None:
        path = read.found.path
        outcome.hashes[path] = read.sha256
        outcome.written[path] = pending.written
        if not read.total_rows:
            self._advance(read.found.size, 0)
        self._record(
            FileResult(
                path,
                Outcome.INGESTED,
                "; ".join(read.warnings),
                chunks=read.chunks,
                size=read.found.size,
            ),
            outcome,
        )

    def _unwritten(self, result: FileResult, outcome: RoundOutcome) -> None:
        self._advance(result.size, 0)
        self._record(result, outcome)

    def _advance(self, nbytes: float, chunks: int) -> None:
        if self._progress is not None:
            self._progress.advance(nbytes, chunks)

    def _record(self, result: FileResult, outcome: RoundOutcome) -> None:
        outcome.results[result.path] = result
        if self._progress is not None:
            self._progress.file_done(result)
