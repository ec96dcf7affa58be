"""The reader stage: each file read, hashed and extracted (or decoded) once, into
the inputs of every space the run writes.

A document is extracted once and each of its documents chunked by every space's
chunker (the text space's MiniLM chunks, the CLIP text space's opening
windows). An image is read once, hashed with its caption sidecar, decoded and
preprocessed for the image tower; its caption is a document like any other, so
caption rows follow the same rule of what the model reads
(:func:`~searchapp.ingest.text.what_the_model_reads`). An audio or video file
is hashed, then decoded, transcribed and its key frames taken once
(media.py).

The reader runs in worker threads (stages.read_ahead) and records nothing: what
it returns goes to the embedders, and the bookkeeping is the writer's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import ExtractOptions, TextDocument, extract_text
from searchapp.extract.captions import Caption, read_sidecar
from searchapp.extract.images import ImageLoader, LoadedImage
from searchapp.ingest.deadline import within
from searchapp.ingest.discover import FoundFile
from searchapp.ingest.kinds import ImageFile, MediaItem
from searchapp.ingest.reuse import input_key
from searchapp.ingest.rows import fit, row_id, source_fields
from searchapp.ingest.summary import FileResult, Outcome
from searchapp.ingest.text import TextPreparer, check_still, file_sha256, unreadable
from searchapp.ingest.versions import Versions
from searchapp.store.schema import PATH_LENGTH, TEXT_LENGTH

if TYPE_CHECKING:
    from searchapp.embed.clip import Clip
    from searchapp.ingest.media import MediaPreparer


@dataclass
class SpaceInputs:
    """One space's rows of a file (without vectors), what the model reads for each
    row, and the key of that input (reuse.py). A row is dropped (None) once written."""

    rows: list[dict[str, Any] | None] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def add(self, row: dict[str, Any], model_input: Any, key: str) -> None:
        self.rows.append(row)
        self.inputs.append(model_input)
        self.keys.append(key)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class ReadFile:
    """A file read: its version and its inputs in every space it goes to (some
    perhaps empty: an image without a caption has no text rows)."""

    found: FoundFile
    sha256: str
    spaces: dict[str, SpaceInputs]
    primary: str  # the space whose rows are the file's reported chunks
    warnings: list[str] = field(default_factory=list)

    @property
    def chunks(self) -> int:
        inputs = self.spaces.get(self.primary)
        return len(inputs) if inputs is not None else 0

    @property
    def total_rows(self) -> int:
        return sum(len(inputs) for inputs in self.spaces.values())


class FilePreparer:
    """Extracts a document file once and chunks it for every space."""

    def __init__(
        self,
        chunkers: Mapping[str, TextPreparer],
        options: ExtractOptions | Callable[[Path], ExtractOptions],
    ) -> None:
        """``options``: how record files are read, or each file's (recipe.py)."""
        self.chunkers = dict(chunkers)
        self._options = options if callable(options) else (lambda path: options)

    def prepare(self, found: FoundFile, sha256: str) -> ReadFile:
        """The file's rows in every space; FileSkipped or ExtractError say why none."""
        read = ReadFile(found, sha256, {space: SpaceInputs() for space in self.chunkers}, "")
        read.primary = next(iter(self.chunkers), "")
        on_warning = read.warnings.append
        options = self._options(found.path)
        for document in extract_text(found.path, options, on_warning=on_warning):
            self.add_document(read, document)
        if not read.total_rows:
            raise FileSkipped("no text found")
        return read

    def add_document(self, read: ReadFile, document: TextDocument) -> None:
        """The rows of one of the file's documents, in every space."""
        for space, chunker in self.chunkers.items():
            into = read.spaces[space]
            chunks = chunker.document_chunks(document, mtime=read.found.mtime, sha256=read.sha256)
            for row, model_input in chunks:
                into.add(row, model_input, input_key(model_input))


class Reader:
    """Reads one file of either kind; ``versions`` says whether its content is stored."""

    def __init__(
        self,
        *,
        documents: FilePreparer | None,
        captions: FilePreparer | None,
        pictures: Clip | None,
        loader: ImageLoader,
        media: MediaPreparer | None = None,
        jpeg_scaling: bool = True,
        force: bool = False,
        read_timeout: float | None = None,
    ) -> None:
        """``documents`` chunks documents for their spaces (None: documents go
        nowhere); ``captions`` chunks image captions; ``pictures`` is the CLIP
        model whose image tower embeds pictures (None: captions only);
        ``media`` reads audio and video (None: media go nowhere).
        ``jpeg_scaling`` lets big JPEGs decode at a reduced scale; reading one
        file taking longer than ``read_timeout`` seconds fails it (deadline.py)."""
        self._documents = documents
        self._captions = captions or FilePreparer({}, ExtractOptions())
        self._pictures = pictures
        self._loader = loader
        self._media = media
        # Pictures are decoded no smaller than the image tower reads them.
        self._decode_side = pictures.input_side if pictures is not None and jpeg_scaling else None
        self._force = force
        self._read_timeout = read_timeout

    @property
    def writes_documents(self) -> bool:
        return self._documents is not None

    @property
    def writes_media(self) -> bool:
        return self._media is not None

    def read(
        self, item: FoundFile | ImageFile | MediaItem, versions: Versions
    ) -> ReadFile | FileResult:
        """The file's inputs, or why it gives none (unchanged, skipped, failed)."""
        found = item if isinstance(item, FoundFile) else item.found
        try:
            if len(str(found.path).encode()) > PATH_LENGTH:
                raise ExtractError(f"path longer than {PATH_LENGTH} bytes")
            if isinstance(item, ImageFile):
                return self._image(item, versions)
            if isinstance(item, MediaItem):
                return self._recording(found, versions)
            return self._document(found, versions)
        except FileSkipped as exc:
            return FileResult(found.path, Outcome.SKIPPED, str(exc), size=found.size)
        except ExtractError as exc:
            return FileResult(found.path, Outcome.FAILED, str(exc), size=found.size)

    def _unchanged(self, found: FoundFile, sha256: str, versions: Versions) -> FileResult | None:
        if not self._force and versions.unchanged(found, sha256):
            return FileResult(found.path, Outcome.UNCHANGED, size=found.size)
        return None

    def _document(self, found: FoundFile, versions: Versions) -> ReadFile | FileResult:
        if found.size == 0:
            raise FileSkipped("empty file")
        assert self._documents is not None, "documents given to a run that writes no text space"
        sha256 = file_sha256(found)
        if unchanged := self._unchanged(found, sha256, versions):
            return unchanged
        preparer = self._documents
        read = self._within(found, lambda: preparer.prepare(found, sha256))
        # The hash and the text came from two reads: both must be of one version.
        check_still(found)
        return read

    def _recording(self, found: FoundFile, versions: Versions) -> ReadFile | FileResult:
        if found.size == 0:
            raise FileSkipped("empty file")
        assert self._media is not None, "media given to a run that writes no media"
        sha256 = file_sha256(found)
        if unchanged := self._unchanged(found, sha256, versions):
            return unchanged
        # No read deadline: transcribing takes a fair share of the recording's length
        # (SEARCHAPP_MEDIA_MAX_SECONDS bounds it), and decoding never loops.
        read = self._media.prepare(found, sha256)
        check_still(found)
        return read

    def _image(self, item: ImageFile, versions: Versions) -> ReadFile | FileResult:
        found = item.found
        warnings: list[str] = []
        data = _read_bytes(found.path)
        sidecar = _sidecar_caption(item, warnings)
        digest = hashlib.sha256(data)
        pixels_key = "image:" + digest.hexdigest()  # what the image tower reads
        if sidecar is not None:
            # Editing the caption changes the image.
            digest.update(b"\x1fcaption\x1f" + sidecar.text.encode("utf-8"))
        sha256 = digest.hexdigest()
        if unchanged := self._unchanged(found, sha256, versions):
            return unchanged
        check_still(found)
        picture = self._within(found, lambda: self._loader.load(data, min_side=self._decode_side))
        caption = sidecar or picture.caption
        document = _as_document(found.path, picture, caption)
        spaces = {space: SpaceInputs() for space in self._captions.chunkers}
        read = ReadFile(found, sha256, spaces, primary="text", warnings=warnings)
        self._captions.add_document(read, document)
        if self._pictures is not None:
            row = _image_row(found, sha256, document, picture, caption)
            pixels = self._pictures.preprocess(picture.image)
            read.spaces["clip_image"] = SpaceInputs([row], [pixels], [pixels_key])
        return read

    def _within(self, found: FoundFile, work: Callable[[], Any]) -> Any:
        return within(self._read_timeout, work, name=found.path.name)


def _as_document(path: Path, picture: LoadedImage, caption: Caption | None) -> TextDocument:
    """The image as a document: its caption (if any) is its text, its name its title."""
    image: dict[str, Any] = {
        "width": picture.width,
        "height": picture.height,
        "format": picture.format,
    }
    metadata: dict[str, Any] = {"image": image}
    if caption is not None:
        image["caption"] = caption.text
        metadata["caption_origin"] = caption.origin
    return TextDocument(
        source=path,
        title=path.name,
        text=caption.text if caption is not None else "",
        media_type=picture.media_type,
        metadata=metadata,
    )


def _image_row(
    found: FoundFile,
    sha256: str,
    document: TextDocument,
    picture: LoadedImage,
    caption: Caption | None,
) -> dict[str, Any]:
    return {
        # The same key rule as text rows: the image is chunk 0 of its own path.
        "id": row_id(str(found.path), 0),
        **source_fields(document, mtime=found.mtime, sha256=sha256),
        "width": picture.width,
        "height": picture.height,
        "format": picture.format,
        "caption": fit(caption.text, TEXT_LENGTH) if caption else "",
    }


def _sidecar_caption(item: ImageFile, warnings: list[str]) -> Caption | None:
    if item.sidecar is None:
        return None
    try:
        return read_sidecar(item.sidecar)
    except ExtractError as exc:
        warnings.append(f"caption not used: {exc}")
        return None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise unreadable(exc) from exc
