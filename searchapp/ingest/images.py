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
    A background thread writes a batch's rows to the three spaces while the
    model embeds the next batch (see :mod:`stages`): the image row last (its
    presence means the image is complete), then the deletes of rows of an
    older version.

A re-index writes only the spaces it rebuilds (see :mod:`targets`): rebuilding
the text space needs the captions only, so no picture is embedded and no CLIP
model is needed.

An image's ``sha256`` is of its bytes, extended by its caption sidecar's text
when it has one, so editing a sidecar re-ingests the image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import TextDocument
from searchapp.extract.captions import Caption, read_sidecar
from searchapp.extract.images import ImageLoader
from searchapp.faults import FaultPoints
from searchapp.ingest.kinds import ImageFile
from searchapp.ingest.manifest import WrittenRow
from searchapp.ingest.pipeline import KeyedEmbedFn, Progress, Versions, stale_rows
from searchapp.ingest.reuse import input_key
from searchapp.ingest.rows import fit, row_id, source_fields
from searchapp.ingest.stages import BackgroundWriter, read_ahead
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome
from searchapp.ingest.targets import Targets
from searchapp.ingest.text import TextPreparer, check_still, unreadable
from searchapp.store import VectorCollection
from searchapp.store.filters import is_in
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
    pixels_key: str  # "image:" + sha256 of the bytes alone: what the image tower reads
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
        write_ahead: int = 1,
        jpeg_scaling: bool = True,
        force: bool = False,
        progress: Progress | None = None,
        embed: dict[str, KeyedEmbedFn] | None = None,
        versions: Versions | None = None,
        faults: FaultPoints | None = None,
    ) -> None:
        """``text_preparer`` and ``clip_text_preparer`` chunk captions for the text
        and CLIP text spaces; each is needed when ``targets`` writes that space.
        ``embed`` maps a space to the (reusing) embedder of its model; by default
        each space's model is called directly. Without ``versions`` the store is
        asked which versions it holds. ``workers`` threads read and decode;
        ``write_ahead`` batches may be written while the next is embedded;
        ``jpeg_scaling`` lets big JPEGs decode at a reduced scale (ImageLoader.load);
        ``faults``: where a crash test may pause the writes (faults.py)."""
        self._faults = faults or FaultPoints()
        self._embed = embed or _direct_embedders(targets)
        self._versions = versions
        # Per ingested image: the rows written in each space, for the manifest.
        self.written: dict[Path, list[WrittenRow]] = {}
        self.hashes: dict[Path, str] = {}
        self._targets = targets
        self._text_preparer = text_preparer
        self._clip_text_preparer = clip_text_preparer
        self._loader = loader
        self._workers = workers
        self._write_ahead = write_ahead
        # Pictures are decoded no smaller than the image tower reads them.
        pictures = targets.clip_image
        self._decode_side = (
            pictures.model.input_side if pictures is not None and jpeg_scaling else None
        )
        self._force = force
        self._progress = progress
        self._batch_size = batch_size
        self._pending: list[_Prepared] = []
        self.summary = IngestSummary()

    def run(self, images: Sequence[ImageFile]) -> IngestSummary:
        # Two batches read ahead: the model always has the next one decoded.
        with (
            read_ahead(
                lambda pair: self._read(*pair),
                self._with_stored_versions(images),
                workers=self._workers,
                ahead=2 * self._batch_size,
                name="searchapp-image",
            ) as reads,
            BackgroundWriter(self._write_ahead) as writer,
        ):
            for read in reads:
                self._take(read, writer)
            self._write_batch(writer)
        return self.summary.finish()

    def _with_stored_versions(
        self, images: Sequence[ImageFile]
    ) -> Iterator[tuple[ImageFile, str | None]]:
        """Each image with the sha256 the store holds for it, when no ingest state
        knows it (a re-index): one query per group of images."""
        stored: dict[str, str] = {}
        for index, item in enumerate(images):
            if index % _LOOKUP_GROUP == 0 and self._versions is None:
                stored = self._stored_versions(images[index : index + _LOOKUP_GROUP])
            yield item, stored.get(str(item.found.path))

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
            pixels_key = "image:" + digest.hexdigest()
            if sidecar is not None:
                digest.update(b"\x1fcaption\x1f" + sidecar.text.encode("utf-8"))
            sha256 = digest.hexdigest()
            self.hashes[found.path] = sha256
            if not self._force and self._unchanged(item, sha256, stored_sha256):
                return FileResult(found.path, Outcome.UNCHANGED, size=found.size)
            check_still(found)
            picture = self._loader.load(data, min_side=self._decode_side)
        except FileSkipped as exc:
            return FileResult(found.path, Outcome.SKIPPED, str(exc), size=found.size)
        except ExtractError as exc:
            return FileResult(found.path, Outcome.FAILED, str(exc), size=found.size)
        pictures = self._targets.clip_image
        return _Prepared(
            item=item,
            sha256=sha256,
            pixels_key=pixels_key,
            width=picture.width,
            height=picture.height,
            format=picture.format,
            media_type=picture.media_type,
            caption=sidecar or picture.caption,
            pixels=pictures.model.preprocess(picture.image) if pictures is not None else None,
            replaces=(
                self._versions.stored(found.path)
                if self._versions is not None
                else stored_sha256 is not None and stored_sha256 != sha256
            ),
            warnings=warnings,
        )

    def _unchanged(self, item: ImageFile, sha256: str, stored_sha256: str | None) -> bool:
        if self._versions is not None:
            return self._versions.unchanged(item.found, sha256)
        return stored_sha256 == sha256

    def _sidecar_caption(self, item: ImageFile, warnings: list[str]) -> Caption | None:
        if item.sidecar is None:
            return None
        try:
            return read_sidecar(item.sidecar)
        except ExtractError as exc:
            warnings.append(f"caption not used: {exc}")
            return None

    # --- embedder and writer (calling thread) ---------------------------------

    def _take(self, outcome: _Prepared | FileResult, writer: BackgroundWriter) -> None:
        if isinstance(outcome, FileResult):
            self._done(outcome)
            return
        self._pending.append(outcome)
        if len(self._pending) >= self._batch_size:
            self._write_batch(writer)

    def _write_batch(self, writer: BackgroundWriter) -> None:
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
            embedded = [prepared for prepared in batch if prepared.pixels is not None]
            vectors = self._embed["clip_image"](
                [prepared.pixels_key for prepared in embedded],
                [prepared.pixels for prepared in embedded],
            )
            image_rows = [
                _image_row(prepared, prepared.document(), vector.tolist())
                for prepared, vector in zip(batch, vectors, strict=True)
            ]
            for prepared in batch:
                prepared.pixels = None  # embedded: free the tensor
        if text is not None:
            _attach_vectors(text_rows, self._embed["text"])
        if clip_text is not None:
            _attach_vectors(clip_text_rows, self._embed["clip_text"])
        written = self._rows_by_image(
            batch, text=text_rows, clip_text=clip_text_rows, clip_image=image_rows
        )
        older = [
            delete
            for prepared in batch
            if prepared.replaces
            for delete in self._older_rows(prepared, written[prepared.item.found.path])
        ]

        def write() -> None:
            # The image row last: its presence means the image is complete.
            for target, rows in ((text, text_rows), (clip_text, clip_text_rows)):
                if target is not None:
                    target.collection.upsert(rows)
                    self._faults.reached("upsert")
            if clip_image is not None:
                clip_image.collection.upsert(image_rows)
                self._faults.reached("upsert")
            for collection, expression in older:
                collection.delete(expression)
                self._faults.reached("delete")

        def then() -> None:
            self._recorded(batch, written, caption_chunks)
            self.summary.rows_written.update(
                text=len(text_rows), clip_text=len(clip_text_rows), clip_image=len(image_rows)
            )

        writer.submit(write, then)

    def _recorded(
        self,
        batch: list[_Prepared],
        written: dict[Path, list[WrittenRow]],
        caption_chunks: list[int],
    ) -> None:
        """A written batch's images are ingested."""
        self.written.update(written)
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

    def _rows_by_image(
        self, batch: list[_Prepared], **rows: list[dict[str, Any]]
    ) -> dict[Path, list[WrittenRow]]:
        written: dict[Path, list[WrittenRow]] = {p.item.found.path: [] for p in batch}
        keys = {p.item.found.path: p.pixels_key for p in batch}
        for space, space_rows in rows.items():
            for row in space_rows:
                source = Path(row["source"])
                key = keys[source] if space == "clip_image" else input_key(row["text"])
                written[source].append(WrittenRow(space, row["id"], key))
        return written

    def _older_rows(
        self, prepared: _Prepared, written: list[WrittenRow]
    ) -> list[tuple[VectorCollection, str]]:
        """The deletes of an older version's rows that the new ones do not overwrite."""
        path = prepared.item.found.path
        spaces = {
            "text": self._targets.text,
            "clip_text": self._targets.clip_text,
            "clip_image": self._targets.clip_image,
        }
        deletes = []
        for space, target in spaces.items():
            if target is None:
                continue
            new_ids = {row.id for row in written if row.space == space}
            older = stale_rows(self._versions, path, prepared.sha256, space, new_ids)
            if older:
                deletes.append((target.collection, older))
        return deletes

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


def _direct_embedders(targets: Targets) -> dict[str, KeyedEmbedFn]:
    """Each space's model called directly (keys ignored)."""
    embed: dict[str, KeyedEmbedFn] = {}
    if targets.text is not None:
        text_model = targets.text.model
        embed["text"] = lambda keys, inputs: text_model.embed(inputs)
    if targets.clip_text is not None:
        clip_text = targets.clip_text.model.text
        embed["clip_text"] = lambda keys, inputs: clip_text.embed(inputs)
    if targets.clip_image is not None:
        clip_image = targets.clip_image.model.image
        embed["clip_image"] = lambda keys, inputs: clip_image.embed(inputs)
    return embed


def _attach_vectors(rows: list[dict[str, Any]], embed: KeyedEmbedFn) -> None:
    if not rows:
        return
    texts = [row["text"] for row in rows]
    vectors = embed([input_key(text) for text in texts], texts)
    for row, vector in zip(rows, vectors, strict=True):
        row["vector"] = vector.tolist()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise unreadable(exc) from exc
