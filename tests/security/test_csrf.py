"""Cross-site requests: another site's page cannot make the browser change anything.

The server listens on loopback and needs no login (the default), which is
exactly when a page the user visits could otherwise post to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from searchapp.auth import Scope
from searchapp.web.security import same_origin
from tests.security.conftest import Served, Web, bearer
from tests.web.forms import csrf_token

UPLOAD = [("files", ("evil.md", b"# planted\nplanted text", "text/markdown"))]


def _stored_and_queued(served: Served) -> tuple[list[str], int]:
    from searchapp.worker.queue import JobQueue
    from searchapp.worker.status import StatusBoard

    uploads = served.app.settings.resolved_uploads_dir
    files = sorted(os.listdir(uploads)) if uploads.exists() else []
    queue = JobQueue(served.app.settings.worker_queue_path)
    return files, sum(StatusBoard(queue).snapshot().counts.values())


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a privacy-hidden origin
        {"Origin": "http://localhost:8001"},  # another port is another origin
        {"Referer": "http://evil.example/page.html"},  # no Origin: the Referer is judged
    ],
    ids=["origin", "null-origin", "other-port", "referer"],
)
def test_cross_origin_upload_is_refused_and_nothing_is_stored(
    web: Web, served: Served, headers: dict[str, str]
) -> None:
    client = web()
    before = _stored_and_queued(served)
    response = client.post("http://localhost:8000/api/ingest", files=UPLOAD, headers=headers)
    assert response.status_code == 403
    assert "cross-site" in response.json()["detail"]
    assert _stored_and_queued(served) == before


def test_cross_origin_is_refused_even_with_a_token(
    web: Web, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host="0.0.0.0")
    response = client.post(
        "/api/search/image",
        files={"image": ("a.png", b"x", "image/png")},
        headers={**bearer(make_token(Scope.READ)), "Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_same_origin_and_non_browser_posts_pass_the_origin_check(web: Web, served: Served) -> None:
    client = web()
    same = client.post(
        "http://localhost:8000/api/ingest",
        files=UPLOAD,
        headers={"Origin": "http://localhost:8000"},
    )
    assert same.status_code == 202, same.text
    curl = client.post("http://127.0.0.1:8000/api/ingest", files=UPLOAD)  # no Origin, no Referer
    assert curl.status_code == 202, curl.text


def test_page_form_without_its_csrf_token_is_refused(web: Web) -> None:
    client = web()
    image = {"image": ("q.png", b"\x89PNG not really", "image/png")}
    assert client.post("/image", files=image, data={"direction": "image"}).status_code == 403
    wrong = client.post("/image", files=image, data={"direction": "image", "csrf_token": "forged"})
    assert wrong.status_code == 403
    # With the page's token the form is searched (this file is no image: 4xx, not 403).
    good = client.post(
        "/image", files=image, data={"direction": "image", "csrf_token": csrf_token(client)}
    )
    assert good.status_code in (400, 422) and "not an image" in good.text


def test_session_cookie_api_calls_need_the_csrf_header(
    web: Web, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host="0.0.0.0")
    token = make_token(Scope.ADMIN)
    login = client.post(
        "/login",
        data={"token": token, "csrf_token": csrf_token(client, "/login")},
        follow_redirects=False,
    )
    assert login.status_code == 303
    assert client.get("/api/ingest/status").status_code == 200  # the cookie authenticates
    refused = client.post("/api/ingest", files=UPLOAD)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    allowed = client.post(
        "/api/ingest", files=UPLOAD, headers={"X-CSRF-Token": client.cookies["searchapp_csrf"]}
    )
    assert allowed.status_code == 202, allowed.text


@pytest.mark.parametrize(
    ("sender", "host", "same"),
    [
        ("http://localhost:8000", "localhost:8000", True),
        ("https://search.example.com", "search.example.com", True),  # behind a TLS proxy
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://localhost:8000/a?b", "localhost:8000", True),
        ("http://localhost", "localhost:80", True),
        ("http://localhost:8000", "localhost:8001", False),
        ("http://evil.example", "localhost:8000", False),
        ("null", "localhost:8000", False),
        ("javascript:alert(1)", "localhost:8000", False),
        ("http://localhost:8000", None, False),
    ],
)
def test_same_origin_rule(sender: str, host: str | None, same: bool) -> None:
    assert same_origin(sender, host) is same
