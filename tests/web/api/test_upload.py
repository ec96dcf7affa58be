"""POST /api/search/image: search by an uploaded picture, and every way an upload
can be wrong (missing, empty, not an image, too many bytes, too many pixels)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from searchapp.app import App
from searchapp.web import create_app
from tests.web.api.conftest import IMAGES, PIXEL_LIMIT, UPLOAD_LIMIT, Corpus

pytestmark = [pytest.mark.integration, pytest.mark.model]


def upload(client: TestClient, data: bytes, name: str = "query.png", **params: str):
    return client.post(
        "/api/search/image", params=params, files={"image": (name, data, "image/png")}
    )


def test_an_uploaded_image_finds_itself_first(client: TestClient, corpus: Corpus) -> None:
    data = (corpus.root / "pictures" / "coffee.png").read_bytes()
    response = upload(client, data, k="10")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "image" and body["query"] == "(image)"
    assert body["hits"][0]["source"] == corpus.path("pictures/coffee.png")
    assert body["hits"][0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert len(body["hits"]) == len(IMAGES)
    assert body["timings"]["encode_ms"] > 0 and "encode;dur=" in response.headers["server-timing"]


def test_image_to_text_by_upload(client: TestClient, corpus: Corpus) -> None:
    data = (corpus.root / "pictures" / "clock.png").read_bytes()
    response = upload(client, data, mode="image-to-text", k="50")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "image-to-text" and body["hits"]
    assert all(hit["image"] is None or hit["image"]["caption"] for hit in body["hits"])


def test_filters_apply_to_uploads(client: TestClient, corpus: Corpus) -> None:
    data = (corpus.root / "pictures" / "coffee.png").read_bytes()
    body = upload(client, data, ext="jpg").json()
    assert [hit["source"] for hit in body["hits"]] == [corpus.path("pictures/rocket-launch.jpg")]


def test_a_text_mode_is_refused(client: TestClient, corpus: Corpus) -> None:
    data = (corpus.root / "pictures" / "coffee.png").read_bytes()
    response = upload(client, data, mode="text-to-image")
    assert response.status_code == 400
    assert "mode image or image-to-text" in response.json()["detail"]


def test_missing_image(client: TestClient) -> None:
    response = client.post("/api/search/image")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "image"]
    response = client.post("/api/search/image", data={"other": "x"})
    assert response.status_code == 422


def test_empty_upload(client: TestClient) -> None:
    response = upload(client, b"")
    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not an image at all", "cannot be used"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "cannot be used"),  # a PNG signature, no image
    ],
)
def test_unreadable_upload(client: TestClient, data: bytes, reason: str) -> None:
    response = upload(client, data)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_truncated_image(client: TestClient, corpus: Corpus) -> None:
    data = (corpus.root / "pictures" / "rocket-launch.jpg").read_bytes()
    response = upload(client, data[: len(data) // 3], name="cut.jpg")
    assert response.status_code == 400
    assert "the query image cannot be used" in response.json()["detail"]


def test_too_many_pixels(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, PIXEL_LIMIT // 1200 + 10), "white").save(buffer, "PNG")
    assert len(buffer.getvalue()) < UPLOAD_LIMIT  # refused for its pixels, not its bytes
    response = upload(client, buffer.getvalue())
    assert response.status_code == 400
    assert "SEARCHAPP_IMAGE_MAX_PIXELS" in response.json()["detail"]


def test_just_over_the_upload_limit(client: TestClient) -> None:
    """Within the body's allowance for form framing, but the file itself is too big."""
    response = upload(client, b"\x00" * (UPLOAD_LIMIT + 1))
    assert response.status_code == 413
    assert "SEARCHAPP_MAX_UPLOAD_BYTES" in response.json()["detail"]


def test_far_over_the_upload_limit(client: TestClient) -> None:
    response = upload(client, b"\x00" * (UPLOAD_LIMIT * 3))
    assert response.status_code == 413
    assert "SEARCHAPP_MAX_UPLOAD_BYTES" in response.json()["detail"]


def test_a_huge_streamed_upload_is_refused_without_reading_it_all(api_app: App) -> None:
    """No Content-Length (chunked): the body is counted as it arrives.

    httpx's ASGI transport hands the app one chunk at a time (the TestClient
    would read the whole body first)."""
    chunk = b"\x00" * (256 * 1024)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            b'--b\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n"
        )
        for _ in range(4096):  # 1 GiB, if it were all read
            sent += 1
            yield chunk
        yield b"\r\n--b--\r\n"

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(api_app, warm=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            return await http.post(
                "/api/search/image",
                content=body(),
                headers={"content-type": "multipart/form-data; boundary=b"},
            )

    response = asyncio.run(post())
    assert response.status_code == 413
    assert "SEARCHAPP_MAX_UPLOAD_BYTES" in response.json()["detail"]
    assert sent * len(chunk) < 2 * UPLOAD_LIMIT  # stopped soon after the limit
