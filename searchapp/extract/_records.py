"""Records (from .jsonl, .json, .csv) to documents: field choice, ids, problems.

Rules, in one place:

* Fields. Configured fields (:class:`ExtractOptions`) are used as given.
  Otherwise they are detected on the first record that has a text field
  (``text``, ``content``, ``body``, ``abstract``), then kept for the whole
  file so every record is read the same way: title ``title``/``name``, id
  ``_id``/``id``; with no id field the id is the record's position.
* Position: the 0-based index among the file's non-blank records, counting
  unreadable ones, so repairing a bad line does not renumber the others.
* Identity: a record id seen earlier in the same file is skipped (the first
  record wins), since both would map to the same document key.
* Problems with single records (unreadable line, missing or empty text,
  bad or duplicate id) skip that record and are reported through ``warn``;
  the first few are reported one by one, the rest as a count.
* Whole-file verdicts, once nothing could be produced: no records at all is
  FileSkipped; the text field missing from every record is an ExtractError
  listing the fields that do exist; every text empty is FileSkipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchapp.errors import ExtractError, FileSkipped
from searchapp.extract._decoding import normalize_newlines
from searchapp.extract.types import ExtractOptions, TextDocument

TEXT_FIELDS = ("text", "content", "body", "abstract")
TITLE_FIELDS = ("title", "name")
ID_FIELDS = ("_id", "id")

_MAX_WARNINGS = 20
_MAX_FIELDS_NAMED = 12


@dataclass(frozen=True)
class RawRecord:
    """One record as a file parser saw it, before field mapping."""

    position: int
    where: str  # "line 12", "item 3": where a user finds it in the file
    fields: dict[str, Any] | None  # None when the record could not be parsed
    problem: str = ""  # why ``fields`` is None


def documents_from_records(
    path: Path,
    records: Iterable[RawRecord],
    options: ExtractOptions,
    media_type: str,
    warn: Callable[[str], None],
) -> Iterator[TextDocument]:
    """One document per usable record, lazily; see the module docstring for the rules."""
    mapper = _RecordMapper(path, options, media_type, warn)
    for record in records:
        try:
            document = mapper.document(record)
        except _SkipRecord as skip:
            mapper.report(f"{record.where}: {skip}")
            continue
        yield document
    mapper.finish()


class _SkipRecord(Exception):
    """This record is not ingested; the message says why."""


class _RecordMapper:
    def __init__(
        self,
        path: Path,
        options: ExtractOptions,
        media_type: str,
        warn: Callable[[str], None],
    ) -> None:
        self._path = path
        self._stem = Path(path.stem).stem if path.suffix.lower() == ".gz" else path.stem
        self._options = options
        self._media_type = media_type
        self._warn = warn
        self._text_field = options.text_field
        self._title_field: str | None = None
        self._id_field: str | None = None
        self._resolved = False
        self._seen_ids: set[str] = set()
        # Until the text field is found, problems are held back: if no record
        # has it, one error says so instead of a flood of warnings first.
        self._held: list[str] = []
        self._held_extra = 0
        self._field_names: dict[str, None] = {}  # ordered set, for that error
        self._parsed = self._unreadable = self._with_text = self._empty = self._produced = 0
        self._first_problem = ""
        self._warned = self._suppressed = 0

    def document(self, record: RawRecord) -> TextDocument:
        if record.fields is None:
            self._unreadable += 1
            raise _SkipRecord(record.problem)
        fields = record.fields
        self._parsed += 1
        if not self._resolved:
            self._resolve(fields)
        if self._text_field is None or self._text_field not in fields:
            raise _SkipRecord(self._no_text_field())
        self._with_text += 1
        text = self._text(fields[self._text_field])
        record_id = self._record_id(record, fields)
        title = _title(fields.get(self._title_field)) if self._title_field else ""
        used = {self._text_field, self._title_field, self._id_field}
        self._seen_ids.add(record_id)
        self._produced += 1
        return TextDocument(
            source=self._path,
            title=title or f"{self._stem} #{record_id}",
            text=text,
            media_type=self._media_type,
            record_id=record_id,
            metadata={key: value for key, value in fields.items() if key not in used},
        )

    def report(self, message: str) -> None:
        self._first_problem = self._first_problem or message
        if self._resolved:
            self._emit(message)
        elif len(self._held) < _MAX_WARNINGS:
            self._held.append(message)
        else:
            self._held_extra += 1

    def finish(self) -> None:
        if self._suppressed:
            self._warn(f"{self._suppressed} more problem(s) in this file not shown")
        if self._produced:
            return
        if self._parsed == 0:
            if self._unreadable:
                raise ExtractError(f"no readable records ({self._first_problem})")
            raise FileSkipped("no records found")
        if self._with_text == 0:
            raise ExtractError(self._missing_everywhere())
        if self._empty == self._with_text:
            raise FileSkipped("no text found")
        raise ExtractError(f"no usable records ({self._first_problem})")

    def _resolve(self, fields: dict[str, Any]) -> None:
        if len(self._field_names) < 4 * _MAX_FIELDS_NAMED:
            self._field_names.update(dict.fromkeys(fields))
        text_field = self._options.text_field or _first_present(TEXT_FIELDS, fields)
        if text_field is None or text_field not in fields:
            return
        self._text_field = text_field
        self._title_field = self._options.title_field or _first_present(TITLE_FIELDS, fields)
        self._id_field = self._options.id_field or _first_present(ID_FIELDS, fields)
        self._resolved = True
        for message in self._held:
            self._emit(message)
        self._suppressed += self._held_extra
        self._held, self._held_extra = [], 0

    def _emit(self, message: str) -> None:
        if self._warned < _MAX_WARNINGS:
            self._warned += 1
            self._warn(message)
        else:
            self._suppressed += 1

    def _text(self, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _SkipRecord(f"'{self._text_field}' is {json_type(value)}, not text")
        if not value.strip():
            self._empty += 1
            raise _SkipRecord("empty text")
        return normalize_newlines(value)

    def _record_id(self, record: RawRecord, fields: dict[str, Any]) -> str:
        if self._id_field is None:
            return str(record.position)
        if self._id_field not in fields:
            raise _SkipRecord(f"no '{self._id_field}' field")
        value = fields[self._id_field]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _SkipRecord(f"'{self._id_field}' is {json_type(value)}, not a string or integer")
        record_id = str(value)
        if not record_id.strip():
            raise _SkipRecord(f"empty '{self._id_field}'")
        if record_id in self._seen_ids:
            raise _SkipRecord(f"duplicate id {record_id!r}; the first record with it was kept")
        return record_id

    def _no_text_field(self) -> str:
        if self._text_field is not None:
            return f"no '{self._text_field}' field"
        return f"no text field (looked for {', '.join(TEXT_FIELDS)})"

    def _missing_everywhere(self) -> str:
        names = list(self._field_names)
        found = ", ".join(names[:_MAX_FIELDS_NAMED]) or "none"
        if len(names) > _MAX_FIELDS_NAMED:
            found += ", ..."
        if self._options.text_field:
            missing = f"no '{self._options.text_field}' field in any record"
        else:
            missing = f"no text field in any record (looked for {', '.join(TEXT_FIELDS)})"
        return f"{missing}; fields found: {found}. Name the text field with --text-field"


def _first_present(candidates: tuple[str, ...], fields: dict[str, Any]) -> str | None:
    return next((name for name in candidates if name in fields), None)


def _title(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return " ".join(str(value).split())


def json_type(value: Any) -> str:
    """A JSON value's kind with its article, for messages: "an array", "null"..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number" if isinstance(value, (int, float)) else "a string"
