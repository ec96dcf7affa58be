"""Fixtures of the worker tests: the web app on a private state folder, no models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.web import create_app


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """The web app, cold (no store, no model): the ingest routes need neither."""
    small = settings.model_copy(update={"max_upload_bytes": 1000})
    app = App(small)
    with TestClient(create_app(app, warm=False)) as client:
        yield client
    app.close()
