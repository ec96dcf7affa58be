"""The item endpoints: metadata, thumbnails (made once, cached), original files, and
the refusals: unknown ids, files outside the served roots, deleted files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from searchapp.app import App
from searchapp.config import Settings
from searchapp.web import create_app, thumbnails
from searchapp.web.thumbnails import THUMBNAIL_SIZE

pytestmark = pytest.mark.integration


def test_image_metadata(client: TestClient, corpus_dirs) -> None:
    path = corpus_dirs.path("images/coffee.png")
    item_id = corpus_dirs.item_id(path)
    response = client.get(f"/api/items/{item_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    with Image.open(path) as original:
        size = original.size
    assert body["id"] == item_id
    assert body["kind"] == "image"
    assert body["source"] == str(path)
    assert body["media_type"] == "image/png"
    assert (body["image"]["width"], body["image"]["height"]) == size
    assert body["image"]["format"] == "PNG"
    assert "espresso" in body["image"]["caption"]
    assert body["size"] == path.stat().st_size
    assert body["file"] == f"/api/items/{item_id}/file"
    assert body["thumbnail"] == f"/api/items/{item_id}/thumbnail"
    assert body["file_problem"] is None


def test_document_metadata(client: TestClient, corpus_dirs) -> None:
    path = corpus_dirs.path("docs/sourdough-starter.md")
    body = client.get(f"/api/items/{corpus_dirs.item_id(path)}").json()
    assert body["kind"] == "document"
    assert body["source"] == str(path)
    assert body["media_type"] == "text/markdown"
    assert body["chunk_index"] == 0
    assert body["image"] is None
    assert body["thumbnail"] is None
    assert body["size"] == path.stat().st_size


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    missing = client.get("/api/items/" + "0" * 32)
    assert missing.status_code == 404
    assert "no ingested item" in missing.json()["detail"]
    for bad in ("nothex" * 6, "ABCDEF" + "0" * 26, "0" * 31):
        for suffix in ("", "/file", "/thumbnail"):
            response = client.get(f"/api/items/{bad}{suffix}")
            assert response.status_code in (400, 404, 422), (bad, suffix, response.text)
            assert response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/items/../../../etc/passwd",
        "/api/items/..%2F..%2F..%2Fetc%2Fpasswd/file",
        "/api/items/%2e%2e/file",
        "/api/items/" + "0" * 32 + "/file/../../etc/passwd",
        "/api/items/file?path=/etc/passwd",
    ],
)
def test_traversal_attempts_serve_nothing(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404, 405, 422), response.text
    assert "root:" not in response.text


def test_thumbnail_is_made_once_and_bounded(
    client: TestClient, corpus_dirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = corpus_dirs.item_id(corpus_dirs.path("images/rocket-launch.jpg"))
    made = []
    real_render = thumbnails.render

    def counting_render(*args, **kwargs):
        made.append(args)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(thumbnails, "render", counting_render)
    first = client.get(f"/api/items/{item_id}/thumbnail")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    second = client.get(f"/api/items/{item_id}/thumbnail")
    assert second.status_code == 200
    assert second.content == first.content
    assert len(made) == 1  # the second answer came from the cache
    with Image.open(io.BytesIO(first.content)) as picture:
        assert picture.format == "JPEG"
        assert max(picture.size) == THUMBNAIL_SIZE


def test_changed_file_gets_a_new_thumbnail(
    corpus_dirs, page_settings: Settings, embedders, tmp_path: Path
) -> None:
    # A private copy of the app's state would need a re-ingest; instead the file
    # itself changes (same name, new picture) and the key follows its mtime/size.
    path = corpus_dirs.path("images/brick-wall.png")
    item_id = corpus_dirs.item_id(path)
    app = App(page_settings, embedders=embedders)
    client = TestClient(create_app(app, warm=False))
    original = path.read_bytes()
    stat = path.stat()
    try:
        first = client.get(f"/api/items/{item_id}/thumbnail")
        assert first.status_code == 200
        Image.new("RGB", (640, 320), (200, 20, 20)).save(path, "PNG")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        second = client.get(f"/api/items/{item_id}/thumbnail")
        assert second.status_code == 200
        with Image.open(io.BytesIO(second.content)) as picture:
            assert picture.size == (320, 160)
            red, green, _ = picture.getpixel((160, 80))
            assert red > 150 and green < 80
        cached = list((page_settings.state_dir / "thumbnails" / item_id[:2]).glob(f"{item_id}-*"))
        assert len(cached) == 1  # the old version's thumbnail was removed
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        app.close()


def test_thumbnail_applies_exif_orientation(
    corpus_dirs, page_settings: Settings, embedders
) -> None:
    """A sideways-stored photo (EXIF orientation 6) comes out upright."""
    from searchapp.search.items import StoredItem
    from searchapp.web.files import ServedFile

    path = corpus_dirs.root / "images" / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.new("RGB", (400, 200), (10, 120, 200)).save(path, "JPEG", exif=exif)
    try:
        stat = path.stat()
        item = StoredItem(
            id="f" * 32,
            space="clip_image",
            source=str(path),
            title="sideways.jpg",
            media_type="image/jpeg",
            ext="jpg",
            mtime=stat.st_mtime,
            sha256="0" * 64,
        )
        made = thumbnails.Thumbnails(page_settings).path_for(
            item, ServedFile(path.resolve(), stat.st_size, stat.st_mtime_ns)
        )
        with Image.open(made) as picture:
            assert picture.size == (160, 320)  # portrait, as displayed
    finally:
        path.unlink()


def test_thumbnail_of_a_document_is_404(client: TestClient, corpus_dirs) -> None:
    item_id = corpus_dirs.item_id(corpus_dirs.path("docs/sourdough-starter.md"))
    response = client.get(f"/api/items/{item_id}/thumbnail")
    assert response.status_code == 404
    assert "only images have thumbnails" in response.json()["detail"]
    assert client.get("/api/items/" + "1" * 32 + "/thumbnail").status_code == 404


def test_file_is_served_with_its_type(client: TestClient, corpus_dirs) -> None:
    image = corpus_dirs.path("images/chelsea-the-cat.png")
    response = client.get(f"/api/items/{corpus_dirs.item_id(image)}/file")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == image.read_bytes()
    page = corpus_dirs.path("docs/harvesting-honey.html")
    response = client.get(f"/api/items/{corpus_dirs.item_id(page)}/file")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == page.read_bytes()
    # A served HTML file cannot run script in the app's origin.
    assert "sandbox" in response.headers["content-security-policy"]


def test_file_outside_the_roots_is_refused(client: TestClient, corpus_dirs) -> None:
    item_id = corpus_dirs.item_id(corpus_dirs.outside / "unserved-notes.txt")
    assert client.get(f"/api/items/{item_id}").status_code == 200  # it is an item...
    response = client.get(f"/api/items/{item_id}/file")
    assert response.status_code == 403
    assert "outside the served folders" in response.json()["detail"]
    assert "Tuba" not in response.text
    body = client.get(f"/api/items/{item_id}").json()
    assert body["file"] is None and body["size"] is None
    assert "outside the served folders" in body["file_problem"]


def test_symlink_pointing_outside_is_refused(client: TestClient, corpus_dirs) -> None:
    link = corpus_dirs.path("docs/marmalade-link.txt")
    assert link.is_symlink()
    response = client.get(f"/api/items/{corpus_dirs.item_id(link)}/file")
    assert response.status_code == 403
    assert "outside the served folders" in response.json()["detail"]
    assert "Seville" not in response.text


def test_deleted_file_is_gone(client: TestClient, corpus_dirs) -> None:
    item_id = corpus_dirs.item_id(corpus_dirs.path("docs/lighthouse-log.txt"))
    response = client.get(f"/api/items/{item_id}/file")
    assert response.status_code == 410
    assert "no longer exists" in response.json()["detail"]
    assert client.get(f"/api/items/{item_id}").json()["file_problem"]


def test_configured_roots_replace_the_recorded_ones(
    corpus_dirs, page_settings: Settings, embedders
) -> None:
    settings = page_settings.model_copy(update={"file_roots": [corpus_dirs.outside]})
    app = App(settings, embedders=embedders)
    client = TestClient(create_app(app, warm=False))
    try:
        unserved = corpus_dirs.item_id(corpus_dirs.outside / "unserved-notes.txt")
        served = corpus_dirs.item_id(corpus_dirs.path("docs/sourdough-starter.md"))
        assert client.get(f"/api/items/{unserved}/file").status_code == 200
        assert client.get(f"/api/items/{served}/file").status_code == 403
    finally:
        app.close()


def test_corrupt_image_answers_422(corpus_dirs, page_settings: Settings, embedders) -> None:
    path = corpus_dirs.path("images/chelsea-the-cat.png")
    item_id = corpus_dirs.item_id(path)
    original = path.read_bytes()
    stat = path.stat()
    app = App(page_settings, embedders=embedders)
    client = TestClient(create_app(app, warm=False))
    try:
        path.write_bytes(original[:200])  # truncated since ingest
        response = client.get(f"/api/items/{item_id}/thumbnail")
        assert response.status_code == 422
        assert "corrupt" in response.json()["detail"]
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        app.close()
