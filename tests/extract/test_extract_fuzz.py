"""Whatever bytes a file holds, extraction ends in documents or in our own errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import TEXT_EXTENSIONS, extract_text

_SUFFIXES = sorted(TEXT_EXTENSIONS)


def _extract_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            documents = list(extract_text(path, on_warning=lambda message: None))
        except (FileSkipped, ExtractError) as exc:
            message = str(exc)
        else:
            message = ""
            assert all(document.text.strip() for document in documents)
    assert message or documents  # an error always says why


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600), suffix=st.sampled_from(_SUFFIXES))
def test_random_bytes(data: bytes, suffix: str) -> None:
    _extract_bytes(data, suffix)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("<>/=\"',;\n\t {}[]:#-=abcé€\u201c"), max_size=300),
    suffix=st.sampled_from(_SUFFIXES),
)
def test_syntax_soup(text: str, suffix: str) -> None:
    _extract_bytes(text.encode("utf-8"), suffix)


@pytest.fixture(scope="module")
def valid_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Fuzz")
    pdf.set_font("helvetica", size=12)
    for text in ("First page text.", "Second page text."):
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_pdf(valid_pdf: bytes, data: st.DataObject) -> None:
    damaged = bytearray(valid_pdf)
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(damaged) - 1))
        damaged[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(damaged) // 2, len(damaged)))
    _extract_bytes(bytes(damaged[:cut]), ".pdf")
