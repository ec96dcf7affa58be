"""Fixtures shared by the whole suite: settings in a temporary state folder, the
real MiniLM model loaded once, and apps wired to a throwaway Milvus Lite store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own SEARCHAPP_* variables or .env."""
    for name in list(os.environ):
        if name.startswith("SEARCHAPP_"):
            monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private state folder; the store opens in-process (fast)."""
    return Settings(state_dir=tmp_path / "state", lite_shared=False)


@pytest.fixture(scope="session")
def embedders() -> Embedders:
    """The real models, loaded once for the whole session."""
    return Embedders(Settings(lite_shared=False))


@pytest.fixture
def app(settings: Settings, embedders: Embedders) -> Iterator[App]:
    application = App(settings, embedders=embedders)
    yield application
    application.close()
