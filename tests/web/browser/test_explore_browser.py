"""The Explore page in headless Chromium, against a real `searchapp serve` over the
constructed explore library (tests/explore/library.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.explore.library import build_library
from tests.web.browser.serving import ARTIFACTS, BROWSER_MARKS, serving

pytestmark = BROWSER_MARKS
# Pixels the map drew (anything not transparent).
PAINTED = """(canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
    return painted;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    library = build_library(tmp_path_factory.mktemp("explore-browser-library"))
    with serving(library, tmp_path_factory.mktemp("explore-browser")) as (url, _):
        yield url


def _open(browser: Any, server: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.goto(f"{server}/explore")
    tab.wait_for_selector("#map[data-drawn]")
    return tab


def test_map_hover_and_duplicates(browser: Any, server: str) -> None:
    tab = _open(browser, server, 1280)
    try:
        assert tab.get_attribute("#map", "data-drawn") == "15"
        assert tab.eval_on_selector("#map", PAINTED) > 0
        assert tab.locator("#legend li").count() >= 3
        point = tab.evaluate("() => window.exploreMap.pointAt(0)")
        tab.mouse.move(point["x"], point["y"])
        tab.wait_for_selector("#map-tip:not([hidden])")
        assert tab.inner_text("#map-tip") == point["title"]
        tab.mouse.click(point["x"], point["y"])
        tab.wait_for_selector("#map-pick:not([hidden])")
        assert tab.get_attribute("#map-pick-open", "href").endswith("/file")
        tab.screenshot(path=str(ARTIFACTS / "explore-01-map.png"), full_page=True)
        group = tab.locator(".dup-group").first
        assert not group.locator(".dup-member").first.is_visible()
        group.locator("summary").click()
        assert group.locator(".dup-member").first.is_visible()
        assert group.locator(".dup-member").count() == 2
        tab.screenshot(path=str(ARTIFACTS / "explore-02-duplicates.png"), full_page=True)
    finally:
        tab.context.close()


def test_phone_width_has_no_sideways_scroll(browser: Any, server: str) -> None:
    tab = _open(browser, server, 390)
    try:
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        width = tab.evaluate("() => document.getElementById('map').getBoundingClientRect().width")
        assert 300 <= width <= 390
        tab.screenshot(path=str(ARTIFACTS / "explore-03-phone.png"), full_page=True)
    finally:
        tab.context.close()
