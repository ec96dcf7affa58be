"""Fixtures for the extract tests: files written on the fly, PDFs made with fpdf2."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

WriteFile = Callable[[str, bytes | str], Path]
MakePdf = Callable[..., Path]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write ``content`` (str as UTF-8, or raw bytes) to ``tmp_path / name``."""

    def write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture
def make_pdf(tmp_path: Path) -> MakePdf:
    """Build a PDF with one page per entry of ``pages`` ("" gives a blank page).

    ``user_password`` encrypts it (RC4, which needs no extra package);
    ``owner_password`` alone encrypts it with an empty user password.
    """
    from fpdf import FPDF  # test dependency: fpdf2
    from fpdf.enums import EncryptionMethod

    def make(
        pages: Sequence[str],
        *,
        name: str = "doc.pdf",
        title: str | None = None,
        user_password: str | None = None,
        owner_password: str | None = None,
    ) -> Path:
        pdf = FPDF()
        if title is not None:
            pdf.set_title(title)
        pdf.set_font("helvetica", size=12)
        for text in pages:
            pdf.add_page()
            if text:
                pdf.multi_cell(0, 10, text)
        if user_password is not None or owner_password is not None:
            pdf.set_encryption(
                owner_password=owner_password or "owner",
                user_password=user_password or "",
                encryption_method=EncryptionMethod.RC4,
            )
        path = tmp_path / name
        path.write_bytes(bytes(pdf.output()))
        return path

    return make
