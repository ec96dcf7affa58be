"""GET /api/search: each mode, the hit shape, timings, paging and every filter,
checked against the files' known folders, types and modification times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.api.conftest import DOCUMENTS, IMAGES, NEW, ODD_FOLDER, Corpus

pytestmark = [pytest.mark.integration, pytest.mark.model]

EVERYTHING = {"min_relevance": 0, "k": 100}  # no relevance floor: every document is a hit


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def sources(body: dict[str, Any]) -> list[str]:
    return [hit["source"] for hit in body["hits"]]


def test_text_search_finds_the_document_and_shapes_hits(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="why is the planet Mars red", k=3)
    assert body["mode"] == "text" and body["k"] == 3 and body["offset"] == 0
    assert body["retrieval"] in ("dense", "keyword", "hybrid")
    top = body["hits"][0]
    assert top["source"] == corpus.path("notes/mars.txt")
    assert top["media_type"] == "text/plain" and top["title"] == "Why Mars is red"
    assert "iron oxide" in top["snippet"]
    assert re.fullmatch(r"[0-9a-f]{32}", top["id"])
    assert top["file_url"] == f"/api/items/{top['id']}/file"
    assert top["thumbnail_url"] is None and top["image"] is None
    assert top["chunk"]["index"] == 0 and top["chunk"]["end"] > top["chunk"]["start"]
    assert 0 < top["relevance"] <= 1


def test_an_image_caption_hit_links_its_thumbnail(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="a tabby cat with green eyes", k=1)
    [hit] = body["hits"]
    assert hit["source"] == corpus.path("pictures/chelsea-the-cat.png")
    assert hit["image"]["width"] == 451 and hit["image"]["format"] == "PNG"
    assert hit["thumbnail_url"] == f"/api/items/{hit['id']}/thumbnail"


def test_timings_in_the_body_and_the_server_timing_header(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "honey bees"})
    header = dict(re.findall(r"(\w+);dur=([0-9.]+)", response.headers["server-timing"]))
    assert set(header) == {"encode", "milvus", "search"}
    timings = response.json()["timings"]
    assert float(header["encode"]) == timings["encode_ms"] > 0
    assert float(header["milvus"]) == timings["milvus_ms"] > 0
    assert float(header["search"]) == timings["search_ms"]
    assert timings["search_ms"] >= timings["encode_ms"] + timings["milvus_ms"]


@pytest.mark.parametrize("retrieval", ["dense", "keyword", "hybrid"])
def test_each_retrieval(client: TestClient, corpus: Corpus, retrieval: str) -> None:
    body = search(client, q="whales sing songs", retrieval=retrieval, k=1, min_relevance=0)
    assert body["retrieval"] == retrieval
    assert sources(body) == [corpus.path("web/whales.html")]


def test_text_to_image_answers_images(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="a cup of coffee", mode="text-to-image", k=10)
    assert body["mode"] == "text-to-image"
    assert sorted(sources(body)) == sorted(corpus.path(p) for p in IMAGES)
    for hit in body["hits"]:
        assert hit["image"] is not None and hit["thumbnail_url"].endswith("/thumbnail")
    assert body["timings"]["encode_ms"] > 0


def image_id(client: TestClient, name: str) -> str:
    body = search(client, q="picture", mode="text-to-image", k=10)
    return next(hit["id"] for hit in body["hits"] if hit["source"].endswith(name))


def test_image_mode_by_item_id(client: TestClient, corpus: Corpus) -> None:
    item = image_id(client, "coffee.png")
    body = search(client, mode="image", item=item, k=10)
    assert body["query"] == item
    found = sources(body)
    # The image itself is no answer; every other image is.
    assert corpus.path("pictures/coffee.png") not in found
    assert len(found) == len(IMAGES) - 1
    assert body["timings"]["encode_ms"] == 0  # its stored vector is reused


def test_image_to_text_by_item_id(client: TestClient, corpus: Corpus) -> None:
    item = image_id(client, "clock.png")
    body = search(client, mode="image-to-text", item=item, k=20)
    assert body["hits"]
    assert corpus.path("pictures/clock.png") not in sources(body)


# --- paging ---------------------------------------------------------------------


def test_pages_follow_one_another_until_the_last(client: TestClient) -> None:
    everything = search(client, q="nature and science", **EVERYTHING)
    expected = [hit["id"] for hit in everything["hits"]]
    assert len(expected) == len(DOCUMENTS) + len(IMAGES)  # captions are documents too
    assert everything["next_offset"] is None
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = search(client, q="nature and science", k=3, offset=offset, min_relevance=0)
        assert page["offset"] == offset and len(page["hits"]) <= 3
        seen += [hit["id"] for hit in page["hits"]]
        offset = page["next_offset"]
        if offset is not None:
            assert offset == page["offset"] + 3 and len(page["hits"]) == 3
    assert seen == expected


def test_an_offset_past_the_end_is_an_empty_last_page(client: TestClient) -> None:
    body = search(client, q="nature", offset=50, min_relevance=0)
    assert body["hits"] == [] and body["next_offset"] is None


def test_image_pages(client: TestClient) -> None:
    first = search(client, q="photo", mode="text-to-image", k=3)
    second = search(client, q="photo", mode="text-to-image", k=3, offset=3)
    assert first["next_offset"] == 3 and second["next_offset"] is None
    ids = [hit["id"] for hit in first["hits"] + second["hits"]]
    assert len(set(ids)) == len(IMAGES)


# --- filters --------------------------------------------------------------------


def test_media_type_exact(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="anything", media_type="text/markdown", **EVERYTHING)
    expected = {corpus.path(p) for p in DOCUMENTS if p.endswith(".md")}
    assert set(sources(body)) == expected


def test_media_types_repeated(client: TestClient, corpus: Corpus) -> None:
    body = client.get(
        "/api/search",
        params=[("q", "x"), ("media_type", "text/html"), ("media_type", "text/plain"),
                ("min_relevance", "0"), ("k", "100")],
    ).json()  # fmt: skip
    expected = {corpus.path(p) for p in DOCUMENTS if p.endswith((".html", ".txt"))}
    assert set(sources(body)) == expected


def test_media_type_family(client: TestClient, corpus: Corpus) -> None:
    # In text mode, images are found by their captions.
    body = search(client, q="anything", media_type="image/*", **EVERYTHING)
    assert set(sources(body)) == {corpus.path(p) for p in IMAGES}
    body = search(client, q="anything", mode="text-to-image", media_type="image/png", k=10)
    assert set(sources(body)) == {corpus.path(p) for p in IMAGES if p.endswith(".png")}


def test_folder(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="anything", folder=corpus.path("web"), **EVERYTHING)
    assert set(sources(body)) == {corpus.path("web/volcano.html"), corpus.path("web/whales.html")}
    # A trailing slash or a dot segment names the same folder; a prefix of a name does not.
    assert set(sources(search(client, q="x", folder=corpus.path("web/"), **EVERYTHING))) == set(
        sources(body)
    )
    assert search(client, q="x", folder=corpus.path("we"), **EVERYTHING)["hits"] == []


def test_extension(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="anything", ext=".txt", **EVERYTHING)
    assert set(sources(body)) == {corpus.path(p) for p in DOCUMENTS if p.endswith(".txt")}
    body = search(client, q="anything", mode="text-to-image", ext="jpg", k=10)
    assert sources(body) == [corpus.path("pictures/rocket-launch.jpg")]


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def test_modified_after_and_before(client: TestClient, corpus: Corpus) -> None:
    new = {corpus.path(p) for p, (_, mtime) in DOCUMENTS.items() if mtime == NEW}
    new |= {corpus.path(p) for p, mtime in IMAGES.items() if mtime == NEW}
    everything = {corpus.path(p) for p in (*DOCUMENTS, *IMAGES)}
    after = search(client, q="anything", modified_after=_iso(NEW), **EVERYTHING)
    assert set(sources(after)) == new
    before = search(client, q="anything", modified_before=_iso(NEW), **EVERYTHING)
    assert set(sources(before)) == everything - new
    # Both: a window holding only the old files; a date without a zone is accepted too.
    window = search(
        client,
        q="anything",
        modified_after="2019-12-31T00:00:00+00:00",
        modified_before="2020-01-02T00:00:00Z",
        **EVERYTHING,
    )
    assert set(sources(window)) == everything - new


def test_filters_combine(client: TestClient, corpus: Corpus) -> None:
    body = search(
        client,
        q="anything",
        folder=str(corpus.root / "notes"),
        ext="md",
        modified_after=_iso(NEW),
        **EVERYTHING,
    )
    assert sources(body) == [corpus.path("notes/bees.md")]


def test_a_folder_with_quotes_and_a_backslash(client: TestClient, corpus: Corpus) -> None:
    body = search(client, q="anything", folder=str(corpus.root / ODD_FOLDER), **EVERYTHING)
    assert sources(body) == [corpus.path(f"{ODD_FOLDER}/tea.md")]


@pytest.mark.parametrize(
    "folder",
    [
        '/" or source != "',
        '/x") or (source != "',
        '/x\\") or true or ("',
        '/\\" || 1 == 1 || "',
        "/tmp/\\",
        "/tmp/'; drop collection",
    ],
)
def test_filter_values_cannot_inject(client: TestClient, folder: str) -> None:
    """Quotes and backslashes in a value stay inside its string literal: the filter
    matches no folder (nothing found), never everything, never an error."""
    response = client.get("/api/search", params={"q": "anything", "folder": folder, **EVERYTHING})
    assert response.status_code == 200, response.text
    assert response.json()["hits"] == []


def test_media_type_with_quotes_is_refused_or_matches_nothing(client: TestClient) -> None:
    response = client.get(
        "/api/search", params={"q": "x", "media_type": 'text/"x" or "a"', **EVERYTHING}
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.json()["hits"] == []
    else:
        assert "media type" in response.json()["detail"]
