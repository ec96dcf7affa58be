"""`searchapp worker` settings and command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.cli import app as cli
from searchapp.config import Settings, get_settings
from searchapp.errors import ConfigError


def test_watch_roots_from_json_or_a_path_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_WATCH_ROOTS", json.dumps(["/data/a", "/data/b c"]))
    assert Settings().watch_roots == [Path("/data/a"), Path("/data/b c")]
    monkeypatch.setenv("SEARCHAPP_WATCH_ROOTS", "/data/a:/data/b")
    assert Settings().watch_roots == [Path("/data/a"), Path("/data/b")]
    monkeypatch.setenv("SEARCHAPP_WATCH_ROOTS", "")
    assert Settings().watch_roots == []


def test_bad_worker_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_WATCH_ROOTS", "[not json")
    monkeypatch.setenv("SEARCHAPP_MAX_UPLOAD_BYTES", "0")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError) as error:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert "SEARCHAPP_WATCH_ROOTS" in str(error.value)
    assert "SEARCHAPP_MAX_UPLOAD_BYTES" in str(error.value)


def test_uploads_default_to_the_state_folder(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    assert settings.resolved_uploads_dir == tmp_path / "uploads"
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert Settings(state_dir=tmp_path, uploads_dir=tmp_path / "up").resolved_uploads_dir == (
        tmp_path / "up"
    )


def test_a_missing_folder_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_LITE_SHARED", "false")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker", "--once", str(tmp_path / "nope")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "not a folder" in result.output and "nope" in result.output


def test_help_names_the_endpoints_and_signals() -> None:
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "/api/ingest/status" in text and "SIGTERM" in text and "--once" in text
