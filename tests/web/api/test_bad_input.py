"""Bad input answers 4xx with a message in the body: never a 500, never a hang."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = [pytest.mark.integration, pytest.mark.model]


def detail(response: Any) -> str:
    """The message of an error: ours is a string, FastAPI's validation a list."""
    body = response.json()["detail"]
    if isinstance(body, str):
        return body
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in body)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": "x", "mode": "sideways"}, 422, "query.mode: Input should be 'text'"),
        ({"q": "x", "k": 0}, 422, "query.k: Input should be greater than or equal to 1"),
        ({"q": "x", "k": 101}, 422, "query.k: Input should be less than or equal to 100"),
        ({"q": "x", "k": "ten"}, 422, "query.k: Input should be a valid integer"),
        ({"q": "x", "offset": -1}, 422, "query.offset: Input should be greater than or equal"),
        ({"q": "x", "retrieval": "psychic"}, 422, "query.retrieval: Input should be 'dense'"),
        ({"q": "x", "min_relevance": 2}, 422, "query.min_relevance: Input should be less"),
        ({"q": "x", "modified_after": "yesterday"}, 422, "query.modified_after: Input should"),
        ({"q": "x", "modified_before": "2024-13-45"}, 422, "query.modified_before"),
        ({"q": "x", "media_type": "markdown"}, 400, "is not of the form type/subtype"),
        ({"q": "x", "media_type": "im%ge/*"}, 400, "must be letters only"),
        ({"q": "x", "folder": "relative/path"}, 400, "must be an absolute path"),
        ({"q": "x", "ext": "p/df"}, 400, "must be letters and digits"),
        ({"q": "x", "ext": 'pdf" or "1'}, 400, "must be letters and digits"),
        (
            {"q": "x", "modified_after": "2024-01-02", "modified_before": "2024-01-01"},
            400,
            "modified_after must be earlier than modified_before",
        ),
        ({}, 400, "the query is empty"),
        ({"q": ""}, 400, "the query is empty"),
        ({"q": "   "}, 400, "the query is empty"),
        ({"q": "x" * 2001}, 400, "longer than 2000 characters"),
        ({"q": "", "mode": "text-to-image"}, 400, "the query is empty"),
        ({"mode": "image"}, 400, "mode image needs item=<id of an ingested image>"),
        ({"mode": "image-to-text", "q": "cats"}, 400, "mode image-to-text searches by an image"),
        ({"mode": "image", "item": "nope"}, 400, "is not an item id"),
        ({"q": "cats", "item": "0" * 32}, 400, "item= is for the image modes"),
        ({"mode": "image", "item": "0" * 32}, 404, "no ingested image has the id"),
    ],
)
def test_bad_search_parameters(
    client: TestClient, params: dict[str, Any], status: int, message: str
) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == status, response.text
    assert message in detail(response)


def test_a_long_query_in_text_to_image_mode(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "y" * 5000, "mode": "text-to-image"})
    assert response.status_code == 400
    assert "longer than 2000 characters" in detail(response)


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/api/nothing-here").status_code == 404
    response = client.delete("/api/search")
    assert response.status_code == 405 and detail(response) == "Method Not Allowed"


def test_control_characters_in_filters(client: TestClient) -> None:
    """Characters Milvus's expression parser might trip on stay inside the literal."""
    for folder in ("/tmp/a\x00b", "/tmp/\n\r\t", "/tmp/\u2028\u00e9\U0001f600"):
        response = client.get("/api/search", params={"q": "x", "folder": folder})
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            assert response.json()["hits"] == []
        else:
            assert detail(response)
