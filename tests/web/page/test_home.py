"""The home page: what the library holds, before the first search."""

from __future__ import annotations

import random
import re
from html import unescape

from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.web import create_app
from searchapp.web.library import library_overview
from searchapp.web.visibility import SourceNames


def _row(html: str, kind: str) -> list[str]:
    match = re.search(rf'<th scope="row">{kind}</th>((?:<td[^>]*>\d+</td>)+)', html)
    assert match, f"no row for {kind}"
    return re.findall(r">(\d+)<", match.group(1))


def test_home_page_shows_the_library(client: TestClient, corpus_dirs) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    # The page tree: 4 Markdown files, 1 HTML page, 4 images with captions (files, chunks, images).
    markdown = _row(html, "Markdown")
    assert markdown[0] == "4" and int(markdown[1]) >= 3 and markdown[2] == "0"
    assert _row(html, "HTML")[0] == "1"
    assert _row(html, "Images") == ["4", "0", "4"]
    assert re.search(r'class="last-ingest"><time datetime="\d{4}-', html)
    assert '<dd class="worker">not running</dd>' in html
    # The recorded root, as this caller (the local owner, an admin) sees paths: in full.
    assert f"<li>{corpus_dirs.root}</li>" in html
    examples = re.findall(r'<ul class="examples">(.*?)</ul>', html, re.DOTALL)
    assert examples
    links = re.findall(r'<a href="(/\?q=[^"]+)">', examples[0])
    assert 1 <= len(links) <= 4


def test_example_searches_find_results(client: TestClient) -> None:
    html = client.get("/").text
    block = re.search(r'<ul class="examples">(.*?)</ul>', html, re.DOTALL)
    assert block
    for link in re.findall(r'<a href="(/\?q=[^"]+)">', block.group(1)):
        results = client.get(unescape(link))
        assert results.status_code == 200
        assert 'class="doc-title"' in results.text, link


def test_examples_are_document_titles(page_app: App) -> None:
    overview = library_overview(page_app, SourceNames((), True), rng=random.Random(1))
    assert overview.examples and len(overview.examples) == len(set(overview.examples))
    assert (
        "Our first honey harvest | Hive Diaries" in overview.examples or len(overview.examples) == 4
    )
    assert overview.files >= 8 and overview.images == 4


def test_no_overview_once_a_search_is_made(client: TestClient) -> None:
    assert 'class="library"' not in client.get("/", params={"q": "honey"}).text


def test_empty_library_says_how_to_ingest(tmp_path, embedders: Embedders) -> None:
    settings = Settings(state_dir=tmp_path / "state", milvus_uri="http://127.0.0.1:9")
    client = TestClient(create_app(App(settings, embedders=embedders), warm=False))
    response = client.get("/")
    assert response.status_code == 200  # no store needed
    assert "Nothing ingested yet" in response.text and "never" in response.text
    assert not (tmp_path / "state" / "ingest").exists()  # reading created nothing


def test_home_page_needs_the_read_scope(page_settings: Settings, page_app: App) -> None:
    locked = Settings(**{**page_settings.model_dump(), "auth": "required"})
    app = App(locked, embedders=page_app.embedders)
    client = TestClient(create_app(app, warm=False), follow_redirects=False)
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert "In the library" not in response.text
