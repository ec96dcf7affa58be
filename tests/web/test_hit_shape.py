"""One JSON shape for a hit: the API's, which `searchapp search --json` prints too."""

from __future__ import annotations

from pathlib import PurePath

from searchapp.search import Hit
from searchapp.search.results import ImageInfo
from searchapp.web.responses import HitOut
from searchapp.web.visibility import SourceNames

DOCUMENT = Hit("0" * 32, 0.5, "/docs/a.md", "A", "a", "text/markdown", relevance=0.25)
IMAGE = Hit(
    "1" * 32, 0.3, "/pics/c.png", "C", "", "image/png", image=ImageInfo(4, 3, "PNG", "a cat")
)

# An audio hit: where its words are said.
MEDIA = Hit("2" * 32, 0.4, "/talks/a.mp3", "a.mp3", "bread", "audio/mpeg", start=8.7, end=11.12)


def test_the_api_and_the_cli_share_one_hit_shape() -> None:
    everything = SourceNames((), True)
    for hit in (DOCUMENT, IMAGE, MEDIA):
        assert HitOut.of(hit, everything).model_dump() == hit.as_json()
        assert set(HitOut.model_fields) == set(hit.as_json())
    assert IMAGE.as_json()["thumbnail_url"] == f"/api/items/{'1' * 32}/thumbnail"
    assert DOCUMENT.as_json()["thumbnail_url"] is None
    assert (MEDIA.as_json()["start"], MEDIA.as_json()["end"]) == (8.7, 11.12)
    assert (DOCUMENT.as_json()["start"], DOCUMENT.as_json()["end"]) == (None, None)


def test_the_api_shows_the_source_as_the_caller_may_see_it() -> None:
    hidden = HitOut.of(DOCUMENT, SourceNames(((PurePath("/docs"), "docs"),), False))
    assert hidden.source == "docs/a.md"
