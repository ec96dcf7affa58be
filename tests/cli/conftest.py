"""The CLI reads its settings from the environment: point it at a private state folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_LITE_SHARED", "false")
    from searchapp.config import get_settings

    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
