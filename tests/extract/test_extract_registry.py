"""Dispatch by file type and the checks every file goes through."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import (
    TEXT_EXTENSIONS,
    ExtractOptions,
    TextDocument,
    extract_text,
    file_type,
    is_text_file,
)

Write = Callable[[str, bytes | str], Path]


def test_dispatches_on_the_lower_cased_suffix(write_file: Write) -> None:
    [doc] = extract_text(write_file("NOTES.TXT", "Shopping list\nmilk\n"))
    assert isinstance(doc, TextDocument)
    assert doc.media_type == "text/plain"
    assert doc.title == "Shopping list"
    assert doc.record_id is None


def test_accepts_a_string_path(write_file: Write) -> None:
    path = write_file("a.md", "# Hello\n")
    [doc] = extract_text(str(path))
    assert doc.source == path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", ".txt"),
        ("a.Markdown", ".markdown"),
        ("corpus.jsonl.gz", ".jsonl.gz"),
        ("v1.2.txt", ".txt"),
        ("backup.tar.gz", ".gz"),
        ("Makefile", ""),
    ],
)
def test_file_type(name: str, expected: str) -> None:
    assert file_type(name) == expected


def test_text_extensions_and_is_text_file() -> None:
    assert {".txt", ".md", ".rst", ".html", ".pdf", ".jsonl", ".json", ".csv"} <= TEXT_EXTENSIONS
    assert all(ext == ext.lower() for ext in TEXT_EXTENSIONS)
    assert is_text_file(Path("dir/Report.PDF"))
    assert is_text_file("corpus.jsonl.gz")
    assert not is_text_file("photo.jpg")
    assert not is_text_file("archive.gz")


@pytest.mark.parametrize("name", ["slides.pptx", "README"])
def test_unsupported_type_is_skipped_before_touching_the_file(name: str, tmp_path: Path) -> None:
    # The file does not even exist: the type check comes first.
    with pytest.raises(FileSkipped, match=r"unsupported file type|no file extension"):
        extract_text(tmp_path / name)


def test_zero_byte_file_is_skipped(write_file: Write) -> None:
    with pytest.raises(FileSkipped, match=r"^empty file$"):
        extract_text(write_file("empty.txt", b""))


@pytest.mark.parametrize("name", ["blank.txt", "blank.md", "blank.html"])
def test_whitespace_only_document_is_skipped(write_file: Write, name: str) -> None:
    content = "<html><body> \n </body></html>" if name.endswith(".html") else " \n\t\n"
    with pytest.raises(FileSkipped, match=r"^no text found$"):
        list(extract_text(write_file(name, content)))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"file not found"):
        extract_text(tmp_path / "gone.txt")


def test_directory_with_a_text_suffix(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(ExtractError, match=r"is a directory"):
        extract_text(tmp_path / "folder.txt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(ExtractError, match=r"not a regular file"):
        extract_text(tmp_path / "pipe.txt")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_permission_denied_for_real(write_file: Write) -> None:
    path = write_file("secret.txt", "top secret")
    path.chmod(0)
    try:
        with pytest.raises(ExtractError, match=r"^permission denied$"):
            list(extract_text(path))
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("name", ["secret.txt", "secret.pdf", "secret.jsonl", "secret.csv"])
def test_permission_denied_simulated(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = write_file(name, "{}")

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    # Every reader opens files through Path.open (Path.read_bytes uses it too).
    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ExtractError, match=r"^permission denied$"):
        list(extract_text(path))


def test_file_vanishing_between_check_and_read(write_file: Write) -> None:
    path = write_file("fleeting.txt", "here now")
    documents = extract_text(path)  # checks pass; reading is lazy
    path.unlink()
    with pytest.raises(ExtractError, match=r"file not found"):
        list(documents)


def test_default_warnings_are_logged_with_the_path(
    write_file: Write, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_file("r.jsonl", '{"text": "ok"}\nnot json\n')
    with caplog.at_level(logging.WARNING, logger="searchapp.extract"):
        docs = list(extract_text(path))
    assert len(docs) == 1
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: line 2: not valid JSON (Expecting value)"
    ]


def test_options_reach_the_reader(write_file: Write) -> None:
    path = write_file("r.jsonl", '{"body_text": "hello", "headline": "Hi", "ref": "x1"}\n')
    options = ExtractOptions(text_field="body_text", title_field="headline", id_field="ref")
    [doc] = extract_text(path, options)
    assert (doc.text, doc.title, doc.record_id, doc.metadata) == ("hello", "Hi", "x1", {})
