"""Readers for record files: JSON Lines (plain or gzipped), JSON and CSV.

Each parser turns a file into :class:`RawRecord` items; the field rules live
in :mod:`._records`. JSON Lines and CSV are streamed, so a large corpus never
sits in memory whole; a .json file is one value and is read at once.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from searchapp.errors import ExtractError
from searchapp.extract._decoding import (
    SAMPLE_SIZE,
    bom_encoding,
    decode_bytes,
    reject_binary,
    sniff_stream_encoding,
)
from searchapp.extract._records import (
    TEXT_FIELDS,
    RawRecord,
    documents_from_records,
    json_type,
)
from searchapp.extract.types import ExtractOptions, TextDocument

_CSV_DELIMITERS = ",;\t"
# The csv module's default cap (128 KiB per field) rejects long documents in
# a text column. The cap is process-wide; we only ever raise it, to 2 GiB - 1
# (the largest value a C long holds everywhere).
_CSV_FIELD_LIMIT = 2**31 - 1


def read_jsonl(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    with path.open("rb") as stream:
        records = jsonl_records(stream, ".jsonl")
        yield from documents_from_records(path, records, options, "application/x-ndjson", warn)


def read_jsonl_gz(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        records = jsonl_records(stream, ".jsonl.gz")
        try:
            yield from documents_from_records(path, records, options, "application/x-ndjson", warn)
        # BadGzipFile is an OSError; it must not read as "could not read the file".
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise ExtractError(f"not a valid gzip file: {exc}") from exc


def read_json(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    decoded = decode_bytes(path.read_bytes(), ".json")
    if decoded.replaced:
        warn(f"{decoded.replaced} invalid UTF-8 sequence(s) replaced")
    records = json_records(decoded.text, options)
    yield from documents_from_records(path, records, options, "application/json", warn)


def read_csv(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_SIZE)
        raw.seek(0)
        encoding = sniff_stream_encoding(sample, ".csv", complete=len(sample) < SAMPLE_SIZE)
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as stream:
            try:
                yield from documents_from_records(
                    path, csv_records(stream), options, "text/csv", warn
                )
            except UnicodeDecodeError as exc:
                raise ExtractError(
                    f"not valid {encoding} text after the start of the file ({exc.reason});"
                    " save it as UTF-8"
                ) from exc


def jsonl_records(stream: io.BufferedIOBase, kind: str) -> Iterator[RawRecord]:
    """One record per non-blank line; JSON Lines is UTF-8 by definition."""
    sample = stream.read(SAMPLE_SIZE)
    stream.seek(0)
    bom = bom_encoding(sample)
    if bom not in (None, "utf-8-sig"):
        raise ExtractError(f"JSON Lines must be UTF-8, but this file is {bom}")
    reject_binary(sample, kind)
    position = 0
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            value = json.loads(line.decode("utf-8"), parse_constant=_non_finite)
        except UnicodeDecodeError:
            yield RawRecord(position, where, None, "not valid UTF-8")
        except json.JSONDecodeError as exc:
            yield RawRecord(position, where, None, f"not valid JSON ({exc.msg})")
        except RecursionError:
            yield RawRecord(position, where, None, "not valid JSON (nested too deeply)")
        else:
            yield _record(position, where, value)
        position += 1


def json_records(text: str, options: ExtractOptions) -> Iterator[RawRecord]:
    """An array of objects, one object, or an object holding one array of objects."""
    try:
        value = json.loads(text, parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise ExtractError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise ExtractError("not valid JSON: nested too deeply") from exc

    if isinstance(value, dict):
        value = _records_inside(value, options)
    if not isinstance(value, list):
        raise ExtractError(f"no records in this JSON: it holds {json_type(value)}")
    for position, item in enumerate(value):
        yield _record(position, f"item {position}", item)


def csv_records(stream: IO[str]) -> Iterator[RawRecord]:
    """A header row, then one record per non-blank row.

    Blank header names become ``column_N``; a repeated name gets ``_2``,
    ``_3``... so no column is lost. A row shorter than the header lacks the
    missing fields; a longer one is a problem (usually a stray delimiter).
    """
    delimiter = _sniff_delimiter(stream.read(SAMPLE_SIZE))
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header: list[str] | None = None
        position = 0
        line = 0
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _column_names(row)
                continue
            where = f"line {start}"
            if len(row) > len(header):
                problem = f"{len(row)} fields, but the header has {len(header)}"
                yield RawRecord(position, where, None, problem)
            else:
                yield RawRecord(position, where, dict(zip(header, row, strict=False)))
            position += 1
    except csv.Error as exc:
        raise ExtractError(f"not valid CSV (line {reader.line_num}): {exc}") from exc


def _records_inside(value: dict[str, Any], options: ExtractOptions) -> Any:
    """The records an object holds: its one list of objects, else the object itself."""
    text_fields = (options.text_field,) if options.text_field else TEXT_FIELDS
    if any(name in value for name in text_fields):
        return [value]
    lists = [item for item in value.values() if _is_list_of_objects(item)]
    return lists[0] if len(lists) == 1 else [value]


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _record(position: int, where: str, value: Any) -> RawRecord:
    if isinstance(value, dict):
        return RawRecord(position, where, value)
    return RawRecord(position, where, None, f"not a JSON object but {json_type(value)}")


def _non_finite(_constant: str) -> None:
    # NaN and Infinity are not JSON; Python accepts them, but metadata must
    # stay serialisable for the store, so they become null.
    return None


def _sniff_delimiter(sample: str) -> str:
    # Sniff whole lines only: a cut-off last row skews the field counts.
    if len(sample) == SAMPLE_SIZE and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        best = max(_CSV_DELIMITERS, key=header.count)
        return best if header.count(best) else ","


def _column_names(row: list[str]) -> list[str]:
    names: list[str] = []
    for number, cell in enumerate(row, start=1):
        base = cell.strip() or f"column_{number}"
        name, copy = base, 1
        while name in names:
            copy += 1
            name = f"{base}_{copy}"
        names.append(name)
    return names
