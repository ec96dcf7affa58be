"""Host header checks: a DNS-rebound name is refused before any route runs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from searchapp.app import App
from searchapp.auth import AccessPolicy
from searchapp.config import Settings
from searchapp.web import create_app
from tests.security.conftest import SECRET_TEXT, Served, Web


def test_foreign_host_is_refused_with_no_file_body(web: Web, served: Served) -> None:
    client = web()
    file = f"/api/items/{served.item_id('lighthouse.txt')}/file"
    assert client.get("http://localhost:8000" + file).text == SECRET_TEXT  # the file is served
    response = client.get(file, headers={"Host": "attacker-rebind.example:8000"})
    assert response.status_code == 400
    assert SECRET_TEXT not in response.text
    assert "lighthouse" not in response.text
    for path in ("/", "/api/search?q=lighthouse", "/readyz"):
        assert client.get(path, headers={"Host": "attacker-rebind.example"}).status_code == 400


def test_loopback_names_and_the_bound_address_are_answered(tmp_path) -> None:
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False, allowed_hosts=[])
    app = App(settings)
    try:
        client = TestClient(create_app(app, warm=False, bind_host="192.168.1.20"))
        for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "192.168.1.20:8000"):
            assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
        # TestClient's own name is not allowed by default (tests allow it explicitly).
        for host in ("testserver", "localhost.evil.example", "192.168.1.21", "[::2]"):
            assert client.get("/healthz", headers={"Host": host}).status_code == 400, host
    finally:
        app.close()


def test_allowed_hosts_setting_adds_names(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEARCHAPP_ALLOWED_HOSTS", "search.example.com, Photos.Lan")
    settings = Settings(state_dir=tmp_path / "state", lite_shared=False)
    assert settings.allowed_hosts == ["search.example.com", "photos.lan"]
    policy = AccessPolicy.of(settings, "0.0.0.0")
    assert policy.allowed_hosts == (
        "localhost",
        "127.0.0.1",
        "[::1]",
        "search.example.com",
        "photos.lan",
    )
    assert policy.login_required
    ipv6 = AccessPolicy.of(Settings(state_dir=tmp_path, allowed_hosts=[]), "fd00::5")
    assert ipv6.allowed_hosts[-1] == "[fd00::5]" and ipv6.login_required
    assert not AccessPolicy.of(Settings(state_dir=tmp_path), "::1").login_required
