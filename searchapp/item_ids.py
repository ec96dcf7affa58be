"""Item ids: the ``id`` of every stored row and search hit, and the one check of
their form for every caller (API, page, CLI, search service).

Ingest makes them (``searchapp.ingest.rows.row_id``): the first 32 hex digits of
the sha256 of the document's key (its path, plus ``#record`` for a record) and
the chunk's index; stable across re-ingests, short enough for a URL.
"""

from __future__ import annotations

import re

from searchapp.errors import InvalidQueryError

#: The form of an id, for validators that take a pattern (FastAPI's Path).
PATTERN = r"^[0-9a-f]{32}$"
LENGTH = 32
_ID = re.compile(PATTERN)


def is_item_id(value: str) -> bool:
    """Whether ``value`` has the form of an item id."""
    return _ID.fullmatch(value) is not None


def check_item_id(value: str) -> str:
    """``value`` when it is an item id, else InvalidQueryError saying what one is."""
    if not is_item_id(value):
        raise InvalidQueryError(
            f"{value!r} is not an item id ({LENGTH} lower-case hex digits, as in search hits)"
        )
    return value
