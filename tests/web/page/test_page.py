"""The search page: text search without JavaScript, escaping and highlighting,
pagination, the image directions, and the error pages (400, 503, CLIP missing)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import ingest, scan
from searchapp.web import create_app
from tests.web.forms import csrf_token

pytestmark = pytest.mark.integration


class _Links(HTMLParser):
    """The page's result titles (in order), links, images and forms."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.links: dict[str, str] = {}  # rel -> href
        self.images: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self.mores: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h2" and attributes.get("class") == "doc-title":
            self._in_title = True
            self.titles.append("")
        if tag == "a" and attributes.get("rel"):
            self.links[str(attributes["rel"])] = str(attributes["href"])
        if tag == "a" and attributes.get("class") == "more":
            self.mores.append(str(attributes["href"]))
        if tag == "img" and attributes.get("src"):
            self.images.append(str(attributes["src"]))
        if tag == "form":
            self.forms.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data.strip()


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_blank_page_has_both_forms(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    text_form, image_form = page.forms
    assert (text_form["method"], text_form["action"]) == ("get", "/")
    assert image_form["method"] == "post"
    assert image_form["enctype"] == "multipart/form-data"
    assert image_form["action"] == "/image"
    assert '<meta name="viewport"' in response.text
    assert '<label class="big-label" for="q">' in response.text
    for mode in ("text", "text-to-image", "image", "image-to-text"):
        assert f'value="{mode}"' in response.text


def test_text_search_without_javascript(client: TestClient) -> None:
    """What a plain form submits, empty filter fields included."""
    response = client.get(
        "/",
        params={
            "q": "feeding a sourdough starter",
            "mode": "text",
            "folder": "",
            "ext": "",
            "media_type": "",
            "modified_after": "",
            "modified_before": "",
            "retrieval": "",
            "k": "",
            "min_relevance": "",
        },
    )
    assert response.status_code == 200, response.text
    page = parse(response.text)
    assert page.titles, response.text
    assert "sourdough" in page.titles[0].lower()
    assert re.search(r"took \d+ ms", response.text)
    assert 'value="feeding a sourdough starter"' in response.text


def test_filters_apply(client: TestClient, corpus_dirs) -> None:
    response = client.get("/", params={"q": "sourdough starter", "ext": "html", "min_relevance": 0})
    assert response.status_code == 200
    titles = parse(response.text).titles
    assert titles == ["Harvesting honey"] or (titles and "honey" in titles[0].lower())
    folder = str(corpus_dirs.root / "images")
    response = client.get("/", params={"q": "espresso coffee", "folder": folder})
    for source in re.findall(r'<p class="source">([^<]*)', response.text):
        assert source.startswith(folder)


def test_snippet_is_escaped_then_highlighted(client: TestClient) -> None:
    response = client.get("/", params={"q": "quokka script"})
    assert response.status_code == 200
    html = response.text
    assert "<script>alert" not in html
    assert "&lt;<mark>script</mark>&gt;alert(&#39;<mark>quokka</mark>&#39;)" in html
    assert "Quokka handling notes" in parse(html).titles[0]


def test_query_with_markup_is_escaped(client: TestClient) -> None:
    response = client.get("/", params={"q": '"><img src=x onerror=alert(1)> honey'})
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_pagination_links(client: TestClient) -> None:
    first = client.get("/", params={"q": "how things work", "k": 2, "min_relevance": 0})
    page = parse(first.text)
    assert len(page.titles) == 2
    assert "prev" not in page.links
    next_url = page.links["next"]
    assert "offset=2" in next_url and "k=2" in next_url and "min_relevance=0" in next_url
    second = client.get(next_url)
    second_page = parse(second.text)
    assert len(second_page.titles) >= 1
    assert not set(second_page.titles) & set(page.titles)
    assert "offset=0" in second_page.links["prev"]
    assert '<ol class="docs" start="3">' in second.text


def test_empty_state(client: TestClient) -> None:
    response = client.get(
        "/", params={"q": "sourdough", "folder": "/nowhere/at/all", "retrieval": "dense"}
    )
    assert response.status_code == 200
    assert "No results" in response.text
    assert not parse(response.text).titles


def test_notice_is_shown(client: TestClient) -> None:
    """A query far from everything: the relevance floor drops all, and says so."""
    response = client.get("/", params={"q": "zzqx vorpal frumious bandersnatch"})
    assert response.status_code == 200
    if "relevance floor" not in response.text:  # the floor kept something: no notice due
        assert parse(response.text).titles
    else:
        assert 'class="notice"' in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x", "k": "0"}, "k"),
        ({"q": "x", "k": "many"}, "k"),
        ({"q": "x", "mode": "sideways"}, "mode"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x", "folder": "relative/folder"}, "absolute path"),
        ({"q": "x", "ext": "p*f"}, "letters and digits"),
        ({"q": "x", "modified_after": "not a date"}, "modified_after"),
        ({"q": "x" * 2001}, "longer than"),
        ({"mode": "image", "item": "not-an-id"}, "not an item id"),
    ],
)
def test_bad_parameters_answer_a_400_page(client: TestClient, params, message) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert message in response.text
    assert '<form id="text-form"' in response.text  # the form stays usable


def test_text_to_image_shows_thumbnails(client: TestClient) -> None:
    response = client.get("/", params={"q": "a cat", "mode": "text-to-image"})
    assert response.status_code == 200, response.text
    page = parse(response.text)
    thumbs = [src for src in page.images if src.endswith("/thumbnail")]
    assert len(thumbs) == 4  # every image (the tiny random CLIP ranks them arbitrarily)
    assert client.get(thumbs[0]).headers["content-type"] == "image/jpeg"
    assert all("mode=image&item=" in more for more in page.mores)


def test_more_like_this(client: TestClient, corpus_dirs) -> None:
    item_id = corpus_dirs.item_id(corpus_dirs.path("images/coffee.png"))
    response = client.get("/", params={"mode": "image", "item": item_id})
    assert response.status_code == 200, response.text
    thumbs = [src for src in parse(response.text).images if src.endswith("/thumbnail")]
    # The query image first (in the summary), then the three others: never itself.
    assert thumbs[0] == f"/api/items/{item_id}/thumbnail"
    assert len(thumbs) == 4 and item_id not in "".join(thumbs[1:])
    missing = client.get("/", params={"mode": "image", "item": "0" * 32})
    assert missing.status_code == 404
    assert "no ingested image" in missing.text


def test_image_mode_without_an_image_asks_for_one(client: TestClient) -> None:
    response = client.get("/", params={"mode": "image"})
    assert response.status_code == 200
    assert "Choose an image" in response.text
    assert 'role="alert"' not in response.text  # a hint, not an error


def test_caption_hits_show_their_image(client: TestClient, corpus_dirs) -> None:
    """A text search finds an image by its caption: listed with its thumbnail and
    a "more like this" that searches by the image."""
    cat = corpus_dirs.item_id(corpus_dirs.path("images/chelsea-the-cat.png"))
    response = client.get("/", params={"q": "tabby cat with green eyes", "min_relevance": 0})
    page = parse(response.text)
    assert page.titles[0] == "chelsea-the-cat.png"
    assert f"/api/items/{cat}/thumbnail" in page.images
    assert page.mores[0] == f"/?mode=image&item={cat}&min_relevance=0"
    assert client.get(page.mores[0]).status_code == 200


def test_upload_searches_by_image(client: TestClient, corpus_dirs) -> None:
    data = corpus_dirs.path("images/rocket-launch.jpg").read_bytes()
    response = client.post(
        "/image?k=3",
        files={"image": ("query.jpg", data, "image/jpeg")},
        data={"direction": "image", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 200, response.text
    thumbs = [src for src in parse(response.text).images if src.endswith("/thumbnail")]
    rocket = corpus_dirs.item_id(corpus_dirs.path("images/rocket-launch.jpg"))
    assert len(thumbs) == 3
    assert thumbs[0] == f"/api/items/{rocket}/thumbnail"  # the same picture is nearest
    assert "like the uploaded image" in response.text
    assert 'src="data:image/jpeg;base64,' in response.text  # what was asked, shown
    to_text = client.post(
        "/image",
        files={"image": ("q.jpg", data, "image/jpeg")},
        data={"direction": "image-to-text", "csrf_token": csrf_token(client)},
    )
    assert to_text.status_code == 200, to_text.text
    assert parse(to_text.text).titles


def test_upload_of_a_non_image_is_a_400_page(client: TestClient) -> None:
    response = client.post(
        "/image",
        files={"image": ("notes.txt", b"not a picture at all", "text/plain")},
        data={"direction": "image", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "cannot be used" in response.text
    empty = client.post(
        "/image",
        files={"image": ("e.jpg", b"", "image/jpeg")},
        data={"csrf_token": csrf_token(client)},
    )
    assert empty.status_code == 400
    missing = client.post("/image", data={"direction": "image", "csrf_token": csrf_token(client)})
    assert missing.status_code == 400
    assert "image" in missing.text


def test_store_unreachable_is_a_503_page(tmp_path: Path, embedders: Embedders) -> None:
    settings = Settings(state_dir=tmp_path / "state", milvus_uri="http://127.0.0.1:9")
    client = TestClient(create_app(App(settings, embedders=embedders), warm=False))
    blank = client.get("/")
    assert blank.status_code == 200  # the form needs no store
    response = client.get("/", params={"q": "sourdough"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert "127.0.0.1:9" in response.text


def test_clip_unavailable_keeps_text_search(page_settings: Settings, embedders: Embedders) -> None:
    """No CLIP weights here: the default pretrained tag cannot download offline."""
    no_clip = Embedders(Settings(state_dir=page_settings.state_dir, lite_shared=False))
    app = App(page_settings, embedders=no_clip)
    client = TestClient(create_app(app, warm=False))
    try:
        response = client.get("/", params={"q": "a cat", "mode": "text-to-image"})
        assert response.status_code == 503
        assert 'role="alert"' in response.text
        assert "cannot be loaded here" in response.text
        text = client.get("/", params={"q": "feeding a sourdough starter"})
        assert text.status_code == 200
        assert "sourdough" in parse(text.text).titles[0].lower()
    finally:
        app.close()


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/search.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = client.get("/static/search.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/static/../config.py").status_code == 404


def test_upload_over_the_limit_is_a_413_page(tmp_path: Path) -> None:
    # The file is refused while read, before any search: no store is needed.
    small = Settings(state_dir=tmp_path / "state", lite_shared=False, max_upload_bytes=1024)
    application = App(small)
    with TestClient(create_app(application, warm=False)) as small_client:
        response = small_client.post(
            "/image",
            files={"image": ("big.png", b"\x89PNG" + b"\0" * 1100, "image/png")},
            data={"direction": "image", "csrf_token": csrf_token(small_client)},
        )
    application.close()
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "1,024 bytes" in response.text


def test_upload_address_opened_directly_goes_back_to_the_form(client: TestClient) -> None:
    response = client.get("/image?ext=png&k=4", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?mode=image&ext=png&k=4"


def test_clip_without_weights_on_a_text_only_store(tmp_path: Path, embedders: Embedders) -> None:
    """The store has no CLIP space: the message is why CLIP cannot load (no weights)."""
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False, clip_text_windows=0)
    writer = App(settings, embedders=embedders)
    note = tmp_path / "note.md"
    note.write_text("# Kettles\n\nDescale a kettle with citric acid every month.\n")
    ingest(writer, scan([note]).files)
    writer.close()
    app = App(settings, embedders=Embedders(settings))
    client = TestClient(create_app(app, warm=False))
    try:
        response = client.get("/", params={"q": "a kettle", "mode": "text-to-image"})
        assert response.status_code == 503
        assert "CLIP weights cannot be loaded" in response.text
        assert 'role="alert"' in response.text
        text = client.get("/", params={"q": "descaling a kettle", "min_relevance": 0})
        assert text.status_code == 200
        assert parse(text.text).titles == ["Kettles"]
    finally:
        app.close()


def test_a_last_full_page_has_no_next_link(client: TestClient) -> None:
    query = {"q": "how things work", "min_relevance": 0}
    every = parse(client.get("/", params={**query, "k": 100}).text).titles
    assert 1 < len(every) < 100
    last = parse(client.get("/", params={**query, "k": len(every)}).text)
    assert len(last.titles) == len(every)
    assert "next" not in last.links  # a full page, but nothing after it
