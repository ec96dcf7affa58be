"""The sample corpus (data/) ingested once, for every search test that needs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.ingest import Outcome, ingest, scan

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory, embedders):
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"), lite_shared=False)
    application = App(settings, embedders=embedders)
    summary = ingest(application, scan([REPO / "data"]).files)
    assert summary.count(Outcome.FAILED) == 0, summary.problems(Outcome.FAILED)
    yield application
    application.close()
