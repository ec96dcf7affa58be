"""Symlinks out of the ingested folders (issue 14): a link inside an ingested or
watched folder that points outside every one of them is reported and never
read, so the file it names cannot become searchable; links within the folders,
and all links when SEARCHAPP_FOLLOW_SYMLINKS_OUTSIDE is on, are followed."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.discover import OUTSIDE_ROOTS, discover
from searchapp.worker.adapter import sync_paths

pytestmark = [pytest.mark.integration, pytest.mark.model]

SECRET = "The vault combination is written under the purple lighthouse."


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with a note, a link to a file outside, a link within; secret/ outside."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "combination.md").write_text(f"# Private\n\n{SECRET}\n")
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "ferry.md").write_text("# Ferry\n\nThe ferry leaves the harbour at seven.\n")
    (root / "outside.md").symlink_to(secret / "combination.md")
    (root / "within.md").symlink_to(root / "notes" / "ferry.md")
    return root


def _sources(app: App, query: str) -> set[str]:
    return {Path(hit.source).name for hit in app.search.search_text(query, k=10).hits}


def test_a_symlink_out_of_the_folder_is_reported_and_not_searchable(app: App, tree: Path) -> None:
    found = scan([tree])
    summary = ingest(app, found.files, roots=found.roots)
    by_name = {result.path.name: result for result in summary.results}
    assert by_name["outside.md"].outcome is Outcome.SKIPPED
    assert by_name["outside.md"].reason == "symlink points outside the ingested folders"
    assert by_name["within.md"].outcome is Outcome.INGESTED
    assert by_name["ferry.md"].outcome is Outcome.INGESTED
    assert "outside.md" not in _sources(app, "vault combination purple lighthouse")


def test_a_symlink_into_another_named_folder_is_followed(tmp_path: Path, tree: Path) -> None:
    secret = tmp_path / "secret"
    names = {f.path.name: f.problem for f in discover([tree, secret])}
    assert names["outside.md"] == ""  # its target is under a folder named too


def test_following_them_is_a_setting(app: App, tree: Path) -> None:
    app.settings.follow_symlinks_outside = True
    found = scan([tree], follow_outside=app.settings.follow_symlinks_outside)
    summary = ingest(app, found.files, roots=found.roots)
    by_name = {result.path.name: result for result in summary.results}
    assert by_name["outside.md"].outcome is Outcome.INGESTED
    assert "outside.md" in _sources(app, "vault combination purple lighthouse")


def test_a_file_named_itself_is_read_wherever_it_points(tree: Path) -> None:
    [found] = discover([tree / "outside.md"])
    assert found.problem == ""


def test_the_worker_checks_its_watched_folders(app: App, tree: Path) -> None:
    result = sync_paths(app, [tree / "outside.md", tree / "within.md"], roots=[tree])
    assert result.paths[tree / "outside.md"].reason == OUTSIDE_ROOTS
    assert not result.paths[tree / "outside.md"].failed  # skipped, not failed
    assert result.paths[tree / "within.md"].outcome == Outcome.INGESTED.value
    assert "outside.md" not in _sources(app, "vault combination purple lighthouse")
