"""A small tree ingested once into a private Lite store, and a web app over it.

The tree has documents on distinct topics, one whose text holds markup (for
escaping), images with caption sidecars, and the awkward cases of file
serving: a file deleted after ingest, a symlink inside the tree that points
outside it, and a folder that was ingested but is not a served root.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest.roots import record_roots
from searchapp.ingest.rows import row_id
from searchapp.web import create_app
from tests.ingested import ingest_cleanly

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "data"

DOCUMENTS = {
    "sourdough-starter.md": DATA / "docs/notes/sourdough-starter.md",
    "how-thunderstorms-form.txt": DATA / "docs/plain/how-thunderstorms-form.txt",
    "octopus-camouflage.md": DATA / "docs/articles/octopus-camouflage.md",
    "chess-opening-principles.md": DATA / "docs/notes/chess-opening-principles.md",
    "home-espresso-guide.md": DATA / "docs/articles/home-espresso-guide.md",
    "harvesting-honey.html": DATA / "docs/web/harvesting-honey.html",
}
IMAGES = ["coffee.png", "chelsea-the-cat.png", "rocket-launch.jpg", "brick-wall.png"]
# Markup in a document's text: the page must show it as text, never run it.
MARKUP_DOCUMENT = (
    "Quokka handling notes\n\n"
    "The quokka enclosure page once showed <script>alert('quokka')</script> to visitors; "
    "quokkas are small wallabies that live on Rottnest Island and rarely mind people.\n"
)


@dataclass(frozen=True)
class Corpus:
    root: Path  # the served root (recorded as ingest records it)
    outside: Path  # ingested, but not a served root

    def path(self, name: str) -> Path:
        return self.root / name

    def item_id(self, path: Path) -> str:
        """An item's id by the documented key rule: sha256(path, chunk 0)."""
        return row_id(str(path), 0)


@pytest.fixture(scope="session")
def corpus_dirs(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("corpus")
    root, outside, elsewhere = base / "served", base / "unserved", base / "elsewhere"
    for folder in (root / "docs", root / "images", outside, elsewhere):
        folder.mkdir(parents=True)
    for name, source in DOCUMENTS.items():
        shutil.copy(source, root / "docs" / name)
    (root / "docs" / "quokka-notes.txt").write_text(MARKUP_DOCUMENT, encoding="utf-8")
    (root / "docs" / "lighthouse-log.txt").write_text(
        "Lighthouse keeper logbook\n\nThe lighthouse lamp was trimmed at dusk; the keeper "
        "logged fog, ships and the foghorn until dawn.\n",
        encoding="utf-8",
    )
    for name in IMAGES:
        shutil.copy(DATA / "images" / name, root / "images" / name)
        caption = (DATA / "images" / name).with_suffix(".txt")
        shutil.copy(caption, root / "images" / caption.name)
    (elsewhere / "secret.txt").write_text(
        "Marmalade recipe: Seville oranges, sugar, and patience.\n", encoding="utf-8"
    )
    (root / "docs" / "marmalade-link.txt").symlink_to(elsewhere / "secret.txt")
    (outside / "unserved-notes.txt").write_text(
        "Tuba maintenance: oil the valves weekly and empty the water key.\n", encoding="utf-8"
    )
    return Corpus(root=root, outside=outside)


@pytest.fixture(scope="session")
def page_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(state_dir=tmp_path_factory.mktemp("web-state"), lite_shared=False)


@pytest.fixture(scope="session")
def page_app(corpus_dirs: Corpus, page_settings: Settings, embedders: Embedders) -> Iterator[App]:
    """The tree ingested (images with the tiny random CLIP), its root recorded as
    `searchapp ingest` records it; then one file deleted."""
    application = App(page_settings, embedders=embedders)
    # The link out of the root is followed (SEARCHAPP_FOLLOW_SYMLINKS_OUTSIDE), so the
    # file route's own refusal of it is tested: its second line of defence.
    ingest_cleanly(application, [corpus_dirs.root, corpus_dirs.outside], follow_outside=True)
    record_roots(page_settings.state_dir, [corpus_dirs.root])
    corpus_dirs.path("docs/lighthouse-log.txt").unlink()
    yield application
    application.close()


@pytest.fixture(scope="session")
def client(page_app: App) -> TestClient:
    return TestClient(create_app(page_app, warm=False))
