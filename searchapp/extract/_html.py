"""Reader for HTML: the text a reader of the page would see, one block per line.

Only the page's content is read, not its furniture: when the page marks its
content (one visible ``<main>``, else a single ``<article>``) only that is read;
site navigation, page-level headers and footers, sidebars and cookie banners
are left out everywhere (``<nav>``, ARIA landmark roles, a ``<header>`` or
``<footer>`` outside any article or main, ids and classes naming a cookie or
consent banner). The page's ``<title>`` stays the document's title.
Main-content libraries were measured and not used: on the sample pages
trafilatura dropped ``<pre>`` and ``<table>`` content, readability-lxml lists
and tables, and both kept hidden text on short pages.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from bs4 import (
    BeautifulSoup,
    FeatureNotFound,
    MarkupResemblesLocatorWarning,
    ParserRejectedMarkup,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.element import NavigableString, PageElement, PreformattedString

from searchapp.errors import ExtractError
from searchapp.extract._decoding import decode_bytes
from searchapp.extract.types import ExtractOptions, TextDocument

# <head> holds no visible text; its <title> is read separately.
_INVISIBLE = frozenset(
    {"head", "script", "style", "noscript", "template", "svg", "iframe", "object", "canvas"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_PREFORMATTED = frozenset({"pre", "textarea", "listing", "xmp", "plaintext"})

# How strongly an element separates its text from its neighbours.
_SPACE, _LINE, _PARAGRAPH = 1, 2, 3
_SEPARATORS = {_SPACE: " ", _LINE: "\n", _PARAGRAPH: "\n\n"}
_PARAGRAPH_TAGS = _HEADINGS | {
    "address", "article", "aside", "blockquote", "details", "dl", "fieldset", "figure",
    "footer", "form", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
}  # fmt: skip
_LINE_TAGS = frozenset(
    {"br", "caption", "dd", "dialog", "div", "dt", "figcaption", "hgroup", "legend", "li",
     "option", "summary", "tr"}
)  # fmt: skip
_SPACE_TAGS = frozenset({"td", "th"})

# Page furniture (see the module's docstring): left out of the text.
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_PAGE_LEVEL = frozenset({"header", "footer", "aside"})  # furniture outside article/main
_CONTENT_SECTIONS = frozenset({"article", "main"})
_BANNER_NAME = re.compile(r"cookie|consent|gdpr", re.IGNORECASE)

_WHITESPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# The meta charset must be in the first 1024 bytes (HTML spec); allow slack.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_META_SCAN_BYTES = 4096


def read_html(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    data = path.read_bytes()
    meta = _META_CHARSET.search(data[:_META_SCAN_BYTES])
    declared = meta.group(1).decode("ascii") if meta else None
    decoded = decode_bytes(data, path.suffix.lower(), declared)
    if decoded.replaced:
        warn(f"{decoded.replaced} invalid UTF-8 sequence(s) replaced")
    soup = _parse(decoded.text)
    text, first_heading = _visible_text(_content_root(soup))
    if not text:  # the marked content is empty: the whole page, furniture left out
        text, first_heading = _visible_text(soup)
    yield TextDocument(
        source=path,
        title=_page_title(soup) or first_heading or path.stem,
        text=text,
        media_type="text/html",
        metadata={"encoding": decoded.encoding},
    )


def _parse(markup: str) -> BeautifulSoup:
    # bs4 warns when markup looks like a file name or a URL, or like XML
    # parsed as HTML: advice to programmers. Here the input is a user's file
    # that we parse as HTML on purpose, so they are noise. catch_warnings
    # swaps the process-wide filter list, so another thread may briefly share
    # these filters; they ignore only those two categories, so no harm.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(markup, "lxml")
        except FeatureNotFound:
            return BeautifulSoup(markup, "html.parser")
        except ParserRejectedMarkup as exc:
            raise ExtractError(f"not valid HTML: {exc}") from exc


def _page_title(soup: BeautifulSoup) -> str:
    for title in soup.find_all("title"):
        if title.find_parent("svg") is None:  # an <svg><title> is a tooltip
            return _WHITESPACE.sub(" ", title.get_text()).strip()
    return ""


def _content_root(soup: BeautifulSoup) -> Tag:
    """Where the page's content is: its one visible <main>, else its only <article>,
    else the whole page."""
    mains = [
        tag
        for tag in soup.find_all(lambda t: t.name == "main" or _role(t) == "main")
        if not _is_hidden(tag)
    ]
    if len(mains) == 1:
        return mains[0]
    articles = soup.find_all("article")
    return articles[0] if len(articles) == 1 else soup


def _role(tag: Tag) -> str:
    return str(tag.get("role", "")).strip().lower()


def _is_furniture(tag: Tag) -> bool:
    """Navigation, page-level header/footer/sidebar, a cookie banner: not the content."""
    if tag.name == "nav" or _role(tag) in _FURNITURE_ROLES:
        return True
    if tag.name in _PAGE_LEVEL and tag.find_parent(_CONTENT_SECTIONS) is None:
        return True
    names = " ".join([str(tag.get("id", "")), *(tag.get("class") or [])])
    return bool(names.strip()) and bool(_BANNER_NAME.search(names))


def _visible_text(soup: Tag) -> tuple[str, str]:
    """The visible text and the first visible heading.

    Iterative, so deeply nested pages cannot exhaust the recursion limit.
    """
    builder = _TextBuilder()
    heading_start: int | None = None
    first_heading = ""
    preformatted = 0
    stack: list[tuple[PageElement, bool]] = [(soup, True)]
    while stack:
        node, entering = stack.pop()
        if isinstance(node, Tag):
            name = node.name
            if entering:
                if _is_hidden(node) or _is_furniture(node):
                    continue
                builder.boundary(_separation(name))
                if name in _HEADINGS and not first_heading and heading_start is None:
                    heading_start = builder.mark()
                if name in _PREFORMATTED:
                    preformatted += 1
                stack.append((node, False))
                stack.extend((child, True) for child in reversed(node.contents))
            else:
                if name in _PREFORMATTED:
                    preformatted -= 1
                if name in _HEADINGS and heading_start is not None and not first_heading:
                    first_heading = _WHITESPACE.sub(" ", builder.since(heading_start)).strip()
                    heading_start = None
                builder.boundary(_separation(name))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            builder.add(str(node), preformatted=preformatted > 0)
    return builder.text(), first_heading


def _separation(name: str) -> int:
    if name in _PARAGRAPH_TAGS:
        return _PARAGRAPH
    if name in _LINE_TAGS:
        return _LINE
    return _SPACE if name in _SPACE_TAGS else 0


def _is_hidden(tag: Tag) -> bool:
    if tag.name in _INVISIBLE or tag.has_attr("hidden"):
        return True
    if str(tag.get("aria-hidden", "")).strip().lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


class _TextBuilder:
    """Joins text runs, collapsing whitespace and turning element boundaries into breaks."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pending = 0  # the strongest separation seen since the last text

    def boundary(self, separation: int) -> None:
        self._pending = max(self._pending, separation)

    def add(self, run: str, *, preformatted: bool) -> None:
        if preformatted:
            if run:
                self._flush()
                self._parts.append(run.replace("\r\n", "\n").replace("\r", "\n"))
            return
        collapsed = _WHITESPACE.sub(" ", run)
        if collapsed.startswith(" "):
            self.boundary(_SPACE)
        core = collapsed.strip(" ")
        if core:
            self._flush()
            self._parts.append(core)
            if collapsed.endswith(" "):
                self.boundary(_SPACE)

    def mark(self) -> int:
        return len(self._parts)

    def since(self, mark: int) -> str:
        return "".join(self._parts[mark:])

    def text(self) -> str:
        return "".join(self._parts).strip()

    def _flush(self) -> None:
        if self._parts and self._pending:
            self._parts.append(_SEPARATORS[self._pending])
        self._pending = 0
