"""Sort the files of a run: documents, images (and their caption sidecars), and
audio and video recordings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.extract.captions import folder_names, sidecar_for
from searchapp.extract.images import is_image_file
from searchapp.ingest.discover import FoundFile
from searchapp.media.formats import VIDEO_TYPES, is_media_file


@dataclass(frozen=True)
class ImageFile:
    """An image to ingest, and its caption sidecar if it has one."""

    found: FoundFile
    sidecar: Path | None = None


@dataclass(frozen=True)
class MediaItem:
    """An audio or video file to ingest (searchapp.media reads it)."""

    found: FoundFile

    @property
    def may_have_pictures(self) -> bool:
        """By its name: whether key frames may come of it (the container decides)."""
        return self.found.path.suffix.lower() in VIDEO_TYPES


@dataclass
class SortedFiles:
    documents: list[FoundFile] = field(default_factory=list)  # everything for the text path
    images: list[ImageFile] = field(default_factory=list)
    sidecars: list[FoundFile] = field(default_factory=list)  # read with their image, not alone
    media: list[MediaItem] = field(default_factory=list)  # audio and video

    @property
    def paths(self) -> set[Path]:
        """Every file's path (documents, images, sidecars and media)."""
        found = (
            self.documents
            + [image.found for image in self.images]
            + self.sidecars
            + [item.found for item in self.media]
        )
        return {f.path for f in found}


def sort_files(files: Sequence[FoundFile]) -> SortedFiles:
    """Split ``files`` by how they are ingested.

    Images go to the image path with their sidecar (``NAME.caption`` or
    ``NAME.txt`` next to ``NAME.jpg``, found on disk even when the sidecar was
    not named); a sidecar found that way is not a document. Audio and video
    files (:func:`~searchapp.media.is_media_file`) are media. Every other file
    goes to the text path, which reports unsupported types as skipped.
    """
    listings: dict[Path, frozenset[str]] = {}
    result = SortedFiles()
    claimed: set[Path] = set()
    for found in files:
        if not is_image_file(found.path):
            continue
        folder = found.path.parent
        if folder not in listings:
            listings[folder] = folder_names(folder)
        sidecar = sidecar_for(found.path, listings[folder])
        result.images.append(ImageFile(found, sidecar))
        if sidecar is not None:
            claimed.add(sidecar)
    for found in files:
        if is_image_file(found.path):
            continue
        if is_media_file(found.path):
            result.media.append(MediaItem(found))
            continue
        (result.sidecars if found.path in claimed else result.documents).append(found)
    return result
