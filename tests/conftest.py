"""Fixtures shared by the whole suite: settings in a temporary state folder, the
real MiniLM model loaded once, apps wired to a throwaway Milvus Lite store, and
the two store backends (Lite, and a real Milvus server) for integration tests.

No real CLIP weights can be had here, so the shared models use the test-only
switch SEARCHAPP_TEST_RANDOM_CLIP (``test_random_clip=True``): a tiny open_clip
model with seeded random weights, enough to exercise every image path.
``reference_clip`` builds the same model straight from open_clip, so tests can
compare what searchapp stores with open_clip's own outputs."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.milvus_server import StandaloneServer, make_self_signed_tls
from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.store.connection import open_client

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

# The integration suite runs on both: `-m "not server"` leaves the server out.
BACKENDS = [
    pytest.param("lite", id="lite"),
    pytest.param("server", id="server", marks=pytest.mark.server),
]


# TestClient sends "Host: testserver": every test's settings allow it (the default
# answers loopback names only), unless a test names its allowed hosts itself.
TEST_CLIENT_HOSTS = {"SEARCHAPP_ALLOWED_HOSTS": "testserver"}


@pytest.fixture(scope="session", autouse=True)
def _test_client_host() -> Iterator[None]:
    # Session-wide too, for the settings of session-scoped fixtures.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_CLIENT_HOSTS.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own SEARCHAPP_* variables or .env."""
    for name in list(os.environ):
        if name.startswith("SEARCHAPP_"):
            monkeypatch.delenv(name)
    for name, value in TEST_CLIENT_HOSTS.items():
        monkeypatch.setenv(name, value)
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


def tiny_reference_clip(seed: int, *, checkpoint: Path | None = None) -> ReferenceClip:
    """The tiny test architecture straight from open_clip: random weights made with
    ``seed``, or the weights of ``checkpoint`` loaded by open_clip itself."""
    import open_clip
    import torch

    from searchapp.embed.clip import TINY_TEST_MODEL

    config = REPO / "searchapp" / "embed" / f"{TINY_TEST_MODEL}.json"
    if TINY_TEST_MODEL not in open_clip.list_models():
        open_clip.add_model_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, _, preprocess = open_clip.create_model_and_transforms(
            TINY_TEST_MODEL, pretrained=str(checkpoint) if checkpoint else None
        )
    model.eval()
    return ReferenceClip(model, preprocess, open_clip.get_tokenizer(TINY_TEST_MODEL))


@pytest.fixture(scope="session")
def reference_clip() -> ReferenceClip:
    """Built independently of searchapp: the tiny config, the same seed, open_clip's API."""
    from searchapp.embed.clip import RANDOM_SEED

    return tiny_reference_clip(RANDOM_SEED)


@dataclass(frozen=True)
class ClipCheckpoint:
    """CLIP weights saved to a file, and open_clip's own model loaded from it."""

    path: Path
    reference: ReferenceClip


@pytest.fixture(scope="session")
def other_clip_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> ClipCheckpoint:
    """A second CLIP model for re-index tests: the tiny architecture with other weights
    (seed 1), saved as a checkpoint file. searchapp loads it through the checkpoint
    path real weights take, and its identity carries the file's sha256."""
    from safetensors.torch import save_file

    from searchapp.embed.clip import RANDOM_SEED

    path = tmp_path_factory.mktemp("clip-weights") / "tiny-seed1.safetensors"
    weights = tiny_reference_clip(RANDOM_SEED + 1).model.state_dict()
    save_file({name: tensor.contiguous() for name, tensor in weights.items()}, str(path))
    return ClipCheckpoint(path, tiny_reference_clip(RANDOM_SEED, checkpoint=path))


@pytest.fixture
def app(settings: Settings, embedders: Embedders) -> Iterator[App]:
    application = App(settings, embedders=embedders)
    yield application
    application.close()


# --- test seams: an in-memory store and a hashing text model (tests/fakes.py) ----


@pytest.fixture(scope="session")
def fake_models() -> Embedders:
    """Text models that hash words into vectors (no MiniLM), and the same tiny random
    CLIP as ``embedders`` (image paths need one; it loads in a fraction of a second
    once torch is imported). Shared by the session like ``embedders``."""
    from tests.fakes import fake_embedders

    return fake_embedders(Settings(lite_shared=False, test_random_clip=True))


@pytest.fixture
def fake_app(settings: Settings, fake_models: Embedders) -> Iterator[App]:
    """An app on an in-memory store with the hashing text model: for tests of logic
    that neither Milvus nor MiniLM takes part in (see docs/testing.md)."""
    from tests.fakes import fake_store

    application = App(settings, embedders=fake_models, store=fake_store(settings))
    yield application
    application.close()


# --- a real Milvus server, and tests that run on both backends ----------------


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneServer]:
    """One real Milvus server (PyPI package ``milvus``, 2.3.5) for the session.

    It runs as a production server should: TLS on and authentication
    required, so every server test also exercises those settings. Tests keep
    apart by collection prefix, not by server.
    """
    folder = tmp_path_factory.mktemp("milvus-server")
    server = StandaloneServer(
        folder / "server", tls=make_self_signed_tls(folder / "tls"), authorization=True
    )
    server.start()
    yield server
    server.stop()


def server_settings(server: StandaloneServer, state_dir: Path, prefix: str) -> Settings:
    """Settings that reach ``server`` with its token and CA, under their own prefix."""
    assert server.tls is not None
    return Settings(
        state_dir=state_dir,
        milvus_uri=server.uri,
        milvus_token=server.token,
        milvus_tls_ca=server.tls.ca,
        milvus_tls_server_name=server.tls.server_name,
        collection_prefix=prefix,
        # Tests search right after writing: see every finished write.
        search_consistency="Strong",
    )


def _settings_for(
    request: pytest.FixtureRequest, backend: str, state_dir: Path
) -> Iterator[Settings]:
    """Settings for ``backend``; on the server, under a fresh prefix dropped afterwards."""
    if backend == "lite":
        yield Settings(state_dir=state_dir, lite_shared=False)
        return
    server: StandaloneServer = request.getfixturevalue("milvus_server")
    settings = server_settings(server, state_dir, f"t{uuid.uuid4().hex[:12]}")
    yield settings
    drop_collections(settings)


def drop_collections(settings: Settings) -> None:
    """Drop the aliases and collections under ``settings``' prefix."""
    client, _ = open_client(settings)
    prefix = settings.collection_prefix + "_"
    try:
        for name in client.list_collections():
            if not name.startswith(prefix):
                continue
            for alias in client.list_aliases(name).get("aliases", []):
                client.drop_alias(alias)
            client.drop_collection(name)
    finally:
        client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str:
    """Like ``backend``, for module-scoped fixtures (one set-up per backend)."""
    return str(request.param)


@pytest.fixture
def backend_settings(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[Settings]:
    yield from _settings_for(request, backend, tmp_path / "state")


@pytest.fixture(scope="module")
def module_backend_settings(
    request: pytest.FixtureRequest,
    module_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    yield from _settings_for(request, module_backend, tmp_path_factory.mktemp("state"))


@pytest.fixture
def backend_app(backend_settings: Settings, embedders: Embedders) -> Iterator[App]:
    application = App(backend_settings, embedders=embedders)
    yield application
    application.close()


@pytest.fixture
def backend_env(backend_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """``backend_settings`` as SEARCHAPP_* variables, for commands that read the environment."""
    from searchapp.config import get_settings

    for name, value in settings_environment(backend_settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield backend_settings
    get_settings.cache_clear()


def settings_environment(settings: Settings) -> dict[str, str]:
    """The SEARCHAPP_* variables that reproduce ``settings`` (fields set explicitly)."""
    env = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        secret = getattr(value, "get_secret_value", None)
        if isinstance(value, list):  # list settings read a JSON list
            env[f"SEARCHAPP_{name.upper()}"] = json.dumps([str(item) for item in value])
            continue
        env[f"SEARCHAPP_{name.upper()}"] = str(secret() if secret else value)
    return env
