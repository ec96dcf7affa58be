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
    with path.open("rb") as raw:
        stream = _bounded(raw, options, compressed=False)
        records = jsonl_records(stream, ".jsonl")
        yield from documents_from_records(path, records, options, "application/x-ndjson", warn)


def read_jsonl_gz(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
        stream = _bounded(unzipped, options, compressed=True)
        records = jsonl_records(stream, ".jsonl.gz")
        try:
            yield from documents_from_records(path, records, options, "application/x-ndjson", warn)
        # BadGzipFile is an OSError; it must not read as "could not read the file".
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise ExtractError(f"not a valid gzip file: {exc}") from exc


def read_json(
    path: Path, options: ExtractOptions, warn: Callable[[str], None]
) -> Iterator[TextDocument]:
    # One value, parsed whole: its size is its record's size.
    if path.stat().st_size > options.max_record_bytes:
        raise ExtractError(
            f"a .json file is read whole, and this one is larger than "
            f"{options.max_record_bytes:,} bytes (SEARCHAPP_MAX_RECORD_BYTES); "
            "split it, or save it as JSON Lines (.jsonl)"
        )
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
    with path.open("rb") as file:
        raw = _bounded(file, options, compressed=False)
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


def _bounded(
    stream: IO[bytes] | gzip.GzipFile, options: ExtractOptions, *, compressed: bool
) -> io.BufferedReader:
    """``stream`` read through :class:`_LimitedReader`, buffered for line reading."""
    total = options.max_decompressed_bytes if compressed else None
    return io.BufferedReader(_LimitedReader(stream, options.max_record_bytes, total))


class _LimitedReader(io.RawIOBase):
    """Passes a stream through, refusing an over-long line or too much data in all.

    Reading a line buffers all of it, so one 300 MB line (a few hundred KB
    gzipped) would take 300 MB of memory and more to parse: a line is cut at
    ``max_line`` bytes instead, and a compressed file at ``max_total`` bytes
    decompressed. Either is an ExtractError for the file, raised before the
    bytes past the limit are handed on.
    """

    def __init__(
        self, stream: IO[bytes] | gzip.GzipFile, max_line: int, max_total: int | None
    ) -> None:
        self._stream = stream
        self._max_line = max_line
        self._max_total = max_total
        self._line = 0  # bytes since the last newline
        self._total = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # only back to the start, after the encoding sniff

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("only a seek to the start")
        self._stream.seek(0)
        self._line = self._total = 0
        return 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self._total += len(data)
        if self._max_total is not None and self._total > self._max_total:
            raise ExtractError(
                f"decompresses to more than {self._max_total:,} bytes (SEARCHAPP_MAX_FILE_BYTES)"
            )
        lines = data.split(b"\n")
        longest = max([self._line + len(lines[0]), *(len(line) for line in lines[1:])])
        self._line = len(lines[-1]) if len(lines) > 1 else self._line + len(data)
        if longest > self._max_line:
            raise ExtractError(
                f"a line is longer than {self._max_line:,} bytes (SEARCHAPP_MAX_RECORD_BYTES)"
            )
        buffer[: len(data)] = data
        return len(data)


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
