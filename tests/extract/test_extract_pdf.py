"""PDF: text of every page, titles, damaged and encrypted files."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from pypdf.errors import DependencyError

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import extract_text

MakePdf = Callable[..., Path]
Write = Callable[[str, bytes | str], Path]


def test_text_of_all_pages(make_pdf: MakePdf) -> None:
    path = make_pdf(["Hello PDF world.\nSecond line.", "Page two text."], title="Annual Report")
    warnings: list[str] = []
    [doc] = extract_text(path, on_warning=warnings.append)
    assert doc.text == "Hello PDF world.\nSecond line.\n\nPage two text."
    assert doc.title == "Annual Report"
    assert doc.media_type == "application/pdf"
    assert doc.metadata == {"pages": 2, "pages_failed": 0}
    assert warnings == []


def test_title_falls_back_to_first_line(make_pdf: MakePdf) -> None:
    [doc] = extract_text(make_pdf(["", "Executive summary\nDetails follow."], title="   "))
    assert doc.title == "Executive summary"
    assert doc.text == "Executive summary\nDetails follow."  # the blank page adds nothing
    assert doc.metadata["pages"] == 2


def test_scanned_pdf_without_text_is_skipped(make_pdf: MakePdf) -> None:
    with pytest.raises(FileSkipped, match=r"^no text found \(scanned PDF\?\)$"):
        list(extract_text(make_pdf(["", ""])))


def test_not_a_pdf_at_all(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^not a valid PDF: no PDF header$"):
        list(extract_text(write_file("fake.pdf", "just some text, renamed")))


def test_malformed_pdf(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^not a valid PDF: "):
        list(extract_text(write_file("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Cat")))


def test_truncated_pdf(make_pdf: MakePdf, write_file: Write) -> None:
    data = make_pdf(["Some text that will be cut off."]).read_bytes()
    with pytest.raises(ExtractError, match=r"^not a valid PDF: "):
        list(extract_text(write_file("cut.pdf", data[: len(data) // 2])))


def test_encrypted_pdf(make_pdf: MakePdf) -> None:
    path = make_pdf(["Classified"], user_password="secret")
    with pytest.raises(ExtractError, match=r"^encrypted PDF$"):
        list(extract_text(path))


def test_pdf_encrypted_with_an_empty_user_password_is_read(make_pdf: MakePdf) -> None:
    # "Protected" PDFs that open without a password only restrict printing etc.
    [doc] = extract_text(make_pdf(["Readable anyway"], owner_password="owner-only"))
    assert doc.text == "Readable anyway"


def test_aes_pdf_without_cryptography_says_what_to_install(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_aes(self: pypdf.PdfReader, password: str) -> Any:
        raise DependencyError("cryptography is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_aes)
    path = make_pdf(["x"], owner_password="owner-only")
    with pytest.raises(ExtractError, match=r"needs the 'cryptography' package"):
        list(extract_text(path))


def test_a_failing_page_is_skipped_and_counted(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = pypdf.PageObject.extract_text

    def flaky(self: pypdf.PageObject, *args: Any, **kwargs: Any) -> str:
        text = original(self, *args, **kwargs)
        if "two" in text:
            raise KeyError("/Contents")
        return text

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)
    warnings: list[str] = []
    path = make_pdf(["Page one.", "Page two.", "Page three."])
    [doc] = extract_text(path, on_warning=warnings.append)
    assert doc.text == "Page one.\n\nPage three."
    assert doc.metadata == {"pages": 3, "pages_failed": 1}
    assert warnings == ["page 2: text extraction failed ('/Contents')"]


def test_every_page_failing_is_an_error(make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: pypdf.PageObject, *args: Any, **kwargs: Any) -> str:
        raise ValueError("bad content stream")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", broken)
    with pytest.raises(ExtractError, match=r"no page could be read"):
        list(extract_text(make_pdf(["a", "b"]), on_warning=lambda message: None))


@pytest.fixture
def pypdf_logger() -> Iterator[logging.Logger]:
    """The "pypdf" logger with no level of its own, restored afterwards."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.setLevel(previous)


def _repairable_pdf(make_pdf: MakePdf, write_file: Write) -> Path:
    """A PDF whose startxref pointer is off: pypdf repairs it, logging warnings."""
    data = make_pdf(["Still readable."]).read_bytes()
    bad = re.sub(rb"startxref\n(\d+)", lambda m: b"startxref\n%d" % (int(m[1]) + 7), data)
    assert bad != data
    return write_file("bad-xref.pdf", bad)


def test_pypdf_warnings_are_not_logged(
    make_pdf: MakePdf,
    write_file: Write,
    caplog: pytest.LogCaptureFixture,
    pypdf_logger: logging.Logger,
) -> None:
    path = _repairable_pdf(make_pdf, write_file)
    with caplog.at_level(logging.DEBUG):
        [doc] = extract_text(path)
    assert doc.text == "Still readable."
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []


def test_a_pypdf_log_level_set_by_the_app_is_kept(
    make_pdf: MakePdf,
    write_file: Write,
    caplog: pytest.LogCaptureFixture,
    pypdf_logger: logging.Logger,
) -> None:
    pypdf_logger.setLevel(logging.WARNING)
    path = _repairable_pdf(make_pdf, write_file)
    with caplog.at_level(logging.DEBUG):
        list(extract_text(path))
    assert any("startxref" in r.getMessage() for r in caplog.records if r.name.startswith("pypdf"))
    assert pypdf_logger.level == logging.WARNING
