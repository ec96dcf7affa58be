"""The sample corpus (data/) ingested once, for every search test that needs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from tests.ingested import ingest_cleanly

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory, embedders):
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"), lite_shared=False)
    application = App(settings, embedders=embedders)
    ingest_cleanly(application, [REPO / "data"])
    yield application
    application.close()
