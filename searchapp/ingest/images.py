"""The image path of ingest: read and decode in worker threads, embed in batches, write.

Three stages over one list of image files:

reader
    Worker threads read each file, hash it (with its caption), and unless the
    store already holds that version, decode, orient, convert and preprocess
    it with open_clip's own preprocessing. Up to two batches are in flight, so
    the model always has the next batch decoded when it finishes one.
embedder
    The calling thread embeds full batches: images with the CLIP image tower,
    captions with the text model (text space) and the CLIP text tower.
writer
    Rows go to the three spaces, the image row last (its presence means the
    image is complete); rows of an older version are deleted after.

A re-index writes only the spaces it rebuilds (see :mod:`targets`): rebuilding
the text space needs the captions only, so no picture is embedded and no CLIP
model is needed.

An image's ``sha256`` is of its bytes, extended by its caption sidecar's text
when it has one, so editing a sidecar re-ingests the image.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import TextDocument
from searchapp.extract.captions import Caption, read_sidecar
from searchapp.extract.images import ImageLoader
from searchapp.ingest.kinds import ImageFile
from searchapp.ingest.pipeline import EmbedFn, Progress
from searchapp.ingest.rows import fit, row_id, source_fields
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.targets import Targets
from searchapp.ingest.text import TextPreparer, unreadable
from searchapp.store.filters import all_of, equals, is_in, not_equals
from searchapp.store.schema import PATH_LENGTH, TEXT_LENGTH

if TYPE_CHECKING:
    import torch

# Images whose stored versions are looked up with one query.
_LOOKUP_GROUP = 256


@dataclass
class _Prepared:
    """An image read, decoded and preprocessed: waiting for its batch.

    Only the preprocessed pixels are kept, not the full-size picture.
    """

    item: ImageFile
    sha256: str
    width: int
    height: int
    format: str
    media_type: str
    caption: Caption | None
    pixels: torch.Tensor | None  # None when no picture is embedded (captions only)
    replaces: bool  # another version of it is stored
    warnings: list[str] = field(default_factory=list)

    def document(self) -> TextDocument:
        """The image as a document: its caption (if any) is its text."""
        image: dict[str, Any] = {"width": self.width, "height": self.height, "format": self.format}
        metadata: dict[str, Any] = {"image": image}
        if self.caption is not None:
            image["caption"] = self.caption.text
            metadata["caption_origin"] = self.caption.origin
        return TextDocument(
            source=self.item.found.path,
            title=self.item.found.path.name,
            text=self.caption.text if self.caption is not None else "",
            media_type=self.media_type,
            metadata=metadata,
        )


class ImageIngestRun:
    """One run over a list of image files into the image and caption spaces."""

    def __init__(
        self,
        targets: Targets,
        *,
        text_preparer: TextPreparer | None,
        clip_text_preparer: TextPreparer | None,
        loader: ImageLoader,
        batch_size: int = 32,
        workers: int = 2,
        force: bool = False,
        progress: Progress | None = None,
    ) -> None:
        """``text_preparer`` and ``clip_text_preparer`` chunk captions for the text
        and CLIP text spaces; each is needed when ``targets`` writes that space."""
        self._targets = targets
        self._text_preparer = text_preparer
        self._clip_text_preparer = clip_text_preparer
        self._loader = loader
        self._workers = workers
        self._force = force
        self._progress = progress
        self._batch_size = batch_size
        self._pending: list[_Prepared] = []
        self.summary = IngestSummary()

    def run(self, images: Sequence[ImageFile]) -> IngestSummary:
        in_flight: deque[Future[_Prepared | FileResult]] = deque()
        ahead = 2 * self._batch_size
        stored: dict[str, str] = {}
        with ThreadPoolExecutor(self._workers, thread_name_prefix="searchapp-image") as pool:
            for index, item in enumerate(images):
                if index % _LOOKUP_GROUP == 0:
                    stored = self._stored_versions(images[index : index + _LOOKUP_GROUP])
                in_flight.append(pool.submit(self._read, item, stored.get(str(item.found.path))))
                while len(in_flight) >= ahead:
                    self._take(in_flight.popleft().result())
            while in_flight:
                self._take(in_flight.popleft().result())
        self._write_batch()
        return self.summary.finish()

    # --- reader (worker threads) ---------------------------------------------

    def _read(self, item: ImageFile, stored_sha256: str | None) -> _Prepared | FileResult:
        found = item.found
        warnings: list[str] = []
        try:
            if len(str(found.path).encode()) > PATH_LENGTH:
                raise ExtractError(f"path longer than {PATH_LENGTH} bytes")
            data = _read_bytes(found.path)
            sidecar = self._sidecar_caption(item, warnings)
            digest = hashlib.sha256(data)
            if sidecar is not None:
                digest.update(b"\x1fcaption\x1f" + sidecar.text.encode("utf-8"))
            sha256 = digest.hexdigest()
            if not self._force and stored_sha256 == sha256:
                return FileResult(found.path, Outcome.UNCHANGED, size=found.size)
            picture = self._loader.load(data)
        except FileSkipped as exc:
            return FileResult(found.path, Outcome.SKIPPED, str(exc), size=found.size)
        except ExtractError as exc:
            return FileResult(found.path, Outcome.FAILED, str(exc), size=found.size)
        pictures = self._targets.clip_image
        return _Prepared(
            item=item,
            sha256=sha256,
            width=picture.width,
            height=picture.height,
            format=picture.format,
            media_type=picture.media_type,
            caption=sidecar or picture.caption,
            pixels=pictures.model.preprocess(picture.image) if pictures is not None else None,
            replaces=stored_sha256 is not None and stored_sha256 != sha256,
            warnings=warnings,
        )

    def _sidecar_caption(self, item: ImageFile, warnings: list[str]) -> Caption | None:
        if item.sidecar is None:
            return None
        try:
            return read_sidecar(item.sidecar)
        except ExtractError as exc:
            warnings.append(f"caption not used: {exc}")
            return None

    # --- embedder and writer (calling thread) ---------------------------------

    def _take(self, outcome: _Prepared | FileResult) -> None:
        if isinstance(outcome, FileResult):
            self._done(outcome)
            return
        self._pending.append(outcome)
        if len(self._pending) >= self._batch_size:
            self._write_batch()

    def _write_batch(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        text, clip_text, clip_image = (
            self._targets.text,
            self._targets.clip_text,
            self._targets.clip_image,
        )
        text_rows: list[dict[str, Any]] = []
        clip_text_rows: list[dict[str, Any]] = []
        caption_chunks: list[int] = []
        for prepared in batch:
            # A caption is a document in both text spaces; no caption gives no rows.
            document = prepared.document()
            version = {"mtime": prepared.item.found.mtime, "sha256": prepared.sha256}
            caption_rows = (
                self._text_preparer.document_rows(document, **version)
                if text is not None and self._text_preparer is not None
                else []
            )
            text_rows.extend(caption_rows)
            caption_chunks.append(len(caption_rows))
            if clip_text is not None and self._clip_text_preparer is not None:
                clip_text_rows.extend(self._clip_text_preparer.document_rows(document, **version))
        image_rows: list[dict[str, Any]] = []
        if clip_image is not None:
            pixels = [prepared.pixels for prepared in batch if prepared.pixels is not None]
            vectors = clip_image.model.image.embed(pixels)
            image_rows = [
                _image_row(prepared, prepared.document(), vector.tolist())
                for prepared, vector in zip(batch, vectors, strict=True)
            ]
        if text is not None:
            _attach_vectors(text_rows, text.model.embed)
            text.collection.upsert(text_rows)
        if clip_text is not None:
            _attach_vectors(clip_text_rows, clip_text.model.text.embed)
            clip_text.collection.upsert(clip_text_rows)
        if clip_image is not None:
            clip_image.collection.upsert(image_rows)
        for prepared in batch:
            if prepared.replaces:
                self._delete_older(prepared)
        self.summary.rows_written.update(
            text=len(text_rows), clip_text=len(clip_text_rows), clip_image=len(image_rows)
        )
        for prepared, chunks in zip(batch, caption_chunks, strict=True):
            found = prepared.item.found
            if self._progress is not None:
                self._progress.advance(found.size, chunks)
            self._done(
                FileResult(
                    found.path,
                    Outcome.INGESTED,
                    "; ".join(prepared.warnings),
                    chunks=chunks,
                    size=found.size,
                ),
                advanced=True,
            )

    def _delete_older(self, prepared: _Prepared) -> None:
        older = all_of(
            equals("source", str(prepared.item.found.path)),
            not_equals("sha256", prepared.sha256),
        )
        for target in (self._targets.text, self._targets.clip_text, self._targets.clip_image):
            if target is not None:
                target.collection.delete(older)

    def _stored_versions(self, items: Sequence[ImageFile]) -> dict[str, str]:
        """source -> sha256 of the images already stored, one query for the group."""
        paths = [str(item.found.path) for item in items]
        expression = is_in("source", paths)
        if self._targets.clip_image is not None:
            # One row per image: the limit keeps this a single query, not an iterator.
            rows = self._targets.clip_image.collection.query(
                expression, ["source", "sha256"], limit=len(paths)
            )
        else:
            # Captions only (a re-index of a text space): an image is known there by
            # its caption's rows, so one without a caption is never "unchanged".
            space = self._targets.text or self._targets.clip_text
            rows = space.collection.query(expression, ["source", "sha256"]) if space else []
        return {row["source"]: row["sha256"] for row in rows}

    def _done(self, result: FileResult, *, advanced: bool = False) -> None:
        self.summary.add(result)
        if self._progress is not None:
            if not advanced:
                self._progress.advance(result.size, 0)
            self._progress.file_done(result)


def _image_row(prepared: _Prepared, document: TextDocument, vector: list[float]) -> dict[str, Any]:
    found = prepared.item.found
    return {
        # The same key rule as text rows: the image is chunk 0 of its own path.
        "id": row_id(str(found.path), 0),
        **source_fields(document, mtime=found.mtime, sha256=prepared.sha256),
        "width": prepared.width,
        "height": prepared.height,
        "format": prepared.format,
        "caption": fit(prepared.caption.text, TEXT_LENGTH) if prepared.caption else "",
        "vector": vector,
    }


def _attach_vectors(rows: list[dict[str, Any]], embed: EmbedFn) -> None:
    vectors = embed([row["text"] for row in rows])
    for row, vector in zip(rows, vectors, strict=True):
        row["vector"] = vector.tolist()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise unreadable(exc) from exc
