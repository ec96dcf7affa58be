"""The CLIP search directions over a small ingested set: well-formed hits, image ->
image finds the query image first, item-id queries, filters, bad queries.

On Milvus Lite and on a real Milvus server: each CLIP collection has one vector
field, which Milvus 2.3 accepts. The set is ingested once per backend."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.errors import InvalidQueryError, NotFoundError
from searchapp.ingest import Outcome, ingest, scan
from searchapp.search import Hit, Mode, SearchFilters, SearchRequest

pytestmark = [pytest.mark.integration, pytest.mark.model]

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "images"
DOCUMENT_HIT_KEYS = set(Hit("id", 0.0, "/a.md", "A", "a", "text/markdown").as_json())
COCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "coco_mini"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ten sample photos (with captions), six COCO photos (without), two documents."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "samples").mkdir()
    for path in SAMPLES.iterdir():
        (folder / "samples" / path.name).write_bytes(path.read_bytes())
    (folder / "coco").mkdir()
    for photo in sorted((COCO / "val2017").glob("*.jpg"))[:6] if COCO.exists() else []:
        shutil.copyfile(photo, folder / "coco" / photo.name)  # links out are skipped
    (folder / "docs").mkdir()
    (folder / "docs" / "cats.md").write_text("# Cats\n\nCats sleep for most of the day.")
    (folder / "docs" / "space.txt").write_text("Rockets carry satellites into orbit.")
    return folder


@pytest.fixture(scope="module")
def searchapp(
    corpus: Path, embedders: Embedders, module_backend_settings: Settings
) -> Iterator[App]:
    app = App(module_backend_settings, embedders=embedders)
    summary = ingest(app, scan([corpus]).files)
    assert summary.count(Outcome.FAILED) == 0 and summary.count(Outcome.INGESTED) >= 12
    yield app
    app.close()


def images(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.suffix in (".png", ".jpg"))


def assert_well_formed(hits: list[Hit]) -> None:
    assert hits
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({(hit.source, hit.record_id) for hit in hits}) == len(hits)
    for hit in hits:
        assert len(hit.id) == 32 and Path(hit.source).is_absolute()
        assert -1.0001 <= hit.score <= 1.0001
        shape = hit.as_json()
        assert set(shape) == DOCUMENT_HIT_KEYS  # one stable shape for every kind of hit
        if hit.media_type.startswith("image/"):
            assert hit.image is not None and hit.image.width > 0 and hit.image.height > 0
            assert hit.image.format in ("PNG", "JPEG")
            assert set(shape["image"]) == {"width", "height", "format", "caption"}
        else:
            assert hit.image is None and shape["image"] is None


def test_text_to_image(searchapp: App, corpus: Path) -> None:
    result = searchapp.search.search(
        SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="a cat looking at the camera", k=5)
    )
    assert result.mode == "text-to-image" and len(result.hits) == 5
    assert_well_formed(result.hits)
    assert all(hit.media_type.startswith("image/") for hit in result.hits)
    captioned = [h for h in result.hits if h.source.startswith(str(corpus / "samples"))]
    assert all(h.image.caption and h.snippet == h.image.caption for h in captioned)


def test_image_to_image_finds_the_query_image_first(searchapp: App, corpus: Path) -> None:
    for path in images(corpus):
        result = searchapp.search.search(
            SearchRequest(mode=Mode.IMAGE, image=path.read_bytes(), k=3)
        )
        assert_well_formed(result.hits)
        assert result.hits[0].source == str(path)
        assert result.hits[0].score > 0.999


def test_image_to_text_finds_documents_and_captions(searchapp: App, corpus: Path) -> None:
    query = (corpus / "samples" / "chelsea-the-cat.png").read_bytes()
    result = searchapp.search.search(SearchRequest(mode=Mode.IMAGE_TO_TEXT, image=query, k=20))
    assert_well_formed(result.hits)
    kinds = {hit.media_type.split("/")[0] for hit in result.hits}
    assert kinds == {"text", "image"}  # documents and image captions
    # Only captioned images have text in the CLIP text space.
    assert not any(hit.source.startswith(str(corpus / "coco")) for hit in result.hits)


def test_more_like_an_ingested_image(searchapp: App, corpus: Path) -> None:
    cat = corpus / "samples" / "chelsea-the-cat.png"
    first = searchapp.search.search(SearchRequest(mode=Mode.IMAGE, image=cat.read_bytes(), k=4))
    item_id = first.hits[0].id
    similar = searchapp.search.search(SearchRequest(mode=Mode.IMAGE, item_id=item_id, k=3))
    assert_well_formed(similar.hits)
    # The image itself is no answer to "more like this"; the rest keep their order.
    assert [h.source for h in similar.hits] == [h.source for h in first.hits[1:]]
    texts = searchapp.search.search(SearchRequest(mode=Mode.IMAGE_TO_TEXT, item_id=item_id, k=20))
    assert str(cat) not in {hit.source for hit in texts.hits}  # nor is its own caption


def test_filters_and_paging_apply(searchapp: App, corpus: Path) -> None:
    query = (corpus / "samples" / "coffee.png").read_bytes()
    jpegs = searchapp.search.search(
        SearchRequest(
            mode=Mode.IMAGE,
            image=query,
            k=20,
            filters=SearchFilters(media_types=("image/jpeg",)),
        )
    )
    assert jpegs.hits and all(hit.media_type == "image/jpeg" for hit in jpegs.hits)
    under = searchapp.search.search(
        SearchRequest(
            mode=Mode.IMAGE, image=query, k=20, filters=SearchFilters(folder=str(corpus / "coco"))
        )
    )
    assert all(hit.source.startswith(str(corpus / "coco")) for hit in under.hits)
    everything = searchapp.search.search(SearchRequest(mode=Mode.IMAGE, image=query, k=6))
    page = searchapp.search.search(SearchRequest(mode=Mode.IMAGE, image=query, k=3, offset=3))
    assert [h.id for h in page.hits] == [h.id for h in everything.hits[3:6]]


def test_a_long_text_query_is_cut_to_clips_context(searchapp: App) -> None:
    query = "a photograph of a small grey cat sitting on a wooden table " * 30
    result = searchapp.search.search(SearchRequest(mode=Mode.TEXT_TO_IMAGE, text=query, k=2))
    assert len(result.hits) == 2


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (SearchRequest(mode=Mode.IMAGE), InvalidQueryError, "needs a query image"),
        (
            SearchRequest(mode=Mode.IMAGE, image=b"x", item_id="0" * 32),
            InvalidQueryError,
            "not both",
        ),
        (SearchRequest(mode=Mode.IMAGE, item_id="../etc"), InvalidQueryError, "not an item id"),
        (SearchRequest(mode=Mode.IMAGE, item_id="0" * 32), NotFoundError, "no ingested image"),
        (
            SearchRequest(
                mode=Mode.IMAGE_TO_TEXT, image=(SAMPLES / "coffee.png").read_bytes()[:5000]
            ),
            InvalidQueryError,
            "query image cannot be used: truncated or corrupt",
        ),
        (
            SearchRequest(mode=Mode.IMAGE, image=b"not an image"),
            InvalidQueryError,
            "not an image",
        ),
        (SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="  "), InvalidQueryError, "empty"),
        (SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="x", k=0), InvalidQueryError, "k must"),
    ],
)
def test_bad_queries_are_clear_errors(searchapp: App, request_, error, message: str) -> None:
    with pytest.raises(error, match=message):
        searchapp.search.search(request_)


def test_oversized_query_image_is_refused(searchapp: App) -> None:
    too_big = b"\x89PNG" + b"\x00" * searchapp.settings.max_upload_bytes
    with pytest.raises(InvalidQueryError, match="larger than"):
        searchapp.search.search(SearchRequest(mode=Mode.IMAGE, image=too_big))


def test_before_any_image_is_ingested(backend_settings: Settings, embedders: Embedders) -> None:
    app = App(backend_settings, embedders=embedders)
    for mode in (Mode.TEXT_TO_IMAGE, Mode.IMAGE_TO_TEXT):
        request = SearchRequest(mode=mode, text="a cat", image=None)
        if mode is Mode.IMAGE_TO_TEXT:
            request = SearchRequest(mode=mode, image=(SAMPLES / "coffee.png").read_bytes())
        result = app.search.search(request)
        assert result.hits == [] and "ingest" in (result.notice or "")
    with pytest.raises(NotFoundError):
        app.search.search(SearchRequest(mode=Mode.IMAGE, item_id="0" * 32))
    app.close()
