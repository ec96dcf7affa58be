"""A small ingested tree and web apps on it under each access policy.

``served`` is ingested once (two notes under a root named ``notes-root``), its
root recorded as `searchapp ingest` records it. What these tests check is
access control, which happens before any search: the tree lives in the fake
store with the hashing text model (tests/fakes.py), not in Milvus with MiniLM.
``web`` builds a TestClient for a policy: loopback (no login, as a developer
runs it) or exposed (bound to 0.0.0.0, so every request needs a token). Tokens
are made with the real token store of the app's state folder.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.auth import Scope, TokenStore
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.roots import record_roots
from searchapp.web import create_app
from tests.fakes import FakeMilvusClient, fake_store

ROOT_NAME = "notes-root"
SECRET_TEXT = "The lighthouse keeper logs every passing ship in a leather book."
NOTES = {
    "lighthouse.txt": SECRET_TEXT,
    "deep/bees.md": "# Bees\n\nBees turn nectar into honey inside the hive.",
}


@dataclass(frozen=True)
class Served:
    app: App
    root: Path
    client: FakeMilvusClient  # the store's rows, for other apps on the same store

    def reopened(self, settings: Settings) -> App:
        """Another app (other settings) on the same store and models."""
        return App(settings, embedders=self.app.embedders, store=fake_store(settings, self.client))

    def item_id(self, relative: str) -> str:
        from searchapp.ingest.rows import row_id

        return row_id(str(self.root / relative), 0)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, fake_models: Embedders) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("security") / ROOT_NAME
    for relative, text in NOTES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("security-state"),
        lite_shared=False,
        search_consistency="Strong",
    )
    client = FakeMilvusClient()
    app = App(settings, embedders=fake_models, store=fake_store(settings, client))
    summary = ingest(app, scan([root]).files)
    assert summary.count(Outcome.INGESTED) == len(NOTES), summary.problems(Outcome.FAILED)
    record_roots(settings.state_dir, [root])
    yield Served(app, root.resolve(), client)
    app.close()


_names = itertools.count()


@pytest.fixture
def make_token(served: Served) -> Callable[[Scope], str]:
    """A new token of ``scope`` in the served app's state folder (unique names)."""

    def make(scope: Scope) -> str:
        return TokenStore(served.app.settings.state_dir).create(f"t{next(_names)}", scope)

    return make


Web = Callable[..., TestClient]


@pytest.fixture
def web(served: Served) -> Iterator[Web]:
    """``web(bind_host=..., **settings)``: a TestClient on the served store.

    bind_host "0.0.0.0" is the exposed configuration (login required); None is
    a loopback bind (the default of `searchapp serve`). Settings overrides make
    an app of their own, for routes that need no store (uploads, health).
    """
    apps: list[App] = []

    def build(bind_host: str | None = None, **overrides: object) -> TestClient:
        app = served.app
        if overrides:
            app = served.reopened(served.app.settings.model_copy(update=overrides))
            apps.append(app)
        return TestClient(create_app(app, warm=False, bind_host=bind_host))

    yield build
    for app in apps:
        app.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
