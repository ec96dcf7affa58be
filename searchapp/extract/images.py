"""Image files to upright RGB pictures, guarded against broken and oversized input.

::

    loader = ImageLoader(max_pixels=settings.image_max_pixels)
    picture = loader.load(path.read_bytes())   # LoadedImage: RGB image, size, format, caption

Only JPEG (and MPO, the multi-picture JPEG of phones), PNG, WebP, GIF (first
frame), BMP and TIFF (first page) are opened: Pillow's other formats include
ones that run external programs (EPS) or are rarely photographs.

Every picture comes out as 8-bit RGB, upright: the EXIF orientation is applied
(phones store portraits sideways); transparent pixels are laid on white (a
logo drawn for a light page, not the arbitrary colours hidden under alpha);
palette, greyscale and CMYK (through its ICC profile when it has one) are
converted; 16-bit and floating-point greyscale are scaled to 8 bits rather
than clipped.

Failures are :class:`FileSkipped` (empty, too large) or :class:`ExtractError`
(not an image, truncated, corrupt), with a reason for the user.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract.captions import Caption, embedded_caption

if TYPE_CHECKING:
    from PIL import Image

#: Lower-case suffixes of the image files ingest reads.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)

# Pillow format -> media type.
_MEDIA_TYPES = MappingProxyType(
    {
        "JPEG": "image/jpeg",
        "MPO": "image/jpeg",
        "PNG": "image/png",
        "WEBP": "image/webp",
        "GIF": "image/gif",
        "BMP": "image/bmp",
        "TIFF": "image/tiff",
    }
)
# The only formats Pillow may open (its JPEG reader also opens MPO).
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
# What Pillow raises for a damaged file while reading headers or pixels.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)
_WHITE = (255, 255, 255, 255)
# Pixels converted at once from a high-depth picture (see _high_depth_to_rgb).
_STRIP_PIXELS = 1 << 20

_log = logging.getLogger("searchapp.extract")


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """Whether ingest reads this file name as an image (contents unchecked)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


@dataclass(frozen=True)
class LoadedImage:
    """A decoded picture, ready for CLIP's preprocessing."""

    image: Image.Image  # 8-bit RGB, upright
    width: int  # as displayed (after the EXIF orientation)
    height: int
    format: str  # Pillow's name of the file format: JPEG, PNG, WEBP, GIF, BMP, TIFF, MPO
    media_type: str
    caption: Caption | None = None  # embedded: XMP dc:description or EXIF ImageDescription


class ImageLoader:
    """Decodes image bytes into :class:`LoadedImage`; safe to share between threads.

    ``max_pixels`` bounds width x height. Pillow's own decompression-bomb
    guard is kept as a second line. Pillow's limit is process-wide
    (``PIL.Image.MAX_IMAGE_PIXELS``) and loaders with different limits share a
    process (the server's query images and thumbnails), so a loader only
    raises it to its own limit, never lowers it: each loader's own check, made
    from the header before decoding, is the one that refuses. Pillow's warning
    between one and two times its limit becomes the refusal it stands for.
    ``setting`` names the variable that sets the limit, for the message.
    """

    def __init__(self, max_pixels: int, setting: str = "SEARCHAPP_IMAGE_MAX_PIXELS") -> None:
        from PIL import Image

        self.max_pixels = max_pixels
        self._setting = setting
        if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
            Image.MAX_IMAGE_PIXELS = max_pixels
        warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

    def load(self, data: bytes, *, min_side: int | None = None) -> LoadedImage:
        """Decode one image file's bytes. Raises FileSkipped or ExtractError.

        With ``min_side``, a JPEG may be decoded at 1/2, 1/4 or 1/8 of its size
        (libjpeg scales while it decodes, as thumbnailers do), never below
        ``min_side`` pixels on its short side: a camera photo decodes about six
        times faster. The picture is then smaller than the file's; ``width``
        and ``height`` are still the file's.
        """
        from PIL import Image, ImageOps, UnidentifiedImageError

        if not data:
            raise FileSkipped("empty file")
        try:
            with Image.open(io.BytesIO(data), formats=_OPEN_FORMATS) as opened:
                self._check_size(*opened.size)
                full_size = opened.size
                if min_side is not None:
                    _scale_while_decoding(opened, min_side)
                decoded_size = opened.size
                opened.load()
                caption = _caption_of(opened)
                image_format = str(opened.format)
                upright = ImageOps.exif_transpose(opened)
        except UnidentifiedImageError as exc:
            raise ExtractError(
                "not an image, or not one of JPEG, PNG, WebP, GIF, BMP, TIFF"
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FileSkipped(self._too_large(str(exc))) from exc
        except _DECODE_ERRORS as exc:
            raise ExtractError(f"truncated or corrupt image ({_describe(exc)})") from exc
        rgb = to_rgb(upright)
        # As displayed: the EXIF orientation may have turned the picture a quarter.
        width, height = full_size if rgb.size == decoded_size else full_size[::-1]
        return LoadedImage(
            image=rgb,
            width=width,
            height=height,
            format=image_format,
            media_type=_MEDIA_TYPES[image_format],
            caption=caption,
        )

    def _check_size(self, width: int, height: int) -> None:
        if width * height > self.max_pixels:
            raise FileSkipped(self._too_large(f"{width} x {height} = {width * height:,} pixels"))

    def _too_large(self, detail: str) -> str:
        return (
            f"image too large: {detail}; the limit is {self.max_pixels:,} pixels ({self._setting})"
        )


def _scale_while_decoding(image: Image.Image, min_side: int) -> None:
    """Let a JPEG decode at the smallest DCT scale that keeps ``min_side`` pixels
    on its short side (no effect on other formats)."""
    if image.format not in ("JPEG", "MPO"):
        return
    width, height = image.size
    short = min(width, height)
    if short < 2 * min_side:  # not even half the size would do
        return
    # Pillow picks the largest of 1/2, 1/4, 1/8 that keeps at least this size.
    image.draft(image.mode, (-(-width * min_side // short), -(-height * min_side // short)))


def to_rgb(image: Image.Image) -> Image.Image:
    """The picture as 8-bit RGB, whatever its mode."""
    mode = image.mode
    if mode == "RGB" and not image.has_transparency_data:
        return image
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _high_depth_to_rgb(image)
    if mode == "CMYK":
        return _cmyk_to_rgb(image)
    if image.has_transparency_data:  # an alpha band, or a transparent palette/colour
        return _on_white(image.convert("RGBA"))
    return image.convert("RGB")


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    from PIL import Image

    width, height = image.size
    low, high = _value_range(image)
    scale = 255.0 / max(high - low, 1e-12)
    # A strip of rows at a time: a float64 copy of a whole 16-bit picture is
    # four times its size (a 40 MP one: 320 MB), a strip about 8 MB.
    pixels = np.empty((height, width), dtype=np.uint8)
    rows = max(1, _STRIP_PIXELS // max(width, 1))
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        values = np.asarray(image.crop((0, top, width, bottom)), dtype=np.float64)
        pixels[top:bottom] = np.clip(np.rint((values - low) * scale), 0, 255)
    return Image.fromarray(pixels, mode="L").convert("RGB")


def _value_range(image: Image.Image) -> tuple[float, float]:
    """The values that map to black and white (Pillow's extrema: no copy of the pixels)."""
    if image.mode.startswith("I;16"):
        return 0.0, 65535.0
    if not image.width or not image.height:
        return 0.0, 1.0
    # One band here (L, I, F): the extrema are a (least, most) pair of numbers.
    least, most = (float(v) for v in image.getextrema())  # type: ignore[arg-type]
    if image.mode == "F" and least >= 0.0 and most <= 1.0:
        return 0.0, 1.0
    if image.mode == "I" and least >= 0.0 and most <= 255.0:
        return 0.0, 255.0
    if image.mode == "I" and least >= 0.0 and most <= 65535.0:
        return 0.0, 65535.0  # how Pillow used to open 16-bit PNGs
    return least, most  # other ranges (scientific data): stretch what is there


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    from PIL import ImageCms

    profile = image.info.get("icc_profile")
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            # A broken profile: the plain conversion is still a fair picture.
            _log.info("CMYK ICC conversion failed (%s); converting without the profile", exc)
        else:
            if converted is not None:
                return converted
    return image.convert("RGB")


def _on_white(rgba: Image.Image) -> Image.Image:
    from PIL import Image

    background = Image.new("RGBA", rgba.size, _WHITE)
    return Image.alpha_composite(background, rgba).convert("RGB")


def _caption_of(image: Image.Image) -> Caption | None:
    try:
        return embedded_caption(image)
    except _DECODE_ERRORS as exc:
        # Damaged metadata does not make the picture unusable.
        _log.info("unreadable image metadata: %s", exc)
        return None


def _describe(exc: BaseException) -> str:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return detail[:200]
