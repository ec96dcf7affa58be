"""HTML: visible text only, block structure, titles, encodings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.extract import TextDocument, extract_text

Write = Callable[[str, bytes | str], Path]

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>  The   Page Title </title>
  <style>body { color: red }</style>
  <script>var secret = "SCRIPT-TEXT";</script>
</head>
<body>
  <noscript>NOSCRIPT-TEXT</noscript>
  <template><p>TEMPLATE-TEXT</p></template>
  <h1>Main heading</h1>
  <p>First   paragraph
     spans lines &amp; has <b>bold</b> words.</p>
  <div hidden>HIDDEN-ATTR-TEXT</div>
  <div aria-hidden="true">ARIA-HIDDEN-TEXT</div>
  <span style="display: none">DISPLAY-NONE-TEXT</span>
  <!-- COMMENT-TEXT -->
  <ul><li>one</li><li>two</li></ul>
  <p>Line<br>break</p>
  <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>
  <pre>  keep
    this   spacing</pre>
  <script type="application/ld+json">{"LDJSON": "TEXT"}</script>
</body>
</html>
"""


def _read(path: Path) -> TextDocument:
    [doc] = extract_text(path)
    return doc


def test_visible_text_only(write_file: Write) -> None:
    doc = _read(write_file("page.html", PAGE))
    for invisible in (
        "SCRIPT",
        "color: red",
        "NOSCRIPT",
        "TEMPLATE",
        "HIDDEN-ATTR",
        "ARIA-HIDDEN",
        "DISPLAY-NONE",
        "COMMENT",
        "LDJSON",
        "The   Page Title",
    ):
        assert invisible not in doc.text
    assert doc.media_type == "text/html"


def test_blocks_and_whitespace(write_file: Write) -> None:
    doc = _read(write_file("page.html", PAGE))
    assert doc.text == (
        "Main heading\n\n"
        "First paragraph spans lines & has bold words.\n\n"
        "one\ntwo\n\n"
        "Line\nbreak\n\n"
        "a b\nc d\n\n"
        "  keep\n    this   spacing"
    )


def test_title_from_title_element(write_file: Write) -> None:
    assert _read(write_file("page.html", PAGE)).title == "The Page Title"


def test_title_falls_back_to_first_visible_heading_then_stem(write_file: Write) -> None:
    page = "<body><h2 hidden>Secret</h2><p>x</p><h3>Visible  <i>heading</i></h3><h1>Later</h1>"
    assert _read(write_file("a.htm", page)).title == "Visible heading"
    assert _read(write_file("plain-page.html", "<p>no headings</p>")).title == "plain-page"


def test_svg_title_is_not_the_page_title(write_file: Write) -> None:
    page = "<body><svg><title>icon</title></svg><h1>Real</h1></body>"
    doc = _read(write_file("a.html", page))
    assert doc.title == "Real"
    assert "icon" not in doc.text


def test_meta_charset_for_legacy_encoding(write_file: Write) -> None:
    page = '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body>cr\xe8me'
    doc = _read(write_file("fr.html", page.encode("latin-1")))
    assert (doc.title, doc.text, doc.metadata["encoding"]) == ("Café", "crème", "cp1252")


def test_valid_utf8_wins_over_a_wrong_meta_charset(write_file: Write) -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>naïve'
    doc = _read(write_file("a.html", page.encode("utf-8")))
    assert (doc.text, doc.metadata["encoding"]) == ("naïve", "utf-8")


def test_xhtml_with_xml_declaration_parses_without_warnings(write_file: Write) -> None:
    # Tests run with -W error: bs4's XMLParsedAsHTMLWarning would fail this.
    page = '<?xml version="1.0" encoding="utf-8"?>\n<root><item>Feed entry</item></root>'
    assert _read(write_file("feed.html", page)).text == "Feed entry"


def test_markup_that_looks_like_a_file_name(write_file: Write) -> None:
    # bs4 would warn (MarkupResemblesLocatorWarning); the text is still the text.
    assert _read(write_file("odd.html", "index.html")).text == "index.html"


def test_deep_nesting_does_not_recurse(write_file: Write) -> None:
    page = "<div>" * 5000 + "deep" + "</div>" * 5000
    assert _read(write_file("deep.html", page)).text == "deep"


# --- page furniture: navigation, headers, footers, banners are not the content ------

SAMPLE_PAGES = sorted(
    (Path(__file__).resolve().parents[2] / "data" / "docs" / "web").glob("*.html")
)


@pytest.mark.parametrize("page", SAMPLE_PAGES, ids=lambda p: p.stem)
def test_sample_pages_give_their_article_without_furniture(page: Path) -> None:
    doc = _read(page)
    for furniture in ("Home", "Privacy", "RSS", "Contact", "©"):
        assert furniture not in doc.text.split(), (furniture, doc.text[:200])
    assert "©" not in doc.text
    assert doc.text.startswith(doc.title.split(" | ")[0])  # the article's heading first


def test_honey_page_body_present_navigation_absent() -> None:
    doc = _read(next(p for p in SAMPLE_PAGES if p.stem == "harvesting-honey"))
    assert doc.title == "Our first honey harvest | Hive Diaries"
    assert "Bees collect nectar that is mostly water" in doc.text
    assert "Taking too much is the commonest way beginners lose colonies" in doc.text
    assert "Hive Diaries" not in doc.text  # the site's name is in the header only
    assert "Equipment" not in doc.text and "Kept in the hills" not in doc.text


FURNISHED = """<html><head><title>T</title></head><body>
<div id="cookie-banner">We use cookies. ACCEPT-ALL</div>
<header><a href="/">SITE-NAME</a></header>
<div role="navigation">ROLE-NAV</div>
<aside>SIDEBAR-TEXT</aside>
<div class="content">
  <h1>Post heading</h1>
  <p>Body text of the post.</p>
  <nav>IN-CONTENT-NAV</nav>
</div>
<footer>FOOTER-TEXT</footer>
</body></html>"""


def test_furniture_left_out_without_main_or_article(write_file: Write) -> None:
    doc = _read(write_file("page.html", FURNISHED))
    assert doc.text == "Post heading\n\nBody text of the post."


def test_only_main_is_read_when_the_page_marks_it(write_file: Write) -> None:
    page = FURNISHED.replace(
        '<div class="content">', "<main><header>IN-MAIN-HEADER</header>"
    ).replace("</div>\n<footer>", "</main>\n<p>OUTSIDE-MAIN</p><footer>")
    doc = _read(write_file("page.html", page))
    assert doc.text == "IN-MAIN-HEADER\n\nPost heading\n\nBody text of the post."


def test_an_empty_main_falls_back_to_the_page(write_file: Write) -> None:
    doc = _read(write_file("page.html", "<body><main> </main><p>Real text.</p></body>"))
    assert doc.text == "Real text."
