"""The page's login: a token typed once becomes a signed, HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from collections.abc import Callable

from searchapp.auth import Scope, TokenStore
from tests.security.conftest import Served, Web
from tests.web.forms import csrf_token

EXPOSED = "0.0.0.0"


def _set_cookie(response, name: str) -> str:
    headers = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    return next(header for header in headers if header.startswith(f"{name}="))


def test_cookie_login_searches_and_logs_out(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    assert client.get("/?q=bees", follow_redirects=False).status_code == 303
    form = client.get("/login?next=/%3Fq%3Dbees")
    assert form.status_code == 200 and 'name="token"' in form.text
    login = client.post(
        "/login",
        data={
            "token": make_token(Scope.READ),
            "csrf_token": csrf_token(client, "/login"),
            "next": "/?q=bees",
        },
        follow_redirects=False,
    )
    assert login.status_code == 303 and login.headers["location"] == "/?q=bees"
    cookie = _set_cookie(login, "searchapp_session").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    page = client.get("/?q=bees honey")
    assert page.status_code == 200
    assert "signed in as" in page.text
    # A read token's page names files by their root, never by server path.
    assert "notes-root/deep/bees.md" in page.text and str(served.root) not in page.text
    logout = client.post("/logout", data={"csrf_token": csrf_token(client)}, follow_redirects=False)
    assert logout.status_code == 303
    assert client.get("/?q=bees", follow_redirects=False).status_code == 303


def test_a_wrong_token_or_a_forged_form_does_not_log_in(
    web: Web, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    wrong = client.post(
        "/login", data={"token": "sa_wrong", "csrf_token": csrf_token(client, "/login")}
    )
    assert wrong.status_code == 401 and "not valid" in wrong.text
    assert "searchapp_session" not in client.cookies
    forged = client.post("/login", data={"token": make_token(Scope.READ)})  # no CSRF token
    assert forged.status_code == 403
    assert "searchapp_session" not in client.cookies


def test_a_forged_session_cookie_is_nobody(web: Web) -> None:
    client = web(bind_host=EXPOSED)
    client.cookies.set("searchapp_session", '["admin", "0000000000000000"].abc.def')
    assert client.get("/api/collections").status_code == 401


def test_revoking_the_token_ends_its_sessions(
    web: Web, served: Served, make_token: Callable[[Scope], str]
) -> None:
    client = web(bind_host=EXPOSED)
    token = make_token(Scope.READ)
    client.get(f"/login?token={token}", follow_redirects=False)  # the URL serve prints
    assert client.get("/api/search?q=bees").status_code == 200
    store = TokenStore(served.app.settings.state_dir)
    store.revoke(store.verify(token).name)  # type: ignore[union-attr]
    assert client.get("/api/search?q=bees").status_code == 401


def test_login_never_redirects_off_site(web: Web, make_token: Callable[[Scope], str]) -> None:
    client = web(bind_host=EXPOSED)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = client.get(
            "/login",
            params={"token": make_token(Scope.READ), "next": target},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


def test_access_log_never_keeps_a_login_token() -> None:
    import logging

    from searchapp.cli.serve import MaskTokens

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/login?token=sa_secret123&next=/", "1.1", 303),
        None,
    )
    assert MaskTokens().filter(record)
    assert "sa_secret123" not in record.getMessage()
    assert "/login?token=***&next=/" in record.getMessage()
