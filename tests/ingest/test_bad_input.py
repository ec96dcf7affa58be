"""Bad input never stops a run: each case is reported with its reason, the good
files are ingested, and `--report` writes every skipped or failed file as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.reader import FilePreparer

pytestmark = [pytest.mark.integration, pytest.mark.model]


def bad_tree(root: Path, helpers) -> dict[str, tuple[Outcome, str]]:
    """Files of every bad kind, with the outcome and reason each must get."""
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nThe ferry leaves the harbour at seven.\n")
    (root / "empty.md").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (root / "random.txt").write_bytes(bytes(range(1, 256)) * 8)  # no encoding makes text
    (root / "big.txt").write_text("word " * 1000)  # over the 4000-byte limit below
    helpers.picture(root / "whole.png", seed=3, size=16)  # under the limit
    whole = (root / "whole.png").read_bytes()
    (root / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    (root / "vanishing.md").write_text("# Soon gone\n\nThis file is deleted while it is read.\n")
    (root / "changing.md").write_text("# Moving\n\nThis file changes while it is read.\n")
    return {
        "good.md": (Outcome.INGESTED, ""),
        "whole.png": (Outcome.INGESTED, ""),
        "empty.md": (Outcome.SKIPPED, "empty file"),
        "binary.txt": (Outcome.FAILED, "binary data"),
        "random.txt": (Outcome.FAILED, "binary data"),
        "big.txt": (Outcome.SKIPPED, "larger than SEARCHAPP_MAX_FILE_BYTES"),
        "truncated.png": (Outcome.FAILED, "truncated or corrupt image"),
        "loop-a.txt": (Outcome.FAILED, "symlink loop"),
        "loop-b.txt": (Outcome.FAILED, "symlink loop"),
        "dangling.md": (Outcome.FAILED, "broken symlink"),
        "vanishing.md": (Outcome.FAILED, "vanished"),
        "changing.md": (Outcome.FAILED, "changed while being read"),
    }


@pytest.fixture
def meddling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Delete vanishing.md and append to changing.md while each is being read."""
    prepare = FilePreparer.prepare

    def meddled(self: FilePreparer, found, sha256):
        prepared = prepare(self, found, sha256)
        if found.path.name == "vanishing.md":
            found.path.unlink()
        elif found.path.name == "changing.md":
            with open(found.path, "a") as handle:
                handle.write("A line added in the middle of the read.\n")
        return prepared

    monkeypatch.setattr(FilePreparer, "prepare", meddled)


def test_every_bad_file_is_reported_and_the_run_goes_on(
    app: App, tmp_path: Path, helpers, meddling: None
) -> None:
    expected = bad_tree(tmp_path / "bad", helpers)
    app.settings.max_file_bytes = 4000
    found = scan([tmp_path / "bad"])
    summary = ingest(app, found.files, roots=found.roots)
    by_name = {result.path.name: result for result in summary.results}
    assert sorted(by_name) == sorted(expected)
    for name, (outcome, reason) in expected.items():
        assert by_name[name].outcome is outcome, (name, by_name[name])
        assert reason in by_name[name].reason, (name, by_name[name].reason)
    # Only the good files are in the store, and the state says so.
    sources = {row["source"] for rows in helpers.store_rows(app).values() for row in rows}
    assert {Path(s).name for s in sources} == {"good.md", "whole.png"}
    assert helpers.check_manifest_matches_store(app) == 2


def test_permission_denied_is_reported(app: App, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("runs as root: chmod 000 does not stop root from reading a file")
    locked = tmp_path / "locked.md"
    locked.write_text("# Locked\n\nNobody may read this.\n")
    locked.chmod(0)
    summary = ingest(app, scan([locked]).files)
    assert summary.results[0].outcome is Outcome.FAILED
    assert summary.results[0].reason == "permission denied"


def test_report_file_lists_every_skipped_or_failed_file(
    tmp_path: Path, helpers, meddling: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchapp.config import get_settings

    expected = bad_tree(tmp_path / "bad", helpers)
    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_LITE_SHARED", "false")
    monkeypatch.setenv("SEARCHAPP_TEST_RANDOM_CLIP", "1")
    monkeypatch.setenv("SEARCHAPP_MAX_FILE_BYTES", "4000")
    get_settings.cache_clear()
    report = tmp_path / "report.json"
    try:
        done = CliRunner().invoke(cli, ["ingest", str(tmp_path / "bad"), "--report", str(report)])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    written = json.loads(report.read_text())
    assert written["summary"]["ingested"] == 2
    listed = {Path(item["path"]).name: item for item in written["files"]}
    problems = {n: e for n, e in expected.items() if e[0] is not Outcome.INGESTED}
    assert sorted(listed) == sorted(problems)
    for name, (outcome, reason) in problems.items():
        assert listed[name]["outcome"] == outcome.value
        assert reason in listed[name]["reason"]
