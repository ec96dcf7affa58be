"""`searchapp token create/list/revoke`, and what the web app makes of the tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.config import Settings
from searchapp.web import create_app


def _cli(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEARCHAPP_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "searchapp.cli", "token", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_list_revoke(tmp_path: Path) -> None:
    state = tmp_path / "state"
    created = _cli(state, "create", "--scope", "ingest", "--name", "phone")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("sa_") and len(token) > 40
    assert "shown once" in created.stderr
    assert _cli(state, "create", "--name", "phone").returncode == 1  # names are unique
    assert _cli(state, "create", "--name", "bad name!").returncode == 1
    listed = _cli(state, "list", "--json")
    assert [(t["name"], t["scope"]) for t in json.loads(listed.stdout)] == [("phone", "ingest")]
    assert token not in (state / "tokens.json").read_text()  # only its hash is kept

    app = App(Settings(state_dir=state, lite_shared=False))
    try:
        client = TestClient(create_app(app, warm=False, bind_host="0.0.0.0"))
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/ingest/status", headers=headers).status_code == 200
        revoked = _cli(state, "revoke", "phone")
        assert revoked.returncode == 0, revoked.stderr
        assert client.get("/api/ingest/status", headers=headers).status_code == 401
    finally:
        app.close()
    assert _cli(state, "revoke", "phone").returncode == 1  # says there is no such token
    assert json.loads(_cli(state, "list", "--json").stdout) == []


def test_serve_makes_a_first_token_only_when_a_login_is_needed(tmp_path: Path) -> None:
    from searchapp.auth import TokenStore
    from searchapp.cli.serve import _login_address

    settings = Settings(state_dir=tmp_path / "state")
    assert _login_address(settings, "127.0.0.1", "127.0.0.1", 8000) is None  # loopback
    assert TokenStore(settings.state_dir).records() == []
    url = _login_address(settings, "0.0.0.0", "127.0.0.1", 8000)
    assert url is not None and url.startswith("http://127.0.0.1:8000/login?token=sa_")
    [record] = TokenStore(settings.state_dir).records()
    assert record.name == "serve" and record.scope == "admin"
    assert TokenStore(settings.state_dir).verify(url.split("token=", 1)[1]) == record
    # Printed once: the next start finds a token and prints no new one.
    assert _login_address(settings, "0.0.0.0", "127.0.0.1", 8000) is None
    assert len(TokenStore(settings.state_dir).records()) == 1
