"""A small tree ingested once into a throwaway Lite store, and a TestClient on it.

Documents on distinct topics (so a query has one right answer), a folder whose
name holds a quote and a backslash (filters must escape it), and sample photos
with captions; every file gets a controlled modification time, so the date
filters can be checked exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Outcome
from searchapp.web import create_app
from tests.ingested import ingest_cleanly

REPO = Path(__file__).resolve().parents[3]
SAMPLE_IMAGES = REPO / "data" / "images"

OLD = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
NEW = datetime(2023, 6, 1, tzinfo=UTC).timestamp()
ODD_FOLDER = 'odd "quoted" \\ folder'
# Small enough that a test can go over them; the ingested photos are under both.
UPLOAD_LIMIT = 1024 * 1024
PIXEL_LIMIT = 1200 * 1000

DOCUMENTS = {
    "notes/sourdough.md": (
        "# Sourdough starter\n\nFeed the sourdough starter flour and water every day; "
        "keep it warm so the wild yeast and bacteria stay active and the bread rises.",
        OLD,
    ),
    "notes/mars.txt": (
        "Why Mars is red\n\nThe surface of Mars is covered in iron oxide dust, rust, "
        "which gives the planet its red colour.",
        NEW,
    ),
    "web/volcano.html": (
        "<html><head><title>Volcanoes</title></head><body><p>Magma rises through the "
        "crust and erupts as lava from volcanoes.</p></body></html>",
        OLD,
    ),
    "web/whales.html": (
        "<html><head><title>Whale songs</title></head><body><p>Humpback whales sing "
        "long songs that travel across the ocean.</p></body></html>",
        NEW,
    ),
    "notes/bees.md": (
        "# Honey bees\n\nBees collect nectar from flowers and turn it into honey in the hive.",
        NEW,
    ),
    "notes/chess.txt": (
        "Chess openings\n\nThe Sicilian Defence answers e4 with c5 and leads to sharp games.",
        OLD,
    ),
    f"{ODD_FOLDER}/tea.md": (
        "# Brewing tea\n\nSteep green tea leaves in water below boiling for two minutes.",
        NEW,
    ),
}
IMAGES = {
    "pictures/chelsea-the-cat.png": OLD,
    "pictures/coffee.png": NEW,
    "pictures/clock.png": NEW,
    "pictures/rocket-launch.jpg": OLD,
}


@dataclass(frozen=True)
class Corpus:
    root: Path

    def path(self, relative: str) -> str:
        return str(self.root / relative)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("api-corpus")
    for relative, (text, mtime) in DOCUMENTS.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (mtime, mtime))
    for relative, mtime in IMAGES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        source = SAMPLE_IMAGES / Path(relative).name
        path.write_bytes(source.read_bytes())
        caption = source.with_suffix(".txt")
        path.with_suffix(".txt").write_bytes(caption.read_bytes())
        os.utime(path, (mtime, mtime))
    return Corpus(root)


@pytest.fixture(scope="session")
def api_app(
    corpus: Corpus, embedders: Embedders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("api-state"),
        lite_shared=False,
        max_upload_bytes=UPLOAD_LIMIT,
        image_max_pixels=PIXEL_LIMIT,
        search_consistency="Strong",
    )
    app = App(settings, embedders=embedders)
    summary = ingest_cleanly(app, [corpus.root])
    assert summary.count(Outcome.INGESTED) == len(DOCUMENTS) + len(IMAGES)
    yield app
    app.close()


@pytest.fixture(scope="session")
def client(api_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(api_app)) as test_client:
        yield test_client
