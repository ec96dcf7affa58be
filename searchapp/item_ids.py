"""Item ids: the ``id`` of every stored row and search hit.

An id is the first 32 hex digits of the sha256 of the document's key (its path,
plus ``#record`` for a record) and the chunk's index. Stable across re-ingests,
so an upsert replaces the row it updates, and short enough for a URL. An image
and its caption's chunk share ``item_id(path, 0)``.
"""

from __future__ import annotations

import hashlib
import re

from searchapp.errors import InvalidQueryError

#: The form of an id, for validators that take a pattern (FastAPI's Path).
PATTERN = r"^[0-9a-f]{32}$"
LENGTH = 32
_ID = re.compile(PATTERN)


def item_id(document_key: str, chunk_index: int) -> str:
    """The id of chunk ``chunk_index`` of the document ``document_key``."""
    return hashlib.sha256(f"{document_key}\x1f{chunk_index}".encode()).hexdigest()[:LENGTH]


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
