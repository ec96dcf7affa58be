"""One constructed library (tests/explore/library.py), ingested once for every explore test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from tests.explore.library import build_library
from tests.ingested import ingest_cleanly


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("explore-library"))


@pytest.fixture(scope="session")
def explore_app(
    library: Path, embedders: Embedders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("explore-state"),
        lite_shared=False,
        test_random_clip=True,
        search_consistency="Strong",
    )
    app = App(settings, embedders=embedders)
    ingest_cleanly(app, [library])
    yield app
    app.close()
