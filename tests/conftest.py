"""Fixtures shared by the whole suite: settings in a temporary state folder, the
real MiniLM model loaded once, and apps wired to a throwaway Milvus Lite store.

No real CLIP weights can be had here, so the shared models use the test-only
switch SEARCHAPP_TEST_RANDOM_CLIP (``test_random_clip=True``): a tiny open_clip
model with seeded random weights, enough to exercise every image path.
``reference_clip`` builds the same model straight from open_clip, so tests can
compare what searchapp stores with open_clip's own outputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """The real text model and the tiny random CLIP, loaded once for the whole session."""
    return Embedders(Settings(lite_shared=False, test_random_clip=True))


@dataclass(frozen=True)
class ReferenceClip:
    """open_clip's own model, preprocessing and tokenizer for the tiny test config."""

    model: Any
    preprocess: Any
    tokenizer: Any

    def encode_image(self, image: Any) -> Any:
        return self.encode_images([image])[0]

    def encode_images(self, images: list[Any]) -> Any:
        import torch

        with torch.no_grad():
            pixels = torch.stack([self.preprocess(image) for image in images])
            return self.model.encode_image(pixels, normalize=True).numpy()

    def encode_text(self, text: str) -> Any:
        import torch

        with torch.no_grad():
            return self.model.encode_text(self.tokenizer([text]), normalize=True)[0].numpy()


@pytest.fixture(scope="session")
def reference_clip() -> ReferenceClip:
    """Built independently of searchapp: the tiny config, the same seed, open_clip's API."""
    import open_clip
    import torch

    from searchapp.embed.clip import RANDOM_SEED, TINY_TEST_MODEL

    config = REPO / "searchapp" / "embed" / f"{TINY_TEST_MODEL}.json"
    if TINY_TEST_MODEL not in open_clip.list_models():
        open_clip.add_model_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        model, _, preprocess = open_clip.create_model_and_transforms(TINY_TEST_MODEL)
    model.eval()
    return ReferenceClip(model, preprocess, open_clip.get_tokenizer(TINY_TEST_MODEL))


@pytest.fixture
def app(settings: Settings, embedders: Embedders) -> Iterator[App]:
    application = App(settings, embedders=embedders)
    yield application
    application.close()
