"""The search page in a real browser: headless Chromium (Debian's) against a real
`searchapp serve` over a tree ingested by `searchapp ingest`.

Each state is saved as a screenshot in test-artifacts/browser/ (gitignored), so
a person can look at what the test saw. Skipped only when chromium is not
installed (`make test` installs it).
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from searchapp.ingest.rows import row_id
from tests.web.browser.serving import (
    BROWSER_MARKS,
    DATA,
    screenshot,
    serving,
)

DOCUMENTS = [
    "docs/notes/sourdough-starter.md",
    "docs/plain/how-thunderstorms-form.txt",
    "docs/articles/octopus-camouflage.md",
    "docs/notes/chess-opening-principles.md",
    "docs/articles/home-espresso-guide.md",
    "docs/web/harvesting-honey.html",
]
IMAGES = ["coffee.png", "chelsea-the-cat.png", "rocket-launch.jpg", "brick-wall.png", "clock.png"]
# Every thumbnail on the page has loaded and decoded to a real picture.
ALL_THUMBNAILS_LOADED = """(selector) => {
    const images = [...document.querySelectorAll(selector)];
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
}"""

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-corpus")
    for relative in DOCUMENTS:
        shutil.copy(DATA / relative, root / Path(relative).name)
    (root / "images").mkdir()
    for name in IMAGES:
        shutil.copy(DATA / "images" / name, root / "images" / name)
        shutil.copy(DATA / "images" / f"{Path(name).stem}.txt", root / "images")
    return root


@pytest.fixture(scope="module")
def server(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The corpus served on loopback, as `searchapp serve` runs by default (no login)."""
    with serving(corpus, tmp_path_factory.mktemp("browser-server")) as (url, _):
        yield url


def item_id(corpus: Path, relative: str) -> str:
    return row_id(str(corpus / relative), 0)


def search_images_by_text(tab: Any, server: str, query: str) -> None:
    tab.goto(server)
    tab.fill("#q", query)
    tab.check("input[name=mode][value=text-to-image]")
    tab.click("#text-form button[type=submit]")
    tab.wait_for_function(ALL_THUMBNAILS_LOADED, arg=".tile img")


def test_text_search_finds_the_document(page: Any, server: str) -> None:
    page.goto(server)
    page.fill("#q", "how do I keep my sourdough starter alive")
    page.press("#q", "Enter")  # by keyboard
    page.wait_for_selector(".doc-title")
    titles = page.locator(".doc-title").all_inner_texts()
    assert "sourdough" in titles[0].lower(), titles
    assert page.locator("mark").count() > 0  # the query's words are marked
    assert page.locator(".took").inner_text().startswith("took ")
    screenshot(page, "01-text-search")


def test_text_to_image_shows_loaded_thumbnails(page: Any, server: str) -> None:
    search_images_by_text(page, server, "a cat with green eyes")
    sizes = page.eval_on_selector_all(".tile img", "images => images.map(i => i.naturalWidth)")
    assert len(sizes) == len(IMAGES)
    assert all(0 < width <= 320 for width in sizes)
    screenshot(page, "02-text-to-image")


def test_upload_an_image_with_the_file_picker(page: Any, server: str, corpus: Path) -> None:
    page.goto(server)
    page.set_input_files("#image", str(corpus / "images" / "rocket-launch.jpg"))
    page.wait_for_selector("#preview:not([hidden])")  # JavaScript's preview
    screenshot(page, "03-upload-preview")
    page.click("#image-form button[type=submit]")
    page.wait_for_function(ALL_THUMBNAILS_LOADED, arg=".tile img")
    first = page.locator(".tile img").first.get_attribute("src")
    assert first == f"/api/items/{item_id(corpus, 'images/rocket-launch.jpg')}/thumbnail"
    assert "uploaded image" in page.locator(".summary").inner_text()
    screenshot(page, "04-upload-results")


def test_drop_an_image(page: Any, server: str, corpus: Path) -> None:
    page.goto(server)
    data = base64.b64encode((corpus / "images" / "coffee.png").read_bytes()).decode()
    with page.expect_navigation():
        page.evaluate(
            """(data) => {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], "coffee.png", { type: "image/png" }));
                const drop = document.getElementById("drop");
                const init = { dataTransfer: transfer, bubbles: true };
                drop.dispatchEvent(new DragEvent("dragover", init));
                drop.dispatchEvent(new DragEvent("drop", init));
            }""",
            data,
        )
    page.wait_for_function(ALL_THUMBNAILS_LOADED, arg=".tile img")
    first = page.locator(".tile img").first.get_attribute("src")
    assert first == f"/api/items/{item_id(corpus, 'images/coffee.png')}/thumbnail"
    screenshot(page, "05-drop-results")


def test_more_like_this(page: Any, server: str, corpus: Path) -> None:
    search_images_by_text(page, server, "a clock")
    chosen = page.locator(".tile img").first.get_attribute("src")
    page.locator(".tile .more").first.click()
    page.wait_for_url("**/?mode=image&item=*")
    page.wait_for_function(ALL_THUMBNAILS_LOADED, arg=".tile img")
    assert page.locator(".summary img").get_attribute("src") == chosen  # the query image
    results = page.eval_on_selector_all(".tile img", "images => images.map(i => i.src)")
    assert len(results) == len(IMAGES) - 1
    assert not any(src.endswith(str(chosen)) for src in results)  # never itself
    screenshot(page, "06-more-like-this")


def test_phone_width(browser: Any, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        tab = context.new_page()
        tab.goto(f"{server}/?q=bees+and+honey")
        tab.wait_for_selector(".doc-title")
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than the phone"
        box = tab.locator("#q").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        screenshot(tab, "07-phone-text")
        search_images_by_text(tab, server, "a cup of coffee")
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        screenshot(tab, "08-phone-images")
    finally:
        context.close()


def test_without_javascript(browser: Any, server: str, corpus: Path) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 800}
    )
    try:
        tab = context.new_page()
        tab.goto(server)
        assert not tab.locator(".drop-hint").is_visible()  # the drop zone needs script
        tab.fill("#q", "octopus changing colour")
        tab.click("#text-form button[type=submit]")
        tab.wait_for_selector(".doc-title")
        assert "octopus" in tab.locator(".doc-title").first.inner_text().lower()
        screenshot(tab, "09-no-js-text")
        tab.set_input_files("#image", str(corpus / "images" / "brick-wall.png"))
        tab.click("#image-form button[type=submit]")
        tab.wait_for_selector(".tile img")
        first = tab.locator(".tile img").first.get_attribute("src")
        assert first == f"/api/items/{item_id(corpus, 'images/brick-wall.png')}/thumbnail"
        screenshot(tab, "10-no-js-upload")
    finally:
        context.close()


def test_error_page_in_the_browser(page: Any, server: str) -> None:
    page.goto(f"{server}/?q=bread&k=0")
    alert = page.locator("[role=alert]")
    assert "k" in alert.inner_text()
    assert page.locator("#q").input_value() == "bread"  # the form stays filled in
    screenshot(page, "11-bad-parameter")


# --- a server that needs a login ----------------------------------------------------


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Documents served with SEARCHAPP_AUTH=required (as on a non-loopback address) and
    no token yet: serve makes one and prints its login URL. The URL and the token."""
    root = tmp_path_factory.mktemp("locked-corpus")
    for relative in DOCUMENTS:
        shutil.copy(DATA / relative, root / Path(relative).name)
    work = tmp_path_factory.mktemp("locked-server")
    with serving(root, work, SEARCHAPP_AUTH="required") as (url, log):
        printed = [line for line in log.read_text().splitlines() if "/login?token=" in line]
        assert len(printed) == 1, log.read_text()
        token = printed[0].split("/login?token=", 1)[1].strip()
        yield url, token


def test_log_in_with_a_token_and_search(browser: Any, locked_server: tuple[str, str]) -> None:
    server, token = locked_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"{server}/?q=honey+bees")
        tab.wait_for_url("**/login?next=*")  # not logged in: to the login form
        assert tab.locator("#token").get_attribute("type") == "password"
        screenshot(tab, "12-login-form")
        tab.fill("#token", "sa_wrong")
        tab.click("#login-form button[type=submit]")
        assert "not valid" in tab.locator("[role=alert]").inner_text()
        tab.fill("#token", token)
        tab.click("#login-form button[type=submit]")
        tab.wait_for_selector(".doc-title")  # back to the search it asked for
        assert "honey" in tab.locator(".doc-title").first.inner_text().lower()
        # serve made an admin token named "serve"; the header says who is signed in.
        assert "signed in as serve" in tab.locator(".logout").inner_text()
        session = next(c for c in context.cookies() if c["name"] == "searchapp_session")
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        screenshot(tab, "13-logged-in-search")
        tab.fill("#q", "octopus changing colour")
        tab.press("#q", "Enter")
        tab.wait_for_url("**/?q=octopus*")
        assert "octopus" in tab.locator(".doc-title").first.inner_text().lower()
        tab.click(".logout button[type=submit]")
        tab.wait_for_url("**/login")
        tab.goto(f"{server}/?q=octopus")
        tab.wait_for_url("**/login?next=*")  # logged out
    finally:
        context.close()
