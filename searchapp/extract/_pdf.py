"""Reader for PDF: the text layer of every page, through pypdf."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract._decoding import normalize_newlines
from searchapp.extract._titles import plain_title
from searchapp.extract.types import ExtractOptions, TextDocument

# The header may follow some junk, but not much (PDF 1.7, annex H.3).
_HEADER_WINDOW = 1024
_NEEDS_CRYPTOGRAPHY = "encrypted PDF: reading it needs the 'cryptography' package"


def read_pdf(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    _quiet_pypdf_logging()
    with path.open("rb") as stream:
        reader = _open(stream)
        title, page_count = _describe(reader)
        pages: list[str] = []
        failed = 0
        for number in range(1, page_count + 1):
            try:
                pages.append(_page_text(reader, number))
            except DependencyError as exc:
                raise ExtractError(_NEEDS_CRYPTOGRAPHY) from exc
            except OSError:
                raise  # the file itself failed, not the page
            # pypdf can fail on a damaged page with almost any exception type;
            # one bad page must not cost the others, so we count and report it.
            except Exception as exc:
                failed += 1
                warn(f"page {number}: text extraction failed ({_reason(exc)})")

    if failed == page_count and page_count > 0:
        raise ExtractError(f"not a valid PDF: no page could be read ({page_count} pages)")
    text = "\n\n".join(page for page in pages if page)
    if not text:
        raise FileSkipped("no text found (scanned PDF?)")
    yield TextDocument(
        source=path,
        title=title or plain_title(text) or path.stem,
        text=text,
        media_type="application/pdf",
        metadata={"pages": page_count, "pages_failed": failed},
    )


def _quiet_pypdf_logging() -> None:
    # pypdf logs a WARNING for every irregularity it repairs (missing EOF
    # marker, bad xref offsets...), which floods ingest output on real-world
    # PDFs. Errors still get through, and a level the app set is respected.
    logger = logging.getLogger("pypdf")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)


def _open(stream: BinaryIO) -> PdfReader:
    if b"%PDF-" not in stream.read(_HEADER_WINDOW):
        raise ExtractError("not a valid PDF: no PDF header")
    stream.seek(0)
    try:
        reader = PdfReader(stream)
        # pypdf has already tried the empty password; ask for the outcome.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ExtractError("encrypted PDF")
    except DependencyError as exc:
        raise ExtractError(_NEEDS_CRYPTOGRAPHY) from exc
    except (ExtractError, OSError):
        raise
    # A malformed file makes pypdf raise anything from PdfReadError to
    # KeyError or RecursionError; all of them mean "not a valid PDF".
    except Exception as exc:
        raise ExtractError(f"not a valid PDF: {_reason(exc)}") from exc
    return reader


def _describe(reader: PdfReader) -> tuple[str, int]:
    """The metadata title (or "") and the page count."""
    try:
        page_count = len(reader.pages)
    except DependencyError as exc:
        raise ExtractError(_NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # a broken page tree, see _open
        raise ExtractError(f"not a valid PDF: {_reason(exc)}") from exc
    try:
        metadata = reader.metadata
        title = str(metadata.title or "") if metadata is not None else ""
    except DependencyError as exc:
        raise ExtractError(_NEEDS_CRYPTOGRAPHY) from exc
    # A damaged info dictionary only costs us the title.
    except Exception:
        title = ""
    return " ".join(title.split()), page_count


def _page_text(reader: PdfReader, number: int) -> str:
    return normalize_newlines(reader.pages[number - 1].extract_text()).strip()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
