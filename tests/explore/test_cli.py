"""`searchapp explore ...` on the constructed library (in-process, the shared store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.cli import explore as explore_cli

pytestmark = [pytest.mark.integration, pytest.mark.model]
runner = CliRunner()


class _Borrowed:
    """The session's App, lent to a command that closes what it opened."""

    def __init__(self, app: App, state_dir: Path) -> None:
        self.settings = app.settings.model_copy(update={"state_dir": state_dir})
        self.store = app.store

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _lend_app(explore_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_cli, "open_app", lambda: _Borrowed(explore_app, tmp_path))


def test_duplicates_table_names_both_files() -> None:
    result = runner.invoke(cli, ["explore", "duplicates"])
    assert result.exit_code == 0, result.output
    assert "2 duplicate groups" in result.output
    # Long paths wrap in the table: read it without its borders.
    text = "".join(result.output.replace("│", " ").split())
    assert "chess-1-edited.txt" in text and "sourdough-2-backup.txt" in text
    assert "exact" in result.output


def test_duplicates_json_with_threshold_and_limit() -> None:
    result = runner.invoke(
        cli, ["explore", "duplicates", "--space", "image", "--threshold", "0.9", "--json",
              "--limit", "1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["threshold"] == 0.9 and len(report["groups"]) == 1
    assert report["total_groups"] >= 1


def test_clusters_outliers_and_map() -> None:
    clusters = runner.invoke(cli, ["explore", "clusters", "--clusters", "3", "--json"])
    assert clusters.exit_code == 0, clusters.output
    assert len(json.loads(clusters.output)["clusters"]) == 3
    outliers = runner.invoke(cli, ["explore", "outliers", "--limit", "1"])
    assert outliers.exit_code == 0 and "Company tax deadlines" in outliers.output
    points = json.loads(runner.invoke(cli, ["explore", "map", "--json"]).output)["points"]
    assert len(points) == 15


def test_a_bad_space_is_one_line_and_exit_1() -> None:
    result = runner.invoke(cli, ["explore", "map", "--space", "audio"])
    assert result.exit_code == 1
    assert "unknown space 'audio'" in result.output
