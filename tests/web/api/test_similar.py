"""GET /api/search/similar/{id}: more like this, for an image and for a document chunk."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.api.conftest import DOCUMENTS, IMAGES, Corpus

pytestmark = [pytest.mark.integration, pytest.mark.model]


def hit_for(client: TestClient, query: str, source: str, **params: Any) -> dict[str, Any]:
    body = client.get("/api/search", params={"q": query, "k": 100, **params}).json()
    return next(hit for hit in body["hits"] if hit["source"] == source)


def test_similar_images(client: TestClient, corpus: Corpus) -> None:
    image = hit_for(client, "x", corpus.path("pictures/clock.png"), mode="text-to-image")
    response = client.get(f"/api/search/similar/{image['id']}", params={"k": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "image"
    found = [hit["source"] for hit in body["hits"]]
    assert corpus.path("pictures/clock.png") not in found
    assert len(found) == len(IMAGES) - 1
    assert all(hit["image"] is not None for hit in body["hits"])


def test_similar_documents(client: TestClient, corpus: Corpus) -> None:
    chunk = hit_for(client, "volcano lava", corpus.path("web/volcano.html"), min_relevance=0)
    response = client.get(f"/api/search/similar/{chunk['id']}", params={"k": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "text" and body["retrieval"] == "dense"
    found = [hit["source"] for hit in body["hits"]]
    # Every other document (captions included), never the item's own.
    assert corpus.path("web/volcano.html") not in found
    assert len(found) == len(DOCUMENTS) + len(IMAGES) - 1
    assert body["timings"]["encode_ms"] == 0  # the stored vector is the query
    scores = [hit["score"] for hit in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_with_filters_and_paging(client: TestClient, corpus: Corpus) -> None:
    chunk = hit_for(client, "bees honey", corpus.path("notes/bees.md"), min_relevance=0)
    response = client.get(
        f"/api/search/similar/{chunk['id']}", params={"k": 1, "folder": str(corpus.root / "notes")}
    )
    body = response.json()
    [hit] = body["hits"]
    assert hit["source"].startswith(str(corpus.root / "notes"))
    assert body["next_offset"] == 1
    last = client.get(
        f"/api/search/similar/{chunk['id']}",
        params={"k": 10, "offset": 1, "folder": str(corpus.root / "notes")},
    ).json()
    assert len(last["hits"]) == 2 and last["next_offset"] is None  # 4 notes, minus bees


def test_similar_unknown_item(client: TestClient) -> None:
    response = client.get(f"/api/search/similar/{'0' * 32}")
    assert response.status_code == 404
    assert "no ingested item has the id" in response.json()["detail"]


def test_similar_malformed_item(client: TestClient) -> None:
    response = client.get("/api/search/similar/not-an-id")
    assert response.status_code == 400
    assert "is not an item id" in response.json()["detail"]
