"""What a newcomer meets first, in a real browser: the API docs offline, the home page's
overview of the library, and snippets without page furniture or markup.

A `searchapp serve` over the sample web pages, one Markdown and one reST article and
two images (the launch flags, the serving and the screenshots are test_browser's).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.web.browser.serving import BROWSER_MARKS, DATA, screenshot, serving

WEB_PAGES = sorted((DATA / "docs" / "web").glob("*.html"))
ARTICLES = ["docs/articles/volcano-types.rst", "docs/articles/sql-indexes.md"]
IMAGES = ["coffee.png", "clock.png"]
# Each sample page's site name (its header's brand link) and navigation labels.
_BRAND = re.compile(r'class="brand" href="/">([^<]+)<')
_NAV = re.compile(r'<li><a href="/[^"]*">([^<]+)</a></li>')

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("newcomer-corpus")
    (root / "web").mkdir()
    for page in WEB_PAGES:
        shutil.copy(page, root / "web" / page.name)
    for relative in ARTICLES:
        shutil.copy(DATA / relative, root / Path(relative).name)
    (root / "images").mkdir()
    for name in IMAGES:
        shutil.copy(DATA / "images" / name, root / "images" / name)
    with serving(root, tmp_path_factory.mktemp("newcomer-server")) as (url, _):
        yield url


@pytest.fixture
def offline(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A tab whose requests to anywhere but this machine are aborted; the URLs it
    tried to reach outside, and the console's errors (a CSP violation is one)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def route(request_route: Any) -> None:
        host = urlsplit(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or request_route.request.url.startswith("data:"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield tab, outside, errors
    context.close()


def _blocked_own_assets(errors: list[str], server: str) -> list[str]:
    """CSP violations of what this server serves (the policy must allow all of it);
    an outside URL blocked by the policy is the policy working."""
    violations = [e for e in errors if "Content Security Policy" in e]
    return [e for e in violations if server in e or "inline" in e or "'self'" not in e]


def test_swagger_ui_lists_the_operations_offline(offline: Any, server: str) -> None:
    tab, outside, errors = offline
    tab.goto(f"{server}/docs")
    # Generous: 1.5 MB of script to parse on a loaded machine (2-3 s when quiet).
    tab.wait_for_selector(".opblock", timeout=180_000)
    paths = tab.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/search" in [p.replace("\u200b", "") for p in paths], paths
    screenshot(tab, "21-docs-offline")
    assert outside == []  # nothing was even tried outside
    assert not _blocked_own_assets(errors, server), errors


def test_redoc_lists_the_operations_offline(offline: Any, server: str) -> None:
    tab, outside, errors = offline
    tab.goto(f"{server}/redoc")
    # A locator, not wait_for_function: the page's CSP forbids the eval that needs.
    tab.get_by_text("/api/search").first.wait_for(timeout=180_000)
    screenshot(tab, "22-redoc-offline")
    assert outside == []  # ReDoc's Redocly logo (a CDN image) is stopped by the CSP itself
    assert not _blocked_own_assets(errors, server), errors


def _counts(tab: Any) -> dict[str, list[str]]:
    rows = tab.eval_on_selector_all(
        ".library-counts tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )
    return {row[0]: row[1:] for row in rows}


def test_home_page_shows_the_sample_library(offline: Any, server: str) -> None:
    tab, _, _ = offline
    tab.goto(server)
    counts = _counts(tab)
    assert counts["HTML"][0] == str(len(WEB_PAGES))
    assert counts["Markdown"][0] == "1" and counts["reStructuredText"][0] == "1"
    assert counts["Images"] == [str(len(IMAGES)), "0", str(len(IMAGES))]
    assert tab.locator(".worker").inner_text() == "not running"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", tab.locator(".last-ingest").inner_text())
    screenshot(tab, "23-home")
    examples = tab.locator(".examples a")
    assert 1 <= examples.count() <= 4
    for index in range(examples.count()):
        tab.goto(server)
        link = tab.locator(".examples a").nth(index)
        title = link.inner_text()
        link.click()
        tab.wait_for_selector(".doc-title")
        assert title in tab.locator(".doc-title").all_inner_texts(), title
    screenshot(tab, "24-example-search")


def test_home_page_at_phone_width_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    try:
        tab = context.new_page()
        tab.goto(server)
        assert _counts(tab)["HTML"][0] == str(len(WEB_PAGES))
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than the phone"
        screenshot(tab, "25-home-phone")
    finally:
        context.close()


def test_web_page_snippets_show_no_navigation(offline: Any, server: str) -> None:
    tab, _, _ = offline
    furniture = set()
    for page in WEB_PAGES:
        html = page.read_text(encoding="utf-8")
        furniture.update(_BRAND.findall(html))
        furniture.update(label for label in _NAV.findall(html) if label != "Home")
    tab.goto(f"{server}/?q=how+do+bees+make+honey")
    tab.wait_for_selector(".doc-title")
    assert "honey" in tab.locator(".doc-title").first.inner_text().lower()
    snippets = tab.locator(".snippet").all_inner_texts()[:5]
    for snippet in snippets:
        assert not [name for name in furniture if name in snippet], snippet
        assert not snippet.startswith("Home ")
    marked = {m.lower() for m in tab.locator(".snippet mark").all_inner_texts()}
    assert marked & {"bees", "honey"}, marked
    screenshot(tab, "26-honey-snippets")


def test_rst_snippet_shows_no_underlines(offline: Any, server: str) -> None:
    tab, _, _ = offline
    tab.goto(f"{server}/?q=cinder+cones+and+calderas")
    tab.wait_for_selector(".doc-title")
    snippet = tab.locator(".snippet").first.inner_text()
    assert "Cinder cones" in snippet
    assert not re.search(r"[-=~]{3,}", snippet), snippet
