"""/docs and /redoc: served from this app's own assets, nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.web import create_app

ASSETS = [
    "/docs-assets/swagger-ui-bundle.js",
    "/docs-assets/swagger-ui.css",
    "/docs-assets/redoc.standalone.js",
    "/docs-assets/favicon.png",
    "/static/apidocs/swagger-init.js",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    state = tmp_path_factory.mktemp("docs-state")
    # No store is needed to document the API.
    settings = Settings(state_dir=Path(state), milvus_uri="http://127.0.0.1:9")
    return TestClient(create_app(App(settings), warm=False))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_outside(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "/openapi.json" in html
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy  # scripts: self only
    assert "<script>" not in html  # no inline script (the policy would block it)


@pytest.mark.parametrize("asset", ASSETS)
def test_assets_are_served(client: TestClient, asset: str) -> None:
    response = client.get(asset)
    assert response.status_code == 200
    assert len(response.content) > 100


def test_every_referenced_asset_exists(client: TestClient) -> None:
    import re

    for page in ("/docs", "/redoc"):
        for url in re.findall(r'(?:src|href)="(/[^"]+)"', client.get(page).text):
            assert client.get(url).status_code == 200, url


def test_openapi_lists_the_search_operation(client: TestClient) -> None:
    assert "/api/search" in client.get("/openapi.json").json()["paths"]
