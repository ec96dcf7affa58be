"""The `searchapp` command end to end, in-process through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.cli import app as cli

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_LITE_SHARED", "false")
    from searchapp.config import get_settings

    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def any_env(backend_env, tmp_path: Path) -> Path:
    """Like ``env``, on Milvus Lite and on the real server."""
    return tmp_path


def test_help_explains_every_command() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "search", "stats", "reindex", "doctor"):
        assert command in result.output
    for command, phrase in (
        ("ingest", "Unchanged files are skipped"),
        ("search", "--json"),
        ("stats", "HNSW"),
        ("reindex", "--keep-old"),
        ("doctor", "Exits 1 when an essential check fails"),
    ):
        sub = runner.invoke(cli, [command, "--help"])
        assert sub.exit_code == 0 and phrase in sub.output


def test_missing_path_is_a_one_line_error(env: Path) -> None:
    result = runner.invoke(cli, ["ingest", str(env / "nope")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


@pytest.mark.integration
@pytest.mark.model
def test_ingest_search_stats(any_env: Path) -> None:
    docs = any_env / "docs"
    docs.mkdir()
    (docs / "volcano.md").write_text(
        "# Volcanoes\n\nMagma rises through the crust and erupts as lava and ash."
    )
    (docs / "tea.txt").write_text("Green tea\n\nSteep green tea at 80 degrees for two minutes.")
    (docs / "junk.txt").write_bytes(b"\x00\x00\x00binary")

    ingested = runner.invoke(cli, ["ingest", str(docs), "--json"])
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.stdout)
    assert (summary["ingested"], summary["failed"], summary["files_seen"]) == (2, 1, 3)
    assert summary["problems"][0]["path"].endswith("junk.txt")

    found = runner.invoke(cli, ["search", "molten rock from a mountain", "-k", "2", "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert hits[0]["source"].endswith("volcano.md")
    assert set(hits[0]) == {
        "id",
        "score",
        "source",
        "record_id",
        "title",
        "snippet",
        "media_type",
        "chunk",
    }
    assert set(hits[0]["chunk"]) == {"index", "start", "end"}
    assert hits[0]["title"] == "Volcanoes"

    text = runner.invoke(cli, ["search", "molten rock"])
    assert text.exit_code == 0 and "Volcanoes" in text.stdout and "score" in text.stdout

    stats = runner.invoke(cli, ["stats", "--json"])
    [collection] = json.loads(stats.stdout)["collections"]
    assert collection["rows"] == 2
    assert collection["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert collection["dim"] == 384


@pytest.mark.integration
def test_nothing_ingestible_exits_non_zero(env: Path) -> None:
    bad = env / "bad.txt"
    bad.write_bytes(b"\x00" * 10)
    result = runner.invoke(cli, ["ingest", str(bad)])
    assert result.exit_code == 1
    assert "failed" in result.output


def test_unreachable_store_exits_non_zero(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_MILVUS_URI", "http://127.0.0.1:9")
    result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "cannot reach Milvus" in result.output


@pytest.mark.integration
@pytest.mark.model
def test_search_before_ingest_says_so(any_env: Path) -> None:
    result = runner.invoke(cli, ["search", "anything"])
    assert result.exit_code == 0
    assert "nothing has been ingested yet" in result.stdout
