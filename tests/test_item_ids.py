"""Item ids: what ingest makes is what every caller accepts."""

from __future__ import annotations

import pytest

from searchapp.errors import InvalidQueryError
from searchapp.ingest.rows import row_id
from searchapp.item_ids import check_item_id, is_item_id


def test_ingest_makes_ids_of_the_checked_form() -> None:
    made = row_id("/docs/a.txt", 3)
    assert is_item_id(made) and check_item_id(made) == made


@pytest.mark.parametrize(
    "value", ["", "0" * 31, "0" * 33, "A" * 32, "../" + "0" * 29, "0" * 32 + "\n"]
)
def test_other_strings_are_refused_with_what_an_id_is(value: str) -> None:
    assert not is_item_id(value)
    with pytest.raises(InvalidQueryError, match="32 lower-case hex digits"):
        check_item_id(value)
