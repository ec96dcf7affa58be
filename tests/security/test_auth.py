"""Tokens and scopes: who may search, upload and see the store, on an exposed server."""

from __future__ import annotations

from collections.abc import Callable

from searchapp.auth import Scope, TokenStore
from tests.security.conftest import ROOT_NAME, Served, Web, bearer

EXPOSED = "0.0.0.0"  # serve --host 0.0.0.0: every request needs a token
UPLOAD = [("files", ("tea.md", b"# Tea\nGreen tea is steamed.", "text/markdown"))]


def test_no_token_is_401_on_an_exposed_server(web: Web, served: Served) -> None:
    client = web(bind_host=EXPOSED)
    item = served.item_id("lighthouse.txt")
    for path in (
        "/api/search?q=lighthouse",
        f"/api/items/{item}",
        f"/api/items/{item}/file",
        "/api/collections",
        "/api/ingest/status",
    ):
        response = client.get(path)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "lighthouse keeper" not in response.text
    assert client.post("/api/ingest", files=UPLOAD).status_code == 401
    # The page sends the browser to its login form instead.
    page = client.get("/?q=lighthouse", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    # Probes need no token.
    assert client.get("/healthz").status_code == 200


def test_a_token_that_is_not_valid_is_401(web: Web) -> None:
    for client in (web(bind_host=EXPOSED), web()):  # even where no login is needed
        response = client.get("/api/search?q=bees", headers=bearer("sa_not-a-real-token"))
        assert response.status_code == 401
        assert "not valid" in response.json()["detail"]


def test_read_token_searches_but_cannot_upload_or_administer(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    headers = bearer(make_token(Scope.READ))
    found = client.get("/api/search?q=lighthouse keeper ship", headers=headers)
    assert found.status_code == 200, found.text
    assert found.json()["hits"]
    file = client.get(f"/api/items/{served.item_id('lighthouse.txt')}/file", headers=headers)
    assert file.status_code == 200 and "lighthouse keeper" in file.text
    queued_before = _queued(served)
    upload = client.post("/api/ingest", files=UPLOAD, headers=headers)
    assert upload.status_code == 403
    assert "scope read" in upload.json()["detail"]
    assert _queued(served) == queued_before
    assert client.get("/api/collections", headers=headers).status_code == 403
    assert client.get("/api/ingest/status", headers=headers).status_code == 403


def test_ingest_token_uploads_but_cannot_search(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    headers = {"X-API-Key": make_token(Scope.INGEST)}  # the other header works too
    upload = client.post("/api/ingest", files=UPLOAD, headers=headers)
    assert upload.status_code == 202, upload.text
    # Not an admin: the stored file is named under the uploads folder, not by server path.
    [item] = upload.json()["items"]
    assert item["path"].startswith("uploads/") and item["path"].endswith("-tea.md")
    status = client.get(upload.json()["status_url"], headers=headers)
    assert status.status_code == 200
    assert client.get("/api/search?q=tea", headers=headers).status_code == 403


def test_admin_token_does_everything(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    headers = bearer(make_token(Scope.ADMIN))
    assert client.get("/api/collections", headers=headers).status_code == 200
    assert client.get("/api/ingest/status", headers=headers).status_code == 200
    hits = client.get("/api/search?q=lighthouse keeper", headers=headers).json()["hits"]
    assert hits[0]["source"] == str(served.root / "lighthouse.txt")  # admins see server paths


def test_loopback_needs_no_login_as_before(web: Web) -> None:
    client = web()
    assert client.get("/api/search?q=bees").status_code == 200
    assert client.get("/api/collections").status_code == 200


def test_auth_required_applies_on_loopback_too(web: Web) -> None:
    client = web(auth="required")
    assert client.get("/api/ingest/status").status_code == 401


def test_read_only_refuses_every_upload(web: Web, make_token: Callable[[Scope], str]) -> None:
    token = make_token(Scope.ADMIN)
    for client in (web(read_only=True), web(bind_host=EXPOSED, read_only=True)):
        response = client.post("/api/ingest", files=UPLOAD, headers=bearer(token))
        assert response.status_code == 403
        assert "read-only" in response.json()["detail"]


def test_revoked_token_is_401(web: Web, served: Served, make_token: Callable[[Scope], str]) -> None:
    client = web(bind_host=EXPOSED)
    token = make_token(Scope.READ)
    assert client.get("/api/search?q=bees", headers=bearer(token)).status_code == 200
    store = TokenStore(served.app.settings.state_dir)
    record = store.verify(token)
    assert record is not None
    store.revoke(record.name)
    assert client.get("/api/search?q=bees", headers=bearer(token)).status_code == 401


def test_read_token_sees_paths_relative_to_their_root(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    headers = bearer(make_token(Scope.READ))
    hits = client.get("/api/search?q=bees honey hive", headers=headers).json()["hits"]
    bees = next(hit for hit in hits if hit["source"].endswith("bees.md"))
    assert bees["source"] == f"{ROOT_NAME}/deep/bees.md"
    item = client.get(f"/api/items/{bees['id']}", headers=headers).json()
    assert item["source"] == f"{ROOT_NAME}/deep/bees.md"
    assert str(served.root) not in client.get("/readyz", headers=headers).text


def test_token_file_holds_hashes_only_and_is_private(
    served: Served, make_token: Callable[[Scope], str]
) -> None:
    token = make_token(Scope.READ)
    path = TokenStore(served.app.settings.state_dir).path
    assert token not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600


def _queued(served: Served) -> int:
    from searchapp.worker.queue import JobQueue
    from searchapp.worker.status import StatusBoard

    queue = JobQueue(served.app.settings.worker_queue_path)
    return sum(StatusBoard(queue).snapshot().counts.values())


def test_folder_filter_takes_paths_as_the_caller_sees_them(
    web: Web, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    headers = bearer(make_token(Scope.READ))
    deep = client.get(
        "/api/search", params={"q": "honey bees", "folder": f"{ROOT_NAME}/deep"}, headers=headers
    )
    assert deep.status_code == 200, deep.text
    assert [hit["source"] for hit in deep.json()["hits"]] == [f"{ROOT_NAME}/deep/bees.md"]
    unknown = client.get(
        "/api/search", params={"q": "bees", "folder": "elsewhere/x"}, headers=headers
    )
    assert unknown.status_code == 400
