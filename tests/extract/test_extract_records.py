"""Record files (.jsonl, .jsonl.gz, .json, .csv): one document per record."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract import ExtractOptions, TextDocument, extract_text

Write = Callable[[str, bytes | str], Path]

SCIFACT = Path("/work/shared/data/scifact/corpus.jsonl.gz")


def _read(
    path: Path, options: ExtractOptions | None = None
) -> tuple[list[TextDocument], list[str]]:
    warnings: list[str] = []
    docs = list(extract_text(path, options or ExtractOptions(), on_warning=warnings.append))
    return docs, warnings


def _jsonl(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


BEIR_RECORD = {
    "_id": "4983",
    "title": "Microstructural development of human newborn cerebral white matter",
    "text": "Alterations of the architecture of cerebral white matter...",
    "metadata": {"year": 2002, "tags": ["mri", "infant"]},
}


def test_scifact_style_record_with_default_options(write_file: Write) -> None:
    path = write_file("corpus.jsonl", _jsonl(BEIR_RECORD))
    [doc], warnings = _read(path)
    assert doc.record_id == "4983"
    assert doc.title == BEIR_RECORD["title"]
    assert doc.text == BEIR_RECORD["text"]
    assert doc.metadata == {"metadata": {"year": 2002, "tags": ["mri", "infant"]}}
    assert doc.media_type == "application/x-ndjson"
    assert doc.key == f"{path}#4983"
    assert warnings == []


@pytest.mark.skipif(not SCIFACT.exists(), reason="SciFact corpus not available")
def test_the_real_scifact_corpus() -> None:
    docs, warnings = _read(SCIFACT)
    assert len(docs) == 5183
    assert warnings == []
    assert len({doc.record_id for doc in docs}) == 5183
    assert docs[0].record_id == "4983"
    assert docs[0].title.startswith("Microstructural development of human newborn")


def test_gzipped_jsonl(write_file: Write) -> None:
    path = write_file("corpus.jsonl.gz", gzip.compress(_jsonl(BEIR_RECORD).encode()))
    [doc], _ = _read(path)
    assert (doc.record_id, doc.title) == ("4983", BEIR_RECORD["title"])


def test_corrupt_gzip(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^not a valid gzip file"):
        _read(write_file("corpus.jsonl.gz", _jsonl(BEIR_RECORD)))


def test_truncated_gzip(write_file: Write) -> None:
    data = gzip.compress(_jsonl(*[BEIR_RECORD] * 50).encode())
    with pytest.raises(ExtractError, match=r"^not a valid gzip file"):
        _read(write_file("corpus.jsonl.gz", data[: len(data) // 2]))


def test_jsonl_bad_line_and_custom_text_field(write_file: Write) -> None:
    content = (
        '{"ref": "a", "body_text": "First body", "lang": "en"}\n'
        "\n"
        '{"ref": "b", "body_text": \n'
        '{"ref": "c", "body_text": "Third body", "lang": "fr"}\n'
    )
    options = ExtractOptions(text_field="body_text", id_field="ref")
    docs, warnings = _read(write_file("data.jsonl", content), options)
    assert [(d.record_id, d.text, d.metadata) for d in docs] == [
        ("a", "First body", {"lang": "en"}),
        ("c", "Third body", {"lang": "fr"}),
    ]
    assert [d.title for d in docs] == ["data #a", "data #c"]
    assert warnings == ["line 3: not valid JSON (Expecting value)"]


def test_positions_are_ids_when_there_is_no_id_field(write_file: Write) -> None:
    content = '{"text": "zero"}\n\n{"text": \n{"text": "two"}\n'
    docs, warnings = _read(write_file("notes.jsonl", content))
    # The bad line keeps its position, so fixing it later renumbers nothing.
    assert [(d.record_id, d.title) for d in docs] == [("0", "notes #0"), ("2", "notes #2")]
    assert len(warnings) == 1


def test_records_are_streamed(write_file: Write) -> None:
    warnings: list[str] = []
    content = _jsonl({"text": "first"}) + "oops\n" + _jsonl({"text": "third"})
    documents = extract_text(write_file("s.jsonl", content), on_warning=warnings.append)
    assert next(documents).text == "first"
    assert warnings == []  # line 2 has not been read yet
    assert next(documents).text == "third"
    assert warnings == ["line 2: not valid JSON (Expecting value)"]


def test_record_level_problems_are_warnings(write_file: Write) -> None:
    content = _jsonl(
        {"id": 1, "text": "ok", "title": "One"},
        {"id": 2, "text": "   "},
        {"id": 3, "text": ["not", "a", "string"]},
        {"id": 1, "text": "same id again"},
        {"id": None, "text": "null id"},
        {"text": "no id"},
        {"id": 4},
        [1, 2],
        {"id": 5, "text": 42},
    )
    docs, warnings = _read(write_file("mixed.jsonl", content))
    assert [(d.record_id, d.text, d.title) for d in docs] == [
        ("1", "ok", "One"),
        ("5", "42", "mixed #5"),
    ]
    assert warnings == [
        "line 2: empty text",
        "line 3: 'text' is an array, not text",
        "line 4: duplicate id '1'; the first record with it was kept",
        "line 5: 'id' is null, not a string or integer",
        "line 6: no 'id' field",
        "line 7: no 'text' field",
        "line 8: not a JSON object but an array",
    ]


def test_many_problems_are_summarised(write_file: Write) -> None:
    content = _jsonl({"text": "good"}) + "bad\n" * 30
    docs, warnings = _read(write_file("noisy.jsonl", content))
    assert len(docs) == 1
    assert len(warnings) == 21
    assert warnings[-1] == "10 more problem(s) in this file not shown"


def test_missing_text_field_names_the_fields_found(write_file: Write) -> None:
    content = _jsonl({"_id": "1", "headline": "H", "body_text": "B"}, {"_id": "2", "summary": "S"})
    warnings: list[str] = []
    with pytest.raises(ExtractError) as caught:
        list(extract_text(write_file("x.jsonl", content), on_warning=warnings.append))
    message = str(caught.value)
    assert message == (
        "no text field in any record (looked for text, content, body, abstract); "
        "fields found: _id, headline, body_text, summary. Name the text field with --text-field"
    )
    assert warnings == []  # one clear error, not a warning per record first


def test_missing_configured_text_field(write_file: Write) -> None:
    path = write_file("x.json", json.dumps([{"text": "t", "title": "T"}]))
    with pytest.raises(ExtractError, match=r"^no 'body' field in any record; fields found: text"):
        _read(path, ExtractOptions(text_field="body"))


def test_text_field_found_after_some_records_reports_those(write_file: Write) -> None:
    content = _jsonl({"note": "x"}, {"content": "found it"})
    docs, warnings = _read(write_file("late.jsonl", content))
    assert [d.text for d in docs] == ["found it"]
    assert warnings == ["line 1: no text field (looked for text, content, body, abstract)"]


def test_detected_fields_stay_fixed_for_the_file(write_file: Write) -> None:
    content = _jsonl({"text": "a", "name": "Alpha"}, {"text": "b", "title": "Beta", "name": "B"})
    docs, _ = _read(write_file("fixed.jsonl", content))
    # "name" was the title field of the first record, so it is for the second too.
    assert [(d.title, d.metadata) for d in docs] == [("Alpha", {}), ("B", {"title": "Beta"})]


def test_non_finite_numbers_become_null(write_file: Write) -> None:
    [doc], _ = _read(write_file("n.jsonl", '{"text": "t", "score": NaN, "max": Infinity}\n'))
    assert doc.metadata == {"score": None, "max": None}
    json.dumps(doc.metadata, allow_nan=False)


def test_all_records_empty_is_skipped(write_file: Write) -> None:
    with pytest.raises(FileSkipped, match=r"^no text found$"):
        _read(write_file("e.jsonl", _jsonl({"text": ""}, {"text": " "})))


def test_only_blank_lines_is_skipped(write_file: Write) -> None:
    with pytest.raises(FileSkipped, match=r"^no records found$"):
        _read(write_file("e.jsonl", "\n  \n\n"))


def test_nothing_readable_is_an_error(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^no readable records \(line 1: not valid JSON"):
        _read(write_file("e.jsonl", "this is not json\nneither is this\n"))


def test_binary_jsonl(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^binary data in a \.jsonl file$"):
        _read(write_file("b.jsonl", b"\x00\x01\x02" * 100))


def test_utf16_jsonl_is_refused_clearly(write_file: Write) -> None:
    data = _jsonl(BEIR_RECORD).encode("utf-16")
    with pytest.raises(ExtractError, match=r"JSON Lines must be UTF-8"):
        _read(write_file("w.jsonl", data))


def test_jsonl_with_utf8_bom(write_file: Write) -> None:
    [doc], _ = _read(write_file("bom.jsonl", b"\xef\xbb\xbf" + _jsonl(BEIR_RECORD).encode()))
    assert doc.record_id == "4983"


# --- .json ----------------------------------------------------------------


def test_json_array(write_file: Write) -> None:
    records = [
        {"id": "a", "title": "Alpha", "content": "first", "tags": ["x"]},
        "not an object",
        {"id": "b", "title": "", "content": "second", "nested": {"k": [1, {"z": None}]}},
    ]
    docs, warnings = _read(write_file("items.json", json.dumps(records)))
    assert [(d.record_id, d.title, d.text, d.metadata) for d in docs] == [
        ("a", "Alpha", "first", {"tags": ["x"]}),
        ("b", "items #b", "second", {"nested": {"k": [1, {"z": None}]}}),
    ]
    assert all(d.media_type == "application/json" for d in docs)
    assert warnings == ["item 1: not a JSON object but a string"]


def test_json_object_holding_one_list_of_records(write_file: Write) -> None:
    data = {"version": 2, "documents": [{"text": "one"}, {"text": "two"}]}
    docs, _ = _read(write_file("export.json", json.dumps(data)))
    assert [d.text for d in docs] == ["one", "two"]


def test_json_single_object(write_file: Write) -> None:
    data = {"id": "only", "text": "solo", "authors": [{"name": "Ada"}]}
    [doc], _ = _read(write_file("one.json", json.dumps(data)))
    assert (doc.record_id, doc.text, doc.metadata) == (
        "only",
        "solo",
        {"authors": [{"name": "Ada"}]},
    )


def test_invalid_json(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^not valid JSON: .*\(line 2, column"):
        _read(write_file("bad.json", '[{"text": "a"},\n {"text": }]'))


def test_json_scalar(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"^no records in this JSON: it holds a string$"):
        _read(write_file("s.json", '"hello"'))


# --- .csv -----------------------------------------------------------------


def test_csv_with_semicolons(write_file: Write) -> None:
    content = (
        "id;title;text;year\r\n"
        '1;"Commas, everywhere";"A text, with commas; and a semicolon";2020\r\n'
        "\r\n"
        '2;Second;"Multi\r\nline";2021\r\n'
    )
    docs, warnings = _read(write_file("table.csv", content))
    assert [(d.record_id, d.title, d.text, d.metadata) for d in docs] == [
        ("1", "Commas, everywhere", "A text, with commas; and a semicolon", {"year": "2020"}),
        ("2", "Second", "Multi\nline", {"year": "2021"}),
    ]
    assert all(d.media_type == "text/csv" for d in docs)
    assert warnings == []


def test_csv_with_tabs_and_latin1(write_file: Write) -> None:
    content = "title\ttext\nMenu\tcafé crème brûlée\n".encode("latin-1")
    [doc], _ = _read(write_file("menu.csv", content))
    assert (doc.title, doc.text, doc.record_id) == ("Menu", "café crème brûlée", "0")


def test_csv_header_quirks(write_file: Write) -> None:
    content = ",text,tag,tag\n7,hello,a,b\nbad,row,with,too,many\n8,short\n"
    docs, warnings = _read(write_file("q.csv", content))
    assert [(d.record_id, d.metadata) for d in docs] == [
        ("0", {"column_1": "7", "tag": "a", "tag_2": "b"}),
        ("2", {"column_1": "8"}),
    ]
    assert warnings == ["line 3: 5 fields, but the header has 4"]


def test_csv_long_field(write_file: Write) -> None:
    long_text = "word " * 60_000  # beyond the csv module's default 128 KiB field limit
    [doc], _ = _read(write_file("long.csv", f'text\n"{long_text}"\n'))
    assert doc.text == long_text


def test_csv_missing_text_field(write_file: Write) -> None:
    with pytest.raises(ExtractError, match=r"fields found: name, email. Name the text field"):
        _read(write_file("people.csv", "name,email\nAda,ada@example.org\n"))
