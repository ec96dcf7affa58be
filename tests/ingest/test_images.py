"""Image ingest: real COCO photos, broken files, captions, re-runs, and the stored
vectors checked against open_clip's own. Captions and re-runs (updates, deletes)
run on Milvus Lite and on a real Milvus server; the rest on Lite only (time)."""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from searchapp.app import App
from searchapp.embed import Embedders
from searchapp.embed.clip import TINY_TEST_MODEL, ClipSource
from searchapp.errors import ModelMismatchError, ModelUnavailableError
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.rows import row_id
from searchapp.search import Mode, SearchRequest
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC
from searchapp.store.filters import equals

pytestmark = [pytest.mark.integration, pytest.mark.model]

COCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "coco_mini"
needs_coco = pytest.mark.skipif(not COCO.exists(), reason="needs ../shared/data/coco_mini")


def coco_photos() -> list[Path]:
    return sorted((COCO / "train2017").glob("*.jpg")) + sorted((COCO / "val2017").glob("*.jpg"))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def png_bomb() -> bytes:
    """A valid PNG header for 20,000 x 20,000 pixels (1.2 GB decoded), in 100 bytes."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def stored(app: App, spec, expression: str, fields: list[str]) -> list[dict]:
    handle = app.store.existing_collection(spec)
    return handle.query(expression, fields) if handle is not None else []


@needs_coco
@pytest.mark.parametrize("jpeg_scaling", [False, True], ids=["full-size", "jpeg-scaling"])
def test_coco_photos_stored_and_broken_files_reported(
    settings, embedders, tmp_path: Path, reference_clip, jpeg_scaling: bool
):
    app = App(settings.model_copy(update={"image_jpeg_scaling": jpeg_scaling}), embedders)
    folder = tmp_path / "photos"
    folder.mkdir()
    photos = coco_photos()
    assert len(photos) == 159
    for photo in photos:
        shutil.copyfile(photo, folder / photo.name)  # a link out of the folder is skipped
    whole = photos[0].read_bytes()
    broken = {
        "truncated.jpg": (whole[: len(whole) // 3], Outcome.FAILED, "truncated or corrupt"),
        "zero.jpg": (b"", Outcome.SKIPPED, "empty file"),
        "letter.png": (b"Dear Ana, the ferry leaves at seven.", Outcome.FAILED, "not an image"),
        "bomb.png": (png_bomb(), Outcome.SKIPPED, "image too large"),
    }
    for name, (data, _, _) in broken.items():
        (folder / name).write_bytes(data)

    summary = ingest(app, scan([folder]).files)

    by_name = {result.path.name: result for result in summary.results}
    assert summary.seen == 159 + len(broken)
    for name, (_, outcome, reason) in broken.items():
        assert by_name[name].outcome is outcome, name
        assert reason in by_name[name].reason, (name, by_name[name].reason)
    assert summary.count(Outcome.INGESTED) == 159
    assert summary.rows_written["clip_image"] == 159

    rows = stored(app, CLIP_IMAGE_SPEC, "", ["source", "vector", "width", "height", "format"])
    assert sorted(Path(r["source"]).name for r in rows) == sorted(p.name for p in photos)
    # Every stored vector is open_clip's own encode_image of open_clip's own
    # preprocessing: of the picture at full size, or (JPEG scaling) of the picture
    # libjpeg decodes at the smallest scale that keeps the model's input side.
    side = embedders.clip().input_side
    pictures, full_size = [], []
    for row in rows:
        with Image.open(row["source"]) as original:
            full_size.append(original.size)
            if jpeg_scaling:
                width, height = original.size
                short = min(width, height)
                original.draft("RGB", (-(-width * side // short), -(-height * side // short)))
            pictures.append(ImageOps.exif_transpose(original).convert("RGB"))
        assert (row["width"], row["height"], row["format"]) == (*full_size[-1], "JPEG")
    scaled = sum(picture.size != size for picture, size in zip(pictures, full_size, strict=True))
    assert scaled == (len(rows) if jpeg_scaling else 0)  # the tiny model reads 64 x 64
    expected = reference_clip.encode_images(pictures)
    for row, reference in zip(rows, expected, strict=True):
        assert cosine(np.asarray(row["vector"], dtype=np.float32), reference) >= 0.9999
    app.close()


@pytest.fixture
def captioned(tmp_path: Path) -> Path:
    """Two sample photos (one with a sidecar), a document, and a stray .txt."""
    folder = tmp_path / "album"
    folder.mkdir()
    samples = Path(__file__).resolve().parents[2] / "data" / "images"
    (folder / "coffee.png").write_bytes((samples / "coffee.png").read_bytes())
    (folder / "coffee.txt").write_text("An espresso cup on a red saucer.")
    (folder / "clock.png").write_bytes((samples / "clock.png").read_bytes())
    (folder / "kiln.md").write_text(
        "# Firing a kiln\n\n" + "Raise the kiln's temperature slowly so pots do not crack. " * 80
    )
    (folder / "todo.txt").write_text("Buy coffee beans and descale the machine.")
    return folder


def test_captions_are_searchable_and_sidecars_are_not_documents(
    backend_app: App, captioned: Path, reference_clip
) -> None:
    app = backend_app
    summary = ingest(app, scan([captioned]).files)
    names = {result.path.name: result.outcome for result in summary.results}
    assert names == {
        "coffee.png": Outcome.INGESTED,
        "clock.png": Outcome.INGESTED,
        "kiln.md": Outcome.INGESTED,
        "todo.txt": Outcome.INGESTED,
    }  # coffee.txt is coffee.png's caption, not a file of its own
    coffee = str(captioned / "coffee.png")
    [image] = stored(app, CLIP_IMAGE_SPEC, equals("source", coffee), ["id", "caption"])
    assert image["caption"] == "An espresso cup on a red saucer."
    assert image["id"] == row_id(coffee, 0)
    assert stored(app, TEXT_SPEC, equals("source", str(captioned / "coffee.txt")), ["id"]) == []

    # Plain text search finds the image through its caption.
    hits = app.search.search_text("espresso cup on a saucer", k=3).hits
    assert hits[0].source == coffee and hits[0].media_type == "image/png"
    assert hits[0].image is not None and hits[0].image.caption == image["caption"]
    assert (hits[0].image.width, hits[0].image.height) == (600, 400)

    # The CLIP text space holds the caption (source = the image) and the document's
    # opening windows; each vector is open_clip's own encode_text of the row's text.
    clip_rows = stored(app, CLIP_TEXT_SPEC, "", ["source", "media_type", "text", "vector"])
    caption_rows = [r for r in clip_rows if r["source"] == coffee]
    assert [r["media_type"] for r in caption_rows] == ["image/png"]
    kiln = [r for r in clip_rows if r["source"].endswith("kiln.md")]
    assert len(kiln) == app.settings.clip_text_windows
    for row in clip_rows:
        expected = reference_clip.encode_text(row["text"])
        assert cosine(np.asarray(row["vector"], dtype=np.float32), expected) >= 0.9999
        assert int((reference_clip.tokenizer([row["text"]])[0] != 0).sum()) <= 77


def test_rerun_skips_unchanged_and_sidecar_edits_reingest(
    backend_app: App, captioned: Path
) -> None:
    app = backend_app
    first = ingest(app, scan([captioned]).files)
    again = ingest(app, scan([captioned]).files)
    assert again.count(Outcome.UNCHANGED) == first.count(Outcome.INGESTED) == 4
    assert sum(again.rows_written.values()) == 0

    (captioned / "coffee.txt").write_text("A flat white in a tall glass.")
    third = ingest(app, scan([captioned]).files)
    outcomes = {r.path.name: r.outcome for r in third.results}
    assert outcomes["coffee.png"] is Outcome.INGESTED
    assert outcomes["clock.png"] is Outcome.UNCHANGED
    coffee = equals("source", str(captioned / "coffee.png"))
    texts = [r["text"] for r in stored(app, TEXT_SPEC, coffee, ["text"])]
    assert texts == ["A flat white in a tall glass."]  # the old caption's rows are gone
    clip_texts = [r["text"] for r in stored(app, CLIP_TEXT_SPEC, coffee, ["text"])]
    assert clip_texts == ["A flat white in a tall glass."]
    assert len(stored(app, CLIP_IMAGE_SPEC, coffee, ["id"])) == 1

    # Removing the sidecar removes the caption everywhere.
    (captioned / "coffee.txt").unlink()
    os.utime(captioned / "coffee.png")
    ingest(app, scan([captioned]).files)
    assert stored(app, TEXT_SPEC, coffee, ["id"]) == []
    assert stored(app, CLIP_TEXT_SPEC, coffee, ["id"]) == []
    assert [r["caption"] for r in stored(app, CLIP_IMAGE_SPEC, coffee, ["caption"])] == [""]


def test_a_mismatched_clip_model_is_refused(app: App, captioned: Path):
    # The identity check itself runs on both backends in tests/store/test_store.py.
    ingest(app, scan([captioned]).files)
    other = Embedders(app.settings, clip_source=ClipSource.random(TINY_TEST_MODEL, purpose="other"))
    other_app = App(app.settings, embedders=other)  # the same store, another CLIP model
    with pytest.raises(ModelMismatchError, match="random-weights-seed0-test-only"):
        ingest(other_app, scan([captioned / "clock.png"]).files)
    # Searches embed queries with the model the collection records; random test
    # weights cannot be rebuilt from a record, so this process refuses, saying why.
    photo = (captioned / "clock.png").read_bytes()
    with pytest.raises(ModelUnavailableError, match=r"built by .*seed0-test-only.*random test"):
        other_app.search.search(SearchRequest(mode=Mode.IMAGE, image=photo))
    # Nothing was written by the refused model.
    assert len(stored(app, CLIP_IMAGE_SPEC, "", ["id"])) == 2
    other_app.close()


def test_corrupt_image_does_not_stop_the_batch(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = Image.new("RGB", (32, 32), (10, 200, 30))
    for index in range(5):
        buffer = io.BytesIO()
        good.rotate(index * 40).save(buffer, "PNG")
        (folder / f"good{index}.png").write_bytes(buffer.getvalue())
        (folder / f"bad{index}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200))
    summary = ingest(app, scan([folder]).files)
    assert summary.count(Outcome.INGESTED) == 5
    assert summary.count(Outcome.FAILED) == 5
    assert all("truncated or corrupt" in r.reason for r in summary.problems(Outcome.FAILED))
