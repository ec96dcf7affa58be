"""Captions of images: a sidecar file next to the image, or the image's own metadata.

The rule (documented in docs/cli.md, Images): the caption of ``NAME.<image ext>`` is,
in this order,

1. the sidecar file ``NAME.caption``, else ``NAME.txt``, in the same folder
   (the stem matches exactly; the image's extension in any case). A sidecar
   is read with its image and is not ingested as a document of its own;
2. the XMP ``dc:description`` embedded in the image (its ``x-default``
   language, else the first);
3. the EXIF ``ImageDescription``, unless it is a placeholder that cameras
   write by themselves ("OLYMPUS DIGITAL CAMERA", "SONY DSC", ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from searchapp.errors import ExtractError
from searchapp.extract._decoding import decode_bytes

if TYPE_CHECKING:
    from PIL import Image

#: Sidecar suffixes, in order of preference (.caption can only be a caption).
SIDECAR_SUFFIXES = (".caption", ".txt")
#: Longer captions are cut here: a caption describes a picture, it is not a document.
MAX_CAPTION_CHARS = 4000
# Sidecars larger than this are not captions but documents that share a name.
_MAX_SIDECAR_BYTES = 64 * 1024

_EXIF_IMAGE_DESCRIPTION = 0x010E
_DC = "http://purl.org/dc/elements/1.1/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Descriptions cameras and phones fill in themselves: they describe nothing.
_PLACEHOLDERS = frozenset(
    {
        "olympus digital camera",
        "sony dsc",
        "digital camera",
        "konica minolta digital camera",
        "minolta digital camera",
        "samsung digital camera",
        "kodak digital still camera",
        "digital still camera",
        "camera",
        "image",
        "picture",
        "photo",
        "default",
        "untitled",
        "dcim",
    }
)


@dataclass(frozen=True)
class Caption:
    text: str
    origin: str  # where it came from: "sidecar NAME.txt", "XMP dc:description", ...


def sidecar_for(image: Path, folder_names: Iterable[str]) -> Path | None:
    """The sidecar of ``image`` among ``folder_names`` (the names in its folder)."""
    names = set(folder_names)
    for suffix in SIDECAR_SUFFIXES:
        name = image.stem + suffix
        if name in names:
            return image.with_name(name)
    return None


def folder_names(folder: Path) -> frozenset[str]:
    """The file names in ``folder`` (empty when it cannot be listed)."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def read_sidecar(path: Path) -> Caption | None:
    """The caption in a sidecar file; None when it is blank.

    Raises ExtractError when the sidecar cannot be read or is not text.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"caption file {path.name} unreadable: {exc.strerror or exc}") from exc
    if len(data) > _MAX_SIDECAR_BYTES:
        raise ExtractError(
            f"caption file {path.name} is over {_MAX_SIDECAR_BYTES // 1024} KiB: not a caption"
        )
    text = decode_bytes(data, path.suffix.lower()).text
    return _caption(text, f"sidecar {path.name}")


def embedded_caption(image: Image.Image) -> Caption | None:
    """The description embedded in an opened image: XMP first, then EXIF."""
    xmp = image.info.get("xmp")
    if xmp:
        caption = _caption(_xmp_description(xmp), "XMP dc:description")
        if caption is not None:
            return caption
    description = image.getexif().get(_EXIF_IMAGE_DESCRIPTION)
    return _caption(_exif_text(description), "EXIF ImageDescription")


def _caption(text: str | None, origin: str) -> Caption | None:
    if text is None:
        return None
    cleaned = " ".join(text.replace("\x00", " ").split())
    if not cleaned or cleaned.lower() in _PLACEHOLDERS:
        return None
    return Caption(cleaned[:MAX_CAPTION_CHARS], origin)


def _xmp_description(xmp: bytes | str) -> str | None:
    from lxml import etree

    data = xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp)
    # No entities, no network, no huge trees: XMP is untrusted input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(data.strip(b"\x00 \t\r\n"), parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    for description in root.iter(f"{{{_DC}}}description"):
        items = list(description.iter(f"{{{_RDF}}}li"))
        default = [i for i in items if i.get(_XML_LANG) == "x-default"]
        for item in default + items:
            if item.text and item.text.strip():
                return item.text
        if description.text and description.text.strip():
            return description.text
    return None


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    # EXIF says ASCII; Pillow decodes it as Latin-1, but cameras and tools write UTF-8.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value
