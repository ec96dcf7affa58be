"""The recorded ingest roots, and SEARCHAPP_FILE_ROOTS: what the web app may serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchapp.config import Settings
from searchapp.ingest.roots import ROOTS_FILE, record_roots, recorded_roots
from searchapp.web.files import served_roots


def test_roots_accumulate_resolved(tmp_path: Path) -> None:
    state = tmp_path / "state"
    photos, notes = tmp_path / "photos", tmp_path / "notes"
    photos.mkdir()
    notes.mkdir()
    (tmp_path / "link").symlink_to(photos)
    assert recorded_roots(state) == []
    record_roots(state, [tmp_path / "link"])
    assert recorded_roots(state) == [photos.resolve()]
    record_roots(state, [notes, photos])  # photos again: recorded once
    assert recorded_roots(state) == sorted([photos.resolve(), notes.resolve()])
    assert not [p for p in state.iterdir() if p.name != ROOTS_FILE]  # no temporary left


def test_damaged_record_serves_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / ROOTS_FILE).write_text("{not json")
    assert recorded_roots(state) == []
    assert "ignoring unreadable" in caplog.text
    record_roots(state, [tmp_path])  # ingest rewrites it
    assert json.loads((state / ROOTS_FILE).read_text()) == {"roots": [str(tmp_path.resolve())]}


def test_file_roots_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_FILE_ROOTS", f"{tmp_path}/a:{tmp_path}/b/../c")
    settings = Settings(state_dir=tmp_path / "state")
    assert settings.file_roots == [tmp_path / "a", tmp_path / "c"]
    monkeypatch.setenv("SEARCHAPP_FILE_ROOTS", json.dumps([str(tmp_path / "x")]))
    assert Settings(state_dir=tmp_path / "state").file_roots == [tmp_path / "x"]
    monkeypatch.setenv("SEARCHAPP_FILE_ROOTS", "")
    assert Settings(state_dir=tmp_path / "state").file_roots == []


def test_configured_roots_win_over_recorded(tmp_path: Path) -> None:
    state = tmp_path / "state"
    record_roots(state, [tmp_path])
    assert served_roots(Settings(state_dir=state)) == [tmp_path.resolve()]
    configured = Settings(state_dir=state, file_roots=[tmp_path / "only"])
    assert served_roots(configured) == [(tmp_path / "only").resolve()]
