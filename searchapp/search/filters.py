"""Search filters: validated values in, an escaped Milvus expression out."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from searchapp.errors import InvalidQueryError
from searchapp.store.filters import all_of, contains, is_in, string_literal

_EXTENSION = re.compile(r"[a-z0-9]{1,16}(\.[a-z0-9]{1,16})?")


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search to some items. Empty fields filter nothing."""

    media_types: tuple[str, ...] = field(default_factory=tuple)  # "text/html", or "image/*"
    folder: str | None = None  # absolute folder: items anywhere below it
    extensions: tuple[str, ...] = field(default_factory=tuple)  # "pdf", ".md" (dot optional)
    modified_after: float | None = None  # seconds since the epoch, inclusive
    modified_before: float | None = None  # exclusive

    def expression(self) -> str:
        """The Milvus boolean expression for these filters ("" when none)."""
        clauses: list[str] = []
        if self.media_types:
            clauses.append(_media_clause(self.media_types))
        if self.folder is not None:
            clauses.append(contains("folders", _folder(self.folder)))
        if self.extensions:
            clauses.append(is_in("ext", [_extension(e) for e in self.extensions]))
        if self.modified_after is not None:
            clauses.append(f"mtime >= {float(self.modified_after)!r}")
        if self.modified_before is not None:
            clauses.append(f"mtime < {float(self.modified_before)!r}")
        if (
            self.modified_after is not None
            and self.modified_before is not None
            and self.modified_after >= self.modified_before
        ):
            raise InvalidQueryError("modified_after must be earlier than modified_before")
        return all_of(*clauses)


def _media_clause(media_types: tuple[str, ...]) -> str:
    exact: list[str] = []
    families: list[str] = []
    for media_type in media_types:
        value = media_type.strip().lower()
        if value.count("/") != 1 or not all(value.split("/")):
            raise InvalidQueryError(
                f"media type {media_type!r} is not of the form type/subtype or type/*"
            )
        if value.endswith("/*"):
            families.append(value[:-2])
        else:
            exact.append(value)
    clauses = [is_in("media_type", exact)] if exact else []
    # A family ("image/*") matches on a prefix; the family name is a token of
    # letters only, so it cannot carry wildcards into the LIKE pattern.
    for family in families:
        if not family.isalpha():
            raise InvalidQueryError(f"media type family {family!r} must be letters only")
        clauses.append(f"media_type like {string_literal(family + '/%')}")
    return clauses[0] if len(clauses) == 1 else " or ".join(f"({c})" for c in clauses)


def _folder(value: str) -> str:
    if not value.startswith("/"):
        raise InvalidQueryError(f"folder {value!r} must be an absolute path")
    normalized = posixpath.normpath(value)
    return "/" if normalized in ("/", "//") else normalized


def _extension(value: str) -> str:
    ext = value.strip().lower().lstrip(".")
    if not _EXTENSION.fullmatch(ext):
        raise InvalidQueryError(
            f"file extension {value!r} must be letters and digits (like pdf or jsonl.gz)"
        )
    return ext
