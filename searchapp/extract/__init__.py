"""Files to searchable text: the first stage of ingestion.

::

    for document in extract_text(path, ExtractOptions(text_field="body"), on_warning=report):
        ...

Formats: plain text (.txt, .text), Markdown (.md, .markdown), reST (.rst),
HTML (.html, .htm), PDF (.pdf) and record files (.jsonl, .jsonl.gz, .json,
.csv), which give one document per record. Text is decoded from UTF-8/16/32
(with or without a byte-order mark) or, failing that, a checked guess; the
encoding used is in ``metadata["encoding"]`` for plain and HTML files.

Failures are :class:`~searchapp.errors.FileSkipped` (nothing to ingest) or
:class:`~searchapp.errors.ExtractError` (the file is broken), with a short
message for the user. Problems a file survives go to ``on_warning``.
"""

from searchapp.extract._registry import (
    TEXT_EXTENSIONS,
    WarningHandler,
    extract_text,
    file_type,
    is_text_file,
)
from searchapp.extract.types import ExtractOptions, TextDocument

__all__ = [
    "TEXT_EXTENSIONS",
    "ExtractOptions",
    "TextDocument",
    "WarningHandler",
    "extract_text",
    "file_type",
    "is_text_file",
]
