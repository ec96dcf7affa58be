"""One rule of what each mode searches by (SearchRequest.check_query), for every caller."""

from __future__ import annotations

import pytest

from searchapp.errors import InvalidQueryError
from searchapp.search import Mode, SearchRequest
from searchapp.search.request import QueryWords

ITEM = "0" * 32


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(mode=Mode.TEXT, text="cats"),
        SearchRequest(mode=Mode.TEXT_TO_IMAGE, text=""),  # empty: the service's own error
        SearchRequest(mode=Mode.IMAGE, item_id=ITEM),
        SearchRequest(mode=Mode.IMAGE_TO_TEXT, image=b"png"),
    ],
)
def test_usable_queries(request_: SearchRequest) -> None:
    request_.check_query()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SearchRequest(mode=Mode.TEXT), "mode text needs a text query"),
        (SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="x", item_id=ITEM), "for the image modes"),
        (SearchRequest(mode=Mode.TEXT, text="x", image=b"png"), "for the image modes"),
        (SearchRequest(mode=Mode.IMAGE), "mode image needs a query image"),
        (SearchRequest(mode=Mode.IMAGE_TO_TEXT, text="x"), "searches by an image"),
        (SearchRequest(mode=Mode.IMAGE, image=b"png", item_id=ITEM), "not both"),
        (SearchRequest(mode=Mode.IMAGE, item_id="../etc"), "not an item id"),
    ],
)
def test_unusable_queries_say_why(request_: SearchRequest, message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        request_.check_query()


def test_errors_name_the_inputs_as_the_caller_spells_them() -> None:
    words = QueryWords(text="q=<words>", image="item=<id>", item="item=")
    with pytest.raises(InvalidQueryError, match="mode image needs item=<id>"):
        SearchRequest(mode=Mode.IMAGE).check_query(words)
    with pytest.raises(InvalidQueryError, match="item= is for the image modes; mode text takes q="):
        SearchRequest(mode=Mode.TEXT, text="x", item_id=ITEM).check_query(words)
