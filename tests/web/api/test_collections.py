"""GET /api/collections: what `searchapp stats --json` shows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.store.schema import ALL_SPECS
from searchapp.web import create_app
from tests.web.api.conftest import DOCUMENTS, IMAGES

pytestmark = [pytest.mark.integration, pytest.mark.model]


def test_collections(client: TestClient, api_app: App) -> None:
    response = client.get("/api/collections")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["store"]["uri"] == api_app.store.uri
    assert body["store"]["server"].startswith("Milvus Lite")
    by_space = {c["space"]: c for c in body["collections"]}
    assert set(by_space) == {spec.space for spec in ALL_SPECS}
    text = by_space["text"]
    assert text["name"] == "searchapp_text" and text["physical_name"] == "searchapp_text_v1"
    assert text["model"] == api_app.settings.text_model and text["dim"] == 384
    assert text["metric"] == "COSINE" and text["normalized"] is True
    # One chunk per small document, and one per image caption.
    assert text["rows"] == len(DOCUMENTS) + len(IMAGES)
    assert text["index"]["type"] == "HNSW" and text["index"]["M"] == api_app.settings.hnsw_m
    assert text["index"]["efConstruction"] == api_app.settings.hnsw_ef_construction
    assert text["index"]["search_ef"] == api_app.settings.search_ef
    assert text["index"]["keywords"].startswith("BM25")
    image = by_space["clip_image"]
    assert image["rows"] == len(IMAGES) and image["index"]["keywords"] is None
    assert "random-weights" in image["model"] and image["dim"] == 512
    # The same figures as the store's own description (what `stats --json` prints).
    described = {info.space: info.as_dict() for info in api_app.store.describe(list(ALL_SPECS))}
    assert {space: c["rows"] for space, c in by_space.items()} == {
        space: info["rows"] for space, info in described.items()
    }
    assert {space: c["index"] for space, c in by_space.items()} == {
        space: info["index"] for space, info in described.items()
    }


def test_collections_of_an_empty_store(fake_app: App) -> None:
    # What the route makes of a store with no collection: the fake store will do.
    with TestClient(create_app(fake_app, warm=False)) as empty:
        body = empty.get("/api/collections").json()
    assert body["collections"] == []
