"""Liveness, readiness, and what the API answers when the store or CLIP is missing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.web import create_app


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.integration
@pytest.mark.model
def test_readyz_when_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "store": "ok", "text_model": "ok", "clip": "ok"}


# --- the store cannot be reached ----------------------------------------------------


@pytest.fixture
def unreachable(tmp_path: Path, embedders: Embedders) -> Iterator[TestClient]:
    """An app whose store is a server nobody listens on; it must start anyway."""
    settings = Settings(state_dir=tmp_path / "state", milvus_uri="http://127.0.0.1:9")
    app = App(settings, embedders=embedders)
    with TestClient(create_app(app)) as client:  # warm-up failures are only logged
        yield client
    app.close()


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/api/search", {"q": "anything"}),
        ("GET", "/api/search", {"q": "anything", "mode": "text-to-image"}),
        ("GET", "/api/search", {"mode": "image", "item": "0" * 32}),
        ("GET", f"/api/search/similar/{'0' * 32}", {}),
        ("GET", "/api/collections", {}),
    ],
)
@pytest.mark.timeout(120)
def test_store_unreachable_answers_503_at_once(
    unreachable: TestClient,
    method: str,
    path: str,
    params: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A refused connection is answered at once, not after a connect timeout: with
    # the timeout raised to an hour, a request that waited for it would be stopped
    # by this test's own timeout (no wall-clock assert, so a busy machine is fine).
    monkeypatch.setattr("searchapp.store.connection._CONNECT_TIMEOUT", 3600.0)
    response = unreachable.request(method, path, params=params)
    assert response.status_code == 503, response.text
    assert "cannot reach Milvus at http://127.0.0.1:9" in response.json()["detail"]


def test_store_unreachable_upload_answers_503(unreachable: TestClient) -> None:
    response = unreachable.post(
        "/api/search/image", files={"image": ("q.png", _png(), "image/png")}
    )
    assert response.status_code == 503
    assert "cannot reach Milvus" in response.json()["detail"]


def test_store_unreachable_health(unreachable: TestClient) -> None:
    assert unreachable.get("/healthz").status_code == 200
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and "cannot reach Milvus" in body["store"]


# --- no CLIP weights ----------------------------------------------------------------


@pytest.fixture
def without_clip(tmp_path: Path) -> Iterator[TestClient]:
    """The configured CLIP (ViT-B-32 from the hub) cannot load offline; the store is
    empty, so text search answers without loading the text model."""
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False)
    app = App(settings, embedders=Embedders(settings))
    with TestClient(create_app(app, warm=False)) as client:
        yield client
    app.close()


@pytest.mark.integration
@pytest.mark.parametrize(
    ("method", "params", "upload"),
    [
        ("GET", {"q": "a cat", "mode": "text-to-image"}, False),
        ("POST", {"mode": "image"}, True),
        ("POST", {"mode": "image-to-text"}, True),
    ],
)
def test_clip_unavailable_answers_503(
    without_clip: TestClient, method: str, params: dict[str, str], upload: bool
) -> None:
    path = "/api/search/image" if upload else "/api/search"
    files = {"image": ("q.png", _png(), "image/png")} if upload else None
    response = without_clip.request(method, path, params=params, files=files)
    assert response.status_code == 503, response.text
    message = response.json()["detail"]
    assert message.startswith("CLIP weights cannot be loaded") and "text search work" in message


@pytest.mark.integration
def test_text_search_works_without_clip(without_clip: TestClient) -> None:
    response = without_clip.get("/api/search", params={"q": "anything"})
    assert response.status_code == 200
    body = response.json()
    assert body["hits"] == [] and "nothing has been ingested yet" in body["notice"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buffer, "PNG")
    return buffer.getvalue()
