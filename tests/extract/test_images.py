"""Image loading: orientation, colour modes, formats, and every kind of broken file."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from searchapp.config import PILLOW_MAX_IMAGE_PIXELS
from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract.images import ImageLoader, is_image_file

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


@pytest.fixture(autouse=True)
def _restore_pillow_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loaders set Pillow's process-wide limit; put it back for other tests."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    yield


@pytest.fixture
def loader() -> ImageLoader:
    return ImageLoader(PILLOW_MAX_IMAGE_PIXELS)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new(mode, size, BLUE)
    image.paste(Image.new(mode, (size[0] // 2, size[1]), RED), (0, 0))
    return image


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header says width x height: a decompression bomb's shape."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_image_extensions() -> None:
    for name in ("a.jpg", "b.JPEG", "c.png", "d.webp", "e.gif", "f.bmp", "g.tif", "h.TIFF"):
        assert is_image_file(name)
    for name in ("a.txt", "b.svg", "c.heic", "d.jpg.txt", "noext"):
        assert not is_image_file(name)


@pytest.mark.parametrize(("orientation", "top"), [(1, None), (6, RED), (8, BLUE), (3, None)])
def test_exif_orientation_is_applied(loader: ImageLoader, orientation: int, top) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    loaded = loader.load(encode(halves(), "JPEG", exif=exif, quality=95))
    if orientation in (6, 8):  # stored sideways: shown rotated a quarter turn
        assert (loaded.width, loaded.height) == (20, 40)
        pixels = np.asarray(loaded.image)
        assert np.abs(pixels[2, 10].astype(int) - top).max() < 40
        other = BLUE if top == RED else RED
        assert np.abs(pixels[37, 10].astype(int) - other).max() < 40
    else:
        assert (loaded.width, loaded.height) == (40, 20)
        left = np.asarray(loaded.image)[10, 2].astype(int)
        assert np.abs(left - (RED if orientation == 1 else BLUE)).max() < 40
    assert loaded.format == "JPEG" and loaded.media_type == "image/jpeg"
    assert loaded.image.mode == "RGB"


@pytest.mark.parametrize(
    ("size", "min_side", "decoded"),
    [
        ((1600, 1200), 224, (400, 300)),  # 1/4: 1/8 would leave 150 < 224 on the short side
        ((1600, 1200), 150, (200, 150)),  # 1/8
        ((640, 480), 224, (320, 240)),  # 1/2
        ((640, 427), 224, (640, 427)),  # half would be 213.5 < 224: full size
        ((300, 200), 64, (150, 100)),  # never below the short side asked for
    ],
)
def test_big_jpegs_decode_at_a_reduced_scale(
    loader: ImageLoader, size: tuple[int, int], min_side: int, decoded: tuple[int, int]
) -> None:
    data = encode(halves(size), "JPEG", quality=90)
    loaded = loader.load(data, min_side=min_side)
    assert loaded.image.size == decoded
    assert min(loaded.image.size) >= min_side
    assert (loaded.width, loaded.height) == size  # the file's size, not the decoded one
    full = loader.load(data).image.resize(decoded, Image.Resampling.BOX)
    # Still the same picture: colours within JPEG noise of a full decode scaled down.
    difference = np.abs(np.asarray(loaded.image, int) - np.asarray(full, int))
    assert np.median(difference) <= 2


def test_scaled_decoding_keeps_the_displayed_size_of_a_turned_photo(loader: ImageLoader) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways
    loaded = loader.load(encode(halves((800, 600)), "JPEG", exif=exif), min_side=100)
    assert loaded.image.size == (150, 200)  # 1/4 scale, then turned upright
    assert (loaded.width, loaded.height) == (600, 800)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_only_jpegs_decode_at_a_reduced_scale(loader: ImageLoader, fmt: str) -> None:
    loaded = loader.load(encode(halves((800, 600)), fmt), min_side=100)
    assert loaded.image.size == (800, 600)


def test_transparent_pixels_are_laid_on_white(loader: ImageLoader) -> None:
    rgba = Image.new("RGBA", (4, 2), (255, 0, 0, 0))  # red, but fully transparent
    rgba.putpixel((3, 1), (0, 0, 255, 255))
    pixels = np.asarray(loader.load(encode(rgba, "PNG")).image)
    assert tuple(pixels[0, 0]) == WHITE
    assert tuple(pixels[1, 3]) == BLUE


def test_palette_with_transparency(loader: ImageLoader) -> None:
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.putpixel((1, 1), 1)
    loaded = loader.load(encode(palette, "PNG", transparency=0))
    pixels = np.asarray(loaded.image)
    assert tuple(pixels[0, 0]) == WHITE  # the transparent index, not black
    assert tuple(pixels[1, 1]) == RED


def test_greyscale_with_alpha(loader: ImageLoader) -> None:
    image = Image.new("LA", (2, 1), (0, 0))
    image.putpixel((1, 0), (50, 255))
    pixels = np.asarray(loader.load(encode(image, "PNG")).image)
    assert tuple(pixels[0, 0]) == WHITE and tuple(pixels[0, 1]) == (50, 50, 50)


def test_cmyk_is_converted(loader: ImageLoader) -> None:
    cyan = Image.new("CMYK", (8, 8), (255, 0, 0, 0))
    loaded = loader.load(encode(cyan, "JPEG", quality=100))
    r, g, b = np.asarray(loaded.image)[4, 4].astype(int)
    assert r < 30 and g > 225 and b > 225


def test_sixteen_bit_greyscale_is_scaled_not_clipped(loader: ImageLoader) -> None:
    values = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16)
    loaded = loader.load(encode(Image.fromarray(values), "PNG"))
    assert loaded.format == "PNG"
    assert np.asarray(loaded.image)[0, :, 0].tolist() == [0, 64, 128, 255]


def test_greyscale_becomes_three_equal_channels(loader: ImageLoader) -> None:
    grey = Image.linear_gradient("L").resize((16, 16))
    pixels = np.asarray(loader.load(encode(grey, "PNG")).image)
    assert pixels.shape == (16, 16, 3)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()


def test_gif_first_frame(loader: ImageLoader) -> None:
    frames = [Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = loader.load(data)
    assert loaded.format == "GIF" and loaded.media_type == "image/gif"
    assert np.abs(np.asarray(loaded.image)[4, 4].astype(int) - RED).max() < 10


@pytest.mark.parametrize(
    ("fmt", "media_type", "options"),
    [
        ("BMP", "image/bmp", {}),
        ("TIFF", "image/tiff", {}),
        ("WEBP", "image/webp", {"lossless": True}),
        ("PNG", "image/png", {}),
    ],
)
def test_formats(loader: ImageLoader, fmt: str, media_type: str, options: dict) -> None:
    loaded = loader.load(encode(halves(), fmt, **options))
    assert (loaded.format, loaded.media_type, loaded.width, loaded.height) == (
        fmt,
        media_type,
        40,
        20,
    )
    assert tuple(np.asarray(loaded.image)[10, 2]) == RED


def test_multipage_tiff_gives_its_first_page(loader: ImageLoader) -> None:
    pages = [Image.new("RGB", (6, 6), BLUE), Image.new("RGB", (6, 6), RED)]
    loaded = loader.load(encode(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    assert tuple(np.asarray(loaded.image)[0, 0]) == BLUE


def test_truncated_jpeg_fails_with_reason(loader: ImageLoader) -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    data = encode(noise, "JPEG")
    with pytest.raises(ExtractError, match="truncated or corrupt"):
        loader.load(data[: len(data) // 2])


def test_zero_bytes_are_skipped(loader: ImageLoader) -> None:
    with pytest.raises(FileSkipped, match="empty file"):
        loader.load(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"Dear Ana, this is a letter, not a picture.",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # EPS would run Ghostscript
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
)
def test_not_an_image_fails_with_reason(loader: ImageLoader, data: bytes) -> None:
    with pytest.raises(ExtractError, match="not an image"):
        loader.load(data)


def test_decompression_bomb_is_skipped_without_decoding(
    loader: ImageLoader, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = png_header_claiming(20_000, 20_000)
    assert len(bomb) < 200

    def decode(self: Image.Image) -> None:
        raise AssertionError("the bomb was decoded")

    # Refused from the header: any decode would fail the test (no clock involved).
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", decode)
    with pytest.raises(FileSkipped, match=r"image too large.*SEARCHAPP_IMAGE_MAX_PIXELS"):
        loader.load(bomb)


@pytest.mark.parametrize("side", [25, 40])  # one to two times the limit, and far above
def test_the_pixel_limit_is_configurable(side: int) -> None:
    small = ImageLoader(max_pixels=500)
    with pytest.raises(FileSkipped, match="image too large"):
        small.load(encode(Image.new("RGB", (side, side)), "PNG"))
    assert small.load(encode(Image.new("RGB", (20, 20)), "PNG")).width == 20


def test_embedded_captions(loader: ImageLoader) -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description><dc:description>'
        '<rdf:Alt><rdf:li xml:lang="de">Ein Hund</rdf:li>'
        '<rdf:li xml:lang="x-default">A dog  on the\nbeach</rdf:li></rdf:Alt>'
        "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    loaded = loader.load(encode(Image.new("RGB", (4, 4)), "PNG", pnginfo=info))
    assert loaded.caption is not None
    assert (loaded.caption.text, loaded.caption.origin) == (
        "A dog on the beach",
        "XMP dc:description",
    )

    exif = Image.Exif()
    exif[0x010E] = "Café at dawn".encode()  # UTF-8 in an ASCII tag, as tools write it
    loaded = loader.load(encode(Image.new("RGB", (4, 4)), "JPEG", exif=exif))
    assert loaded.caption is not None and loaded.caption.text == "Café at dawn"
    assert loaded.caption.origin == "EXIF ImageDescription"

    exif[0x010E] = "OLYMPUS DIGITAL CAMERA       "
    assert loader.load(encode(Image.new("RGB", (4, 4)), "JPEG", exif=exif)).caption is None
