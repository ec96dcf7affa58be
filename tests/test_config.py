"""Settings: environment variables, validation, and the default store location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from searchapp.config import Settings, get_settings
from searchapp.errors import ConfigError


def test_defaults_keep_state_out_of_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    settings = Settings()
    assert settings.state_dir == (tmp_path / "xdg" / "searchapp").resolve()
    assert settings.resolved_milvus_uri == str(settings.state_dir / "milvus.db")
    assert settings.uses_milvus_lite


def test_environment_and_server_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_MILVUS_URI", "http://milvus:19530")
    monkeypatch.setenv("SEARCHAPP_MILVUS_TOKEN", "root:Milvus")
    monkeypatch.setenv("SEARCHAPP_HNSW_M", "32")
    settings = Settings()
    assert not settings.uses_milvus_lite
    assert settings.milvus_token.get_secret_value() == "root:Milvus"
    assert "root:Milvus" not in repr(settings)  # secrets stay out of logs
    assert settings.hnsw_m == 32


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SEARCHAPP_SEARCH_EF=128\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(Settings.model_config, "env_file", ".env")
    assert Settings().search_ef == 128


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("SEARCHAPP_HNSW_M", "lots")
    with pytest.raises(ConfigError, match="SEARCHAPP_HNSW_M"):
        get_settings()
    get_settings.cache_clear()


def test_overlap_must_be_below_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        Settings(chunk_tokens=20, chunk_overlap=20)


def test_server_credentials_and_tls_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(milvus_uri="https://milvus:443").uses_tls
    assert not Settings(milvus_uri="http://milvus:19530").uses_tls
    monkeypatch.setenv("SEARCHAPP_MILVUS_URI", "http://milvus:19530")
    monkeypatch.setenv("SEARCHAPP_MILVUS_USER", "ana")
    monkeypatch.setenv("SEARCHAPP_MILVUS_PASSWORD", "s3cret")
    monkeypatch.setenv("SEARCHAPP_MILVUS_TLS_CA", "/etc/ssl/milvus-ca.pem")
    settings = Settings()
    assert settings.milvus_user == "ana"
    assert settings.milvus_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.milvus_tls_ca == Path("/etc/ssl/milvus-ca.pem")
    assert settings.uses_tls


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"milvus_user": "ana"}, "SEARCHAPP_MILVUS_USER and SEARCHAPP_MILVUS_PASSWORD go together"),
        (
            {"milvus_user": "ana", "milvus_password": "x", "milvus_token": "t"},
            "not both",
        ),
        ({"milvus_tls_client_cert": "/c.pem"}, "mutual TLS needs"),
        ({"milvus_tls_client_cert": "/c.pem", "milvus_tls_client_key": "/c.key"}, "TLS_CA"),
    ],
)
def test_incomplete_credentials_are_refused(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(milvus_uri="http://milvus:19530", **values)


def test_every_area_validates_its_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Settings is composed from one class per area (searchapp/config/): the
    # validators of each area, and those spanning areas, run on the whole.
    monkeypatch.setenv("HOME", str(tmp_path))
    environment = {
        "SEARCHAPP_STATE_DIR": "~/state/../st",
        "SEARCHAPP_MILVUS_TOKEN": "",  # compose files pass unset variables as ""
        "SEARCHAPP_WATCH_ROOTS": f"~/a{os.pathsep}{tmp_path}/b",
        "SEARCHAPP_FILE_ROOTS": '["~/c"]',
        "SEARCHAPP_ALLOWED_HOSTS": "Search.Example.ORG, 10.0.0.2",
        "SEARCHAPP_UPLOADS_DIR": "~/up",
        "SEARCHAPP_CLIP_CHECKPOINT": "~/clip.pt",
        "SEARCHAPP_ONNX_CACHE_DIR": "~/onnx",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    home = tmp_path.resolve()
    settings = Settings()
    assert settings.state_dir == home / "st"
    assert settings.milvus_token is None
    assert settings.watch_roots == [home / "a", home / "b"]
    assert settings.file_roots == [home / "c"]
    assert settings.allowed_hosts == ["search.example.org", "10.0.0.2"]
    assert settings.uploads_dir == home / "up"
    assert settings.clip_checkpoint == home / "clip.pt"
    assert settings.onnx_cache_dir == home / "onnx"
    assert settings.worker_queue_path == home / "st" / "worker-queue.db"
    monkeypatch.setenv("SEARCHAPP_FAULT_PAUSE", "flush@x")
    with pytest.raises(ValueError, match="flush@x"):
        Settings()
