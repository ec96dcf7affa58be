"""/api/explore/...: the explore results as JSON, paged, behind read access."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.auth import Scope, TokenStore
from searchapp.web import create_app

pytestmark = [pytest.mark.integration, pytest.mark.model]


@pytest.fixture(scope="module")
def exposed(explore_app: App) -> Iterator[TestClient]:
    """Bound to 0.0.0.0: every request needs a token."""
    with TestClient(create_app(explore_app, warm=False, bind_host="0.0.0.0")) as client:
        yield client


@pytest.fixture(scope="module")
def reader(explore_app: App) -> dict[str, str]:
    token = TokenStore(explore_app.settings.state_dir).create("explore-reader", Scope.READ)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("what", ["duplicates", "clusters", "outliers", "map"])
def test_every_route_needs_read_access(exposed: TestClient, what: str) -> None:
    assert exposed.get(f"/api/explore/text/{what}").status_code == 401


def test_duplicates_paged(exposed: TestClient, reader: dict[str, str]) -> None:
    first = exposed.get("/api/explore/text/duplicates?limit=1", headers=reader)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["total"] == 2 and len(body["groups"]) == 1 and body["next_offset"] == 1
    second = exposed.get("/api/explore/text/duplicates?limit=1&offset=1", headers=reader).json()
    assert second["next_offset"] is None
    members = [m for page in (body, second) for g in page["groups"] for m in g["members"]]
    assert {m["exact"] for m in members} == {True, False}
    # A reader sees no absolute paths (as in search hits).
    assert all(not m["source"].startswith("/") for m in members)
    assert all(m["file_url"] == f"/api/items/{m['id']}/file" for m in members)


def test_image_duplicates_have_thumbnails(exposed: TestClient, reader: dict[str, str]) -> None:
    body = exposed.get("/api/explore/image/duplicates", headers=reader).json()
    [group] = body["groups"]
    assert all(m["thumbnail_url"].endswith("/thumbnail") for m in group["members"])


def test_clusters_outliers_map(exposed: TestClient, reader: dict[str, str]) -> None:
    clusters = exposed.get("/api/explore/text/clusters?clusters=3", headers=reader).json()
    assert len(clusters["clusters"]) == 3
    outliers = exposed.get("/api/explore/text/outliers?limit=2", headers=reader).json()
    assert outliers["items"][0]["title"] == "Company tax deadlines"
    assert len(outliers["items"]) == 2 and outliers["next_offset"] == 2
    page = exposed.get("/api/explore/text/map?limit=10", headers=reader).json()
    assert page["total"] == page["item_count"] and len(page["points"]) == 10
    assert page["next_offset"] == 10 and page["clusters"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/explore/audio/map",
        "/api/explore/text/duplicates?threshold=2",
        "/api/explore/text/outliers?limit=0",
        "/api/explore/text/map?clusters=0",
        "/api/explore/text/outliers?offset=-1",
    ],
)
def test_bad_requests_are_4xx(exposed: TestClient, reader: dict[str, str], url: str) -> None:
    response = exposed.get(url, headers=reader)
    assert 400 <= response.status_code < 500, response.text


def test_in_openapi(exposed: TestClient) -> None:
    paths = exposed.get("/openapi.json").json()["paths"]
    for what in ("duplicates", "clusters", "outliers", "map"):
        assert f"/api/explore/{{space}}/{what}" in paths


def test_the_explore_page_lists_groups_and_outliers(
    exposed: TestClient, reader: dict[str, str]
) -> None:
    page = exposed.get("/explore", headers=reader)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="map"' in html and 'data-src="/api/explore/text/map"' in html
    assert html.count('class="dup-group"') == 2 and "same bytes" in html
    assert "Company tax deadlines" in html
    images = exposed.get("/explore?space=image", headers=reader).text
    assert "/thumbnail" in images
    assert exposed.get("/explore?space=audio", headers=reader).status_code == 400


def test_the_explore_page_needs_a_login(exposed: TestClient) -> None:
    response = exposed.get("/explore", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
