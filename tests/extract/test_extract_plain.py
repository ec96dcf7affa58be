"""Plain text, Markdown and reST: verbatim text, titles, media types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.extract import extract_text
from searchapp.extract._titles import markdown_title, plain_title, rst_title

Write = Callable[[str, bytes | str], Path]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("a.txt", "text/plain"),
        ("a.text", "text/plain"),
        ("a.md", "text/markdown"),
        ("a.markdown", "text/markdown"),
        ("a.rst", "text/x-rst"),
    ],
)
def test_media_types(write_file: Write, name: str, media_type: str) -> None:
    [doc] = extract_text(write_file(name, "Some words.\n"))
    assert doc.media_type == media_type


def test_markdown_syntax_is_blanked_in_place(write_file: Write) -> None:
    source = "# Guide\r\n\r\nSome *emphasis* and `code`.\r\n\r\n- item\r\n"
    [doc] = extract_text(write_file("guide.md", source))
    assert doc.text == "  Guide\n\nSome  emphasis  and  code .\n\n  item\n"
    assert doc.title == "Guide"
    assert doc.metadata == {"encoding": "utf-8"}


def test_plain_title_is_the_first_short_line(write_file: Write) -> None:
    [doc] = extract_text(write_file("memo.txt", "\n\n  Quarterly report  \nBody text.\n"))
    assert doc.title == "Quarterly report"


def test_plain_title_falls_back_to_the_stem_for_a_long_first_line(write_file: Write) -> None:
    [doc] = extract_text(write_file("memo.txt", "word " * 40 + "\nmore"))
    assert doc.title == "memo"


def test_markdown_without_heading_uses_the_stem(write_file: Write) -> None:
    [doc] = extract_text(write_file("notes.md", "just a paragraph\n"))
    assert doc.title == "notes"


def test_rst_title_in_a_file(write_file: Write) -> None:
    source = ".. comment\n\n=============\n User Guide\n=============\n\nIntro\n-----\n"
    [doc] = extract_text(write_file("guide.rst", source))
    assert doc.title == "User Guide"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# Title\n\ntext", "Title"),
        ("  ## Sub ##\n# Main #\n", "Main"),
        ("## Only a subheading\ntext", "Only a subheading"),
        ("Setext Title\n============\n\nbody", "Setext Title"),
        ("intro\n\nSecond level\n---\n", "Second level"),
        ("```bash\n# not a heading\n```\n# Real\n", "Real"),
        ("~~~\n# no\n~~~\nText\n====\n", "Text"),
        ('---\ntitle: "From front matter"\ndate: 2024\n---\n# Heading\n', "From front matter"),
        ("---\ndate: 2024\n---\n# After front matter\n", "After front matter"),
        ("#hashtag is not a heading\n", None),
        ("text\n\n---\n\nmore\n", None),  # a thematic break, not a setext underline
        ("- item\n---\n", None),  # a list item cannot be a setext heading
        ("    # indented code\n", None),
    ],
)
def test_markdown_title(text: str, title: str | None) -> None:
    assert markdown_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Title\n=====\n\nbody", "Title"),
        ("####\nBoth\n####\n", "Both"),
        ("=========\n  Inset  \n=========\n", "Inset"),
        ("Longer title\n~~~~\n", "Longer title"),  # short underline: docutils warns but accepts
        ("Title\n==\n", None),  # too short to count
        ("paragraph line\nnot a title\n------------\n", None),
        ("text\n\n----------\n\nmore\n", None),  # a transition
        ("    indented\n    ========\n", None),
        (":field: value\n\nReal Title\n**********\n", "Real Title"),
    ],
)
def test_rst_title(text: str, title: str | None) -> None:
    assert rst_title(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [("\n  Hello  \nworld", "Hello"), ("", None), ("x" * 121, None), ("x" * 120, "x" * 120)],
)
def test_plain_title(text: str, title: str | None) -> None:
    assert plain_title(text) == title
