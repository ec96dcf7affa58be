"""Which reader handles which file, and the checks every file goes through.

A reader is a generator function ``(path, options, warn) -> documents``; it
raises FileSkipped or ExtractError for the whole file and reports problems it
recovers from (a bad record, a failed PDF page) through ``warn``. Adding a
format is one function and one line in ``_READERS``.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract._html import read_html
from searchapp.extract._pdf import read_pdf
from searchapp.extract._plain import read_markdown, read_plain, read_rst
from searchapp.extract._record_files import read_csv, read_json, read_jsonl, read_jsonl_gz
from searchapp.extract.types import ExtractOptions, TextDocument

WarningHandler = Callable[[str], None]
Reader = Callable[[Path, ExtractOptions, WarningHandler], Iterator[TextDocument]]

_log = logging.getLogger("searchapp.extract")

_READERS: Mapping[str, Reader] = MappingProxyType(
    {
        ".txt": read_plain,
        ".text": read_plain,
        ".md": read_markdown,
        ".markdown": read_markdown,
        ".rst": read_rst,
        ".html": read_html,
        ".htm": read_html,
        ".pdf": read_pdf,
        ".jsonl": read_jsonl,
        ".jsonl.gz": read_jsonl_gz,  # BEIR corpora ship as corpus.jsonl.gz
        ".json": read_json,
        ".csv": read_csv,
    }
)

#: Lower-case suffixes :func:`extract_text` reads. One is compound
#: (``.jsonl.gz``), so test files with :func:`is_text_file`, not ``path.suffix``.
TEXT_EXTENSIONS: frozenset[str] = frozenset(_READERS)

_DEFAULT_OPTIONS = ExtractOptions()


def file_type(path: str | os.PathLike[str]) -> str:
    """The lower-case suffix that selects a reader: ``.pdf``, ``.jsonl.gz``... or ``""``."""
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    compound = "".join(suffixes[-2:])
    if len(suffixes) >= 2 and compound in _READERS:
        return compound
    return suffixes[-1] if suffixes else ""


def is_text_file(path: str | os.PathLike[str]) -> bool:
    """Whether :func:`extract_text` has a reader for this file name (contents unchecked)."""
    return file_type(path) in _READERS


def extract_text(
    path: str | os.PathLike[str],
    options: ExtractOptions = _DEFAULT_OPTIONS,
    *,
    on_warning: WarningHandler | None = None,
) -> Iterator[TextDocument]:
    """The searchable documents in one file: one for a plain file, one per record.

    Raises :class:`FileSkipped` (unsupported type, empty file, no text) or
    :class:`ExtractError` (unreadable, corrupt, binary, undecodable). The
    type and file checks run at once; reading happens as the iterator is
    consumed, so errors can also come from iterating: wrap both.

    ``on_warning`` receives problems the file survives, one short message
    each, without the path (``"line 7: not valid JSON (Expecting value)"``,
    ``"page 3: text extraction failed (...)"``). By default they are logged
    at WARNING on the ``searchapp.extract`` logger, prefixed with the path.
    """
    source = Path(path)
    kind = file_type(source)
    reader = _READERS.get(kind)
    if reader is None:
        raise FileSkipped(f"unsupported file type '{kind}'" if kind else "no file extension")
    try:
        status = source.stat()
    except OSError as exc:
        raise ExtractError(_describe(exc)) from exc
    if stat.S_ISDIR(status.st_mode):
        raise ExtractError("is a directory, not a file")
    if not stat.S_ISREG(status.st_mode):
        # A FIFO or device would block or never end.
        raise ExtractError("not a regular file")
    if status.st_size == 0:
        raise FileSkipped("empty file")
    warn = on_warning if on_warning is not None else _logging_handler(source)
    return _checked(reader(source, options, warn))


def _checked(documents: Iterator[TextDocument]) -> Iterator[TextDocument]:
    try:
        for document in documents:
            if not document.text.strip():
                raise FileSkipped("no text found")
            yield document
    except OSError as exc:
        raise ExtractError(_describe(exc)) from exc


def _logging_handler(source: Path) -> WarningHandler:
    def log(message: str) -> None:
        _log.warning("%s: %s", source, message)

    return log


def _describe(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found (moved or deleted?)"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"could not read the file: {exc.strerror or exc}"
